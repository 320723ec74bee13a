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
# # Figure: is warm-up just learning fewer individuals well? (the paper's control, App. E / Fig L text)
#
# Reads the `warmup_control` results: uniform training on only the first K of N individuals, with the other N − K
# in the same world but never sampled (the template's never-seen set). Both groups are evaluated, so
#
#     accuracy over everyone = (K · accuracy on the K + (N − K) · accuracy on the rest) / N,
#
# with both accuracies measured (the rest sit at chance: a few percent for the small value pools). The paper
# reports the simpler K/N × accuracy on the K (97.72% × 83k/128k ≈ 63.3%); both are in the table. The warm-up
# reference is the best warm-up setting (mean final loss over seeds) at the same N, budget and model among
# `warmup_grid` and `strategies`, the uniform reference the α = 0 runs of `power_law` (or uniform `strategies`
# runs). Seeds are averaged (bars: range over seeds). Writes `warmup_control.png`, `warmup_control_summary.md` and
# `warmup_control.json` into `fig_dir`.

# %%
import numpy as np
import pandas as pd
from matplotlib.patches import Patch
from factdyn.runs import figure_inputs, wall_time
from factdyn.figstyle import figure, save_figure, write_text_atomic, write_json_atomic, draw_baseline, BASELINE
from factdyn.analysis import md_table, fmt, plain_log_ticks
from factdyn.curricula import (fig_title, CONFIG, comparable_runs, over_seeds, best_settings, verdict, seeds_note, fmt_spread,
                               draw_seeds, fit_axis, set_categories, n_label)

# %% tags=["parameters"]
experiment: str = "warmup_control"  # experiment whose results are plotted
preset: str = "smoke"  # preset of those results
store: str = "../results"  # the results store
fig_dir: str = "../figures/smoke"  # where images and tables are written
sources: list = ["warmup_grid", "strategies", "power_law", "regime"]  # experiments whose comparable runs give the references

# %%
fi = figure_inputs(experiment, preset, store, fig_dir, sources)
runs, logs = comparable_runs(fi.summaries, experiment, [c for c in CONFIG if c != "n_unseen"]), fi.metrics
c = runs[runs.experiment == experiment].copy()
c["N"], c["K"] = c.n_individuals + c.n_unseen, c.n_individuals
c["acc_all"] = (c.K * c.final_seen_acc + (c.N - c.K) * c.final_unseen_acc.fillna(0)) / c.N
c["acc_all_paper"] = c.K / c.N * c.final_seen_acc
c["loss_all"] = (c.K * c.final_seen_loss + (c.N - c.K) * c.final_unseen_loss) / c.N    # every individual weighs the same
c["ratio"] = c.loss_all / c.baseline
base = float(c.baseline.iloc[0])
# The headline budget: the one with the most control runs (the regime point; others are the budget curve's)
counts = c.groupby("steps").size()
T0 = int(counts[counts == counts.max()].index.max())
ctrl_all = over_seeds(c, ["N", "K", "steps"], ["final_seen_acc", "final_unseen_acc", "acc_all", "acc_all_paper", "final_seen_loss",
                                               "final_unseen_loss", "loss_all", "ratio"])
ctrl = ctrl_all[ctrl_all.steps == T0].drop(columns="steps").reset_index(drop=True)
Ns = sorted(ctrl.N.unique())
others = runs[(runs.experiment != experiment) & (runs.n_unseen == 0)].assign(ratio=lambda d: d.final_seen_loss / d.baseline)
refs = {}
for N in Ns:
    on = others[(others.n_individuals == N) & (others.steps == T0)]
    w, u = on[on.strategy == "warm-up"], on[on.strategy == "uniform"]
    refs[N] = dict(warmup=best_settings(w, by=["n_individuals"]).iloc[0] if len(w) else None,
                   uniform=best_settings(u, by=["n_individuals"]).iloc[0] if len(u) else None)
    print(N, "at T =", T0, "warm-up settings:", w.setting.nunique(), "uniform runs:", len(u))
print(ctrl.drop(columns="runs").to_string())


# %% [markdown]
# ## Accuracy over everyone, and the loss through training
# Left: accuracy over all N individuals (mean over seeds, bars: range): uniform training on everyone, uniform
# training on only K of them (dark: their share K/N × accuracy on the K; light: the measured rest), and the best
# warm-up. Right: loss through training of the control on its K individuals and on the rest, and of the warm-up and
# uniform runs over everyone.

