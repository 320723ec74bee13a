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
# # Figure: how long the plateau lasts (paper Fig 2 right, Fig C population panel)
#
# Reads the completed runs of the `scaling` experiment (one model per population size N) and writes into
# `fig_dir`: `scaling.png` (plateau end against N on log–log axes, in steps and in exposures per individual,
# with our power-law fits and the paper's fit `0.43 · N^0.81` steps at batch 128 rescaled to our batch through
# exposures per individual), `scaling_curves.png` (every loss curve against steps and against exposures per
# individual), `scaling_summary.md` (our numbers beside the paper's) and `scaling.json`.
#
# Plateau bounds are those of the library's detector, written by the train template into `summary.json`
# (`factdyn.metrics.plateau_bounds`: start = first evaluation within 10% of the baseline; end = first
# evaluation after it below 0.9 × baseline, on a 3-point running median). The fit is repeated with the
# stricter 0.8 × baseline and baseline − 0.5 nat rules. Runs that never reach the baseline or never leave the
# plateau are drawn at their step budget (a lower bound) and listed, never dropped silently.

# %%
import json
from pathlib import Path
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter
from factdyn.engine import collect, collect_summaries, wall_time
from factdyn.analysis import fit_power_law, md_table, fmt

# %% tags=["parameters"]
experiment: str = "scaling"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
runs_root: str = "../runs"  # the run store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
df, summ = collect(experiment, preset, runs_root=runs_root), collect_summaries(experiment, preset, runs_root=runs_root)
assert len(summ), f"no completed runs of {experiment}/{preset} under {runs_root}"
fig_dir = Path(fig_dir); fig_dir.mkdir(parents=True, exist_ok=True)
RULES = {"0.9 × baseline": "plateau_end", "0.8 × baseline": "plateau_end_08", "baseline − 0.5 nat": "plateau_end_minus05"}
PAPER = dict(a=0.43, b=0.81, r2=0.998, batch=128, N_lo=4_000, N_hi=256_000, steps=16_000)
summ = summ.sort_values(["n_individuals", "seed"]).reset_index(drop=True)
for c in ["plateau_start", *RULES.values(), "final_seen_loss", "final_seen_acc", "baseline", "seconds"]:
    summ[c] = pd.to_numeric(summ[c], errors="coerce")            # None (not reached) -> NaN
N, B, T = summ.n_individuals.astype(float), summ.batch_size.astype(float), summ.steps.astype(float)
base = float(summ.baseline.iloc[0])
B0 = float(B.iloc[0])
if B.nunique() > 1: print(f"warning: batch sizes differ across runs ({sorted(B.unique())}); steps are not comparable, exposures are")


def status(start, end) -> str:
    "What the detector found in one run."
    if not np.isfinite(start): return "never reached the baseline"
    if not np.isfinite(end): return "never left the plateau"
    return "left the plateau"

summ["status"] = [status(s, e) for s, e in zip(summ.plateau_start, summ.plateau_end)]
summ["status_08"] = [status(s, e) for s, e in zip(summ.plateau_start, summ.plateau_end_08)]
summ["exposures_end"] = summ.plateau_end * B / N
summ["exposures_end_08"] = summ.plateau_end_08 * B / N
summ["plateau_length"] = summ.plateau_end - summ.plateau_start
summ["budget_exposures"] = T * B / N
print(summ[["n_individuals", "steps", "plateau_start", "plateau_end", "plateau_end_08", "plateau_end_minus05",
            "exposures_end", "final_seen_loss", "status"]].to_string())


# %% [markdown]
# ## Power-law fits
# `fit_power_law` fits `plateau_end = a · N^b` by least squares in log–log space (R² in log space), on the runs
# whose plateau end was found; it needs at least two distinct population sizes. The exponent of exposures per
# individual at plateau end is `b − 1`. The plateau length (end − start) is fitted too: phase 1 takes a roughly
# fixed number of steps whatever N, which flattens the plateau-end curve at small N.

