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
# # Figure: sampling individuals from an inverse power law (paper Fig 4 left and middle, Fig G)
#
# Reads the `power_law` results (P(rank i) ∝ i^-α over the seen individuals, α = 0 uniform, one model per
# α × population size N × budget, possibly several seeds), with the uniform runs of its `sources` (the `regime`
# runs) that have the model, optimizer and budget of a `power_law` run as α = 0 (`factdyn.curricula.comparable_runs`),
# and writes into `fig_dir`:
#
# - `power_law.png`: plateau end and final loss against α, one line per N and budget (Fig 4 left and middle);
# - `power_law_curves.png`: loss and accuracy through training for every α at one N (Fig G);
# - `power_law_rank.png`: the final loss of the most frequent, middle and rarest individuals (by rank), from the
#   runs' `rank_groups` tables (written by the train template; the figure is skipped where the runs have none);
# - `power_law_summary.md` (our numbers beside the paper's) and `power_law.json`.
#
# Seeds are averaged (lines: mean; error bars and bands: the range over seeds). Plateau bounds are the train
# template's (`factdyn.metrics.plateau_bounds`); a setting where some seed never leaves the plateau has no end and
# is shown as "> T" (T = its budget), never dropped.

# %%
import numpy as np
import pandas as pd
from factdyn.runs import figure_inputs, wall_time
from factdyn.figstyle import figure, save_figure, write_text_atomic, write_json_atomic, draw_baseline
from factdyn.analysis import md_table, fmt
from factdyn.curricula import (fig_title, comparable_runs, over_seeds, verdict, seeds_note, fmt_spread, draw_seeds, fit_axis,
                               n_label)

# %% tags=["parameters"]
experiment: str = "power_law"  # experiment whose results are plotted
preset: str = "smoke"  # preset of those results
store: str = "../results"  # the results store
fig_dir: str = "../figures/smoke"  # where images and tables are written
sources: list = ["regime"]  # experiments whose uniform runs (same model and budget) are the rows of α 0

# %%
fi = figure_inputs(experiment, preset, store, fig_dir, sources)
runs = comparable_runs(fi.summaries, experiment)
runs = runs[runs.strategy.isin(["uniform", "power law"])].reset_index(drop=True)
runs["alpha"] = runs.alpha.fillna(0.0)                                   # a source's uniform run has no α: it is α 0
print(f"runs: {runs.groupby('experiment').size().to_dict()}")
base = float(runs.baseline.iloc[0])
KEYS = ["steps", "n_individuals", "alpha"]
cells = over_seeds(runs, KEYS, ["plateau_start", "plateau_end", "final_seen_loss", "final_seen_acc"])
cells["n_left"] = runs.groupby(KEYS).plateau_end.count().values
cells.loc[cells.n_left < cells.n_seeds, "plateau_end"] = np.nan          # an end only where every seed left
alphas, Ns, budgets = (sorted(cells[k].unique()) for k in ("alpha", "n_individuals", "steps"))
T_c = budgets[-1]


def cell(T, N, a):
    "The seed-aggregated row of (T, N, α), or None."
    r = cells[(cells.steps == T) & (cells.n_individuals == N) & (cells.alpha == a)]
    return r.iloc[0] if len(r) else None


def get(T, N, a, col):
    r = cell(T, N, a)
    return float(r[col]) if r is not None else np.nan


def best_alpha(T, N, col):
    "α with the lowest finite mean `col` at (T, N), or NaN."
    vals = {a: get(T, N, a, col) for a in alphas if np.isfinite(get(T, N, a, col))}
    return min(vals, key=vals.get) if vals else np.nan


print(cells[KEYS + ["n_seeds", "plateau_end", "final_seen_loss", "final_seen_acc"]].to_string())


# %% [markdown]
# ## Plateau end and final loss against α
# Left: the plateau end of each α (mean over seeds; open triangles at the budget: never left the plateau). Right:
# the final loss. The title names the α with the lowest final loss at each N (largest budget) and whether it beats
# uniform sampling beyond the seed spread.

# %%
points = list(cells[["n_individuals", "steps"]].drop_duplicates().sort_values(["steps", "n_individuals"])
              .itertuples(index=False, name=None))                        # the (N, T) pairs run, by budget then N


def headline():
    parts = []
    for N, T in points:
        a = best_alpha(T, N, "final_seen_loss")
        if not np.isfinite(a): continue
        v = verdict(cell(T, N, a), cell(T, N, 0.0)) if a != 0 and cell(T, N, 0.0) is not None else "tie"
        parts.append(f"α {a:g} at N {n_label(N)}" + (f", {T:.0f} steps" if len(budgets) > 1 else "")
                     + (" (ties uniform)" if v == "tie" and a != 0 else ""))
    return "Lowest final loss: " + "; ".join(parts)


