"""Toy associative memory (App. F.4): determinism, replay sampling, learning, and collapse under fine-tuning."""
import math
import numpy as np
import pandas as pd
import pytest
import torch
from factdyn.toymemory import (make_task, ToyMLP, pretrain, toy_finetune, replay_probs, batch_indices, run_summary,
                               toy_evaluate, _generator)

torch.set_num_threads(1)

SMALL = dict(steps=600, batch_size=64, lr=0.03, hidden=32, seed=0)

@pytest.fixture(scope='module')
def small():
    task = make_task(256, 64, seed=0, d_key=16, n_classes=10)
    model, log = pretrain(task, **SMALL)
    return task, model, log

def test_task_is_deterministic_and_seeded():
    a, b, c = make_task(500, 50, seed=7), make_task(500, 50, seed=7), make_task(500, 50, seed=8)
    for x, y in [(a.old_keys, b.old_keys), (a.old_labels, b.old_labels), (a.new_keys, b.new_keys), (a.new_labels, b.new_labels)]:
        assert torch.equal(x, y)
    assert not torch.equal(a.old_keys, c.old_keys) and not torch.equal(a.new_labels, c.new_labels)
    assert a.old_keys.shape == (500, 64) and a.n_classes == 30 and math.isclose(a.baseline, math.log(30))
    assert torch.allclose(a.old_keys.norm(dim=1), torch.ones(500), atol=1e-5)
    # old and new pairs are distinct draws (no key repeated)
    assert torch.cdist(a.old_keys, a.new_keys).min() > 1e-3

def test_global_rng_is_not_used():
    torch.manual_seed(1); np.random.seed(1)
    a = make_task(100, 10, seed=3); m1 = ToyMLP(64, 16, 30, seed=3)
    torch.manual_seed(2); np.random.seed(2)
    b = make_task(100, 10, seed=3); m2 = ToyMLP(64, 16, 30, seed=3)
    assert torch.equal(a.old_keys, b.old_keys)
    assert all(torch.equal(p, q) for p, q in zip(m1.parameters(), m2.parameters()))

def test_pretrain_and_finetune_are_deterministic(small):
    task, model, log = small
    model2, log2 = pretrain(task, **SMALL)
    pd.testing.assert_frame_equal(log, log2)
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), model2.parameters()))
    kw = dict(steps=40, lr=0.003, batch_size=32)
    pd.testing.assert_frame_equal(toy_finetune(model, task, 16, 0.5, **kw), toy_finetune(model2, task, 16, 0.5, **kw))
    # a different replay weight gives a different batch stream, hence a different log
    assert not toy_finetune(model, task, 16, 0.25, **kw).old_loss.equals(toy_finetune(model, task, 16, 0.5, **kw).old_loss)

@pytest.mark.parametrize('n_old,n_new,w', [(2, 1, 2.0), (8192, 128, 1 / 512), (100, 10, 0.125), (50, 20, 1.0)])
def test_replay_sampling_frequencies(n_old, n_new, w):
    p = replay_probs(n_old, n_new, w)
    assert math.isclose(p[0].item(), w / (w * n_old + n_new)) and math.isclose(p[-1].item(), 1 / (w * n_old + n_new))
    n = 200_000
    idx = batch_indices(n_old + n_new, p, n, _generator(0, n_old, n_new))
    share_old = (idx < n_old).float().mean().item()
    expect = w * n_old / (w * n_old + n_new)
    assert abs(share_old - expect) < 4 * math.sqrt(expect * (1 - expect) / n) + 1e-9
    if n_old + n_new <= 200:      # per-pair frequencies: each old pair w times as likely as each new pair
        f = torch.bincount(idx, minlength=n_old + n_new).double() / n
        assert torch.allclose(f, p, atol=5 * math.sqrt(p.max().item() / n))
        assert abs(f[:n_old].mean().item() / f[n_old:].mean().item() - w) < 0.05 * w

def test_replay_example_and_no_replay():
    assert torch.allclose(replay_probs(2, 1, 2.0), torch.tensor([0.4, 0.4, 0.2], dtype=torch.float64))
    assert replay_probs(5, 3, 0.0)[:5].sum() == 0
    with pytest.raises(ValueError): replay_probs(5, 3, -0.1)
    with pytest.raises(ValueError): batch_indices(4, replay_probs(5, 3, 1.0), 10, _generator(0))

def test_pretraining_learns_at_moderate_size():
    # 1024 pairs, the paper's model sizes (64-d keys, 256 units, 30 classes): far above chance (1/30)
    task = make_task(1024, 32, seed=1)
    model, log = pretrain(task, steps=1500, batch_size=128, lr=0.03, seed=1, log_at=[0, 1500])
    assert log.old_acc.iloc[0] < 0.1
    assert log.old_acc.iloc[-1] > 0.9 and log.old_loss.iloc[-1] < 0.5
    assert log.new_acc.iloc[-1] < 0.15          # never-seen pairs stay near chance
    assert log.new_loss.iloc[-1] > task.baseline  # ... with a loss above the no-knowledge line (hallucination)
    assert toy_evaluate(model, task.old_keys, task.old_labels)[1] == log.old_acc.iloc[-1]

def test_finetuning_without_replay_collapses_old_pairs(small):
    task, model, plog = small
    assert plog.old_acc.iloc[-1] > 0.9
    before = [p.clone() for p in model.parameters()]
    ft = toy_finetune(model, task, 32, steps=300, lr=0.003, batch_size=32)
    assert all(torch.equal(p, q) for p, q in zip(before, model.parameters()))   # the pre-trained model is untouched
    assert ft.old_loss.iloc[0] == pytest.approx(plog.old_loss.iloc[-1])
    s = run_summary(ft)
    assert s['old_loss_early_ratio'] > 1.5                      # old loss rises within the first 10% of steps
    assert s['final_old_loss'] > 5 * s['old_loss_before'] and s['final_old_acc'] < 0.7
    assert s['final_new_acc'] == 1.0
    rp = toy_finetune(model, task, 32, replay_weight=1.0, steps=300, lr=0.003, batch_size=32)
    assert rp.old_loss.iloc[-1] < 0.5 * ft.old_loss.iloc[-1]   # replay keeps more of the old pairs
    assert set(ft.phase) == {'finetune'} and set(rp.phase) == {'replay'}

def test_log_schedule_resolves_the_start(small):
    task, model, _ = small
    ft = toy_finetune(model, task, 8, steps=400, lr=0.003, batch_size=16)
    steps = list(ft.step)
    assert steps[:21] == list(range(21)) and steps[-1] == 400 and 40 in steps and 100 in steps
    assert sum(s <= 100 for s in steps) >= 30