# %%
def fit(x, y) -> dict | None:
    "fit_power_law on the finite, positive points; None with fewer than two distinct x."
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if len(np.unique(x[ok])) < 2: return None
    f = fit_power_law(x[ok], y[ok])
    return dict(f, N_min=float(x[ok].min()), N_max=float(x[ok].max()))

fits = {rule: fit(N, summ[col]) for rule, col in RULES.items()}
fits["plateau length (end − start), 0.9 × baseline"] = fit(N, summ.plateau_length)
for k, f in fits.items(): print(f"{k:45s}", "no fit (fewer than two population sizes with a plateau end)" if f is None else
                                 f"b = {f['b']:.3f}, a = {f['a']:.3g}, R² = {f['r2']:.4f}, {f['n']} runs, N {f['N_min']:.0f}–{f['N_max']:.0f}")


def paper_steps(n, batch=B0):
    "The paper's fitted plateau end rescaled to `batch` at equal exposures per individual."
    return PAPER["a"] * (PAPER["batch"] / batch) * np.asarray(n, float) ** PAPER["b"]

def paper_exposures(n):
    "Exposures per individual at the paper's fitted plateau end: 0.43 · 128 · N^(0.81 − 1) ≈ 55 · N^-0.19."
    return PAPER["a"] * PAPER["batch"] * np.asarray(n, float) ** (PAPER["b"] - 1)


# %%
#| label: fig-scaling
#| fig-cap: "Plateau end against population size N, log–log. Left: in training steps; right: in exposures per individual (steps × batch / N). Filled points and solid lines: plateau end at 0.9 × baseline and its power-law fit; squares and dashed lines: the 0.8 × baseline rule; grey triangles: plateau start. Black: the paper's fit 0.43 · N^0.81 (batch 128) rescaled to our batch at equal exposures per individual, solid over the paper's range (4k–256k) and dotted where extrapolated. Red upward triangles: runs whose plateau never ended, drawn at their step budget (a lower bound)."
fig, (ax, bx) = plt.subplots(1, 2, figsize=(12, 4.4))
xs = np.geomspace(N.min() * 0.85, N.max() * 1.18, 50) if N.max() > N.min() else np.array([N.min() * 0.8, N.min() * 1.25])
styles = [("0.9 × baseline", "plateau_end", "C0", "o", "-"), ("0.8 × baseline", "plateau_end_08", "C1", "s", "--")]
for rule, col, c, m, ls in styles:
    ok = summ[col].notna()
    f = fits[rule]
    lab = f"end, {rule}" + ("" if f is None else f": {f['a']:.3g}·N^{f['b']:.2f} (R² {f['r2']:.3f})")
    ax.plot(N[ok], summ[col][ok], m, color=c, label=lab)
    bx.plot(N[ok], (summ[col] * B / N)[ok], m, color=c, label=f"end, {rule}")
    if f is not None:
        ax.plot(xs, f["a"] * xs ** f["b"], ls, color=c, lw=1)
        bx.plot(xs, f["a"] * B0 * xs ** (f["b"] - 1), ls, color=c, lw=1)
ok = summ.plateau_start.notna()
ax.plot(N[ok], summ.plateau_start[ok], "^", color="grey", mfc="none", label="plateau start (within 10% of baseline)")
bx.plot(N[ok], (summ.plateau_start * B / N)[ok], "^", color="grey", mfc="none", label="plateau start")
never = summ.plateau_end.isna()
if never.any():
    ax.plot(N[never], T[never], "^", color="C3", ms=9, label="never left the plateau (≥ budget)")
    bx.plot(N[never], (T * B / N)[never], "^", color="C3", ms=9, label="never left (≥ budget)")