# %%
def message(N):
    w, cs = refs[N]["warmup"], ctrl[ctrl.N == N]
    bc = cs.loc[cs.acc_all.idxmax()]
    if w is None: return f"N {n_label(N)}: training on K = {n_label(bc.K)} only reaches accuracy {bc.acc_all:.2f} over everyone"
    v = verdict(w, dict(final_seen_acc=bc.acc_all, final_seen_acc_min=bc.acc_all_min, final_seen_acc_max=bc.acc_all_max,
                        n_seeds=bc.n_seeds), col="final_seen_acc")
    if v == "tie": return f"N {n_label(N)}: warm-up and training on K = {n_label(bc.K)} only tie on accuracy over everyone"
    return (f"N {n_label(N)}: warm-up {'beats' if v == 'higher' else 'trails'} training on K = {n_label(bc.K)} only: "
            f"accuracy over everyone {w.final_seen_acc:.2f} vs {bc.acc_all:.2f}")


fig, axes = figure(len(Ns), 2, height=3.0 * len(Ns) + 0.9, squeeze=False, gridspec_kw=dict(width_ratios=[1, 1.15]))
for (ax, ax2), N in zip(axes, Ns):
    u, w, cs = refs[N]["uniform"], refs[N]["warmup"], ctrl[ctrl.N == N]
    bars = [("uniform on all N", u.final_seen_acc, 0.0, u.final_seen_acc_min, u.final_seen_acc_max, "0.4")] if u is not None else []
    bars += [(f"K = {n_label(r.K)} only ({r.K / N:.2g} N)", r.acc_all_paper, r.acc_all - r.acc_all_paper, r.acc_all_min,
              r.acc_all_max, f"C{k + 1}") for k, (_, r) in enumerate(cs.iterrows())]
    if w is not None:
        bars.append((f"best warm-up: {w.setting}", w.final_seen_acc, 0.0,
                     w.final_seen_acc_min, w.final_seen_acc_max, "C0"))
    for i, (lab, a, extra, lo, hi, col) in enumerate(bars):
        ax.barh(i, a, color=col, height=0.6); ax.barh(i, extra, left=a, color=col, alpha=0.35, height=0.6)
        ax.errorbar(a + extra, i, xerr=[[a + extra - lo], [hi - a - extra]], color="k", capsize=3, lw=1)
    set_categories(ax, range(len(bars)), [b[0] for b in bars], axis="y"); ax.invert_yaxis()
    fit_axis(ax, [0, *[b[4] for b in bars]], axis="x", lower=0)
    ax.set(xlabel="final accuracy over all N", ylabel="training", title="accuracy over everyone")
    for k, (_, r) in enumerate(cs.iterrows()):
        m = logs[logs.run.isin(r.runs)]
        draw_seeds(ax2, m, "seen_loss", color=f"C{k + 1}", label=f"K = {n_label(r.K)} only: its K")
        if m.unseen_loss.notna().any(): draw_seeds(ax2, m, "unseen_loss", color=f"C{k + 1}", ls=":", label=f"K = {n_label(r.K)} only: the rest")
    for ref, col, lab in [(w, "C0", "best warm-up: all N"), (u, "0.4", "uniform: all N")]:
        if ref is not None: draw_seeds(ax2, logs[logs.run.isin(ref.runs)], "seen_loss", color=col, lw=2, label=lab)
    draw_baseline(ax2, base)
    shown = logs[logs.run.isin(sum(cs.runs, []) + sum([r.runs for r in (u, w) if r is not None], []))]
    fit_axis(ax2, [*shown.seen_loss, *shown.get("unseen_loss", pd.Series(dtype=float)), base])
    ax2.set(xlabel="training step", ylabel="attribute loss (nats)", title=f"loss, N {n_label(N)}, T = {T0}")
handles = {"bars, dark: K/N × accuracy on the K": Patch(color="0.5"), "bars, light: the rest, measured": Patch(color="0.5", alpha=0.35),
           **{l: h for ax in axes[:, 1] for h, l in zip(*ax.get_legend_handles_labels())}}
fig.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=3, fontsize=8)
fig_title(fig, "; ".join(message(N) for N in Ns))
save_figure(fig, fi.fig_dir / "warmup_control.png")

