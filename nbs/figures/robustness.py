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
# # Figure: the three phases are robust (paper Fig C, App. C.1)
#
# Reads the completed runs of the `robustness` experiment — one factor at a time around a reference run:
# learning rate, weight decay, batch size (at a constant number of samples) and model size — and writes into
# `fig_dir`: `robustness.png` (the loss curves of each factor, batch size against samples seen),
# `robustness_plateau.png` (plateau end of every run, and how plateau end moves with model size compared with
# how it moves with the population, the latter from the `scaling` experiment's runs when they exist),
# `robustness_summary.md` (our numbers beside the paper's) and `robustness.json`.
#
# Which factor a run varies is read from the experiment definition: the run's parameters are compared with the
# preset's reference parameters (the template defaults, the experiment's and the preset's `fixed`).

# %%
import json
from pathlib import Path
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from matplotlib.ticker import FuncFormatter
from factdyn.engine import collect, collect_summaries, load_experiment, template_params, wall_time
from factdyn.analysis import fit_power_law, md_table, fmt

# %% tags=["parameters"]
experiment: str = "robustness"  # experiment whose runs are plotted
preset: str = "smoke"  # preset of those runs
runs_root: str = "../runs"  # the run store
fig_dir: str = "../figures/smoke"  # where images and tables are written

# %%
df, summ = collect(experiment, preset, runs_root=runs_root), collect_summaries(experiment, preset, runs_root=runs_root)
assert len(summ), f"no completed runs of {experiment}/{preset} under {runs_root}"
fig_dir = Path(fig_dir); fig_dir.mkdir(parents=True, exist_ok=True)
GROUPS = {"learning rate": ["lr"], "weight decay": ["weight_decay"], "batch size": ["batch_size", "steps"],
          "model size": ["n_layer", "n_head", "d_model", "d_mlp"]}
KEYS = [k for ks in GROUPS.values() for k in ks]
for c in ["plateau_start", "plateau_end", "plateau_end_08", "final_seen_loss", "final_seen_acc", "baseline",
          "non_embedding_params", "seconds"]:
    summ[c] = pd.to_numeric(summ[c], errors="coerce")
try:                                                     # the reference: template defaults < experiment fixed < preset fixed
    exp = load_experiment(experiment)
    ref = {k: p.value for k, p in template_params(exp.template).items()}
    ref.update(exp.fixed); ref.update((exp.presets.get(preset) or {}).get("fixed") or {})
    ref = {k: ref[k] for k in KEYS}
except Exception as e:                                   # no definition at hand: the most common value of each parameter
    print(f"reference from the runs' most common values ({e})")
    ref = {k: summ[k].mode().iloc[0] for k in KEYS}

def same(a, b) -> bool:
    num = isinstance(b, (int, float, np.number)) and not isinstance(b, (bool, np.bool_))
    return bool(np.isclose(float(a), float(b), rtol=1e-9, atol=0)) if num else a == b

def factor(r) -> str:
    "The factor a run varies relative to the reference: a GROUPS key, 'reference', or 'mixed'."
    diff = [g for g, ks in GROUPS.items() if any(not same(r[k], ref[k]) for k in ks)]
    return "reference" if not diff else diff[0] if len(diff) == 1 else "mixed"

def setting(r) -> str:
    f = r["factor"]
    if f == "learning rate": return f"lr {r['lr']:g}"
    if f == "weight decay": return f"wd {r['weight_decay']:g}"
    if f == "batch size": return f"batch {int(r['batch_size'])} × {int(r['steps']):,} steps"
    if f == "model size": return f"{int(r['n_layer'])} × {int(r['d_model'])} ({r['non_embedding_params'] / 1e6:.2f}M)"
    if f == "reference":
        return (f"lr {r['lr']:g}, wd {r['weight_decay']:g}, batch {int(r['batch_size'])}, "
                f"{int(r['n_layer'])} × {int(r['d_model'])} ({r['non_embedding_params'] / 1e6:.2f}M)")
    return "mixed: " + ", ".join(f"{k} {r[k]}" for k in KEYS if not same(r[k], ref[k]))

summ["factor"] = summ.apply(factor, axis=1)
summ["setting"] = summ.apply(setting, axis=1)
summ["samples_end"] = summ.plateau_end * summ.batch_size
summ["exposures_end"] = summ.samples_end / summ.n_individuals
summ["ratio"] = summ.final_seen_loss / summ.baseline
summ["phases"] = np.where(summ.plateau_start.isna(), "never reached the baseline",
                          np.where(summ.plateau_end.isna(), "never left the plateau", "three phases"))