fig, axes = figure(1, 2)
for i, N in enumerate(Ns):
    for j, T in enumerate(budgets):
        c = cells[(cells.n_individuals == N) & (cells.steps == T)].sort_values("alpha")
        if not len(c): continue                                              # an (N, T) that was not run
        lab = f"N {n_label(N)}" + (f", {T:.0f} steps" if len(budgets) > 1 else "")
        kw = dict(color=f"C{i}", ls=["-", "--", ":"][j % 3], marker="o", ms=4, capsize=2)
        left = c[np.isfinite(c.plateau_end)]
        axes[0].errorbar(left.alpha, left.plateau_end, [left.plateau_end - left.plateau_end_min,
                                                        left.plateau_end_max - left.plateau_end], label=lab, **kw)
        stuck = c[~np.isfinite(c.plateau_end)]
        axes[0].plot(stuck.alpha, [T] * len(stuck), "^", mfc="none", color=f"C{i}", ms=6)
        axes[1].errorbar(c.alpha, c.final_seen_loss, [c.final_seen_loss - c.final_seen_loss_min,
                                                      c.final_seen_loss_max - c.final_seen_loss], label=lab, **kw)
if (~np.isfinite(cells.plateau_end)).any():
    axes[0].plot([], [], "^", mfc="none", color="0.3", label="never left (plotted at the budget)")
bl = draw_baseline(axes[1], base)
fit_axis(axes[0], [*cells.plateau_end_min, *cells.plateau_end_max, *[T for T in budgets if (~np.isfinite(cells.plateau_end)).any()]], lower=0)
fit_axis(axes[1], [*cells.final_seen_loss_min, *cells.final_seen_loss_max, base])
axes[0].set(xlabel="α (0 = uniform)", ylabel="plateau end (step)", title="plateau end")
axes[1].set(xlabel="α (0 = uniform)", ylabel="attribute loss (nats)", title="final loss")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2)
axes[1].legend(handles=[bl], loc="best")
fig_title(fig, headline())
save_figure(fig, fi.fig_dir / "power_law.png")

# %% [markdown]
# ## Training curves at one population (Fig G)
# The population shown is the one, at the largest budget, whose uniform run ends closest to 0.52 × baseline (the
# paper's Fig G: ≈ 3.5 of 6.78 nats at 64k individuals and 8k steps). Each α's plateau end is marked on its curve;
# no band is shaded. The "plateau level" of each α is its mean loss / baseline from the uniform run's plateau start
# to the first plateau end among all α at that N (while every run is still on its plateau): the paper sees
# curves with α > 0 sitting slightly below the baseline there.

# %%
uni = cells[(cells.steps == T_c) & (cells.alpha == 0)]
N_c = float(uni.n_individuals.iloc[int((uni.final_seen_loss / base - 0.52).abs().values.argmin())]) if len(uni) else Ns[-1]
at_c = cells[(cells.steps == T_c) & (cells.n_individuals == N_c)].sort_values("alpha")
u_start = get(T_c, N_c, 0.0, "plateau_start")
win = (u_start, float(np.nanmin(at_c.plateau_end)) if at_c.plateau_end.notna().any() else T_c)
curves = {float(r.alpha): fi.metrics[fi.metrics.run.isin(r.runs)] for _, r in at_c.iterrows()}
plateau_level = {a: float(m[(m.step >= win[0]) & (m.step < win[1])].seen_loss.mean() / base) if np.isfinite(win[0]) else np.nan
                 for a, m in curves.items()}
ends = at_c.set_index("alpha").plateau_end
first = ends.idxmin() if ends.notna().any() else None
print(f"curves at N={N_c:g}, budget {T_c:g}; plateau window {win}; plateau level {plateau_level}")

# %%
fig, axes = figure(1, 2)
for k, (a, m) in enumerate(curves.items()):
    for ax, y in zip(axes, ["seen_loss", "seen_acc"]):
        line = draw_seeds(ax, m, y, color=f"C{k}", label=f"α = {a:g}")
        if np.isfinite(ends[a]):
            s = m.groupby("step")[y].mean()
            ax.plot(ends[a], np.interp(ends[a], s.index, s.values), "o", color=line.get_color(), mec="k", ms=6, zorder=5)
if ends.notna().any(): axes[0].plot([], [], "o", color="0.6", mec="k", label="plateau end of that α")
draw_baseline(axes[0], base)
fit_axis(axes[0], [*fi.metrics[fi.metrics.run.isin(sum(at_c.runs, []))].seen_loss, base])
fit_axis(axes[1], fi.metrics[fi.metrics.run.isin(sum(at_c.runs, []))].seen_acc, lower=-0.02, upper=1.02)
axes[0].set(xlabel="training step", ylabel="attribute loss (nats)", title="loss")
axes[1].set(xlabel="training step", ylabel="attribute accuracy", title="accuracy")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=4)
fig_title(fig, f"N {n_label(N_c)}, {T_c:.0f} steps: " +
             (f"α {first:g} leaves the plateau first (step {ends[first]:.0f}; uniform: "
              f"{'never' if not np.isfinite(ends.get(0.0, np.nan)) else f'step {ends[0.0]:.0f}'})" if first is not None
              else f"no α leaves the plateau within the budget"))
