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
# # Train on groups of individuals, one group at a time
#
# The papermill template behind the continual-learning probe of App. F.5 (paper Figs S, T, V): the seen
# population is split into equal, seeded groups, and training draws uniformly from one group at a time, in
# stages of `steps // stages` steps — the groups one after another (`sequential`,
# `factdyn.data.SequentialGroupsSampler`), or the two halves in turn, `n_loops` times (`alternating`,
# `AlternatingGroupsSampler`). Every group has its own evaluation set of held-out templates
# (`factdyn.curricula.group_eval_sets`), so `metrics.csv` holds `g0_acc`, `g0_loss`, `g1_acc`, … (and `seen_*` for
# everyone). Writes `metrics.csv`, `summary.json` and `groups.json` into `out_dir`; with `attn_probe`, the attention
# metrics per layer and head at every checkpoint (paper Fig X) to `attention.csv`, as the train template does. Defaults are test-sized;
# `experiments/groups.yaml` sets the real sizes.

# %%
# factdyn-template-version: 1  (the run hash: this name, this version and the parameters set; bump it when an edit
# changes what an existing parameter setting computes, not when a parameter is added whose default keeps the old behaviour)
import tempfile, time
from pathlib import Path
from factdyn.data import World, WorldConfig, make_sampler
import pandas as pd
from factdyn.train import TrainConfig, train, default_model_config, make_eval_sets
from factdyn.curricula import group_eval_sets, stage_table
from factdyn.figstyle import json_plain
from factdyn.runs import write_json, atomic_write, checkpoints, model_from_checkpoint
from factdyn.attention import attention_metrics
from factdyn.analysis import pick_device, set_threads_from_env

# %% tags=["parameters"]
out_dir: str = ""  # folder for metrics.csv, summary.json, groups.json and the checkpoints (empty: a new temporary folder)
groups: str = "sequential"  # sequential: n_groups groups one after another; alternating: the two halves in turn {sequential|alternating}
n_groups: int = 4  # sequential: number of equal groups the population is split into [1, ]
n_loops: int = 2  # alternating: loops of (first half, then second half) [1, ]
n_individuals: int = 100  # individuals seen in training, a multiple of the number of groups [2, ]
pools: str = "cpu"  # value-pool sizes: the CPU-scale pools (baseline 5.69) or the paper's (6.78) {cpu|paper}
seed: int = 0  # seed of the world (and so of the groups), the initialisation and the data stream [0, ]
n_layer: int = 1  # transformer layers [1, ]
n_head: int = 2  # attention heads [1, ]
d_model: int = 32  # residual width [8, ]
d_mlp: int = 64  # MLP hidden width [8, ]
pos: str = "learned"  # position encoding: learned absolute embeddings or rotary (relative) {learned|rope}
steps: int = 40  # training steps; each stage lasts steps // stages, a remainder stays on the last group [1, ]
batch_size: int = 16  # sequences per step [1, ]
lr: float = 0.003  # peak learning rate [1e-06, 1.0]
weight_decay: float = 0.1  # AdamW weight decay on matrices [0.0, ]
schedule: str = "cosine"  # learning-rate schedule over the whole run (Fig S: cosine, Fig T: constant) {cosine|constant}
n_eval: int = 16  # biographies per evaluation set: one set per group and one of everyone [1, ]
n_evals: int = 8  # evenly spaced evaluations; a multiple of the number of stages puts one at every switch [1, ]
level: float = 0.5  # accuracy whose first crossing in a stage is reported, in steps after the stage's start [0.0, 1.0]
after: int = 300  # forgetting: a group's accuracy this many steps after its stage ends (nearest evaluation) [1, ]
n_checkpoints: int = 0  # checkpoints besides the final one [0, ]
attn_probe: int = 0  # biographies of the per-head attention probe run on every checkpoint, to attention.csv (0: none) [0, ]
device: str = "cpu"  # where to train {cpu|cuda|auto}

