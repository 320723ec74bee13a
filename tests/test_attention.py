"""Attention patching: the hook path changes nothing unless the patterns change (whole training runs)."""
import copy
import numpy as np
import torch
from factdyn.data import World, WorldConfig
from factdyn.model import Transformer, hooks
from factdyn.attention import PatchedModel
from factdyn.train import TrainConfig, train, default_model_config

W = World(WorldConfig(n_individuals=120, n_unseen=0))
MC = default_model_config(W, n_layer=2, n_head=2, d_model=32, d_mlp=64)
TC = TrainConfig(steps=30, batch_size=16, lr=3e-3, n_eval=32, n_evals=3, n_dense=0)

class PassThrough(torch.nn.Module):
    "Every attention pattern is replaced by itself (with its gradient): the explicit, hooked path of patching."
    def __init__(self, m): super().__init__(); self.m = m
    cfg = property(lambda self: self.m.cfg)
    def forward(self, x):
        names = [n for n in self.m.hook_points if n.endswith('hook_pattern')]
        with hooks(self.m, [(n, lambda t: t) for n in names]): return self.m(x)

def _init(): return Transformer(MC, torch.Generator().manual_seed(TC.seed))

def test_patching_with_own_patterns_reproduces_training():
    plain = train(W, TC, MC, progress=False)
    patched = train(W, TC, model=PassThrough(_init()), progress=False)
    assert list(patched.log.step) == list(plain.log.step)
    np.testing.assert_allclose(patched.log.seen_loss, plain.log.seen_loss, rtol=0, atol=1e-6)
    np.testing.assert_allclose(patched.log.train_loss[1:], plain.log.train_loss[1:], rtol=0, atol=1e-6)
    # the explicit path sums in another order than the fused one (float rounding, ~1e-7 per step), which Adam's
    # normalised steps carry into the weights: measured 7e-6 after 30 steps at lr 3e-3
    for p, q in zip(plain.model.parameters(), patched.model.m.parameters()):
        assert torch.allclose(p, q, rtol=0, atol=2e-5)

def test_identical_reference_gives_identical_outputs_after_training():
    m = train(W, TC, MC, progress=False).model.eval()
    x = torch.from_numpy(W.biographies(np.arange(16), np.random.default_rng(0)).tokens[:, :-1])
    pm = PatchedModel(m, copy.deepcopy(m))
    torch.testing.assert_close(pm(x), m(x), rtol=0, atol=1e-6)

def test_patterns_from_another_checkpoint_change_the_run():
    "The check above must be able to fail: patterns of a different model change the outputs."
    m = _init().eval()
    other = Transformer(MC, torch.Generator().manual_seed(TC.seed + 1)).eval()
    x = torch.from_numpy(W.biographies(np.arange(16), np.random.default_rng(0)).tokens[:, :-1])
    assert (PatchedModel(m, other)(x) - m(x)).abs().max() > 1e-4
