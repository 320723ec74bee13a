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
# # Figure: attention patching (paper Fig 3 middle, Fig D)
#
# From the `patching` runs in the results store: loss curves of the runs that use, from the first step, the
# attention patterns of a reference checkpoint (Fig 3 middle), of the runs whose attention is frozen at a checkpoint
# (start = reference, Fig D middle), beside the unpatched reference run (each patched run keeps its reference's
# metrics up to its own last step in `reference_metrics.csv`), and a heat map of the loss at the last step over
# reference × start for the cells that were run (Fig D right). Several seeds of a cell: each faint, the mean in
# full; tables give the mean and range. Writes `patching.png`, `patching_heatmap.png`, `patching_summary.md` and
# `patching.json` into `fig_dir`.

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from matplotlib.colors import LogNorm
from factdyn.runs import figure_inputs
from factdyn.figstyle import figure, save_figure, use_style, draw_baseline
from factdyn.analysis import plot_seeds, figure_legend, suptitle, plain_log_ticks, seed_stats, seed_rows, md_table, fmt_seeds, write_summary
from factdyn.curricula import set_categories

# %% tags=["parameters"]
experiment: str = "patching"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
store: str = "../results"  # the results store the runs are read from
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
fi = figure_inputs(experiment, preset, store, fig_dir)
ORDER = ["init", "phase1", "early", "mid", "end", "post", "final"]
df, summ = fi.metrics, fi.summaries
summ["ri"], summ["si"] = summ.ref.map(ORDER.index), summ.start.map(ORDER.index)
summ = summ.sort_values(["si", "ri"]).reset_index(drop=True)
for c in ["plateau_end", "final_seen_loss", "final_seen_acc", "reference_plateau_end"]: summ[c] = pd.to_numeric(summ[c], errors="coerce")
cells = seed_stats(summ, ["ref", "start"], ["final_seen_loss", "final_seen_acc", "plateau_end"]).merge(
    summ.drop_duplicates(["ref", "start"])[["ref", "start", "ri", "si", "ref_step", "start_step"]]).sort_values(["si", "ri"])
base, stop = float(summ.baseline.iloc[0]), int(summ.stop_step.max())
steps_of = dict(zip(summ.ref, summ.ref_step)) | dict(zip(summ.start, summ.start_step))
# the unpatched reference run(s): identical copies in every patched run collapse into one curve per reference
unpatched = pd.concat([t.assign(run=r.name) for r in fi.runs if (t := r.table("reference_metrics")) is not None]
                      or [pd.DataFrame(columns=["run", "step", "seen_loss", "seen_acc"])], ignore_index=True)
unpatched = unpatched.drop_duplicates(["step", "seen_loss"]).query("step <= @stop")
ref_loss_at_stop = unpatched[unpatched.step == unpatched.step.max()].seen_loss.mean()
colors = dict(zip(ORDER, ["#CC79A7", "#999999", "#E69F00", "#56B4E9", "#0072B2", "#009E73", "#D55E00"]))   # Okabe–Ito, by checkpoint
print(cells.to_string())
use_style()  # the project's figure style for what follows

# %%
#| label: fig-patching
#| fig-cap: "Left: training with the attention patterns of a reference checkpoint from the first step (colour: the reference checkpoint). Right: attention frozen at a checkpoint (patching starts at the reference step). Black dashed: the unpatched reference run (same initialisation, same batches). Dotted: the no-knowledge baseline. Faint lines: single seeds."
fig, axes = figure(1, 2, height=3.8, sharey=True)
for ax, sel, title in ((axes[0], summ.si == 0, "patched from the first step"), (axes[1], summ.si == summ.ri, "attention frozen at the reference step")):
    for (ref, start), g in summ[sel].groupby(["ref", "start"], sort=False):
        plot_seeds(ax, df[df.run.isin(g.run)], "seen_loss", color=colors[ref], label=f"patterns of {ref} (step {int(steps_of[ref]):,})")
    if ax is axes[1]:             # the freeze steps, marked
        for ref, st in summ[sel].drop_duplicates("ref")[["ref", "start_step"]].values:
            ax.axvline(st, color=colors[ref], ls=":", lw=1.2)
        if sel.any(): ax.plot([], [], ":", color="grey", lw=1.2, label="freeze step (colour: its checkpoint)")
    if len(unpatched): plot_seeds(ax, unpatched, "seen_loss", color="k", ls="--", label="unpatched reference run")
    draw_baseline(ax, base); ax.set_yscale("log"); plain_log_ticks(ax.yaxis); ax.set_xlabel("training step"); ax.set_title(title)
axes[0].set_ylabel("attribute loss (nats)"); axes[1].label_outer()
figure_legend(fig, ncol=3)
first = cells[cells.si == 0].sort_values("final_seen_loss_mean")
best = first.iloc[0] if len(first) else cells.sort_values("final_seen_loss_mean").iloc[0]
suptitle(fig, f"With the attention patterns of '{best.ref}' (step {int(best.ref_step):,}) from step {int(best.start_step):,} the "
              f"loss reaches {best.final_seen_loss_mean:.3g} at step {stop:,}; the unpatched run {ref_loss_at_stop:.3g}")
