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
# # Figure: is warm-up just learning fewer individuals well? (the paper's control, App. E / Fig L text)
#
# Reads the completed runs of `warmup_control`: uniform training on only the first K of N individuals, with the
# other N − K in the same world but never sampled (the template's never-seen set). Both groups are evaluated, so
#
#     accuracy over everyone = (K · accuracy on the K + (N − K) · accuracy on the rest) / N,
#
# with both accuracies measured (the rest sit at chance: a few percent for the small value pools). The paper
# reports the simpler K/N × accuracy on the K (97.72% × 83k/128k ≈ 63.3%); both are in the table. The warm-up
# reference is the best warm-up run (final loss) at the same N, budget and model among `warmup_grid` and
# `strategies`, the uniform reference the α = 0 run of `power_law` (or a uniform `strategies` run).
# Writes `warmup_control.png`, `warmup_control_summary.md` and `warmup_control.json` into `fig_dir`.

# %%
import json
from pathlib import Path
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from factdyn.engine import collect, collect_summaries
from factdyn.analysis import md_table, fmt

# %% tags=["parameters"]
experiment: str = "warmup_control"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
runs_root: str = "../runs"  # the run store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
SOURCES = list(dict.fromkeys([experiment, "warmup_grid", "strategies", "power_law"]))
CONFIG = ["steps", "batch_size", "lr", "weight_decay", "schedule", "n_layer", "n_head", "d_model", "d_mlp", "pools",
          "seed", "n_templates", "shuffle"]
fig_dir = Path(fig_dir); fig_dir.mkdir(parents=True, exist_ok=True)
frames, logs = [], []
for e in SOURCES:
    s = collect_summaries(e, preset, runs_root=runs_root)
    if len(s): frames.append(s.assign(experiment=e)); logs.append(collect(e, preset, runs_root=runs_root).assign(experiment=e))
assert frames and (frames[0].experiment == experiment).all(), f"no completed runs of {experiment}/{preset} under {runs_root}"
allr, df = pd.concat(frames, ignore_index=True), pd.concat(logs, ignore_index=True)
for c in ["n_individuals", "n_unseen", "steps", "batch_size", "alpha", "n_warmup", "warmup_epochs", "final_seen_loss",
          "final_seen_acc", "final_unseen_loss", "baseline", "switch_step"]:
    allr[c] = pd.to_numeric(allr[c], errors="coerce")
samp = allr["param_sampler"] if "param_sampler" in allr else allr["sampler"]
allr["total"] = allr.n_individuals + allr.n_unseen
ctrl = allr[allr.experiment == experiment].copy()
ctrl["N"] = ctrl.total
base = float(ctrl.baseline.iloc[0])


def last(run, col):
    "Last logged value of `col` in run, NaN if absent."
    lg = df[df.run == run].sort_values("step")
    return float(lg[col].iloc[-1]) if col in lg and len(lg) and pd.notna(lg[col].iloc[-1]) else np.nan


ctrl["K"] = ctrl.n_individuals
ctrl["acc_K"], ctrl["loss_K"] = ctrl.final_seen_acc, ctrl.final_seen_loss
ctrl["acc_rest"] = [last(r, "unseen_acc") for r in ctrl.run]
ctrl["loss_rest"] = [last(r, "unseen_loss") for r in ctrl.run]
w_rest = (ctrl.N - ctrl.K) / ctrl.N
ctrl["acc_all"] = (1 - w_rest) * ctrl.acc_K + w_rest * ctrl.acc_rest.fillna(0)
ctrl["acc_all_paper"] = (1 - w_rest) * ctrl.acc_K
ctrl["loss_all"] = (1 - w_rest) * ctrl.loss_K + w_rest * ctrl.loss_rest
ctrl = ctrl.sort_values(["N", "K"]).reset_index(drop=True)
print(ctrl[["N", "K", "acc_K", "acc_rest", "acc_all", "acc_all_paper", "loss_K", "loss_rest", "loss_all"]].to_string())

# %% [markdown]
# References at the same N (training on all N individuals, evaluated over all N).

