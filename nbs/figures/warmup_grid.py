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
# # Figure: the warm-up grid (paper Figs I, K, L)
#
# Reads the completed runs of `warmup_grid` (uniform training on the first `n_warmup` individuals for
# `warmup_epochs` epochs of the full population, then on everyone), adds the warm-up runs of `strategies` with
# the same population, budget and model (marked `*`), and takes the uniform reference from the α = 0 runs of
# `power_law` (or uniform runs of `strategies`) with the same settings. Writes into `fig_dir`:
#
# - `warmup_grid.png`: final loss and final accuracy over warm-up subset × warm-up length (Figs I, K, L);
# - `warmup_grid_curves.png`: loss on the full population through training, one subset at several lengths and
#   one length at several subsets (Fig I), against uniform sampling and the no-knowledge baseline: during the
#   warm-up the loss over everyone rises above the baseline — the model hallucinates about the individuals it
#   has not met yet — and drops once they are introduced;
# - `warmup_grid_summary.md` (our numbers beside the paper's) and `warmup_grid.json`.
#
# Evaluation is over all N individuals (drawn uniformly), so during the warm-up most evaluated individuals are
# not yet seen. "Peak / baseline" is the highest evaluated loss between the end of phase 1 (the lowest loss
# before the switch) and the switch, divided by the baseline.

# %%
import json
from pathlib import Path
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from matplotlib.colors import LogNorm
from factdyn.engine import collect, collect_summaries
from factdyn.analysis import md_table, fmt

# %% tags=["parameters"]
experiment: str = "warmup_grid"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
runs_root: str = "../runs"  # the run store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
SOURCES = list(dict.fromkeys([experiment, "strategies", "power_law"]))
CONFIG = ["steps", "batch_size", "lr", "weight_decay", "schedule", "n_layer", "n_head", "d_model", "d_mlp", "pools",
          "seed", "n_templates", "shuffle", "n_unseen"]
PAPER_FIG_G_RATIO = 3.5 / 6.78        # uniform at 64k individuals, 8k steps (Figs G, I): final loss / baseline
fig_dir = Path(fig_dir); fig_dir.mkdir(parents=True, exist_ok=True)

frames, logs = [], []
for e in SOURCES:
    s = collect_summaries(e, preset, runs_root=runs_root)
    if len(s): frames.append(s.assign(experiment=e)); logs.append(collect(e, preset, runs_root=runs_root).assign(experiment=e))
assert frames and (frames[0].experiment == experiment).all(), f"no completed runs of {experiment}/{preset} under {runs_root}"
allr, df = pd.concat(frames, ignore_index=True), pd.concat(logs, ignore_index=True)
for c in ["n_individuals", "steps", "batch_size", "alpha", "n_warmup", "warmup_epochs", "plateau_end", "final_seen_loss",
          "final_seen_acc", "baseline", "switch_step"]:
    allr[c] = pd.to_numeric(allr[c], errors="coerce")
own = allr[allr.experiment == experiment]
samp = allr["param_sampler"] if "param_sampler" in allr else allr["sampler"]
allr["warmup_steps"] = (allr.warmup_epochs * allr.n_individuals / allr.batch_size).round()
combos = sorted({(float(r.n_individuals), float(r.steps)) for _, r in own.iterrows()})


def matching(N, T):
    "Runs with the configuration of this experiment's runs at (N, T)."
    r0 = own[(own.n_individuals == N) & (own.steps == T)].iloc[0]
    ok = np.logical_and.reduce([allr[c].astype(str) == str(r0[c]) for c in CONFIG if c in allr]) & (allr.n_individuals == N)
    return ok


cells, uniform = [], {}
for N, T in combos:
    ok = matching(N, T)
    w = allr[ok & (samp == "warmup") & (allr.warmup_steps < allr.steps)]
    cells.append(w.assign(combo=f"{N:g}@{T:g}"))
    u = allr[ok & ((samp == "uniform") | ((samp == "power_law") & (allr.alpha == 0)))]
    uniform[(N, T)] = u.iloc[0] if len(u) else None
