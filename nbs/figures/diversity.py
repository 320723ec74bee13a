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
# # Figure: textual diversity is needed to learn facts (paper Fig A right, App. B.1)
#
# From the `diversity` runs in the results store (training templates per individual and attribute × random or
# fixed sentence order): `diversity.png` (final attribute loss on held-out templates against the number of
# training templates, beside the paper's values, and the loss curves), `diversity_summary.md` (our numbers beside
# the paper's), `diversity_probe.md` (each final model on four probes, written by the runs to `probe.json`) and
# `diversity.json`, into `fig_dir`. Several seeds of a setting: each faint, the mean in full; tables give the mean
# and range over seeds.
#
# Our world's baseline (5.69 nats with the CPU pools) differs from the paper's (6.78), so losses are compared
# as a fraction of each world's no-knowledge baseline. Evaluation biographies always use held-out templates
# in random order, also for the fixed-order runs.

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from factdyn.runs import figure_inputs, wall_time
from factdyn.figstyle import figure, save_figure, use_style, draw_baseline, write_text_atomic, SEEN, UNSEEN
from factdyn.analysis import plot_seeds, figure_legend, suptitle, plain_log_ticks, seed_stats, seed_rows, md_table, fmt_range, write_summary

# %% tags=["parameters"]
experiment: str = "diversity"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
store: str = "../results"  # the results store the runs are read from
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
PAPER_BASE = 6.78
PAPER = {(1, "random"): 4.5, (2, "random"): 6e-2, (4, "random"): 2.5e-2, (8, "random"): 1.5e-2, (16, "random"): 1.8e-2,
         (16, "fixed"): 8.5}                                            # final loss (nats), read off Fig A right
fi = figure_inputs(experiment, preset, store, fig_dir)
df, summ = fi.metrics, fi.summaries
for c in ["plateau_end", "final_seen_loss", "final_seen_acc", "baseline"]: summ[c] = pd.to_numeric(summ[c], errors="coerce")
summ["k"] = summ.train_templates.astype(int).replace(0, 20)                # 0 means all 20 training templates
summ["order"] = np.where(summ.shuffle.astype(bool), "random", "fixed")
summ["ratio"] = summ.final_seen_loss / summ.baseline
summ = summ.sort_values(["order", "k", "seed"], ascending=[False, True, True]).reset_index(drop=True)
conf = seed_stats(summ, ["order", "k"], ["ratio", "final_seen_loss", "final_seen_acc", "plateau_end"])
base = float(summ.baseline.iloc[0])
print(conf[["order", "k", "n_seeds", "ratio_mean", "ratio_min", "ratio_max", "plateau_end_n"]].to_string())
use_style()  # the project's figure style for what follows

# %%
#| label: fig-diversity
#| fig-cap: "Left: final attribute loss of seen individuals on held-out templates, as a fraction of the no-knowledge baseline, against the number of training templates per individual and attribute; blue circles: random sentence order, orange squares: fixed order (small: single seeds, large: their mean); hollow grey markers: the paper's values (Fig A right, read off the plot, over its baseline 6.78). Right: the loss curves (solid: random order, dashed: fixed order; colour: templates; faint: single seeds)."
fig, (ax, bx) = figure(1, 2, height=4.6)
for order, c, m in (("random", SEEN, "o"), ("fixed", UNSEEN, "s")):
    g, s = conf[conf.order == order], summ[summ.order == order]
    ax.plot(s.k, s.ratio, m, color=c, ms=3, alpha=0.4)
    ax.plot(g.k, g.ratio_mean, m + "-", color=c, label=f"ours, {order} order")
    pk = sorted(k for k, o in PAPER if o == order)
    ax.plot(pk, [PAPER[(k, order)] / PAPER_BASE for k in pk], m + ":", color="grey", mfc="none", ms=8, label=f"paper, {order} order")
draw_baseline(ax, 1.0)
ax.axhline(0.9, color="grey", lw=0.8, ls="--", label="0.9 × baseline (plateau exit)")
ax.set_xscale("log", base=2); ax.set_yscale("log"); plain_log_ticks(ax.yaxis)
ks = sorted(set(summ.k) | {1, 2, 4, 8, 16}); ax.set_xticks(ks, [str(k) for k in ks]); ax.minorticks_off()
ax.set_xlabel("training templates per individual and attribute"); ax.set_ylabel("final loss / baseline")
ax.set_title("final loss, held-out templates")
klo, khi = np.log2(summ.k.min()), np.log2(summ.k.max())
for (order, k), g in summ.groupby(["order", "k"], sort=False):
    col = plt.cm.viridis(0.05 + 0.8 * ((np.log2(k) - klo) / (khi - klo) if khi > klo else 0.5))
    plot_seeds(bx, df[df.run.isin(g.run)], "seen_loss", color=col, ls="-" if order == "random" else "--",
               label=f"{k} template{'s' * (k > 1)}, {order}")
