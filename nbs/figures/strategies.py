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
# # Figure: every sampling strategy at a fixed budget (paper Fig 4 right, Fig J, and two untested proposals)
#
# Gathers the completed runs of `strategies` (celebrities, warm-up, adaptive warm-up, gradual growth) together
# with those of `power_law` (uniform = α 0, and the power laws) and `warmup_grid` (more warm-up settings) of the
# same preset, keeping only runs whose budget, batch, model, optimizer and seed equal those of the `strategies`
# runs. For each strategy and population size N it picks the best setting by final attribute loss and says
# how many settings it tried. Writes into `fig_dir`:
#
# - `strategies.png`: final loss and final accuracy against N, each strategy at its best (Fig 4 right, Fig J);
# - `strategies_curves.png`: loss and accuracy through training at the headline N;
# - `strategies_new.png`: adaptive warm-up and growth against the best fixed warm-up at every N, with the verdict;
# - `strategies_summary.md` (our numbers beside the paper's) and `strategies.json`.
#
# **Headline N**: among the populations with both a uniform and a warm-up run, the one whose uniform run ends
# closest to 0.59 × baseline, the paper's uniform run at
# 128k individuals and 16k steps (≈ 4 of 6.78 nats, accuracy ≈ 15%): a budget where uniform sampling barely
# leaves the plateau. Evaluation is always over all N individuals, drawn uniformly.

# %%
import json
from pathlib import Path
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from factdyn.engine import collect, collect_summaries
from factdyn.analysis import md_table, fmt

# %% tags=["parameters"]
experiment: str = "strategies"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
runs_root: str = "../runs"  # the run store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
SOURCES = list(dict.fromkeys([experiment, "power_law", "warmup_grid"]))
CONFIG = ["steps", "batch_size", "lr", "weight_decay", "schedule", "n_layer", "n_head", "d_model", "d_mlp", "pools",
          "seed", "n_templates", "shuffle", "n_unseen"]
ORDER = ["uniform", "power law", "celebrities", "warm-up", "adaptive warm-up", "growth"]
COLOR = {"uniform": "k", "power law": "C0", "celebrities": "C1", "warm-up": "C2", "adaptive warm-up": "C3", "growth": "C4"}
PAPER_RATIO = 4.0 / 6.78          # the paper's uniform run at 128k individuals, 16k steps: final loss / baseline
fig_dir = Path(fig_dir); fig_dir.mkdir(parents=True, exist_ok=True)

frames, logs = [], []
for e in SOURCES:
    s = collect_summaries(e, preset, runs_root=runs_root)
    if len(s): frames.append(s.assign(experiment=e)); logs.append(collect(e, preset, runs_root=runs_root).assign(experiment=e))
assert frames and (frames[0].experiment == experiment).all(), f"no completed runs of {experiment}/{preset} under {runs_root}"
allr = pd.concat(frames, ignore_index=True)
df = pd.concat(logs, ignore_index=True)
ref = frames[0].iloc[0]
same = np.logical_and.reduce([allr[c].astype(str) == str(ref[c]) for c in CONFIG if c in allr])
dropped = allr[~same].groupby("experiment").size().to_dict()
summ = allr[same].copy().reset_index(drop=True)
print(f"runs: {summ.groupby('experiment').size().to_dict()}; left out (other budget or model): {dropped}")
for c in ["n_individuals", "steps", "batch_size", "alpha", "n_celebrities", "celeb_weight", "n_warmup", "warmup_epochs",
          "warmup_max_steps", "n_start", "n_stages", "stage_steps", "plateau_start", "plateau_end", "final_seen_loss",
          "final_seen_acc", "baseline", "switch_step"]:
    summ[c] = pd.to_numeric(summ[c], errors="coerce")
base, T = float(summ.baseline.iloc[0]), int(ref["steps"])


# %% [markdown]
# Each run's strategy and setting, from its parameters. A warm-up that would end at or after the budget never
# trains on everyone and is left out (it is the subset-only control, not a curriculum).

# %%
def sampler_of(r): return r["param_sampler"] if "param_sampler" in r and isinstance(r["param_sampler"], str) else r["sampler"]


