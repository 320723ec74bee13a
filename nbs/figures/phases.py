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
# Attribute loss and accuracy through training of seen individuals (on held-out templates) and of never-seen
# individuals, from the `phases` runs in the results store: each seed faint, the mean over seeds in full, the
# plateau of the mean seen-loss curve shaded. Writes `phases.png`, `phases_summary.md` (the paper's numbers
# beside ours, mean and range over seeds) and `phases.json` into `fig_dir`.

# %%
import numpy as np
import pandas as pd
from factdyn.runs import figure_inputs
from factdyn.figstyle import save_figure, use_style
from factdyn.metrics import plateau_bounds
from factdyn.analysis import plot_phases, plateau_text, md_table, fmt_seeds, write_summary

# %% tags=["parameters"]
experiment: str = "phases"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
store: str = "../results"  # the results store the runs are read from
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
fi = figure_inputs(experiment, preset, store, fig_dir)
df, summ = fi.metrics, fi.summaries.sort_values("seed").reset_index(drop=True)
for c in ["plateau_start", "plateau_end", "final_seen_loss", "final_seen_acc", "final_unseen_loss"]:
    summ[c] = pd.to_numeric(summ[c], errors="coerce")
base, p = float(summ.baseline.iloc[0]), summ.iloc[0]
N, B, T = int(p.n_individuals), int(p.batch_size), int(p.steps)
mean = df.groupby("step")[["seen_loss", "unseen_loss"]].mean()
start, end = plateau_bounds(mean.index, mean.seen_loss, base)
print(f"{len(summ)} seed(s): {', '.join(summ.run)}; mean curve: {plateau_text(start, end, T)}")
use_style()  # the project's figure style for what follows

# %%
#| label: fig-phases
#| fig-cap: "Three phases: seen individuals' loss on held-out templates falls to the no-knowledge baseline (dotted), stays there (shaded plateau), then falls as knowledge emerges; never-seen individuals end above the baseline. Faint lines: single seeds; full lines: their mean."
fig = plot_phases(df, base, title=f"Seen individuals: {plateau_text(start, end, T)}; never-seen end at "
                  f"{mean.unseen_loss.iloc[-1] / base:.2g}× the baseline\n{N:,} individuals, {int(p.n_layer)} × "
                  f"{int(p.d_model)} model, {len(summ)} seed{'s' * (len(summ) > 1)}")
save_figure(fig, fi.fig_dir / "phases.png")

# %% [markdown]
# ## Numbers beside the paper's
# The paper's values (Fig 2, Fig M; 64k individuals, batch 128, 16k steps) are read off its plots; ours are the
# mean over seeds with their range. Exposures per individual = steps × batch / individuals.

# %%
acc50 = {run: g.step[g.seen_acc >= 0.5].min() for run, g in df.groupby("run")}
seeds = summ.assign(exposures_at_end=summ.plateau_end * B / N, end_frac=summ.plateau_end / T, final_loss=summ.final_seen_loss,
                    final_over_base=summ.final_seen_loss / base, final_acc=summ.final_seen_acc, step_acc50=summ.run.map(acc50),
                    unseen_over_base=summ.final_unseen_loss / base,
                    length_over_phase1=(summ.plateau_end - summ.plateau_start) / summ.plateau_start)
ROWS = [("no-knowledge baseline (nats)", 6.78, "baseline"), ("plateau start (steps)", "a few hundred", "plateau_start"),
        ("plateau end (steps)", "≈3.4k (fit)", "plateau_end"),
        ("plateau length / phase-1 length ((end − start) / start)", "≈10 (≈3.1k / ≈300)", "length_over_phase1"), ("plateau end / training steps", 3.4 / 16, "end_frac"),
        ("exposures per individual at plateau end", 6.7, "exposures_at_end"), ("final loss (nats)", 1.5e-2, "final_loss"),
        ("final loss / baseline", 1.5e-2 / 6.78, "final_over_base"), ("final accuracy", 1.0, "final_acc"),
        ("first step with accuracy ≥ 0.5", "≈5k (plot)", "step_acc50"),
        ("never-seen loss / baseline at the end", "≈2.3 (15–16 nats)", "unseen_over_base")]
table = md_table([dict(quantity=q, paper=pp, ours=fmt_seeds(seeds[c])) for q, pp, c in ROWS])
PER_SEED = {"seed": "seed", "phase-1 end": "plateau_start", "plateau end": "plateau_end", "length / phase 1": "length_over_phase1",
            "final accuracy": "final_acc", "never-seen loss / baseline": "unseen_over_base", "final loss": "final_loss"}
table += "\n" + md_table([{h: r[c] for h, c in PER_SEED.items()} for _, r in seeds.iterrows()])
cols = [c for _, _, c in ROWS] + ["seconds"]
write_summary(fi.fig_dir, "phases", table, dict(seeds=len(seeds), mean_curve_plateau=[start, end],
              **seeds[cols].apply(pd.to_numeric, errors="coerce").mean().to_dict(), per_seed=seeds[["run", *cols]].to_dict("list")))
print(table)
