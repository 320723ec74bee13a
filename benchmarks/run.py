#!/usr/bin/env python
"""factdyn benchmark suite: `python benchmarks/run.py` (or `make bench`).

Every figure is a ratio measured in one run on one machine: the two sides of a comparison run in alternating
rounds on the same batches, and the figure is the median over rounds of the per-round ratio, so that load from
other processes (this machine is shared) hits both sides alike. Prints one table and writes
`benchmarks/results/<host>-<date>.json` and `benchmarks/results/latest.json`.

Figures (CPU preset of the three-phase experiment unless stated):
  throughput      training tokens/s of factdyn's step vs Hugging Face GPT-2 (`GPT2LMHeadModel`, same shape,
                  same AdamW, same batches)                                    target: >= 1.5x the reference
  mfu             achieved FLOP/s of the step / the fp32 matmul peak measured in the same run   target: >= 65%
  generation      biography generation rate / training's consumption rate     target: >= 20x
  eval            evaluation time over the run / training time                target: < 15%
  population      time per step (generation + update) vs population size      target: flat
  width           time per step vs model width, both models
  multiseed       S seeds in one process (stacked parameters: batched matmuls, torch.func.vmap) vs one after another
                  decision rule: adopt only at >= 1.3x
  compile         (--compile) torch.compile on CPU: compile time and step-time ratio

FLOPs of a step: (6 N + 12 L d T) per target token (nanoGPT's estimate; N = parameters but position
embeddings, L layers, d width, T the batch's padded length), counted on the tokens that have a target, so both
models get the same credit for a batch and padding is not useful work.
"""
from __future__ import annotations
import argparse, datetime, json, math, os, platform, socket, statistics, sys, time, warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from factdyn.data import World, WorldConfig, UniformSampler, batch_rng                          # noqa: E402
from factdyn.model import Transformer                                                           # noqa: E402
from factdyn.train import (TrainConfig, default_model_config, make_optimizer, make_train_step,   # noqa: E402
                           make_eval_sets, evaluate, eval_steps, to_device)

INSTALL_HINT = "install with pip install -e '.[bench]'"
TARGETS = dict(throughput=1.5, mfu=0.65, generation=20.0, eval=0.15, population=1.15, multiseed=1.3)

PRESETS = {
    # the three-phase experiment's CPU preset (experiments/phases.yaml)
    'cpu': dict(world=dict(n_individuals=1000, n_unseen=500), model=dict(n_layer=4, n_head=4, d_model=128, d_mlp=512),
                train=dict(steps=2000, batch_size=64, lr=1e-3, n_eval=256, n_evals=40, n_dense=8),
                rounds=16, warmup=3, peak_n=2048, populations=(1000, 10_000, 64_000), widths=(64, 128, 256),
                width_rounds=6, eval_rounds=5, seeds=4, seed_rounds=4,
                small_model=dict(n_layer=2, n_head=2, d_model=64, d_mlp=256), small_batch=32),
    # seconds: exercises every code path (tests/test_benchmarks.py)
    'tiny': dict(world=dict(n_individuals=100, n_unseen=50), model=dict(n_layer=1, n_head=2, d_model=32, d_mlp=64),
                 train=dict(steps=40, batch_size=8, lr=3e-3, n_eval=16, n_evals=4, n_dense=0),
                 rounds=2, warmup=1, peak_n=256, populations=(100, 1000), widths=(16, 32), width_rounds=2,
                 eval_rounds=2, seeds=2, seed_rounds=2,
                 small_model=dict(n_layer=1, n_head=2, d_model=16, d_mlp=32), small_batch=4),
}


# ----------------------------------------------------------------------------------------------- helpers
def log(msg: str):
    print(msg, file=sys.stderr, flush=True)

def med(xs): return float(statistics.median(xs)) if xs else float('nan')

