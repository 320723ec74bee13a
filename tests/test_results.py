"""The committed results store: every figure rebuilds from it alone, and every table and JSON file the figure notebooks
write comes out identical to the committed one — the shipped figures follow from the shipped results."""
from pathlib import Path
import factdyn.engine as E
from factdyn.runs import results_runs

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / 'results'

def test_store_holds_sound_complete_runs():
    exps = sorted(p.name for p in RESULTS.iterdir() if (p / 'cpu').is_dir())
    assert exps, 'no committed results'
    for e in exps:
        runs = results_runs(e, 'cpu', RESULTS, check=False)
        assert runs and all(not r.problems() for r in runs), e
        assert all({'params.json', 'metrics.csv', 'summary.json', 'DONE'} <= {p.name for p in r.path.iterdir()} for r in runs), e
        assert not any(p.suffix in ('.pt', '.ipynb', '.png') for r in runs for p in r.path.rglob('*')), e

def test_figures_rebuild_identically_from_the_committed_results(tmp_path):
    rep = E.figures('cpu', root=ROOT, store=RESULTS, figures_dir=tmp_path / 'figs', runs_root=tmp_path / 'runs',
                    log_output=False, progress=False)
    assert not rep.failed, [f.error for f in rep.failed]
    done = [f for f in rep.figures if f.status == 'done']
    assert done, 'no figure notebook had results'
    built = sorted(p for p in (tmp_path / 'figs').iterdir() if p.suffix in ('.md', '.json'))
    assert {'claims.md', 'claims.json', 'timings.md'} <= {p.name for p in built}
    for p in built:
        assert p.read_text() == (ROOT / 'figures' / p.name).read_text(), f"figures/{p.name} does not follow from results/"
    # and nothing else is shipped: a file in figures/ that no notebook makes from results/ is left from an older run
    shipped = {p.name for p in (ROOT / 'figures').iterdir() if p.is_file()}
    made = {p.name for p in (tmp_path / 'figs').iterdir() if p.is_file()}
    assert shipped == made, f"in figures/ but not made from results/: {sorted(shipped - made)}; " \
                            f"made but not committed: {sorted(made - shipped)}"
