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
# # Figure: groups of individuals one at a time (paper Figs S, T, V; App. F.5)
#
# Accuracy on held-out templates of every group through training, from the `groups` runs in the results store:
# one panel per configuration (sequential groups: lr schedule × number of groups; alternating halves: number of
# loops), each seed faint and the mean over seeds in full. The background of each stage has the colour of the
# group it trains, the number (or A/B) above it names that group, and dashed vertical lines mark the switches.
# Groups are numbered from 1 in the figure and tables (group 1 = column `g0` of the runs). Writes
# `groups_sequential.png` and `groups_alternating.png` (accuracy; those that have runs), `groups_sequential_loss.png`
# and `groups_alternating_loss.png` (the same for the attribute loss, with the no-knowledge baseline),
# `groups_attention.png` (paper Fig X: the attention metrics of the sequential runs through the switches, when the
# runs probed their attention), `groups_summary.md` and `groups.json` into `fig_dir`.

# %%
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory
from factdyn.runs import figure_inputs
from factdyn.figstyle import figure, save_figure, use_style, draw_baseline, SEEN, UNSEEN, BASELINE
from factdyn.analysis import plot_seeds, figure_legend, suptitle, plain_log_ticks, md_table, fmt_seeds, write_summary
from factdyn.curricula import numeric_columns
from factdyn.attention import circuit_heads, circuit_stability, head_series

# %% tags=["parameters"]
experiment: str = "groups"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
store: str = "../results"  # the results store the runs are read from
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
fi = figure_inputs(experiment, preset, store, fig_dir)
summ, logs = numeric_columns(fi.summaries), fi.metrics
summ["schedule"] = summ.get("schedule", pd.Series(["cosine"] * len(summ)))
summ = summ.assign(_o=summ.groups.map({"sequential": 0, "alternating": 1}), _s=summ.schedule.map({"cosine": 0, "constant": 1}),
                  _n=np.where(summ.groups == "sequential", summ.n_groups, summ.n_loops)).sort_values(["_o", "_s", "_n", "run"])
summ["config"] = [f"{int(r.n_groups)} groups, {r.schedule} lr" if r.groups == "sequential"
                  else f"{int(r.n_loops)} loops, {r.schedule} lr" for _, r in summ.iterrows()]
stages = pd.concat([pd.DataFrame(r.stages).assign(run=r.run, config=r.config) for _, r in summ.iterrows()], ignore_index=True)
level, after, base = float(summ.level.iloc[0]), int(summ.after.iloc[0]), float(summ.baseline.iloc[0])
print(f"{len(summ)} runs: " + "; ".join(f"{c} ({n} seed{'s' * (n > 1)})" for c, n in summ.config.value_counts(sort=False).items()))
use_style()


# %% [markdown]
# ## Accuracy and loss of every group through training
# The accuracy figure's title is computed from the stage tables the runs wrote (`factdyn.curricula.stage_table`): the trained
# group's accuracy at the end of its stage, `after` steps later (forgetting), and the steps it needs to reach
# accuracy `level` after its stage starts.

# %%
def rng_txt(v, f="{:.2f}"):
    "'a' or 'a–b' for the finite values of `v`, '—' when none."
    v = pd.to_numeric(pd.Series(list(v)), errors="coerce").dropna()
    if not len(v): return "—"
    lo, hi = f.format(v.min()), f.format(v.max())
    return lo if lo == hi else f"{lo}–{hi}"


FIRST, LAST = 0.0, 0.85      # the colour-map range of sequential groups: the first group darkest, the last lightest


def group_colors(kind, n):
    "A colour per group: blue/orange for the two halves, dark (first) to light (last) along viridis for sequential groups."
    return [SEEN, UNSEEN] if kind == "alternating" else [colormaps["viridis"](x) for x in np.linspace(FIRST, LAST, n)]


def group_name(kind, k): return "AB"[k] if kind == "alternating" else str(k + 1)