# %% [markdown]
# ## Where warm-up pays: the budget curve (beyond the paper)
# The paper compares the strategies at one budget. Here the same three are set against the budget T at the headline
# population: uniform training on everyone, the best warm-up setting of the headline budget (the same subset and
# warm-up length at every T) and the controls, each at every budget it was run at (the title compares two only at
# the budgets both have). Every seed is a dot, the mean a line; left: accuracy over everyone,
# right: final loss over everyone as a fraction of the no-knowledge baseline. A budget where the warm-up's seed range
# overlaps another strategy's is a tie there.

# %%
N0 = int(ctrl.groupby("N").n_seeds.sum().idxmax())
w0 = refs[N0]["warmup"]
every_T = comparable_runs(fi.summaries, experiment, [k for k in CONFIG if k not in ("n_unseen", "steps")])   # each series at all its budgets
on = every_T[(every_T.experiment != experiment) & (every_T.n_unseen == 0) & (every_T.n_individuals == N0)].assign(
    ratio=lambda d: d.final_seen_loss / d.baseline)
series = [("uniform on all N", "0.4", on[on.strategy == "uniform"], "final_seen_acc")]
if w0 is not None: series.append((f"best warm-up: {w0.setting}", "C0", on[(on.strategy == "warm-up") & (on.setting == w0.setting)], "final_seen_acc"))
series += [(f"K = {n_label(K)} only", f"C{k + 1}", c[(c.N == N0) & (c.K == K)], "acc_all") for k, K in enumerate(sorted(c[c.N == N0].K.unique()))]
short = {name: "uniform" if i == 0 else "best warm-up" if w0 is not None and i == 1 else f"control {name.replace(' only', '')}"
         for i, (name, *_) in enumerate(series)}       # each series as the title and the table name it
curve = pd.concat([over_seeds(d.assign(acc=d[col]), ["steps"], ["acc", "ratio"]).assign(series=name)
                   for name, _, d, col in series if len(d)], ignore_index=True)
budgets = sorted(curve.steps.unique())


def budget_message():
    if w0 is None or len(budgets) < 2: return (f"N {n_label(N0)}: accuracy over everyone at {len(budgets)} budget"
                                               f"{'s' if len(budgets) != 1 else ''} so far; the curve needs runs at other budgets")
    wc = curve[curve.series == series[1][0]].set_index("steps")
    parts = []
    for name in [series[0][0], *[s[0] for s in series[2:]]]:
        o = curve[curve.series == name].set_index("steps")
        both = [T for T in wc.index if T in o.index]
        ahead = sum(verdict(wc.loc[T], o.loc[T], col="acc") == "higher" for T in both)
        parts.append(f"{short[name]} at {ahead}/{len(both)}")
    parts[-1] += " budgets"
    return f"N = {n_label(N0)}: the best warm-up is ahead in accuracy of " + ", ".join(parts)


# "ahead" as `verdict` decides it
AHEAD_RULE = "ahead: higher with the seed ranges apart where either side has several seeds, by more than 10% where both have one"


fig, axes = figure(1, 2, height=3.2)
for name, col, d, ycol in series:
    if not len(d): continue
    g = curve[curve.series == name]
    for ax, y, gy in ((axes[0], d[ycol], g.acc), (axes[1], d.ratio, g.ratio)):
        ax.plot(d.steps, y, "o", color=col, ms=4, alpha=0.6)
        ax.plot(g.steps, gy, "-", color=col, lw=1.5, label=name)
axes[1].axhline(1.0, color=BASELINE, ls="--", lw=1, label="no-knowledge baseline")
fit_axis(axes[0], [0, *curve.acc_max], lower=0)
fit_axis(axes[1], [*curve.ratio_min, *curve.ratio_max, 1.0], lower=0)
if axes[1].get_yscale() == "log": plain_log_ticks(axes[1].yaxis)      # a loss ratio spanning decades: plain numbers
for ax, name, t in ((axes[0], "final accuracy", "accuracy over everyone (all N)"),
                    (axes[1], "final loss / baseline", "loss over everyone (all N)")):
    ticks = budgets if len(budgets) > 1 else [round(budgets[0] * f) for f in (0.8, 1.0, 1.2)]
    ax.set_xticks(ticks, [n_label(T) for T in ticks])                 # thousands: budgets 400 steps apart stay apart
    ax.set(xlabel="budget T (steps)", ylabel=name, title=t)
