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
# # Figure: where uniform sampling still struggles (the curricula regime, paper Fig 4 right / Fig J)
#
# The paper's curricula headline is made at 128k individuals and a 16k-step cosine budget, where uniform sampling
# ends at ≈ 0.59 × the no-knowledge baseline with ≈ 15% accuracy. The curricula issue asks for the same regime at
# the CPU preset: a population N and budget T where uniform ends between 0.45 and 0.8 × baseline with accuracy
# roughly 0.05–0.3. This notebook reads the `regime` runs (uniform sampling at candidate budgets; seeds averaged)
# and says which budgets fall inside that band. Writes `regime.png` (loss through training per budget, the band
# shaded; final loss ratio and accuracy against the budget), `regime_summary.md` and `regime.json`.

# %%
import numpy as np
import pandas as pd
from factdyn.runs import figure_inputs, wall_time
from factdyn.figstyle import figure, draw_baseline, save_figure, write_text_atomic, write_json_atomic, BASELINE
from factdyn.analysis import md_table, fmt
from factdyn.curricula import over_seeds, draw_seeds, fit_axis, fig_title, fmt_spread, n_label

# %% tags=["parameters"]
experiment: str = "regime"  # experiment whose results are plotted
preset: str = "smoke"  # preset of those results
store: str = "../results"  # the results store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
LOSS_BAND, ACC_BAND = (0.45, 0.8), (0.05, 0.3)     # the regime: final loss / baseline, final accuracy
PAPER = dict(ratio=4.0 / 6.78, acc=0.15)           # the paper's uniform run at 128k individuals, 16k steps (Fig 4 right, Fig J)
fi = figure_inputs(experiment, preset, store, fig_dir)
S = fi.summaries.assign(ratio=lambda d: d.final_seen_loss / d.baseline)
base, N = float(S.baseline.iloc[0]), int(S.n_individuals.iloc[0])
g = over_seeds(S, ["n_individuals", "steps"], ["ratio", "final_seen_acc", "final_seen_loss", "plateau_end"]).sort_values("steps")
g["in_band"] = g.ratio.between(*LOSS_BAND) & g.final_seen_acc.between(*ACC_BAND)
print(g[["n_individuals", "steps", "n_seeds", "ratio", "final_seen_acc", "plateau_end", "in_band"]].to_string())

# %% [markdown]
# ## Loss through training and the end of each budget
# Left: the attribute loss on held-out templates for each budget (mean over seeds, band: range), the baseline and the
# regime band (0.45–0.8 × baseline) shaded grey. Middle and right: the final loss ratio and accuracy against the budget,
# every seed a dot, the mean a line, the band shaded, the paper's 128k point a star (at its own budget, off this axis).

# %%
inside = g[g.in_band]
msg = (f"Uniform sampling, {n_label(N)} individuals: " + (
    "in the paper's regime at " + ", ".join(f"T = {int(r.steps)} ({r.ratio:.2f} × baseline, accuracy {r.final_seen_acc:.2f})"
                                             for r in inside.itertuples())
    if len(inside) else f"no budget ends inside 0.45–0.8 × baseline with accuracy 0.05–0.3 (closest: T = "
    f"{int(g.loc[(g.ratio - np.mean(LOSS_BAND)).abs().idxmin(), 'steps'])})"))
fig, axes = figure(1, 3, height=3.2)
for k, r in enumerate(g.itertuples()):
    m = fi.metrics[fi.metrics.run.isin(r.runs)]
    draw_seeds(axes[0], m, "seen_loss", color=f"C{k}", label=f"T = {int(r.steps)}")
axes[0].axhspan(LOSS_BAND[0] * base, LOSS_BAND[1] * base, color="0.85", lw=0, zorder=0)
draw_baseline(axes[0], base)
fit_axis(axes[0], [*fi.metrics.seen_loss, base, LOSS_BAND[0] * base], log=False)
axes[0].set(xlabel="training step", ylabel="attribute loss (nats)", title="loss (held-out)")
for ax, col, band, paper, name in ((axes[1], "ratio", LOSS_BAND, PAPER["ratio"], "final loss / baseline"),
                                   (axes[2], "final_seen_acc", ACC_BAND, PAPER["acc"], "final accuracy")):
    ax.axhspan(*band, color="0.85", lw=0, zorder=0, label="regime band")
    ax.plot(S.steps, S[col], "o", color="0.4", ms=4, alpha=0.7, label="one seed")
    ax.plot(g.steps, g[col], "-", color="k", lw=1.2, label="mean")
    ax.axhline(paper, color="C3", ls="--", lw=1, label="paper, 128k / 16k steps")
    fit_axis(ax, [*S[col], *band, paper], lower=0)
    Ts = sorted(S.steps.unique())
    shown = Ts[:1]
    for T in Ts[1:]:
        if T - shown[-1] >= 0.15 * (Ts[-1] - Ts[0]): shown.append(T)
    ax.set_xticks(Ts, [n_label(T) if T in shown else "" for T in Ts])   # a budget too close to the last one: tick only
    ax.set(xlabel="budget T (steps)", ylabel=name, title=name)
h0 = {l: h for h, l in zip(*axes[0].get_legend_handles_labels())}
h1 = {l: h for h, l in zip(*axes[1].get_legend_handles_labels())}
fig.legend([*h0.values(), *h1.values()], [*h0, *h1], loc="outside lower center", ncol=3)
fig_title(fig, msg)
save_figure(fig, fi.fig_dir / "regime.png")

# %% [markdown]
# ## Numbers
# Per budget (mean over seeds, range in brackets): final loss over baseline, final accuracy, plateau end (first
# evaluation below 0.9 × baseline), and whether the budget sits in the regime band.

# %%
rows = [dict(N=int(r.n_individuals), T=int(r.steps), seeds=int(r.n_seeds), loss_over_baseline=fmt_spread(r._asdict(), "ratio"),
             accuracy=fmt_spread(r._asdict(), "final_seen_acc"), plateau_end=fmt_spread(r._asdict(), "plateau_end"),
             in_band="yes" if r.in_band else "no") for r in g.itertuples()]
span, total = wall_time(fi.runs)
table = (md_table(rows) + f"\nRegime band: final loss {LOSS_BAND[0]}–{LOSS_BAND[1]} × baseline ({base:.2f} nats) and accuracy "
         f"{ACC_BAND[0]}–{ACC_BAND[1]}; the paper's uniform run at 128k individuals and 16k steps: {PAPER['ratio']:.2f} × baseline, "
         f"accuracy ≈ {PAPER['acc']}. {len(fi.runs)} runs, {total:,.0f} s of the runs' own time.\n")
write_text_atomic(fi.fig_dir / "regime_summary.md", table)
write_json_atomic(fi.fig_dir / "regime.json", dict(n_individuals=N, baseline=base, loss_band=LOSS_BAND, acc_band=ACC_BAND,
                                                            budgets=g.drop(columns=["runs"]).to_dict("records"),
                                                            in_band=[int(t) for t in inside.steps]))
print(table)
