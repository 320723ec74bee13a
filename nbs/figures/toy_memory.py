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
# # Figure: fine-tuning a toy associative memory (paper Figs Q, R; App. F.4)
#
# Reads the `toy_memory` results (one run per seed: a pre-training, then every fine-tuning of the preset) and
# writes into `fig_dir`: `toy_memory_finetune.png` (Fig Q-like: old- and new-pair loss and accuracy during
# fine-tuning on new pairs without replay, the old-loss vs new-loss trajectory of Fig 5 middle, and the final losses
# against the number of new pairs), `toy_memory_replay.png` (Fig R-like: the same for new pairs with the old pairs
# replayed at several weights) and `toy_memory_summary.md` (our numbers beside the paper's statements). Seeds are
# averaged (lines: mean; bands and bars: range over seeds).

# %%
import matplotlib
import numpy as np
import pandas as pd
from factdyn.runs import figure_inputs, wall_time
from factdyn.figstyle import figure, save_figure, write_text_atomic, draw_baseline, BASELINE
from factdyn.analysis import md_table, fmt
from factdyn.curricula import fig_title, numeric_columns, seed_curve, draw_seeds, fit_axis, set_categories
from factdyn.toymemory import run_key

# %% tags=["parameters"]
experiment: str = "toy_memory"  # experiment whose results are plotted
preset: str = "smoke"  # preset of those results
store: str = "../results"  # the results store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
fi = figure_inputs(experiment, preset, store, fig_dir)
summ, logs = numeric_columns(fi.summaries), fi.metrics
s = summ.iloc[0]                                          # settings shared by every seed
base = float(s["baseline"])
n_classes = int(round(np.exp(base)))
ft, rp = logs[logs.phase == "finetune"], logs[logs.phase == "replay"]
sizes, weights = sorted(ft.n_new.unique()), sorted(rp.replay_weight.unique(), reverse=True)
n_rep = int(rp.n_new.iloc[0]) if len(rp) else None
print(f"{len(summ)} run(s) (seeds {sorted(summ.seed)}); fine-tuning sizes {sizes}; replay weights {weights} on {n_rep} new pairs")


def span_txt(xs):
    "'a' or 'a–b' for the range of `xs`."
    lo, hi = fmt(float(np.nanmin(xs))), fmt(float(np.nanmax(xs)))
    return lo if lo == hi else f"{lo}–{hi}"


def val(key):
    "Mean over seeds of a flat summary key (NaN if absent)."
    return float(pd.to_numeric(summ.get(key), errors="coerce").mean()) if key in summ else np.nan


def spread(key):
    "(min, max) over seeds of a flat summary key."
    v = pd.to_numeric(summ.get(key), errors="coerce") if key in summ else pd.Series([np.nan])
    return float(v.min()), float(v.max())


def frac(w: float) -> str:
    "A replay weight as the paper writes it (2, 1/2, ..., 1/512)."
    return f"{w:g}" if w >= 1 else f"1/{1 / w:.4g}"


# %% [markdown]
# Both figures share one layout: top, the old-pair loss, the new-pair loss and the old-vs-new loss trajectory (star:
# start, dots: end); bottom, the two accuracies and the final losses against the varying setting. The no-knowledge
# line is ln 30 (grey, dotted), chance accuracy 1/30.