ax.plot(N, T, "_", color="k", ms=12, label="step budget")
pin = np.geomspace(PAPER["N_lo"], PAPER["N_hi"], 50)
ax.plot(xs, paper_steps(xs), ":", color="k", lw=1.2)
ax.plot(pin, paper_steps(pin), "-", color="k", lw=1.2, label=f"paper 0.43·N^0.81 @128, rescaled to batch {B0:.0f}")
bx.plot(xs, paper_exposures(xs), ":", color="k", lw=1.2)
bx.plot(pin, paper_exposures(pin), "-", color="k", lw=1.2, label="paper: 0.43·128·N^-0.19 (≈5–12)")
for a in (ax, bx): a.set_xscale("log"); a.set_yscale("log"); a.set_xlabel("individuals N")
bx.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}")); bx.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "1235" else ""))
ax.set_ylabel(f"plateau end (steps of {B0:.0f})"); bx.set_ylabel("exposures per individual at plateau end")
ax.legend(fontsize=7); bx.legend(fontsize=7)
ax.set_title("plateau end in steps"); bx.set_title("plateau end in exposures per individual")
fig.tight_layout(); fig.savefig(fig_dir / "scaling.png", dpi=120, bbox_inches="tight")

# %%
#| label: fig-scaling-curves
#| fig-cap: "Attribute loss of seen individuals on held-out templates for every population size, against training steps (left) and exposures per individual (right); grey line: the no-knowledge baseline; dots: the plateau end at 0.9 × baseline. Larger populations stay on the plateau longer in steps, and the curves come closer together when counted in exposures per individual."
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
cmap = plt.get_cmap("viridis")
lo, hi = np.log(N.min()), np.log(N.max())
for i, s in summ.iterrows():
    run = df[df.run == s["run"]].sort_values("step")
    col = cmap(0.05 + 0.85 * ((np.log(s["n_individuals"]) - lo) / (hi - lo) if hi > lo else 0.5))
    x_exp = run.step * s["batch_size"] / s["n_individuals"]
    lab = f"N = {int(s['n_individuals']):,}" + ("" if s["status"] == "left the plateau" else f" ({s['status']})")
    for a, x in zip(axes, (run.step, x_exp)):
        a.plot(x, run.seen_loss, color=col, label=lab)
        if np.isfinite(s["plateau_end"]):
            y = run.seen_loss[run.step == s["plateau_end"]]
            if len(y): a.plot(x[run.step == s["plateau_end"]], y, "o", color=col, ms=5)
for a in axes:
    a.axhline(base, color="grey", lw=1, label="no-knowledge baseline"); a.set_yscale("log")
    a.set_ylabel("attribute loss, held-out templates (nats)")
axes[0].set_xlabel("training step"); axes[1].set_xlabel("exposures per individual (step × batch / N)")
axes[1].set_xscale("log"); axes[0].legend(fontsize=8)
fig.tight_layout(); fig.savefig(fig_dir / "scaling_curves.png", dpi=120, bbox_inches="tight")


# %% [markdown]
# ## Numbers beside the paper's
# The paper's values are stated (fit, R², N range) or derived from its fit (exposures per individual).
# Wall time: from the first run's start to the last run's end (the runs' `DONE` markers), and the sum of the
# runs' own training times.

# %%
wall, run_secs = wall_time(experiment, preset, summ.run, runs_root=runs_root)

def fitcell(f, key, digits=3):
    return "no fit" if f is None else (f"{f[key]:.{digits}f}" if key != "a" else f"{f[key]:.3g}")

f9, f8, f5, fl = (fits[k] for k in fits)
left = summ.status == "left the plateau"
not_left = summ[~left]
not_left_txt = "none" if not len(not_left) else "; ".join(f"N = {int(r.n_individuals):,}: {r.status} in {int(r.steps):,} steps"
                                                           for r in not_left.itertuples())
ends = summ[summ.plateau_end.notna()].groupby("n_individuals").plateau_end.median()
local = [f"{n0:,.0f}→{n1:,.0f}: {np.log(e1 / e0) / np.log(n1 / n0):.2f}" for (n0, e0), (n1, e1) in zip(ends.items(), list(ends.items())[1:])]
band = ("no fit" if f9 is None else "yes" if 0.6 <= f9["b"] <= 1.0 and f9["r2"] >= 0.95 else
        "no: " + ", ".join(([f"exponent {f9['b']:.2f} outside 0.6–1.0"] if not 0.6 <= f9["b"] <= 1.0 else []) +
                           ([f"R² {f9['r2']:.3f} below 0.95"] if f9["r2"] < 0.95 else [])))
