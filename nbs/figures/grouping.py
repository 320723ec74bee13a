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
# # Figure: which factor produces a name-grouping head? (paper Fig 3 right, Fig F)
#
# From the `grouping` runs (the reference with one factor changed: depth, positions, name ambiguity, the name-once
# world) and the `phases` runs of the same preset (the reference itself, a source): the best head's layer-1
# name → name attention and the last layer's attribute → any name attention at every checkpoint, beside the loss.
# Writes `grouping.png`, `grouping_summary.md` (per run, at initialisation, plateau start, plateau end and the last
# common step: the best head of each metric) and `grouping.json` into `fig_dir`. A factor "produces a grouping head"
# here when its best layer-1 head ends above the reference's best by more than the reference seeds' range and above
# `GROUPING` = 0.5 (a head that puts most of its mass on the name; the paper's is ≈ 0.9). Runs that
# stop early (`stop_at`, the same schedule) are compared with the reference at their last step: everything is cut at
# the last step every run reached. Besides layer 1 (the paper's), the table gives the best head over the later
# layers, with its layer: in our reference a grouping head can form in layer 2.

# %%
import numpy as np
import pandas as pd
from factdyn.runs import figure_inputs, results_runs, wall_time
from factdyn.figstyle import figure, save_figure, use_style, draw_baseline
from factdyn.analysis import figure_legend, suptitle, plain_log_ticks, md_table, write_summary

# %% tags=["parameters"]
experiment: str = "grouping"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
store: str = "../results"  # the results store the runs are read from
fig_dir: str = "../figures/smoke"  # where images and tables are written
sources: list = ["phases"]  # the reference runs

# %%
fi = figure_inputs(experiment, preset, store, fig_dir, sources)
runs = list(fi.runs) + [r for e in sources for r in results_runs(e, preset, store)]
def factor(r) -> str:
    "The run's factor in words, from the parameters its experiment sets beyond the reference's."
    if r.experiment != experiment: return "reference"
    p = r.params
    return ("name once" if p.get("name_once") else f"name pools {p['n_first']}/{p['n_last']}" if p.get("n_first") else
            f"{p['n_layer']} layers" if r.name.startswith("n_layer") else f"{p['pos']} positions" if r.name.startswith("pos") else r.label)
att = pd.concat([r.table("attention").assign(run=r.name, factor=factor(r)) for r in runs if r.table("attention") is not None],
                ignore_index=True)
T_common = int(att.groupby("run").step.max().min())             # the last step every run reached
att = att[att.step <= T_common]
last = att.groupby("run").layer.transform("max")
best = lambda metric, layer_sel: (att[layer_sel].groupby(["factor", "run", "step"])[metric].max().reset_index())
g1, ex = best("name_name", att.layer == 0), best("attr_name_any", att.layer == last)
later = att[att.layer > 0].sort_values("name_name").groupby(["run", "step"]).last().reset_index()   # best head of layers 2+
summ = pd.DataFrame([dict(run=r.name, factor=factor(r), seed=r.params.get("seed"), **{k: r.summary.get(k) for k in
                     ("plateau_start", "plateau_end", "final_seen_loss", "baseline")}) for r in runs])
base = float(summ.baseline.iloc[0])
ORDER = ["reference"] + sorted(set(summ.factor) - {"reference"})
COL = {f: ("k" if f == "reference" else f"C{i}") for i, f in enumerate(ORDER)}
print(summ.to_string())
use_style()

