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
# # Figure: how long the plateau lasts (paper Fig 2 right, Fig C population panel)
#
# From the `scaling` runs in the results store (one model per population size N, possibly several seeds each):
# `scaling.png` (plateau end against N on log–log axes, in steps and in exposures per individual, with our
# power-law fits and the paper's fit `0.43 · N^0.81` steps at batch 128 rescaled to our batch through exposures
# per individual), `scaling_curves.png` (the loss curves against steps and against exposures per individual),
# `scaling_summary.md` (our numbers beside the paper's) and `scaling.json`, into `fig_dir`.
#
# Plateau bounds are those of the library's detector, written by the train template into `summary.json`
# (`factdyn.metrics.plateau_bounds`: start = first evaluation within 10% of the baseline; end = first
# evaluation after it below 0.9 × baseline, on a 3-point running median). The fit (on every run, seeds included)
# is repeated with the stricter 0.8 × baseline and baseline − 0.5 nat rules, and drawn only over the N it was
# fitted on. Runs that never reach the baseline or never leave the plateau are drawn at their step budget (a
# lower bound) and listed, never dropped silently.

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from factdyn.runs import figure_inputs, wall_time
from factdyn.figstyle import figure, save_figure, use_style, draw_baseline
from factdyn.analysis import (plot_seeds, figure_legend, suptitle, plain_log_ticks, bootstrap_power_law, seed_stats, seed_rows,
                              md_table, fmt_range, write_summary)

# %% tags=["parameters"]
experiment: str = "scaling"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
store: str = "../results"  # the results store the runs are read from
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
fi = figure_inputs(experiment, preset, store, fig_dir)
df, summ = fi.metrics, fi.summaries.sort_values(["n_individuals", "seed"]).reset_index(drop=True)
RULES = {"0.9 × baseline": "plateau_end", "0.8 × baseline": "plateau_end_08", "baseline − 0.5 nat": "plateau_end_minus05"}
PAPER = dict(a=0.43, b=0.81, r2=0.998, batch=128, N_lo=4_000, N_hi=256_000, steps=16_000)
for c in ["plateau_start", *RULES.values(), "final_seen_loss", "final_seen_acc", "baseline", "seconds"]:
    summ[c] = pd.to_numeric(summ[c], errors="coerce")            # None (not reached) -> NaN
if "steps_run" not in summ: summ["steps_run"] = summ.steps            # runs from before stop_below ran every step
N, B, T = summ.n_individuals.astype(float), summ.batch_size.astype(float), summ.steps.astype(float)
base, B0 = float(summ.baseline.iloc[0]), float(B.iloc[0])
if B.nunique() > 1: print(f"warning: batch sizes differ across runs ({sorted(B.unique())}); steps are not comparable, exposures are")
summ["status"] = np.where(summ.plateau_start.isna(), "never reached the baseline",
                          np.where(summ.plateau_end.isna(), "never left the plateau", "left the plateau"))
summ["exposures_end"], summ["exposures_end_08"] = summ.plateau_end * B / N, summ.plateau_end_08 * B / N
summ["plateau_length"] = summ.plateau_end - summ.plateau_start
summ["budget_exposures"] = T * B / N
per_n = seed_stats(summ, "n_individuals", ["plateau_start", "plateau_end", "plateau_end_08", "steps", "exposures_end"])
df["exposures"] = df.step * df.batch_size / df.n_individuals
print(summ[["n_individuals", "seed", "steps", "plateau_start", "plateau_end", "plateau_end_08", "exposures_end", "status"]].to_string())
use_style()  # the project's figure style for what follows

# %% [markdown]
# ## Power-law fits
# `bootstrap_power_law` fits `plateau_end = a · N^b` by least squares in log–log space (R² in log space) on the
# mean over seeds at each N (runs whose plateau end was found), with a 90% interval for the exponent from
# resampling the seeds within each N; it needs at least two distinct population sizes. The exponent of exposures per
# individual at plateau end is `b − 1`. The plateau length (end − start) is fitted too: phase 1 takes a roughly
# fixed number of steps whatever N, which flattens the plateau-end curve at small N.

# %%
fits = {rule: bootstrap_power_law(N, summ[col]) for rule, col in RULES.items()}
fits["plateau length (end − start), 0.9 × baseline"] = bootstrap_power_law(N, summ.plateau_length)
for k, f in fits.items(): print(f"{k:45s}", "no fit (fewer than two population sizes with a plateau end)" if f is None else
                                 f"b = {f['b']:.3f} [{f['b_lo']:.3f}, {f['b_hi']:.3f}], a = {f['a']:.3g}, R² = {f['r2']:.4f}, {sum(f['seeds'])} runs, N {f['x_min']:.0f}–{f['x_max']:.0f}")

