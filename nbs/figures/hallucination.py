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
# # Figure: hallucinations appear with knowledge (paper Fig 5 left, Fig M)
#
# Reads the runs of the `phases` experiment: attribute loss, accuracy, mean max-probability and mean
# entropy of the value predictions for seen individuals (held-out templates) and never-seen individuals, and
# — beyond the paper — how well the max-probability separates seen from never-seen individuals (ROC AUC per
# evaluation). Writes `hallucination.png`, `hallucination_summary.md` and `hallucination.json`.

# %%
import json
from pathlib import Path
import numpy as np
import matplotlib.pyplot as plt
from factdyn.engine import collect, collect_summaries
from factdyn.metrics import plateau_bounds
from factdyn.analysis import md_table

# %% tags=["parameters"]
experiment: str = "phases"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
runs_root: str = "../runs"  # the run store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
df, summ = collect(experiment, preset, runs_root=runs_root), collect_summaries(experiment, preset, runs_root=runs_root)
assert len(summ), f"no completed runs of {experiment}/{preset} under {runs_root}"
fig_dir = Path(fig_dir); fig_dir.mkdir(parents=True, exist_ok=True)
s = summ.sort_values("seed").iloc[0]
log = df[df.run == s["run"]].sort_values("step").reset_index(drop=True)
base = float(s["baseline"])

# %%
#| label: fig-hallucination
#| fig-cap: "Seen (solid) and never-seen (dashed) individuals through training: attribute loss with the baseline, accuracy, mean max-probability and mean entropy of the value predictions, and the ROC AUC of max-probability as a seen-vs-unseen detector. The shaded band is the plateau of the seen individuals."
fig, axes = plt.subplots(1, 5, figsize=(17, 3.3))
start, end = plateau_bounds(log.step, log.seen_loss, base)
for ax, col, lab in zip(axes, ["loss", "acc", "maxprob", "entropy"], ["attribute loss", "accuracy", "max probability", "entropy (nats)"]):
    ax.plot(log.step, log[f"seen_{col}"], color="C0", label="seen")
    ax.plot(log.step, log[f"unseen_{col}"], color="C3", ls="--", label="never seen")
    ax.set_title(lab); ax.set_xlabel("step")
axes[0].axhline(base, color="grey", lw=1, label="baseline"); axes[0].set_yscale("log")
axes[4].plot(log.step, log.auc_maxprob, color="k"); axes[4].axhline(0.5, color="grey", lw=1)
axes[4].set_title("ROC AUC, max-prob: seen vs never seen"); axes[4].set_xlabel("step"); axes[4].set_ylim(0.3, 1.02)
for ax in axes:
    if start is not None: ax.axvspan(start, end if end is not None else log.step.max(), color="grey", alpha=0.12, lw=0)
axes[0].legend(fontsize=8)
fig.tight_layout(); fig.savefig(fig_dir / "hallucination.png", dpi=120, bbox_inches="tight")

# %% [markdown]
# ## Numbers beside the paper's
# When does the never-seen loss rise? Its minimum comes at the end of phase 1 (at or a little above the
# baseline); `rise_step` is the first evaluation after that minimum where the loss exceeds
# 1.1 × max(baseline, minimum), compared with the plateau end of the seen individuals.

# %%
i_min = int(log.unseen_loss.values.argmin())
ref = 1.1 * max(base, float(log.unseen_loss.min()))
after = log.iloc[i_min:]
cross = int(after.step[after.unseen_loss > ref].iloc[0]) if (after.unseen_loss > ref).any() else None
last = log.iloc[-1]
ours = dict(unseen_over_base=float(last.unseen_loss / base), unseen_loss=float(last.unseen_loss),
            rise_step=cross, unseen_min_step=int(log.step[i_min]), unseen_min=float(log.unseen_loss.min()), plateau_end=end, seen_maxprob=float(last.seen_maxprob), unseen_maxprob=float(last.unseen_maxprob),
            seen_entropy=float(last.seen_entropy), unseen_entropy=float(last.unseen_entropy),
            auc_end=float(last.auc_maxprob), auc_max=float(log.auc_maxprob.max()),
            auc_at_plateau_end=float(log.auc_maxprob[log.step == end].iloc[0]) if end is not None else None)
rows = [
    dict(quantity="never-seen loss at the end / baseline", paper="≈2.3 (15–16 nats / 6.78)", ours=ours["unseen_over_base"]),
    dict(quantity="never-seen loss: minimum (step)", paper="the baseline, phase 1 end", ours=ours["unseen_min_step"]),
    dict(quantity="never-seen loss rises above 1.1 × baseline (step)", paper="≈4k, with knowledge", ours=ours["rise_step"]),
    dict(quantity="plateau end of seen individuals (step)", paper="≈3.4k", ours=ours["plateau_end"]),
    dict(quantity="max-probability at the end: seen / never seen", paper="≈1.0 / ≈0.8",
         ours=f"{ours['seen_maxprob']:.3f} / {ours['unseen_maxprob']:.3f}"),
    dict(quantity="entropy at the end: seen / never seen (nats)", paper="≈0.02 / ≈0.7",
         ours=f"{ours['seen_entropy']:.3f} / {ours['unseen_entropy']:.3f}"),
    dict(quantity="ROC AUC of max-prob, seen vs never seen, at the end", paper="not measured (\"to some extent\")", ours=ours["auc_end"]),
]
table = md_table(rows)
(fig_dir / "hallucination_summary.md").write_text(table)
(fig_dir / "hallucination.json").write_text(json.dumps(ours, indent=1))
print(table)
