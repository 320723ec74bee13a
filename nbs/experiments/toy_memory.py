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
# # Toy associative memory: fine-tuning and replay (paper App. F.4, Figs Q, R)
#
# The papermill template of the `toy_memory` experiment: pre-train a one-hidden-layer MLP to memorise
# random key→class pairs, then fine-tune copies of it on sets of new pairs without replay, and on one set
# of new pairs with old pairs replayed at several weights. It writes `metrics.csv` (one tidy table of every
# phase, with exact loss and accuracy over all old and all new pairs at every logged step) and
# `summary.json` into `out_dir`. Defaults are test-sized; the presets in `experiments/toy_memory.yaml` set
# the paper's sizes. The model, the sampler and the choices the paper leaves open are documented in
# `factdyn.toymemory` (notebook `09_toymemory`).

# %%
# factdyn-template-version: 1  (the run hash: this name, this version and the parameters set; bump it when an edit
# changes what an existing parameter setting computes, not when a parameter is added whose default keeps the old behaviour)
import json, os, tempfile, time
from pathlib import Path
import pandas as pd
import torch
from factdyn.toymemory import make_task, pretrain, toy_finetune, run_key, run_summary
from factdyn.runs import atomic_write, write_json

# %% tags=["parameters"]
out_dir: str = ""  # folder for metrics.csv and summary.json (empty: a new temporary folder)
seed: int = 0  # seed of the task, the initialisation and the batch streams [0, ]
n_pairs: int = 512  # old key-value pairs memorised in pre-training (paper 8192) [1, ]
hidden: int = 256  # hidden ReLU units [1, ]
d_key: int = 64  # key dimension (keys are unit vectors) [1, ]
n_classes: int = 30  # number of values (classes) [2, ]
steps: int = 300  # pre-training steps (paper 16000) [1, ]
batch_size: int = 128  # pairs per step, pre-training and fine-tuning [1, ]
lr: float = 0.03  # peak pre-training learning rate, cosine to 0 [0.0, ]
weight_decay: float = 0.01  # AdamW weight decay on the weight matrices [0.0, ]
ft_steps: int = 100  # fine-tuning steps per run (paper 4000) [1, ]
ft_lr: float = 0.001  # constant fine-tuning learning rate (fresh AdamW) [0.0, ]
ft_sizes: str = "32,128"  # comma-separated numbers of new pairs, one fine-tuning run each, no replay (empty: none)
replay_new: int = 64  # new pairs of the replay runs (paper 128) [1, ]
replay_weights: str = "1,0.0625"  # comma-separated replay weights w > 0 (old pair vs new pair sampling odds), one run each (empty: none)

# %%
# the MLP is far too small to gain from intra-op threads: one thread unless the engine sets a count
torch.set_num_threads(int(os.environ.get("FACTDYN_THREADS") or 1))
out_dir = out_dir or tempfile.mkdtemp(prefix="factdyn-toy-")
sizes = [int(x) for x in ft_sizes.split(",") if x.strip()]
weights = [float(x) for x in replay_weights.split(",") if x.strip()]
assert all(n >= 1 for n in sizes), f"ft_sizes must be positive integers, got {ft_sizes!r}"
assert all(w > 0 for w in weights), f"replay weights must be > 0, got {replay_weights!r}"
n_pool = max(sizes + ([replay_new] if weights else []) + [1])
task = make_task(n_pairs, n_pool, seed, d_key, n_classes)
print(f"{task.n_old} old pairs, {task.n_new} new pairs in the pool, {d_key}-d keys, {n_classes} classes; "
      f"fine-tuning sizes {sizes}, replay weights {weights} on {replay_new} new pairs")

# %%
t0 = time.time()
model, pre_log = pretrain(task, steps, batch_size, lr, weight_decay, hidden, seed)
t_pre = time.time() - t0
print(f"pre-training: {t_pre:.1f}s, old loss {pre_log.old_loss.iloc[-1]:.4f}, old acc {pre_log.old_acc.iloc[-1]:.4f}, "
      f"never-seen new loss {pre_log.new_loss.iloc[-1]:.2f}")

# %%
runs = [("finetune", n, 0.0) for n in sizes] + [("replay", replay_new, w) for w in weights]
logs, summary = [pre_log], {}
for phase, n, w in runs:
    t1 = time.time()
    log = toy_finetune(model, task, n, w, ft_steps, ft_lr, batch_size, weight_decay, seed)
    logs.append(log)
    s = run_summary(log)
    summary.update({f"{run_key(phase, n, w)}_{k}": v for k, v in s.items()})
    print(f"{phase} n_new={n} w={w:g}: {time.time() - t1:.1f}s, old loss {s['old_loss_before']:.3g} -> "
          f"early max {s['old_loss_early_max']:.3g} (x{s['old_loss_early_ratio']:.3g}) -> {s['final_old_loss']:.3g}; "
          f"old acc {s['final_old_acc']:.3f}, new acc {s['final_new_acc']:.3f}")
wall = time.time() - t0

# %% [markdown]
# ## Outputs
# `metrics.csv`: `phase` (pretrain, finetune, replay), `n_new`, `replay_weight` (0 = no replay), `step`,
# `old_loss`, `old_acc`, `new_loss`, `new_acc`, `lr`, `train_loss`. In pre-training rows the "new" pairs
# are the whole never-seen pool. `summary.json`: flat; per fine-tuning run the keys of
# `factdyn.toymemory.run_summary` prefixed with `ft<n_new>_` or `replay<n_new>_w<weight>_`.

# %%
cols = ["phase", "n_new", "replay_weight", "step", "old_loss", "old_acc", "new_loss", "new_acc", "lr", "train_loss"]
metrics = pd.concat(logs, ignore_index=True)[cols]
atomic_write(Path(out_dir, "metrics.csv"), metrics.to_csv(index=False))
summary = dict(baseline=task.baseline, pretrain_final_old_loss=float(pre_log.old_loss.iloc[-1]),
               pretrain_final_old_acc=float(pre_log.old_acc.iloc[-1]),
               pretrain_final_new_loss=float(pre_log.new_loss.iloc[-1]),
               pretrain_final_new_acc=float(pre_log.new_acc.iloc[-1]),
               **summary, seconds_pretrain=t_pre, seconds=wall)
write_json(Path(out_dir, "summary.json"), summary)
assert {"step", "phase", "old_loss", "new_loss"} <= set(metrics.columns) and len(metrics)
print(f"wrote {out_dir}: {len(metrics)} metric rows, {len(summary)} summary values, {wall:.1f}s")
