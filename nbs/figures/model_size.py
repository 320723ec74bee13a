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
# # Figure: plateau length against model size, beside population size (paper Fig C, App. C.1)
#
# The paper's point is a contrast of two slopes: the plateau end grows almost linearly with the number of
# individuals (`0.43 · N^0.81`) and barely moves when the model grows (50m → 400m parameters). From the
# `model_size` runs in the results store (the reference model at one population, its width changed) and the
# `scaling` runs of the same preset (the population changed; the run of the reference width at the same N is the
# middle model-size point): `model_size.png` (left: loss curves per width, seeds faint; right: plateau end against
# model size and against N on one log–log axis, each relative to its smallest value, with power-law fits and
# intervals over seeds), `model_size_summary.md` and `model_size.json`, into `fig_dir`.
#
# Plateau ends are the library's detector's (first evaluation below 0.9 × baseline, written by the train template);
# the exponents' intervals are `factdyn.analysis.bootstrap_power_law` (90% over resampled seeds).

# %%
import numpy as np
import pandas as pd
from factdyn.runs import figure_inputs, wall_time
from factdyn.figstyle import figure, save_figure, use_style, draw_baseline
from factdyn.analysis import (plot_seeds, figure_legend, suptitle, plain_log_ticks, bootstrap_power_law, seed_stats,
                              seed_rows, md_table, write_summary)

# %% tags=["parameters"]
experiment: str = "model_size"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
store: str = "../results"  # the results store the runs are read from
fig_dir: str = "../figures/smoke"  # where images and tables are written
sources: list = ["scaling"]  # population runs; the one at the same N and reference width joins the model-size series

# %%
fi = figure_inputs(experiment, preset, store, fig_dir, sources)
summ, df = fi.summaries.copy(), fi.metrics
NUM = ["n_individuals", "d_model", "n_layer", "batch_size", "lr", "steps", "plateau_start", "plateau_end", "plateau_end_08",
       "final_seen_loss", "baseline", "non_embedding_params", "seconds"]
for c in NUM: summ[c] = pd.to_numeric(summ[c], errors="coerce")
own = summ[summ.experiment == experiment]
n_pop = float(own.n_individuals.iloc[0])
KEYS = ["n_layer", "batch_size", "lr", "schedule", "pos"]       # what a scaling run must share to join the model-size series
same = lambda t: np.logical_and.reduce([t[k].astype(str).values == str(own[k].iloc[0]) for k in KEYS if k in t and k in own])
sc = summ[(summ.experiment != experiment)] if "experiment" in summ else summ.iloc[:0]
sc = sc[same(sc)] if len(sc) else sc
sizes = pd.concat([own, sc[sc.n_individuals == n_pop]], ignore_index=True).sort_values(["non_embedding_params", "seed"])
pops = sc.sort_values(["n_individuals", "seed"]).reset_index(drop=True)
base = float(own.baseline.iloc[0])
print(sizes[["experiment", "run", "d_model", "non_embedding_params", "seed", "plateau_start", "plateau_end", "final_seen_loss"]].to_string())
print(pops[["run", "n_individuals", "seed", "plateau_end"]].to_string() if len(pops) else "no scaling runs at these settings")

fit_size = bootstrap_power_law(sizes.non_embedding_params, sizes.plateau_end)
fit_pop = bootstrap_power_law(pops.n_individuals, pops.plateau_end) if len(pops) else None
show = lambda f: "no fit" if f is None else f"{f['b']:.2f} [{f['b_lo']:.2f}, {f['b_hi']:.2f}]"
print("plateau end ~ params^", show(fit_size), "| ~ N^", show(fit_pop))
use_style()

# %%
#| label: fig-model-size
#| fig-cap: "Left: attribute loss of seen individuals on held-out templates for each width of the reference model at one population (seeds faint, mean in full); dotted: the no-knowledge baseline. Right: plateau end (0.9 × baseline) against model size (non-embedding parameters, circles) and against the population (squares, the scaling runs), each relative to its smallest value, log–log; small markers: seeds, large: means; lines: power-law fits over the measured range, exponent with its 90% interval over seeds; grey dotted: the paper's population slope 0.81."
fig, (ax, bx) = figure(1, 2, height=3.6)
sizes_df = df[df.run.isin(sizes.run)].drop(columns=["d_model", "non_embedding_params"], errors="ignore").merge(
    sizes[["run", "d_model", "non_embedding_params"]], on="run")
