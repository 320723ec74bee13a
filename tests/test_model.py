"""The transformer: both attention paths agree, hooks read and replace patterns, initialisation is seeded."""
import math
import pytest
import torch
import torch.nn.functional as F
from factdyn.model import ModelConfig, Transformer, run_with_cache, hooks, pattern_replacer

CFG = ModelConfig(vocab_size=97, block_size=40, n_layer=3, n_head=4, d_model=48, d_mlp=96)

@pytest.fixture
def model(): return Transformer(CFG, torch.Generator().manual_seed(0))

def test_paths_agree_forward_and_backward(model):
    x = torch.randint(0, 97, (4, 33), generator=torch.Generator().manual_seed(1))
    fast = model(x); fast.square().mean().backward()
    g_fast = [p.grad.clone() for p in model.parameters()]
    model.zero_grad(); model.set_explicit(True)
    slow = model(x); slow.square().mean().backward()
    assert torch.allclose(fast, slow, atol=1e-5)
    for a, p in zip(g_fast, model.parameters()): assert torch.allclose(a, p.grad, atol=1e-5)

def test_patterns_are_causal_distributions(model):
    x = torch.randint(0, 97, (2, 20))
    _, cache = run_with_cache(model, x)
    assert sorted(cache) == [f'blocks.{l}.attn.hook_pattern' for l in range(3)]
    for p in cache.values():
        assert p.shape == (2, 4, 20, 20)
        assert torch.allclose(p.sum(-1), torch.ones(2, 4, 20), atol=1e-6)
        assert p.triu(1).abs().max() == 0

def test_replacing_patterns(model):
    x = torch.randint(0, 97, (2, 20))
    logits, cache = run_with_cache(model, x)
    with hooks(model, pattern_replacer(cache)): same = model(x)
    assert torch.allclose(same, logits, atol=1e-6)
    uniform = {k: torch.tril(torch.ones(20, 20)) / torch.arange(1, 21)[:, None] * torch.ones(2, 4, 1, 1) for k in cache}
    with hooks(model, pattern_replacer(uniform)): other = model(x)
    assert (other - logits).abs().max() > 1e-3
    # replaced patterns are under stop-gradient: no gradient flows into the query/key weights
    with hooks(model, pattern_replacer(uniform)): model(x).sum().backward()
    qkv = model.blocks[0].attn.qkv.weight.grad
    d = CFG.d_model
    assert qkv[:2 * d].abs().max() == 0 and qkv[2 * d:].abs().max() > 0
    # hooks are removed after the block
    assert not any(h._forward_hooks for h in model.hook_points.values())

def test_seeded_init_and_scale():
    a, b = Transformer(CFG, torch.Generator().manual_seed(7)), Transformer(CFG, torch.Generator().manual_seed(7))
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert a.tok_emb.weight.std().item() == pytest.approx(0.02, rel=0.1)
    assert a.blocks[0].attn.proj.weight.std().item() == pytest.approx(0.02 / math.sqrt(6), rel=0.15)
    x = torch.randint(0, 97, (4, 30)); y = torch.randint(0, 97, (4, 30))
    assert F.cross_entropy(a(x).flatten(0, 1), y.flatten()).item() == pytest.approx(math.log(97), abs=0.3)

def test_bad_configs():
    with pytest.raises(ValueError, match='divisible'): ModelConfig(d_model=50, n_head=4)
    with pytest.raises(ValueError, match='block_size'): Transformer(CFG)(torch.zeros(1, 41, dtype=torch.long))