# %%
#| label: fig-grouping
#| fig-cap: "Left: the best layer-1 head's attention from the last name token to the other name tokens of the same occurrence (the paper's grouping metric; paper ≈ 0.9). Middle: the best last-layer head's attention from the value-predicting position to any earlier name token (extraction). Right: held-out loss of seen individuals; dotted: the no-knowledge baseline. Black: the reference (its seeds faint); colours: one factor changed."
fig, axes = figure(1, 3, height=3.4)
for ax, d, metric in ((axes[0], g1, "name_name"), (axes[1], ex, "attr_name_any")):
    for f in ORDER:
        for i, (run, x) in enumerate(d[d.factor == f].groupby("run")):
            ax.plot(x.step, x[metric], color=COL[f], lw=1.6 if f != "reference" else 1.0, alpha=1 if f != "reference" or i == 0 else 0.4,
                    label=f if i == 0 else None)
    ax.set_ylim(0, 1); ax.set_xlabel("training step")
axes[0].set(title="grouping: layer 1, best head", ylabel="attention share")
axes[1].set(title="extraction: last layer, best head", ylabel="attention share")
for f in ORDER:
    for i, (run, m) in enumerate(fi.metrics.merge(summ[["run", "factor"]], on="run").query("factor == @f and step <= @T_common").groupby("run")):
        axes[2].plot(m.step, m.seen_loss, color=COL[f], lw=1.2, alpha=1 if i == 0 else 0.4)
draw_baseline(axes[2], base); axes[2].set_yscale("log"); plain_log_ticks(axes[2].yaxis)
axes[2].set(title="held-out loss", xlabel="training step", ylabel="attribute loss (nats)")
figure_legend(fig, ncol=3)
end = g1.sort_values("step").groupby(["factor", "run"]).name_name.last().groupby("factor").agg(["min", "max", "mean"])
ref = end.loc["reference"] if "reference" in end.index else None
GROUPING = 0.5
above = [f for f in end.index if f != "reference" and ref is not None and end.loc[f, "min"] > ref["max"] + (ref["max"] - ref["min"])
         and end.loc[f, "mean"] >= GROUPING]
ends = ", ".join(f"{end.loc[f, 'mean']:.2f}" for f in above)
others = ", ".join(f"{f} {end.loc[f, 'mean']:.2f}" for f in end.index if f not in above)
suptitle(fig, (f"A layer-1 grouping head only with {', '.join(above)} (best head ends at {ends}); "
               f"at step {T_common:,}: {others} (paper ≈ 0.9)"
               if above else f"No factor gives a grouping head: best layer-1 name → name ends at {end['mean'].min():.2f}–{end['mean'].max():.2f} (paper ≈ 0.9)"))
save_figure(fig, fi.fig_dir / "grouping.png")

# %% [markdown]
# ## The best head at four moments of every run
# Initialisation, plateau start, plateau end (each run's own, snapped to the nearest checkpoint) and the last step.

# %%
def at(d, metric, run, step):
    x = d[d.run == run]
    if step is None or not len(x): return None
    return float(x.iloc[(x.step - step).abs().argsort().iloc[0]][metric])
rows = []
for s in summ.itertuples():
    for when, step in (("init", 0), ("plateau start", s.plateau_start), ("plateau end", s.plateau_end), (f"step {T_common}", T_common)):
        if step is not None and step > T_common: step = None
        lay = at(later, "layer", s.run, step)
        rows.append(dict(factor=s.factor, run=s.run, moment=when, step=step, grouping_best=at(g1, "name_name", s.run, step),
                         grouping_best_later=at(later, "name_name", s.run, step), later_layer=None if lay is None else int(lay) + 1,
                         extraction_best=at(ex, "attr_name_any", s.run, step)))
table = (f"Compared up to step {T_common}, the last step every run reached. grouping_best: the best layer-1 head's "
         f"name → name; grouping_best_later: the best head of layers 2 and up, in layer later_layer.\n\n"
         + md_table(rows, ["factor", "run", "moment", "step", "grouping_best", "grouping_best_later", "later_layer", "extraction_best"]))
wall, run_secs = wall_time(fi.runs)
write_summary(fi.fig_dir, "grouping", table, dict(rows=rows, common_step=T_common, factors_with_grouping=above, final_grouping=end.reset_index().to_dict("records"),
                                                  wall_seconds=wall, run_seconds=run_secs))
print(table)