save_figure(fig, fi.fig_dir / "power_law_curves.png")

# %% [markdown]
# ## Who pays for the imbalance
# The training log evaluates individuals drawn uniformly, so it cannot say who is learned. Runs that wrote the
# `rank_groups` table (`factdyn.curricula.rank_group_metrics` on the final model: the 10% most frequent individuals,
# the middle 40% and the rarest 50%) give the loss of each rank group. A uniform run without the table (the `regime`
# runs) stands for every group with its loss over everyone: under uniform sampling every rank group is drawn alike.

# %%
rank_rows = [t.assign(run=r.name) for r in fi.runs if (t := r.table("rank_groups")) is not None]
ranks = pd.DataFrame()
if rank_rows:
    groups = list(dict.fromkeys(pd.concat(rank_rows).group))
    flat = runs[(runs.alpha == 0) & ~runs.run.isin({t.run.iloc[0] for t in rank_rows})]    # uniform runs without the table
    rank_rows += [pd.DataFrame(dict(group=groups, loss=r.final_seen_loss, acc=r.final_seen_acc, run=r.run)) for _, r in flat.iterrows()]
    ranks = pd.concat(rank_rows).merge(runs[["run", *KEYS]], on="run")
    ranks = over_seeds(ranks.rename(columns=dict(loss="final_seen_loss", acc="final_seen_acc")), [*KEYS, "group"])
    fig, axes = figure(1, len(Ns), squeeze=False, sharey=True)
    for ax, N in zip(axes[0], Ns):
        for i, g in enumerate(groups):
            c = ranks[(ranks.group == g) & (ranks.n_individuals == N) & (ranks.steps == T_c)].sort_values("alpha")
            ax.errorbar(c.alpha, c.final_seen_loss, [c.final_seen_loss - c.final_seen_loss_min, c.final_seen_loss_max - c.final_seen_loss],
                        color=f"C{i}", marker="o", ms=4, capsize=2, label=g)
        draw_baseline(ax, base)
        ax.set(xlabel="α (0 = uniform)", title=f"N {n_label(N)}")
    fit_axis(axes[0, 0], [*ranks.final_seen_loss_min, *ranks.final_seen_loss_max, base])
    axes[0, 0].set_ylabel("final attribute loss (nats)")
    for ax in axes[0]: ax.label_outer()
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=2)
    rare = ranks[(ranks.group == groups[-1]) & (ranks.steps == T_c) & (ranks.n_individuals == N_c)].set_index("alpha")
    a_best = best_alpha(T_c, N_c, "final_seen_loss")                   # the α with the lowest loss over everyone
    a_max = float(rare.index.max())
    WORD = {"higher": "rise", "lower": "fall", "tie": "do not change beyond the seed spread"}
    def change(a):
        v = verdict(rare.loc[a], rare.loc[0.0]) if 0.0 in rare.index and a in rare.index and a > 0 else "—"
        return f"{fmt(rare.final_seen_loss[a])} at α {a:g} ({WORD.get(v, '—')})" if a in rare.index else "—"
    fig_title(fig, f"The {groups[-1]} of individuals at N {n_label(N_c)}, final loss: {fmt(rare.final_seen_loss.get(0.0, np.nan))} "
                   f"uniform; {change(a_best)}, the best α over everyone" + (f"; {change(a_max)}" if a_max != a_best else ""))
    save_figure(fig, fi.fig_dir / "power_law_rank.png")
else:
    print("no run wrote a rank_groups table: power_law_rank.png is not drawn")


# %% [markdown]
# ## Numbers beside the paper's
# The paper's values are read off Fig 4 and Fig G (approximate); its budgets are 8k–32k steps of 128 at
# N = 16k–256k, ours are listed in the table, each of our rows for every (N, budget T) run. "Plateau end, uniform →
# best α" uses the α with the earliest
# plateau end among the settings that left the plateau; "ties" marks a best α whose final loss is inside uniform's
# seed spread.

# %%
def per_NT(f) -> str:
    "'N, T: value; …' over every (N, T) that was run."
    return "; ".join(f"{n_label(N)}, {T:.0f}: {f(T, N)}" for N, T in points)


def end_txt(T, N, a):
    return f"{get(T, N, a, 'plateau_end'):.0f}" if np.isfinite(get(T, N, a, "plateau_end")) else f">{T:.0f}"


