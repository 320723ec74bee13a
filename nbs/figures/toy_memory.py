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
# Reads the completed runs of the `toy_memory` experiment and writes into `fig_dir`:
# `toy_memory_finetune.png` (Fig Q-like: old- and new-pair loss and accuracy during fine-tuning on 32–1024
# new pairs without replay, and the old-loss vs new-loss trajectory of Fig 5 middle),
# `toy_memory_replay.png` (Fig R-like: the same for 128 new pairs with old pairs replayed at weights 2 to
# 1/512) and `toy_memory_summary.md` (our numbers beside the paper's statements). Executed by
# `factdyn reproduce` after the runs.

# %%
from pathlib import Path
import numpy as np
import matplotlib.pyplot as plt
from factdyn.engine import collect, collect_summaries
from factdyn.analysis import md_table, fmt
from factdyn.toymemory import run_key

# %% tags=["parameters"]
experiment: str = "toy_memory"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
runs_root: str = "../runs"  # the run store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
df, summ = collect(experiment, preset, runs_root=runs_root), collect_summaries(experiment, preset, runs_root=runs_root)
assert len(summ), f"no completed runs of {experiment}/{preset} under {runs_root}"
fig_dir = Path(fig_dir); fig_dir.mkdir(parents=True, exist_ok=True)
s = summ.sort_values("seed").iloc[0]
run = df[df.run == s["run"]].sort_values("step")
base = float(s["baseline"])
pre, ft, rp = (run[run.phase == p] for p in ("pretrain", "finetune", "replay"))
sizes, weights = sorted(ft.n_new.unique()), sorted(rp.replay_weight.unique(), reverse=True)
n_rep = int(rp.n_new.iloc[0]) if len(rp) else None
print(f"{len(summ)} run(s); plotted: {s['run']}; fine-tuning sizes {sizes}; replay weights {weights} on {n_rep} new pairs")


# %%
def frac(w: float) -> str:
    "A replay weight as the paper writes it (2, 1/2, ..., 1/512)."
    return f"{w:g}" if w >= 1 else f"1/{1 / w:.4g}"

def curves(axes, groups, base, pre=None, ref=None):
    "Loss/accuracy panels over fine-tuning steps and the old-vs-new loss trajectory, one line per (label, log, colour)."
    (a_ol, a_nl, a_tr), (a_oa, a_na, a_x) = axes
    for label, g, c in groups:
        kw = dict(color=c, lw=1.4, label=label)
        a_ol.plot(g.step, g.old_loss, **kw); a_nl.plot(g.step, g.new_loss, **kw)
        a_oa.plot(g.step, g.old_acc, **kw); a_na.plot(g.step, g.new_acc, **kw)
        a_tr.plot(g.old_loss, g.new_loss, **kw); a_tr.plot(g.old_loss.iloc[-1], g.new_loss.iloc[-1], 'o', color=c, ms=4)
    if ref is not None:
        kw = dict(color='k', lw=1, ls='--', label='no replay')
        a_ol.plot(ref.step, ref.old_loss, **kw); a_nl.plot(ref.step, ref.new_loss, **kw)
        a_oa.plot(ref.step, ref.old_acc, **kw); a_na.plot(ref.step, ref.new_acc, **kw)
        a_tr.plot(ref.old_loss, ref.new_loss, **kw)
    g0 = groups[0][1]
    a_tr.plot(g0.old_loss.iloc[0], g0.new_loss.iloc[0], 'k*', ms=9, label='start')
    for a, t in ((a_ol, 'old-pair loss'), (a_nl, 'new-pair loss'), (a_oa, 'old-pair accuracy'), (a_na, 'new-pair accuracy')):
        a.set_xscale('symlog', linthresh=10, linscale=0.5); a.set_xlim(0, None)
        a.set_xlabel('fine-tuning step (linear to 10, log after)'); a.set_ylabel(t)
    for a in (a_ol, a_nl): a.set_yscale('log'); a.axhline(base, color='grey', lw=1, label=f'no knowledge (ln {n_classes})')
    for a in (a_oa, a_na): a.set_ylim(-0.02, 1.02); a.axhline(1 / n_classes, color='grey', lw=1)
    a_tr.set_xscale('log'); a_tr.set_yscale('log')
    a_tr.axvline(base, color='grey', lw=1); a_tr.axhline(base, color='grey', lw=1)
    a_tr.set_xlabel('old-pair loss (pre-training pairs)'); a_tr.set_ylabel('new-pair loss (fine-tuning pairs)')
    a_tr.set_title('trajectory (Fig 5 middle)', fontsize=9)
    for a in (a_ol, a_nl, a_tr): a.yaxis.set_minor_formatter(plt.NullFormatter())
    a_tr.xaxis.set_minor_formatter(plt.NullFormatter())
    a_ol.legend(fontsize=7, ncol=2); a_tr.legend(fontsize=7)

