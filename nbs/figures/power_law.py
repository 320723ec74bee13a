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
# # Figure: sampling individuals from an inverse power law (paper Fig 4 left and middle, Fig G)
#
# Reads the completed runs of the `power_law` experiment (P(rank i) ∝ i^-α over the seen individuals, α = 0
# uniform, one model per α × population size N × budget) and writes into `fig_dir`:
#
# - `power_law.png`: plateau end over α × N for each budget (Fig 4 left), the α with the lowest final loss for
#   each N and budget (Fig 4 middle), and final loss against α;
# - `power_law_curves.png`: loss and accuracy through training for every α at one N (Fig G);
# - `power_law_rank.png`: the final model's loss on the most frequent, middle and rarest individuals (by rank),
#   evaluated here from each run's final checkpoint: the cost of imbalance for the rare individuals;
# - `power_law_summary.md` (our numbers beside the paper's) and `power_law.json`.
#
# Plateau bounds are those of the train template (`factdyn.metrics.plateau_bounds`: end = first evaluation below
# 0.9 × baseline on a 3-point running median); a run that never leaves the plateau has no end and is shown as
# "> T" (T = its budget), never dropped.

# %%
import json
from pathlib import Path
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from matplotlib.colors import LogNorm
from factdyn.engine import collect, collect_summaries
from factdyn.analysis import md_table, fmt, set_threads_from_env
from factdyn.data import World, WorldConfig
from factdyn.train import model_from_checkpoint, latest_checkpoint, evaluate

# %% tags=["parameters"]
experiment: str = "power_law"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
runs_root: str = "../runs"  # the run store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
set_threads_from_env()
df, summ = collect(experiment, preset, runs_root=runs_root), collect_summaries(experiment, preset, runs_root=runs_root)
assert len(summ), f"no completed runs of {experiment}/{preset} under {runs_root}"
fig_dir = Path(fig_dir); fig_dir.mkdir(parents=True, exist_ok=True)
for c in ["alpha", "n_individuals", "steps", "batch_size", "plateau_start", "plateau_end", "final_seen_loss",
          "final_seen_acc", "baseline"]:
    summ[c] = pd.to_numeric(summ[c], errors="coerce")                   # None (not reached) -> NaN
summ = summ.sort_values(["steps", "n_individuals", "alpha"]).reset_index(drop=True)
base = float(summ.baseline.iloc[0])
alphas, Ns, budgets = sorted(summ.alpha.unique()), sorted(summ.n_individuals.unique()), sorted(summ.steps.unique())
print(summ[["steps", "n_individuals", "alpha", "plateau_start", "plateau_end", "final_seen_loss", "final_seen_acc"]].to_string())


def cell(T, N, a, col):
    "The value of `col` for the run (T, N, α), NaN if there is no such run."
    r = summ[(summ.steps == T) & (summ.n_individuals == N) & (summ.alpha == a)]
    return float(r[col].iloc[0]) if len(r) else np.nan


def best_alpha(T, N, col):
    "α with the lowest finite `col` at (T, N), or NaN."
    vals = {a: cell(T, N, a, col) for a in alphas}
    vals = {a: v for a, v in vals.items() if np.isfinite(v)}
    return min(vals, key=vals.get) if vals else np.nan


def nlabel(N): return f"{N / 1000:g}k" if N >= 1000 else f"{N:g}"


def jsonable(v):
    "Plain JSON values: numpy scalars to Python, NaN to None, recursively."
    if isinstance(v, dict): return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [jsonable(x) for x in v]
    if isinstance(v, (np.integer, np.floating)): v = v.item()
    return None if isinstance(v, float) and not np.isfinite(v) else v


# %% [markdown]
# ## Plateau end and the best α
# Left panels: plateau end (steps, log colour) for each α × N, one panel per budget; a hatched grey cell never
# left the plateau within its budget ("> T"), or never even reached the baseline ("no plateau"). Then the α with the lowest final loss for each N × budget, and the final
# loss against α.