def classify(r) -> tuple:
    "(strategy, setting) of one run."
    s, N = sampler_of(r), int(r.n_individuals)
    if s == "uniform" or (s == "power_law" and r.alpha == 0): return "uniform", "uniform"
    if s == "power_law": return "power law", f"α {r.alpha:g}"
    if s == "celebrities": return "celebrities", f"{int(r.n_celebrities)} × weight {r.celeb_weight:g}"
    if s == "warmup":
        w = int(round(r.warmup_epochs * N / r.batch_size))
        return ("warm-up" if w < r.steps else "subset only"), f"{int(r.n_warmup)} for {w} steps"
    if s == "adaptive_warmup":
        sw = "never" if not np.isfinite(r.switch_step) else f"{r.switch_step:.0f}"
        cap = f", cap {r.warmup_max_steps:.0f}" if r.warmup_max_steps > 0 else ""
        return "adaptive warm-up", f"{int(r.n_warmup)}, switched at {sw}{cap}"
    if s == "growth":
        return "growth", f"{int(r.n_start)} → {N} in {int(r.n_stages)} stages of {int(r.stage_steps)} steps"
    return s, s


summ[["strategy", "setting"]] = [classify(r) for _, r in summ.iterrows()]
summ = summ[summ.strategy.isin(ORDER)].reset_index(drop=True)
Ns = sorted(summ.n_individuals.unique())
best_idx = summ.sort_values("final_seen_loss").groupby(["strategy", "n_individuals"], sort=False).head(1).index
best = summ.loc[best_idx].set_index(["strategy", "n_individuals"]).sort_index()
n_tried = summ.groupby(["strategy", "n_individuals"]).size()
print(summ[["experiment", "n_individuals", "strategy", "setting", "plateau_end", "final_seen_loss", "final_seen_acc"]]
      .sort_values(["n_individuals", "strategy", "final_seen_loss"]).to_string())


def get(strategy, N, col):
    return float(best.loc[(strategy, N), col]) if (strategy, N) in best.index else np.nan


uni = [(N, get("uniform", N, "final_seen_loss") / base) for N in Ns if np.isfinite(get("uniform", N, "final_seen_loss"))]
# the headline needs a warm-up to compare with: only populations where one was run are candidates
cand = [(N, r) for N, r in uni if np.isfinite(get("warm-up", N, "final_seen_loss"))] or uni
N_h = min(cand, key=lambda x: abs(x[1] - PAPER_RATIO))[0] if cand else Ns[-1]
print(f"headline N = {N_h:g} (uniform final / baseline: {dict(uni)})")


def nlabel(N): return f"{N / 1000:g}k" if N >= 1000 else f"{N:g}"


def jsonable(v):
    "Plain JSON values: numpy scalars to Python, NaN to None, recursively."
    if isinstance(v, dict): return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [jsonable(x) for x in v]
    if isinstance(v, (np.integer, np.floating)): v = v.item()
    return None if isinstance(v, float) and not np.isfinite(v) else v


# %%
#| label: fig-strategies
#| fig-cap: "Final attribute loss (left, log) and accuracy (right) against population size at one budget, each strategy at its best setting among those run (Fig 4 right, Fig J). Grey line: no-knowledge baseline; dotted: the headline population."
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for s in ORDER:
    xs = [N for N in Ns if (s, N) in best.index]
    if not xs: continue
    kw = dict(color=COLOR[s], marker="o", label=s, lw=2.2 if s in ("uniform", "warm-up") else 1.4)
    axes[0].plot(xs, [get(s, N, "final_seen_loss") for N in xs], **kw)
    axes[1].plot(xs, [get(s, N, "final_seen_acc") for N in xs], **kw)
axes[0].axhline(base, color="grey", lw=1); axes[0].set_yscale("log"); axes[0].set_ylabel("final attribute loss")
axes[1].set_ylabel("final accuracy (all individuals)"); axes[1].set_ylim(-0.02, 1.02)
for ax in axes:
    ax.set_xscale("log", base=2); ax.set_xticks(Ns, [nlabel(N) for N in Ns]); ax.minorticks_off()
    ax.set_xlabel("individuals N"); ax.axvline(N_h, color="grey", ls=":", lw=1)
axes[0].legend(fontsize=8); fig.suptitle(f"each strategy at its best, {T} steps of {int(ref['batch_size'])}")
fig.tight_layout(); fig.savefig(fig_dir / "strategies.png", dpi=120, bbox_inches="tight")