def panel(ax, runs, kind, y, ncols):
    "Accuracy (`y` 'acc') or loss ('loss') of every group of one configuration's runs, stages tinted and named, switches dashed."
    r0 = runs.iloc[0]
    n, colors = int(r0.n_groups), group_colors(kind, int(r0.n_groups))
    m = logs[logs.run.isin(runs.run)]
    for k in range(n):      # sequential groups are named above their stages; the legend explains the colour order
        plot_seeds(ax, m, f"g{k}_{y}", label=f"half {group_name(kind, k)}" if kind == "alternating" else None, color=colors[k])
    top = blended_transform_factory(ax.transData, ax.transAxes)
    wide = max(len(group_name(kind, s["group"])) for s in r0.stages) * 5.5 + 3      # points per stage label
    every = max(1, int(np.ceil(len(r0.stages) * wide / (0.9 * 7 * 72 / ncols))))   # name every stage that fits
    for i, s in enumerate(r0.stages):
        ax.axvspan(s["start"], s["end"], color=colors[s["group"]], alpha=0.08, lw=0, zorder=0)
        if i % every == 0:
            ax.text((s["start"] + s["end"]) / 2, 1.01, group_name(kind, s["group"]), transform=top, ha="center",
                    va="bottom", fontsize=8, color=colors[s["group"]], fontweight="bold")
    for t in r0.switch_steps: ax.axvline(t, color="0.45", lw=0.8, ls="--", zorder=1, label="switch of the trained group")
    ax.set_xlim(0, int(r0.steps))
    if y == "acc": ax.set_ylim(-0.02, 1.02)
    else: draw_baseline(ax, base); ax.set_yscale("log"); plain_log_ticks(ax.yaxis)
    ax.set_title(r0.config, pad=14)


def draw(kind, configs, nrows, ncols, y):
    fig, axes = figure(nrows, ncols, height=2.6 * nrows + 0.7, sharex=True, sharey=True, squeeze=False)
    for ax, cfg in zip(axes.flat, configs): panel(ax, summ[summ.config == cfg], kind, y, ncols)
    for ax in axes[-1]: ax.set_xlabel("training step")
    for ax in axes[:, 0]: ax.set_ylabel(f"{'accuracy' if y == 'acc' else 'attribute loss (nats)'},\nheld-out templates")
    order = [] if kind == "alternating" else [(Line2D([], [], color=colormaps["viridis"](FIRST)), "group 1 (first)"),
                                              (Line2D([], [], color=colormaps["viridis"](LAST)), "last group")]
    figure_legend(fig, ncol=4, extra=order)
    return fig


def message(kind):
    st, runs = stages[stages.run.isin(summ[summ.groups == kind].run)], summ[summ.groups == kind]
    best = float(np.nanmax(st.acc_end)) if st.acc_end.notna().any() else float("nan")
    what, none = ("Sequential groups", "no group") if kind == "sequential" else ("Alternating halves", "neither half")
    if not best >= level:
        return (f"{what}: {none} reaches accuracy {level:g} within a stage (highest {best:.2f}), "
                f"so nothing is learned or forgotten at this size")
    if kind == "sequential":
        first, later = st[st.stage == 0].steps_to_level, st[st.stage > 0].steps_to_level
        never = f" ({int(later.isna().sum())} never)" if later.isna().any() else ""
        return (f"{what}: {int((st.acc_end >= 0.9).sum())} of {int(st.acc_end.notna().sum())} groups reach accuracy 0.9 "
                f"in their stage and are at {rng_txt(st.acc_after)} {after} steps after it; steps to {level:g}: "
                f"{rng_txt(first, '{:.0f}')} for the first group, {rng_txt(later, '{:.0f}')} for later ones{never}")
    fin = ", ".join(f"{int(r.n_loops)} loops {r.g0_final_acc:.2f} / {r.g1_final_acc:.2f}"
                    for _, r in runs.groupby("n_loops")[["g0_final_acc", "g1_final_acc"]].mean().reset_index().iterrows())
    most = st[st.run.isin(runs[runs.n_loops == runs.n_loops.max()].run) & (st.group == 0)]
    a, b = (rng_txt(most[most.stage == f].steps_to_level, "{:.0f}") for f in (most.stage.min(), most.stage.max()))
    first = f"never reaches {level:g} in its first stage" if a == "—" else f"needs {a} steps to {level:g} in its first stage"
    last = f"is still above {level:g} when its last starts" if b == "0" else f"needs {b} in its last"
    return f"{what}: final accuracy A / B: {fin}; with {int(runs.n_loops.max())} loops A {first} and {last}"


