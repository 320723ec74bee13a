"""Fault injection: a run killed (SIGKILL) at any point — inside a training step, during a checkpoint, metrics or
figure write — or refused by a full disk (ENOSPC) at any write site resumes to exactly the metrics of an
uninterrupted run, damaged checkpoints are moved aside, and no damaged run is ever reported complete or plotted."""
import json, os, signal, subprocess, sys, warnings
from pathlib import Path
import pandas as pd
import pytest
import factdyn.engine as E
import factdyn.runs as R

ROOT = Path(__file__).resolve().parents[1]
EXPS = ROOT / 'tests' / 'fixtures' / 'experiments'
# a tiny run: 40 steps, evaluations at 8 steps, checkpoints at 4 (+ the final one); ~2 s in a fresh process
TRAIN = """
import sys, warnings
from factdyn.data import World, WorldConfig
from factdyn.train import TrainConfig, train, default_model_config
w = World(WorldConfig(n_individuals=40, n_unseen=10))
tc = TrainConfig(steps=40, batch_size=8, lr=3e-3, n_eval=16, n_evals=8, n_dense=0, n_checkpoints=4)
with warnings.catch_warnings(record=True) as ws:
    warnings.simplefilter('always')
    train(w, tc, default_model_config(w, n_layer=1, n_head=2, d_model=16, d_mlp=32), out_dir=sys.argv[1], progress=False)
for x in ws: print('WARNING', x.message)
"""

def train_proc(out, fault=None):
    env = {**os.environ, 'OMP_NUM_THREADS': '1'}
    env.pop('FACTDYN_FAULT', None)
    if fault: env['FACTDYN_FAULT'] = fault
    return subprocess.run([sys.executable, '-c', TRAIN, str(out)], env=env, capture_output=True, text=True, timeout=300)

def metrics(out) -> pd.DataFrame:
    return pd.read_csv(Path(out) / 'metrics.csv').drop(columns='seconds')

def same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    pd.testing.assert_frame_equal(a, b, rtol=1e-6, atol=1e-7)
    return True

@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp('ref')
    p = train_proc(out)
    assert p.returncode == 0, p.stderr
    return metrics(out)

# kill points x repetitions: each entry is a sequence of faults, one per attempt, before a clean final attempt
KILLS = [['step@1'], ['step@17'], ['step@5', 'step@9', 'step@3'],            # inside training steps, repeatedly
         ['write:checkpoint@1'], ['write:checkpoint@3'], ['write:checkpoint@2', 'write:checkpoint@2'],
         ['write:metrics.csv@1'], ['write:metrics.csv@4'], ['write:metrics.csv@2', 'write:metrics.csv@3'],
         ['write:config.json@1'], ['write:step_000010.pt.sha256@1']]