# %%
def panels(groups, keys, xlabel, xticks, ref=None):
    "The 2 × 3 figure: curves of `groups` [(label, metrics rows, colour)], final losses against `keys` (x = `xticks`)."
    fig, axes = figure(2, 3, height=5.4)
    (a_ol, a_nl, a_tr), (a_oa, a_na, a_fin) = axes
    for lab, g, c in groups + ([("no replay", ref, "k")] if ref is not None else []):
        kw = dict(color=c, lw=1.0 if lab == "no replay" else 1.4, ls="--" if lab == "no replay" else "-")
        draw_seeds(a_ol, g, "old_loss", label=lab, **kw); draw_seeds(a_nl, g, "new_loss", **kw)
        draw_seeds(a_oa, g, "old_acc", **kw); draw_seeds(a_na, g, "new_acc", **kw)
        o, n = seed_curve(g, "old_loss"), seed_curve(g, "new_loss")
        a_tr.plot(o["mean"], n["mean"], **kw); a_tr.plot(o["mean"].iloc[-1], n["mean"].iloc[-1], "o", color=c, ms=4)
    g0 = groups[0][1]
    a_tr.plot(g0.old_loss[g0.step == 0].mean(), g0.new_loss[g0.step == 0].mean(), "k*", ms=9, label="start")
    shown = pd.concat([g for _, g, _ in groups] + ([ref] if ref is not None else []))
    for a, y, t in ((a_ol, "old_loss", "old-pair loss"), (a_nl, "new_loss", "new-pair loss"), (a_oa, "old_acc", "old-pair accuracy"),
                    (a_na, "new_acc", "new-pair accuracy")):
        a.set_xscale("symlog", linthresh=10, linscale=0.5); a.set_xlim(0, shown.step.max())
        a.set(xlabel="fine-tuning step", ylabel=t)
        if "loss" in y: draw_baseline(a, base, label=f"no knowledge (ln {n_classes})"); fit_axis(a, [*shown[y], base])
        else: draw_baseline(a, 1 / n_classes, label=f"chance (1/{n_classes})"); fit_axis(a, [*shown[y], 0], lower=-0.02, upper=1.02)
    draw_baseline(a_tr, base, label=f"no knowledge (ln {n_classes})"); a_tr.axvline(base, color=BASELINE, ls=":", lw=1, zorder=1)
    fit_axis(a_tr, [*shown.old_loss, base], axis="x"); fit_axis(a_tr, [*shown.new_loss, base])
    a_tr.set(xlabel="old-pair loss", ylabel="new-pair loss", title="trajectory")
    for col, y, lab in (("C0", "final_old_loss", "old pairs"), ("C3", "final_new_loss", "new pairs")):
        v = [val(f"{k}_{y}") for k in keys]; lo, hi = zip(*[spread(f"{k}_{y}") for k in keys])
        a_fin.errorbar(range(len(keys)), v, [np.subtract(v, lo), np.subtract(hi, v)], color=col, marker="o", ms=4, capsize=2, label=lab)
    fit_axis(a_fin, [val(f"{k}_{y}") for k in keys for y in ("final_old_loss", "final_new_loss")] + [base])
    draw_baseline(a_fin, base, label=f"no knowledge (ln {n_classes})")
    set_categories(a_fin, range(len(keys)), xticks); a_fin.set_xlim(-0.3, len(keys) - 0.7); a_fin.set(xlabel=xlabel, ylabel="final loss", title="after fine-tuning")
    a_fin.tick_params(axis="x", labelrotation=45)   # six labels of up to four digits do not fit side by side
    handles = {l: h for ax in axes.ravel() for h, l in zip(*ax.get_legend_handles_labels())}
    fig.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=4)
    return fig


# %%
cmap = matplotlib.colormaps["viridis"]
fk = [run_key("finetune", n) for n in sizes]
r100 = [val(f"{k}_old_loss_step100") / val(f"{k}_old_loss_before") for k in fk]
groups = [(f"{n} new", ft[ft.n_new == n], cmap(i / max(1, len(sizes) - 1) * 0.9)) for i, n in enumerate(sizes)]
fig = panels(groups, fk, "new pairs", [str(n) for n in sizes])
fig_title(fig, f"Toy memory, no replay: the old-pair loss grows ×{span_txt(r100)} by step 100 while the new pairs "
                           f"are learnt (final new-pair accuracy {span_txt([val(f'{k}_final_new_acc') for k in fk])})")
save_figure(fig, fi.fig_dir / "toy_memory_finetune.png")

# %%
rk = [run_key("replay", n_rep, w) for w in weights] if n_rep else []
if rk:
    pl = matplotlib.colormaps["plasma"]
    groups = [(f"w = {frac(w)}", rp[rp.replay_weight == w], pl(i / max(1, len(weights) - 1) * 0.9)) for i, w in enumerate(weights)]
    fig = panels(groups, rk, "replay weight w", [frac(w) for w in weights], ref=ft[ft.n_new == n_rep] if n_rep in sizes else None)
    fo = [val(f"{k}_final_old_loss") for k in rk]; fn = [val(f"{k}_final_new_loss") for k in rk]
    more = "more replay keeps more old pairs" if fo[0] < fo[-1] else "replay does not keep more old pairs"
    fig_title(fig, f"Toy memory, {n_rep} new pairs: {more} (final old loss {fmt(fo[0])} at w = {frac(weights[0])} vs "
                               f"{fmt(fo[-1])} at {frac(weights[-1])}); new loss {fmt(fn[0])} vs {fmt(fn[-1])}")
    save_figure(fig, fi.fig_dir / "toy_memory_replay.png")


# %% [markdown]
# ## Numbers beside the paper's
# The paper gives no numbers for the toy (App. F.4 says it reproduces Figs 5 and N qualitatively), so each row sets
# one of the paper's fine-tuning statements (§4.2, Figs 5, N) beside the toy's numbers (means over seeds). Lists
# follow the fine-tuning sizes (no replay) or the replay weights, in the order of the first column.