cells = pd.concat(cells, ignore_index=True).drop_duplicates("run")
base = float(own.baseline.iloc[0])


def rise(run, switch):
    "Peak loss / baseline between the end of phase 1 (lowest loss before the switch) and the switch; loss at the switch / baseline."
    lg = df[df.run == run].sort_values("step")
    pre = lg[lg.step <= switch]
    if len(pre) < 2: return np.nan, np.nan
    i0 = int(pre.seen_loss.values.argmin())
    return float(pre.seen_loss.values[i0:].max() / base), float(pre.seen_loss.values[-1] / base)


rises = [rise(r.run, r.warmup_steps) for _, r in cells.iterrows()]
cells["peak_over_base"] = [a for a, _ in rises]; cells["at_switch_over_base"] = [b for _, b in rises]
assert len(cells), "no warm-up run that switches to everyone before the end of its budget"
print(cells[["experiment", "n_individuals", "steps", "n_warmup", "warmup_steps", "final_seen_loss", "final_seen_acc",
             "peak_over_base", "at_switch_over_base"]].sort_values(["n_individuals", "n_warmup", "warmup_steps"]).to_string())


def nlabel(N): return f"{N / 1000:g}k" if N >= 1000 else f"{N:g}"


def jsonable(v):
    "Plain JSON values: numpy scalars to Python, NaN to None, recursively."
    if isinstance(v, dict): return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [jsonable(x) for x in v]
    if isinstance(v, (np.integer, np.floating)): v = v.item()
    return None if isinstance(v, float) and not np.isfinite(v) else v


# %%
#| label: fig-warmup-grid
#| fig-cap: "Final attribute loss (log colour) and accuracy after a warm-up on a subset of the individuals, over subset size × warm-up length, one row per population and budget (Figs I, K, L). Cells marked * come from the strategies experiment; the uniform run is given in each title."
fig, axes = plt.subplots(len(combos), 2, figsize=(11, 3.6 * len(combos)), squeeze=False)
losses = cells.final_seen_loss[np.isfinite(cells.final_seen_loss)]
lnorm = LogNorm(vmin=float(losses.min()), vmax=max(float(losses.max()), float(losses.min()) * 1.01)) if len(losses) else None
for row, (N, T) in enumerate(combos):
    c = cells[cells.combo == f"{N:g}@{T:g}"]
    subs, lens = sorted(c.n_warmup.unique()), sorted(c.warmup_steps.unique())
    u = uniform[(N, T)]
    utxt = f"uniform: loss {fmt(float(u.final_seen_loss))}, accuracy {fmt(float(u.final_seen_acc))}" if u is not None else "no uniform run"
    for ax, col, kw in [(axes[row, 0], "final_seen_loss", dict(norm=lnorm, cmap="viridis")),
                        (axes[row, 1], "final_seen_acc", dict(vmin=0, vmax=1, cmap="magma"))]:
        M = np.full((len(subs), len(lens)), np.nan)
        for _, r in c.iterrows(): M[subs.index(r.n_warmup), lens.index(r.warmup_steps)] = r[col]
        cmap = plt.get_cmap(kw.pop("cmap")).copy(); cmap.set_bad("0.9")
        im = ax.imshow(np.ma.masked_invalid(M), origin="lower", aspect="auto", cmap=cmap, **kw)
        for _, r in c.iterrows():
            i, j = subs.index(r.n_warmup), lens.index(r.warmup_steps)
            star = "*" if r.experiment != experiment else ""
            bright = (col == "final_seen_acc" and r[col] > 0.6) or (col == "final_seen_loss" and lnorm is not None and
                                                                    np.isfinite(r[col]) and lnorm(r[col]) > 0.6)
            ax.text(j, i, fmt(r[col]) + star, ha="center", va="center", fontsize=8, color="k" if bright else "w")
        ax.set_xticks(range(len(lens)), [f"{l:.0f}\n({l / T:.0%})" for l in lens])
        ax.set_yticks(range(len(subs)), [f"{nlabel(s)} ({s / N:.3g} N)" for s in subs])
        ax.set_xlabel("warm-up steps (share of budget)"); ax.set_ylabel("warm-up individuals")
        ax.set_title(f"{'final loss' if col == 'final_seen_loss' else 'final accuracy'} — N {nlabel(N)}, {T:.0f} steps\n{utxt}", fontsize=9)
        if col == "final_seen_acc" or lnorm is not None: fig.colorbar(im, ax=ax, fraction=0.05)