figs = {}
for kind in ("sequential", "alternating"):
    runs = summ[summ.groups == kind]
    if not len(runs): continue
    if kind == "sequential":
        scheds = [s for s in ("cosine", "constant") if s in set(runs.schedule)]
        ns = sorted(runs.n_groups.astype(int).unique())
        configs = [f"{n} groups, {s} lr" for s in scheds for n in ns]
        nrows, ncols = len(scheds), len(ns)
    else:
        configs = list(dict.fromkeys(runs.sort_values(["n_loops", "schedule"]).config))
        nrows, ncols = 1, len(configs)
    configs_present = [c for c in configs if c in set(runs.config)]
    if len(configs_present) < len(configs): nrows, ncols, configs = 1, len(configs_present), configs_present
    msg = message(kind)
    for y, suffix in (("acc", ""), ("loss", "_loss")):
        fig = draw(kind, configs, nrows, ncols, y)
        suptitle(fig, msg if y == "acc" else f"{msg.split(':')[0]}: attribute loss of every group (dotted: the no-knowledge baseline)")
        figs[kind + suffix] = save_figure(fig, fi.fig_dir / f"groups_{kind}{suffix}.png")
print(figs)

# %% [markdown]
# ## Numbers
# Per configuration (mean over seeds, with their range): the steps each group needs after its stage starts to reach
# accuracy `level` (— : not within its stage), the first group's accuracy at the end of its stage, `after` steps
# later and at the end of training; for alternating halves, the same per stage and the final accuracies of both.

# %%
def per_stage(cfg, col, digits="{:.0f}"):
    "Mean over seeds of `col` per stage of configuration `cfg`, as 'a · b · c'."
    st = stages[stages.config == cfg].groupby("stage")[col].mean()
    return " · ".join("—" if not np.isfinite(v) else digits.format(v) for v in st)


rows, data = {}, {}
for kind in ("sequential", "alternating"):
    runs = summ[summ.groups == kind]
    for cfg, g in runs.groupby("config", sort=False):
        st0 = stages[(stages.config == cfg) & (stages.stage == 0)]
        row = {"configuration": cfg, "seeds": len(g), f"steps to {level:g}, per stage": per_stage(cfg, "steps_to_level")}
        if kind == "sequential":
            last = stages[(stages.config == cfg) & (stages.stage == stages.stage[stages.config == cfg].max())]
            row |= {"group 1, end of its stage": fmt_seeds(st0.acc_end), f"group 1, {after} steps later": fmt_seeds(st0.acc_after),
                    "group 1, end of training": fmt_seeds(g.g0_final_acc), "last group, end of training": fmt_seeds(last.acc_final)}
        else:
            row |= {"accuracy at each stage's end": per_stage(cfg, "acc_end", "{:.2f}"),
                    "A, end of training": fmt_seeds(g.g0_final_acc), "B, end of training": fmt_seeds(g.g1_final_acc)}
        rows.setdefault(kind, []).append(row)
        data[cfg] = dict(kind=kind, runs=list(g.run), stages=stages[stages.config == cfg].drop(columns="config").to_dict("records"))
# %% [markdown]
# ## Attention through the switches (paper Fig X)
# With `attn_probe`, a run wrote the attention metrics of every layer and head at each checkpoint, on a fixed probe of
# held-out templates of the whole population (`attention.csv`). The paper finds them less stable than under a constant
# distribution, but its grouping and extraction metrics stay high. Drawn for the sequential configuration with the
# most groups (cosine lr when present), for the circuit's heads as `circuit_heads` finds them at the end of the run
# (grouping: the largest name → name head of any layer; extraction: the last layer's largest attribute → any name
# head; the same head's attention to the sentence's own name beside it), each beside its layer's mean over heads
# (dotted); dashed: the switches. `circuit_stability` measures what a switch costs them: the lowest value until the
# next switch over the value at it. The paper's grouping metric is the first layer's; it is in the table below.

# %%
PANELS = [("grouping", "name_name", "name → name"), ("extraction", "attr_name_any", "attribute → any name"),
          ("extraction", "attr_name", "attribute → own name")]
