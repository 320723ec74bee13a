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
# # Figure: the peak learning rate of the CPU reference (plateau issue, step 1)
#
# The phases setting at every peak learning rate of the sweep (cosine schedule, same budget), with the point of the
# `positions` experiment at the same encoding. The best rate by final held-out attribute loss (mean over seeds)
# becomes the CPU reference; a rate whose mean lies within the seed spread of the best is a tie. Writes
# `lr_sweep.png`, `lr_sweep_summary.md` and `lr_sweep.json`.

# %%
import numpy as np
import pandas as pd
from factdyn.runs import figure_inputs, wall_time
from factdyn.figstyle import figure, draw_baseline, save_figure, write_text_atomic, write_json_atomic
from factdyn.analysis import md_table, fmt

# %% tags=["parameters"]
experiment: str = "lr_sweep"  # experiment whose results are plotted
preset: str = "smoke"  # preset of those results
store: str = "../results"  # the results store
fig_dir: str = "../figures/smoke"  # where images and tables are written
sources: list = ["positions"]  # experiments whose matching runs (same setting and encoding) add learning rates

# %%
fi = figure_inputs(experiment, preset, store, fig_dir, sources)
S = fi.summaries
own = S[S.experiment == experiment]
SETTING = ["n_individuals", "n_unseen", "n_layer", "n_head", "d_model", "d_mlp", "steps", "batch_size", "schedule",
           "weight_decay", "pos", "pools"]
ref = own.iloc[0]
same = np.logical_and.reduce([S[c] == ref[c] for c in SETTING])
S = S[same].copy()
base = float(ref.baseline)
S["final_over_base"] = S.final_seen_loss / base
g = S.groupby("lr")
agg = pd.DataFrame(dict(n=g.size(), loss=g.final_seen_loss.mean(), loss_lo=g.final_seen_loss.min(), loss_hi=g.final_seen_loss.max(),
                        acc=g.final_seen_acc.mean(), end=g.plateau_end.mean(), end_lo=g.plateau_end.min(), end_hi=g.plateau_end.max(),
                        unseen=g.final_unseen_loss.mean())).reset_index()
best = agg.loc[agg.loss.idxmin()]
ties = agg[(agg.loss_lo <= best.loss_hi) & (agg.lr != best.lr)].lr.tolist()
agg

# %%
fig, axes = figure(1, 2)
ax = axes[0]
ax.errorbar(agg.lr, agg.loss, yerr=[agg.loss - agg.loss_lo, agg.loss_hi - agg.loss], fmt="o-", color="C0", capsize=3,
            label="mean (seed range)")
ax.scatter(S.lr, S.final_seen_loss, color="C0", alpha=0.35, s=12, label="one seed")
draw_baseline(ax, base)
ax.set_xscale("log"); ax.set_xlabel("peak learning rate"); ax.set_ylabel("attribute loss (nats)")
if S.final_seen_loss.max() / S.final_seen_loss.min() > 10: ax.set_yscale("log")      # a log axis needs a decade to show ticks
ax.set_title("final held-out loss"); ax.legend(loc="upper right")
ax = axes[1]
ok = agg.end.notna()
ax.errorbar(agg.lr[ok], agg.end[ok], yerr=[(agg.end - agg.end_lo)[ok], (agg.end_hi - agg.end)[ok]], fmt="o-", color="C2", capsize=3,
            label="mean (seed range)")
if not ok.any(): ax.text(0.5, 0.5, "no run left the plateau", transform=ax.transAxes, ha="center")
ax.set_xscale("log"); ax.set_xlabel("peak learning rate"); ax.set_ylabel("step"); ax.set_title("plateau end")
if ok.any(): ax.legend(loc="best")
for ax in axes:                                   # the swept rates as ticks: log-axis minor labels would overlap
    ax.set_xlim(agg.lr.min() / 1.5, agg.lr.max() * 1.5)
    ax.set_xticks(agg.lr, [f"{x:g}" for x in agg.lr]); ax.minorticks_off()
tie_txt = f" (ties within the seed range: {', '.join(f'{x:g}' for x in ties)})" if ties else ""
fig.suptitle(f"Best peak learning rate {best.lr:g}: final loss {best.loss:.3g} nats{tie_txt}")
save_figure(fig, fi.fig_dir / "lr_sweep.png")

# %%
rows = [dict(lr=f"{r.lr:g}", seeds=int(r.n), final_loss=f"{fmt(r.loss)} [{fmt(r.loss_lo)}, {fmt(r.loss_hi)}]",
             final_over_baseline=fmt(r.loss / base), final_acc=fmt(r.acc), plateau_end=fmt(r.end),
             never_seen_over_baseline=fmt(r.unseen / base)) for r in agg.itertuples()]
wall, run_secs = wall_time(fi.runs)
text = (f"Setting: {int(ref.n_individuals)} individuals, {int(ref.steps)} steps of {int(ref.batch_size)}, {ref.pos} positions, "
        f"{ref.schedule} schedule. Best: lr {best.lr:g}{tie_txt}. Runs' own time of this experiment: {run_secs:,.0f} s.\n\n" + md_table(rows))
write_text_atomic(fi.fig_dir / "lr_sweep_summary.md", text)
write_json_atomic(fi.fig_dir / "lr_sweep.json", dict(best_lr=float(best.lr), ties=[float(x) for x in ties], per_lr=agg.to_dict("records"),
                                                     run_seconds=run_secs))
print(text)
