# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: python3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Attention patching: train with another checkpoint's attention patterns (paper Fig 3 middle, Fig D)
#
# The twin-model procedure of App. D.1. A *reference* run (a completed run of the train template, with
# checkpoints) is given. The *modified* run starts from the same initial parameters and sees the same batches
# (both follow from the reference's seed), so up to step `start` it *is* the reference run: it continues from
# the reference's checkpoint at `start`. From `start` on, every layer uses the attention pattern that the
# reference checkpoint of step `ref` computes on the same input (stop-gradient), and AdamW is reset at `start`.
# `start = ref` freezes the attention of the run at that step; `start = init` patches from the first step.
#
# Steps are given by name and resolved from the reference run's plateau (its `summary.json`), snapped to the
# nearest checkpoint: `init` (0), `phase1` (half-way to the plateau start), `early` (a quarter into the plateau,
# as the paper's step 500 of a plateau from ≈300 to ≈3.4k), `mid` (mid-plateau), `end` (plateau end), `post` (a third
# of the way from the plateau end to the end of training), `final` (last step). A step can also be given as a number
# (`"300"`), snapped to the nearest checkpoint the same way; a reference without a detected plateau (a `groups` run,
# paper Fig W) is best addressed by numbers. A step the reference's full checkpoint grid would snap elsewhere (its
# checkpoints were pruned: its experiment needs `keep_checkpoints: all`) is an error, not a silent substitution.
# With `reference` empty the notebook first trains a tiny reference itself, so it runs top to bottom as it is.
#
# After a freeze (`start` after step 0) the run evaluates 20 times over the `watch` steps that follow, and its summary
# gives the spike: the highest loss in that window over the loss at the freeze (`spike`), beside the same ratio of the
# unpatched reference run (`reference_spike`, on the reference's own, sparser, evaluation grid).
#
# `stop` ends the patched run early (0: at the reference's last step). The learning-rate schedule stays the
# reference's, so up to `stop` the patched run and the reference are compared step for step; a patched step costs
# about twice a plain one (the reference checkpoint's forward pass, then the run's own through the explicit
# attention path), which is why the CPU preset stops its runs well after the reference's plateau end.

# %%
# factdyn-template-version: 2  (the run hash: this name, this version and the parameters set; bump it when an edit
# changes what an existing parameter setting computes, not when a parameter is added whose default keeps the old behaviour)
import json, re, shutil, tempfile, time
from pathlib import Path
import numpy as np
import pandas as pd
import torch
from factdyn.data import World, WorldConfig
from factdyn.model import ModelConfig, Transformer
from dataclasses import replace
from factdyn.train import TrainConfig, train, train_config, default_model_config, eval_steps
from factdyn.runs import Run, find_run, write_json, atomic_write, METRICS
from factdyn.attention import PatchedModel
from factdyn.analysis import pick_device, set_threads_from_env

# %% tags=["parameters"]
out_dir: str = ""  # folder for metrics.csv and summary.json (empty: a new temporary folder)
reference: str = ""  # run folder, experiment/preset or experiment/preset/label of the reference run (empty: train a tiny reference here)
ref: str = "end"  # reference checkpoint providing the attention patterns: init, phase1, early, mid, end, post, final, or a step number ("300")
start: str = "init"  # step from which the patterns are used: a name as for ref, or a step number ("300")
keep_checkpoints: bool = False  # keep the patched run's checkpoints (otherwise only the final one)
stop: int = 0  # end the patched run at this step, 0 means the reference's last step [0, ]
watch: int = 200  # with start after step 0 (a freeze), evaluate 20 times over this many steps after it so that a spike is seen; 0: the reference's evaluation grid [0, ]
device: str = "cpu"  # where to train {cpu|cuda|auto}

# %%
set_threads_from_env()
dev = pick_device(device)
if not out_dir:
    out_dir = tempfile.mkdtemp(prefix="factdyn-patch-")
    print(f"out_dir not set: writing this run to {out_dir}")
out_dir = Path(out_dir)
t0 = time.time()
if reference:   # 'experiment/preset[/label]' is looked up in the run store holding this run (the engine writes runs to
    # <store>/<experiment>/<preset>/<label>-<hash>: a sweep with --runs-root reads its references there), else <root>/runs
    store = next((s for s in out_dir.resolve().parents[2:3] if (s / reference.split("/")[0]).is_dir()), None)
    ref_run = find_run(reference, store)
else:   # a tiny reference run with checkpoints, inside this run's folder, so that the notebook runs on its own
    ref_run = Run(out_dir / "reference")
    w = World(WorldConfig(n_individuals=60, n_unseen=20))
    r = train(w, TrainConfig(steps=40, batch_size=16, lr=3e-3, n_eval=16, n_evals=4, n_dense=0, n_checkpoints=4),
              default_model_config(w, n_layer=1, n_head=2, d_model=32, d_mlp=64), out_dir=ref_run.path, progress=False)
    s, e = r.plateau()
    write_json(ref_run.path / "summary.json", dict(plateau_start=s, plateau_end=e))