fig.tight_layout(); fig.savefig(fig_dir / "warmup_grid.png", dpi=120, bbox_inches="tight")


# %% [markdown]
# ## Curves (Fig I)
# At the population and budget whose uniform run ends closest to 0.52 × baseline (the paper's Fig I setting,
# 64k individuals and 8k steps, where uniform ends near 3.5 of 6.78 nats): left, the subset of the best cell at
# every warm-up length; right, the length of the best cell at every subset size.

# %%
def u_ratio(k):
    u = uniform[k]
    return abs(float(u.final_seen_loss) / base - PAPER_FIG_G_RATIO) if u is not None else np.inf


NT = min(combos, key=lambda k: (u_ratio(k), -len(cells[cells.combo == f"{k[0]:g}@{k[1]:g}"])))
cc = cells[cells.combo == f"{NT[0]:g}@{NT[1]:g}"]
bc = cc.loc[cc.final_seen_loss.idxmin()] if cc.final_seen_loss.notna().any() else cc.iloc[0]
print(f"curves at N={NT[0]:g}, {NT[1]:g} steps; best cell: {bc.n_warmup:g} individuals for {bc.warmup_steps:g} steps")

# %%
#| label: fig-warmup-grid-curves
#| fig-cap: "Attribute loss over all individuals through training with a warm-up (Fig I): left, the best subset size at several warm-up lengths; right, the best length with several subset sizes. Dots mark the switch to everyone. Dashed black: uniform sampling; grey: no-knowledge baseline. Above the baseline during the warm-up, the model is confidently wrong about the individuals it has not met yet."
fig, axes = plt.subplots(1, 2, figsize=(12, 3.9), sharey=True)
for ax, sel, lab in [(axes[0], cc[cc.n_warmup == bc.n_warmup].sort_values("warmup_steps"), lambda r: f"{r.warmup_steps:.0f} steps"),
                     (axes[1], cc[cc.warmup_steps == bc.warmup_steps].sort_values("n_warmup"), lambda r: f"{nlabel(r.n_warmup)} individuals")]:
    colors = plt.get_cmap("viridis")(np.linspace(0, 0.9, max(len(sel), 1)))
    for c, (_, r) in zip(colors, sel.iterrows()):
        lg = df[df.run == r.run].sort_values("step")
        ax.plot(lg.step, lg.seen_loss, color=c, label=lab(r) + ("*" if r.experiment != experiment else ""))
        at = lg[lg.step <= r.warmup_steps]
        if len(at): ax.plot(at.step.iloc[-1], at.seen_loss.iloc[-1], "o", color=c, ms=5)
    u = uniform[NT]
    if u is not None:
        lg = df[df.run == u.run].sort_values("step"); ax.plot(lg.step, lg.seen_loss, "k--", lw=1.5, label="uniform")
    ax.axhline(base, color="grey", lw=1, label="baseline"); ax.set_yscale("log"); ax.set_xlabel("training step")
    ax.legend(fontsize=7)
axes[0].set_ylabel("attribute loss, all individuals")
axes[0].set_title(f"{nlabel(bc.n_warmup)} warm-up individuals"); axes[1].set_title(f"warm-up of {bc.warmup_steps:.0f} steps")
fig.suptitle(f"{nlabel(NT[0])} individuals, {NT[1]:.0f} steps"); fig.tight_layout()
fig.savefig(fig_dir / "warmup_grid_curves.png", dpi=120, bbox_inches="tight")

# %% [markdown]
# ## Numbers beside the paper's
# The paper's values are read off Figs I, K, L (64k individuals, 8k steps of 128 unless stated), approximate.