# %%
#| label: fig-strategies-curves
#| fig-cap: "Attribute loss (log) and accuracy through training at the headline population, each strategy at its best setting. Ticks on the top edge: when the warm-up runs switched to everyone. Grey line: no-knowledge baseline."
fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
for s in ORDER:
    if (s, N_h) not in best.index: continue
    r = best.loc[(s, N_h)]
    lg = df[df.run == r["run"]].sort_values("step")
    for ax, col in zip(axes, ["seen_loss", "seen_acc"]):
        ax.plot(lg.step, lg[col], color=COLOR[s], label=f"{s} ({r.setting})", lw=2 if s in ("uniform", "warm-up") else 1.3)
    if np.isfinite(r.switch_step):
        for ax in axes: ax.axvline(r.switch_step, ymin=0.93, ymax=1.0, color=COLOR[s], lw=2.5)
axes[0].axhline(base, color="grey", lw=1); axes[0].set_yscale("log"); axes[0].set_ylabel("attribute loss (all individuals)")
axes[1].set_ylabel("accuracy (all individuals)"); axes[1].set_ylim(-0.02, 1.02)
for ax in axes: ax.set_xlabel("training step")
axes[1].legend(fontsize=7, loc="upper left"); fig.suptitle(f"{nlabel(N_h)} individuals, {T} steps")
fig.tight_layout(); fig.savefig(fig_dir / "strategies_curves.png", dpi=120, bbox_inches="tight")


# %% [markdown]
# ## The untested proposals against the best fixed warm-up
# At every N, the final loss of adaptive warm-up and of gradual growth divided by that of the best fixed
# warm-up run at the same N and budget: above 1 the proposal loses. With one seed per setting, ratios within
# 10% of 1 are called ties.

# %%
def verdict(r):
    if not np.isfinite(r): return "—"
    return "ties" if abs(np.log(r)) < np.log(1.1) else ("loses" if r > 1 else "wins")


new_rows = []
for N in Ns:
    wl = get("warm-up", N, "final_seen_loss")
    for s in ("adaptive warm-up", "growth"):
        r = get(s, N, "final_seen_loss") / wl
        new_rows.append(dict(N=N, strategy=s, ratio=r, verdict=verdict(r)))
new = pd.DataFrame(new_rows, columns=["N", "strategy", "ratio", "verdict"])

# %%
#| label: fig-strategies-new
#| fig-cap: "Adaptive warm-up and gradual growth (never tested in the paper) against the best fixed warm-up and uniform sampling: final loss at each population size. The label above each bar is its final loss divided by the best fixed warm-up's, with the verdict (ties: within 10%)."
show = ["uniform", "warm-up", "adaptive warm-up", "growth"]
fig, ax = plt.subplots(figsize=(max(6.0, 2.6 * len(Ns)), 3.9))
wdt = 0.8 / len(show)
for i, s in enumerate(show):
    ys = [get(s, N, "final_seen_loss") for N in Ns]
    xs = np.arange(len(Ns)) + (i - (len(show) - 1) / 2) * wdt
    ax.bar(xs, [y if np.isfinite(y) else 0 for y in ys], wdt, color=COLOR[s], label=s if s != "warm-up" else "best fixed warm-up")
    if s in ("adaptive warm-up", "growth"):
        for x, N, y in zip(xs, Ns, ys):
            rr = new[(new.N == N) & (new.strategy == s)].iloc[0]
            if np.isfinite(y) and np.isfinite(rr.ratio): ax.text(x, y * 1.08, f"×{rr.ratio:.2g}\n{rr.verdict}", ha="center", va="bottom", fontsize=7)
ax.axhline(base, color="grey", lw=1); ax.set_yscale("log"); ax.set_ylabel("final attribute loss")
ax.set_xticks(range(len(Ns)), [f"{nlabel(N)} individuals" for N in Ns]); ax.legend(fontsize=7, ncol=2)
lo, hi = ax.get_ylim(); ax.set_ylim(lo, hi * 4)
vh = new[new.N == N_h].set_index("strategy").verdict
ax.set_title(f"at {nlabel(N_h)}: adaptive warm-up {vh.get('adaptive warm-up', '—')}, growth {vh.get('growth', '—')} "
             f"against the best fixed warm-up", fontsize=10)
fig.tight_layout(); fig.savefig(fig_dir / "strategies_new.png", dpi=120, bbox_inches="tight")

# %% [markdown]
# ## Numbers beside the paper's
# The paper's values (Fig 4 right, Fig J: 128k individuals, 16k steps of 128, each method at its best) are read
# off its plots, except the warm-up accuracy (94.92%, stated). "× uniform" is the uniform run's final loss
# divided by the strategy's (how many times lower), and the strategy's accuracy divided by uniform's.

# %%
PAPER_128K = {"uniform": ("≈4", "≈0.15"), "power law": ("≈2", "≈0.6"), "celebrities": ("comparable to power law", "≈0.57"),
              "warm-up": ("≈0.4", "0.9492"), "adaptive warm-up": ("not tested", "not tested"), "growth": ("not tested", "not tested")}
