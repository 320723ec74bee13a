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
# From the `phases` runs in the results store: attribute loss, accuracy, mean max-probability and mean entropy of
# the value predictions for seen individuals (held-out templates) and never-seen individuals, and — beyond the
# paper — how well the max-probability separates seen from never-seen individuals (ROC AUC per evaluation).
# Each seed faint, the mean over seeds in full; the plateau of the mean seen-loss curve shaded. Writes
# `hallucination.png`, `hallucination_summary.md` and `hallucination.json` into `fig_dir`.

# %%
import numpy as np
import pandas as pd
from factdyn.runs import figure_inputs
from factdyn.figstyle import figure, save_figure, use_style, draw_baseline, shade_plateau, SEEN, UNSEEN
from factdyn.metrics import plateau_bounds
from factdyn.analysis import plot_seeds, figure_legend, suptitle, plain_log_ticks, plateau_text, md_table, fmt_seeds, write_summary

# %% tags=["parameters"]
experiment: str = "phases"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
store: str = "../results"  # the results store the runs are read from
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
fi = figure_inputs(experiment, preset, store, fig_dir)
df, summ = fi.metrics.sort_values("step"), fi.summaries.sort_values("seed").reset_index(drop=True)
base, T = float(summ.baseline.iloc[0]), int(summ.steps.iloc[0])
mean = df.groupby("step")[["seen_loss", "unseen_loss", "auc_maxprob"]].mean()
start, end = plateau_bounds(mean.index, mean.seen_loss, base)
use_style()  # the project's figure style for what follows

# %% [markdown]
# When does the never-seen loss rise? Its minimum comes at the end of phase 1 (at or a little above the
# baseline); the rise is the first evaluation after that minimum where the loss exceeds 1.1 × max(baseline,
# minimum), compared with the plateau end of the seen individuals. Computed per seed.

# %%
def numbers(g) -> dict:
    "The hallucination numbers of one run's metrics."
    i = int(g.unseen_loss.values.argmin())
    after = g.iloc[i:]
    up = after.step[after.unseen_loss > 1.1 * max(base, float(g.unseen_loss.min()))]
    last = g.iloc[-1]
    end_auc = g.auc_maxprob[g.step == end]
    return dict(unseen_over_base=last.unseen_loss / base, unseen_loss=last.unseen_loss, unseen_min=g.unseen_loss.min(),
                unseen_min_step=g.step.iloc[i], rise_step=up.iloc[0] if len(up) else np.nan,
                seen_maxprob=last.seen_maxprob, unseen_maxprob=last.unseen_maxprob, seen_entropy=last.seen_entropy,
                unseen_entropy=last.unseen_entropy, auc_end=last.auc_maxprob, auc_max=g.auc_maxprob.max(),
                auc_at_plateau_end=end_auc.iloc[0] if len(end_auc) else np.nan)

seeds = pd.DataFrame([dict(run=r, **numbers(g.reset_index(drop=True))) for r, g in df.groupby("run")])
seeds = seeds.merge(summ[["run", "plateau_end"]], on="run")
seeds["plateau_end"] = pd.to_numeric(seeds.plateau_end, errors="coerce")
rise = seeds.rise_step.mean()
print(seeds.T)

# %%
#| label: fig-hallucination
#| fig-cap: "Seen (solid) and never-seen (dashed) individuals through training: attribute loss with the no-knowledge baseline, accuracy, mean max-probability and mean entropy of the value predictions, and the ROC AUC of max-probability as a seen-vs-never-seen detector (dotted: chance). Shaded: the plateau of the seen individuals. Faint lines: single seeds."
fig, axes = figure(2, 3, height=5.6)
PANELS = [("loss", "attribute loss (nats)"), ("acc", "attribute accuracy"), ("maxprob", "mean max-probability"),
          ("entropy", "mean entropy (nats)")]
for ax, (col, lab) in zip(axes.flat, PANELS):
    plot_seeds(ax, df, f"seen_{col}", label="seen individuals (held-out templates)", color=SEEN)
    plot_seeds(ax, df, f"unseen_{col}", label="never-seen individuals", color=UNSEEN, ls="--")
    ax.set_ylabel(lab)
for ax in axes.flat[1:3]: ax.set_ylim(-0.02, 1.02)
ax = axes.flat[4]
plot_seeds(ax, df, "auc_maxprob", label="ROC AUC of max-probability", color="k")
ax.axhline(0.5, color="grey", lw=1, ls=":", label="chance (AUC 0.5)"); ax.set_ylim(0.3, 1.02); ax.set_ylabel("ROC AUC, seen vs never seen")
draw_baseline(axes.flat[0], base); axes.flat[0].set_yscale("log"); plain_log_ticks(axes.flat[0].yaxis)
for ax in axes.flat[:5]:
    ax.set_xlabel("training step"); shade_plateau(ax, start, end)
fig.delaxes(axes.flat[5])
figure_legend(fig, ncol=2)
rise_txt = f"rises at step {rise:,.0f}" if np.isfinite(rise) else f"does not rise in {T:,} steps"
suptitle(fig, f"Never-seen loss {rise_txt} and ends at {seeds.unseen_over_base.mean():.2g}× the baseline",
         f"Seen individuals: {plateau_text(start, end, T)}; max-probability AUC {seeds.auc_end.mean():.2f} at the end")
save_figure(fig, fi.fig_dir / "hallucination.png")

# %% [markdown]
# ## Numbers beside the paper's
# Ours: mean over seeds with their range.

# %%
rows = [
    dict(quantity="never-seen loss at the end / baseline", paper="≈2.3 (15–16 nats / 6.78)", ours=fmt_seeds(seeds.unseen_over_base)),
    dict(quantity="never-seen loss: minimum (step)", paper="the baseline, phase 1 end", ours=fmt_seeds(seeds.unseen_min_step)),
    dict(quantity="never-seen loss rises above 1.1 × baseline (step)", paper="≈4k, with knowledge", ours=fmt_seeds(seeds.rise_step)),
    dict(quantity="plateau end of seen individuals (step)", paper="≈3.4k", ours=fmt_seeds(seeds.plateau_end)),
    dict(quantity="max-probability at the end: seen / never seen", paper="≈1.0 / ≈0.8",
         ours=f"{fmt_seeds(seeds.seen_maxprob)} / {fmt_seeds(seeds.unseen_maxprob)}"),
    dict(quantity="entropy at the end: seen / never seen (nats)", paper="≈0.02 / ≈0.7",
         ours=f"{fmt_seeds(seeds.seen_entropy)} / {fmt_seeds(seeds.unseen_entropy)}"),
    dict(quantity="ROC AUC of max-prob, seen vs never seen, at the end", paper="not measured (\"to some extent\")", ours=fmt_seeds(seeds.auc_end)),
]
table = md_table(rows)
write_summary(fi.fig_dir, "hallucination", table, dict(seeds=len(seeds), mean_curve_plateau=[start, end],
              **seeds.drop(columns="run").mean().to_dict(), per_seed=seeds.to_dict("list")))
print(table)