# %%
#| label: fig-power-law
#| fig-cap: "Inverse power-law sampling. Left: plateau end over α × population size (grey: never left the plateau within the budget). Middle: the α with the lowest final loss for each population and budget. Right: final loss against α (grey line: no-knowledge baseline)."
k = len(budgets)
fig, axes = plt.subplots(1, k + 2, figsize=(4.2 * k + 8.6, 3.6), gridspec_kw=dict(width_ratios=[1.15] * k + [0.75, 1.2]))
ends = summ.plateau_end[np.isfinite(summ.plateau_end)]
norm = LogNorm(vmin=max(float(ends.min()), 1.0), vmax=max(float(ends.max()), float(ends.min()) * 1.01, 2.0)) if len(ends) else None
cmap = plt.get_cmap("viridis").copy(); cmap.set_bad("0.85")
for ax, T in zip(axes[:k], budgets):
    M = np.array([[cell(T, N, a, "plateau_end") for a in alphas] for N in Ns])
    im = ax.imshow(np.ma.masked_invalid(M), origin="lower", aspect="auto", cmap=cmap, norm=norm)
    for i, N in enumerate(Ns):
        for j, a in enumerate(alphas):
            v = M[i, j]
            if np.isfinite(v): txt = f"{v:.0f}"
            elif np.isfinite(cell(T, N, a, "final_seen_loss")):             # a run that never left (or never reached) it
                txt = f">{T:.0f}" if np.isfinite(cell(T, N, a, "plateau_start")) else "no\nplateau"
                ax.add_patch(plt.Rectangle((j - .5, i - .5), 1, 1, fill=False, hatch="//", lw=0, color="0.6"))
            else: txt = ""
            ax.text(j, i, txt, ha="center", va="center", fontsize=7, color="w" if np.isfinite(v) and norm(v) < 0.6 else "k")
    ax.set_xticks(range(len(alphas)), [f"{a:g}" for a in alphas]); ax.set_yticks(range(len(Ns)), [nlabel(N) for N in Ns])
    ax.set_xlabel("α"); ax.set_ylabel("individuals N"); ax.set_title(f"plateau end (steps), budget {T:.0f}")
    if norm is not None: fig.colorbar(im, ax=ax, fraction=0.05)
ax = axes[k]
B = np.array([[best_alpha(T, N, "final_seen_loss") for T in budgets] for N in Ns])
ax.imshow(np.ma.masked_invalid(B), origin="lower", aspect="auto", cmap="magma_r", vmin=0, vmax=max(alphas + [1.0]))
for i in range(len(Ns)):
    for j in range(len(budgets)):
        ax.text(j, i, "—" if not np.isfinite(B[i, j]) else f"{B[i, j]:g}", ha="center", va="center", fontsize=9,
                color="k" if not np.isfinite(B[i, j]) or B[i, j] < 0.5 * max(alphas + [1.0]) else "w")
ax.set_xticks(range(len(budgets)), [f"{T:.0f}" for T in budgets]); ax.set_yticks(range(len(Ns)), [nlabel(N) for N in Ns])
ax.set_xlabel("budget (steps)"); ax.set_title("best α for final loss")
ax = axes[k + 1]
for i, N in enumerate(Ns):
    for j, T in enumerate(budgets):
        ys = [cell(T, N, a, "final_seen_loss") for a in alphas]
        ax.plot(alphas, ys, marker="o", color=f"C{i}", ls=["-", "--", ":"][j % 3], label=f"N {nlabel(N)}" + (f", {T:.0f} steps" if k > 1 else ""))
ax.axhline(base, color="grey", lw=1); ax.set_yscale("log"); ax.set_xlabel("α"); ax.set_ylabel("final attribute loss")
ax.set_title("final loss"); ax.legend(fontsize=7)
fig.tight_layout(); fig.savefig(fig_dir / "power_law.png", dpi=120, bbox_inches="tight")