base = float(summ.baseline.iloc[0])
reference = summ[summ.factor == "reference"]
print("reference:", ref)
print(summ[["factor", "setting", "plateau_start", "plateau_end", "samples_end", "final_seen_loss", "phases"]].to_string())

# %%
#| label: fig-robustness
#| fig-cap: "Attribute loss of seen individuals on held-out templates when one factor at a time is changed from the reference run (black): learning rate, weight decay, batch size (against samples seen, at a constant number of samples) and model size (layers × width, non-embedding parameters). Grey line: no-knowledge baseline; dots: plateau end (0.9 × baseline)."
present = [g for g in GROUPS if (summ.factor == g).any()]
extra = summ[summ.factor == "mixed"]
panels = present + (["mixed"] if len(extra) else []) or ["reference"]
fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8), squeeze=False)
for ax, g in zip(axes[0], panels):
    grp = summ[summ.factor == g]
    if g in ("learning rate", "weight decay", "batch size"):
        key = {"learning rate": "lr", "weight decay": "weight_decay", "batch size": "batch_size"}[g]
        grp = grp.sort_values(key)
    elif g == "model size": grp = grp.sort_values("non_embedding_params")
    xkey = "samples" if g == "batch size" else "step"
    cols = plt.get_cmap("plasma")(np.linspace(0.1, 0.85, max(len(grp), 1)))
    for (_, r), c in zip(list(reference.iterrows()) + list(grp.iterrows()), ["k"] * len(reference) + list(cols)):
        run = df[df.run == r["run"]].sort_values("step")
        lab = ("reference: " if r["factor"] == "reference" else "") + r["setting"]
        ax.plot(run[xkey], run.seen_loss, color=c, lw=1.6 if r["factor"] == "reference" else 1.2, label=lab)
        if np.isfinite(r["plateau_end"]):
            hit = run.step == r["plateau_end"]
            ax.plot(run[xkey][hit], run.seen_loss[hit], "o", color=c, ms=4)
    ax.axhline(base, color="grey", lw=1); ax.set_yscale("log")
    ax.set_title(g); ax.set_xlabel("samples seen" if xkey == "samples" else "training step")
    ax.legend(fontsize=6)
axes[0][0].set_ylabel("attribute loss, held-out templates (nats)")
fig.tight_layout(); fig.savefig(fig_dir / "robustness.png", dpi=120, bbox_inches="tight")

# %% [markdown]
# ## Plateau length: model size against population
# How much the plateau end moves when the model grows, compared with how much it moves when the population
# grows. Left: plateau end (0.9 × baseline) of every run in exposures per individual (samples / N, so that
# batch-size variants compare at equal data); runs whose plateau never ended are drawn at their budget.
# Right: plateau end relative to the reference against model size relative to the reference, beside plateau
# end relative to the scaling fit at the reference population against N relative to it (the `scaling`
# experiment's runs of the same preset, when they exist); the slopes are the elasticities
# d log(plateau end) / d log(size).

# %%
try:
    sc = collect_summaries("scaling", preset, runs_root=runs_root)
except Exception as e:
    print("no scaling runs:", e); sc = pd.DataFrame()
if len(sc):
    sc["plateau_end"] = pd.to_numeric(sc.plateau_end, errors="coerce")
    sc = sc[sc.plateau_end.notna() & (sc.plateau_end > 0)]

def fit(x, y) -> dict | None:
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    return fit_power_law(x[ok], y[ok]) if len(np.unique(x[ok])) >= 2 else None

model_runs = summ[summ.factor.isin(["model size", "reference"])]
f_model = fit(model_runs.non_embedding_params, model_runs.plateau_end)
f_pop = fit(sc.n_individuals, sc.plateau_end) if len(sc) else None
n_ref = float(reference.n_individuals.iloc[0]) if len(reference) else float(summ.n_individuals.iloc[0])
ref_end = float(reference.plateau_end.iloc[0]) if len(reference) and np.isfinite(reference.plateau_end.iloc[0]) else np.nan
ref_params = float(reference.non_embedding_params.iloc[0]) if len(reference) else np.nan
print("model-size fit:", f_model, "\npopulation fit (scaling):", f_pop)