exp_rng = (f"{summ.exposures_end.min():.3g}–{summ.exposures_end.max():.3g}" if summ.exposures_end.notna().any() else "—")
sizes = ", ".join(f"{int(n):,}" for n in sorted(N.unique()))
rows = [
    dict(quantity="population sizes N", paper="4k, 8k, …, 256k (7 sizes, 64×)", ours=f"{sizes} ({N.max() / N.min():.3g}×)"),
    dict(quantity="batch / step budget", paper="128 / 16k for every N", ours=f"{B0:.0f} / " + ", ".join(f"{int(t):,}" for t in T)),
    dict(quantity="exponent b, end at 0.9 × baseline", paper="0.81 (rule not stated)", ours=fitcell(f9, "b")),
    dict(quantity="prefactor a (steps), 0.9 × baseline", paper=f"0.43 at batch 128 (= {PAPER['a'] * PAPER['batch'] / B0:.3g} at batch {B0:.0f})", ours=fitcell(f9, "a")),
    dict(quantity="R² (log space), 0.9 × baseline", paper="0.998", ours=fitcell(f9, "r2", 4)),
    dict(quantity="exponent b / R², end at 0.8 × baseline", paper="—", ours=f"{fitcell(f8, 'b')} / {fitcell(f8, 'r2', 4)}"),
    dict(quantity="exponent b / R², end at baseline − 0.5 nat", paper="—", ours=f"{fitcell(f5, 'b')} / {fitcell(f5, 'r2', 4)}"),
    dict(quantity="exponent of plateau length (end − start)", paper="—", ours=f"{fitcell(fl, 'b')} / R² {fitcell(fl, 'r2', 4)}"),
    dict(quantity="local exponents between consecutive N (0.9 × baseline)", paper="—", ours="; ".join(local) or "—"),
    dict(quantity="exponent in 0.6–1.0 and R² ≥ 0.95 (the issue's band)", paper="yes (0.81, 0.998)", ours=band),
    dict(quantity="runs in the 0.9 × baseline fit", paper="7", ours=f"{0 if f9 is None else f9['n']} of {len(summ)}"),
    dict(quantity="exposures per individual at plateau end", paper="11.4 (4k) → 5.2 (256k)", ours=exp_rng),
    dict(quantity="exponent of exposures at plateau end (b − 1)", paper="−0.19", ours="no fit" if f9 is None else f"{f9['b'] - 1:.3f}"),
    dict(quantity="runs whose plateau was not found to end", paper="none shown", ours=not_left_txt),
    dict(quantity="wall time of the experiment (s)", paper="600 TPUv3 h train (5 lrs × 7 N × 5 seeds)", ours=f"{wall:,.0f} (runs' own time {run_secs:,.0f})"),
]
per_run = [dict(N=int(r.n_individuals), steps=int(r.steps), **{"plateau start": r.plateau_start, "end 0.9×": r.plateau_end,
                "end 0.8×": r.plateau_end_08, "end −0.5 nat": r.plateau_end_minus05,
                "exposures at end (0.9×)": r.exposures_end, "paper fit, exposures at this N": float(paper_exposures(r.n_individuals)),
                "final loss": r.final_seen_loss, "final accuracy": r.final_seen_acc, "detector": r.status})
           for r in summ.itertuples()]
table = md_table(rows) + "\n" + md_table(per_run)
(fig_dir / "scaling_summary.md").write_text(table)

def clean(v):
    if isinstance(v, dict): return {k: clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [clean(x) for x in v]
    if isinstance(v, (np.integer,)): return int(v)
    if isinstance(v, (float, np.floating)): return float(v) if np.isfinite(v) else None
    return v

out = dict(baseline=base, batch_size=B0, population_sizes=sorted(N.unique().tolist()), fits=fits,
           paper=PAPER, wall_seconds=wall, run_seconds=run_secs, runs=per_run)
(fig_dir / "scaling.json").write_text(json.dumps(clean(out), indent=1))
print(table)