# %%
r0 = ctrl.iloc[0]
same = np.logical_and.reduce([allr[c].astype(str) == str(r0[c]) for c in CONFIG if c in allr])
Ns = sorted(ctrl.N.unique())
refs = {}
for N in Ns:
    onN = allr[same & (allr.experiment != experiment) & (allr.n_individuals == N)]
    w = onN[(samp[onN.index] == "warmup") & ((onN.warmup_epochs * N / onN.batch_size).round() < onN.steps)]
    u = onN[(samp[onN.index] == "uniform") | ((samp[onN.index] == "power_law") & (onN.alpha == 0))]
    refs[N] = dict(warmup=w.loc[w.final_seen_loss.idxmin()] if len(w) and w.final_seen_loss.notna().any() else None,
                   n_warmup_runs=len(w), uniform=u.iloc[0] if len(u) else None)
    print(N, "warm-up runs:", len(w), "uniform:", None if refs[N]["uniform"] is None else refs[N]["uniform"].run)


def nlabel(N): return f"{N / 1000:g}k" if N >= 1000 else f"{N:g}"


def jsonable(v):
    "Plain JSON values: numpy scalars to Python, NaN to None, recursively."
    if isinstance(v, dict): return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [jsonable(x) for x in v]
    if isinstance(v, (np.integer, np.floating)): v = v.item()
    return None if isinstance(v, float) and not np.isfinite(v) else v


# %%
#| label: fig-warmup-control
#| fig-cap: "Left: accuracy over all N individuals of uniform training on everyone, uniform training on only K of them (dark: their share K/N × accuracy on the K; light: the untrained rest at chance; dot: accuracy on the K alone), and the best warm-up. Right: loss through training: the control on its K individuals and on the rest, the warm-up and uniform runs over everyone."
fig, axes = plt.subplots(len(Ns), 2, figsize=(12, 3.9 * len(Ns)), squeeze=False, gridspec_kw=dict(width_ratios=[1, 1.3]))
for row, N in enumerate(Ns):
    ax, ax2 = axes[row]
    bars = []
    u, w = refs[N]["uniform"], refs[N]["warmup"]
    if u is not None: bars.append(("uniform\non all", float(u.final_seen_acc), 0.0, None, "0.4"))
    for col, (_, c) in zip(["C1", "C5", "C6", "C8", "C9"] * 9, ctrl[ctrl.N == N].iterrows()):
        bars.append((f"uniform on\nK = {nlabel(c.K)}\n({c.K / N:.2g} N)", float(c.acc_all_paper), float(c.acc_all - c.acc_all_paper), float(c.acc_K), col))
    if w is not None:
        wsteps = int(round(w.warmup_epochs * N / w.batch_size))
        bars.append((f"warm-up\n{nlabel(w.n_warmup)} × {wsteps}", float(w.final_seen_acc), 0.0, None, "C2"))
    for i, (lab, a, extra, accK, col) in enumerate(bars):
        ax.bar(i, a, color=col, width=0.6); ax.bar(i, extra, bottom=a, color=col, alpha=0.35, width=0.6)
        ax.text(i, a + extra + 0.02, f"{a + extra:.2f}", ha="center", fontsize=8)
        if accK is not None: ax.plot(i, accK, "o", color="k", ms=5); ax.text(i + 0.12, accK, f"{accK:.2f} on K", fontsize=7, va="center")
    ax.set_xticks(range(len(bars)), [b[0] for b in bars], fontsize=8); ax.set_ylim(0, 1.1)
    ax.set_ylabel("final accuracy over all N"); ax.set_title(f"N = {nlabel(N)}, {int(r0.steps)} steps")
    for col, (_, c) in zip(["C1", "C5", "C6", "C8", "C9"] * 9, ctrl[ctrl.N == N].iterrows()):
        lg = df[df.run == c.run].sort_values("step")
        ax2.plot(lg.step, lg.seen_loss, color=col, label=f"control K={nlabel(c.K)}: on the K")
        if "unseen_loss" in lg: ax2.plot(lg.step, lg.unseen_loss, color=col, ls=":", label=f"control K={nlabel(c.K)}: the rest")
    for ref, col, lab in [(w, "C2", "best warm-up, all"), (u, "0.3", "uniform, all")]:
        if ref is not None:
            lg = df[df.run == ref.run].sort_values("step"); ax2.plot(lg.step, lg.seen_loss, color=col, lw=2, label=lab)
    ax2.axhline(base, color="grey", lw=1); ax2.set_yscale("log"); ax2.set_xlabel("training step"); ax2.set_ylabel("attribute loss")
    ax2.legend(fontsize=7)
