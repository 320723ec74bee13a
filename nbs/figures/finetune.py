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
# # Figure: fine-tuning on new individuals, replay, and rare individuals (paper Fig 5 middle/right, Figs N, O, P)
#
# One figure notebook for the three fine-tuning experiments (`finetune`, `replay`, `finetune_rare`); the runs'
# varying parameter (`n_new`, `replay_weight` or `pool`) labels the curves, and seeds are averaged (lines: mean;
# bands: range over seeds). Writes into `fig_dir`: `<experiment>.png` (loss and accuracy of the old individuals,
# solid, and of the fine-tuning individuals, dashed, against fine-tuning steps, and the loss-vs-loss trajectory of
# Fig 5 middle), `<experiment>_attention.png` (attention metrics of the old individuals during fine-tuning, Fig O,
# where the runs wrote them), `<experiment>_summary.md` and `<experiment>.json`.

# %%
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator
from factdyn.runs import figure_inputs, wall_time
from factdyn.figstyle import figure, save_figure, write_text_atomic, write_json_atomic, draw_baseline, BASELINE
from factdyn.analysis import md_table, fmt
from factdyn.claims import corr
from factdyn.curricula import fig_title, numeric_columns, over_seeds, verdict, seeds_note, seed_curve, draw_seeds, fit_axis

# %% tags=["parameters"]
experiment: str = "finetune"  # experiment whose results are plotted (finetune, replay or finetune_rare)
preset: str = "smoke"  # preset of those results
store: str = "../results"  # the results store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
fi = figure_inputs(experiment, preset, store, fig_dir)
summ, logs = numeric_columns(fi.summaries), fi.metrics
summ["optimizer"] = summ["optimizer"].fillna("fresh") if "optimizer" in summ else "fresh"   # runs from before the option: fresh
variants = summ[summ.pool.eq("new") if "pool" in summ else slice(None)] if summ.optimizer.nunique() > 1 else None
summ = summ[summ.optimizer == "fresh"].reset_index(drop=True)      # the figures below: a fresh AdamW, as before
logs = logs[logs.run.isin(summ.run)]
key = next((k for k in ("replay_weight", "n_new", "pool") if k in summ and summ[k].nunique() > 1),
           {"replay": "replay_weight", "finetune_rare": "pool"}.get(experiment, "n_new"))
COLS = ["new_share", "old_loss_before", "old_loss_early_max", "old_loss_early_ratio", "old_acc_before", "old_acc_early_min",
        "final_old_loss", "final_old_acc", "final_new_loss", "final_new_acc"]
groups = over_seeds(summ, [key], COLS).sort_values(key, ascending=key != "replay_weight").reset_index(drop=True)
base, T = float(summ.baseline.iloc[0]), int(summ.steps.max())
label = {"n_new": lambda v: f"{int(v)} new", "replay_weight": lambda v: f"replay w = {v:g}", "pool": lambda v: f"on {v}"}[key]
fresh = (summ.get("pool", pd.Series(["new"])) == "new").all()
OLD, NEW = (("old individuals", "new individuals") if fresh else ("other individuals", "fine-tuned individuals"))
print(f"{len(summ)} runs, varying {key}: {list(groups[key])}; seeds per value: {list(groups.n_seeds)}")


# %% [markdown]
# ## Collapse of the old knowledge, learning of the new
# The title is computed: the old individuals' loss at its maximum within the first 10% of fine-tuning divided by
# its value before (the collapse), and the final accuracy of the fine-tuning individuals; for `replay`, the final
# losses at the most and the least replay.

# %%
def rng_txt(v, f="{:.2g}"):
    lo, hi = float(np.nanmin(v)), float(np.nanmax(v))
    return f.format(lo) if f.format(lo) == f.format(hi) else f"{f.format(lo)}–{f.format(hi)}"


