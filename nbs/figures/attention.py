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
# # Figure: attention metrics through training (paper Fig 3 right, Fig F)
#
# The `phases` runs write the attention metrics of `factdyn.attention` at every checkpoint, per layer and head,
# to `attention.csv` (a fixed probe of held-out-template biographies of seen individuals): the first/middle-name
# mass at the last name token (name grouping), the mass from the position that predicts a value on the sentence's
# name tokens and on its template text (extraction), the same masses over every earlier name token of any sentence
# (`_any`), and the normalised entropy. The paper averages over heads; we show that mean beside the best single
# head of each layer (the largest mass; for the entropy the smallest), since one head can do what the mean hides.
# Writes `attention.png` (paper Fig 3 right), `attention_layers.png` (every layer, Fig F), `attention_summary.md`
# and `attention.json` into `fig_dir`.

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from factdyn.runs import figure_inputs
from factdyn.figstyle import figure, save_figure, use_style, draw_baseline, shade_plateau
from factdyn.metrics import plateau_bounds
from factdyn.analysis import plot_seeds, figure_legend, suptitle, plain_log_ticks, plateau_text, md_table, fmt_seeds, write_summary

# %% tags=["parameters"]
experiment: str = "phases"  # experiment whose runs are analysed (they must have written attention.csv)
preset: str = "smoke"  # preset of those runs
store: str = "../results"  # the results store the runs are read from
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
fi = figure_inputs(experiment, preset, store, fig_dir)
att = pd.concat([t.assign(run=r.name) for r in fi.runs if (t := r.table("attention")) is not None], ignore_index=True)
assert len(att), f"no attention.csv in the {experiment}/{preset} runs: run them with attn_probe > 0"
df, summ = fi.metrics, fi.summaries
base, T = float(summ.baseline.iloc[0]), int(att.step.max())
loss = df.groupby("step").seen_loss.mean()
start, end = plateau_bounds(loss.index, loss.values, base)
L, H = int(att.layer.max()), int(att["head"].max()) + 1
BEST = dict(name_name="max", attr_name="max", attr_text="max", name_name_any="max", attr_name_any="max", entropy="min")
by = att.groupby(["run", "step", "layer"])
heads, best = by[list(BEST)].mean().reset_index(), by.agg(BEST).reset_index()   # mean over heads; the best head

def layer(table, l): return table[table.layer == l]

def which(col, l) -> str:
    "The best head of layer `l` for `col` at the last checkpoint (1-based), per seed."
    last = att[(att.layer == l) & (att.step == T)]
    idx = last.groupby("run")[col].idxmin() if BEST[col] == "min" else last.groupby("run")[col].idxmax()
    return "/".join(f"h{int(last.loc[i, 'head']) + 1}" for i in idx)

def at(table, step, l, col) -> list:
    "Per seed: `col` of layer `l` at the checkpoint nearest to `step` (empty when `step` is None)."
    if step is None: return []
    g = layer(table, l)
    return [float(r.iloc[(r.step - step).abs().argsort().iloc[0]][col]) for _, r in g.groupby("run")]

print(f"{att.run.nunique()} seed(s), {L + 1} layer(s) × {H} heads, {att.step.nunique()} checkpoints; {plateau_text(start, end, T)}")
use_style()  # the project's figure style for what follows

# %%
#| label: fig-attention
#| fig-cap: "Attention metrics through training (the plateau shaded): the first layer's name → name grouping and the last layer's attention from the value-predicting position to the sentence's name and to its template text, each as the mean over heads (solid, the paper's metric) and in the best head (dashed; which head at the end, per seed, in the legend); right: the loss for reference. Faint lines: single seeds."
fig, (ax, bx, cx) = figure(1, 3, height=4.4)
for a, l, col, c, name in ((ax, 0, "name_name", "C2", "layer 1: name → name"), (bx, L, "attr_name", "C0", f"layer {L + 1}: attribute → name"),
                           (bx, L, "attr_text", "C1", f"layer {L + 1}: attribute → text")):
    plot_seeds(a, layer(heads, l), col, color=c, label=f"{name} (best: {which(col, l)})")
    plot_seeds(a, layer(best, l), col, color=c, ls="--")
ax.set_title("name grouping (layer 1)"); bx.set_title(f"extraction (layer {L + 1})")
for a in (ax, bx): a.set_ylim(0, 1.02); a.set_ylabel("total attention")
plot_seeds(cx, df, "seen_loss", color="k", label="attribute loss, seen individuals")
draw_baseline(cx, base); cx.set_yscale("log"); plain_log_ticks(cx.yaxis); cx.set_ylabel("attribute loss (nats)"); cx.set_title("loss")
for a in (ax, bx, cx): a.set_xlabel("training step"); shade_plateau(a, start, end)
figure_legend(fig, ncol=2, extra=[(Line2D([], [], color="grey"), f"mean of {H} heads (the paper's metric)"),
                                  (Line2D([], [], color="grey", ls="--"), "best head")])