def paper_steps(n, batch=B0):
    "The paper's fitted plateau end rescaled to `batch` at equal exposures per individual."
    return PAPER["a"] * (PAPER["batch"] / batch) * np.asarray(n, float) ** PAPER["b"]

def paper_exposures(n):
    "Exposures per individual at the paper's fitted plateau end: 0.43 · 128 · N^(0.81 − 1) ≈ 55 · N^-0.19."
    return PAPER["a"] * PAPER["batch"] * np.asarray(n, float) ** (PAPER["b"] - 1)

# %%
#| label: fig-scaling
#| fig-cap: "Plateau end against population size N, log–log. Left: in training steps; right: in exposures per individual (steps × batch / N). Circles and solid lines: plateau end at 0.9 × baseline and its power-law fit; squares and dashed lines: the 0.8 × baseline rule (large markers: mean over seeds, small: single seeds); grey triangles: plateau start; lines only over the fitted N. Black: the paper's fit 0.43 · N^0.81 (batch 128) rescaled to our batch at equal exposures per individual, solid over the paper's range (4k–256k) and dotted where extrapolated to our N. Pink upward triangles: runs whose plateau never ended, drawn at their step budget (a lower bound)."
fig, (ax, bx) = figure(1, 2, height=4.4)
n_all = np.array(sorted(N.unique()))
xs = np.geomspace(n_all.min() * 0.85, n_all.max() * 1.18, 50) if len(n_all) > 1 else np.array([n_all[0] * 0.8, n_all[0] * 1.25])
for (rule, col), c, m, ls in zip(list(RULES.items())[:2], ["C0", "C1"], "os", ["-", "--"]):
    f, ok, mean = fits[rule], summ[col].notna(), per_n[per_n[f"{col}_n"] > 0]
    if not ok.any(): continue
    lab = f"end, {rule}" + ("" if f is None else f": {f['a']:.3g}·N^{f['b']:.2f}" + (f" [{f['b_lo']:.2f}, {f['b_hi']:.2f}]" if max(f["seeds"]) > 1 else "")
                                                + f" (R² {f['r2']:.3f})")
    for a, scale in ((ax, 1), (bx, B0)):
        a.plot(N[ok], summ[col][ok] * scale / (N[ok] if a is bx else 1), m, color=c, ms=3, alpha=0.4)
        a.plot(mean.n_individuals, mean[f"{col}_mean"] * scale / (mean.n_individuals if a is bx else 1), m, color=c, label=lab)
        if f is not None:
            xf = np.geomspace(f["x_min"], f["x_max"], 20)
            a.plot(xf, f["a"] * xf ** f["b"] * scale / (xf if a is bx else 1), ls, color=c, lw=1)
ok = summ.plateau_start.notna()
if ok.any():
    ax.plot(N[ok], summ.plateau_start[ok], "^", color="grey", mfc="none", label="plateau start (within 10% of baseline)")
    bx.plot(N[ok], (summ.plateau_start * B / N)[ok], "^", color="grey", mfc="none")
never = summ.plateau_end.isna()
if never.any():
    ax.plot(N[never], T[never], "^", color="C3", ms=8, label="never left the plateau (≥ budget)")
    bx.plot(N[never], (T * B / N)[never], "^", color="C3", ms=8)
ax.plot(N, T, "_", color="k", ms=12, label="step budget" if (summ.steps_run >= T).all() else "step cap (runs stop once below 0.75 × baseline)")
pin = np.geomspace(PAPER["N_lo"], PAPER["N_hi"], 50)
for a, paper in ((ax, paper_steps), (bx, paper_exposures)):
    a.plot(xs, paper(xs), ":", color="k", lw=1.2)
    a.plot(pin[(pin >= xs.min()) & (pin <= xs.max())], paper(pin[(pin >= xs.min()) & (pin <= xs.max())]), "-", color="k", lw=1.2)
ax.plot([], [], "-", color="k", lw=1.2, label=f"paper: 0.43·N^0.81 at batch 128, rescaled to batch {B0:.0f} (dotted: extrapolated)")
for a in (ax, bx):
    a.set_xscale("log"); a.set_yscale("log"); a.set_xlabel("individuals N"); plain_log_ticks(a.xaxis, a.yaxis)
    a.set_xticks(n_all, [f"{n:,.0f}" for n in n_all]); a.xaxis.set_minor_locator(plt.NullLocator())   # the sizes run