# %%
def show(xs, digits=3):
    return ", ".join(fmt(None if x is None or not np.isfinite(x) else x, digits) for x in xs)


def vals(keys, name): return [val(f"{k}_{name}") for k in keys]


def monotone(xs, increasing):
    d = np.diff(np.asarray(xs, float))
    return "yes" if (np.all(d > 0) if increasing else np.all(d < 0)) else "no"


early = vals(fk, "old_loss_early_ratio")
rows = [
    dict(quantity="pre-training: final old-pair loss / accuracy", paper="pairs memorised (toy: no number given)",
         ours=f"{fmt(val('pretrain_final_old_loss'))} / {fmt(val('pretrain_final_old_acc'))}"),
    dict(quantity=f"new pairs before fine-tuning: loss (ln {n_classes} = {base:.2f})",
         paper="hallucinated: above the no-knowledge line (Fig 5 left: ~15 nats vs 6.78)", ours=show(vals(fk, "new_loss_before"))),
    dict(quantity=f"no replay, n_new = {', '.join(map(str, sizes))}: old loss at step 100 / before",
         paper="old knowledge collapses within ~100 steps (Fig N: old loss → ~1–7)", ours=show(r100)),
    dict(quantity="no replay: max old loss in the first 10% of steps / before",
         paper="early collapse, worse with more new items", ours=show(early) + f" (increasing: {monotone(early, True)})"),
    dict(quantity="no replay: step of that maximum", paper="~100 to a few hundred steps", ours=show(vals(fk, "old_loss_early_max_step"))),
    dict(quantity="no replay: final old-pair accuracy", paper="stays non-zero, lower with more new items (Fig N: 0.47 → 0.09)",
         ours=show(vals(fk, "final_old_acc"))),
    dict(quantity="no replay: final old-pair loss", paper="~2–7 nats, near or above the baseline for the most new items",
         ours=show(vals(fk, "final_old_loss"))),
    dict(quantity="no replay: first step with every new pair right", paper="~200 → ~4k steps, later for more new items",
         ours=show(vals(fk, "step_new_acc_1"))),
    dict(quantity="no replay: final new-pair accuracy", paper="1.0", ours=show(vals(fk, "final_new_acc"))),
]
if rk:
    fo, fn = vals(rk, "final_old_loss"), vals(rk, "final_new_loss")
    rows += [
        dict(quantity=f"replay, w = {', '.join(frac(w) for w in weights)}: final old-pair loss",
             paper="more replay, better retention (Fig 5 right: ~3e-2 at w = 2 → ~0.25 at 1/32)",
             ours=show(fo) + f" (rises as w falls: {monotone(fo, True)})"),
        dict(quantity="replay: final new-pair loss", paper="more replay, slower learning (~1 at w = 2 → ~8e-3 at 1/32)",
             ours=show(fn) + f" (falls as w falls: {monotone(fn, False)})"),
        dict(quantity="replay: final new-pair accuracy", paper="Fig N: ~0.78 at w = 2, 1.0 at small w", ours=show(vals(rk, "final_new_acc"))),
        dict(quantity="replay: max old loss in the first 10% / before",
             paper="replay mitigates the final drop; the early dip only partly (§13: text and caption disagree)",
             ours=show(vals(rk, "old_loss_early_ratio"))),
        dict(quantity="replay: final old-pair accuracy", paper="Fig N: dips to 0.94–0.99, recovers to ~0.99+", ours=show(vals(rk, "final_old_acc"))),
    ]
per_run = [dict(run=k, n_new=n, w=frac(w) if w else "0", **{c: val(f"{k}_{c}") for c in (
               "old_loss_before", "old_loss_step100", "old_loss_early_ratio", "final_old_loss", "final_old_acc", "final_new_loss",
               "final_new_acc", "step_new_acc_1")}) for k, n, w in [(k, n, 0.0) for k, n in zip(fk, sizes)] + [(k, n_rep, w) for k, w in zip(rk, weights)]]
span, total = wall_time(fi.runs)
text = (md_table(rows) + f"\n{len(summ)} run(s) (seeds {', '.join(str(int(x)) for x in sorted(summ.seed))}; means over seeds); "
        f"wall time {span:.0f} s from first start to last end, {total:.0f} s summed (pre-training {fmt(val('seconds_pretrain'))} s "
        "per run).\n\n" + md_table(per_run))
write_text_atomic(fi.fig_dir / "toy_memory_summary.md", text)
print(text)