PAPER_BY_N = {"uniform": "3e-4, 8e-4, 1.2e-2, ≈4, ≈6", "power law": "3e-4, 8e-4, 1.3e-2, ≈2, ≈5.5",
              "warm-up": "1.7e-4, 6e-4, 5e-3, ≈0.4, ≈5.5"}
ul, ua = get("uniform", N_h, "final_seen_loss"), get("uniform", N_h, "final_seen_acc")
head_rows = []
for s in ORDER:
    if (s, N_h) not in best.index: continue
    r = best.loc[(s, N_h)]
    head_rows.append({"strategy": s, "best setting (settings tried)": f"{r.setting} ({int(n_tried[(s, N_h)])})",
                      "final loss": float(r.final_seen_loss), "final accuracy": float(r.final_seen_acc),
                      "loss: uniform / this": ul / float(r.final_seen_loss), "accuracy: this / uniform": float(r.final_seen_acc) / ua if ua > 0 else np.nan,
                      "paper loss (128k)": PAPER_128K[s][0], "paper accuracy (128k)": PAPER_128K[s][1]})
cmp_rows = []
for N in Ns:
    row = {"N": nlabel(N), "best fixed warm-up": f"{fmt(get('warm-up', N, 'final_seen_loss'))} / {fmt(get('warm-up', N, 'final_seen_acc'))}"}
    for s in ("adaptive warm-up", "growth"):
        rr = new[(new.N == N) & (new.strategy == s)].iloc[0]
        row[s] = f"{fmt(get(s, N, 'final_seen_loss'))} / {fmt(get(s, N, 'final_seen_acc'))}"
        row[f"{s}: loss ÷ best fixed"] = f"{fmt(rr.ratio)} ({rr.verdict})"
    cmp_rows.append(row)
byN_rows = [{"strategy": s, **{nlabel(N): get(s, N, "final_seen_loss") for N in Ns},
             "paper (16k, 32k, 64k, 128k, 256k)": PAPER_BY_N.get(s, "—")} for s in ORDER]
wf_loss = ul / get("warm-up", N_h, "final_seen_loss"); wf_acc = get("warm-up", N_h, "final_seen_acc") / ua if ua > 0 else np.nan
text = (f"**Headline: {nlabel(N_h)} individuals, {T} steps of {int(ref['batch_size'])}** (of the populations with a warm-up run, the one whose "
        f"uniform run ends closest to the paper's 0.59 × baseline): uniform sampling ends at {fmt(ul / base)} × the no-knowledge baseline "
        f"({fmt(ul)} nats, accuracy {fmt(ua)}). Final loss, uniform ÷ best warm-up: **{fmt(wf_loss)}**; accuracy, best warm-up ÷ "
        f"uniform: **{fmt(wf_acc)}** (paper, 128k individuals at 16k steps: ≈10 and ≈6.3).\n\n")
table = (text + md_table(head_rows) + "\n**Adaptive warm-up and growth against the best fixed warm-up** (final loss / accuracy; "
         "ratio of final losses, above 1 = worse; ties within 10%, one seed):\n\n" + md_table(cmp_rows)
         + f"\n**Final loss of each strategy's best setting at every N** (baseline {base:.2f}; paper: Fig 4 right at 16k steps):\n\n"
         + md_table(byN_rows))
(fig_dir / "strategies_summary.md").write_text(table)
out = dict(baseline=base, steps=T, headline_N=N_h, uniform_ratio_by_N=dict(uni), warmup_factor_loss=wf_loss,
           warmup_factor_acc=wf_acc, new_vs_fixed=new.to_dict("records"),
           best={f"{s}@{N:g}": dict(setting=best.loc[(s, N), "setting"], tried=int(n_tried[(s, N)]), run=best.loc[(s, N), "run"],
                                    experiment=best.loc[(s, N), "experiment"], final_loss=get(s, N, "final_seen_loss"),
                                    final_acc=get(s, N, "final_seen_acc"), plateau_end=get(s, N, "plateau_end"),
                                    switch_step=get(s, N, "switch_step")) for s, N in best.index},
           runs=summ[["experiment", "run", "n_individuals", "strategy", "setting", "plateau_end", "final_seen_loss", "final_seen_acc"]].to_dict("records"))
(fig_dir / "strategies.json").write_text(json.dumps(jsonable(out), indent=1))
print(table)