draw_baseline(bx, base); bx.set_yscale("log"); plain_log_ticks(bx.yaxis)
bx.set_xlabel("training step"); bx.set_ylabel("attribute loss (nats)"); bx.set_title("loss curves, held-out templates")
figure_legend(fig)
rnd, fix = conf[conf.order == "random"], conf[conf.order == "fixed"]
rand1, rand2 = rnd[rnd.k == 1], rnd[rnd.k >= 2]
parts = [f"fixed order ends at {fmt_range(fix.ratio_mean, 2)}× the baseline" if len(fix) else "",
         f"random order with ≥ 2 templates at {fmt_range(rand2.ratio_mean, 2)}×" if len(rand2) else "",
         f"one random-order template at {fmt_range(rand1.ratio_mean, 2)}×" if len(rand1) else ""]
suptitle(fig, "Textual diversity: " + "; ".join(p for p in parts if p))
save_figure(fig, fi.fig_dir / "diversity.png")

# %% [markdown]
# ## Numbers beside the paper's
# The checks of the paper's three claims: fixed order ends at or above the baseline; one template learns
# badly; two or more random-order templates learn (final loss far below the baseline). Ranges are over settings,
# each setting the mean over its seeds.

# %%
wall, run_secs = wall_time(fi.runs)
fixed_runs = summ[summ.order == "fixed"]
checks = [
    dict(quantity="fixed order: final loss / baseline", paper=f"≈{8.5 / PAPER_BASE:.2f} (16 templates; ~8–9 nats)", ours=fmt_range(fix.ratio_mean)),
    dict(quantity="fixed order: runs ending at or above the baseline", paper="all", ours=f"{int((fixed_runs.ratio >= 1).sum())} of {len(fixed_runs)}"),
    dict(quantity="fixed order: runs that never left the plateau (0.9 × baseline)", paper="all (never learns)",
         ours=f"{int(fixed_runs.plateau_end.isna().sum())} of {len(fixed_runs)}"),
    dict(quantity="random order, 1 template: final loss / baseline", paper=f"≈{4.5 / PAPER_BASE:.2f} (~4.5 nats)", ours=fmt_range(rand1.ratio_mean)),
    dict(quantity="random order, ≥ 2 templates: final loss / baseline", paper=f"{1.5e-2 / PAPER_BASE:.1e}–{6e-2 / PAPER_BASE:.1e}", ours=fmt_range(rand2.ratio_mean)),
    dict(quantity="random order, ≥ 2 templates: final accuracy", paper="≈1 (plot)", ours=fmt_range(rand2.final_seen_acc_mean)),
    dict(quantity="individuals / steps / batch / seeds per setting", paper="64k / 16k / 128 / 1",
         ours=f"{int(summ.n_individuals.iloc[0]):,} / {int(summ.steps.iloc[0]):,} / {int(summ.batch_size.iloc[0])} / {fmt_range(conf.n_seeds)}"),
    dict(quantity="wall time of the experiment (s)", paper="163 TPUv3 h train", ours=f"{wall:,.0f} (runs' own time {run_secs:,.0f})"),
]
ours = seed_rows(summ, ["k", "order"], {"ours final loss (nats)": "final_seen_loss", "ours / baseline": "ratio",
                                        "ours final accuracy": "final_seen_acc", "plateau end (step)": "plateau_end"})
per_setting = [{"k": r["k"], "order": r["order"], "paper final loss (nats)": (p := PAPER.get((r["k"], r["order"]))),
                "paper / baseline": None if p is None else p / PAPER_BASE, **r} for r in ours]
table = md_table(checks) + "\n" + md_table(per_setting)

# %% [markdown]
# ## Where the sentence order matters
# Each run's final model on four probes of 256 seen individuals (`probe.json`, written by the run): its held-out
# templates or its own training templates, each in random or in the fixed attribute order. A model that fails only
# on random-order probes has learned the facts but tied them to positions in the biography; one that fails on its
# own fixed-order training distribution has not learned them at all.

# %%
probes = pd.DataFrame([dict(run=r.name, **p) for r in fi.runs if (p := r.table("probe")) is not None])
PROBES = [c for c in probes.columns if c != "run"]
probe_rows = seed_rows(summ.merge(probes, on="run"), ["k", "order"], {c: c for c in PROBES}) if len(probes) else []
probe = "Final attribute loss (nats) on each probe.\n\n" + (md_table(probe_rows) if probe_rows else "no run wrote probe.json\n")
write_summary(fi.fig_dir, "diversity", table, dict(
    baseline=base, paper_baseline=PAPER_BASE, wall_seconds=wall, run_seconds=run_secs,
    fixed_min_ratio=fix.ratio_mean.min() if len(fix) else None, random1_ratio=rand1.ratio_mean.min() if len(rand1) else None,
    random2plus_max_ratio=rand2.ratio_mean.max() if len(rand2) else None, settings=conf.to_dict("records"),
    probe=(summ[["k", "order", "seed", "run"]].merge(probes, on="run").to_dict("records") if len(probes) else [])))
write_text_atomic(fi.fig_dir / "diversity_probe.md", probe)
print(table); print(probe)
