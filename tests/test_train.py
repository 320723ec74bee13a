"""Training: determinism, exact resume, evaluation log, checkpoint loading, bad input."""
import numpy as np
import pandas as pd
import pytest
import torch
from factdyn.data import World, WorldConfig
from factdyn.runs import ckpt_path, checkpoints
from factdyn.train import (TrainConfig, train, default_model_config, latest_checkpoint, load_checkpoint,
                           model_from_checkpoint, eval_steps)

W = World(WorldConfig(n_individuals=120, n_unseen=40))
MC = default_model_config(W, n_layer=2, n_head=2, d_model=32, d_mlp=64)
TC = TrainConfig(steps=30, batch_size=16, lr=3e-3, n_eval=32, n_evals=3, n_dense=0, n_checkpoints=3)

def _same(a, b):
    return a.drop(columns='seconds').fillna(-1).values.tolist() == b.drop(columns='seconds').fillna(-1).values.tolist()

def test_deterministic():
    assert _same(train(W, TC, MC, progress=False).log, train(W, TC, MC, progress=False).log)

def _interrupted(part):
    "A run interrupted after its step-10 checkpoint: only that checkpoint and the log up to it are kept."
    train(W, TC, MC, out_dir=part, progress=False)
    for f in checkpoints(part).values():
        if f != ckpt_path(part, 10): f.unlink()
    log = pd.read_csv(part / 'metrics.csv'); log[log.step <= 10].to_csv(part / 'metrics.csv', index=False)
    return ckpt_path(part, 10)

def test_resume_equals_uninterrupted(tmp_path):
    full = train(W, TC, MC, out_dir=tmp_path / 'full', progress=False)
    _interrupted(part := tmp_path / 'part')
    res = train(W, TC, MC, out_dir=part, progress=False)
    for p, q in zip(full.model.parameters(), res.model.parameters()):
        assert torch.allclose(p, q, atol=1e-6)
    assert list(res.log.step) == list(full.log.step)
    assert np.allclose(res.log.seen_loss, full.log.seen_loss, atol=1e-5)
    assert np.allclose(pd.read_csv(part / 'metrics.csv').seen_loss, full.log.seen_loss, atol=1e-5)

def test_resume_reads_checkpoints_of_before_the_rename(tmp_path):
    # checkpoints written before TrainConfig.n_templates became train_templates store the old name: they still resume
    from factdyn.runs import save_checkpoint
    full = train(W, TC, MC, out_dir=tmp_path / 'full', progress=False)
    state = load_checkpoint(_interrupted(part := tmp_path / 'part'))
    state['config']['train']['n_templates'] = state['config']['train'].pop('train_templates')
    save_checkpoint(part, 10, state)
    res = train(W, TC, MC, out_dir=part, progress=False)
    assert np.allclose(res.log.seen_loss, full.log.seen_loss, atol=1e-5)

def test_resume_refuses_other_config(tmp_path):
    train(W, TC, MC, out_dir=tmp_path, progress=False)
    with pytest.raises(ValueError, match='different run'):
        train(W, TrainConfig(**{**TC.__dict__, 'lr': 1e-3}), MC, out_dir=tmp_path, progress=False)

def test_checkpoints_load_weights_only(tmp_path):
    res = train(W, TC, MC, out_dir=tmp_path, progress=False)
    ck = latest_checkpoint(tmp_path)
    assert ck == ckpt_path(tmp_path, 30)
    state = load_checkpoint(ck)                      # torch.load(weights_only=True)
    assert state['step'] == 30 and state['config']['world_hash'] == W.content_hash()
    m = model_from_checkpoint(ck)
    x = torch.randint(0, W.vocab_size, (2, 20))
    assert torch.allclose(m(x), res.model(x), atol=1e-6)
    assert sorted(checkpoints(tmp_path)) == [0, 10, 20, 30]

def test_log_columns_and_schedule():
    res = train(W, TC, MC, progress=False)
    assert list(res.log.step) == eval_steps(30, 3) == [0, 10, 20, 30]
    for col in ('seen_loss', 'seen_acc', 'seen_maxprob', 'seen_entropy', 'unseen_loss', 'unseen_acc', 'lr', 'train_loss'):
        assert col in res.log
    assert res.log.train_loss.iloc[-1] < res.log.train_loss.iloc[1]

@pytest.mark.parametrize('kw, msg', [(dict(steps=0), 'steps'), (dict(lr=-1.0), 'lr'), (dict(batch_size=0), 'batch_size'),
                                     (dict(schedule='step'), 'schedule'), (dict(weight_decay=-0.1), 'weight_decay')])
def test_bad_train_config(kw, msg):
    with pytest.raises(ValueError, match=msg): TrainConfig(**kw)

def test_bad_model_for_world():
    with pytest.raises(ValueError, match='too small'):
        train(W, TC, default_model_config(W).__class__(vocab_size=10, block_size=8), progress=False)
    with pytest.raises(ValueError, match='train_templates'):
        train(W, TrainConfig(steps=1, train_templates=21), MC, progress=False)
