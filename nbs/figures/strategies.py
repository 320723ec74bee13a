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
# # Figure: every sampling strategy at a fixed budget (paper Fig 4 right, Fig J, and two untested proposals)
#
# Gathers the `strategies` results (celebrities, warm-up, adaptive warm-up, gradual growth) with those of its
# sources — `power_law` (uniform = α 0, and the power laws), `warmup_grid` (more warm-up settings) and `regime`
# (uniform sampling) — keeping
# only runs whose budget, batch, model and optimizer equal those of a `strategies` run
# (`factdyn.curricula.comparable_runs`). Seeds are averaged; for each strategy and population size N the best
# setting is the one with the lowest mean final attribute loss (`best_settings`), and the figure says how many
# settings it chose from. Writes into `fig_dir`:
#
# - `strategies.png`: final loss and final accuracy against N, each strategy at its best (Fig 4 right, Fig J), over
#   the populations where every strategy was run; where that is one population or none (the cpu preset, where only
#   uniform and the power law were also run at a second N), one row per strategy at the headline N, each seed a dot
#   (every N stays in the tables);
# - `strategies_curves.png`: loss and accuracy through training at the headline N;
# - `strategies_new.png`: adaptive warm-up and growth against the best fixed warm-up at every N;
# - `strategies_summary.md` (our numbers beside the paper's) and `strategies.json`.
#
# **Headline N**: among the populations with both a uniform and a warm-up run, the one whose uniform run ends
# closest to 0.59 × baseline, the paper's uniform run at 128k individuals and 16k steps (≈ 4 of 6.78 nats,
# accuracy ≈ 15%): a budget where uniform sampling barely leaves the plateau. Evaluation is always over all N
# individuals, drawn uniformly. A difference inside the seed range is a tie (`factdyn.curricula.verdict`).

# %%
import numpy as np
import pandas as pd
from factdyn.runs import figure_inputs, wall_time
from factdyn.figstyle import figure, save_figure, write_text_atomic, write_json_atomic, draw_baseline, BASELINE
from factdyn.analysis import md_table, fmt
from factdyn.curricula import (fig_title, STRATEGIES, comparable_runs, best_settings, verdict, seeds_note, fmt_spread, draw_seeds,
                               fit_axis, set_categories, n_label)

# %% tags=["parameters"]
experiment: str = "strategies"  # experiment whose results are plotted
preset: str = "smoke"  # preset of those results
store: str = "../results"  # the results store
fig_dir: str = "../figures/smoke"  # where images and tables are written
sources: list = ["power_law", "warmup_grid", "regime"]  # experiments whose comparable runs join the comparison

# %%
fi = figure_inputs(experiment, preset, store, fig_dir, sources)
runs = comparable_runs(fi.summaries, experiment)
runs = runs[runs.strategy.isin(STRATEGIES)].reset_index(drop=True)
left_out = (fi.summaries.groupby("experiment").size() - runs.groupby("experiment").size()).fillna(0).astype(int)
print(f"runs compared: {runs.groupby('experiment').size().to_dict()}; left out (other budget or model): {left_out.to_dict()}")
best = best_settings(runs)
Ns = sorted(runs.n_individuals.unique())
base, T, B = float(runs.baseline.iloc[0]), int(runs.steps.iloc[0]), int(runs.batch_size.iloc[0])
ORDER = [s for s in STRATEGIES if s in set(runs.strategy)]
COLOR = dict(zip(STRATEGIES, ["k", "C0", "C1", "C2", "C3", "C4"]))
PAPER_RATIO = 4.0 / 6.78          # the paper's uniform run at 128k individuals, 16k steps: final loss / baseline


def row(s, N):
    return best.loc[(s, N)] if (s, N) in best.index else None


def get(s, N, col):
    r = row(s, N)
    return float(r[col]) if r is not None else np.nan


