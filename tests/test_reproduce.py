"""`factdyn reproduce --preset smoke`: every registered experiment and figure notebook, end to end."""
import json, subprocess, sys
from pathlib import Path
import yaml
from factdyn.engine import list_experiments, load_experiment
from factdyn.runs import collect_summaries
from factdyn.claims import load_claims, evaluate_claims, VERDICTS

ROOT = Path(__file__).resolve().parents[1]

def test_reproduce_smoke_end_to_end(tmp_path):
    runs, figs, res = tmp_path / 'runs', tmp_path / 'figs', tmp_path / 'results'
    cmd = [str(Path(sys.executable).parent / 'factdyn'), 'reproduce', '--preset', 'smoke', '--runs-root', str(runs),
           '--figures-dir', str(figs), '--results-root', str(res), '-q']
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert 'summary:' in p.stdout and 'failed' not in p.stdout.split('summary:')[-1].replace('0 failed', ''), p.stdout[-2000:]
    names = [e.name for e in list_experiments(root=ROOT)]
    assert 'phases' in names
    for name in names:
        exp = load_experiment(name, root=ROOT)
        summ = collect_summaries(name, 'smoke', res)
        assert len(summ) >= 1, f"{name}: no completed smoke run"
        for f in exp.figures:
            assert (runs / name / 'smoke' / '_figures' / (Path(f).stem + '.ipynb')).exists()
    # the phases figure and its numbers were produced by the run
    assert (figs / 'phases.png').stat().st_size > 10_000
    ours = json.loads((figs / 'phases.json').read_text())
    assert ours['baseline'] > 5 and ours['final_loss'] > 0
    assert '| final accuracy |' in (figs / 'phases_summary.md').read_text()

    # the claims ledger evaluates on these results without an error, every experiment it reads has results
    df = evaluate_claims(load_claims(ROOT / 'claims.yaml'), res, 'smoke')
    assert set(df.verdict) <= set(VERDICTS)
    assert not (df.verdict == 'error').any(), df[df.verdict == 'error'][['id', 'ours']].to_string()
    assert (df.verdict != 'not run').all()
    assert (df[df.experiment.isna()].verdict == 'not attempted').all()
