"""Attribute loss and the all-tokens accuracy rule, the plateau detector, ROC AUC."""
import math
import numpy as np
import pytest
import torch
from factdyn.metrics import value_stats, summarize, plateau_bounds, roc_auc

def _case():
    V = 5
    logits = torch.zeros(1, 4, V)
    targets = torch.tensor([[1, 2, 3, 4]])
    vmask = torch.tensor([[True, True, True, True]])
    vattr = torch.tensor([[0, 0, 0, 1]])            # a 3-token value (attr 0) and a 1-token value (attr 1)
    return logits, targets, vmask, vattr

def test_loss_is_summed_over_value_tokens():
    st = value_stats(*_case())
    assert st['loss'].tolist() == pytest.approx([3 * math.log(5), math.log(5)])
    assert summarize(st)['loss'] == pytest.approx(2 * math.log(5))

def test_accuracy_needs_every_token():
    logits, t, m, a = _case()
    logits[0, 0, 1] = logits[0, 1, 2] = 10.0; logits[0, 2, 0] = 10.0    # 2 of 3 date tokens right
    logits[0, 3, 4] = 10.0                                              # the 1-token value right
    st = value_stats(logits, t, m, a)
    assert st['correct'].tolist() == [False, True]
    logits[0, 2, 3] = 20.0
    assert value_stats(logits, t, m, a)['correct'].tolist() == [True, True]

def test_confidence():
    st = value_stats(*_case())
    assert st['maxprob'].tolist() == pytest.approx([0.2, 0.2])
    assert st['entropy'].tolist() == pytest.approx([math.log(5)] * 2)

def test_plateau_detector_on_synthetic_curves():
    steps = np.arange(0, 3000, 25)
    b = 5.69
    def curve(t0, t1, tau=200):
        # np.where evaluates every branch: clip the decay's exponent at t1 so that the unused part before t1
        # (exp of up to 5000 for t1 = 10**6) does not overflow
        decay = b * np.exp(-np.maximum(steps - t1, 0) / tau)
        return np.where(steps < t0, 10 - (10 - b) * steps / t0, np.where(steps < t1, b * 1.02, decay))
    for t0, t1 in [(200, 600), (300, 1500), (500, 900)]:
        s, e = plateau_bounds(steps, curve(t0, t1), b)
        assert t0 - 50 <= s <= t0 and t1 < e <= t1 + 50
    assert plateau_bounds(steps, np.full(len(steps), 2 * b), b) == (None, None)
    assert plateau_bounds(steps, curve(300, 10**6), b)[1] is None
    # sensitivity rules end later than the default
    _, e9 = plateau_bounds(steps, curve(300, 1000), b)
    _, e8 = plateau_bounds(steps, curve(300, 1000), b, leave=0.8)
    _, em = plateau_bounds(steps, curve(300, 1000), b, margin=0.5)
    assert e9 <= e8 and e9 <= em

def test_roc_auc():
    rng = np.random.default_rng(0)
    assert roc_auc(rng.normal(1, 1, 2000), rng.normal(0, 1, 2000)) == pytest.approx(0.76, abs=0.03)
    with pytest.raises(ValueError): roc_auc([], [1])
