"""The benchmark suite's code paths at a tiny size: every figure present in the JSON. No timing assertions
(the suite itself is run with `make bench`; its numbers are ratios measured in one run, see benchmarks/README.md)."""
import importlib.util, json, sys
import pytest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def _load(name):
    spec = importlib.util.spec_from_file_location(f'bench_{name}', ROOT / 'benchmarks' / f'{name}.py')
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod

@pytest.fixture(scope='module', autouse=True)
def one_thread():
    "One torch thread: on a shared machine two threads slow down tenfold under contention; no figure is checked here."
    import torch
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

@pytest.fixture(scope='module')
def bench(): return _load('run')

@pytest.fixture(scope='module')
def tiny_run(bench, tmp_path_factory):
    out = tmp_path_factory.mktemp('bench')
    return bench.run_suite('tiny', out, quiet=True), out

def test_every_figure_present(tiny_run):
    "Every figure with its reference column (needs the `bench` extra; test_without_transformers covers its absence)."
    pytest.importorskip('transformers')
    res, out = tiny_run
    saved = json.loads((out / 'latest.json').read_text())
    assert len(list(out.glob('*.json'))) == 2                            # <host>-<date>.json and latest.json
    assert set(saved) >= {'meta', 'targets', 'checks', 'figures', 'table'}
    F = saved['figures']
    assert set(F) >= {'throughput', 'generation', 'eval', 'population', 'width', 'multiseed'}
    th = F['throughput']
    for side in ('factdyn', 'gpt2'):
        assert set(th[side]) >= {'tokens_per_s', 'ms_per_step', 'gflops', 'mfu'}
        assert th[side]['tokens_per_s'] > 0 and 0 < th[side]['mfu'] < 1.5
    assert th['ratio'] > 0 and th['peak_gflops']['median'] > 0
    assert F['generation']['ratio'] > 0
    assert F['eval']['factdyn']['fraction'] > 0 and F['eval']['gpt2']['fraction'] > 0
    assert [p['n_individuals'] for p in F['population']['points']] == [100, 1000]
    assert all(p['factdyn']['ms_per_step'] > 0 and p['gpt2']['ms_per_step'] > 0 for p in F['width']['points'])
    for c in F['multiseed']['configs'].values():
        assert {'sequential_ms', 'stacked_ms', 'vmap_ms', 'speedup_stacked', 'speedup_vmap'} <= set(c)
    assert set(saved['checks']) == {'throughput', 'mfu', 'generation', 'eval', 'population'}
    for row in ('tokens/s', 'MFU', 'consumption', 'eval / training', 'individuals', 'width', 'seeds'):
        assert row in saved['table']

def test_without_transformers(bench, monkeypatch, capsys):
    "No transformers: a clear install hint, the reference column empty, every factdyn figure still there."
    monkeypatch.setattr(bench, 'load_gpt2', lambda: None)
    monkeypatch.setattr(bench, 'bench_multiseed', lambda S: dict(seeds=0, configs={}, best_speedup=0.0, threshold=1.3, adopted=False))
    res = bench.run_suite('tiny', None, quiet=True)
    assert "pip install -e '.[bench]'" in capsys.readouterr().err
    assert res['figures']['throughput']['gpt2'] is None and res['figures']['throughput']['ratio'] is None
    assert res['figures']['eval']['gpt2'] is None and res['checks']['throughput'] is None
    assert res['figures']['throughput']['factdyn']['tokens_per_s'] > 0
    assert "pip install -e '.[bench]'" in res['table']

def test_multiseed_matches_sequential_models():
    "The stacked model computes each seed's own loss (its speed is what the suite measures)."
    import torch
    ms = _load('multiseed')
    from factdyn.data import World, WorldConfig, UniformSampler, batch_rng
    from factdyn.model import Transformer
    from factdyn.train import default_model_config
    w = World(WorldConfig(n_individuals=50, n_unseen=10))
    mc = default_model_config(w, n_layer=1, n_head=2, d_model=16, d_mlp=32)
    data = [w.biographies(UniformSampler(w.seen)(0, batch_rng(s, 0), 4), batch_rng(s, 0)).torch()[:2] for s in (0, 1)]
    st = ms.StackedTransformer(mc, [0, 1])
    ref = sum(Transformer(mc, torch.Generator().manual_seed(s)).loss(*data[s]) for s in (0, 1))
    assert torch.allclose(st.loss(*ms.stack_batches(data)), ref, atol=1e-5)

def test_gpu_check_tiny(tmp_path):
    "The GPU check's code path, on CPU at a tiny size (its numbers mean nothing here)."
    gc = _load('gpu_check')
    res = gc.main(['--tiny', '--no-compile', '--out', str(tmp_path)])
    saved = json.loads((tmp_path / 'gpu-tiny-latest.json').read_text())
    r = saved['runs']['eager']
    assert r['steps_per_s'] > 0 and r['tokens_per_s'] > 0 and r['projection']['total_s'] > 0
    assert saved['meta']['tiny'] and not saved['meta']['measured']
    assert 'projected full run' in res['table']