ax.set_ylabel(f"plateau end (steps of {B0:.0f})"); bx.set_ylabel("exposures per individual")
ax.set_title("plateau end in steps"); bx.set_title("plateau end in exposures per individual")
figure_legend(fig, ncol=2)
f9 = fits["0.9 × baseline"]
suptitle(fig, f"Plateau end grows as N^{f9['b']:.2f}" + (f" [{f9['b_lo']:.2f}, {f9['b_hi']:.2f}] (90%, {max(f9['seeds'])} seeds)" if max(f9["seeds"]) > 1 else " (one seed)")
              + f" over N = {f9['x_min']:,.0f}–{f9['x_max']:,.0f}; paper: N^0.81"
         if f9 else f"No power law: plateau end found for {int(summ.plateau_end.notna().sum())} of {len(summ)} runs "
                    f"({summ.n_individuals.nunique()} population sizes, {int(T.max()):,} steps at most)")
save_figure(fig, fi.fig_dir / "scaling.png")

# %%
#| label: fig-scaling-curves
#| fig-cap: "Attribute loss of seen individuals on held-out templates for every population size, against training steps (left) and exposures per individual (right); dotted: the no-knowledge baseline; dots: the plateau end (0.9 × baseline) of the mean curve; faint: single seeds. Larger populations stay on the plateau longer in steps, and the curves come closer together when counted in exposures per individual."
fig, axes = figure(1, 2, height=4.0)
lo, hi = np.log(n_all.min()), np.log(n_all.max())
for n, g in summ.groupby("n_individuals"):
    col = plt.cm.viridis(0.05 + 0.8 * ((np.log(n) - lo) / (hi - lo) if hi > lo else 0.5))
    status = g.status.mode().iloc[0]
    for a, x in zip(axes, ("step", "exposures")):
        mean = plot_seeds(a, df[df.run.isin(g.run)], "seen_loss", x=x, color=col,
                          label=f"N = {int(n):,}" + ("" if status == "left the plateau" else f" ({status})"))
        below = mean[mean < 0.9 * base]
        if len(below) and status == "left the plateau": a.plot(below.index[0], below.iloc[0], "o", color=col, ms=5)
for a in axes: draw_baseline(a, base); a.set_yscale("log"); plain_log_ticks(a.yaxis); a.set_ylabel("attribute loss (nats)")
axes[0].set_xlabel("training step"); axes[1].set_xlabel("exposures per individual (step × batch / N)")
axes[1].set_xscale("log"); plain_log_ticks(axes[1].xaxis)
figure_legend(fig)
ends = per_n.dropna(subset=["plateau_end_mean"])
suptitle(fig, f"N = {int(ends.n_individuals.iloc[0]):,} leaves the plateau at step {ends.plateau_end_mean.iloc[0]:,.0f}, "
              f"N = {int(ends.n_individuals.iloc[-1]):,} at step {ends.plateau_end_mean.iloc[-1]:,.0f}" if len(ends) > 1 else
              f"Loss curves of {len(summ)} runs: {', '.join(f'{s} ({n})' for s, n in summ.status.value_counts().items())}")
save_figure(fig, fi.fig_dir / "scaling_curves.png")

# %% [markdown]
# ## Numbers beside the paper's
# The paper's values are stated (fit, R², N range) or derived from its fit (exposures per individual). Ours: fits
# over every run; per population size the mean over seeds with their range. Wall time: from the first run's start
# to the last run's end (the runs' `DONE` markers), and the sum of the runs' own training times.

# %%
wall, run_secs = wall_time(fi.runs)
spread = lambda f: f is not None and max(f["seeds"]) > 1        # an interval needs two seeds at some N
cell = lambda f, key, d=3: ("no fit" if f is None else f"{f[key]:.3g}" if key == "a" else
                           (f"{f['b']:.{d}f} [{f['b_lo']:.{d}f}, {f['b_hi']:.{d}f}]" if spread(f) else f"{f['b']:.{d}f} (one seed per N)")
                           if key == "b" else f"{f[key]:.{d}f}")
f9, f8, f5, fl = fits.values()
not_left = summ[summ.status != "left the plateau"]
not_left_txt = "; ".join(f"N = {int(r.n_individuals):,} (seed {r.seed}): {r.status} in {int(r.steps):,} steps" for r in not_left.itertuples()) or "none"
local = [f"{n0:,.0f}→{n1:,.0f}: {np.log(e1 / e0) / np.log(n1 / n0):.2f}" for (n0, e0), (n1, e1) in
         zip(ends[["n_individuals", "plateau_end_mean"]].values, ends[["n_individuals", "plateau_end_mean"]].values[1:])]