fig.tight_layout(); fig.savefig(fig_dir / "warmup_control.png", dpi=120, bbox_inches="tight")

# %% [markdown]
# ## Numbers beside the paper's
# The paper (N = 128k, 16k steps of 128): uniform on 83k individuals, 97.72% on them, i.e. 63.26% over all
# 128k; warm-up on all 128k, 94.92%; uniform on all 128k, ≈ 15% (Fig J, read off the plot).

# %%
rows = []
for N in Ns:
    u, w = refs[N]["uniform"], refs[N]["warmup"]
    wa = float(w.final_seen_acc) if w is not None else np.nan
    cs = ctrl[ctrl.N == N]
    bestc = cs.loc[cs.acc_all.idxmax()] if cs.acc_all.notna().any() else None
    rows += [
        dict(quantity=f"N = {nlabel(N)}: K / N of the controls", paper="83k / 128k = 0.65", ours=", ".join(f"{k / N:.3g}" for k in cs.K)),
        dict(quantity="control: accuracy on its K individuals", paper="0.9772", ours="; ".join(f"K {nlabel(c.K)}: {fmt(c.acc_K)}" for _, c in cs.iterrows())),
        dict(quantity="control: accuracy over all N, K/N × accuracy on K", paper="0.6326", ours="; ".join(f"K {nlabel(c.K)}: {fmt(c.acc_all_paper)}" for _, c in cs.iterrows())),
        dict(quantity="control: accuracy over all N, measured rest included", paper="—", ours="; ".join(f"K {nlabel(c.K)}: {fmt(c.acc_all)}" for _, c in cs.iterrows())),
        dict(quantity="warm-up on all N: accuracy over all N", paper="0.9492",
             ours=f"{fmt(wa)} ({nlabel(w.n_warmup)} for {int(round(w.warmup_epochs * N / w.batch_size))} steps, best of {refs[N]['n_warmup_runs']})" if w is not None else "no warm-up run"),
        dict(quantity="uniform on all N: accuracy over all N", paper="≈0.15", ours=fmt(float(u.final_seen_acc)) if u is not None else "no uniform run"),
        dict(quantity="individuals the warm-up effectively learned (accuracy × N)", paper="≈121.5k of 128k", ours=f"{wa * N:,.0f} of {N:,.0f}" if np.isfinite(wa) else "—"),
        dict(quantity="warm-up minus the best control, accuracy over all N", paper="+0.317",
             ours=f"{wa - bestc.acc_all:+.3f} (control K {nlabel(bestc.K)})" if bestc is not None and np.isfinite(wa) else "—"),
    ]
table = md_table(rows)
(fig_dir / "warmup_control_summary.md").write_text(table)
out = dict(baseline=base, controls=ctrl[["run", "N", "K", "acc_K", "acc_rest", "acc_all", "acc_all_paper", "loss_K", "loss_rest", "loss_all"]].to_dict("records"),
           references={f"{N:g}": dict(warmup_run=None if refs[N]["warmup"] is None else refs[N]["warmup"].run,
                                      warmup_acc=np.nan if refs[N]["warmup"] is None else float(refs[N]["warmup"].final_seen_acc),
                                      warmup_loss=np.nan if refs[N]["warmup"] is None else float(refs[N]["warmup"].final_seen_loss),
                                      uniform_run=None if refs[N]["uniform"] is None else refs[N]["uniform"].run,
                                      uniform_acc=np.nan if refs[N]["uniform"] is None else float(refs[N]["uniform"].final_seen_acc))
                       for N in Ns})
(fig_dir / "warmup_control.json").write_text(json.dumps(jsonable(out), indent=1))
print(table)
