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
# # Figure: fine-tuning on new individuals, replay, and rare individuals (paper Fig 5 middle/right, Figs N, O, P)
#
# One figure notebook for the three fine-tuning experiments; the runs' varying parameter (`n_new`,
# `replay_weight` or `pool`) labels the curves. Writes `<experiment>.png` (old and fine-tuning individuals'
# loss and accuracy against fine-tuning steps, and the loss-vs-loss trajectory), `<experiment>_attention.png`
# (attention metrics of the old individuals during fine-tuning, Fig O), `<experiment>_summary.md` and
# `<experiment>.json`.

# %%
import json
from pathlib import Path
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from factdyn.engine import collect, collect_summaries, find_root
from factdyn.analysis import md_table

# %% tags=["parameters"]
experiment: str = "finetune"  # experiment whose runs are plotted (finetune, replay or finetune_rare)
preset: str = "smoke"  # preset of those runs
runs_root: str = "../runs"  # the run store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
df, summ = collect(experiment, preset, runs_root=runs_root), collect_summaries(experiment, preset, runs_root=runs_root)
assert len(summ), f"no completed runs of {experiment}/{preset} under {runs_root}"
fig_dir = Path(fig_dir); fig_dir.mkdir(parents=True, exist_ok=True)
key = next(k for k in ("replay_weight", "n_new", "pool") if k in summ and summ[k].nunique() > 1) if len(summ) > 1 else \
    {"replay": "replay_weight", "finetune_rare": "pool"}.get(experiment, "n_new")
summ = summ.sort_values(key, ascending=key != "replay_weight").reset_index(drop=True)
base = float(summ.baseline.iloc[0])
label = {"n_new": lambda v: f"{int(v)} new", "replay_weight": lambda v: f"w = {v:g}", "pool": lambda v: f"fine-tune on {v}"}[key]
colors = plt.cm.viridis(np.linspace(0, 0.9, len(summ)))
print(f"{len(summ)} runs, varying {key}: {list(summ[key])}")

# %%
#| label: fig-finetune
#| fig-cap: "Fine-tuning: attribute loss and accuracy of the pre-training ('old', solid) and fine-tuning ('new', dashed) individuals against fine-tuning steps (symlog axis, so the first steps show), and the trajectory of fine-tuning loss against old loss (right; the dot marks the start)."
fig, axes = plt.subplots(1, 3, figsize=(15, 3.8))
for c, (_, s) in zip(colors, summ.iterrows()):
    log = df[df.run == s["run"]].sort_values("step")
    axes[0].plot(log.step, log.old_loss, color=c, label=label(s[key])); axes[0].plot(log.step, log.new_loss, color=c, ls="--")
    axes[1].plot(log.step, log.old_acc, color=c); axes[1].plot(log.step, log.new_acc, color=c, ls="--")
    axes[2].plot(log.old_loss, log.new_loss, color=c, marker=".", ms=3); axes[2].plot(log.old_loss.iloc[:1], log.new_loss.iloc[:1], "o", color=c)
axes[0].axhline(base, color="grey", lw=1); axes[0].set_yscale("log"); axes[0].set_ylabel("attribute loss")
axes[1].set_ylabel("attribute accuracy"); axes[1].set_ylim(-0.02, 1.02)
for a in axes[:2]: a.set_xscale("symlog", linthresh=10); a.set_xlim(left=0); a.set_xlabel("fine-tuning step")
axes[2].set_xscale("log"); axes[2].set_yscale("log"); axes[2].set_xlabel("old individuals' loss"); axes[2].set_ylabel("fine-tuning individuals' loss")
axes[2].axvline(base, color="grey", lw=1); axes[2].axhline(base, color="grey", lw=1)
axes[0].legend(fontsize=7)
fig.suptitle(f"{experiment} ({preset})"); fig.tight_layout()
fig.savefig(fig_dir / f"{experiment}.png", dpi=120, bbox_inches="tight")

# %%
#| label: fig-finetune-attention
#| fig-cap: "Attention metrics of the old individuals' biographies during fine-tuning (first layer's name→name, last layer's attribute→name and attribute→text): nearly flat if attention is not what fine-tuning disrupts."
root = Path(runs_root) / experiment / preset
atts = []
for _, s in summ.iterrows():
    f = root / s["run"] / "attention.csv"
    if f.exists(): atts.append(pd.read_csv(f).assign(**{key: s[key]}))
att_summary = {}
if atts:
    att = pd.concat(atts)
    L = int(att.layer.max())
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.3))
    for c, (v, g) in zip(colors, att.groupby(key, sort=False)):
        axes[0].plot(g[g.layer == 0].step, g[g.layer == 0].name_name, color=c, marker=".", label=label(v))
        axes[1].plot(g[g.layer == L].step, g[g.layer == L].attr_name, color=c, marker=".")
        axes[2].plot(g[g.layer == L].step, g[g.layer == L].attr_text, color=c, marker=".")
        first, lastrow = g[g.step == g.step.min()], g[g.step == g.step.max()]
        att_summary[str(v)] = {m: (float(first[first.layer == l][m].iloc[0]), float(lastrow[lastrow.layer == l][m].iloc[0]))
                               for m, l in (("name_name", 0), ("attr_name", L), ("attr_text", L))}
    for a, t in zip(axes, ["layer 1: name → name", f"layer {L + 1}: attribute → name", f"layer {L + 1}: attribute → text"]):
        a.set_title(t); a.set_xlabel("fine-tuning step"); a.set_ylim(0, 1)
    axes[0].legend(fontsize=7); fig.tight_layout()
    fig.savefig(fig_dir / f"{experiment}_attention.png", dpi=120, bbox_inches="tight")

# %% [markdown]
# ## Numbers
# Per run: old-individual loss before fine-tuning, its maximum within the first 10% of the fine-tuning steps and
# the ratio of the two (the collapse), and the final losses and accuracies of both groups.

# %%
cols = [key, "new_share", "old_loss_before", "old_loss_early_max", "old_loss_early_ratio", "old_acc_before",
        "old_acc_early_min", "final_old_loss", "final_old_acc", "final_new_loss", "final_new_acc"]
table = md_table(summ[cols].to_dict("records"))
(fig_dir / f"{experiment}_summary.md").write_text(table)
(fig_dir / f"{experiment}.json").write_text(json.dumps(dict(runs=summ[cols].to_dict("records"), attention=att_summary), indent=1, default=float))
print(table)
