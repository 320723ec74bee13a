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
# # Figure: the three phases of fact learning (paper Fig 2 left and middle, Fig M)
#
# Reads the completed runs of the `phases` experiment and writes `phases.png` (attribute loss and
# accuracy of seen and never-seen individuals), `phases_summary.md` (the paper's numbers beside ours) and
# `phases.json` into `fig_dir`. Executed by `factdyn reproduce` after the runs.

# %%
import json
from pathlib import Path
import numpy as np
import matplotlib.pyplot as plt
from factdyn.engine import collect, collect_summaries
from factdyn.analysis import plot_phases, md_table

# %% tags=["parameters"]
experiment: str = "phases"  # experiment whose runs are plotted
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
print(f"{len(summ)} run(s); plotted: {s['run']}")

# %%
#| label: fig-phases
#| fig-cap: "Three phases: seen individuals' loss on held-out templates falls to the no-knowledge baseline (grey), stays there (shaded plateau), then falls as knowledge emerges; never-seen individuals end above the baseline."
fig = plot_phases(run, base, title=f"{int(s['n_individuals'])} individuals, {int(s['steps'])} steps, "
                                   f"{int(s['n_layer'])}×{int(s['d_model'])} model")
fig.savefig(fig_dir / "phases.png", dpi=120, bbox_inches="tight")

# %% [markdown]
# ## Numbers beside the paper's
# The paper's values (Fig 2, Fig M; 64k individuals, batch 128, 16k steps) are read off its plots;
# exposures per individual = steps × batch / individuals.

# %%
N, B, T = int(s["n_individuals"]), int(s["batch_size"]), int(s["steps"])
start, end = s["plateau_start"], s["plateau_end"]
exp_end = None if end is None or not np.isfinite(end) else float(end) * B / N
acc50 = run.step[run.seen_acc >= 0.5]
ours = dict(baseline=base, plateau_start=start, plateau_end=end, exposures_at_end=exp_end,
            end_frac=None if exp_end is None else float(end) / T, final_loss=float(s["final_seen_loss"]),
            final_over_base=float(s["final_seen_loss"]) / base, final_acc=float(s["final_seen_acc"]),
            step_acc50=int(acc50.iloc[0]) if len(acc50) else None,
            unseen_over_base=float(s["final_unseen_loss"]) / base, seconds=float(s["seconds"]))
rows = [
    dict(quantity="no-knowledge baseline (nats)", paper=6.78, ours=ours["baseline"]),
    dict(quantity="plateau start (steps)", paper="a few hundred", ours=ours["plateau_start"]),
    dict(quantity="plateau end (steps)", paper="≈3.4k (fit)", ours=ours["plateau_end"]),
    dict(quantity="plateau end / training steps", paper=3.4 / 16, ours=ours["end_frac"]),
    dict(quantity="exposures per individual at plateau end", paper=6.7, ours=ours["exposures_at_end"]),
    dict(quantity="final loss (nats)", paper=1.5e-2, ours=ours["final_loss"]),
    dict(quantity="final loss / baseline", paper=1.5e-2 / 6.78, ours=ours["final_over_base"]),
    dict(quantity="final accuracy", paper=1.0, ours=ours["final_acc"]),
    dict(quantity="never-seen loss / baseline at the end", paper="≈2.3 (15–16 nats)", ours=ours["unseen_over_base"]),
]
table = md_table(rows)
(fig_dir / "phases_summary.md").write_text(table)
(fig_dir / "phases.json").write_text(json.dumps({k: (None if v is None else float(v)) for k, v in ours.items()}, indent=1))
print(table)