n_classes = int(round(np.exp(base)))
cmap = plt.get_cmap('viridis')

# %%
#| label: fig-toy-finetune
#| fig-cap: "Toy associative memory, fine-tuning without replay (cf. paper Fig Q). Top: loss on the 8192 pre-training (old) pairs and on the new pairs, and the old-vs-new loss trajectory (star: start, dots: end); bottom: accuracies and the pre-training run. The new pairs start hallucinated, far above the no-knowledge line ln 30 (grey); the old loss rises as they are learnt, more so for more new pairs."
fig, axes = plt.subplots(2, 3, figsize=(15, 8))
groups = [(f'{n} new', ft[ft.n_new == n], cmap(i / max(1, len(sizes) - 1))) for i, n in enumerate(sizes)]
curves(axes, groups, base)
a = axes[1, 2]
a.plot(pre.step, pre.old_loss, color='C0', label='old pairs (trained)'); a.plot(pre.step, pre.new_loss, color='C3', ls='--', label='new pairs (never seen)')
a.axhline(base, color='grey', lw=1); a.set_yscale('log'); a.set_xlabel('pre-training step'); a.set_ylabel('loss')
a.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f'{x / 1000:g}k' if x else '0'))
a2 = a.twinx(); a2.plot(pre.step, pre.old_acc, color='C0', lw=0.8, alpha=0.5); a2.set_ylabel('old-pair accuracy (faint)', fontsize=8); a2.set_ylim(-0.02, 1.02)
a.set_title(f"pre-training: {int(s['n_pairs'])} pairs, {int(s['steps'])} steps, cosine lr {s['lr']:g}", fontsize=9); a.legend(fontsize=7)
fig.suptitle(f"Toy memory: fine-tuning at constant lr {s['ft_lr']:g} on new pairs, no replay "
             f"({int(s['hidden'])} ReLU units, {int(s['d_key'])}-d keys, {n_classes} classes)")
fig.tight_layout()
fig.savefig(fig_dir / "toy_memory_finetune.png", dpi=110, bbox_inches="tight")

# %%
#| label: fig-toy-replay
#| fig-cap: "Toy associative memory, fine-tuning on 128 new pairs while replaying the old pairs with weight w (each old pair w times as likely as each new pair; cf. paper Fig R); dashed: the same fine-tuning without replay. Bottom right: final old- and new-pair loss against w: more replay keeps more old knowledge and learns the new pairs more slowly."
fig, axes = plt.subplots(2, 3, figsize=(15, 8))
groups = [(f'w = {frac(w)}', rp[rp.replay_weight == w], plt.get_cmap('plasma')(i / max(1, len(weights) - 1) * 0.9))
          for i, w in enumerate(weights)]
ref = ft[ft.n_new == n_rep] if n_rep in sizes else None
curves(axes, groups, base, ref=ref)
a = axes[1, 2]
fin = rp.sort_values('step').groupby('replay_weight').last().sort_index()
a.plot(fin.index, fin.old_loss, 'o-', color='C0', label='old pairs'); a.plot(fin.index, fin.new_loss, 's-', color='C3', label='new pairs')
if ref is not None:
    a.axhline(ref.old_loss.iloc[-1], color='C0', ls='--', lw=1, label='old, no replay'); a.axhline(ref.new_loss.iloc[-1], color='C3', ls='--', lw=1, label='new, no replay')
a.set_xscale('log', base=2); a.set_yscale('log'); a.set_xlabel('replay weight w'); a.set_ylabel(f"loss after {int(s['ft_steps'])} steps")
a.set_title('final losses (Fig 5 right)', fontsize=9); a.legend(fontsize=7, loc='lower right', bbox_to_anchor=(1, 0.07))
fig.suptitle(f"Toy memory: fine-tuning on {n_rep} new pairs with replay of the {int(s['n_pairs'])} old pairs")
fig.tight_layout()
fig.savefig(fig_dir / "toy_memory_replay.png", dpi=110, bbox_inches="tight")


# %% [markdown]
# ## Numbers beside the paper's
# The paper gives no numbers for the toy (App. F.4 says it reproduces Figs 5 and N qualitatively), so each
# row sets one of the paper's fine-tuning statements (§4.2, Figs 5, N) beside the toy's numbers from
# `summary.json`. Lists follow the fine-tuning sizes (no replay) or the replay weights, in the order of the
# header line.

# %%
def vals(prefix_keys, key):
    return [s.get(f"{p}_{key}") for p in prefix_keys]

def show(xs, digits=3):
    return ', '.join(fmt(None if x is None or (isinstance(x, float) and np.isnan(x)) else x, digits) for x in xs)

def monotone(xs, increasing):
    d = np.diff(np.asarray(xs, float))
    return 'yes' if (np.all(d > 0) if increasing else np.all(d < 0)) else 'no'