def message():
    if key == "replay_weight" and len(groups) > 1:
        most, least = groups.iloc[0], groups.iloc[-1]
        old_v, new_v = verdict(most, least, "final_old_loss"), verdict(most, least, "final_new_loss")
        lead = {("lower", "higher"): "More replay keeps the old individuals and slows the new",
                ("lower", "tie"): "More replay keeps the old individuals", ("tie", "tie"): "The replay weight makes no clear difference (ties)"
                }.get((old_v, new_v), "Replay")
        return (f"{lead}: final old loss {most.final_old_loss:.3g} at w = {most.replay_weight:g} vs {least.final_old_loss:.3g} at "
                f"w = {least.replay_weight:g}; new loss {most.final_new_loss:.3g} vs {least.final_new_loss:.3g}")
    if key == "pool":     # accuracy of both pools before and after; the lead: does fine-tuning on the rare ones keep the others?
        acc0 = lambda r: float(logs[logs.run.isin(r.runs) & (logs.step == 0)].new_acc.mean())
        parts = [f"on the {r.pool}, the others {r.old_acc_before:.2f} → {r.final_old_acc:.2f} (they: {acc0(r):.2f} → {r.final_new_acc:.2f})"
                 for _, r in groups.iterrows()]
        rare = groups[groups.pool == "noncelebrities"]
        lead = ("Fine-tuning on already-seen individuals" if not len(rare) else
                f"Fine-tuning on the rare individuals {'keeps' if rare.final_old_acc.iloc[0] >= 0.8 * rare.old_acc_before.iloc[0] else 'does not keep'} the celebrities")
        return f"{lead}. Accuracy: " + "; ".join(parts)
    return (f"{OLD.capitalize()}: loss ×{rng_txt(groups.old_loss_early_ratio)} within the first 10% of fine-tuning; "
            f"{NEW} reach accuracy {rng_txt(groups.final_new_acc)} after {T} steps")


fig, axes = figure(1, 3, height=3.1)
for k, (_, g) in enumerate(groups.iterrows()):
    m, col = logs[logs.run.isin(g.runs)], f"C{k}"
    for ax, y in zip(axes, ["loss", "acc"]):
        draw_seeds(ax, m, f"old_{y}", color=col, label=label(g[key]))
        draw_seeds(ax, m, f"new_{y}", color=col, ls="--")
    o, n = seed_curve(m, "old_loss"), seed_curve(m, "new_loss")
    axes[2].plot(o["mean"], n["mean"], color=col, marker=".", ms=3); axes[2].plot(o["mean"].iloc[:1], n["mean"].iloc[:1], "o", color=col)
for ax in axes[:2]: ax.set_xscale("symlog", linthresh=10); ax.set_xlim(0, T); ax.set_xlabel("fine-tuning step")
draw_baseline(axes[0], base); draw_baseline(axes[2], base); axes[2].axvline(base, color=BASELINE, lw=1, ls=":", zorder=1)
fit_axis(axes[0], [*logs.old_loss, *logs.new_loss, base]); fit_axis(axes[1], [*logs.old_acc, *logs.new_acc], lower=-0.02, upper=1.02)
fit_axis(axes[2], [*logs.old_loss, base], axis="x"); fit_axis(axes[2], [*logs.new_loss, base])
for ax, d in ((axes[2], "x"), (axes[2], "y")):
    if getattr(ax, f"get_{d}scale")() == "linear": getattr(ax, f"{d}axis").set_major_locator(MaxNLocator(4))
axes[0].set(ylabel="attribute loss (nats)", title="loss")
axes[1].set(ylabel="attribute accuracy", title="accuracy")
axes[2].set(xlabel=f"loss, {OLD.split()[0]}", ylabel=f"loss, {NEW.split()[0]}", title="trajectory\n(dot: start)")
handles = {f"solid: {OLD}": Line2D([], [], color="0.3", ls="-"), f"dashed: {NEW}": Line2D([], [], color="0.3", ls="--"),
           **{l: h for ax in axes for h, l in zip(*ax.get_legend_handles_labels())}}
fig.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=3)
fig_title(fig, message())
save_figure(fig, fi.fig_dir / f"{experiment}.png")

