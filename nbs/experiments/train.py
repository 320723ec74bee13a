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
# # Train one model on the biography world
#
# The papermill template behind the three-phase experiment (paper Fig 2) and every other plain training
# run: it builds a world, trains a transformer with the paper's metrics, and writes `metrics.csv`,
# `summary.json`, `config.json` and a per-run figure into `out_dir`. Defaults are test-sized; presets in
# `experiments/*.yaml` set the real sizes. Run it top to bottom as it is, or through
# `factdyn run phases --preset cpu`.

# %%
# factdyn-template-version: 1  (the run hash: this name, this version and the parameters set; bump it when an edit
# changes what an existing parameter setting computes, not when a parameter is added whose default keeps the old behaviour)
import json, os, tempfile, time
from pathlib import Path
import numpy as np
import pandas as pd
import torch
import matplotlib
import matplotlib.pyplot as plt
from factdyn.data import World, WorldConfig, baseline_loss, make_sampler
from factdyn.train import TrainConfig, train, default_model_config, make_eval_sets, evaluate
from factdyn.runs import checkpoints, model_from_checkpoint, write_json, atomic_write
from factdyn.attention import attention_metrics
from factdyn.curricula import rank_group_metrics
from factdyn.analysis import plot_phases, pick_device, set_threads_from_env

# %% tags=["parameters"]
out_dir: str = ""  # folder for metrics.csv, summary.json, checkpoints and the run's figure (empty: a new temporary folder)
n_individuals: int = 200  # individuals seen in training [1, ]
n_unseen: int = 100  # never-seen individuals, the hallucination probe [0, ]
pools: str = "cpu"  # value-pool sizes: the CPU-scale pools (baseline 5.69) or the paper's (6.78) {cpu|paper}
seed: int = 0  # seed of the world, the initialisation and the data stream [0, ]
n_first: int = 0  # first/middle-name pool size, 0 means the pools' default (name ambiguity: fewer names, more individuals share each) [0, ]
n_last: int = 0  # last-name pool size, 0 means the pools' default [0, ]
name_once: bool = False  # the full name in the first sentence only, a pronoun in the others (bioS style)
n_layer: int = 2  # transformer layers [1, ]
n_head: int = 2  # attention heads [1, ]
d_model: int = 64  # residual width [8, ]
d_mlp: int = 256  # MLP hidden width [8, ]
pos: str = "learned"  # position encoding: learned absolute embeddings or rotary (relative) {learned|rope}
steps: int = 300  # training steps [1, ]
batch_size: int = 32  # sequences per step [1, ]
lr: float = 0.003  # peak learning rate [1e-06, 1.0]
weight_decay: float = 0.1  # AdamW weight decay on matrices [0.0, ]
schedule: str = "cosine"  # learning-rate schedule {cosine|constant}
train_templates: int = 0  # training templates per individual and attribute, 0 means all 20 [0, 20]
shuffle: bool = True  # random sentence order (False: fixed attribute order)
sampler: str = "uniform"  # which individuals a batch holds {uniform|power_law|celebrities|warmup|adaptive_warmup|growth}
alpha: float = 0.0  # power_law: P(rank i) ∝ i^-alpha [0.0, ]
n_celebrities: int = 1  # celebrities: how many individuals are over-sampled [1, ]
celeb_weight: float = 8.0  # celebrities: their sampling weight relative to the others [1e-06, ]
n_warmup: int = 1  # warmup / adaptive_warmup: individuals in the warm-up subset [1, ]
warmup_epochs: float = 1.0  # warmup: warm-up length in epochs of the full population [0.0, ]
warmup_max_steps: int = 0  # adaptive_warmup: longest allowed warm-up, 0 means no cap [0, ]
n_start: int = 1  # growth: individuals in the first stage [1, ]
n_stages: int = 3  # growth: number of growth stages after the first [1, ]
stage_steps: int = 100  # growth: steps per stage [1, ]
n_eval: int = 128  # biographies per evaluation set [1, ]
n_evals: int = 20  # evenly spaced evaluations [1, ]
n_dense: int = 5  # extra evaluations in the first eighth of training [0, ]
n_checkpoints: int = 0  # checkpoints besides the final one [0, ]
stop_below: float = 0.0  # end at the first evaluation with held-out seen loss below this fraction of the baseline (0: run every step) [0.0, ]
stop_at: int = 0  # end the run at this step, its learning-rate schedule still that of `steps` (0: run every step) [0, ]
attn_probe: int = 0  # biographies of the per-head attention probe run on every checkpoint (0: none) [0, ]
order_probe: bool = False  # final model on held-out/training templates in random/fixed order (probe.json)
device: str = "cpu"  # where to train {cpu|cuda|auto}

# %%
set_threads_from_env()
dev = pick_device(device)
if not out_dir:
    out_dir = tempfile.mkdtemp(prefix="factdyn-train-")
    print(f"out_dir not set: writing this run to {out_dir}")