ckpts = list(ref_run.checkpoints)
if not ckpts: raise ValueError(f"the reference {ref_run.path} has no checkpoints")
config = ref_run.config
T = int(config["train"]["steps"])
summ = ref_run.summary
p0 = summ.get("plateau_start") or T // 8
p1 = summ.get("plateau_end") or (p0 + T) // 2
named = dict(init=0, phase1=p0 // 2, early=p0 + (p1 - p0) // 4, mid=(p0 + p1) // 2, end=p1, post=p1 + (T - p1) // 3, final=T)
# the checkpoints the reference wrote (up to its last one: a run may stop early)
grid = sorted({c for c in eval_steps(T, int(config["train"].get("n_checkpoints") or 0), 0) if c < max(ckpts)} | {max(ckpts)})
snap_to = lambda cs, s: min(cs, key=lambda c: (abs(c - s), c))
def resolve(what: str, value: str) -> int:
    "A step name or number, snapped to the reference's nearest checkpoint; a clear error before any training."
    if value in named: s = named[value]
    elif re.fullmatch(r"\d+", value.strip()): s = int(value)
    else: raise ValueError(f"{what}={value!r} is neither a step name ({', '.join(named)}) nor a non-negative step number")
    if s > T: raise ValueError(f"{what}={value!r} (step {s}) is beyond the reference's {T} steps")
    if (c := snap_to(ckpts, s)) != snap_to(grid, s):
        raise ValueError(f"{what}={value!r} (step {s}): the reference keeps only the checkpoints {ckpts}, not its step "
                         f"{snap_to(grid, s)}; rerun it with every checkpoint kept (`keep_checkpoints: all` in its experiment)")
    return c
ref_step, start_step = resolve("ref", ref), resolve("start", start)
print(f"reference {ref_run.path} ({len(ckpts)} checkpoints); plateau {p0}-{p1} of {T} steps")
stop_step = stop or T
if not 0 < stop_step <= T: raise ValueError(f"stop={stop} is outside the reference's {T} steps")
if start_step >= stop_step: raise ValueError(f"start={start} (step {start_step}) is not before stop={stop_step}")
print(f"ref={ref} -> step {ref_step}; start={start} -> step {start_step}; stop at step {stop_step}")

# %%
world, reference_model, ref_ck = ref_run.load(ref_step)          # world rebuilt and hash-checked
tc = train_config(config["train"])
# the steps watched after a freeze, evaluated densely (the reference's grid alone would miss a spike)
window = (start_step, min(stop_step, start_step + watch)) if start_step > 0 and watch > 0 else None
if window: tc = replace(tc, dense_start=start_step, n_dense=20, dense_frac=(window[1] - window[0]) / T)
base = Transformer(reference_model.cfg, torch.Generator().manual_seed(tc.seed))      # the reference run's initialisation
if start_step > 0:   # up to `start` the modified run is the reference run: continue from its checkpoint
    ref_run.copy_checkpoint(start_step, out_dir)
    m = ref_run.metrics; atomic_write(out_dir / METRICS, m[m.step <= start_step].to_csv(index=False))
res = train(world, tc, model=PatchedModel(base, reference_model), out_dir=out_dir, resume=True,
            reset_optimizer_at=start_step, device=dev, stop_at=stop_step)
if not keep_checkpoints: Run(out_dir).prune_checkpoints(keep=[stop_step])
wall = time.time() - t0

# %%
log = res.log
s, e = res.plateau()
# the unpatched reference run up to the same step, kept with this run's results for the figure
atomic_write(out_dir / "reference_metrics.csv", ref_run.metrics.query("step <= @stop_step").to_csv(index=False))
# the spike after a freeze: the highest loss in the watch window over the loss at the freeze, beside the unpatched run's
def rise(m, lo, hi):
    w = m[(m.step > lo) & (m.step <= hi)]
    at = m.loc[m.step == lo, "seen_loss"]
    return float(w.seen_loss.max() / at.iloc[0]) if len(w) and len(at) else None
spike = rise(log, *window) if window else None
reference_spike = rise(ref_run.metrics, *window) if window else None
summary = dict(ref=ref, start=start, ref_step=ref_step, start_step=start_step, plateau_start=s, plateau_end=e,
               watch=watch, spike=spike, reference_spike=reference_spike,
               reference=reference or "trained here", reference_plateau_start=p0, reference_plateau_end=p1,
               reference_steps=T, baseline=res.baseline, stop_step=stop_step, final_seen_loss=float(log.seen_loss.iloc[-1]),
               final_seen_acc=float(log.seen_acc.iloc[-1]), min_seen_loss=float(log.seen_loss.min()), seconds=wall)
write_json(out_dir / "summary.json", summary)
summary
