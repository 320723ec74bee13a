"""The experiment engine end to end, on tiny fixture templates (no torch): validation before any run, the run store
(skip, retry after a kill or a failure), concurrent sweeps, the process-pool and Dask paths, and the CLI."""
import dataclasses, json, os, shutil, signal, subprocess, sys, time
from pathlib import Path
import pytest
import factdyn.engine as E
import factdyn.runs as R
from factdyn.cli import main

ROOT = Path(__file__).resolve().parents[1]
FX = ROOT / 'tests' / 'fixtures'
EXPS = FX / 'experiments'
CLI = [sys.executable, '-c', 'import sys; from factdyn.cli import main; sys.exit(main())']


def toy(): return E.load_experiment('toy', EXPS, ROOT)

def executions(run_dir) -> int:
    "How many times the fixture template started in this run folder (it appends one line per execution)."
    f = Path(run_dir) / 'executions.txt'
    return len(f.read_text().splitlines()) if f.exists() else 0

def cli(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err

def run_dirs(runs_root) -> set:
    return {str(p.relative_to(runs_root)) for p in Path(runs_root).glob('*/*/*') if p.is_dir() and not p.name.startswith('_')}


def test_bad_parameters_rejected_before_any_run(tmp_path, capsys):
    exps, runs = tmp_path / 'exps', tmp_path / 'runs'
    shutil.copytree(EXPS, exps)
    tpl = 'tests/fixtures/templates/toy.ipynb'
    # `aaa` sorts and orders first, `zzz` is valid but would run first in its own sweep: neither may start
    (exps / 'typo.yaml').write_text(f'name: typo\ntemplate: {tpl}\npresets:\n  smoke: {{fixed: {{lrr: 0.1}}, grid: {{seed: [0, 1]}}}}\n')
    (exps / 'ranges.yaml').write_text(f'name: ranges\ntemplate: {tpl}\nneeds: [other]\npresets:\n'
                                      '  smoke: {grid: {lr: [0.5, 1.5]}}\n  kinds: {fixed: {mode: c, seed: true, steps: 2.5}}\n'
                                      '  outdir: {fixed: {out_dir: /tmp/x}}\n')
    code, out, err = cli(capsys, 'reproduce', '--preset', 'smoke', '--experiments-dir', exps, '--runs-root', runs,
                         '--figures-dir', tmp_path / 'figs', '-q')
    assert code == 2
    assert "unknown parameter 'lrr' (did you mean 'lr'?)" in err
    assert 'steps: int = 3' in err and 'lr: float = 0.1' in err        # the valid names with their defaults
    assert 'lr=1.5 is out of range [0, 1]' in err
    assert not runs.exists() and '...done' not in out                  # toy and other (valid) did not run either
    # a sweep whose last run is bad runs none of its runs
    code, _, err = cli(capsys, 'sweep', 'ranges', '--preset', 'smoke', '--experiments-dir', exps, '--runs-root', runs)
    assert code == 2 and 'lr=1.5 is out of range' in err and not runs.exists()
    code, _, err = cli(capsys, 'sweep', 'ranges', '--preset', 'kinds', '--experiments-dir', exps, '--runs-root', runs)
    assert code == 2 and "mode='c' is not one of {a|b}" in err
    assert 'seed=True has type bool, expected int' in err and 'steps=2.5 has type float, expected int' in err
    code, _, err = cli(capsys, 'sweep', 'ranges', '--preset', 'outdir', '--experiments-dir', exps, '--runs-root', runs)
    assert code == 2 and 'out_dir is set by the engine' in err
    code, _, err = cli(capsys, 'run', 'toy', '--preset', 'smoke', '-p', 'stesp=3', '--experiments-dir', exps, '--runs-root', runs)
    assert code == 2 and "unknown parameter 'stesp'" in err
    code, _, err = cli(capsys, 'sweep', 'toy', '--preset', 'paper', '--experiments-dir', exps, '--runs-root', runs)
    assert code == 2 and "no preset 'paper'" in err
    code, _, err = cli(capsys, 'sweep', 'missing', '--preset', 'smoke', '--experiments-dir', exps, '--runs-root', runs)
    assert code == 2 and "unknown experiment 'missing'" in err
    assert not runs.exists()
    with pytest.raises(E.ExperimentError) as ei: E.expand(E.load_experiment('ranges', exps, ROOT), 'smoke', runs)
    assert len(ei.value.errors) == 1 and 'run lr=1.5' in ei.value.errors[0]


def test_sweep_rerun_skips_complete_runs(tmp_path, capsys):
    runs = tmp_path / 'runs'
    specs = E.expand(toy(), 'smoke', runs)
    rep = E.sweep(specs, log_output=False)
    out = capsys.readouterr().out
    assert [r.status for r in rep.runs] == ['done', 'done'] and rep.ok
    assert '[1/2] toy seed=0 ...done (' in out and '[2/2] toy seed=1 ...done (' in out
    for s in specs:
        d = Path(s.run_dir)
        assert d.parent == runs.resolve() / 'toy' / 'smoke' and d.name.startswith(s.label + '-')
        assert {'DONE', 'params.json', 'notebook.ipynb', 'metrics.csv', 'summary.json', 'ckpt'} <= {p.name for p in d.iterdir()}
        assert json.loads((d / 'params.json').read_text()) == s.params and executions(d) == 1
        assert {'start', 'end', 'seconds', 'hostname'} <= set(json.loads((d / 'DONE').read_text()))
    stamps = [Path(s.run_dir, 'DONE').stat().st_mtime_ns for s in specs]
    code, out, _ = cli(capsys, 'sweep', 'toy', '--preset', 'smoke', '--experiments-dir', EXPS, '--runs-root', runs, '-q')
    assert code == 0 and out.count('skipped (complete)') == 2 and '...done' not in out
    assert [executions(s.run_dir) for s in specs] == [1, 1]
    assert [Path(s.run_dir, 'DONE').stat().st_mtime_ns for s in specs] == stamps
    df = R.collect('toy', 'smoke', runs)
    assert len(df) == 4 and sorted(df.seed.unique()) == [0, 1] and set(df.run) == {s.name for s in specs}
    assert {'step', 'loss', 'steps', 'lr', 'mode'} <= set(df.columns)
    sm = R.collect_summaries('toy', 'smoke', runs)
    assert len(sm) == 2 and (sm.resumed_from == 0).all()
    st = E.status(runs_root=runs, experiments_dir=EXPS).set_index(['experiment', 'preset'])
    assert st.loc[('toy', 'smoke'), ['runs', 'done', 'failed', 'pending']].tolist() == [2, 2, 0, 0]
    assert st.loc[('toy', 'cpu'), ['runs', 'done', 'pending']].tolist() == [4, 0, 4]


def _gone(pid: int) -> bool:
    try: os.kill(pid, 0)
    except ProcessLookupError: return True
    try: return ' Z ' in Path(f'/proc/{pid}/stat').read_text().split(')', 1)[1][:4]
    except OSError: return True


def test_killed_run_is_retried_and_completes(tmp_path):
    runs = tmp_path / 'runs'
    spec = E.expand(toy(), 'slow', runs)[0]
    d = Path(spec.run_dir)
    with open(tmp_path / 'log', 'w') as log:
        p = subprocess.Popen(CLI + ['sweep', 'toy', '--preset', 'slow', '--experiments-dir', str(EXPS), '--runs-root', str(runs)],
                             start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
        t0 = time.time()
        while not (d / 'sleeping').exists():                             # the kernel is inside its 60 s sleep
            assert p.poll() is None and time.time() - t0 < 60, (tmp_path / 'log').read_text()
            time.sleep(0.1)
        assert E.run_state(d) == 'running'
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    assert not (d / 'DONE').exists() and not (d / 'FAILED').exists() and executions(d) == 1
    assert E.run_state(d) == 'incomplete'                                 # the OS released the lock
    kernel = int((d / 'executions.txt').read_text().split()[0])
    t0 = time.time()
    while not _gone(kernel) and time.time() - t0 < 15: time.sleep(0.2)   # the orphaned kernel exits by itself
    assert _gone(kernel)
    rep = E.sweep([spec], log_output=False, progress=False)
    assert [r.status for r in rep.runs] == ['done'] and (d / 'DONE').exists() and executions(d) == 2
    assert json.loads((d / 'summary.json').read_text())['resumed_from'] == 1     # its checkpoint was kept
    assert E.run_state(d) == 'done'


def test_failed_run_is_recorded_and_retried(tmp_path, capsys):
    runs, flag = tmp_path / 'runs', tmp_path / 'flag'
    flag.touch()
    bad = E.expand(toy(), 'smoke', runs, overrides={'fail_if': str(flag)})[0]
    good = E.expand(toy(), 'smoke', runs)[1]
    rep = E.sweep([bad, good], log_output=False)
    out = capsys.readouterr().out
    assert [r.status for r in rep.runs] == ['failed', 'done']             # the failure did not stop the next run
    assert rep.runs[0].error == f'RuntimeError: flag file {flag} exists'
    assert f'toy seed=0_fail_if=' in out and 'FAILED: RuntimeError: flag file' in out
    d = Path(bad.run_dir)
    text = (d / 'FAILED').read_text()
    assert text.startswith('RuntimeError: flag file') and 'raise RuntimeError' in text
    assert not (d / 'DONE').exists() and E.run_state(d) == 'failed'
    nb = json.loads((d / 'notebook.ipynb').read_text())
    assert nb['metadata']['papermill']['exception'] is True
    assert R.collect('toy', 'smoke', runs).run.unique().tolist() == [good.name]
    where = ['--experiments-dir', EXPS, '--runs-root', runs, '--results-root', tmp_path / 'results']
    code, _, err = cli(capsys, 'run', 'toy', '--preset', 'smoke', '-p', f'fail_if={flag}', '-q', *where)
    assert code == 1 and 'RuntimeError: flag file' in err and executions(d) == 2
    flag.unlink()
    code, out, _ = cli(capsys, 'run', 'toy', '--preset', 'smoke', '-p', f'fail_if={flag}', '--threads', '3', '-q', *where)
    assert code == 0 and '...done' in out and executions(d) == 3
    assert (d / 'DONE').exists() and not (d / 'FAILED').exists() and E.run_state(d) == 'done'
    assert json.loads((d / 'summary.json').read_text())['threads'] == '3'


def test_two_concurrent_sweeps_run_each_run_exactly_once(tmp_path):
    runs = tmp_path / 'runs'
    args = CLI + ['sweep', 'toy', '--preset', 'pair', '--experiments-dir', str(EXPS), '--runs-root', str(runs), '-q']
    procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    specs = E.expand(toy(), 'pair', runs)
    assert len(specs) == 4 and run_dirs(runs) == {f'toy/pair/{s.name}' for s in specs}
    for s in specs:
        assert E.is_complete(s.run_dir) and not Path(s.run_dir, 'FAILED').exists()
        assert executions(s.run_dir) == 1, s.name
    assert sum(o.count('...done') for o, _ in outs) == 4                 # each run executed by exactly one sweep
    for o, _ in outs: assert o.count('...done') + o.count('skipped (complete)') == 4


def test_process_pool_path(tmp_path):
    runs = tmp_path / 'runs'
    specs = E.expand(toy(), 'smoke', runs)
    rep = E.sweep(specs, workers=2, log_output=False, progress=False)
    assert [r.status for r in rep.runs] == ['done', 'done']
    threads = str(max(1, os.cpu_count() // 2))
    for s in specs:
        assert E.is_complete(s.run_dir) and executions(s.run_dir) == 1
        assert json.loads(Path(s.run_dir, 'summary.json').read_text())['threads'] == threads


def test_dask_path_matches_sequential(tmp_path):
    distributed = pytest.importorskip('distributed')
    seq, dsk = tmp_path / 'seq', tmp_path / 'dask'
    rs = E.sweep(E.expand(toy(), 'cpu', seq), log_output=False, progress=False)
    import dask   # the cluster's scratch space goes under tmp_path, not to <system tmp>/dask-scratch-space
    with dask.config.set({'temporary-directory': str(tmp_path / 'dask-scratch')}), \
         distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        rd = E.sweep(E.expand(toy(), 'cpu', dsk), scheduler=cluster.scheduler_address, log_output=False, progress=False)
        with distributed.Client(cluster) as client:     # Dask's nanny gives its workers an aggressive malloc trim ...
            trims = set(client.run(lambda: os.environ.get('MALLOC_TRIM_THRESHOLD_', 'unset')).values())
    assert [r.status for r in rs.runs] == [r.status for r in rd.runs] == ['done'] * 4
    names = run_dirs(seq)
    assert len(names) == 4 and names == run_dirs(dsk)
    for n in names:
        a, b = seq / n, dsk / n
        assert (a / 'DONE').exists() and (b / 'DONE').exists()
        assert (a / 'params.json').read_text() == (b / 'params.json').read_text()
        assert (a / 'metrics.csv').read_text() == (b / 'metrics.csv').read_text()
        assert json.loads((a / 'summary.json').read_text())['threads'] == ''               # sequential: unset
        assert json.loads((b / 'summary.json').read_text())['threads'] == str(max(1, os.cpu_count() // 2))
        assert json.loads((b / 'summary.json').read_text())['malloc_trim'] == 'unset'      # ... that the kernels do not inherit
    assert trims != {'unset'}, trims


def test_cli_help_and_reproduce_end_to_end(tmp_path, capsys):
    code, out, _ = cli(capsys, '--help')
    assert code == 0 and all(c in out for c in ('list', 'run', 'sweep', 'status', 'reproduce', 'figures', 'results', 'exit codes'))
    for cmd, opts in dict(list=['--experiments-dir'], run=['--preset', '--param', '--threads', '--dry-run'],
                          sweep=['--preset', '--workers', '--scheduler', '--runs-root', '--threads', '--dry-run'],
                          status=['--runs-root', '--results-root'], figures=['--preset', '--only', '--figures-dir'],
                          reproduce=['--preset', '--workers', '--scheduler', '--only', '--runs-root', '--figures-dir',
                                     '--experiments-dir', '--threads', '--quiet']).items():
        code, out, _ = cli(capsys, cmd, '--help')
        assert code == 0 and all(o in out for o in opts), (cmd, out)
    r = subprocess.run([str(Path(sys.executable).parent / 'factdyn'), '--help'], capture_output=True, text=True)
    assert r.returncode == 0 and 'reproduce' in r.stdout                  # the console script

    runs, figs, res = tmp_path / 'runs', tmp_path / 'figs', tmp_path / 'results'
    code, out, err = cli(capsys, 'reproduce', '--preset', 'smoke', '--experiments-dir', EXPS, '--runs-root', runs,
                         '--figures-dir', figs, '--results-root', res, '--verbose')
    assert code == 0, err
    lines = [l for l in out.splitlines() if l.startswith('[')]
    assert [l.split(' ...')[0] for l in lines if '...done' in l] == ['[1/3] toy seed=0', '[2/3] toy seed=1', '[figure 1/1] toy figure',
                                                                     '[3/3] other run']   # figures right after their experiment
    assert 'step 2/2 loss' in err                                       # --verbose: the kernels' output streams to stderr
    csv = (figs / 'toy_smoke.csv').read_text().splitlines()
    assert csv[0] == 'seed,loss' and len(csv) == 3
    assert (runs / 'toy' / 'smoke' / '_figures' / 'figure.ipynb').exists()
    st = E.status(runs_root=runs, experiments_dir=EXPS).set_index(['experiment', 'preset'])
    assert st.loc[('toy', 'smoke'), 'done'] == 2 and st.loc[('other', 'smoke'), 'done'] == 1
    code, out, _ = cli(capsys, 'status', '--experiments-dir', EXPS, '--runs-root', runs)
    assert code == 0 and 'other' in out and 'pending' in out
    code, out, _ = cli(capsys, 'reproduce', '--preset', 'smoke', '--experiments-dir', EXPS, '--runs-root', runs,
                       '--figures-dir', figs, '--results-root', res, '--only', 'other', '-q')
    # `other` needs `toy`: both are planned, both complete; toy's figure runs again, and nothing changed
    assert code == 0 and '[3/3] other run skipped (complete)' in out and '[1/3] toy seed=0 skipped (complete)' in out
    assert 'against the committed results: 3 identical' in out
    # the figures alone, from the results store, reproduce the same table
    (figs / 'toy_smoke.csv').unlink()
    code, out, _ = cli(capsys, 'figures', '--preset', 'smoke', '--experiments-dir', EXPS, '--runs-root', runs,
                       '--figures-dir', figs, '--results-root', res, '-q')
    assert code == 0 and '1 figure notebook(s), 0 failed' in out and (figs / 'toy_smoke.csv').read_text().splitlines() == csv
    fig = E.run_figure(toy(), 'cpu', FX / 'templates' / 'figure.ipynb', res, figs, runs, log_output=False)   # no cpu runs
    assert fig.status == 'failed' and 'FileNotFoundError: no completed runs of toy/cpu' in fig.error
    assert Path(fig.run_dir) == runs.resolve() / 'toy' / 'cpu' / '_figures' / 'figure.ipynb' and Path(fig.run_dir).exists()
    code, out, _ = cli(capsys, 'figures', '--preset', 'cpu', '--experiments-dir', EXPS, '--runs-root', runs,
                       '--figures-dir', figs, '--results-root', res)
    assert code == 0 and 'skipped: no results of toy/cpu' in out and '--only toy' in out


def test_timeout_is_a_failure(tmp_path):
    spec = dataclasses.replace(E.expand(toy(), 'slow', tmp_path / 'runs')[0], timeout=2)   # the run sleeps 60 s
    t0 = time.time()
    r = E.execute_run(spec, log_output=False)
    assert r.status == 'failed' and r.error.startswith('CellTimeoutError') and time.time() - t0 < 30
    assert (Path(spec.run_dir) / 'FAILED').read_text().startswith('CellTimeoutError')
    assert E.run_state(spec.run_dir) == 'failed'


def test_needs_unknown_or_cyclic_refused_before_any_run(tmp_path, capsys):
    exps, runs = tmp_path / 'exps', tmp_path / 'runs'
    shutil.copytree(EXPS, exps)
    where = ['--experiments-dir', exps, '--runs-root', runs, '--results-root', tmp_path / 'results', '-q']
    (exps / 'other.yaml').write_text((exps / 'other.yaml').read_text().replace('needs: [toy]', 'needs: [toyy]'))
    code, _, err = cli(capsys, 'reproduce', '--preset', 'smoke', *where)
    assert code == 2 and "needs names unknown experiment 'toyy'" in err and not runs.exists()
    (exps / 'other.yaml').write_text((exps / 'other.yaml').read_text().replace('needs: [toyy]', 'needs: [toy]'))
    (exps / 'toy.yaml').write_text((exps / 'toy.yaml').read_text().replace('timeout: 60', 'needs: [other]\ntimeout: 60'))
    code, _, err = cli(capsys, 'reproduce', '--preset', 'smoke', *where)
    assert code == 2 and 'cycle' in err and 'other -> toy -> other' in err or 'toy -> other -> toy' in err
    assert not runs.exists()
    code, _, err = cli(capsys, 'list', '--experiments-dir', exps)
    assert code == 2 and 'cycle' in err


def test_unknown_yaml_key_is_named(tmp_path, capsys):
    exps = tmp_path / 'exps'; exps.mkdir()
    (exps / 'toy.yaml').write_text((EXPS / 'toy.yaml').read_text().replace('presets:', 'presetz:'))
    code, _, err = cli(capsys, 'sweep', 'toy', '--preset', 'smoke', '--experiments-dir', exps, '--runs-root', tmp_path / 'runs')
    assert code == 2 and "unknown key 'presetz' (did you mean 'presets'?)" in err
    assert 'presets must be a non-empty mapping' not in err


def test_sweep_exports_results_and_compares(tmp_path, capsys):
    runs, res = tmp_path / 'runs', tmp_path / 'results'
    where = ['--experiments-dir', EXPS, '--runs-root', runs, '--results-root', res, '-q']
    code, out, _ = cli(capsys, 'sweep', 'toy', '--preset', 'smoke', *where)
    assert code == 0 and 'against the committed results' not in out          # nothing committed before
    exported = R.results_runs('toy', 'smoke', res)
    assert [r.label for r in exported] == ['seed=0', 'seed=1']
    assert {p.name for p in exported[0].path.iterdir()} == {'DONE', 'params.json', 'metrics.csv', 'summary.json'}
    assert R.collect('toy', 'smoke', res).equals(R.collect('toy', 'smoke', runs))
    code, out, _ = cli(capsys, 'sweep', 'toy', '--preset', 'smoke', *where)
    assert code == 0 and 'against the committed results: 2 identical' in out
    s = exported[0].path / 'summary.json'
    s.write_text(json.dumps({**json.loads(s.read_text()), 'final_loss': 123.0}))   # a committed number that differs
    code, out, _ = cli(capsys, 'sweep', 'toy', '--preset', 'smoke', *where)
    assert code == 0 and '1 changed' in out and 'changed  toy/smoke/seed=0: final_loss 123.0 ->' in out
    code, out, _ = cli(capsys, 'status', *where[:-1])
    assert code == 0 and 'results store: 2 runs' in out