@pytest.mark.parametrize('faults', KILLS, ids=['+'.join(k) for k in KILLS])
def test_killed_anywhere_resumes_to_identical_metrics(tmp_path, reference, faults):
    for f in faults:
        p = train_proc(tmp_path, f)
        assert p.returncode == -signal.SIGKILL, (f, p.returncode, p.stderr[-500:])
        assert not list(tmp_path.rglob('*.tmp*')) or all(x.stat().st_size >= 0 for x in tmp_path.rglob('*.tmp*'))
        if (tmp_path / 'metrics.csv').exists(): pd.read_csv(tmp_path / 'metrics.csv')   # never half a file
    p = train_proc(tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert same(metrics(tmp_path), reference)


@pytest.mark.parametrize('site', ['write:metrics.csv@3', 'write:checkpoint@2', 'write:config.json@1', 'step@4'])
def test_disk_full_is_a_clear_failure_and_resumes(tmp_path, reference, site):
    p = train_proc(tmp_path, 'enospc:' + site)
    assert p.returncode == 1
    if site.startswith('write:'):
        assert 'DiskFullError' in p.stderr and 'disk full while writing' in p.stderr, p.stderr[-800:]
    else:
        assert 'No space left on device' in p.stderr
    if (tmp_path / 'metrics.csv').exists(): pd.read_csv(tmp_path / 'metrics.csv')       # the previous version, intact
    for c in R.checkpoints(tmp_path).values(): assert R.verify_checkpoint(c) is None
    p = train_proc(tmp_path)                                                          # space is back
    assert p.returncode == 0, p.stderr[-2000:]
    assert same(metrics(tmp_path), reference)


def test_damaged_checkpoint_heals_on_resume(tmp_path, reference):
    assert train_proc(tmp_path, 'step@31').returncode == -signal.SIGKILL            # checkpoints at 0, 10, 20, 30
    newest = R.latest_checkpoint(tmp_path)
    newest.write_bytes(newest.read_bytes()[:1000])                                   # truncated, as a full disk leaves it
    p = train_proc(tmp_path)
    assert p.returncode == 0, p.stderr[-2000:]
    assert f'checkpoint {newest} is damaged' in p.stdout
    assert (tmp_path / 'ckpt' / 'damaged' / newest.name).exists()                    # moved aside, not deleted
    assert same(metrics(tmp_path), reference)


def test_every_checkpoint_damaged_restarts_from_zero(tmp_path, reference):
    assert train_proc(tmp_path, 'step@25').returncode == -signal.SIGKILL
    for c in R.checkpoints(tmp_path).values(): c.write_bytes(b'junk')
    p = train_proc(tmp_path)
    assert p.returncode == 0 and 'restarts from step 0' in p.stdout
    assert same(metrics(tmp_path), reference)


def test_damaged_metrics_of_an_interrupted_run_restarts_it(tmp_path, reference):
    assert train_proc(tmp_path, 'step@25').returncode == -signal.SIGKILL
    (tmp_path / 'metrics.csv').write_text('step,seen_loss\n0,"')
    p = train_proc(tmp_path)
    assert p.returncode == 0 and 'restarts from step 0' in p.stdout
    assert same(metrics(tmp_path), reference)


def test_engine_kill_and_disk_full_inside_the_kernel(tmp_path, monkeypatch):
    "Through the engine, on the smoke phases run: the kernel refused by a full disk, or killed mid-step, is a FAILED run that the next sweep completes with the metrics of an uninterrupted run."
    phases = E.load_experiment('phases', root=ROOT)
    clean = E.sweep(E.expand(phases, 'smoke', tmp_path / 'clean'), log_output=False, progress=False)
    assert clean.ok
    spec = E.expand(phases, 'smoke', tmp_path / 'runs')[0]
    monkeypatch.setenv('FACTDYN_FAULT', 'enospc:write:metrics.csv@2')
    r = E.sweep([spec], log_output=False, progress=False).runs[0]
    assert r.status == 'failed' and r.error.startswith('disk full while running'), r.error
    assert not E.is_complete(spec.run_dir) and 'disk full' in (Path(spec.run_dir) / 'FAILED').read_text()
    monkeypatch.setenv('FACTDYN_FAULT', 'step@25')                                   # the kernel dies inside a step
    r = E.sweep([spec], log_output=False, progress=False).runs[0]
    assert r.status == 'failed' and not E.is_complete(spec.run_dir)
    monkeypatch.delenv('FACTDYN_FAULT')
    r = E.sweep([spec], log_output=False, progress=False, results_root=tmp_path / 'results').runs[0]
    assert r.status == 'done'
    assert same(metrics(spec.run_dir), metrics(clean.runs[0].run_dir))
    assert len(R.results_runs('phases', 'smoke', tmp_path / 'results')) == 1


def test_figure_killed_mid_write_keeps_the_previous_figure(tmp_path):
    script = """
import sys, matplotlib; matplotlib.use('Agg')
from factdyn.figstyle import figure, save_figure
fig, ax = figure()
ax.plot([0, 1, 2], [float(sys.argv[2])] * 3, label='x'); ax.set_xlabel('step'); ax.set_ylabel('loss'); ax.set_title('t')
save_figure(fig, sys.argv[1])
"""
    png = tmp_path / 'f.png'
    env = {k: v for k, v in os.environ.items() if k != 'FACTDYN_FAULT'}
    assert subprocess.run([sys.executable, '-c', script, str(png), '1'], env=env).returncode == 0
    before = png.read_bytes()
    p = subprocess.run([sys.executable, '-c', script, str(png), '2'], env={**env, 'FACTDYN_FAULT': 'write:f.png@1'})
    assert p.returncode == -signal.SIGKILL and png.read_bytes() == before


def test_damaged_results_are_reported_never_plotted(tmp_path):
    res = tmp_path / 'results'
    spec = E.expand(E.load_experiment('toy', EXPS, ROOT), 'smoke', tmp_path / 'runs')[0]
    assert E.sweep([spec], log_output=False, progress=False, results_root=res).ok
    run = R.results_runs('toy', 'smoke', res)[0]
    (run.path / 'metrics.csv').write_bytes((run.path / 'metrics.csv').read_bytes()[:-3] + b'"x')
    with pytest.warns(UserWarning, match='is damaged and left out'):
        with pytest.raises(FileNotFoundError, match='no completed runs of toy/smoke'):
            R.figure_inputs('toy', 'smoke', res, tmp_path / 'figs')


def test_checkpoints_pruned_unless_another_experiment_reads_them(tmp_path):
    "`keep_checkpoints: final` (positions) keeps the last checkpoint only; phases (read by patching) keeps them all."
    spec = E.expand(E.load_experiment('positions', root=ROOT), 'smoke', tmp_path / 'runs')[0]
    assert spec.keep_checkpoints == 'final' and E.sweep([spec], log_output=False, progress=False).ok
    run = R.Run(Path(spec.run_dir))
    assert list(run.checkpoints) == [40] and run.done['checkpoints_pruned'] == 2
    assert E.expand(E.load_experiment('phases', root=ROOT), 'smoke')[0].keep_checkpoints == 'all'