def load_gpt2():
    "(GPT2Config, GPT2LMHeadModel), or None when transformers is not installed."
    try:
        from transformers import GPT2Config, GPT2LMHeadModel, logging as hf_logging
        hf_logging.set_verbosity_error()
        return GPT2Config, GPT2LMHeadModel
    except ImportError:
        return None

class GPT2Reference(nn.Module):
    "Hugging Face GPT-2 at factdyn's shape; `forward(idx)` returns logits, so factdyn's plain training path drives it."
    def __init__(self, mc, hf, seed: int = 0):
        super().__init__()
        GPT2Config, GPT2LMHeadModel = hf
        torch.manual_seed(seed)
        cfg = GPT2Config(vocab_size=mc.vocab_size, n_positions=mc.block_size, n_embd=mc.d_model, n_layer=mc.n_layer,
                         n_head=mc.n_head, n_inner=mc.d_mlp, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                         bos_token_id=1, eos_token_id=1, pad_token_id=0, tie_word_embeddings=True)
        self.cfg, self.gpt2 = mc, GPT2LMHeadModel(cfg)
    def forward(self, idx): return self.gpt2(input_ids=idx).logits

def step_flops(mc, x: torch.Tensor, y: torch.Tensor, n_params: int) -> float:
    "Model FLOPs of one training step: (6 N + 12 L d T) per target token."
    return (6 * n_params + 12 * mc.n_layer * mc.d_model * x.shape[1]) * int((y >= 0).sum())

def flops_params(model: Transformer) -> int:
    "N of the FLOP estimate: every parameter but the position embeddings (the tied unembedding counts)."
    return sum(p.numel() for n, p in model.named_parameters() if 'pos_emb' not in n)

def matmul_gflops(n: int, reps: int = 2) -> float:
    "fp32 matrix-multiply rate (GFLOP/s) of one n×n×n product, best of `reps` (a short sample of the peak)."
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = math.inf
    for _ in range(reps):
        t = time.perf_counter(); a @ b; best = min(best, time.perf_counter() - t)
    return 2 * n ** 3 / best / 1e9

class Budget:
    "Seconds left for the suite; a busy machine gets fewer rounds per figure (at least two), never a longer run."
    def __init__(self, seconds: float): self.end = time.perf_counter() + seconds
    def left(self) -> float: return self.end - time.perf_counter()

BUDGET = Budget(float('inf'))
NOISE: list = []           # max/min time of each measured series of the current figure

def probe_ms() -> float:
    "A fixed workload (two 1024³ matmuls), timed before and after each figure to tell when the machine got busy."
    a = torch.randn(1024, 1024); a @ a
    t = time.perf_counter()
    for _ in range(2): a @ a
    return 1e3 * (time.perf_counter() - t)

def interleave(fns: dict, rounds: int, warmup: int = 1, share: float = 0.1, min_rounds: int = 2) -> dict:
    """Seconds per call of each `fn(i)` (i: the batch index), alternating the functions every round (the order
    reversed on odd rounds). Stops early, after `min_rounds`, once `share` of the suite's remaining budget is spent.
    The batch index of each round is under the key '_i'."""
    names = list(fns)
    for i in range(warmup):
        for k in names: fns[k](i)
    out = {k: [] for k in names}
    out['_i'] = []
    stop = time.perf_counter() + share * max(BUDGET.left(), 0.0)
    for r in range(rounds):
        if r >= min_rounds and time.perf_counter() > stop: break
        for k in (names if r % 2 == 0 else names[::-1]):
            t = time.perf_counter(); fns[k](warmup + r); out[k].append(time.perf_counter() - t)
        out['_i'].append(warmup + r)
    NOISE.append(max(max(v) / min(v) for k, v in out.items() if k != '_i' and v))   # > 1.5: other load interfered
    return out

def paired(num: list, den: list) -> float:
    "Median over rounds of num[r] / den[r]."
    return med([a / b for a, b in zip(num, den)])