fk = [run_key('finetune', n) for n in sizes]
rk = [run_key('replay', n_rep, w) for w in weights] if n_rep else []
ratio100 = [a / b for a, b in zip(vals(fk, 'old_loss_step100'), vals(fk, 'old_loss_before'))]
early = vals(fk, 'old_loss_early_ratio')
rows = [
    dict(quantity="pre-training: final old-pair loss / accuracy",
         paper="pairs memorised (toy: no number given)",
         ours=f"{fmt(float(s['pretrain_final_old_loss']))} / {fmt(float(s['pretrain_final_old_acc']))}"),
    dict(quantity=f"new pairs before fine-tuning: loss (ln {n_classes} = {base:.2f})",
         paper="hallucinated: above the no-knowledge line (Fig 5 left: ~15 nats vs 6.78)",
         ours=show(vals(fk, 'new_loss_before'))),
    dict(quantity=f"no replay, n_new = {', '.join(map(str, sizes))}: old loss at step 100 / before",
         paper="old knowledge collapses within ~100 steps (Fig N: old loss → ~1–7)", ours=show(ratio100)),
    dict(quantity="no replay: max old loss in the first 10% of steps / before",
         paper="early collapse, worse with more new items", ours=show(early) + f" (increasing: {monotone(early, True)})"),
    dict(quantity="no replay: step of that maximum", paper="~100 to a few hundred steps",
         ours=show(vals(fk, 'old_loss_early_max_step'))),
    dict(quantity="no replay: final old-pair accuracy", paper="stays non-zero, lower with more new items (Fig N: 0.47 → 0.09)",
         ours=show(vals(fk, 'final_old_acc'))),
    dict(quantity="no replay: final old-pair loss", paper="~2–7 nats, near or above the baseline for the most new items",
         ours=show(vals(fk, 'final_old_loss'))),
    dict(quantity="no replay: first step with every new pair right", paper="~200 → ~4k steps, later for more new items",
         ours=show(vals(fk, 'step_new_acc_1'))),
    dict(quantity="no replay: final new-pair accuracy", paper="1.0", ours=show(vals(fk, 'final_new_acc'))),
]
if rk:
    fo, fn = vals(rk, 'final_old_loss'), vals(rk, 'final_new_loss')
    rows += [
        dict(quantity=f"replay, w = {', '.join(frac(w) for w in weights)}: final old-pair loss",
             paper="more replay, better retention (Fig 5 right: ~3e-2 at w = 2 → ~0.25 at 1/32)",
             ours=show(fo) + f" (rises as w falls: {monotone(fo, True)})"),
        dict(quantity="replay: final new-pair loss", paper="more replay, slower learning (~1 at w = 2 → ~8e-3 at 1/32)",
             ours=show(fn) + f" (falls as w falls: {monotone(fn, False)})"),
        dict(quantity="replay: final new-pair accuracy", paper="Fig N: ~0.78 at w = 2, 1.0 at small w",
             ours=show(vals(rk, 'final_new_acc'))),
        dict(quantity="replay: max old loss in the first 10% / before",
             paper="replay mitigates the final drop; the early dip only partly (§13: text and caption disagree)",
             ours=show(vals(rk, 'old_loss_early_ratio'))),
        dict(quantity="replay: final old-pair accuracy", paper="Fig N: dips to 0.94–0.99, recovers to ~0.99+",
             ours=show(vals(rk, 'final_old_acc'))),
    ]
per_run = [dict(run=k, n_new=int(k[2:]) if k.startswith('ft') else n_rep, w=('0' if k.startswith('ft') else frac(w)),
                old_before=s.get(f"{k}_old_loss_before"), old_step100=s.get(f"{k}_old_loss_step100"),
                early_ratio=s.get(f"{k}_old_loss_early_ratio"), final_old_loss=s.get(f"{k}_final_old_loss"),
                final_old_acc=s.get(f"{k}_final_old_acc"), final_new_loss=s.get(f"{k}_final_new_loss"),
                final_new_acc=s.get(f"{k}_final_new_acc"), step_new_acc_1=s.get(f"{k}_step_new_acc_1"))
           for k, w in [(k, 0.0) for k in fk] + list(zip(rk, weights))]
for r in per_run:   # pandas turns missing ints into NaN
    if isinstance(r['step_new_acc_1'], float): r['step_new_acc_1'] = None if np.isnan(r['step_new_acc_1']) else int(r['step_new_acc_1'])
text = (md_table(rows) + f"\n{len(summ)} run(s); wall time {fmt(float(s['seconds']))} s "
        f"(pre-training {fmt(float(s['seconds_pretrain']))} s).\n\n" + md_table(per_run))
(fig_dir / "toy_memory_summary.md").write_text(text)
print(text)
