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
# # Figure: attention patching from the sequential model (paper Fig W, App. F.5)
#
# From the `patching_groups` runs in the results store: runs trained on the whole population at once, from the first
# step with the attention patterns of a checkpoint of the sequentially trained (8-group) model, beside the same for the
# all-at-once reference (the `patching` runs that patch from the first step, start = init; a source, possibly absent:
# then only the sequential curve is drawn, and the summary says so). Each point: the held-out attribute loss of one
# patched run at its last step, against its reference step as a fraction of the reference's training steps (so the
# two references, of different lengths, share an axis); grey: the paper's values read off its plots (Fig W; the
# all-at-once curve is Fig 3 middle / Fig D left, 16k-step runs). Writes `patching_groups.png`,
# `patching_groups_summary.md` and `patching_groups.json` into `fig_dir`.

# %%
import re
import numpy as np
import pandas as pd
from matplotlib.ticker import NullLocator
from factdyn.runs import figure_inputs
from factdyn.figstyle import figure, save_figure, use_style, draw_baseline
from factdyn.analysis import figure_legend, suptitle, plain_log_ticks, seed_stats, md_table, fmt, write_summary

# %% tags=["parameters"]
experiment: str = "patching_groups"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
store: str = "../results"  # the results store the runs are read from
fig_dir: str = "../figures/smoke"  # where images and tables are written
sources: list = ["patching"]  # the all-at-once patching runs, those patched from the first step drawn beside (when the store has them)

# %%
fi = figure_inputs(experiment, preset, store, fig_dir, sources)
summ = fi.summaries.copy()
for c in ["ref_step", "start_step", "stop_step", "reference_steps", "final_seen_loss", "baseline"]:
    summ[c] = pd.to_numeric(summ[c], errors="coerce") if c in summ else np.nan
summ["reference_steps"] = summ.reference_steps.fillna(summ.stop_step)    # runs written before it was recorded: stop 0
summ = summ[summ.start_step == 0].assign(frac=lambda d: d.ref_step / d.reference_steps)
n_groups = sorted({m[1] for r in summ[summ.experiment == experiment].reference.astype(str) if (m := re.search(r"n_groups=(\d+)", r))})
KINDS = {experiment: f"sequential ({'/'.join(n_groups) or '?'}-group) reference", "patching": "all-at-once reference"}
summ["kind"] = summ.experiment.map(KINDS)
pts = seed_stats(summ, ["kind", "experiment", "ref", "ref_step", "reference_steps", "frac"], ["final_seen_loss", "baseline"])
pts = pts.sort_values(["kind", "frac"], ascending=[False, True]).reset_index(drop=True)
seq, aao = pts[pts.experiment == experiment], pts[pts.experiment == "patching"]
base = float(seq.baseline_mean.iloc[0])
print(pts[["kind", "ref", "ref_step", "reference_steps", "frac", "final_seen_loss_mean", "n_seeds"]].to_string())
# the paper's values (16k-step references, loss at 16k, read off its plots): Fig W states the sequential model's
# 1k-step patterns give ~2e-2; the all-at-once column is Fig 3 middle (start = 0)
PAPER_T = 16000
PAPER_SEQ = {1000: 2e-2}
PAPER_AAO = {0: 0.6, 500: 6, 1000: 3.5, 2000: 0.2, 4000: 3.5e-2, 8000: 1e-2, 16000: 8e-3}
EARLY = 1 / 16          # "early" references: up to the paper's 1k of 16k steps
COL = {KINDS[experiment]: "#0072B2", KINDS["patching"]: "#D55E00"}     # Okabe–Ito
use_style()

# %%
#| label: fig-patching-groups
#| fig-cap: "Held-out attribute loss at the end of runs trained on the whole population at once with, from the first step, the attention patterns of a reference checkpoint, against the reference step as a fraction of the reference's training (symmetric log x: linear below 1/32). Blue: the sequentially trained 8-group model as the reference; orange: the all-at-once model (the patching experiment). Grey: the paper's values (open circles: all-at-once, Fig 3 middle; square: sequential, Fig W). Dotted: the no-knowledge baseline (ours; the paper's is 6.78 nats, its pools being larger). Bars: the range over seeds where there are several."
fig, ax = figure(1, 1, height=4.0)
for kind, g in pts.groupby("kind", sort=False):
    ax.errorbar(g.frac, g.final_seen_loss_mean, yerr=[g.final_seen_loss_mean - g.final_seen_loss_min, g.final_seen_loss_max - g.final_seen_loss_mean],
                fmt="o-", color=COL[kind], ms=6, lw=1.5, capsize=2, label=f"ours: {kind}")
