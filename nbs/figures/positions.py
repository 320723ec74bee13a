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
# # Figure: learned absolute vs rotary positions (plateau issue, step 0)
#
# The paper's model follows Chinchilla (Gopher family: relative positions); ours had learned absolute positions.
# Attending to "the previous one or two tokens" is one pattern with relative positions but has to be learned for
# every absolute position pair with learned ones. This notebook compares the two at the phases setting, seed by
# seed: the end of phase 1 (the loss first within 10% of the baseline), the plateau end (first evaluation below
# 0.9 × baseline), exposures per individual at the plateau end, steps to 50% and 90% held-out accuracy, the final
# loss, and the best attention head of the first layer (name → name) and of the last layer (value position → any
# name) through training. Writes `positions.png`, `positions_attention.png`, `positions_summary.md`, `positions.json`.

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from factdyn.runs import figure_inputs, wall_time
from factdyn.figstyle import figure, draw_baseline, save_figure, write_text_atomic, write_json_atomic, SEEN, UNSEEN
from factdyn.analysis import md_table, fmt

# %% tags=["parameters"]
experiment: str = "positions"  # experiment whose results are plotted
preset: str = "smoke"  # preset of those results
store: str = "../results"  # the results store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
fi = figure_inputs(experiment, preset, store, fig_dir)
S, M = fi.summaries, fi.metrics
base = float(S.baseline.iloc[0])
N, B = int(S.n_individuals.iloc[0]), int(S.batch_size.iloc[0])

def first_step(log, col, thr):
    hit = log.step[log[col] >= thr]
    return int(hit.iloc[0]) if len(hit) else None

rows = []
for r in fi.runs:
    s, log = r.summary, r.metrics
    end = s["plateau_end"]
    rows.append(dict(pos=r.params["pos"], seed=r.params["seed"], phase1_end=s["plateau_start"], plateau_end=end,
                     plateau_over_phase1=None if end is None or not s["plateau_start"] else end / s["plateau_start"],
                     exposures_at_end=None if end is None else end * B / N,
                     step_acc50=first_step(log, "seen_acc", 0.5), step_acc90=first_step(log, "seen_acc", 0.9),
                     final_loss=s["final_seen_loss"], final_acc=s["final_seen_acc"],
                     unseen_over_base=s["final_unseen_loss"] / base, seconds=r.done.get("seconds")))
per_seed = pd.DataFrame(rows).sort_values(["pos", "seed"]).reset_index(drop=True)
per_seed

# %% [markdown]
# ## Loss curves, every seed
# Seen individuals (held-out templates) solid, never-seen dashed; one line per seed.

# %%
kinds = sorted(per_seed.pos.unique())
def mean_of(col, pos):
    v = per_seed.loc[per_seed.pos == pos, col].dropna()
    return float(v.mean()) if len(v) else None
ends = {k: mean_of("plateau_end", k) for k in kinds}
title = "Plateau end, mean over seeds: " + ", ".join(f"{k} {'not reached' if ends[k] is None else f'step {ends[k]:.0f}'}" for k in kinds)
fig, axes = figure(1, len(kinds), sharey=True)
axes = np.atleast_1d(axes)
for ax, k in zip(axes, kinds):
    for r in (r for r in fi.runs if r.params["pos"] == k):
        log = r.metrics
        ax.plot(log.step, log.seen_loss, color=SEEN, alpha=0.8, lw=1.2, label="seen" if r.params["seed"] == per_seed.seed.min() else None)
        ax.plot(log.step, log.unseen_loss, "--", color=UNSEEN, alpha=0.8, lw=1.2, label="never seen" if r.params["seed"] == per_seed.seed.min() else None)
    draw_baseline(ax, base)
    ax.set_yscale("log"); ax.set_xlabel("training step"); ax.set_title(f"{k} positions")
axes[0].set_ylabel("attribute loss (nats)"); axes[0].legend(loc="lower left")
fig.suptitle(title)
save_figure(fig, fi.fig_dir / "positions.png")

# %% [markdown]
# ## The best head through training
# From each run's `attention.csv` (per layer and head, on a fixed probe of held-out templates): the first layer's
# largest name → name mass (same name occurrence, query token excluded) and the last layer's largest mass from the
# value-predicting position to any earlier name token, each over heads; seeds averaged.

# %%
att = pd.concat([r.table("attention").assign(pos=r.params["pos"], seed=r.params["seed"]) for r in fi.runs
                 if r.table("attention") is not None], ignore_index=True)
L = int(att.layer.max())
best = lambda layer, col: (att[att.layer == layer].groupby(["pos", "seed", "step"])[col].max()
                           .groupby(["pos", "step"]).mean().reset_index())
panels = [(0, "name_name", "layer 1: name → name"), (L, "attr_name_any", f"layer {L + 1}: value → any name")]
KIND_COLOR = {"learned": "C0", "rope": "C2"}
fig, axes = figure(1, 2)
for ax, (layer, col, name) in zip(axes, panels):
    b = best(layer, col)
    for k in kinds:
        g = b[b.pos == k]; ax.plot(g.step, g[col], color=KIND_COLOR.get(k), label=f"{k} positions")
    ax.set_ylim(0, 1); ax.set_xlabel("training step"); ax.set_ylabel("best head's attention mass"); ax.set_title(name)
axes[0].legend(loc="upper left")
finals = {k: float(best(0, "name_name").query("pos == @k").name_name.iloc[-1]) for k in kinds}
fig.suptitle("Layer-1 name grouping at the end: " + ", ".join(f"{k} {v:.2f}" for k, v in finals.items()))
save_figure(fig, fi.fig_dir / "positions_attention.png")

# %% [markdown]
# ## Numbers, per seed and mean
# The paper (64k individuals, batch 128): plateau from ≈ 300 to ≈ 3.4k steps, ≈ 6.7 exposures per individual at its end.

# %%
cols = ["phase1_end", "plateau_end", "plateau_over_phase1", "exposures_at_end", "step_acc50", "step_acc90", "final_loss",
        "final_acc", "unseen_over_base"]
mean = per_seed.groupby("pos")[cols].agg(lambda v: v.dropna().mean() if v.notna().any() else None)
spread = per_seed.groupby("pos")[cols].agg(lambda v: (v.max() - v.min()) if v.notna().sum() > 1 else None)
table = md_table(per_seed.to_dict("records"), ["pos", "seed", *cols]) + "\n" + md_table(
    [dict(pos=k, **{c: f"{fmt(mean.loc[k, c])} (±{fmt(spread.loc[k, c] / 2) if spread.loc[k, c] is not None else '—'})" for c in cols}) for k in kinds],
    ["pos", *cols])
wall, run_secs = wall_time(fi.runs)
write_text_atomic(fi.fig_dir / "positions_summary.md",
                  f"{len(fi.runs)} runs, {N} individuals, batch {B}; runs' own time {run_secs:,.0f} s. Mean (± half the range over seeds):\n\n" + table)
write_json_atomic(fi.fig_dir / "positions.json", dict(per_seed=per_seed.to_dict("records"), run_seconds=run_secs,
                                                      mean={k: mean.loc[k].to_dict() for k in kinds}))
print(table)