uni = {N: get("uniform", N, "final_seen_loss") / base for N in Ns if row("uniform", N) is not None}
cand = {N: r for N, r in uni.items() if row("warm-up", N) is not None} or uni
N_h = min(cand, key=lambda N: abs(cand[N] - PAPER_RATIO)) if cand else Ns[-1]
print(best[["setting", "n_settings", "n_seeds", "final_seen_loss", "final_seen_acc"]].to_string())
print(f"headline N = {N_h:g} (uniform final / baseline: {uni})")


# %% [markdown]
# ## Each strategy at its best
# Points: mean over seeds of the best setting; bars: its range over seeds. The accuracy axis is scaled to the data.

# %%
def vs_uniform(N):
    "Title: the best strategy at N against uniform."
    cands = [(get(s, N, "final_seen_loss"), s) for s in ORDER if s != "uniform" and row(s, N) is not None]
    if not cands or row("uniform", N) is None: return f"N {n_label(N)}: no strategy to compare with uniform"
    _, s = min(cands)
    v = verdict(row(s, N), row("uniform", N))
    if v == "tie": return f"At N {n_label(N)} no strategy beats uniform sampling beyond the seed spread (best: {s})"
    return (f"At N {n_label(N)}, {s} ends lowest: final loss {get(s, N, 'final_seen_loss'):.3g} vs "
            f"{get('uniform', N, 'final_seen_loss'):.3g} uniform" if v == "lower" else
            f"At N {n_label(N)} every strategy ends above uniform sampling (best: {s})")


N_all = [N for N in Ns if all(row(s, N) is not None for s in ORDER)]   # populations where every strategy was run
one_N = len(N_all) <= 1       # else (the cpu preset): a dot plot at the headline N, one row per strategy, each seed a dot
COLS = ["final_seen_loss", "final_seen_acc"]
if one_N:
    fig, axes = figure(1, 2, height=3.0, sharey=True)
    ys = np.arange(len(ORDER))[::-1]
    for k, s in enumerate(ORDER):
        b = row(s, N_h)
        if b is None: continue
        for ax, col in zip(axes, COLS):
            ax.errorbar([b[col]], [ys[k] + 0.12], xerr=[[b[col] - b[f"{col}_min"]], [b[f"{col}_max"] - b[col]]], color=COLOR[s],
                        marker="o", ms=5, capsize=3, lw=1.5)
            if b.n_seeds > 1:
                v = runs[runs.run.isin(b.runs)][col]
                ax.plot(v, np.full(len(v), ys[k] - 0.15), ".", color=COLOR[s], alpha=0.7, ms=5)
    bh = best.xs(N_h, level="n_individuals")
    handles = [axes[0].plot([], [], ".", color="0.4", ms=5, label="one seed (bar: range over seeds)")[0]] if bh.n_seeds.max() > 1 else []
    bl = axes[0].axvline(base, color=BASELINE, lw=1, ls=":", zorder=1, label="no-knowledge baseline")
    fit_axis(axes[0], [*bh.final_seen_loss_min, *bh.final_seen_loss_max, base], axis="x")
    fit_axis(axes[1], [*bh.final_seen_acc_min, *bh.final_seen_acc_max], axis="x", lower=0)
    set_categories(axes[0], ys, ORDER, axis="y"); axes[0].set_ylim(-0.6, len(ORDER) - 0.4)
    axes[0].set(xlabel="final loss (nats)", ylabel=f"each at its best (N {n_label(N_h)}, {T} steps)")
    axes[1].set(xlabel="final accuracy")
    fig.legend(handles=[bl, *handles], loc="outside lower center", ncol=2)