# %%
u = uniform[NT]
ul = float(u.final_seen_loss) if u is not None else np.nan
ua = float(u.final_seen_acc) if u is not None else np.nan
longest = cc.loc[cc.warmup_steps.idxmax()] if len(cc) else None
sub_sweep = "; ".join(f"{nlabel(r.n_warmup)}: {fmt(r.final_seen_loss)}" for _, r in cc[cc.warmup_steps == bc.warmup_steps].sort_values("n_warmup").iterrows())
len_sweep = "; ".join(f"{r.warmup_steps:.0f}: {fmt(r.final_seen_loss)}" for _, r in cc[cc.n_warmup == bc.n_warmup].sort_values("warmup_steps").iterrows())
rows = [
    dict(quantity="population, budget", paper="64k individuals, 8k steps of 128", ours=f"{nlabel(NT[0])} individuals, {NT[1]:.0f} steps of {int(cc.batch_size.iloc[0])}"),
    dict(quantity="uniform: final loss / accuracy", paper="≈3.5 / ≈0.33", ours=f"{fmt(ul)} / {fmt(ua)}"),
    dict(quantity="best cell: subset × length", paper="8k (N/8) × 1.5k steps (19%)",
         ours=f"{nlabel(bc.n_warmup)} ({bc.n_warmup / NT[0]:.3g} N) × {bc.warmup_steps:.0f} steps ({bc.warmup_steps / NT[1]:.0%})"),
    dict(quantity="best cell: final loss / accuracy", paper="≈0.2 / ≈0.98", ours=f"{fmt(bc.final_seen_loss)} / {fmt(bc.final_seen_acc)}"),
    dict(quantity="final loss, uniform ÷ best warm-up", paper="≈17", ours=ul / float(bc.final_seen_loss)),
    dict(quantity="final loss by subset, at the best length", paper="2k ≈1.1; 4k ≈0.45; 8k ≈0.2; 16k ≈0.6; 32k ≈2.5", ours=sub_sweep),
    dict(quantity="final loss by length (steps), at the best subset", paper="0.5k ≈2.7; 1k ≈0.5; 1.5k ≈0.2; 2k ≈0.3; 4k ≈2.3", ours=len_sweep),
    dict(quantity="peak loss during warm-up / baseline, longest warm-up", paper="≈2.2 (≈15 nats)",
         ours=f"{fmt(longest.peak_over_base)} ({longest.warmup_steps:.0f} steps)" if longest is not None else "—"),
    dict(quantity="peak loss during warm-up / baseline, all cells", paper="above 1 (rises with length)",
         ours=f"{fmt(cells.peak_over_base.min())} – {fmt(cells.peak_over_base.max())}"),
]
cell_rows = [{"N": nlabel(r.n_individuals), "budget": f"{r.steps:.0f}", "subset": f"{nlabel(r.n_warmup)}",
              "warm-up steps": f"{r.warmup_steps:.0f}", "final loss": r.final_seen_loss, "final accuracy": r.final_seen_acc,
              "peak / baseline": r.peak_over_base, "at switch / baseline": r.at_switch_over_base,
              "source": r.experiment} for _, r in cells.sort_values(["n_individuals", "steps", "n_warmup", "warmup_steps"]).iterrows()]
table = md_table(rows) + f"\n**Every warm-up run** (baseline {base:.2f} nats):\n\n" + md_table(cell_rows)
(fig_dir / "warmup_grid_summary.md").write_text(table)
out = dict(baseline=base, curves=dict(N=NT[0], steps=NT[1]), uniform_loss=ul, uniform_acc=ua,
           best=dict(n_warmup=bc.n_warmup, warmup_steps=bc.warmup_steps, final_loss=bc.final_seen_loss, final_acc=bc.final_seen_acc,
                     run=bc.run), factor_loss=ul / float(bc.final_seen_loss),
           cells=cells[["experiment", "run", "n_individuals", "steps", "n_warmup", "warmup_steps", "final_seen_loss",
                        "final_seen_acc", "peak_over_base", "at_switch_over_base"]].to_dict("records"))
(fig_dir / "warmup_grid.json").write_text(json.dumps(jsonable(out), indent=1))
print(table)