h = {l: hd for ax in axes for hd, l in zip(*ax.get_legend_handles_labels())}
fig.legend(h.values(), h.keys(), loc="outside lower center", ncol=3)
fig_title(fig, budget_message())
save_figure(fig, fi.fig_dir / "warmup_budget.png")
print(curve.drop(columns="runs").to_string())

# %% [markdown]
# ## Numbers beside the paper's
# The paper (N = 128k, 16k steps of 128): uniform on 83k individuals, 97.72% on them, i.e. 63.26% over all 128k;
# warm-up on all 128k, 94.92%; uniform on all 128k, ≈ 15% (Fig J, read off the plot). Ours: means over seeds, range
# in brackets.

# %%
rows = []
for N in Ns:
    u, w, cs = refs[N]["uniform"], refs[N]["warmup"], ctrl[ctrl.N == N]
    wa = float(w.final_seen_acc) if w is not None else np.nan
    bestc = cs.loc[cs.acc_all.idxmax()]
    each = lambda col: "; ".join(f"K {n_label(r.K)}: {fmt_spread(r, col)}" for _, r in cs.iterrows())
    rows += [
        dict(quantity=f"N = {n_label(N)}: K / N of the controls", paper="83k / 128k = 0.65", ours=", ".join(f"{k / N:.3g}" for k in cs.K)),
        dict(quantity="control: accuracy on its K individuals", paper="0.9772", ours=each("final_seen_acc")),
        dict(quantity="control: accuracy over all N, K/N × accuracy on K", paper="0.6326", ours=each("acc_all_paper")),
        dict(quantity="control: accuracy over all N, measured rest included", paper="—", ours=each("acc_all")),
        dict(quantity="control: loss over all N (nats), its K and the rest", paper="—", ours=each("loss_all")),
        dict(quantity="warm-up on all N: accuracy over all N", paper="0.9492",
             ours=f"{fmt_spread(w, 'final_seen_acc')} ({w.setting}, best of {int(w.n_settings)})" if w is not None else "no warm-up run"),
        dict(quantity="uniform on all N: accuracy over all N", paper="≈0.15", ours=fmt_spread(u, "final_seen_acc") if u is not None else "no uniform run"),
        dict(quantity="individuals the warm-up effectively learned (accuracy × N)", paper="≈121.5k of 128k", ours=f"{wa * N:,.0f} of {N:,.0f}" if np.isfinite(wa) else "—"),
        dict(quantity="warm-up minus the best control, accuracy over all N", paper="+0.317",
             ours=f"{wa - bestc.acc_all:+.3f} (control K {n_label(bestc.K)})" if np.isfinite(wa) else "—"),
    ]
curve_rows = []
for T in budgets:
    r = {"budget T": T}
    for name, *_ in series:
        g = curve[(curve.series == name) & (curve.steps == T)]
        r[f"{short[name]}: accuracy"] = fmt_spread(g.iloc[0], "acc") + (f" ({int(g.n_seeds.iloc[0])} seeds)" if int(g.n_seeds.iloc[0]) > 1 else "") if len(g) else "—"
        r[f"{short[name]}: loss / baseline"] = fmt_spread(g.iloc[0], "ratio") if len(g) else "—"
    curve_rows.append(r)
span, total = wall_time(fi.runs)
table = (md_table(rows) + f"\n{seeds_note(ctrl.n_seeds)}.\n\n**The budget curve** (N = {n_label(N0)}; over everyone; mean (range) over "
         f"seeds where more than one; — not run; the figure's title counts a budget as {AHEAD_RULE}):\n\n" + md_table(curve_rows)
         + f"\nThis experiment's {len(fi.runs)} runs: {span:.0f} s from first start to last end, {total:.0f} s summed.\n")
write_text_atomic(fi.fig_dir / "warmup_control_summary.md", table)
write_json_atomic(fi.fig_dir / "warmup_control.json", dict(
    baseline=base, steps=T0, controls=ctrl.to_dict("records"),
    budget_curve=dict(n_individuals=N0, budgets=budgets, rows=curve.drop(columns="runs").to_dict("records")),
    references={f"{N:g}": {k: (None if r is None else dict(setting=r.setting, runs=r.runs, final_acc=r.final_seen_acc,
                                                            final_loss=r.final_seen_loss, n_seeds=r.n_seeds))
                           for k, r in refs[N].items()} for N in Ns}))
print(table)
