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
# # Figure: attention patching (paper Fig 3 middle, Fig D)
#
# Reads the runs of the `patching` experiment: loss curves of the runs patched from the first step with the
# attention of each reference checkpoint (Fig 3 middle), of the runs whose attention is frozen at a checkpoint
# (start = reference, Fig D middle), and a heat map of the final loss over reference × start (Fig D right).
# Writes `patching.png`, `patching_heatmap.png`, `patching_summary.md` and `patching.json`.

# %%
import json
from pathlib import Path
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from factdyn.engine import collect, collect_summaries
from factdyn.analysis import md_table

# %% tags=["parameters"]
experiment: str = "patching"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
runs_root: str = "../runs"  # the run store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
df, summ = collect(experiment, preset, runs_root=runs_root), collect_summaries(experiment, preset, runs_root=runs_root)
assert len(summ), f"no completed runs of {experiment}/{preset} under {runs_root}"
fig_dir = Path(fig_dir); fig_dir.mkdir(parents=True, exist_ok=True)
order = ["init", "early", "mid", "end", "post", "final"]
summ["ri"], summ["si"] = summ.ref.map(order.index), summ.start.map(order.index)
summ = summ.sort_values(["si", "ri"]).reset_index(drop=True)
base = float(summ.baseline.iloc[0])
steps_of = dict(zip(summ.ref, summ.ref_step)) | dict(zip(summ.start, summ.start_step))
colors = {k: plt.cm.viridis(i / 5 * 0.9) for i, k in enumerate(order)}
stop = int(summ.stop_step.max()) if "stop_step" in summ else int(df.step.max())
unpatched = None      # the reference run itself (no patching), up to the patched runs' last step
if "reference_dir" in summ and Path(summ.reference_dir.iloc[0], "metrics.csv").exists():
    unpatched = pd.read_csv(Path(summ.reference_dir.iloc[0], "metrics.csv")).query("step <= @stop")
print(summ[["ref", "ref_step", "start", "start_step", "final_seen_loss", "plateau_end"]])

# %%
#| label: fig-patching
#| fig-cap: "Left: training with the attention patterns of a reference checkpoint from the first step (label: the reference checkpoint's step). Right: attention frozen at a checkpoint (patching starts at the reference step). Black dashed: the unpatched reference run (same initialisation, same batches). Grey line: no-knowledge baseline."
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8), sharey=True)
for ax, sel, title in ((axes[0], summ.si == 0, "patched from the first step"), (axes[1], summ.si == summ.ri, "attention frozen at the reference step")):
    for _, s in summ[sel].iterrows():
        log = df[df.run == s["run"]].sort_values("step")
        ax.plot(log.step, log.seen_loss, color=colors[s.ref], label=f"reference {s.ref} (step {int(s.ref_step)})")
    if unpatched is not None: ax.plot(unpatched.step, unpatched.seen_loss, "k--", lw=1.2, label="unpatched")
    ax.axhline(base, color="grey", lw=1); ax.set_yscale("log"); ax.set_xlabel("training step"); ax.set_title(title)
    ax.legend(fontsize=7)
axes[0].set_ylabel("attribute loss (seen, held-out templates)")
fig.tight_layout(); fig.savefig(fig_dir / "patching.png", dpi=120, bbox_inches="tight")

# %%
#| label: fig-patching-heatmap
#| fig-cap: "Attribute loss at the patched runs' last step (log colour) over reference checkpoint × start of patching; blank cells were not run at this preset."
grid = np.full((6, 6), np.nan)
for _, s in summ.iterrows(): grid[s.ri, s.si] = s.final_seen_loss
fig, ax = plt.subplots(figsize=(5.5, 4.5))
im = ax.imshow(np.log10(grid), cmap="magma_r", origin="lower")
lab = [f"{k}\n{int(steps_of[k])}" if k in steps_of else k for k in order]
ax.set_xticks(range(6), lab, fontsize=7); ax.set_yticks(range(6), lab, fontsize=7)
ax.set_xlabel("start of patching"); ax.set_ylabel("reference checkpoint")
for i in range(6):
    for j in range(6):
        if np.isfinite(grid[i, j]): ax.text(j, i, f"{grid[i, j]:.2g}", ha="center", va="center", fontsize=7, color="c")
fig.colorbar(im, label="log10 final loss"); fig.tight_layout(); fig.savefig(fig_dir / "patching_heatmap.png", dpi=120, bbox_inches="tight")

# %% [markdown]
# ## Numbers beside the paper's
# Final loss and plateau end of each run; the paper's values (Fig 3 middle / Fig D, 16k-step runs) are read off its plots.

# %%
paper_start0 = dict(init="~0.6", early="~6 (500)", mid="~3.5 (1k)", end="~0.2 (2k)", post="~3.5e-2 (4k)", final="~8e-3 (16k)")
rows = [dict(ref=s.ref, ref_step=int(s.ref_step), start=s.start, start_step=int(s.start_step),
             paper=paper_start0.get(s.ref) if s.si == 0 else "", final_loss=s.final_seen_loss, final_acc=s.final_seen_acc,
             plateau_end=s.plateau_end) for _, s in summ.iterrows()]
if unpatched is not None:
    last = unpatched.iloc[-1]
    rows.append(dict(ref="(unpatched)", ref_step="", start="", start_step="", paper="", final_loss=float(last.seen_loss),
                     final_acc=float(last.seen_acc), plateau_end=float(summ.reference_plateau_end.iloc[0])))
table = md_table(rows)
unp = dict(stop_step=stop, reference_plateau_end=float(summ.reference_plateau_end.iloc[0]) if "reference_plateau_end" in summ else None)
# the two claims of the paper, as measured here
by = {(s.ref, s.start): s for _, s in summ.iterrows()}
if ("post", "init") in by:
    e = by[("post", "init")].plateau_end
    unp["post_init_plateau_end"] = None if pd.isna(e) else float(e)
    print(f"post-plateau patterns from step 0: plateau end {e} vs unpatched {unp['reference_plateau_end']}")
if ("early", "init") in by and ("init", "init") in by:
    a, b = float(by[("early", "init")].final_seen_loss), float(by[("init", "init")].final_seen_loss)
    unp.update(early_init_loss=a, init_init_loss=b, early_worse_than_init=bool(a > b))
    print(f"loss at step {stop}: early-plateau patterns {a:.3f} vs untrained patterns {b:.3f}")
(fig_dir / "patching_summary.md").write_text(table)
(fig_dir / "patching.json").write_text(json.dumps(dict(runs=rows, **unp), indent=1, default=float))
print(table)
