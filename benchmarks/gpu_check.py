#!/usr/bin/env python
"""GPU check of the `paper` preset of the three-phase experiment: `python benchmarks/gpu_check.py` (`make gpu-check`).

A few hundred training steps of the paper configuration (8 layers, width 512, MLP 2048, 8 heads, 64k + 16k
individuals, batch 128, lr 4e-4) through `factdyn.train.make_train_step` — the step `train(..., device='cuda')`
takes: bf16 autocast, fused AdamW, batches generated on the host and copied from pinned memory without blocking,
no host sync per step. After a warm-up it times `--steps` steps (generation included), one evaluation point
(both evaluation sets of 2048 biographies) and one checkpoint save, and projects the wall time of the full run
(16k steps, 49 evaluation points, 49 checkpoints); the target is under 10 minutes on one 80 GB GPU.
MFU is against the card's dense bf16 peak (a table by device name; a measured 8192³ bf16 matmul otherwise,
which is reported in either case). Runs eager, then with `torch.compile` (`--no-compile` to skip).

`--tiny` runs a tiny configuration on whatever device there is (CPU included): it exercises the code path,
its numbers mean nothing. Results: `benchmarks/results/gpu-<host>-<date>.json` and `gpu-latest.json`.
"""
from __future__ import annotations
import argparse, datetime, json, os, socket, sys, tempfile, time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
from factdyn.data import World, WorldConfig, UniformSampler, batch_rng                          # noqa: E402
from factdyn.model import Transformer                                                           # noqa: E402
from factdyn.train import (TrainConfig, default_model_config, make_optimizer, make_train_step,   # noqa: E402
                           make_eval_sets, evaluate, eval_steps, to_device)

# dense bf16 tensor-core peaks (TFLOP/s, no sparsity), by a substring of torch.cuda.get_device_name()
BF16_PEAK_TFLOPS = [('H200', 989.0), ('H100 PCIe', 756.0), ('H100 NVL', 835.0), ('H100', 989.0), ('GH200', 989.0),
                    ('B200', 2250.0), ('A100', 312.0), ('L40S', 362.0), ('L40', 181.0), ('L4', 121.0), ('A10G', 70.0),
                    ('A10', 125.0), ('RTX 4090', 165.0), ('RTX 6000 Ada', 364.0), ('V100', 125.0), ('T4', 65.0)]

PAPER = dict(world=dict(n_individuals=64_000, n_unseen=16_000), paper_pools=True,
             model=dict(n_layer=8, n_head=8, d_model=512, d_mlp=2048),
             train=dict(steps=16_000, batch_size=128, lr=4e-4, n_eval=2048, n_evals=32, n_dense=16, n_checkpoints=48))
TINY = dict(world=dict(n_individuals=200, n_unseen=50), paper_pools=False,
            model=dict(n_layer=2, n_head=2, d_model=64, d_mlp=128),
            train=dict(steps=400, batch_size=16, lr=3e-3, n_eval=32, n_evals=4, n_dense=0, n_checkpoints=2))


def log(msg): print(msg, file=sys.stderr, flush=True)

def sync(device):
    if torch.device(device).type == 'cuda': torch.cuda.synchronize()

def spec_peak(device) -> tuple[float | None, str]:
    if torch.device(device).type != 'cuda': return None, 'cpu'
    name = torch.cuda.get_device_name()
    for key, tf in BF16_PEAK_TFLOPS:
        if key.lower() in name.lower(): return tf, name
    return None, name

def measured_peak(device, n: int, dtype) -> float:
    "TFLOP/s of an n³ matmul in `dtype` (best of 5)."
    a, b = torch.randn(n, n, device=device, dtype=dtype), torch.randn(n, n, device=device, dtype=dtype)
    for _ in range(2): a @ b
    sync(device); best = float('inf')
    for _ in range(5):
        t = time.perf_counter(); a @ b; sync(device); best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e12

def flops_params(model) -> int:
    return sum(p.numel() for n, p in model.named_parameters() if 'pos_emb' not in n)