v = {k: np.mean(at(heads, s, l, c)) for k, s, l, c in (("nn0", 0, 0, "name_name"), ("nn1", T, 0, "name_name"),
                                                       ("an0", 0, L, "attr_name"), ("an1", T, L, "attr_name"))}
suptitle(fig, f"Layer 1 name → name mass goes {v['nn0']:.2f} → {v['nn1']:.2f} and layer {L + 1} attribute → name "
              f"{v['an0']:.2f} → {v['an1']:.2f} over {T:,} steps", f"Seen individuals: {plateau_text(start, end, T)}")
save_figure(fig, fi.fig_dir / "attention.png")

# %%
#| label: fig-attention-layers
#| fig-cap: "The attention metrics in every layer (colour; Fig F): the mean over heads (solid) and the best head (dashed: the largest mass, for the entropy the smallest). Top row: masses on the same name occurrence (name grouping), on the sentence's name and on its template text (extraction); bottom row: the name masses over every earlier name token, and the normalised entropy."
TITLES = dict(name_name="name → name", attr_name="attribute → name", attr_text="attribute → text",
              name_name_any="name → any name", attr_name_any="attribute → any name", entropy="entropy (normalised)")
fig, axes = figure(2, 3, height=5.6, sharex=True, sharey=True)
colors = plt.cm.viridis(np.linspace(0, 0.85, L + 1))
for a, col in zip(axes.flat, BEST):
    for l in range(L + 1):
        plot_seeds(a, layer(heads, l), col, color=colors[l], label=f"layer {l + 1}")
        plot_seeds(a, layer(best, l), col, color=colors[l], ls="--")
    a.set_title(TITLES[col]); a.set_ylim(0, 1.02); shade_plateau(a, start, end)
for a in axes[1]: a.set_xlabel("training step")
for a in axes[:, 0]: a.set_ylabel("attention mass or entropy")
for a in axes.flat: a.label_outer()
figure_legend(fig, ncol=4, extra=[(Line2D([], [], color="k"), f"mean of {H} heads"),
                                  (Line2D([], [], color="k", ls="--"), "best head (entropy: lowest)")])
ends = pd.DataFrame([dict(col=c, layer=l, gap=abs(np.mean(at(best, T, l, c)) - np.mean(at(heads, T, l, c))))
                     for c in BEST for l in range(L + 1)]).sort_values("gap").iloc[-1]
suptitle(fig, f"At the end the best single head departs from the head mean by up to {ends.gap:.2f} "
              f"({TITLES[ends.col]}, layer {int(ends.layer) + 1})")
save_figure(fig, fi.fig_dir / "attention_layers.png")

# %% [markdown]
# ## Numbers at the plateau start and end
# Mean over heads (the paper's metric) at initialisation, at the checkpoints nearest to the plateau start and end
# of the mean loss curve, and at the end of training (mean over seeds with their range), and the best head at the end.

# %%
W = dict(init=0, start=start, end=end, final=T)
ROWS = [("layer 1 name → name (same occurrence)", "≈0.9 within ≈500 steps", 0, "name_name"),
        ("layer 1 name → any earlier name", "—", 0, "name_name_any"),
        ("last layer attribute → name (same sentence)", "≈0.3 early → ≈0.85 by ≈4k → ≈0.9", L, "attr_name"),
        ("last layer attribute → any name", "—", L, "attr_name_any"),
        ("last layer attribute → text", "peak ≈0.6 at 300–500 → ≈0.1 by ≈3k", L, "attr_text"),
        ("last layer normalised entropy", "1 → 0.25–0.6", L, "entropy")]
rows = [dict(quantity=q, paper=p, **{w: fmt_seeds(at(heads, s, l, c)) for w, s in W.items()},
             **{"best head at the end": f"{fmt_seeds(at(best, T, l, c))} ({which(c, l)})"}) for q, p, l, c in ROWS]
table = md_table(rows)
ours = {f"{c}_l{l + 1}_{w}": np.mean(at(heads, s, l, c)) if s is not None else None for _, _, l, c in ROWS for w, s in W.items()}
ours |= {f"{c}_l{l + 1}_best_head_final": dict(value=np.mean(at(best, T, l, c)), head=which(c, l)) for c in BEST for l in range(L + 1)}
write_summary(fi.fig_dir, "attention", f"Plateau of the mean loss curve: {plateau_text(start, end, T)}; training: {T:,} steps; "
              f"{att.run.nunique()} seed(s).\n\n" + table, dict(ours, plateau_start=start, plateau_end=end, seeds=att.run.nunique()))
print(table)