else:
    bf = best[best.index.get_level_values("n_individuals").isin(N_all)]
    fig, axes = figure(1, 2, height=3.2)
    x0 = np.arange(len(N_all)); off = 0.35 / max(len(ORDER) - 1, 1)
    for k, s in enumerate(ORDER):
        b = best.xs(s, level="strategy").reindex(N_all)
        x = x0 + (k - (len(ORDER) - 1) / 2) * off
        for ax, col in zip(axes, COLS):
            ax.errorbar(x, b[col], [b[col] - b[f"{col}_min"], b[f"{col}_max"] - b[col]], color=COLOR[s], marker="o", ms=4,
                        capsize=2, lw=2.2 if s in ("uniform", "warm-up") else 1.2, label=s)
    bl = draw_baseline(axes[0], base)
    fit_axis(axes[0], [*bf.final_seen_loss_min, *bf.final_seen_loss_max, base])
    fit_axis(axes[1], [*bf.final_seen_acc_min, *bf.final_seen_acc_max], lower=0)
    for ax, yl in zip(axes, ["final loss (nats)", "final accuracy"]):
        set_categories(ax, x0, [n_label(N) for N in N_all]); ax.set_xlim(-0.5, len(N_all) - 0.5); ax.set(xlabel="individuals N", ylabel=yl)
    axes[0].legend(handles=[bl], loc="best")
    fig.legend(*axes[1].get_legend_handles_labels(), loc="outside lower center", ncol=3)
axes[0].set_title("final loss (all individuals)"); axes[1].set_title("final accuracy (all individuals)")
fig_title(fig, vs_uniform(N_h))
save_figure(fig, fi.fig_dir / "strategies.png")

# %% [markdown]
# ## Through training at the headline N
# Each strategy's best setting, mean over seeds with the range shaded; the ticks on the top edge mark when a
# warm-up switched to everyone (mean over seeds). The title counts the strategies that leave the plateau.

# %%
fig, axes = figure(1, 2)
logs = fi.metrics
for s in ORDER:
    r = row(s, N_h)
    if r is None: continue
    for ax, col in zip(axes, ["seen_loss", "seen_acc"]):
        draw_seeds(ax, logs[logs.run.isin(r.runs)], col, color=COLOR[s], label=s, lw=2 if s in ("uniform", "warm-up") else 1.2)
        if np.isfinite(r.switch_step): ax.axvline(r.switch_step, ymin=0.92, ymax=1.0, color=COLOR[s], lw=2.5)
if any(np.isfinite(get(s, N_h, "switch_step")) for s in ORDER):
    axes[0].plot([], [], "|", color="0.3", ms=9, mew=2.5, label="switch to everyone")
shown = logs[logs.run.isin(sum([row(s, N_h).runs for s in ORDER if row(s, N_h) is not None], []))]
draw_baseline(axes[0], base)
fit_axis(axes[0], [*shown.seen_loss, base]); fit_axis(axes[1], shown.seen_acc, lower=0)
axes[0].set(xlabel="training step", ylabel="attribute loss (nats)", title="loss (all individuals)")
axes[1].set(xlabel="training step", ylabel="accuracy", title="accuracy (all individuals)")
fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=3)
ends = {s: get(s, N_h, "plateau_end") for s in ORDER if row(s, N_h) is not None}
left = {s: e for s, e in ends.items() if np.isfinite(e)}
fig_title(fig, f"N {n_label(N_h)}: {len(left)} of {len(ends)} strategies {'leaves' if len(left) == 1 else 'leave'} the plateau within {T} steps"
             + (f", {min(left, key=left.get)} first (step {min(left.values()):.0f})" if left else ""))
save_figure(fig, fi.fig_dir / "strategies_curves.png")


# %% [markdown]
# ## The untested proposals against the best fixed warm-up
# At every N, the final loss of adaptive warm-up and of gradual growth (and of uniform sampling, for scale) divided
# by the mean final loss of the best fixed warm-up at the same N: above 1 the proposal loses. Bars span the seeds'
# range of each ratio; the shaded band is the warm-up's own seed range. Drawn where a fixed warm-up was run.

# %%
def word(v): return {"tie": "ties", "lower": "wins", "higher": "loses"}.get(v, "—")


new = pd.DataFrame([dict(N=N, strategy=s, ratio=get(s, N, "final_seen_loss") / get("warm-up", N, "final_seen_loss"),
                         verdict=verdict(row(s, N), row("warm-up", N)) if row(s, N) is not None and row("warm-up", N) is not None else "—")
                    for N in Ns for s in ("adaptive warm-up", "growth")], columns=["N", "strategy", "ratio", "verdict"])