class Setup:
    "World, configs and a fixed stream of batches for one preset."
    def __init__(self, preset: str = 'cpu', n_batches: int | None = None):
        self.name, self.p = preset, PRESETS[preset]
        self.world = World(WorldConfig(**self.p['world']))
        self.tc = TrainConfig(**self.p['train'])
        self.mc = default_model_config(self.world, **self.p['model'])
        self.sampler = UniformSampler(self.world.seen)
        n = n_batches or (self.p['warmup'] + self.p['rounds'] + 2)
        self.batches = [self.batch(i) for i in range(n)]

    def batch(self, step: int, world: World | None = None, sampler=None, batch_size: int | None = None):
        "(x, y) of training step `step`, generated exactly as `train` does."
        w, s = world or self.world, sampler or UniformSampler((world or self.world).seen)
        rng = batch_rng(self.tc.seed, step)
        x, y, _, _ = to_device(w.biographies(s(step, rng, batch_size or self.tc.batch_size), rng, shuffle=self.tc.shuffle))
        return x, y

    def trainer(self, model):
        "`f(i)`: one factdyn training step of `model` on batch i (the same code path as `train`)."
        opt, step = make_optimizer(model, self.tc), make_train_step(model, self.tc)
        def f(i):
            x, y = self.batches[i % len(self.batches)]
            return step(opt, x, y, self.tc.lr_at(i))
        return f


# ----------------------------------------------------------------------------------------------- figures
def bench_throughput(S: Setup, hf) -> dict:
    "Tokens/s and achieved FLOP/s of factdyn and GPT-2, each round paired with a sample of the matmul peak."
    ours = Transformer(S.mc, torch.Generator().manual_seed(S.tc.seed))
    fns = {'factdyn': S.trainer(ours)}
    if hf is not None: fns['gpt2'] = S.trainer(GPT2Reference(S.mc, hf, S.tc.seed))
    peaks = []
    def peak(i): peaks.append(matmul_gflops(S.p['peak_n']))
    fns['peak'] = peak
    t = interleave(fns, S.p['rounds'], S.p['warmup'], share=0.2)
    peaks = peaks[S.p['warmup']:]
    idx = [i % len(S.batches) for i in t['_i']]
    N = flops_params(ours)
    flops = [step_flops(S.mc, *S.batches[i], N) for i in idx]
    toks = [int((S.batches[i][1] >= 0).sum()) for i in idx]
    bios = S.tc.batch_size
    def side(k):
        if k not in t: return None
        sec = t[k]
        return dict(ms_per_step=1e3 * med(sec), tokens_per_s=med([n / s for n, s in zip(toks, sec)]),
                    bios_per_s=med([bios / s for s in sec]), gflops=med([f / s / 1e9 for f, s in zip(flops, sec)]),
                    mfu=med([f / s / 1e9 / p for f, s, p in zip(flops, sec, peaks)]))
    out = dict(factdyn=side('factdyn'), gpt2=side('gpt2'),
               peak_gflops=dict(median=med(peaks), max=max(peaks), min=min(peaks), matmul_n=S.p['peak_n']),
               tokens_per_step=med(toks), seq_len=med([S.batches[i][0].shape[1] for i in idx]),
               flops_per_step=med(flops), params_N=N)
    out['ratio'] = paired(t['gpt2'], t['factdyn']) if 'gpt2' in t else None
    out['rounds'] = len(idx)
    out['step_spread'] = max(t['factdyn']) / min(t['factdyn'])       # > 1.5: other load interfered
    return out

def bench_generation(S: Setup, consumption_bios_per_s: float) -> dict:
    "Biographies/s of the generator (sampler + biographies + tensors), as `train` draws them, vs training's consumption."
    n, reps = 30, 5
    rates = []
    for r in range(reps):
        t = time.perf_counter()
        for i in range(n): S.batch(1000 + r * n + i)
        rates.append(n * S.tc.batch_size / (time.perf_counter() - t))
    rate = med(rates)
    return dict(bios_per_s=rate, consumption_bios_per_s=consumption_bios_per_s, ratio=rate / consumption_bios_per_s)