def run_config(cfg: dict, device: str, steps: int, warmup: int, compile: bool, amp: bool, world=None) -> dict:
    "Time warm-up, `steps` training steps, one evaluation point and one checkpoint of one configuration."
    t0 = time.perf_counter()
    wcfg = WorldConfig.paper(**cfg['world']) if cfg['paper_pools'] else WorldConfig(**cfg['world'])
    world = world or World(wcfg)
    world_s = time.perf_counter() - t0
    tc = TrainConfig(**cfg['train'])
    mc = default_model_config(world, **cfg['model'])
    model = Transformer(mc, torch.Generator().manual_seed(tc.seed)).to(device).train()
    opt, step = make_optimizer(model, tc), make_train_step(model, tc, device, compile=compile, amp=amp)
    sampler = UniformSampler(world.seen)
    N = flops_params(model)

    def one(i):
        "One step exactly as `train` runs it: sample, generate, copy (pinned, non-blocking), update. No sync."
        rng = batch_rng(tc.seed, i)
        x, y, _, _ = to_device(world.biographies(sampler(i, rng, tc.batch_size), rng, shuffle=tc.shuffle), device)
        step(opt, x, y, tc.lr_at(i))
        return x.shape[1], y
    t = time.perf_counter()
    for i in range(warmup): one(i)
    sync(device); warm_s = time.perf_counter() - t
    t = time.perf_counter()
    ys = [one(i) for i in range(warmup, warmup + steps)]
    sync(device); dt = time.perf_counter() - t
    n_tok = [int((y >= 0).sum()) for _, y in ys]                      # after timing: counting syncs
    step_flops = [(6 * N + 12 * mc.n_layer * mc.d_model * T) * n for (T, _), n in zip(ys, n_tok)]
    # one evaluation point and one checkpoint
    sets = make_eval_sets(world, tc.n_eval, tc.seed)
    for b in sets.values(): evaluate(model, b, tc.eval_batch, device=device)        # warm-up (shapes, caches)
    sync(device); t = time.perf_counter()
    for b in sets.values(): evaluate(model, b, tc.eval_batch, device=device)
    sync(device); eval_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        torch.save(dict(model=model.state_dict(), optim=opt.state_dict()), Path(d) / 'ckpt.pt')
        ckpt_s = time.perf_counter() - t
        ckpt_mb = (Path(d) / 'ckpt.pt').stat().st_size / 2 ** 20
    n_evals = len(eval_steps(tc.steps, tc.n_evals, tc.n_dense, tc.dense_frac))
    n_ckpts = len(set(eval_steps(tc.steps, tc.n_checkpoints, 0)) | {tc.steps}) if tc.n_checkpoints else 1
    sps = steps / dt
    achieved = sum(step_flops) / dt
    proj = dict(world_s=world_s, warmup_and_compile_s=warm_s, train_s=tc.steps / sps, eval_s=n_evals * eval_s,
                checkpoint_s=n_ckpts * ckpt_s)
    proj['total_s'] = sum(proj.values())
    out = dict(config=dict(world=cfg['world'], model=cfg['model'], train=cfg['train'], vocab=world.vocab_size,
                           params_N=N, compile=compile, amp_bf16=amp and torch.device(device).type == 'cuda'),
               steps_timed=steps, warmup_steps=warmup, steps_per_s=sps, ms_per_step=1e3 / sps,
               tokens_per_s=sum(n_tok) / dt, achieved_tflops=achieved / 1e12, eval_point_s=eval_s, n_eval_points=n_evals,
               checkpoint_s=ckpt_s, checkpoint_mb=ckpt_mb, n_checkpoints=n_ckpts, projection=proj)
    if torch.device(device).type == 'cuda': out['max_memory_gb'] = torch.cuda.max_memory_allocated() / 2 ** 30
    return out, world

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--steps', type=int, default=300, help='timed training steps (default 300)')
    ap.add_argument('--warmup', type=int, default=30, help='untimed warm-up steps (compilation happens here)')
    ap.add_argument('--no-compile', action='store_true', help='eager only')
    ap.add_argument('--fp32', action='store_true', help='no bf16 autocast')
    ap.add_argument('--tiny', action='store_true', help='tiny configuration on any device (a code-path check)')
    ap.add_argument('--device', default=None, help='default: cuda if available')
    ap.add_argument('--out', default=str(HERE / 'results'), help='folder for the JSON (empty: do not write)')
    a = ap.parse_args(argv)
    device = a.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    if torch.device(device).type != 'cuda' and not a.tiny:
        log("gpu_check: no CUDA device; run it where there is one (or pass --tiny to exercise the code path on CPU)")
        return 2
    cfg = TINY if a.tiny else PAPER
    steps, warmup = (min(a.steps, 20), min(a.warmup, 3)) if a.tiny else (a.steps, a.warmup)
    peak_spec, name = spec_peak(device)
    peak_meas = measured_peak(device, 1024 if a.tiny else 8192,
                              torch.bfloat16 if torch.device(device).type == 'cuda' else torch.float32)
    peak = peak_spec or peak_meas
    log(f"[gpu_check] device {name}: bf16 peak {peak_spec or 'unknown'} TFLOP/s (table), measured matmul {peak_meas:.1f} TFLOP/s")
    runs, world = {}, None
    for mode in (['eager'] + ([] if a.no_compile else ['compiled'])):
        log(f"[gpu_check] {mode}: {warmup} warm-up + {steps} timed steps ...")
        if torch.device(device).type == 'cuda': torch.cuda.reset_peak_memory_stats()
        r, world = run_config(cfg, device, steps, warmup, mode == 'compiled', not a.fp32, world)
        r['mfu'] = r['achieved_tflops'] / peak
        r['mfu_vs_measured_matmul'] = r['achieved_tflops'] / peak_meas
        runs[mode] = r
    best = min(runs, key=lambda k: runs[k]['projection']['total_s'])
    res = dict(meta=dict(host=socket.gethostname(), date=datetime.datetime.now().isoformat(timespec='seconds'),
                         device=name, torch=torch.__version__, tiny=a.tiny, bf16_peak_tflops_table=peak_spec,
                         measured_matmul_tflops=peak_meas, measured=torch.device(device).type == 'cuda' and not a.tiny),
               runs=runs, best=best, projected_total_s=runs[best]['projection']['total_s'], target_s=600.0)
    res['meets_target'] = res['projected_total_s'] < res['target_s']
    lines = [f"gpu_check ({'TINY: code path only' if a.tiny else 'paper preset'}) on {name}, torch {torch.__version__}"]
    lines.append(f"{'':10s} {'steps/s':>8s} {'ms/step':>8s} {'tokens/s':>10s} {'TFLOP/s':>8s} {'MFU':>6s} {'eval pt s':>9s} "
                 f"{'ckpt s':>7s} {'warm-up s':>9s} {'projected':>10s} {'mem GB':>7s}")
    for k, r in runs.items():
        p = r['projection']
        lines.append(f"{k:10s} {r['steps_per_s']:8.2f} {r['ms_per_step']:8.2f} {r['tokens_per_s']:10,.0f} "
                     f"{r['achieved_tflops']:8.2f} {r['mfu']:6.1%} {r['eval_point_s']:9.2f} {r['checkpoint_s']:7.2f} "
                     f"{p['warmup_and_compile_s']:9.1f} {p['total_s'] / 60:8.1f} m {r.get('max_memory_gb', float('nan')):7.1f}")
    lines.append(f"projected full run ({cfg['train']['steps']} steps, {runs[best]['n_eval_points']} evaluations, "
                 f"{runs[best]['n_checkpoints']} checkpoints) with {best}: {res['projected_total_s'] / 60:.1f} min "
                 f"(target < 10 min: {'met' if res['meets_target'] else 'NOT met'})")
    res['table'] = '\n'.join(lines)
    print(res['table'])
    if a.out:
        out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
        text = json.dumps(res, indent=1, default=float)
        for fn in (f"gpu-{'tiny-' if a.tiny else ''}{socket.gethostname()}-{stamp}.json",
                   'gpu-tiny-latest.json' if a.tiny else 'gpu-latest.json'):
            tmp = out / (fn + '.tmp'); tmp.write_text(text); os.replace(tmp, out / fn)
    return res

if __name__ == '__main__':
    r = main()
    sys.exit(r if isinstance(r, int) else 0)