seq = summ[summ.groups == "sequential"].sort_values(["_n", "_s"], ascending=[False, True])
att = {r.name: t for r in fi.runs if r.name in set(seq.run) and (t := r.table("attention")) is not None}
att_rows = []
if att:
    cfg = seq[seq.run.isin(att)].config.iloc[0]
    runs_x = seq[(seq.config == cfg) & seq.run.isin(att)]
    first = int(runs_x.switch_steps.iloc[0][0])
    heads = {r: circuit_heads(att[r]) for r in runs_x.run}
    kept = {r: circuit_stability(att[r], runs_x.set_index("run").switch_steps[r]) for r in runs_x.run}
    fig, axes = figure(1, len(PANELS), height=3.3, sharey=True)
    for ax, (role, col, what) in zip(axes, PANELS):
        one = {(l, h) for (l, h, _) in (heads[r][role] for r in runs_x.run)}
        for r in runs_x.run:
            l, h, _ = heads[r][role]
            plot_seeds(ax, head_series(att[r], l, h, col).reset_index().assign(run=r), col, color=SEEN, label="the circuit's head")
            plot_seeds(ax, att[r][att[r].layer == l].groupby("step", as_index=False)[col].mean().assign(run=r), col, color=SEEN, ls=":",
                       label="its layer's mean over heads")
        where = ", ".join(f"L{l + 1} h{h + 1}" for l, h in sorted(one))
        for t in runs_x.switch_steps.iloc[0]: ax.axvline(t, color="0.45", lw=0.8, ls="--", zorder=1, label="switch of the trained group")
        ax.set(xlabel="training step", title=f"{role} head ({where}):\n{what}", ylim=(0, 1.02), xlim=(0, int(runs_x.steps.iloc[0])))
    axes[0].set_ylabel("attention mass")
    figure_legend(fig, ncol=3)
    k_min = min(kept[r]["kept"] for r in runs_x.run)
    def grouping_at(r, step):
        "The grouping head's name → name mass at the run's checkpoint nearest `step` (None: the last)."
        a = head_series(att[r], *heads[r]["grouping"][:2], "name_name")
        return float(a.iloc[-1] if step is None else a.iloc[int(np.abs(a.index.values - step).argmin())])
    g0, g1 = (float(np.mean([grouping_at(r, t) for r in runs_x.run])) for t in (first, None))
    suptitle(fig, f"{cfg}: the switches do not hurt the circuit (after each, a head's lowest value is ≥ {k_min:.2f} × "
                  f"its value at the switch); the grouping head forms through them ({g0:.2f} → {g1:.2f}) (Fig X)")
    figs["attention"] = save_figure(fig, fi.fig_dir / "groups_attention.png")
    for role, col, what in [*PANELS[:2], ("grouping", "name_name", "name → name (layer 1's best head, the paper's metric)")]:
        l1 = "layer 1" in what
        v = pd.concat([(att[r][att[r].layer == 0].groupby("step")[col].max() if l1 else
                        head_series(att[r], *heads[r][role][:2], col))
                       .rename(r) for r in runs_x.run], axis=1).mean(axis=1)
        at = v.iloc[int(np.abs(v.index.values - first).argmin())]
        att_rows.append({"head: metric": f"{role}: {what}" if not l1 else what, "at the first switch": f"{at:.2f}",
                         "lowest after it": f"{v[v.index >= first].min():.2f}", "end": f"{v.iloc[-1]:.2f}"})
print(md_table(att_rows) if att_rows else "no attention.csv in the sequential runs (run them with attn_probe > 0)")

# %%
HEAD = {"sequential": "**Sequential groups** (stages in order; groups numbered from 1)",
        "alternating": "**Alternating halves** (stages in order: A, B, A, B, …)"}
table = "".join(f"{HEAD[k]}\n\n{md_table(r)}\n" for k, r in rows.items())
if att_rows: table += f"\n**Attention through the switches** ({cfg}, mean over seeds; the circuit's heads as found at the end of the run)\n\n{md_table(att_rows)}\n"
circuit = {r: dict(heads={k: dict(layer=l + 1, head=h + 1, at_end=v) for k, (l, h, v) in heads[r].items()}, kept=kept[r])
           for r in heads} if att else {}
write_summary(fi.fig_dir, "groups", table, dict(level=level, after=after, configurations=data, circuit=circuit))
print(table)
