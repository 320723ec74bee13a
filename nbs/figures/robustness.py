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
# # Figure: the three phases are robust (paper Fig C, App. C.1)
#
# From the `robustness` runs in the results store — one factor at a time around a reference run: learning rate,
# weight decay, batch size (at a constant number of samples) and model size — `robustness.png` (the loss curves
# of each factor, batch size against samples seen), `robustness_plateau.png` (plateau end of every setting, and how
# much it moves when the model grows, beside how much it moves when the population grows, from the `scaling` runs of
# the same preset in the store when there are any), `robustness_summary.md` (our numbers beside the paper's) and
# `robustness.json`, into `fig_dir`. Several seeds of a setting: each faint, the mean in full; tables give the mean
# and range over seeds.
#
# Which factor a run varies is read from its folder name, which lists the parameters its point of the preset sets
# (`lr=0.0003`, `batch_size=32_steps=1200`; the reference sets none but the seed).

# %%
import re
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from factdyn.runs import figure_inputs, wall_time
from factdyn.figstyle import figure, save_figure, use_style, draw_baseline, LEGEND_SIZE
from factdyn.metrics import plateau_bounds
from factdyn.analysis import (plot_seeds, figure_legend, suptitle, plain_log_ticks, maybe_power_law, seed_stats, md_table, fmt_seeds,
                              fmt_range, write_summary)

# %% tags=["parameters"]
experiment: str = "robustness"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
store: str = "../results"  # the results store the runs are read from
fig_dir: str = "../figures/smoke"  # where images and tables are written
sources: list = ["scaling"]  # the scaling runs give the population panel

# %%
fi = figure_inputs(experiment, preset, store, fig_dir, sources)
own = lambda t: t[t.experiment == experiment].reset_index(drop=True) if len(t) else t
df, summ = own(fi.metrics), own(fi.summaries)
GROUPS = {"learning rate": ["lr"], "weight decay": ["weight_decay"], "batch size": ["batch_size", "steps"],
          "model size": ["n_layer", "n_head", "d_model", "d_mlp"]}
for c in ["plateau_start", "plateau_end", "final_seen_loss", "final_seen_acc", "baseline", "non_embedding_params", "seconds"]:
    summ[c] = pd.to_numeric(summ[c], errors="coerce")

def factor(run: str) -> str:
    "The factor whose parameters the run's folder name sets: a GROUPS key, 'reference' (none but the seed), or 'mixed'."
    label = run.rsplit("-", 1)[0]
    keys = {k for k in summ.columns if re.search(rf"(^|_){re.escape(k)}=", label)} - {"seed"}
    groups = [g for g, ks in GROUPS.items() if keys & set(ks)]
    return "reference" if not keys else groups[0] if len(groups) == 1 and keys <= set(GROUPS[groups[0]]) else "mixed"

def setting(r) -> str:
    "A setting in words: the values of its factor."
    size = f"{int(r.n_layer)} × {int(r.d_model)} ({r.non_embedding_params / 1e6:.2f}M)"
    return {"learning rate": f"lr {r.lr:g}", "weight decay": f"wd {r.weight_decay:g}", "model size": size,
            "batch size": f"batch {int(r.batch_size)} × {int(r.steps):,} steps",
            "reference": f"lr {r.lr:g}, wd {r.weight_decay:g}, batch {int(r.batch_size)}, {size}"}.get(
            r.factor, r.run.rsplit("-", 1)[0])

VALUE = {"learning rate": lambda r: f"lr {r.lr:g}", "weight decay": lambda r: f"wd {r.weight_decay:g}",    # a run's value of a factor
         "batch size": lambda r: f"batch {int(r.batch_size)}", "model size": lambda r: f"{int(r.n_layer)} × {int(r.d_model)}"}

summ["factor"] = summ.run.map(factor)
summ["setting"] = summ.apply(setting, axis=1)
summ["samples_end"] = summ.plateau_end * summ.batch_size
summ["exposures_end"] = summ.samples_end / summ.n_individuals
summ["budget"] = summ.steps * summ.batch_size / summ.n_individuals
summ["ratio"] = summ.final_seen_loss / summ.baseline
summ["phases"] = np.where(summ.plateau_start.isna(), "never reached the baseline",
                          np.where(summ.plateau_end.isna(), "never left the plateau", "three phases"))