def bench_eval(S: Setup, hf) -> dict:
    "One evaluation point (both evaluation sets) against training steps, interleaved; scaled to the whole run."
    sets = make_eval_sets(S.world, S.tc.n_eval, S.tc.seed)
    n_points = len(eval_steps(S.tc.steps, S.tc.n_evals, S.tc.n_dense, S.tc.dense_frac))
    def pair(model):
        step = S.trainer(model)
        def ev(i):
            for b in sets.values(): evaluate(model, b, S.tc.eval_batch)
        return step, ev
    fns = {}
    ours = Transformer(S.mc, torch.Generator().manual_seed(S.tc.seed))
    fns['step'], fns['eval'] = pair(ours)
    if hf is not None:
        ref = GPT2Reference(S.mc, hf, S.tc.seed)
        fns['gpt2_step'], fns['gpt2_eval'] = pair(ref)
    t = interleave(fns, S.p['eval_rounds'], 1, share=0.12)
    def frac(e, s): return med([n_points * a / (S.tc.steps * b) for a, b in zip(t[e], t[s])])
    out = dict(n_eval_points=n_points, steps=S.tc.steps, eval_seqs=S.tc.n_eval * len(sets),
               factdyn=dict(seconds_per_eval=med(t['eval']), ms_per_step=1e3 * med(t['step']), fraction=frac('eval', 'step')))
    out['gpt2'] = (dict(seconds_per_eval=med(t['gpt2_eval']), ms_per_step=1e3 * med(t['gpt2_step']),
                        fraction=frac('gpt2_eval', 'gpt2_step')) if hf is not None else None)
    return out