# %% [markdown]
# ## Does forgetting depend on how much is new? (Fig N row 1)
# When the runs vary the optimizer at the start of fine-tuning (a fresh AdamW, or the pre-training checkpoint's
# moments carried over: the paper does not say which it used), the final accuracy of the old individuals against the
# number of new ones, as a fraction of the pre-training population, for each variant, beside the paper's values
# (Fig N row 1: 64k pre-training individuals, 4k fine-tuning steps).

# %%
PAPER_OLD_ACC = {1 / 64: 0.47, 1 / 32: 0.54, 1 / 16: 0.45, 1 / 8: 0.19, 1 / 4: 0.09}   # read off Fig N row 1
trend, rho = {}, {}
if variants is not None:
    v = variants.assign(frac=variants.n_pool / variants.n_old)
    fig, ax = figure(1, 1, height=3.4)
    for k, (opt, g) in enumerate(v.groupby("optimizer")):
        m = g.groupby("frac").final_old_acc.agg(["mean", "min", "max"])
        ax.errorbar(m.index, m["mean"], yerr=[m["mean"] - m["min"], m["max"] - m["mean"]], marker="o", capsize=3, color=f"C{k}",
                    label=f"ours, AdamW {opt} ({g.seed.nunique()} seed{'s' * (g.seed.nunique() > 1)})")
        trend[opt] = dict(zip(map(float, m.index), map(float, m["mean"])))
    ax.plot(list(PAPER_OLD_ACC), list(PAPER_OLD_ACC.values()), "k*--", ms=9, lw=1, label="paper (Fig N row 1)")
    ax.set_xscale("log", base=2); ax.set_xticks(list(PAPER_OLD_ACC), ["1/64", "1/32", "1/16", "1/8", "1/4"])
    ax.minorticks_off(); fit_axis(ax, [0, *v.final_old_acc, *PAPER_OLD_ACC.values()], lower=0)
    ax.set(xlabel="new individuals / pre-training individuals", ylabel="old individuals' final accuracy")
    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncol=2)
    rho = {o: corr(list(t), list(t.values())) for o, t in trend.items() if len(t) > 2}     # Spearman, as the claims ledger
    fig_title(fig, "Old accuracy after fine-tuning against the amount of new knowledge: " + "; ".join(
        f"{o} AdamW {'falls' if r is not None and r < -0.5 else 'does not fall'} (rank correlation {fmt(r, 2)})"
        for o, r in rho.items()) + ("" if rho else "fewer than three sizes per variant") + " (paper: falls 0.47 → 0.09)")
    save_figure(fig, fi.fig_dir / f"{experiment}_optimizer.png")

# %% [markdown]
# ## Attention during fine-tuning (Fig O)
# The attention metrics of the circuit on the old individuals' biographies at every checkpoint of the fine-tuning,
# from the runs' `attention` tables. Where the runs wrote them per head, each panel follows the head that carries the
# circuit in the pre-trained model (dashed; chosen at fine-tuning step 0, the same model for every run, and tracked by
# its index) beside its layer's mean over heads (solid): the grouping head (name → name, the largest of any layer),
# and in the last layer the extraction head (attribute → any earlier name) and the same head's attribute → the
# sentence's name. Runs from before per-head tables show the head means of the first and last layers.