wkw = dict(n_individuals=n_individuals, n_unseen=n_unseen, seed=seed, **({"n_first": n_first} if n_first else {}),
           **({"n_last": n_last} if n_last else {}), **({"name_once": True} if name_once else {}))
world = World(WorldConfig.paper(**wkw) if pools == "paper" else WorldConfig(**wkw))
tc = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, weight_decay=weight_decay, schedule=schedule,
                 seed=seed, n_eval=n_eval, n_evals=n_evals, n_dense=n_dense, n_checkpoints=n_checkpoints,
                 shuffle=shuffle, train_templates=train_templates, stop_below=stop_below)
mc = default_model_config(world, n_layer=n_layer, n_head=n_head, d_model=d_model, d_mlp=d_mlp, pos=pos)
print(world)
print(mc)

# %%
t0 = time.time()
samp = make_sampler(sampler, world, alpha=alpha, n_celebrities=n_celebrities, weight=celeb_weight, n_warmup=n_warmup,
                    epochs=warmup_epochs, batch_size=batch_size, baseline=baseline_loss(world.cfg),
                    max_steps=warmup_max_steps or None, n_start=n_start, n_stages=n_stages, stage_steps=stage_steps)
print(samp)
if stop_at > steps: raise ValueError(f"stop_at={stop_at} is beyond steps={steps}")
res = train(world, tc, mc, out_dir=out_dir, sampler=samp, device=dev, stop_at=stop_at or None)
wall = time.time() - t0

# %% [markdown]
# ## Summary
# Plateau bounds come from `factdyn.metrics.plateau_bounds` (start: within 10% of the baseline; end: first
# evaluation below 0.9 × baseline), also with the stricter 0.8 × baseline and baseline − 0.5 nat rules.

# %%
log, base = res.log, res.baseline
start, end = res.plateau()
summary = dict(baseline=base, plateau_start=start, plateau_end=end,
               plateau_end_08=res.plateau(leave=0.8)[1], plateau_end_minus05=res.plateau(margin=0.5)[1],
               final_seen_loss=float(log.seen_loss.iloc[-1]), final_seen_acc=float(log.seen_acc.iloc[-1]),
               min_seen_loss=float(log.seen_loss.min()),
               final_unseen_loss=float(log.unseen_loss.iloc[-1]) if "unseen_loss" in log else None,
               final_unseen_acc=float(log.unseen_acc.iloc[-1]) if "unseen_acc" in log else None,
               non_embedding_params=res.model.num_params(), world_hash=world.content_hash(),
               steps_run=int(log.step.iloc[-1]), seconds=wall, seconds_per_step=wall / max(1, int(log.step.iloc[-1])), device=str(dev), sampler=repr(samp),
               switch_step=getattr(samp, 'switch_step', getattr(samp, 'warmup_steps', None)),
               final_auc_maxprob=float(log.auc_maxprob.iloc[-1]) if "auc_maxprob" in log else None)
write_json(Path(out_dir, "summary.json"), summary)
summary

# %% [markdown]
# ## Tables only the run can compute
# Figures read results, never checkpoints. With `attn_probe`, the attention metrics of
# `factdyn.attention.attention_metrics` (per layer and head) at every checkpoint, on a fixed probe of held-out
# templates of seen individuals, go to `attention.csv`. Power-law runs write the final loss and accuracy per
# popularity group (`rank_groups.csv`, `factdyn.curricula.rank_group_metrics`). With `order_probe`, the final model's attribute loss on
# four probes of 256 seen individuals — its held-out or its own training templates, in random or fixed sentence
# order — goes to `probe.json`.

# %%
if attn_probe:
    probe = make_eval_sets(world, attn_probe, seed=12345, sets=("seen",))["seen"]
    att = pd.concat([attention_metrics(model_from_checkpoint(p), probe, per_head=True).assign(step=s)
                     for s, p in checkpoints(out_dir).items()], ignore_index=True)
    atomic_write(Path(out_dir, "attention.csv"), att.to_csv(index=False))
if sampler == "power_law":
    atomic_write(Path(out_dir, "rank_groups.csv"), rank_group_metrics(world, res.model, n_eval, seed).to_csv(index=False))
if order_probe:
    rows = {}
    for split, split_name in (("eval", "held-out"), ("train", "training")):
        for shuf in (True, False):
            rng = np.random.default_rng(7)
            b = world.biographies(rng.choice(world.seen, size=256), rng, split=split, shuffle=shuf,
                                  train_templates=(train_templates or None) if split == "train" else None)
            rows[f"{split_name} templates, {'random' if shuf else 'fixed'} order"] = evaluate(res.model, b)["loss"]
    write_json(Path(out_dir, "probe.json"), rows)

# %%
fig = plot_phases(log, base, title=f"{n_individuals} individuals, {steps} steps")
atomic_write(Path(out_dir, "phases.png"), fig, lambda f, tmp: f.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