band = ("no fit" if f9 is None else "yes" if 0.6 <= f9["b"] <= 1.0 and f9["r2"] >= 0.95 else
        "no: " + ", ".join(([f"exponent {f9['b']:.2f} outside 0.6–1.0"] if not 0.6 <= f9["b"] <= 1.0 else []) +
                           ([f"R² {f9['r2']:.3f} below 0.95"] if f9["r2"] < 0.95 else [])))
rows = [
    dict(quantity="population sizes N", paper="4k, 8k, …, 256k (7 sizes, 64×)", ours=f"{', '.join(f'{n:,.0f}' for n in n_all)} ({n_all.max() / n_all.min():.3g}×)"),
    dict(quantity="batch / step budget / seeds per N", paper="128 / 16k for every N / 5", ours=f"{B0:.0f} / {fmt_range(T)} / {fmt_range(per_n.n_seeds)}"),
    dict(quantity="exponent b [90% interval over seeds], end at 0.9 × baseline", paper="0.81 (rule not stated)", ours=cell(f9, "b")),
    dict(quantity="the interval includes the paper's 0.81", paper="—", ours="no fit" if f9 is None else "— (one seed per N)" if not spread(f9) else "yes" if f9["b_lo"] <= 0.81 <= f9["b_hi"] else "no"),
    dict(quantity="prefactor a (steps), 0.9 × baseline", paper=f"0.43 at batch 128 (= {PAPER['a'] * PAPER['batch'] / B0:.3g} at batch {B0:.0f})", ours=cell(f9, "a")),
    dict(quantity="R² (log space), 0.9 × baseline", paper="0.998", ours=cell(f9, "r2", 4)),
    dict(quantity="exponent b / R², end at 0.8 × baseline", paper="—", ours=f"{cell(f8, 'b')} / {cell(f8, 'r2', 4)}"),
    dict(quantity="exponent b / R², end at baseline − 0.5 nat", paper="—", ours=f"{cell(f5, 'b')} / {cell(f5, 'r2', 4)}"),
    dict(quantity="exponent of plateau length (end − start)", paper="—", ours=f"{cell(fl, 'b')} / R² {cell(fl, 'r2', 4)}"),
    dict(quantity="local exponents between consecutive N (0.9 × baseline, seed means)", paper="—", ours="; ".join(local) or "—"),
    dict(quantity="exponent in 0.6–1.0 and R² ≥ 0.95 (the issue's band)", paper="yes (0.81, 0.998)", ours=band),
    dict(quantity="runs in the 0.9 × baseline fit", paper="7 sizes", ours=f"{0 if f9 is None else sum(f9['seeds'])} of {len(summ)} ({0 if f9 is None else f9['n']} sizes)"),
    dict(quantity="exposures per individual at plateau end", paper="11.4 (4k) → 5.2 (256k)", ours=fmt_range(summ.exposures_end)),
    dict(quantity="exponent of exposures at plateau end (b − 1)", paper="−0.19", ours="no fit" if f9 is None else f"{f9['b'] - 1:.3f}" + (f" [{f9['b_lo'] - 1:.3f}, {f9['b_hi'] - 1:.3f}]" if spread(f9) else "")),
    dict(quantity="runs whose plateau was not found to end", paper="none shown", ours=not_left_txt),
    dict(quantity="wall time of the experiment (s)", paper="600 TPUv3 h train (5 lrs × 7 N × 5 seeds)", ours=f"{wall:,.0f} (runs' own time {run_secs:,.0f})"),
]
summ["paper_exposures"] = paper_exposures(summ.n_individuals)
per_size = seed_rows(summ, "n_individuals", {"step cap": "steps", "steps run": "steps_run", "plateau start": "plateau_start", "end 0.9×": "plateau_end",
                                             "end 0.8×": "plateau_end_08", "end −0.5 nat": "plateau_end_minus05",
                                             "exposures at end (0.9×)": "exposures_end", "paper fit, exposures at this N": "paper_exposures",
                                             "final loss": "final_seen_loss", "final accuracy": "final_seen_acc"})
table = md_table(rows) + "\n" + md_table(per_size)
write_summary(fi.fig_dir, "scaling", table, dict(baseline=base, batch_size=B0, population_sizes=n_all.tolist(), fits=fits, paper=PAPER,
              wall_seconds=wall, run_seconds=run_secs, runs=summ[["run", "n_individuals", "seed", "steps", "plateau_start", *RULES.values(),
              "exposures_end", "final_seen_loss", "final_seen_acc", "status"]].to_dict("records")))
print(table)