def bench_population(S: Setup) -> dict:
    "Time of a whole training step (sampling, generation, tensors, update) at several population sizes."
    pops = S.p['populations']
    worlds = {n: World(WorldConfig(**{**S.p['world'], 'n_individuals': n})) for n in pops}
    model = Transformer(S.mc, torch.Generator().manual_seed(S.tc.seed))
    opt, step = make_optimizer(model, S.tc), make_train_step(model, S.tc)
    def full(w):
        samp = UniformSampler(w.seen)
        def f(i):
            x, y = S.batch(i, w, samp)
            step(opt, x, y, S.tc.lr_at(i))
        return f
    t = interleave({n: full(worlds[n]) for n in pops}, S.p['rounds'] // 2 + 1, S.p['warmup'], share=0.12)
    base = pops[0]
    pts = [dict(n_individuals=n, ms_per_step=1e3 * med(t[n]), relative=paired(t[n], t[base])) for n in pops]
    return dict(points=pts, max_relative=max(p['relative'] for p in pts))

def bench_width(S: Setup, hf) -> dict:
    "Time per step, tokens/s and MFU at several widths (4·d MLP, the preset's depth and heads), both models."
    pts = []
    for d in S.p['widths']:
        mc = default_model_config(S.world, **{**S.p['model'], 'd_model': d, 'd_mlp': 4 * d})
        ours = Transformer(mc, torch.Generator().manual_seed(S.tc.seed))
        fns = {'factdyn': S.trainer(ours)}
        if hf is not None: fns['gpt2'] = S.trainer(GPT2Reference(mc, hf, S.tc.seed))
        peaks = []
        fns['peak'] = lambda i: peaks.append(matmul_gflops(S.p['peak_n']))
        t = interleave(fns, S.p['width_rounds'], 1, share=0.12)
        peaks = peaks[1:]
        idx = [i % len(S.batches) for i in t['_i']]
        N = flops_params(ours)
        fl = [step_flops(mc, *S.batches[i], N) for i in idx]
        toks = [int((S.batches[i][1] >= 0).sum()) for i in idx]
        def side(k):
            if k not in t: return None
            return dict(ms_per_step=1e3 * med(t[k]), tokens_per_s=med([n / s for n, s in zip(toks, t[k])]),
                        mfu=med([f / s / 1e9 / p for f, s, p in zip(fl, t[k], peaks)]))
        pts.append(dict(d_model=d, params_N=N, factdyn=side('factdyn'), gpt2=side('gpt2'),
                        peak_gflops=dict(median=med(peaks), max=max(peaks), min=min(peaks)),
                        ratio=paired(t['gpt2'], t['factdyn']) if 'gpt2' in t else None))
    return dict(points=pts)

def bench_multiseed(S: Setup) -> dict:
    "S seeds: one stacked step (batched matmuls; torch.func.vmap) vs S factdyn steps one after another."
    from multiseed import StackedTransformer, make_stacked_step, make_vmap_step, stack_batches
    warnings.filterwarnings('ignore', message='There is a performance drop')     # vmap: no SDPA batching rule
    n_seeds, seeds, nb = S.p['seeds'], list(range(S.p['seeds'])), S.p['seed_rounds'] + 2
    configs = {'preset': (S.p['model'], S.tc.batch_size), 'small': (S.p['small_model'], S.p['small_batch'])}
    setups = {}
    for name, (mkw, bs) in configs.items():
        mc = default_model_config(S.world, **mkw)
        data = [[_seed_batch(S, s, i, bs) for s in seeds] for i in range(nb)]
        seq_steps = [(make_optimizer(m, S.tc), make_train_step(m, S.tc))
                     for m in (Transformer(mc, torch.Generator().manual_seed(s)) for s in seeds)]
        def seq(i, data=data, seq_steps=seq_steps):
            for s, (o, f) in enumerate(seq_steps): f(o, *data[i % nb][s], S.tc.lr)
        setups[name] = (mc, data, seq)
    out = {}
    for name, (mc, data, seq) in setups.items():
        stk = make_stacked_step(StackedTransformer(mc, seeds), S.tc)
        t = interleave(dict(sequential=seq, stacked=lambda i: stk(*stack_batches(data[i % nb]), S.tc.lr)), S.p['seed_rounds'], 1,
                       share=0.15)
        out[name] = dict(model=configs[name][0], batch_size=configs[name][1], sequential_ms=1e3 * med(t['sequential']),
                         stacked_ms=1e3 * med(t['stacked']), speedup_stacked=paired(t['sequential'], t['stacked']))
    # vmap last: its fallback loops (no batching rule for SDPA) leave the allocator in a state that slows what follows
    for name, (mc, data, seq) in setups.items():
        est = 3 * (1 + 5) * out[name]['sequential_ms'] / 1e3          # vmap runs ~5x slower than the sequential steps
        if BUDGET.left() < est:
            out[name].update(vmap_ms=None, speedup_vmap=None, vmap_note='skipped: time budget'); continue
        vstep = make_vmap_step(mc, seeds, S.tc)
        t = interleave(dict(sequential=seq, vmap=lambda i: vstep(*stack_batches(data[i % nb]), S.tc.lr)),
                       max(2, S.p['seed_rounds'] // 2), 1, share=0.3)
        out[name].update(vmap_ms=1e3 * med(t['vmap']), speedup_vmap=paired(t['sequential'], t['vmap']))
    sp = lambda v: max(v['speedup_stacked'], v['speedup_vmap'] or 0.0)
    for v in out.values(): v['meets_threshold'] = sp(v) >= TARGETS['multiseed']
    best = max(sp(v) for v in out.values())
    return dict(seeds=n_seeds, configs=out, best_speedup=best, threshold=TARGETS['multiseed'], adopted=False,
                note='measurement only (benchmarks/multiseed.py): not in the library, below the threshold at the CPU preset')

def _seed_batch(S: Setup, seed: int, i: int, bs: int):
    rng = batch_rng(seed, i)
    x, y, _, _ = to_device(S.world.biographies(S.sampler(i, rng, bs), rng, shuffle=S.tc.shuffle))
    return x, y

def bench_compile(S: Setup) -> dict:
    "torch.compile of the training loss on CPU (inductor): compile time and the step-time ratio to eager."
    eager = Transformer(S.mc, torch.Generator().manual_seed(S.tc.seed))
    comp = Transformer(S.mc, torch.Generator().manual_seed(S.tc.seed))
    oc, sc = make_optimizer(comp, S.tc), make_train_step(comp, S.tc, compile=True)
    t0 = time.perf_counter()
    for i in range(3): sc(oc, *S.batches[i], S.tc.lr)        # three shapes: the first compiles, then dynamic
    compile_s = time.perf_counter() - t0
    t = interleave({'eager': S.trainer(eager), 'compiled': lambda i: sc(oc, *S.batches[i % len(S.batches)], S.tc.lr)},
                   S.p['rounds'] // 2, 1, share=0.3)
    speed = paired(t['eager'], t['compiled'])
    steps = S.tc.steps
    net = steps * med(t['eager']) - (steps * med(t['compiled']) + compile_s)
    return dict(compile_seconds=compile_s, eager_ms=1e3 * med(t['eager']), compiled_ms=1e3 * med(t['compiled']),
                speedup=speed, net_seconds_saved_per_run=net)


# ----------------------------------------------------------------------------------------------- suite
def run_suite(preset: str = 'cpu', out_dir: Path | str | None = HERE / 'results', compile: bool = False,
              threads: int = 0, quiet: bool = False, budget: float = 420.0) -> dict:
    """Run every figure; print the table; write `<host>-<date>.json` and `latest.json` into `out_dir` (None: no files).
    `budget`: seconds the measurements may take; on a busy machine figures get fewer rounds (about 80 s when idle)."""
    global BUDGET
    if threads: torch.set_num_threads(threads)
    t_start = time.perf_counter()
    BUDGET = Budget(budget)
    load0 = os.getloadavg()[0] if hasattr(os, 'getloadavg') else None
    hf = load_gpt2()
    if hf is None:
        log(f"transformers is not installed: the GPT-2 reference column is skipped ({INSTALL_HINT})")
    S = Setup(preset)
    figs = {}
    log(f"[bench] preset={preset} threads={torch.get_num_threads()} {S.world!r}")
    noise = {}
    def measure(name, fn, *args):
        log(f"[bench] {name} ...")
        NOISE.clear(); p0 = probe_ms()
        figs[name] = fn(*args)
        noise[name] = dict(probe_ms=[p0, probe_ms()], series_spread=max(NOISE, default=1.0))
    measure('throughput', bench_throughput, S, hf)
    measure('generation', lambda: bench_generation(S, figs['throughput']['factdyn']['bios_per_s']))
    measure('eval', bench_eval, S, hf)
    measure('population', bench_population, S)
    measure('width', bench_width, S, hf)
    if compile: measure('compile', bench_compile, S)
    measure('multiseed', bench_multiseed, S)
    best_probe = min(min(v['probe_ms']) for v in noise.values())
    for v in noise.values():
        v['noisy'] = bool(max(v['probe_ms']) > 1.5 * best_probe or v['series_spread'] > 1.6)
    th = figs['throughput']
    checks = dict(throughput=None if th['ratio'] is None else th['ratio'] >= TARGETS['throughput'],
                  mfu=th['factdyn']['mfu'] >= TARGETS['mfu'],
                  generation=figs['generation']['ratio'] >= TARGETS['generation'],
                  eval=figs['eval']['factdyn']['fraction'] < TARGETS['eval'],
                  population=figs['population']['max_relative'] <= TARGETS['population'])
    res = dict(meta=meta(preset, hf, time.perf_counter() - t_start), targets=TARGETS, checks=checks, figures=figs)
    res['meta']['load_avg_start'] = load0
    pk = [figs['throughput']['peak_gflops']] + [p['peak_gflops'] for p in figs['width']['points']]
    res['meta']['peak_spread'] = max(p['max'] for p in pk) / min(p['min'] for p in pk)
    res['noise'] = noise
    res['meta']['busy'] = [k for k, v in noise.items() if v['noisy']]
    table = format_table(res)
    res['table'] = table
    if not quiet: print(table)
    if out_dir is not None:
        out = Path(out_dir); out.mkdir(parents=True, exist_ok=True)
        text = json.dumps(res, indent=1, default=float)
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S')
        for name in (f"{socket.gethostname()}-{stamp}.json", 'latest.json'):
            tmp = out / (name + '.tmp'); tmp.write_text(text); os.replace(tmp, out / name)
        res['written'] = [str(out / 'latest.json')]
        log(f"[bench] wrote {out / 'latest.json'} ({res['meta']['seconds']:.0f} s)")
    return res

def meta(preset, hf, seconds) -> dict:
    cpu = platform.processor()
    try:
        cpu = next(l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name'))
    except Exception: pass
    tv = None
    if hf is not None:
        import transformers; tv = transformers.__version__
    return dict(preset=preset, host=socket.gethostname(), date=datetime.datetime.now().isoformat(timespec='seconds'),
                seconds=seconds, torch=torch.__version__, transformers=tv, threads=torch.get_num_threads(),
                cpu=cpu, cores=os.cpu_count(), python=platform.python_version(),
                load_avg=os.getloadavg() if hasattr(os, 'getloadavg') else None,
                method='interleaved rounds on identical batches; medians of per-round ratios')

def _f(x, fmt='{:.2f}'):
    return '—' if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)

def format_table(res: dict) -> str:
    "One table: every figure, factdyn beside the GPT-2 reference, the target and whether it is met."
    F, tg, ck = res['figures'], res['targets'], res['checks']
    th, ge, ev, po = F['throughput'], F['generation'], F['eval'], F['population']
    g = th['gpt2'] or {}
    ok = lambda c: '—' if c is None else ('yes' if c else 'NO')
    rows = [('figure', 'factdyn', 'GPT-2 ref', 'target', 'met')]
    rows.append(('training tokens/s', _f(th['factdyn']['tokens_per_s'], '{:,.0f}'), _f(g.get('tokens_per_s'), '{:,.0f}'), '', ''))
    rows.append(('  ms per step', _f(th['factdyn']['ms_per_step'], '{:.1f}'), _f(g.get('ms_per_step'), '{:.1f}'), '', ''))
    rows.append(('  speed vs GPT-2 (paired)', _f(th['ratio'], '{:.2f}x'), '1.00x' if th['ratio'] else '—',
                 f">= {tg['throughput']}x", ok(ck['throughput'])))
    rows.append(('achieved GFLOP/s', _f(th['factdyn']['gflops'], '{:.1f}'), _f(g.get('gflops'), '{:.1f}'), '', ''))
    rows.append((f"fp32 matmul peak GFLOP/s ({th['peak_gflops']['matmul_n']}^3)", _f(th['peak_gflops']['median'], '{:.1f}'),
                 f"max {th['peak_gflops']['max']:.1f}", '', ''))
    rows.append(('  fraction of peak (MFU)', _f(th['factdyn']['mfu'], '{:.1%}'), _f(g.get('mfu'), '{:.1%}'),
                 f">= {tg['mfu']:.0%}", ok(ck['mfu'])))
    rows.append(('generation bios/s', _f(ge['bios_per_s'], '{:,.0f}'), '', '', ''))
    rows.append(('  vs training consumption', _f(ge['ratio'], '{:.0f}x'),
                 _f(ge['bios_per_s'] / g['bios_per_s'], '{:.0f}x') if g else '—', f">= {tg['generation']:.0f}x", ok(ck['generation'])))
    ge_ = ev['gpt2'] or {}
    rows.append((f"eval s per point ({ev['eval_seqs']} seqs)", _f(ev['factdyn']['seconds_per_eval'], '{:.2f}'),
                 _f(ge_.get('seconds_per_eval'), '{:.2f}'), '', ''))
    rows.append((f"  eval / training ({ev['n_eval_points']} points, {ev['steps']} steps)", _f(ev['factdyn']['fraction'], '{:.1%}'),
                 _f(ge_.get('fraction'), '{:.1%}'), f"< {tg['eval']:.0%}", ok(ck['eval'])))
    for p in po['points']:
        rows.append((f"step time, {p['n_individuals']:,} individuals", f"{p['ms_per_step']:.1f} ms ({p['relative']:.2f}x)", '—',
                     f"<= {tg['population']}x", ok(p['relative'] <= tg['population'])))
    for p in F['width']['points']:
        gp = p['gpt2'] or {}
        rows.append((f"step time, width {p['d_model']} (MFU)", f"{p['factdyn']['ms_per_step']:.1f} ms ({p['factdyn']['mfu']:.0%})",
                     f"{gp['ms_per_step']:.1f} ms ({gp['mfu']:.0%})" if gp else '—',
                     _f(p['ratio'], 'speed {:.2f}x'), ''))
    ms = F['multiseed']
    for name, c in ms['configs'].items():
        m = c['model']
        rows.append((f"{ms['seeds']} seeds, L{m['n_layer']} d{m['d_model']} B{c['batch_size']}: stacked / vmap",
                     f"{c['speedup_stacked']:.2f}x / {_f(c['speedup_vmap'], '{:.2f}x')}", '—', f">= {ms['threshold']}x to adopt",
                     'adopted' if ms['adopted'] else 'not adopted'))
    if 'compile' in F:
        c = F['compile']
        rows.append(('torch.compile (CPU): speed, compile s', f"{c['speedup']:.2f}x, {c['compile_seconds']:.0f} s", '—', '', ''))
    w = [max(len(r[i]) for r in rows) for i in range(5)]
    line = lambda r: '  '.join(s.ljust(w[i]) if i == 0 else s.rjust(w[i]) for i, s in enumerate(r))
    m = res['meta']
    head = (f"factdyn benchmarks: preset {m['preset']}, {m['cpu']}, {m['threads']} threads, torch {m['torch']}, "
            f"transformers {m['transformers'] or f'missing ({INSTALL_HINT})'}, {m['date']}, {m['seconds']:.0f} s")
    out = [head, line(rows[0]), '  '.join('-' * x for x in w)] + [line(r) for r in rows[1:]]
    if m.get('busy'):
        out.append(f"WARNING: other load interfered with: {', '.join(m['busy'])} (a probe matmul slowed down or timings of one "
                   f"series spread > 1.6x). With {m['threads']} threads on {m['cores']} cores, contention slows every parallel "
                   "region and those figures are not representative; rerun when the machine is idle.")
    return '\n'.join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--preset', default='cpu', choices=sorted(PRESETS), help='sizes: cpu (the real figures) or tiny (seconds)')
    ap.add_argument('--out', default=str(HERE / 'results'), help='folder for <host>-<date>.json and latest.json')
    ap.add_argument('--no-save', action='store_true', help='print only')
    ap.add_argument('--compile', action='store_true', help='also measure torch.compile on CPU (adds about a minute)')
    ap.add_argument('--threads', type=int, default=0, help='torch threads (0: leave as is)')
    ap.add_argument('--budget', type=float, default=420.0, help='seconds of measurement (a busy machine gets fewer rounds)')
    a = ap.parse_args(argv)
    run_suite(a.preset, None if a.no_save else a.out, compile=a.compile, threads=a.threads, budget=a.budget)

if __name__ == '__main__':
    main()