save_figure(fig, fi.fig_dir / "patching.png")

# %%
#| label: fig-patching-heatmap
#| fig-cap: "Attribute loss at the patched runs' last step (log colour; mean over seeds) over reference checkpoint × start of patching; only the cells that were run are shown, the others are blank."
rows_, cols_ = sorted(cells.ri.unique()), sorted(cells.si.unique())
grid = np.full((len(rows_), len(cols_)), np.nan)
for c in cells.itertuples(): grid[rows_.index(c.ri), cols_.index(c.si)] = c.final_seen_loss_mean
lo, hi = np.nanmin(grid), np.nanmax(grid)
norm = LogNorm(lo / 1.05, hi * 1.05)
fig, ax = figure(1, 1, height=1.2 + 0.75 * max(len(rows_), 2))
im = ax.imshow(np.ma.masked_invalid(grid), cmap="magma_r", norm=norm, origin="lower", aspect="auto")
lab = lambda i: f"{ORDER[i]} ({int(steps_of[ORDER[i]]):,})"
set_categories(ax, range(len(cols_)), [lab(i) for i in cols_]); set_categories(ax, range(len(rows_)), [lab(i) for i in rows_], "y")
ax.set_xlabel("start of patching (step)"); ax.set_ylabel("reference checkpoint (step)")
for (i, j), v in np.ndenumerate(grid):
    if np.isfinite(v):         # white on dark cells, black on light ones
        r, g, b, _ = im.cmap(norm(v))
        ax.text(j, i, f"{v:.3g}", ha="center", va="center", fontsize=10, color="w" if 0.3 * r + 0.6 * g + 0.1 * b < 0.5 else "k")
cb = fig.colorbar(im, ax=ax, label=f"loss at step {stop:,} (nats)")
cb.set_ticks(np.geomspace(lo, hi, 4) if hi > lo * 1.01 else [lo / 1.02, lo, lo * 1.02]); cb.ax.minorticks_off()
cb.ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.3g}"))
suptitle(fig, f"Loss at step {stop:,} in the {len(cells)} reference × start cells run: lowest {lo:.3g} "
              f"({cells.loc[cells.final_seen_loss_mean.idxmin(), 'ref']} patterns), highest {hi:.3g}")
save_figure(fig, fi.fig_dir / "patching_heatmap.png")

# %% [markdown]
# ## Around each freeze (Fig D middle: a loss spike when attention is frozen late)
# One panel per freeze step: the run whose attention is frozen there (evaluated 20 times over the `watch` steps after
# the freeze) and the unpatched reference run, from a little before the freeze to well after it. The title gives the
# spike: the highest loss in the watch window over the loss at the freeze, for the frozen run and for the unpatched one.