def plateau_gain(T, N):
    a = best_alpha(T, N, "plateau_end")
    return f"none left (> {T:.0f})" if not np.isfinite(a) else f"{end_txt(T, N, 0.0)} → {end_txt(T, N, a)} (α {a:g})"


def loss_gain(T, N):
    a = best_alpha(T, N, "final_seen_loss")
    if not np.isfinite(a) or cell(T, N, 0.0) is None: return "—"
    tie = " (ties)" if a != 0 and verdict(cell(T, N, a), cell(T, N, 0.0)) == "tie" else ""
    return f"{fmt_spread(cell(T, N, 0.0), 'final_seen_loss')} → {fmt_spread(cell(T, N, a), 'final_seen_loss')} (α {a:g}){tie}"


def zipf_vs_best(T, N):
    a = best_alpha(T, N, "plateau_end")
    return "—" if not np.isfinite(a) or 1.0 not in alphas else f"{end_txt(T, N, 1.0)} vs {end_txt(T, N, a)}"


def rare_cost(T, N):
    a = best_alpha(T, N, "final_seen_loss")
    if not len(ranks) or not np.isfinite(a): return "not measured (no rank_groups table)"
    g = ranks[(ranks.group == ranks.group.iloc[-1]) & (ranks.n_individuals == N) & (ranks.steps == T)].set_index("alpha")
    if 0.0 not in g.index or a not in g.index: return "—"
    return f"{fmt(g.final_seen_loss[0.0])} → {fmt(g.final_seen_loss[a])} (α {a:g}; acc {fmt(g.final_seen_acc[0.0])} → {fmt(g.final_seen_acc[a])})"


levels = "; ".join(f"α {a:g}: {fmt(v)}" for a, v in plateau_level.items() if a > 0) or "—"
rows = [
    dict(quantity="budget (steps × batch)", paper="8k / 16k / 32k × 128", ours=", ".join(f"{T:.0f}" for T in budgets) + f" × {int(runs.batch_size.iloc[0])}"),
    dict(quantity="populations N", paper="16k … 256k", ours=", ".join(n_label(N) for N in Ns)),
    dict(quantity="best α for plateau end", paper="0.6–0.8 for every N", ours=per_NT(lambda T, N: fmt(best_alpha(T, N, "plateau_end")))),
    dict(quantity="plateau end, uniform → best α (steps)", paper="16k: ≈1.1k → ≈0.7k; 256k: ≈10k → ≈8k", ours=per_NT(plateau_gain)),
    dict(quantity="plateau end, α = 1 vs best α", paper="α = 1 worse (overfitting)", ours=per_NT(zipf_vs_best)),
    dict(quantity="best α for final loss", paper="grows with N, shrinks with budget (0 at 16k; 0.6–0.8 at 128k–256k, 16k steps)", ours=per_NT(lambda T, N: fmt(best_alpha(T, N, "final_seen_loss")))),
    dict(quantity="final loss, uniform → best α", paper="64k, 8k steps: ≈3.5 → ≈1.6 (α 0.6)", ours=per_NT(loss_gain)),
    dict(quantity=f"plateau level / baseline, α > 0 (N {n_label(N_c)})", paper="slightly below 1", ours=levels),
    dict(quantity="rarest 50%: final loss, uniform → best α", paper="argued (§3.1), not measured", ours=per_NT(rare_cost)),
]
grid_rows = [dict(N=n_label(N), budget=f"{T:.0f}", **{f"α {a:g}": f"{end_txt(T, N, a)} / {fmt_spread(cell(T, N, a), 'final_seen_loss')}"
                                                     for a in alphas if cell(T, N, a) is not None})
             for N, T in points]
span, total = wall_time(fi.runs)
table = (md_table(rows) + f"\n**Every setting** (plateau end in steps, > T if some seed never left / final loss in nats, "
         f"mean (min–max) over seeds; baseline {base:.2f}). {seeds_note(cells.n_seeds)}.\n\n" + md_table(grid_rows)
         + f"\n{len(fi.runs)} runs; wall time {span:.0f} s from first start to last end, {total:.0f} s summed over runs.\n")
write_text_atomic(fi.fig_dir / "power_law_summary.md", table)
write_json_atomic(fi.fig_dir / "power_law.json", dict(
    baseline=base, budgets=budgets, N=Ns, alphas=alphas, curves_N=N_c, curves_budget=T_c, plateau_level=plateau_level,
    settings=cells.drop(columns="runs").to_dict("records"),
    best_alpha_plateau={f"{N:g}@{T:g}": best_alpha(T, N, "plateau_end") for T in budgets for N in Ns},
    best_alpha_loss={f"{N:g}@{T:g}": best_alpha(T, N, "final_seen_loss") for T in budgets for N in Ns},
    rank_groups=ranks.drop(columns="runs").to_dict("records") if len(ranks) else [], wall_seconds=span, run_seconds=total))
print(table)
