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
# # Fine-tune a pre-trained model on new or rare individuals
#
# The papermill template behind the fine-tuning experiments (paper Fig 5 middle/right, Figs N, O, P):
# it loads a pre-trained run, continues training at a constant learning rate on a pool of individuals —
# new ones (never seen in pre-training), or the non-celebrities / celebrities of a celebrity-pre-trained
# model — optionally replaying the old individuals, and logs loss and accuracy on old and fine-tuning
# individuals, plus the attention metrics of the old individuals at every checkpoint. With `pretrained`
# left empty it first pre-trains a tiny model itself, so the notebook runs top to bottom as it is.

# %%
# factdyn-template-version: 1  (the run hash: this name, this version and the parameters set; bump it when an edit
# changes what an existing parameter setting computes, not when a parameter is added whose default keeps the old behaviour)
import json, tempfile, time
from pathlib import Path
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from factdyn.data import World, WorldConfig
from factdyn.train import TrainConfig, train, default_model_config
from factdyn.finetune import finetune, load_pretrained
from factdyn.runs import atomic_write, write_json
from factdyn.analysis import pick_device, set_threads_from_env

# %% tags=["parameters"]
out_dir: str = ""  # folder for metrics.csv, attention.csv, summary.json (empty: a new temporary folder)
pretrained: str = ""  # checkpoint, run folder, or experiment/preset of the pre-trained model (empty: pre-train a tiny one here)
pool: str = "new"  # fine-tuning individuals: never seen, or the non-celebrities / celebrities of the pre-training {new|noncelebrities|celebrities}
n_new: int = 10  # new individuals (pool new) [1, ]
n_celebrities: int = 0  # celebrities of the pre-training run, the first n seen individuals (pools noncelebrities/celebrities) [0, ]
replay_weight: float = 0.0  # sampling weight of each old individual relative to a fine-tuning one, 0 means no replay [0.0, ]
steps: int = 40  # fine-tuning steps [1, ]
batch_size: int = 16  # sequences per step [1, ]
lr: float = 0.0003  # constant learning rate (paper: 0.075 × the pre-training peak) [1e-08, 1.0]
optimizer: str = "fresh"  # AdamW at the start: a fresh one, or the pre-training checkpoint's moments carried over (the paper does not say) {fresh|carried}
seed: int = 1  # seed of the fine-tuning data stream and evaluation sets [0, ]
n_eval: int = 32  # biographies per evaluation set [1, ]
n_evals: int = 8  # evenly spaced evaluations [1, ]
n_dense: int = 8  # extra evaluations in the first eighth of fine-tuning [0, ]
attention: bool = True  # attention metrics of the old individuals at every checkpoint (Fig O)
attention_heads: bool = False  # those metrics per head (a `head` column) rather than as head means
n_checkpoints: int = 4  # checkpoints (attention metrics are computed on them) [0, ]
device: str = "cpu"  # where to train {cpu|cuda|auto}

# %%
set_threads_from_env()
dev = pick_device(device)
if optimizer not in ("fresh", "carried"): raise ValueError(f"optimizer must be 'fresh' or 'carried', got {optimizer!r}")
out_dir = out_dir or tempfile.mkdtemp(prefix="factdyn-finetune-")
t0 = time.time()
if pretrained:
    model, world, ck = load_pretrained(pretrained)
    pre_info = dict(pretrained_step=int(ck["step"]), pretrained_lr=float(ck["config"]["train"]["lr"]))
else:   # a tiny pre-training (inside this run's folder) so that the notebook runs on its own
    world = World(WorldConfig(n_individuals=100, n_unseen=30))
    train(world, TrainConfig(steps=60, batch_size=16, lr=3e-3, n_eval=16, n_evals=1, n_dense=0),
          default_model_config(world, n_layer=1, n_head=2, d_model=32, d_mlp=64), progress=False, out_dir=Path(out_dir, "pretrained"))
    model, world, ck = load_pretrained(str(Path(out_dir, "pretrained")))
    pre_info = dict(pretrained_step=60, pretrained_lr=3e-3)
print(world, pre_info)
if pool == "new":
    if n_new > len(world.unseen): raise ValueError(f"n_new={n_new} but the world has only {len(world.unseen)} never-seen individuals")
    ft_pool, old_pool = world.unseen[:n_new], world.seen
else:
    if not 0 < n_celebrities < len(world.seen): raise ValueError(f"pool {pool} needs 0 < n_celebrities < {len(world.seen)}")
    celebs, others = world.seen[:n_celebrities], world.seen[n_celebrities:]
    ft_pool, old_pool = (others, celebs) if pool == "noncelebrities" else (celebs, others)

# %%
tc = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, schedule="constant", seed=seed, n_eval=n_eval,
                 n_evals=n_evals, n_dense=n_dense, n_checkpoints=n_checkpoints if attention else 0)
res, att = finetune(model, world, tc, ft_pool, old_pool, replay_weight, out_dir=out_dir, attention=attention, device=dev,
                    optim_state=ck["optim"] if optimizer == "carried" else None, per_head=attention_heads)
if att is not None: atomic_write(Path(out_dir, "attention.csv"), att.to_csv(index=False))
wall = time.time() - t0

# %% [markdown]
# ## Summary
# Old-individual loss before fine-tuning, its maximum within the first 10% of fine-tuning steps (the collapse),
# and the final losses and accuracies.

# %%
log = res.log
early = log[log.step <= 0.1 * steps]
summary = dict(baseline=res.baseline, n_pool=int(len(ft_pool)), n_old=int(len(old_pool)), **pre_info, optimizer=optimizer,
               old_loss_before=float(log.old_loss.iloc[0]), old_acc_before=float(log.old_acc.iloc[0]),
               new_loss_before=float(log.new_loss.iloc[0]),
               old_loss_early_max=float(early.old_loss.max()), old_acc_early_min=float(early.old_acc.min()),
               old_loss_early_ratio=float(early.old_loss.max() / log.old_loss.iloc[0]),
               final_old_loss=float(log.old_loss.iloc[-1]), final_old_acc=float(log.old_acc.iloc[-1]),
               final_new_loss=float(log.new_loss.iloc[-1]), final_new_acc=float(log.new_acc.iloc[-1]),
               new_share=float(len(ft_pool) / (len(ft_pool) + replay_weight * len(old_pool))), seconds=wall)
write_json(Path(out_dir, "summary.json"), summary)
summary

# %%
fig, ax = plt.subplots(1, 2, figsize=(10, 3.5))
for col, ls in (("old", "-"), ("new", "--")):
    ax[0].plot(log.step, log[f"{col}_loss"], ls, label=col); ax[1].plot(log.step, log[f"{col}_acc"], ls, label=col)
ax[0].axhline(res.baseline, color="grey", lw=1); ax[0].set_yscale("log")
for a in ax: a.set_xscale("symlog", linthresh=10); a.set_xlabel("fine-tuning step"); a.legend()
ax[0].set_ylabel("attribute loss"); ax[1].set_ylabel("accuracy")
fig.tight_layout(); atomic_write(Path(out_dir, "finetune.png"), fig, lambda f, tmp: f.savefig(tmp, format="png", dpi=100))