# %%
for c in ("spike", "reference_spike", "watch"): summ[c] = pd.to_numeric(summ.get(c, pd.Series(np.nan, summ.index)), errors="coerce")
summ["watched"] = np.minimum(summ.watch, stop - summ.start_step)     # the window the template evaluated: clipped to the run
frozen = summ[(summ.si == summ.ri) & (summ.start_step > 0)].drop_duplicates("ref")
if len(frozen):
    fig, axes = figure(1, len(frozen), height=3.2, squeeze=False)
    for ax, r in zip(axes[0], frozen.itertuples()):
        w = int(r.watched) if np.isfinite(r.watch) and r.watch > 0 else min(max(50, stop // 10), stop - int(r.start_step))
        lo_, hi_ = max(0, r.start_step - w // 2), min(stop, r.start_step + 2 * w)
        near = lambda m: m[(m.step >= lo_) & (m.step <= hi_)]
        g = summ[(summ.ref == r.ref) & (summ.start == r.start)]
        plot_seeds(ax, near(df[df.run.isin(g.run)]), "seen_loss", color=colors[r.ref], marker=".", label="attention frozen")
        if len(unpatched): plot_seeds(ax, near(unpatched), "seen_loss", color="k", ls="--", marker=".", label="unpatched reference run")
        ax.axvline(r.start_step, color=colors[r.ref], ls=":", lw=1.2)
        ax.axvspan(r.start_step, r.start_step + w, color="0.9", lw=0, zorder=0)
        sp = "—" if not np.isfinite(r.spike) else f"×{r.spike:.3g}"
        rs = "—" if not np.isfinite(r.reference_spike) else f"×{r.reference_spike:.3g}"
        ax.set(xlabel="training step", ylabel="attribute loss (nats)", title=f"frozen at {r.ref} (step {int(r.start_step):,})\npeak {sp}, unpatched {rs}")
    figure_legend(fig, ncol=2)
    worst = frozen.loc[frozen.spike.fillna(0).idxmax()]
    suptitle(fig, f"Freezing attention: the loss peaks at ×{worst.spike:.3g} its value at the freeze within {int(worst.watched)} steps "
                  f"(at {worst.ref}, step {int(worst.start_step):,}); the unpatched run ×{worst.reference_spike:.3g}"
             if np.isfinite(worst.spike) and np.isfinite(worst.reference_spike) else "Freezing attention: no spike measured (runs without a watch window)")
    save_figure(fig, fi.fig_dir / "patching_freeze.png")

# %% [markdown]
# ## Numbers beside the paper's
# Loss at the last step and plateau end of each cell (mean over seeds with their range); the paper's values
# (Fig 3 middle / Fig D, 16k-step runs, loss at the end) are read off its plots. The unpatched row is read from the
# reference metrics the runs keep.

# %%
PAPER_START0 = dict(init="~0.6", early="~6 (500)", mid="~3.5 (1k)", end="~0.2 (2k)", post="~3.5e-2 (4k)", final="~8e-3 (16k)")
rows = seed_rows(summ, ["ref", "ref_step", "start", "start_step"], {"final loss": "final_seen_loss", "final accuracy": "final_seen_acc",
                                                                    "plateau end": "plateau_end", "spike after the freeze": "spike"})
for r in rows: r["paper (start = init)"] = PAPER_START0.get(r["ref"], "") if r["start"] == "init" else ""
last = unpatched[unpatched.step == unpatched.step.max()]
rows.append({"ref": "(unpatched)", "ref_step": "", "start": "", "start_step": "", "final loss": fmt_seeds(last.seen_loss),
             "final accuracy": fmt_seeds(last.seen_acc), "plateau end": fmt_seeds(summ.drop_duplicates("reference_plateau_end").reference_plateau_end),
             "spike after the freeze": "",
             "paper (start = init)": ""})
table = md_table(rows)
by = {(c.ref, c.start): c for c in cells.itertuples()}
claims = dict(stop_step=stop, reference_loss_at_stop=ref_loss_at_stop, reference_plateau_end=summ.reference_plateau_end.mean())
if ("post", "init") in by:      # post-plateau patterns from the first step: the plateau should disappear
    claims["post_init_plateau_end"] = by[("post", "init")].plateau_end_mean
for name in ("early", "mid", "end"):     # plateau patterns from the first step, against untrained ones (the paper: worse)
    if (name, "init") in by and ("init", "init") in by:
        a, b = by[(name, "init")].final_seen_loss_mean, by[("init", "init")].final_seen_loss_mean
        claims.update({f"{name}_init_loss": a, "init_init_loss": b, f"{name}_worse_than_init": bool(a > b)})
claims["freeze_spikes"] = [dict(ref=r.ref, step=int(r.start_step), spike=r.spike, reference_spike=r.reference_spike) for r in frozen.itertuples()]


def findings():
    "The page's sentences, computed: final losses from the first step, the post-plateau plateau, the freeze spikes."
    n = int(summ.groupby(["ref", "start"]).size().max())
    out, fresh = [], [by[(r, "init")] for r in ORDER if (r, "init") in by]
    if fresh:
        out.append(f"From the first step ({n} seed{'s' if n > 1 else ''} each), the loss at step {stop:,} with the patterns of "
                   + "; ".join(f"{c.ref} (step {int(c.ref_step):,}): {c.final_seen_loss_mean:.3g} nats, accuracy {c.final_seen_acc_mean:.2f}" for c in fresh)
                   + f"; the unpatched run {ref_loss_at_stop:.3g}.")
    for name in ("early", "mid", "end"):
        if f"{name}_init_loss" in claims:
            v, u = claims[f"{name}_init_loss"], claims["init_init_loss"]
            out.append(f"Patterns of {name} (step {int(steps_of[name]):,}) end {'worse' if claims[f'{name}_worse_than_init'] else 'better'} "
                       f"than untrained ones: {v:.3g} against {u:.3g} nats ({v / u:.2f}×).")
    if ("post", "init") in by:
        c = by[("post", "init")]
        out.append(f"With the post-plateau patterns (step {int(c.ref_step):,}) the plateau ends at step {c.plateau_end_mean:,.0f}, "
                   f"the unpatched run's at {claims['reference_plateau_end']:,.0f}.")
    for r in frozen.itertuples():
        if np.isfinite(r.spike):
            out.append(f"Attention frozen at {r.ref} (step {int(r.start_step):,}): within {int(r.watched)} steps the loss "
                       f"peaks at ×{r.spike:.3g} its value at the freeze, the unpatched run at ×{r.reference_spike:.3g}.")
    return " ".join(out)


table = findings() + "\n\n" + table
write_summary(fi.fig_dir, "patching", table, dict(claims, cells=cells.drop(columns=["ri", "si"]).to_dict("records")))
print(claims); print(table)