# %%
set_threads_from_env()
dev = pick_device(device)
n_stages = n_groups if groups == "sequential" else 2 * n_loops
if steps < n_stages: raise ValueError(f"steps={steps} cannot hold {n_stages} stages of at least one step")
out_dir = out_dir or tempfile.mkdtemp(prefix="factdyn-groups-")
wkw = dict(n_individuals=n_individuals, n_unseen=0, seed=seed)
world = World(WorldConfig.paper(**wkw) if pools == "paper" else WorldConfig(**wkw))
samp = make_sampler(f"{groups}_groups", world, n_groups=n_groups, n_loops=n_loops, stage_steps=steps // n_stages)
tc = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, weight_decay=weight_decay, schedule=schedule, seed=seed,
                 n_eval=n_eval, n_evals=n_evals, n_dense=0, n_checkpoints=n_checkpoints)
mc = default_model_config(world, n_layer=n_layer, n_head=n_head, d_model=d_model, d_mlp=d_mlp, pos=pos)
stages = samp.stages(steps)
print(world, samp, f"switch steps {samp.switch_steps}", sep="\n")

# %%
t0 = time.time()
res = train(world, tc, mc, out_dir=out_dir, sampler=samp, eval_sets=group_eval_sets(world, samp.groups, n_eval, seed),
            device=dev)
wall = time.time() - t0

# %% [markdown]
# ## Summary
# Per stage (`factdyn.curricula.stage_table`): the trained group's accuracy at the stage's start and end, the steps
# until it first reaches `level` within the stage, and its accuracy `after` steps past the stage's end. Per group
# (`g<k>_…`): those of its first stage, and its final accuracy. With `attn_probe`, the attention metrics of every
# checkpoint go to `attention.csv`, and the best head's grouping and extraction masses at the first switch and their
# lowest value after it to the summary (`attn_*`).

# %%
log = res.log
st = stage_table(log, stages, level, after)
attn = {}
if attn_probe:   # a fixed probe of held-out templates over the whole population, whichever group is being trained
    probe = make_eval_sets(world, attn_probe, seed=12345, sets=("seen",))["seen"]
    att = pd.concat([attention_metrics(model_from_checkpoint(p), probe, per_head=True).assign(step=s)
                     for s, p in checkpoints(out_dir).items()], ignore_index=True)
    atomic_write(Path(out_dir, "attention.csv"), att.to_csv(index=False))
    # the best head's grouping (layer 1, name -> name) and extraction (last layer, attribute -> any name) at the
    # checkpoint nearest the first switch, and their lowest value from there on (paper Fig X: they stay high)
    first = samp.switch_steps[0] if samp.switch_steps else 0
    for key, col, layer in (("grouping", "name_name", 0), ("extraction", "attr_name_any", int(att.layer.max()))):
        best = att[att.layer == layer].groupby("step")[col].max()
        at = best.iloc[int(abs(best.index.values - first).argmin())]
        attn |= {f"attn_{key}_at_switch": at, f"attn_{key}_min_after": best[best.index >= first].min() if (best.index >= first).any() else at}
first = st.drop_duplicates("group").set_index("group")      # each group's first stage (its only one when sequential)
per_group = {f"g{k}_{c}": r[c] for k, r in first.iterrows() for c in ("steps_to_level", "acc_after")}
per_group |= {f"g{k}_final_acc": log[f"g{k}_acc"].iloc[-1] for k in range(len(samp.groups))}
summary = json_plain(dict(
    baseline=res.baseline, groups=groups, n_groups=len(samp.groups), n_loops=n_loops if groups == "alternating" else None,
    n_stages=n_stages, stage_steps=samp.stage_steps, switch_steps=samp.switch_steps, level=level, after=after,
    group_sizes=[len(g) for g in samp.groups], **per_group, final_seen_loss=log.seen_loss.iloc[-1],
    final_seen_acc=log.seen_acc.iloc[-1], stages=st.to_dict("records"), world_hash=world.content_hash(),
    sampler=repr(samp), steps_run=int(log.step.iloc[-1]), **attn, seconds=wall, device=str(dev)), digits=None)
write_json(Path(out_dir, "summary.json"), summary)
write_json(Path(out_dir, "groups.json"), dict(switch_steps=samp.switch_steps, group_sizes=summary["group_sizes"], stages=stages))
st