N_w = [N for N in Ns if row("warm-up", N) is not None]
if N_w:
    fig, ax = figure(1, 1, height=3.0)
    xw = np.arange(len(N_w))
    w = best.xs("warm-up", level="strategy").reindex(N_w)
    if w.n_seeds.max() > 1:
        for i, x in enumerate(xw):
            ax.fill_between([x - 0.4, x + 0.4], w.final_seen_loss_min.iloc[i] / w.final_seen_loss.iloc[i],
                            w.final_seen_loss_max.iloc[i] / w.final_seen_loss.iloc[i], color="C2", alpha=0.2, lw=0,
                            label="best fixed warm-up: seed range" if i == 0 else None)
    ax.axhline(1, color="C2", lw=1.5, label="best fixed warm-up (mean)")
    vals = [1.0]
    shown = [s for s in ["uniform", "adaptive warm-up", "growth"] if s in ORDER]
    for k, s in enumerate(shown):
        b = best.xs(s, level="strategy").reindex(N_w)
        r, lo, hi = (b[c].values / w.final_seen_loss.values for c in ("final_seen_loss", "final_seen_loss_min", "final_seen_loss_max"))
        ax.errorbar(xw + (k - 1) * (1 / 3 if len(N_w) == 1 else 0.18), r, [r - lo, hi - r], fmt="o", color=COLOR[s], capsize=3, label=s)
        vals += [*lo, *hi]
    fit_axis(ax, vals, lower=0)
    if len(N_w) == 1:
        set_categories(ax, (np.arange(len(shown)) - 1) / 3, shown); ax.set_xlim(-0.6, 0.6)
        ax.set(xlabel=f"strategy (N {n_label(N_w[0])}, {T} steps)", ylabel="final loss ÷ best fixed warm-up")
    else:
        set_categories(ax, xw, [n_label(N) for N in N_w]); ax.set_xlim(-0.6, len(N_w) - 0.4)
        ax.set(xlabel="individuals N", ylabel="final loss ÷ best fixed warm-up")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5))
    vh = new[new.N == (N_h if N_h in N_w else N_w[-1])].set_index("strategy").verdict
    fig_title(fig, f"At N {n_label(N_h if N_h in N_w else N_w[-1])}, against the best fixed warm-up: "
                   + ", ".join(f"{s} {word(vh.get(s)) if s in ORDER else 'not run'}" for s in ("adaptive warm-up", "growth")))
    save_figure(fig, fi.fig_dir / "strategies_new.png")
else:
    print("no fixed warm-up run at any N: strategies_new.png is not drawn")

# %% [markdown]
# ## Numbers beside the paper's
# The paper's values (Fig 4 right, Fig J: 128k individuals, 16k steps of 128, each method at its best) are read
# off its plots, except the warm-up accuracy (94.92%, stated). "× uniform" is the uniform run's final loss
# divided by the strategy's (how many times lower), and the strategy's accuracy divided by uniform's; values are
# means over seeds, with the seed range in brackets.

# %%
PAPER_128K = {"uniform": ("≈4", "≈0.15"), "power law": ("≈2", "≈0.6"), "celebrities": ("comparable to power law", "≈0.57"),
              "warm-up": ("≈0.4", "0.9492"), "adaptive warm-up": ("not tested", "not tested"), "growth": ("not tested", "not tested")}
PAPER_BY_N = {"uniform": "3e-4, 8e-4, 1.2e-2, ≈4, ≈6", "power law": "3e-4, 8e-4, 1.3e-2, ≈2, ≈5.5",
              "warm-up": "1.7e-4, 6e-4, 5e-3, ≈0.4, ≈5.5"}