for i, (p, g) in enumerate(sizes_df.groupby("non_embedding_params", sort=True)):
    plot_seeds(ax, g, "seen_loss", color=f"C{i}", label=f"width {int(g.d_model.iloc[0])} ({p / 1e6:.2g}M parameters)", common=True)
draw_baseline(ax, base)
ax.set_yscale("log"); plain_log_ticks(ax.yaxis)
ax.set_xlabel("training step"); ax.set_ylabel("held-out attribute loss (nats)")
ax.set_title(f"N = {n_pop:,.0f}: loss per model width")
for x, y, fit, mk, c, what in ((sizes.non_embedding_params, sizes.plateau_end, fit_size, "o", "C3", "model size"),
                               (pops.n_individuals if len(pops) else None, pops.plateau_end if len(pops) else None, fit_pop, "s", "C2",
                                "population N")):
    if fit is None: continue
    ok = y.notna()
    x0, y0 = float(x[ok].min()), float(y[ok & (x == x[ok].min())].mean())
    bx.plot(x[ok] / x0, y[ok] / y0, mk, color=c, ms=3, alpha=0.5)
    m = pd.DataFrame(dict(x=x[ok], y=y[ok])).groupby("x").y.mean()
    bx.plot(m.index / x0, m.values / y0, mk, color=c, ms=7, label=f"{what}: exponent {show(fit)}")
    xf = np.geomspace(fit["x_min"], fit["x_max"], 20)
    bx.plot(xf / x0, fit["a"] * xf ** fit["b"] / y0, "-", color=c, lw=1)
xr = np.geomspace(1, max(16, float(pops.n_individuals.max() / pops.n_individuals.min()) if len(pops) else 16), 20)
bx.plot(xr, xr ** 0.81, ":", color="grey", lw=1.2, label="paper: plateau end ∝ N^0.81")
bx.set_xscale("log"); bx.set_yscale("log"); plain_log_ticks(bx.xaxis, bx.yaxis)
bx.set_xlabel("relative size (parameters or N)"); bx.set_ylabel("plateau end, relative")
bx.set_title("model size against population")
figure_legend(fig, ncol=2)
msg = ("Plateau end against model size: no plateau end to fit" if fit_size is None else
       f"Plateau end ∝ params^{show(fit_size)} over {sizes.non_embedding_params.max() / sizes.non_embedding_params.min():.0f}× parameters"
       + ("" if fit_pop is None else f",\nbut ∝ N^{show(fit_pop)} over {pops.n_individuals.max() / pops.n_individuals.min():.0f}× individuals"))
suptitle(fig, msg)
save_figure(fig, fi.fig_dir / "model_size.png")

# %% [markdown]
# ## Numbers beside the paper's

# %%
wall, run_secs = wall_time(fi.runs)
rows = [dict(quantity="plateau end exponent in model size (non-embedding parameters), 90% interval over seeds",
             paper="≈ 0 (50m to 400m: about the same plateau)", ours=show(fit_size)),
        dict(quantity="plateau end exponent in population N, 90% interval over seeds", paper="0.81 (R² 0.998)", ours=show(fit_pop)),
        dict(quantity="model sizes / population sizes measured", paper="3 / 7",
             ours=f"{sizes.non_embedding_params.nunique()} / {pops.n_individuals.nunique() if len(pops) else 0}"),
        dict(quantity="wall time of this experiment's runs (s)", paper="—", ours=f"{wall:,.0f} (runs' own time {run_secs:,.0f})")]
per_size = seed_rows(sizes.assign(params=(sizes.non_embedding_params / 1e6).round(3)), ["d_model", "params"],
                     {"plateau start": "plateau_start", "plateau end": "plateau_end", "final loss": "final_seen_loss"})
table = md_table(rows) + "\n" + md_table(per_size)
write_summary(fi.fig_dir, "model_size", table, dict(baseline=base, n_individuals=n_pop, fit_model_size=fit_size,
              fit_population=fit_pop, wall_seconds=wall, run_seconds=run_secs,
              runs=sizes[["experiment", "run", "d_model", "non_embedding_params", "seed", "plateau_start", "plateau_end",
                          "plateau_end_08", "final_seen_loss"]].to_dict("records")))
print(table)
