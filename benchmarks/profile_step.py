#!/usr/bin/env python
"""Where the time of one training step goes: `python benchmarks/profile_step.py [--model factdyn|gpt2] [--steps 6]`.

torch.profiler over a few training steps at the CPU preset (best of three profiles: the machine is shared);
prints the top operators by self time and their share, and the same grouped into GEMM / attention / GELU /
normalisation / loss / packing / optimizer / other. The matmul share against the measured matmul peak bounds
what the step can reach: see benchmarks/README.md.
"""
from __future__ import annotations
import argparse, sys
from collections import defaultdict
from pathlib import Path

import torch
from torch.profiler import profile, ProfilerActivity

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as R                                                                               # noqa: E402
from factdyn.model import Transformer                                                         # noqa: E402

GROUPS = [('GEMM', ('aten::mm', 'aten::addmm', 'aten::addmm_', 'aten::bmm', 'aten::baddbmm')),
          ('attention (SDPA)', ('scaled_dot_product',)),
          ('GELU', ('gelu', 'tanh', 'pow')),
          ('normalisation', ('_Normalize', 'layer_norm', 'rms_norm', 'vector_norm', 'addcmul', 'rsqrt')),
          ('loss (softmax, gather)', ('_LinearCE', 'log_softmax', 'nll_loss', 'exp_', 'scatter_add_', 'gather')),
          ('packing (gather/scatter)', ('index_select', 'index_copy', 'index_add', 'nonzero')),
          ('optimizer, clipping', ('adamw', 'AdamW', '_foreach', 'zero_grad'))]

def group_of(name: str) -> str:
    for g, keys in GROUPS:
        if any(k in name for k in keys): return g
    return 'other (copies, fills, adds, ...)'

def profile_model(kind: str, steps: int = 6, reps: int = 3) -> tuple[dict, float]:
    "Self CPU ms per step by operator (best of `reps` profiles), and the total."
    S = R.Setup('cpu', n_batches=steps + 3)
    model = Transformer(S.mc, torch.Generator().manual_seed(0)) if kind == 'factdyn' else R.GPT2Reference(S.mc, R.load_gpt2())
    f = S.trainer(model)
    for i in range(3): f(i)
    best = None
    for _ in range(reps):
        with profile(activities=[ProfilerActivity.CPU]) as p:
            for i in range(3, 3 + steps): f(i)
        d = {e.key: e.self_cpu_time_total / 1e3 / steps for e in p.key_averages()}
        if best is None or sum(d.values()) < sum(best.values()): best = d
    return best, sum(best.values())

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--model', default='factdyn', choices=['factdyn', 'gpt2'])
    ap.add_argument('--steps', type=int, default=6)
    ap.add_argument('--top', type=int, default=15)
    a = ap.parse_args(argv)
    if a.model == 'gpt2' and R.load_gpt2() is None: sys.exit(f"transformers is missing: {R.INSTALL_HINT}")
    ops, total = profile_model(a.model, a.steps)
    print(f"{a.model}: {total:.1f} ms of operator self time per step ({torch.get_num_threads()} threads)")
    for k, v in sorted(ops.items(), key=lambda kv: -kv[1])[:a.top]:
        print(f"  {v:7.2f} ms  {v / total:6.1%}  {k}")
    groups = defaultdict(float)
    for k, v in ops.items(): groups[group_of(k)] += v
    print("grouped:")
    for g, v in sorted(groups.items(), key=lambda kv: -kv[1]): print(f"  {v:7.2f} ms  {v / total:6.1%}  {g}")
    return ops

if __name__ == '__main__':
    main()