ax.plot(np.array(list(PAPER_AAO)) / PAPER_T, list(PAPER_AAO.values()), "o", mfc="none", color="grey", ms=7, mew=1.3,
        label="paper: all-at-once reference (Fig 3 middle)")
ax.plot(np.array(list(PAPER_SEQ)) / PAPER_T, list(PAPER_SEQ.values()), "s", color="grey", ms=7, label="paper: sequential reference (Fig W)")
draw_baseline(ax, base)
ax.set_yscale("log"); plain_log_ticks(ax.yaxis)
ax.set_xscale("symlog", linthresh=1 / 32, linscale=0.6)
ticks = [0, 1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1]
ax.set_xticks(ticks, ["0", "1/32", "1/16", "1/8", "1/4", "1/2", "1"]); ax.xaxis.set_minor_locator(NullLocator())
ax.set_xlim(-0.006, 1.15)
ax.set_xlabel("reference checkpoint (fraction of the reference's training steps)")
ax.set_ylabel("final attribute loss (nats)")
ax.set_title("patched from the first step with a reference's attention patterns")
figure_legend(fig, ncol=2)
early = lambda d: d[(d.frac > 0) & (d.frac <= EARLY)]
s_early, a_early = early(seq), early(aao)
USEFUL = 0.1            # "useful" patterns: a final loss at most this fraction of the baseline (the ledger's rule)
def first_useful(d):
    "The fraction of training from which `d`'s patterns end below USEFUL × baseline, as a phrase."
    u = d[(d.frac > 0) & (d.final_seen_loss_mean <= USEFUL * base)]
    return "no runs" if not len(d) else "never" if not len(u) else f"{u.iloc[0].frac:.2g} (step {int(u.iloc[0].ref_step):,})"
msg = (f"Patterns useful (final loss ≤ {USEFUL:g} × baseline) from {first_useful(seq)} of training for the sequential model, "
       f"{first_useful(aao)} for the all-at-once one")
msg2 = (f"at ≤ 1/16 of training (the paper's 1k of 16k), the sequential step {int(s_early.iloc[0].ref_step):,}: "
        f"{s_early.iloc[0].final_seen_loss_mean / base:.2g} × baseline" if len(s_early) else "no sequential reference at ≤ 1/16 of training")
suptitle(fig, msg + ";", msg2)
save_figure(fig, fi.fig_dir / "patching_groups.png")

# %% [markdown]
# ## Numbers beside the paper's
# One row per reference checkpoint: the patched run's loss at its last step (mean over seeds, range when several),
# as a multiple of the no-knowledge baseline, and the paper's value at the same fraction of its 16k-step reference
# nearest to it (when it reports one there).

# %%
def paper_at(d: dict, f: float) -> str:
    "The paper's value at its reference step nearest to fraction `f` of training, if it reports one there."
    s = min(PAPER_AAO, key=lambda s: abs(s / PAPER_T - f))
    return f"~{fmt(d[s])} ({s:,} of {PAPER_T:,})" if s in d else ""
rows = [dict(reference=r.kind, ref=r.ref, ref_step=int(r.ref_step), fraction=f"{r.frac:.3g}",
             **{"final loss": r.final_seen_loss_mean, "range over seeds": f"{fmt(r.final_seen_loss_min)}–{fmt(r.final_seen_loss_max)}" if r.n_seeds > 1 else "",
                "loss / baseline": r.final_seen_loss_mean / r.baseline_mean,
                "paper, nearest reference": paper_at(PAPER_SEQ if r.experiment == experiment else PAPER_AAO, r.frac)}) for r in pts.itertuples()]
note = ("" if len(aao) else "\nNo all-at-once `patching` runs (start = init) in the store for this preset: only the sequential "
        "reference is drawn.\n")
table = md_table(rows) + note
pick = lambda d: None if not len(d) else float(d.final_seen_loss_mean.min() / base)
write_summary(fi.fig_dir, "patching_groups", table, dict(
    baseline=base, early_fraction=EARLY, useful=USEFUL, sequential_useful_from=first_useful(seq), all_at_once_useful_from=first_useful(aao), sequential_early_loss_over_baseline=pick(s_early),
    all_at_once_early_loss_over_baseline=pick(a_early), all_at_once_runs=int(aao.n_seeds.sum()) if len(aao) else 0,
    points=pts.to_dict("records"), paper=dict(steps=PAPER_T, sequential=PAPER_SEQ, all_at_once=PAPER_AAO)))
print(table)