# %% [markdown]
# ## Training curves at one population (Fig G)
# The population shown is the one, at the largest budget, whose uniform run ends closest to 0.52 × baseline,
# the uniform run of the paper's Fig G (≈ 3.5 of 6.78 nats at 64k individuals and 8k steps). The "plateau
# level" of each α is its mean loss / baseline over the evaluations from the uniform run's plateau start to the
# first plateau end among all α at that N (while every run is still on its plateau): the paper sees curves
# with α > 0 sitting slightly below the baseline there.

# %%
T_c = budgets[-1]
uni = summ[(summ.steps == T_c) & (summ.alpha == 0)]
if len(uni): N_c = float(uni.n_individuals.iloc[int((uni.final_seen_loss / base - 0.52).abs().fillna(np.inf).values.argmin())])
else: N_c = Ns[len(Ns) // 2]
runs_c = summ[(summ.steps == T_c) & (summ.n_individuals == N_c)].sort_values("alpha")
u_start = cell(T_c, N_c, 0.0, "plateau_start")
first_end = runs_c.plateau_end.min() if runs_c.plateau_end.notna().any() else T_c    # every α still on its plateau before it
win = (u_start if np.isfinite(u_start) else np.nan, float(first_end))
plateau_level = {}
for _, r in runs_c.iterrows():
    lg = df[df.run == r["run"]]
    inside = lg[(lg.step >= win[0]) & (lg.step < win[1])] if np.isfinite(win[0]) else lg.iloc[0:0]
    plateau_level[float(r.alpha)] = float(inside.seen_loss.mean() / base) if len(inside) else np.nan
print(f"curves at N={N_c:g}, budget {T_c:g}; plateau window {win}; plateau level", plateau_level)

# %%
#| label: fig-power-law-curves
#| fig-cap: "Attribute loss (log) and accuracy through training for each α at one population size (paper Fig G). Grey line: no-knowledge baseline; shaded: from the uniform run's plateau start to the first plateau end among the α, the window of the plateau level in the table."
fig, axes = plt.subplots(1, 2, figsize=(11, 3.6))
cols = plt.get_cmap("plasma")(np.linspace(0, 0.85, max(len(runs_c), 1)))
for c, (_, r) in zip(cols, runs_c.iterrows()):
    lg = df[df.run == r["run"]].sort_values("step")
    axes[0].plot(lg.step, lg.seen_loss, color=c, label=f"α = {r.alpha:g}")
    axes[1].plot(lg.step, lg.seen_acc, color=c, label=f"α = {r.alpha:g}")
axes[0].axhline(base, color="grey", lw=1, label="baseline"); axes[0].set_yscale("log")
axes[0].set_ylabel("attribute loss (nats / value)"); axes[1].set_ylabel("attribute accuracy"); axes[1].set_ylim(-0.02, 1.02)
for ax in axes:
    ax.set_xlabel("training step")
    if np.isfinite(win[0]): ax.axvspan(win[0], win[1], color="grey", alpha=0.12, lw=0)
axes[0].legend(fontsize=8); fig.suptitle(f"{nlabel(N_c)} individuals, {T_c:.0f} steps")
fig.tight_layout(); fig.savefig(fig_dir / "power_law_curves.png", dpi=120, bbox_inches="tight")

# %% [markdown]
# ## Who pays for the imbalance
# The training log evaluates individuals drawn uniformly, so it cannot say who is learned. Here each run's final
# checkpoint is evaluated on held-out-template biographies of three rank groups: the 10% most frequent
# individuals (ranks 1 … N/10), the middle 40%, and the rarest 50% — the same number of biographies per group as
# the run's own evaluation set, drawn with a fixed seed.

# %%
GROUPS = [("most frequent 10%", 0.0, 0.1), ("middle 40%", 0.1, 0.5), ("rarest 50%", 0.5, 1.0)]


def rank_group_metrics(run_dir: Path, n_eval: int, seed: int) -> dict | None:
    "Final-checkpoint loss and accuracy per rank group, or None without a checkpoint."
    ck = latest_checkpoint(run_dir)
    if ck is None or not (run_dir / "config.json").exists(): return None
    cfg = json.loads((run_dir / "config.json").read_text())
    world, model = World(WorldConfig(**cfg["world"])), model_from_checkpoint(ck)
    N, rng, out = world.cfg.n_individuals, np.random.default_rng([seed, 0x7A4C]), {}
    for name, lo, hi in GROUPS:
        a = int(lo * N); pool = world.seen[a:max(int(hi * N), a + 1)]
        ids = rng.choice(pool, size=n_eval, replace=len(pool) < n_eval)
        m = evaluate(model, world.biographies(ids, rng, split="eval"))
        out[name] = dict(loss=m["loss"], acc=m["acc"])
    return out


rank_rows = []
for _, r in summ.iterrows():
    g = rank_group_metrics(Path(runs_root) / experiment / preset / r["run"], int(r["n_eval"]), int(r["seed"]))
    if g is None: print(f"{r['run']}: no checkpoint, skipped"); continue
    for name, m in g.items():
        rank_rows.append(dict(steps=r.steps, n_individuals=r.n_individuals, alpha=r.alpha, group=name, **m))
ranks = pd.DataFrame(rank_rows, columns=["steps", "n_individuals", "alpha", "group", "loss", "acc"])
print(ranks.to_string())

# %%
#| label: fig-power-law-rank
#| fig-cap: "Final loss (top) and accuracy (bottom) of the most frequent 10%, middle 40% and rarest 50% of individuals against α, one column per population size, at the largest budget; evaluated from each run's final checkpoint. Grey line: no-knowledge baseline."
fig, axes = plt.subplots(2, len(Ns), figsize=(3.6 * len(Ns) + 0.6, 5.4), squeeze=False, sharex=True)
for j, N in enumerate(Ns):
    for i, (g, _, _) in enumerate(GROUPS):
        sub = ranks[(ranks.group == g) & (ranks.n_individuals == N) & (ranks.steps == T_c)].sort_values("alpha")
        axes[0, j].plot(sub.alpha, sub.loss, "o-", color=f"C{i}", label=g)
        axes[1, j].plot(sub.alpha, sub.acc, "o-", color=f"C{i}", label=g)
    axes[0, j].axhline(base, color="grey", lw=1); axes[0, j].set_yscale("log"); axes[0, j].set_title(f"{nlabel(N)} individuals")
    axes[1, j].set_ylim(-0.02, 1.02); axes[1, j].set_xlabel("α")
axes[0, 0].set_ylabel("final attribute loss"); axes[1, 0].set_ylabel("final accuracy"); axes[0, 0].legend(fontsize=7)
fig.tight_layout(); fig.savefig(fig_dir / "power_law_rank.png", dpi=120, bbox_inches="tight")


# %% [markdown]
# ## Numbers beside the paper's
# The paper's values are read off Fig 4 and Fig G (approximate); its budgets are 8k–32k steps of 128 at
# N = 16k–256k, ours are listed in the table. "Plateau end, uniform → best α" uses the α with the earliest
# plateau end among the runs that left the plateau.

# %%
def per_N(f, T=T_c) -> str:
    "'N: value; …' over the populations at budget T."
    return "; ".join(f"{nlabel(N)}: {f(T, N)}" for N in Ns)


def plateau_gain(T, N):
    a = best_alpha(T, N, "plateau_end"); e0 = cell(T, N, 0.0, "plateau_end")
    if not np.isfinite(a): return f"none left (> {T:.0f})"
    return f"{fmt(e0) if np.isfinite(e0) else f'>{T:.0f}'} → {cell(T, N, a, 'plateau_end'):.0f} (α {a:g})"


def loss_gain(T, N):
    a = best_alpha(T, N, "final_seen_loss")
    return "—" if not np.isfinite(a) else f"{fmt(cell(T, N, 0.0, 'final_seen_loss'))} → {fmt(cell(T, N, a, 'final_seen_loss'))} (α {a:g})"


def zipf_vs_best(T, N):
    a = best_alpha(T, N, "plateau_end"); e1 = cell(T, N, 1.0, "plateau_end")
    if not np.isfinite(a) or 1.0 not in alphas: return "—"
    return f"{fmt(e1) if np.isfinite(e1) else f'>{T:.0f}'} vs {cell(T, N, a, 'plateau_end'):.0f}"


def rare_cost(T, N):
    a = best_alpha(T, N, "final_seen_loss")
    g = ranks[(ranks.group == "rarest 50%") & (ranks.n_individuals == N) & (ranks.steps == T)].set_index("alpha")
    if not np.isfinite(a) or 0.0 not in g.index or a not in g.index: return "—"
    return f"{fmt(g.loss[0.0])} → {fmt(g.loss[a])} (α {a:g}; acc {fmt(g.acc[0.0])} → {fmt(g.acc[a])})"


levels = "; ".join(f"α {a:g}: {fmt(v)}" for a, v in plateau_level.items() if a > 0) or "—"
rows = [
    dict(quantity="budget (steps × batch)", paper="8k / 16k / 32k × 128", ours=", ".join(f"{T:.0f}" for T in budgets) + f" × {int(summ.batch_size.iloc[0])}"),
    dict(quantity="populations N", paper="16k … 256k", ours=", ".join(nlabel(N) for N in Ns)),
    dict(quantity="best α for plateau end", paper="0.6–0.8 for every N", ours=per_N(lambda T, N: fmt(best_alpha(T, N, "plateau_end")))),
    dict(quantity="plateau end, uniform → best α (steps)", paper="16k: ≈1.1k → ≈0.7k; 256k: ≈10k → ≈8k", ours=per_N(plateau_gain)),
    dict(quantity="plateau end, α = 1 vs best α", paper="α = 1 worse (overfitting)", ours=per_N(zipf_vs_best)),
    dict(quantity="best α for final loss", paper="grows with N, shrinks with budget (0 at 16k; 0.6–0.8 at 128k–256k, 16k steps)", ours=per_N(lambda T, N: fmt(best_alpha(T, N, "final_seen_loss")))),
    dict(quantity="final loss, uniform → best α", paper="64k, 8k steps: ≈3.5 → ≈1.6 (α 0.6)", ours=per_N(loss_gain)),
    dict(quantity=f"plateau level / baseline, α > 0 (N {nlabel(N_c)})", paper="slightly below 1", ours=levels),
    dict(quantity="rarest 50%: final loss, uniform → best α", paper="argued (§3.1), not measured", ours=per_N(rare_cost)),
]
grid_rows = [dict(N=nlabel(N), budget=f"{T:.0f}", **{f"α {a:g}": (f"{fmt(cell(T, N, a, 'plateau_end')) if np.isfinite(cell(T, N, a, 'plateau_end')) else '—'} / "
                                                              f"{fmt(cell(T, N, a, 'final_seen_loss'))}") for a in alphas})
             for T in budgets for N in Ns]
table = md_table(rows) + "\n**Every run** (plateau end in steps, — if never left / final loss in nats; baseline " \
        f"{base:.2f}):\n\n" + md_table(grid_rows)
(fig_dir / "power_law_summary.md").write_text(table)
out = dict(baseline=base, budgets=budgets, N=Ns, alphas=alphas, curves_N=N_c, curves_budget=T_c, plateau_level=plateau_level,
           runs=summ[["steps", "n_individuals", "alpha", "plateau_start", "plateau_end", "final_seen_loss", "final_seen_acc"]]
           .to_dict("records"),
           best_alpha_plateau={f"{N:g}@{T:g}": best_alpha(T, N, "plateau_end") for T in budgets for N in Ns},
           best_alpha_loss={f"{N:g}@{T:g}": best_alpha(T, N, "final_seen_loss") for T in budgets for N in Ns},
           rank_groups=ranks.to_dict("records"))
(fig_dir / "power_law.json").write_text(json.dumps(jsonable(out), indent=1))
print(table)