# %%
#| label: fig-robustness-plateau
#| fig-cap: "Left: plateau end (0.9 × baseline) of every run in exposures per individual; red triangles: runs whose plateau never ended (drawn at their budget); the dotted line is the reference run. Right: how the plateau end moves with model size (circles, relative to the reference run) and with the population (squares, the scaling experiment relative to its fit at the reference population), log–log; lines are power-law fits and their slopes the elasticities."
fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 0.35 * len(summ) + 3.2), gridspec_kw=dict(width_ratios=[1.2, 1]))
order = [g for g in ["reference", *GROUPS, "mixed"] if (summ.factor == g).any()]
COLORS = {"reference": "k", "learning rate": "C0", "weight decay": "C2", "batch size": "C1", "model size": "C4", "mixed": "C5"}
rows = pd.concat([summ[summ.factor == g] for g in order]).reset_index(drop=True)
for i, r in rows.iterrows():
    budget = r["steps"] * r["batch_size"] / r["n_individuals"]
    c = COLORS.get(r["factor"], "C5")
    if np.isfinite(r["exposures_end"]): ax.plot(r["exposures_end"], i, "o", color=c)
    else: ax.plot(budget, i, "^", color="C3", ms=9)
    ax.plot(budget, i, "|", color="grey", ms=10)
ax.set_yticks(range(len(rows))); ax.set_yticklabels([f"{r.factor}: {r.setting}" for r in rows.itertuples()], fontsize=7)
ax.invert_yaxis(); ax.set_xlim(left=0)
if len(reference) and np.isfinite(reference.exposures_end.iloc[0]):
    ax.axvline(reference.exposures_end.iloc[0], color="k", ls=":", lw=1)
ax.set_xlabel("plateau end, exposures per individual (grey ticks: budget)")
if np.isfinite(ref_end) and np.isfinite(ref_params):
    ok = model_runs.plateau_end.notna()
    bx.plot(model_runs.non_embedding_params[ok] / ref_params, model_runs.plateau_end[ok] / ref_end, "o", color="C0",
            label="model size" + ("" if f_model is None else f": slope {f_model['b']:.2f}"))
    nl = model_runs[~ok]
    if len(nl): bx.plot(nl.non_embedding_params / ref_params, nl.steps / ref_end, "^", color="C3", ms=9, label="never left (≥ budget)")
    if f_model is not None:
        xs = np.geomspace(model_runs.non_embedding_params.min(), model_runs.non_embedding_params.max(), 20)
        bx.plot(xs / ref_params, f_model["a"] * xs ** f_model["b"] / ref_end, "-", color="C0", lw=1)
if f_pop is not None:
    end_at_ref = f_pop["a"] * n_ref ** f_pop["b"]
    bx.plot(sc.n_individuals / n_ref, sc.plateau_end / end_at_ref, "s", color="C2",
            label=f"population (scaling runs): slope {f_pop['b']:.2f}")
    xs = np.geomspace(sc.n_individuals.min(), sc.n_individuals.max(), 20)
    bx.plot(xs / n_ref, f_pop["a"] * xs ** f_pop["b"] / end_at_ref, "-", color="C2", lw=1)
rel = pd.concat([model_runs.non_embedding_params / ref_params, sc.n_individuals / n_ref if len(sc) else pd.Series(dtype=float)]).astype(float)
rel = rel[np.isfinite(rel) & (rel > 0)]
xs = np.geomspace(min(rel.min(), 1.0) / 1.5, max(rel.max(), 1.0) * 1.5, 20) if len(rel) else np.geomspace(0.5, 2, 20)
bx.plot(xs, xs ** 0.81, ":", color="k", lw=1, label="paper, population: slope 0.81")
bx.axhline(1, color="grey", lw=1, label="paper, model size: ≈ flat")
bx.set_xscale("log"); bx.set_yscale("log")
for axis in (bx.xaxis, bx.yaxis):
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}")); axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:.0e}"[0] in "1235" else ""))
bx.set_xlabel("size relative to the reference (non-embedding parameters, or N)")
bx.set_ylabel("plateau end relative to the reference"); bx.legend(fontsize=7)
fig.tight_layout(); fig.savefig(fig_dir / "robustness_plateau.png", dpi=120, bbox_inches="tight")


# %% [markdown]
# ## Numbers beside the paper's
# The paper's final losses (at 16k steps, baseline 6.78) are read off Fig C; ours are final losses on held-out
# templates at the end of each run, also as a fraction of our baseline (5.69 with the CPU pools).

# %%
wall, run_secs = wall_time(experiment, preset, summ.run, runs_root=runs_root)

