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
# # Figure: the warm-up grid (paper Figs I, K, L)
#
# Reads the `warmup_grid` results (uniform training on the first `n_warmup` individuals for `warmup_epochs` epochs
# of the full population, then on everyone), adds the fixed warm-up runs of `strategies` with the same population,
# budget and model (`factdyn.curricula.comparable_runs`), and takes the uniform reference from the α = 0 runs of
# `power_law`, the uniform runs of `regime` or those of `strategies`. Seeds are averaged. Writes into `fig_dir`:
#
# - `warmup_grid.png`: final loss and final accuracy against the warm-up length, one line per subset size, beside
#   uniform sampling (Figs I, K, L);
# - `warmup_grid_curves.png`: loss on the full population through training, one subset at several lengths and one
#   length at several subsets (Fig I): during the warm-up the loss over everyone rises above the no-knowledge
#   baseline — the model hallucinates about the individuals it has not met yet — and drops once they are introduced;
# - `warmup_grid_summary.md` (our numbers beside the paper's) and `warmup_grid.json`.
#
# Evaluation is over all N individuals (drawn uniformly), so during the warm-up most evaluated individuals are not
# yet seen. "Peak / baseline" is the highest evaluated loss between the end of phase 1 (the lowest loss before the
# switch) and the switch, divided by the baseline.

# %%
import numpy as np
import pandas as pd
from factdyn.curricula import (comparable_runs, over_seeds, best_settings, verdict, seeds_note, fmt_spread, draw_seeds, fit_axis,
                               set_categories, fig_title, n_label)
from factdyn.analysis import md_table, fmt
from factdyn.figstyle import figure, save_figure, write_text_atomic, write_json_atomic, draw_baseline
from factdyn.runs import figure_inputs, wall_time

# %% tags=["parameters"]
sources: list = ["strategies", "power_law", "regime"]  # experiments whose comparable runs join the comparison
experiment: str = "warmup_grid"  # experiment whose results are plotted
preset: str = "smoke"  # preset of those results
store: str = "../results"  # the results store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
PAPER_FIG_G_RATIO = 3.5 / 6.78        # uniform at 64k individuals, 8k steps (Figs G, I): final loss / baseline
fi = figure_inputs(experiment, preset, store, fig_dir, sources)
runs, logs = comparable_runs(fi.summaries, experiment), fi.metrics
base = float(runs.baseline.iloc[0])


def rise(run, switch):
    "Peak loss / baseline between the end of phase 1 (lowest loss before the switch) and the switch; loss at the switch / baseline."
    pre = logs[(logs.run == run) & (logs.step <= switch)].sort_values("step")
    if len(pre) < 2: return np.nan, np.nan
    i0 = int(pre.seen_loss.values.argmin())
    return float(pre.seen_loss.values[i0:].max() / base), float(pre.seen_loss.values[-1] / base)


w = runs[runs.strategy == "warm-up"].copy()
assert len(w), "no warm-up run that switches to everyone before the end of its budget"
w[["peak_over_base", "at_switch_over_base"]] = [rise(r.run, r.warmup_steps) for _, r in w.iterrows()]
CELL = ["n_individuals", "steps", "n_warmup", "warmup_steps"]
cells = over_seeds(w, CELL, ["final_seen_loss", "final_seen_acc", "peak_over_base", "at_switch_over_base"])
cells["source"] = [", ".join(sorted(set(w[w.run.isin(r)].experiment))) for r in cells.runs]
uniform = best_settings(runs[runs.strategy == "uniform"], by=["n_individuals", "steps"]) if (runs.strategy == "uniform").any() else pd.DataFrame()
own = runs[runs.experiment == experiment]
combos = sorted({(float(r.n_individuals), float(r.steps)) for _, r in own.iterrows()})
print(cells.drop(columns="runs").to_string())


def combo(N, T): return cells[(cells.n_individuals == N) & (cells.steps == T)]
def uni(N, T): return uniform.loc[(N, T)] if (N, T) in uniform.index else None


def u_ratio(k):
    u = uni(*k)
    return abs(float(u.final_seen_loss) / base - PAPER_FIG_G_RATIO) if u is not None else np.inf