ul, ua = get("uniform", N_h, "final_seen_loss"), get("uniform", N_h, "final_seen_acc")
head_rows = [{"strategy": s, "best setting (settings tried)": f"{row(s, N_h).setting} ({int(row(s, N_h).n_settings)})",
              "seeds": int(row(s, N_h).n_seeds), "final loss": fmt_spread(row(s, N_h), "final_seen_loss"),
              "final accuracy": fmt_spread(row(s, N_h), "final_seen_acc"),
              "loss: uniform / this": ul / get(s, N_h, "final_seen_loss"),
              "accuracy: this / uniform": get(s, N_h, "final_seen_acc") / ua if ua > 0 else np.nan,
              "vs uniform": word(verdict(row(s, N_h), row("uniform", N_h))) if s != "uniform" and row("uniform", N_h) is not None else "—",
              "paper loss (128k)": PAPER_128K[s][0], "paper accuracy (128k)": PAPER_128K[s][1]}
             for s in ORDER if row(s, N_h) is not None]
cmp_rows = []
for N in Ns:
    r = {"N": n_label(N), "best fixed warm-up": f"{fmt_spread(row('warm-up', N), 'final_seen_loss') if row('warm-up', N) is not None else '—'}"}
    for s in ("adaptive warm-up", "growth"):
        nn = new[(new.N == N) & (new.strategy == s)].iloc[0]
        r[s] = fmt_spread(row(s, N), "final_seen_loss") if row(s, N) is not None else "—"
        r[f"{s}: loss ÷ best fixed"] = f"{fmt(nn.ratio)} ({word(nn.verdict)})"
    cmp_rows.append(r)
byN_rows = [{"strategy": s, **{n_label(N): get(s, N, "final_seen_loss") for N in Ns},
             "paper (16k, 32k, 64k, 128k, 256k)": PAPER_BY_N.get(s, "—")} for s in ORDER]
wf_loss = ul / get("warm-up", N_h, "final_seen_loss")
wf_acc = get("warm-up", N_h, "final_seen_acc") / ua if ua > 0 else np.nan
span, total = wall_time(fi.runs)
text = (f"**Headline: {n_label(N_h)} individuals, {T} steps of {B}** (of the populations with a warm-up run, the one whose "
        f"uniform run ends closest to the paper's 0.59 × baseline): uniform sampling ends at {fmt(ul / base)} × the no-knowledge baseline "
        f"({fmt(ul)} nats, accuracy {fmt(ua)}). Final loss, uniform ÷ best warm-up: **{fmt(wf_loss)}**; accuracy, best warm-up ÷ "
        f"uniform: **{fmt(wf_acc)}** (paper, 128k individuals at 16k steps: ≈10 and ≈6.3). {seeds_note(best.n_seeds)}.\n\n")
table = (text + md_table(head_rows) + "\n**Adaptive warm-up and growth against the best fixed warm-up** (final loss, mean (range) "
         "over seeds; ratio of mean final losses, above 1 = worse; a difference inside the seed range is a tie):\n\n" + md_table(cmp_rows)
         + f"\n**Final loss of each strategy's best setting at every N** (mean over seeds; baseline {base:.2f}; paper: Fig 4 right at 16k steps):\n\n"
         + md_table(byN_rows) + f"\nRuns compared: {runs.groupby('experiment').size().to_dict()}; left out (other budget or model): "
         f"{left_out.to_dict()}. This experiment's {len(fi.runs)} runs: {span:.0f} s from first start to last end, {total:.0f} s summed.\n")
write_text_atomic(fi.fig_dir / "strategies_summary.md", table)
write_json_atomic(fi.fig_dir / "strategies.json", dict(
    baseline=base, steps=T, headline_N=N_h, uniform_ratio_by_N=uni, warmup_factor_loss=wf_loss, warmup_factor_acc=wf_acc,
    new_vs_fixed=new.to_dict("records"), best=[{"strategy": s, "N": N, **r.to_dict()} for (s, N), r in best.iterrows()],
    runs=runs[["experiment", "run", "seed", "n_individuals", "strategy", "setting", "plateau_end", "final_seen_loss", "final_seen_acc"]].to_dict("records")))
print(table)