ORDER = [g for g in ["reference", *GROUPS, "mixed"] if (summ.factor == g).any()]
SORT = {"learning rate": "lr", "weight decay": "weight_decay", "batch size": "batch_size", "model size": "non_embedding_params"}
summ = pd.concat([summ[summ.factor == g].sort_values([SORT.get(g, "run"), "seed"]) for g in ORDER], ignore_index=True)
conf = seed_stats(summ, ["factor", "setting"], ["plateau_end", "exposures_end", "samples_end", "budget", "ratio", "non_embedding_params"])
conf = conf.set_index(["factor", "setting"]).loc[list(dict.fromkeys(zip(summ.factor, summ.setting)))].reset_index()
base = float(summ.baseline.iloc[0])
reference = summ[summ.factor == "reference"]
print(summ[["factor", "setting", "seed", "plateau_start", "plateau_end", "samples_end", "final_seen_loss", "phases"]].to_string())
use_style()  # the project's figure style for what follows

# %%
#| label: fig-robustness
#| fig-cap: "Attribute loss of seen individuals on held-out templates when one factor at a time is changed from the reference run (black): learning rate, weight decay, batch size (against samples seen, at a constant number of samples) and model size (layers × width, non-embedding parameters). Dotted: the no-knowledge baseline; dots: plateau end (0.9 × baseline) of the mean curve; faint lines: single seeds."
panels = [g for g in ORDER if g != "reference"] or ["reference"]
ncol = min(2, len(panels)); nrow = -(-len(panels) // ncol)
fig, axes = figure(nrow, ncol, height=3.3 * nrow, squeeze=False)
for ax, g in zip(axes.flat, panels):
    x = "samples" if g == "batch size" else "step"
    grp = summ[summ.factor == g]
    colors = plt.cm.plasma(np.linspace(0.1, 0.8, max(grp.setting.nunique(), 1)))
    curves = ([("reference", reference, "k")] if g != "reference" and len(reference) else []) + \
             [(s, grp[grp.setting == s], c) for s, c in zip(dict.fromkeys(grp.setting), colors)]
    for s, runs, c in curves:
        mean = plot_seeds(ax, df[df.run.isin(runs.run)], "seen_loss", x=x, color=c,
                          label=f"reference ({VALUE[g](runs.iloc[0])})" if s == "reference" and g in VALUE else s)
        _, end = plateau_bounds(mean.index, mean.values, base)
        if end is not None: ax.plot(end, mean[end], "o", color=c, ms=5)
    draw_baseline(ax, base); ax.set_yscale("log"); plain_log_ticks(ax.yaxis)
    ax.set_title(g); ax.set_xlabel("samples seen" if x == "samples" else "training step"); ax.set_ylabel("attribute loss (nats)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0), borderaxespad=3.2, ncol=1)
for ax in axes.flat[len(panels):]: fig.delaxes(ax)
three = int((summ.phases == "three phases").sum())
suptitle(fig, f"{three} of {len(summ)} runs show the three phases (reach the baseline, stay, leave it)"
         + (f"; plateau end {fmt_range(conf.exposures_end_mean, 2)} exposures per individual" if conf.exposures_end_n.sum() else ""))
save_figure(fig, fi.fig_dir / "robustness.png")

# %% [markdown]
# ## Plateau length: model size against population
# How much the plateau end moves when the model grows, compared with how much it moves when the population
# grows. Top: plateau end (0.9 × baseline) of every setting in exposures per individual (samples / N, so that
# batch-size variants compare at equal data); seeds whose plateau never ended are drawn at their budget. Bottom:
# plateau end relative to the reference against model size relative to the reference (the model-size settings),
# beside plateau end against N, each relative to the smallest N, from the `scaling` runs of the same preset. Only
# what was measured is drawn: the fitted lines span the measured sizes, and the ratios in the title and the table are
# those between the smallest and the largest size run, never a fit extrapolated beyond them.

# %%
sc = fi.summaries[fi.summaries.experiment == "scaling"]        # optional (a source): the population panel of paper Fig C
if len(sc):
    sc["plateau_end"] = pd.to_numeric(sc.plateau_end, errors="coerce")
    sc = seed_stats(sc, "n_individuals", ["plateau_end"]).query("plateau_end_n > 0").sort_values("n_individuals")
sizes = conf[conf.factor.isin(["model size", "reference"])].query("plateau_end_n > 0").sort_values("non_embedding_params_mean")

def measured(x, y) -> tuple | None:
    "(x ratio, y ratio) between the smallest and the largest x measured, or None with fewer than two sizes."
    x, y = np.asarray(x, float), np.asarray(y, float)
    return None if len(np.unique(x)) < 2 else (x[-1] / x[0], y[-1] / y[0])

m_model = measured(sizes.non_embedding_params_mean, sizes.plateau_end_mean)
m_pop = measured(sc.n_individuals, sc.plateau_end_mean) if len(sc) else None
f_model = maybe_power_law(sizes.non_embedding_params_mean, sizes.plateau_end_mean)
f_pop = maybe_power_law(sc.n_individuals, sc.plateau_end_mean) if len(sc) else None
print("model size:", m_model, f_model, "\npopulation (scaling runs):", m_pop, f_pop)

# %%
#| label: fig-robustness-plateau
#| fig-cap: "Top: plateau end (0.9 × baseline) of every setting in exposures per individual (large: mean over seeds, small: single seeds); hollow triangles: seeds whose plateau never ended, drawn at their budget (grey ticks), a lower bound; dotted: the reference. Bottom (when measured): plateau end against model size (circles, relative to the reference) and against the population (squares, the scaling runs relative to the smallest N), log–log, with power-law fits over the measured range only; grey dotted: the paper's population slope 0.81 and its flat model-size trend over the same range."
right = m_model is not None or m_pop is not None
fig, axes = figure(2 if right else 1, 1, height=1.3 + 0.3 * len(conf) + (2.6 if right else 0), squeeze=False,
                   height_ratios=[0.3 * len(conf) + 0.6, 2.4] if right else None)
ax = axes[0, 0]
COLORS = {"reference": "k", "learning rate": "C0", "weight decay": "C2", "batch size": "C1", "model size": "C3", "mixed": "C5"}
for i, c in enumerate(conf.itertuples()):
    runs = summ[(summ.factor == c.factor) & (summ.setting == c.setting)]
    ok = runs.exposures_end.notna()
    ax.plot(runs.exposures_end[ok], [i] * ok.sum(), "o", color=COLORS[c.factor], ms=3, alpha=0.5)
    if ok.any(): ax.plot(c.exposures_end_mean, i, "o", color=COLORS[c.factor], ms=7)
    if (~ok).any(): ax.plot(runs.budget[~ok], [i] * (~ok).sum(), "^", color=COLORS[c.factor], mfc="none", ms=8)
    ax.plot(c.budget_mean, i, "|", color="grey", ms=12)
ax.plot([], [], "^", color="grey", mfc="none", ms=8, label="plateau never ended: at its budget (a lower bound)")
ax.plot([], [], "|", color="grey", ms=12, label="budget")
ax.set_yticks(range(len(conf)), [f"{c.factor}: {c.setting}" if c.factor != "reference" else "reference" for c in conf.itertuples()])
ax.invert_yaxis(); ax.set_xlim(left=0); ax.set_xlabel("plateau end (exposures per individual)"); ax.set_ylabel("setting")
ax.set_title("plateau end of every setting")
ref_end = conf[conf.factor == "reference"].exposures_end_mean
if len(ref_end) and np.isfinite(ref_end.iloc[0]): ax.axvline(ref_end.iloc[0], color="k", ls=":", lw=1, label="reference")
parts = []
if right:
    bx = axes[1, 0]
    for m, f, x, y, mk, c, what in ((m_model, f_model, sizes.non_embedding_params_mean, sizes.plateau_end_mean, "o", "C3", "model size"),
                                    (m_pop, f_pop, sc.n_individuals if len(sc) else None, sc.plateau_end_mean if len(sc) else None, "s", "C2", "population N")):
        if m is None: continue
        x0 = float(reference.non_embedding_params.iloc[0]) if what == "model size" and len(reference) else float(x.iloc[0])
        y0 = float(y[x == x0].iloc[0]) if (x == x0).any() else float(y.iloc[0])
        bx.plot(x / x0, y / y0, mk, color=c, label=f"{what}: ×{m[0]:.3g} moves it ×{m[1]:.3g}")
        xf = np.geomspace(f["x_min"], f["x_max"], 20)
        bx.plot(xf / x0, f["a"] * xf ** f["b"] / y0, "-", color=c, lw=1)
        xr = np.geomspace(x.min() / x0, x.max() / x0, 20)
        bx.plot(xr, xr ** 0.81 if what == "population N" else xr ** 0, ":", color="grey", lw=1.2)
        parts.append(f"{what} ×{m[0]:.3g} moves the plateau end ×{m[1]:.3g}")
    bx.plot([], [], ":", color="grey", label="paper: N^0.81; model size ≈ flat")
    bx.set_xscale("log"); bx.set_yscale("log"); plain_log_ticks(bx.xaxis, bx.yaxis)
    bx.set_xlabel("size relative to the reference model or the smallest N"); bx.set_ylabel("plateau end, relative")
    bx.set_title("model size against population")
figure_legend(fig, ncol=2)
found = int(summ.plateau_end.notna().sum())
title = ("; ".join(parts) if parts else f"Plateau end found in {found} of {len(summ)} runs"
         + (f": {fmt_range(conf.exposures_end_mean, 2)} exposures per individual" if found else "; no model-size or population ratio to measure"))
suptitle(fig, title[0].upper() + title[1:])
save_figure(fig, fi.fig_dir / "robustness_plateau.png")

# %% [markdown]
# ## Numbers beside the paper's
# The paper's final losses (at 16k steps, baseline 6.78) are read off Fig C; ours are final losses on held-out
# templates at the end of each run, as a fraction of our baseline (mean over seeds with their range).

# %%
wall, run_secs = wall_time(fi.runs)
def listing(g, col="ratio") -> str:
    "value: mean (range) of one factor's settings and the reference, or 'not run'."
    grp = summ[summ.factor.isin([g, "reference"])] if (summ.factor == g).any() else None
    if grp is None: return "not run"
    grp = grp.assign(v=grp.apply(VALUE[g], axis=1)).sort_values(SORT[g])
    return "; ".join(f"{v}: {fmt_seeds(x[col])}" for v, x in grp.groupby("v", sort=False))

never = summ[summ.phases != "three phases"]
rows_cmp = [
    dict(quantity="runs showing the three phases (reach the baseline, then leave it)", paper="all variants",
         ours=f"{three} of {len(summ)}" + ("" if not len(never) else " (" + "; ".join(
             f"{r.setting}, seed {r.seed}: {r.phases}" for r in never.itertuples()) + ")")),
    dict(quantity="learning rate: final loss / baseline",
         paper="1e-4: ≈0.3 (slow); 2e-4–8e-4: 3e-3–7e-3; 1.6e-3: ≈0.7 (barely leaves)", ours=listing("learning rate")),
    dict(quantity="weight decay: final loss / baseline", paper="0.01–0.3: 1.5e-3–3e-3; 1.0: ≈1.5e-2", ours=listing("weight decay")),
    dict(quantity="batch size (equal samples): final loss / baseline", paper="32–256: smaller slightly better; 512 worst (≈3e-2)",
         ours=listing("batch size")),
    dict(quantity="batch size: plateau end in samples", paper="(plot)", ours=listing("batch size", "samples_end")),
    dict(quantity="model size: final loss / baseline", paper="50m: 2.2e-3; 150m, 400m: ≈4.4e-4", ours=listing("model size")),
    dict(quantity="model size: plateau end (steps)", paper="about the same for 50m–400m", ours=listing("model size", "plateau_end")),
    dict(quantity="model size: plateau end ratio over the parameter ratio measured", paper="≈1 over 8× parameters",
         ours="—" if m_model is None else f"×{m_model[1]:.3g} over ×{m_model[0]:.3g} parameters"),
    dict(quantity="elasticity of plateau end to model size (fit over the measured sizes)", paper="≈0",
         ours="no fit" if f_model is None else f"{f_model['b']:.3f} ({f_model['n']} sizes)"),
    dict(quantity="population N (scaling runs): plateau end ratio over the N ratio measured", paper="N^0.81" if m_pop is None else f"×{m_pop[0] ** 0.81:.3g} over the same ×{m_pop[0]:.3g} N (N^0.81)",
         ours="no scaling runs with a plateau end" if m_pop is None else f"×{m_pop[1]:.3g} over ×{m_pop[0]:.3g} N"),
    dict(quantity="elasticity of plateau end to population N (fit over the measured N)", paper="0.81",
         ours="no fit" if f_pop is None else f"{f_pop['b']:.3f} ({f_pop['n']} sizes)"),
    dict(quantity="wall time of the experiment (s)", paper="weight decay, batch, size: ≈800 TPUv3 h train",
         ours=f"{wall:,.0f} (runs' own time {run_secs:,.0f})"),
]
per_setting = [{"factor": f, "setting": s, "seeds": len(g), "steps": fmt_range(g.steps), "plateau start": fmt_seeds(g.plateau_start),
                "plateau end": fmt_seeds(g.plateau_end), "end (samples)": fmt_seeds(g.samples_end), "end (exposures)": fmt_seeds(g.exposures_end),
                "final loss": fmt_seeds(g.final_seen_loss), "final / baseline": fmt_seeds(g.ratio), "final accuracy": fmt_seeds(g.final_seen_acc),
                "phases": "; ".join(f"{n} × {p}" for p, n in g.phases.value_counts().items())}
               for (f, s), g in summ.groupby(["factor", "setting"], sort=False)]
table = md_table(rows_cmp) + "\n" + md_table(per_setting)
write_summary(fi.fig_dir, "robustness", table, dict(baseline=base, fit_model_size=f_model, fit_population=f_pop,
              measured_model_size=m_model, measured_population=m_pop, wall_seconds=wall, run_seconds=run_secs,
              settings=conf.to_dict("records"), runs=summ[["run", "factor", "setting", "seed", "steps", "plateau_start", "plateau_end",
              "samples_end", "exposures_end", "final_seen_loss", "ratio", "final_seen_acc", "phases", "seconds"]].to_dict("records")))
print(table)