grids = [k for k in combos if len(combo(*k)) >= 2]      # a budget with one cell is a budget-curve point, not a grid
NT = min(grids or combos, key=lambda k: (u_ratio(k), -len(combo(*k))))
cc = combo(*NT)
bc = cc.loc[cc.final_seen_loss.idxmin()] if cc.final_seen_loss.notna().any() else cc.iloc[0]
uc = uni(*NT)
v_bc = verdict(bc, uc) if uc is not None else "—"          # the best cell against uniform: lower, tie or higher loss
print(f"curves at N={NT[0]:g}, {NT[1]:g} steps; best cell: {bc.n_warmup:g} individuals for {bc.warmup_steps:g} steps")

# %% [markdown]
# ## Final loss and accuracy over the grid
# One row per population and budget that has a grid; x: warm-up length (steps, share of the budget), one line per subset size
# (mean over seeds, bars: range). The uniform run is the horizontal line (its seed range shaded). Lines and points
# replace the colour grid: the values differ by a few percent, which a colour scale does not show.

# %%
def message():
    v = v_bc
    where = f"N {n_label(NT[0])}, {NT[1]:.0f} steps"
    if v == "lower":
        return (f"{where}: the best warm-up ({n_label(bc.n_warmup)} individuals for {bc.warmup_steps:.0f} steps) ends at "
                f"{fmt(uc.final_seen_loss / bc.final_seen_loss)}× lower loss than uniform")
    if v == "tie": return f"{where}: no warm-up setting beats uniform sampling beyond the seed spread"
    return f"{where}: every warm-up ends above uniform sampling" if v == "higher" else f"{where}: no uniform run to compare with"


# rows: the populations and budgets with a grid (2 or more cells), the headline's first; a budget with a single cell
# (the best one, run at other budgets) is a point of the budget curve (`warmup_budget.png`), not a grid
rows = sorted({*grids, NT}, key=lambda k: (k != NT, k))
fig, axes = figure(len(rows), 2, height=3.4 * len(rows), squeeze=False)   # a row and its share of the legend
all_subs = sorted(cells.n_warmup.unique())                  # one colour per subset size across rows
for (ax_l, ax_a), (N, T) in zip(axes, rows):
    c, u = combo(N, T), uni(N, T)
    lens = sorted(c.warmup_steps.unique()); subs = sorted(c.n_warmup.unique())
    for k, n in ((all_subs.index(n), n) for n in subs):
        s = c[c.n_warmup == n].sort_values("warmup_steps")
        x = np.array([lens.index(v) for v in s.warmup_steps]) + (subs.index(n) - (len(subs) - 1) / 2) * 0.08
        for ax, col in ((ax_l, "final_seen_loss"), (ax_a, "final_seen_acc")):
            ax.errorbar(x, s[col], [s[col] - s[f"{col}_min"], s[f"{col}_max"] - s[col]], color=f"C{k}", marker="o", ms=4,
                        capsize=2, label=f"{n_label(n)} warm-up individuals" + (f" ({n / N:.3g} N)" if len(rows) == 1 else ""))
    vals = {"final_seen_loss": [base], "final_seen_acc": []}
    for ax, col in ((ax_l, "final_seen_loss"), (ax_a, "final_seen_acc")):
        if u is not None:
            ax.axhline(u[col], color="k", ls="--", lw=1.2, label="uniform (no warm-up)")
            if u.n_seeds > 1: ax.axhspan(u[f"{col}_min"], u[f"{col}_max"], color="k", alpha=0.08, lw=0)
            vals[col] += [u[f"{col}_min"], u[f"{col}_max"]]
        fit_axis(ax, [*vals[col], *c[f"{col}_min"], *c[f"{col}_max"]], lower=0 if col == "final_seen_acc" else None)
        set_categories(ax, range(len(lens)), [f"{l:.0f} ({l / T:.0%})" for l in lens]); ax.set_xlim(-0.5, len(lens) - 0.5)
        ax.set_xlabel("warm-up steps (share of budget)")
    draw_baseline(ax_l, base)
    ax_l.set(ylabel="final loss (nats)", title=f"final loss, N {n_label(N)}, {T:.0f} steps")
    ax_a.set(ylabel="final accuracy", title=f"final accuracy, N {n_label(N)}, {T:.0f} steps")