def listing(g, col="ratio") -> str:
    "setting: value pairs of one factor's runs (and the reference), or — when the factor was not run."
    grp = summ[summ.factor == g]
    if not len(grp): return "not run"
    key = {"learning rate": "lr", "weight decay": "weight_decay", "batch size": "batch_size", "model size": "non_embedding_params"}[g]
    grp = pd.concat([grp, reference]).sort_values(key)
    lab = {"learning rate": lambda r: f"{r.lr:g}", "weight decay": lambda r: f"{r.weight_decay:g}",
           "batch size": lambda r: f"{int(r.batch_size)}", "model size": lambda r: f"{int(r.n_layer)}×{int(r.d_model)}"}[g]
    return "; ".join(f"{lab(r)}: {fmt(getattr(r, col))}" for r in grp.itertuples())

three = int((summ.phases == "three phases").sum())
mr = model_runs.plateau_end.dropna()
pop_ratio = None if f_pop is None else 8 ** f_pop["b"]
rows_cmp = [
    dict(quantity="runs showing the three phases (reach the baseline, then leave it)", paper="all variants",
         ours=f"{three} of {len(summ)}" + ("" if three == len(summ) else " (" + "; ".join(
             f"{r.setting}: {r.phases}" for r in summ[summ.phases != "three phases"].itertuples()) + ")")),
    dict(quantity="learning rate: final loss / baseline",
         paper="1e-4: ≈0.3 (slow); 2e-4–8e-4: 3e-3–7e-3; 1.6e-3: ≈0.7 (barely leaves)", ours=listing("learning rate")),
    dict(quantity="weight decay: final loss / baseline", paper="0.01–0.3: 1.5e-3–3e-3; 1.0: ≈1.5e-2", ours=listing("weight decay")),
    dict(quantity="batch size (equal samples): final loss / baseline", paper="32–256: smaller slightly better; 512 worst (≈3e-2)",
         ours=listing("batch size")),
    dict(quantity="batch size: plateau end in samples", paper="(plot)", ours=listing("batch size", "samples_end")),
    dict(quantity="model size: final loss / baseline", paper="50m: 2.2e-3; 150m, 400m: ≈4.4e-4", ours=listing("model size")),
    dict(quantity="model size: plateau end (steps)", paper="about the same for 50m–400m", ours=listing("model size", "plateau_end")),
    dict(quantity="model size: plateau end max / min", paper="≈1 (8× parameters)",
         ours="—" if len(mr) < 2 else f"{mr.max() / mr.min():.3g} over {model_runs.non_embedding_params.max() / model_runs.non_embedding_params.min():.3g}× parameters"),
    dict(quantity="elasticity of plateau end to model size", paper="≈0", ours="no fit" if f_model is None else f"{f_model['b']:.3f}"),
    dict(quantity="elasticity of plateau end to population N (scaling runs)", paper="0.81",
         ours="no scaling runs" if f_pop is None else f"{f_pop['b']:.3f} (8× N moves it {pop_ratio:.3g}×)"),
    dict(quantity="wall time of the experiment (s)", paper="weight decay, batch, size: ≈800 TPUv3 h train",
         ours=f"{wall:,.0f} (runs' own time {run_secs:,.0f})"),
]
per_run = [{"factor": r.factor, "setting": r.setting, "steps": int(r.steps), "plateau start": r.plateau_start,
            "plateau end": r.plateau_end, "end (samples)": r.samples_end, "end (exposures)": r.exposures_end,
            "final loss": r.final_seen_loss, "final / baseline": r.ratio, "final accuracy": r.final_seen_acc,
            "phases": r.phases, "seconds": r.seconds} for r in rows.itertuples()]
table = md_table(rows_cmp) + "\n" + md_table(per_run)
(fig_dir / "robustness_summary.md").write_text(table)

def clean(v):
    if isinstance(v, dict): return {k: clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)): return [clean(x) for x in v]
    if isinstance(v, (np.integer,)): return int(v)
    if isinstance(v, (np.bool_,)): return bool(v)
    if isinstance(v, (float, np.floating)): return float(v) if np.isfinite(v) else None
    return v

out = dict(baseline=base, reference=ref, fit_model_size=f_model, fit_population=f_pop, wall_seconds=wall,
           run_seconds=run_secs, runs=per_run)
(fig_dir / "robustness.json").write_text(json.dumps(clean(out), indent=1))
print(table)