# %%
atts = [t.assign(run=r.name) for r in fi.runs if (t := r.table("attention")) is not None]
att_summary, circuit = {}, {}
if atts:
    att = pd.concat(atts, ignore_index=True)
    L = int(att.layer.max())
    per_head = "head" in att and att["head"].notna().all()       # runs of both kinds: the head means of every run
    if per_head:
        start = att[att.step == att.step.min()].groupby(["layer", "head"])[["name_name", "attr_name_any"]].mean()
        g_layer, g_head = start.name_name.idxmax()
        e_head = int(start.loc[L].attr_name_any.idxmax())
        circuit = dict(grouping=dict(layer=int(g_layer) + 1, head=int(g_head) + 1, start=float(start.name_name.max())),
                       extraction=dict(layer=L + 1, head=e_head + 1, start=float(start.loc[L].attr_name_any.max())))
        PANELS = [("name_name", int(g_layer), int(g_head), f"grouping (L{int(g_layer) + 1} h{int(g_head) + 1})\nname → name"),
                  ("attr_name_any", L, e_head, f"extraction (L{L + 1} h{e_head + 1})\nattribute → any name"),
                  ("attr_name", L, e_head, f"same head (L{L + 1} h{e_head + 1})\n→ sentence's name")]
    else:
        PANELS = [("name_name", 0, None, "layer 1\nname → name"), ("attr_name", L, None, f"layer {L + 1}\nattribute → name"),
                  ("attr_text", L, None, f"layer {L + 1}\nattribute → text")]

    NAMES = dict(name_name="name → name", attr_name_any="attribute → any name", attr_name="attribute → sentence's name",
                 attr_text="attribute → text")

    def series(a, metric, layer, head):
        "The head's curve, or the layer's mean over heads (head None), one row per run and step."
        a = a[a.layer == layer]
        if head is not None: return a[a["head"] == head]
        return a.groupby(["run", "step"], as_index=False)[metric].mean() if "head" in a else a

    fig, axes = figure(1, 3, height=2.9)
    change = []
    for k, (_, g) in enumerate(groups.iterrows()):
        a = att[att.run.isin(g.runs)]
        for ax, (metric, layer, head, _) in zip(axes, PANELS):
            for h, ls in ((None, "-"), (head, "--")) if head is not None else ((None, "-"),):
                s_ = series(a, metric, layer, h)
                c = seed_curve(s_, metric)
                draw_seeds(ax, s_, metric, color=f"C{k}", marker="." if h is None else None, ls=ls, label=label(g[key]) if h is None else None)
                who = "mean" if h is None else f"head {h + 1}"
                att_summary.setdefault(str(g[key]), {})[f"{metric}_l{layer + 1}_{who.replace(' ', '')}"] = (
                    float(c["mean"].iloc[0]), float(c["mean"].iloc[-1]))
                if h is not None or not per_head:
                    change.append((abs(c["mean"].iloc[-1] - c["mean"].iloc[0]), f"{NAMES[metric]}, {who}", label(g[key])))
    for ax, (metric, layer, head, title) in zip(axes, PANELS):
        fit_axis(ax, [0, *att[att.layer == layer][metric]], lower=0)      # from 0: the change against the share itself
        ax.set(title=title, xlabel="fine-tuning step", ylabel="attention share")
    handles = {l: h for h, l in zip(*axes[0].get_legend_handles_labels())}
    extra = [(Line2D([], [], color="grey"), "mean over the layer's heads"), (Line2D([], [], color="grey", ls="--"), "the circuit's head (L: layer, h: head)")] if per_head else []
    fig.legend([*handles.values(), *(h for h, _ in extra)], [*handles.keys(), *(l for _, l in extra)], loc="outside lower center", ncol=3)
    d, metric, who = max(change)
    what = "the circuit's heads" if per_head else "the head means"
    fig_title(fig, f"Attention on the {OLD} during fine-tuning: {what} move by at most {d:.2g} ({metric}, {who})")
    save_figure(fig, fi.fig_dir / f"{experiment}_attention.png")

# %% [markdown]
# ## Numbers
# Per value of the varying parameter (mean over seeds): old-individual loss before fine-tuning, its maximum within
# the first 10% of the fine-tuning steps and the ratio of the two (the collapse), and the final losses and
# accuracies of both groups.

# %%
span, total = wall_time(fi.runs)
table = (md_table(groups[[key, "n_seeds", *COLS]].to_dict("records"))
         + f"\n{seeds_note(groups.n_seeds)}. {len(fi.runs)} runs: {span:.0f} s from first start to last end, {total:.0f} s summed.\n")
write_text_atomic(fi.fig_dir / f"{experiment}_summary.md", table)
write_json_atomic(fi.fig_dir / f"{experiment}.json", dict(key=key, runs=groups.to_dict("records"), attention=att_summary, circuit=circuit, old_acc_by_optimizer=trend, rank_correlation=rho))
print(table)