handles = {l: h for ax in axes.ravel() for h, l in zip(*ax.get_legend_handles_labels())}
fig.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=2)
fig_title(fig, message())
save_figure(fig, fi.fig_dir / "warmup_grid.png")

# %% [markdown]
# ## Curves (Fig I)
# At the population and budget with a grid (2 or more cells) whose uniform run ends closest to 0.52 × baseline (the paper's Fig I setting, 64k
# individuals and 8k steps, where uniform ends near 3.5 of 6.78 nats): left, the subset of the best cell at every
# warm-up length; right, the length of the best cell at every subset size. Dots mark the switch to everyone.

# %%
fig, axes = figure(1, 2, height=3.2, sharey=True)
for ax, sel, lab in [(axes[0], cc[cc.n_warmup == bc.n_warmup].sort_values("warmup_steps"), lambda r: f"{r.warmup_steps:.0f} steps"),
                     (axes[1], cc[cc.warmup_steps == bc.warmup_steps].sort_values("n_warmup"), lambda r: f"{n_label(r.n_warmup)} individuals")]:
    for k, (_, r) in enumerate(sel.iterrows()):
        m = logs[logs.run.isin(r.runs)]
        line = draw_seeds(ax, m, "seen_loss", color=f"C{k}", label=lab(r) + ("*" if r.source != experiment else ""))
        at = m[m.step <= r.warmup_steps].groupby("step").seen_loss.mean()
        if len(at): ax.plot(at.index[-1], at.iloc[-1], "o", color=line.get_color(), ms=5)
    if uc is not None: draw_seeds(ax, logs[logs.run.isin(uc.runs)], "seen_loss", color="k", ls="--", lw=1.2, label="uniform")
    ax.plot([], [], "o", color="0.4", ms=5, label="switch to everyone")
    draw_baseline(ax, base)
    ax.set_xlabel("training step"); ax.label_outer()
    own_series = [(h, l) for h, l in zip(*ax.get_legend_handles_labels()) if l not in ("uniform", "switch to everyone", "no-knowledge baseline")]
    ax.legend(*zip(*own_series), loc="best", fontsize=8)
shared = {l: h for h, l in zip(*axes[1].get_legend_handles_labels()) if l in ("uniform", "switch to everyone", "no-knowledge baseline")}
fig.legend(shared.values(), shared.keys(), loc="outside lower center", ncol=3)
shown = logs[logs.run.isin(sum(cc.runs, []) + (uc.runs if uc is not None else []))]
fit_axis(axes[0], [*shown.seen_loss, base])
axes[0].set_ylabel("loss, all individuals (nats)")
axes[0].set_title(f"{n_label(bc.n_warmup)} warm-up individuals"); axes[1].set_title(f"warm-up of {bc.warmup_steps:.0f} steps")
peak = float(cc.peak_over_base.max())
after = bool((cc.final_seen_loss < cc.at_switch_over_base * base).all())
fig_title(fig, f"N {n_label(NT[0])}: during the warm-up the loss over everyone "
             + (f"rises to {peak:.2g}× the no-knowledge baseline" if peak > 1 else f"stays below the baseline (peak {peak:.2g}×)")
             + ("; it falls after the switch" if after else ""))
save_figure(fig, fi.fig_dir / "warmup_grid_curves.png")

# %% [markdown]
# ## Numbers beside the paper's
# The paper's values are read off Figs I, K, L (64k individuals, 8k steps of 128 unless stated), approximate. Ours
# are means over seeds (range in brackets); cells marked `*` in the curves come from `strategies`.

# %%
ul = float(uc.final_seen_loss) if uc is not None else np.nan
longest = cc.loc[cc.warmup_steps.idxmax()]
sub_sweep = "; ".join(f"{n_label(r.n_warmup)}: {fmt_spread(r, 'final_seen_loss')}" for _, r in cc[cc.warmup_steps == bc.warmup_steps].sort_values("n_warmup").iterrows())
len_sweep = "; ".join(f"{r.warmup_steps:.0f}: {fmt_spread(r, 'final_seen_loss')}" for _, r in cc[cc.n_warmup == bc.n_warmup].sort_values("warmup_steps").iterrows())
rows = [
    dict(quantity="population, budget", paper="64k individuals, 8k steps of 128", ours=f"{n_label(NT[0])} individuals, {NT[1]:.0f} steps of {int(own.batch_size.iloc[0])}"),
    dict(quantity="uniform: final loss / accuracy", paper="≈3.5 / ≈0.33",
         ours=f"{fmt_spread(uc, 'final_seen_loss')} / {fmt_spread(uc, 'final_seen_acc')}" if uc is not None else "no uniform run"),
    dict(quantity="best cell: subset × length", paper="8k (N/8) × 1.5k steps (19%)",
         ours=f"{n_label(bc.n_warmup)} ({bc.n_warmup / NT[0]:.3g} N) × {bc.warmup_steps:.0f} steps ({bc.warmup_steps / NT[1]:.0%})"),
    dict(quantity="best cell: final loss / accuracy", paper="≈0.2 / ≈0.98", ours=f"{fmt_spread(bc, 'final_seen_loss')} / {fmt_spread(bc, 'final_seen_acc')}"),
    dict(quantity="final loss, uniform ÷ best warm-up", paper="≈17",
         ours=f"{fmt(ul / float(bc.final_seen_loss))} ({dict(lower='warm-up lower', tie='tie', higher='warm-up higher').get(v_bc, '—')})"),
    dict(quantity="final loss by subset, at the best length", paper="2k ≈1.1; 4k ≈0.45; 8k ≈0.2; 16k ≈0.6; 32k ≈2.5", ours=sub_sweep),
    dict(quantity="final loss by length (steps), at the best subset", paper="0.5k ≈2.7; 1k ≈0.5; 1.5k ≈0.2; 2k ≈0.3; 4k ≈2.3", ours=len_sweep),
    dict(quantity="peak loss during warm-up / baseline, longest warm-up", paper="≈2.2 (≈15 nats)",
         ours=f"{fmt_spread(longest, 'peak_over_base')} ({longest.warmup_steps:.0f} steps)"),
    dict(quantity="peak loss during warm-up / baseline, all cells", paper="above 1 (rises with length)",
         ours=f"{fmt(cells.peak_over_base.min())} – {fmt(cells.peak_over_base.max())}"),
]
cell_rows = [{"N": n_label(r.n_individuals), "budget": f"{r.steps:.0f}", "subset": n_label(r.n_warmup),
              "warm-up steps": f"{r.warmup_steps:.0f}", "seeds": int(r.n_seeds), "final loss": fmt_spread(r, "final_seen_loss"),
              "final accuracy": fmt_spread(r, "final_seen_acc"), "peak / baseline": fmt_spread(r, "peak_over_base"),
              "at switch / baseline": fmt_spread(r, "at_switch_over_base"), "source": r.source}
             for _, r in cells.sort_values(CELL).iterrows()]
span, total = wall_time(fi.runs)
table = (md_table(rows) + f"\n**Every warm-up setting** (baseline {base:.2f} nats). {seeds_note(cells.n_seeds)}.\n\n" + md_table(cell_rows)
         + f"\nThis experiment's {len(fi.runs)} runs: {span:.0f} s from first start to last end, {total:.0f} s summed.\n")
write_text_atomic(fi.fig_dir / "warmup_grid_summary.md", table)
write_json_atomic(fi.fig_dir / "warmup_grid.json", dict(
    baseline=base, curves=dict(N=NT[0], steps=NT[1]), uniform_loss=ul, uniform_acc=float(uc.final_seen_acc) if uc is not None else None,
    best=dict(n_warmup=bc.n_warmup, warmup_steps=bc.warmup_steps, final_loss=bc.final_seen_loss, final_acc=bc.final_seen_acc,
              n_seeds=bc.n_seeds, runs=bc.runs), factor_loss=ul / float(bc.final_seen_loss),
    cells=cells.to_dict("records")))
print(table)
