"""Samplers and curricula (`factdyn.curricula`): frequencies, switch steps, growth stages, bad settings, determinism."""
import numpy as np
import pytest
from factdyn.curricula import (WeightedSampler, power_law, celebrities, replay_mixture, warmup, WarmupSampler,
                               AdaptiveWarmupSampler, GrowthSampler)
from factdyn.data import World, WorldConfig, UniformSampler, make_sampler, batch_rng

DRAWS = 400_000

def freq(x, n): return np.bincount(x, minlength=n) / len(x)

# ---- weighted samplers ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('alpha', [0.0, 0.5, 1.0, 2.0])
def test_power_law_probabilities_and_frequencies(alpha):
    s = power_law(np.arange(100), alpha)
    i = np.arange(1, 101)
    np.testing.assert_allclose(s.p, i ** -alpha / (i ** -alpha).sum(), rtol=1e-12)
    f = freq(s(0, np.random.default_rng(1), DRAWS), 100)
    assert f[0] / f[3] == pytest.approx(4.0 ** alpha, rel=0.05)          # P(rank 1) / P(rank 4) = 4^α
    assert f[:10].sum() == pytest.approx(s.p[:10].sum(), abs=0.005)

def test_power_law_follows_the_pool_order():
    pool = np.array([7, 3, 11, 5])
    x = power_law(pool, 3.0)(0, np.random.default_rng(0), 50_000)
    assert set(np.unique(x)) <= set(pool.tolist())
    counts = {v: (x == v).sum() for v in pool}
    assert counts[7] > counts[3] > counts[11] > counts[5]                # rank = position in the pool, not the id

def test_celebrity_share():
    s = celebrities(np.arange(1000), 100, 8.0)
    x = s(0, np.random.default_rng(2), DRAWS)
    assert (x < 100).mean() == pytest.approx(800 / 1700, abs=0.005)      # 100 · 8 / (100 · 8 + 900)
    f = freq(x, 1000)
    assert f[:100].mean() / f[100:].mean() == pytest.approx(8.0, rel=0.05)

@pytest.mark.parametrize('w, share', [(2, 1 / 33), (1, 1 / 17), (1 / 8, 1 / 3), (1 / 32, 2 / 3)])
def test_replay_share(w, share):
    r = replay_mixture(np.arange(64_000), np.arange(64_000, 68_000), w)
    assert r.p[64_000:].sum() == pytest.approx(share, rel=1e-9)          # new share = 1 / (1 + 16 w)
    assert (r(0, np.random.default_rng(3), DRAWS) >= 64_000).mean() == pytest.approx(share, abs=0.005)

def test_replay_weight_zero_draws_only_new_individuals():
    x = replay_mixture(np.arange(100), np.arange(100, 110), 0.0)(0, np.random.default_rng(0), 10_000)
    assert x.min() >= 100 and set(np.unique(x)) == set(range(100, 110))

def test_zero_weight_individuals_are_never_drawn():
    x = WeightedSampler(np.arange(4), [1.0, 0.0, 2.0, 0.0])(0, np.random.default_rng(0), 50_000)
    assert set(np.unique(x)) == {0, 2}

# ---- warm-up ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('N, n_warmup, epochs, batch, switch', [
    (64_000, 8000, 3, 128, 1500),          # paper Fig I: 3 epochs of 64k at batch 128
    (1000, 125, 24, 64, 375), (2000, 250, 14, 64, 438), (4000, 500, 8, 64, 500),
    (2000, 250, 0, 64, 0)])
def test_warmup_switch_step_from_epochs(N, n_warmup, epochs, batch, switch):
    s = warmup(np.arange(N), n_warmup, epochs, batch)
    assert s.warmup_steps == switch
    rng = np.random.default_rng(0)
    if switch > 0:
        assert not s.switched(switch - 1) and s(switch - 1, rng, 5000).max() < n_warmup
    assert s.switched(switch) and s(switch, rng, 5000).max() >= n_warmup

def test_warmup_after_the_switch_is_uniform_draw_for_draw():
    pool = np.arange(500)
    w, u = warmup(pool, 50, 2, 64), UniformSampler(pool)
    for step in (w.warmup_steps, w.warmup_steps + 7, 10_000):
        np.testing.assert_array_equal(w(step, batch_rng(0, step), 64), u(step, batch_rng(0, step), 64))

def test_warmup_from_the_registry_uses_the_template_arguments():
    world = World(WorldConfig(n_individuals=640, n_unseen=10))
    s = make_sampler('warmup', world, alpha=0.0, n_celebrities=1, weight=8.0, n_warmup=80, epochs=5, batch_size=64,
                     baseline=5.7, max_steps=None, n_start=1, n_stages=3, stage_steps=100)
    assert s.warmup_steps == 50 and s.n_warmup == 80
    assert s(49, np.random.default_rng(0), 2000).max() < 80
    assert s(50, np.random.default_rng(0), 2000).max() < 640          # the seen pool only, never the unseen

# ---- adaptive warm-up ----------------------------------------------------------------------------------------------

def run_adaptive(a, losses, batch=256, n_warmup=100):
    "Drive `a` like the trainer (draw, then observe); returns the steps whose batch left the subset."
    rng, left = np.random.default_rng(0), []
    for t, l in enumerate(losses):
        if a(t, rng, batch).max() >= n_warmup: left.append(t)
        a.observe(t, l)
    return left

def test_adaptive_warmup_switches_when_the_running_median_leaves_the_plateau():
    base = 5.0                                             # threshold 0.9 × 5 = 4.5
    losses = [12, 8, 6, 5.1, 5.0, 5.0, 4.9, 4.4, 4.3, 4.2, 4.1, 4.0, 4.0]
    a = AdaptiveWarmupSampler(np.arange(1000), 100, baseline=base, window=3)
    left = run_adaptive(a, losses)
    # the median of the last 3 reports first drops below 4.5 after step 8 (4.4, 4.3 and 4.9 → 4.4)
    assert a.switch_step == 9
    assert left == list(range(9, len(losses)))
    assert a.switched(9) and a.threshold == pytest.approx(4.5)

def test_adaptive_warmup_ignores_a_single_dip_and_respects_min_steps():
    a = AdaptiveWarmupSampler(np.arange(1000), 100, baseline=5.0, window=3)
    run_adaptive(a, [6, 5, 1.0, 5, 5, 5, 5])
    assert a.switch_step is None                           # one low batch does not move the median
    b = AdaptiveWarmupSampler(np.arange(1000), 100, baseline=5.0, window=2, min_steps=6)
    run_adaptive(b, [4, 4, 4, 4, 4, 4, 4, 4])
    assert b.switch_step == 6

def test_adaptive_warmup_is_capped_at_max_steps():
    a = AdaptiveWarmupSampler(np.arange(1000), 100, baseline=5.0, window=3, max_steps=10)
    left = run_adaptive(a, [5.0] * 20)                     # never leaves the plateau
    assert a.switch_step == 10 and left == list(range(10, 20))
    a.observe(20, 0.0)
    assert a.switch_step == 10                             # later reports do not move the recorded switch
    b = make_sampler('adaptive_warmup', World(WorldConfig(n_individuals=300, n_unseen=0)), n_warmup=30, baseline=5.7,
                     max_steps=None)
    run_adaptive(b, [5.7] * 50, n_warmup=30)
    assert b.switch_step is None and b.max_steps is None   # the template's warmup_max_steps=0 means no cap

# ---- growth -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('N, n_start, n_stages, stage_steps, sizes', [
    (1000, 125, 3, 100, [125, 250, 500, 1000]),
    (1000, 125, 2, 250, [125, 354, 1000]),                 # geometric: 125 · 8^(1/2) ≈ 354
    (4000, 500, 2, 250, [500, 1414, 4000]),
    (100, 100, 3, 10, [100])])
def test_growth_stage_sizes(N, n_start, n_stages, stage_steps, sizes):
    g = GrowthSampler(np.arange(N), n_start, n_stages, stage_steps)
    assert list(g.sizes) == sizes
    rng = np.random.default_rng(0)
    for k, n in enumerate(sizes):
        for step in (k * stage_steps, (k + 1) * stage_steps - 1):
            assert g.size_at(step) == n
            x = g(step, rng, 20_000)
            assert x.max() < n and (k == 0 or x.max() >= sizes[k - 1])
    assert g.size_at(10 ** 9) == N

# ---- bad settings --------------------------------------------------------------------------------------------------

POOL = np.arange(100)

@pytest.mark.parametrize('make, message', [
    (lambda: power_law(POOL, -0.1), 'alpha must be >= 0'),
    (lambda: power_law(POOL, float('nan')), 'alpha must be >= 0'),
    (lambda: celebrities(POOL, 0, 8.0), 'n_celebrities'),
    (lambda: celebrities(POOL, 101, 8.0), 'n_celebrities'),
    (lambda: celebrities(POOL, 10, 0.0), 'weight must be > 0'),
    (lambda: replay_mixture(POOL, [200, 201], -1.0), 'replay_weight'),
    (lambda: replay_mixture(POOL, [], 1.0), 'no new individuals'),
    (lambda: WeightedSampler(POOL, np.ones(99)), 'weights for'),
    (lambda: WeightedSampler(POOL, -np.ones(100)), 'weights must be'),
    (lambda: WeightedSampler(POOL, np.zeros(100)), 'weights must be'),
    (lambda: WeightedSampler([], []), 'non-empty'),
    (lambda: warmup(POOL, 101, 1, 10), 'warm-up subset'),
    (lambda: warmup(POOL, 0, 1, 10), 'warm-up subset'),
    (lambda: warmup(POOL, 10, -1, 10), 'epochs must be >= 0'),
    (lambda: WarmupSampler(POOL, 10, -5), 'warmup_steps'),
    (lambda: AdaptiveWarmupSampler(POOL, 101, 5.0), 'warm-up subset'),
    (lambda: AdaptiveWarmupSampler(POOL, 10, 5.0, leave=1.0), 'leave'),
    (lambda: AdaptiveWarmupSampler(POOL, 10, 5.0, leave=0.0), 'leave'),
    (lambda: AdaptiveWarmupSampler(POOL, 10, 5.0, window=0), 'window'),
    (lambda: GrowthSampler(POOL, 0, 2, 10), 'n_start'),
    (lambda: GrowthSampler(POOL, 101, 2, 10), 'n_start'),
    (lambda: GrowthSampler(POOL, 10, 0, 10), 'n_stages'),
    (lambda: GrowthSampler(POOL, 10, 2, 0), 'stage_steps'),
])
def test_bad_settings_are_rejected(make, message):
    with pytest.raises(ValueError, match=message): make()

def test_bad_settings_are_rejected_through_the_registry():
    world = World(WorldConfig(n_individuals=50, n_unseen=5))
    with pytest.raises(ValueError, match='warm-up subset'): make_sampler('warmup', world, n_warmup=51, epochs=1, batch_size=8)
    with pytest.raises(ValueError, match='n_celebrities'): make_sampler('celebrities', world, n_celebrities=60, weight=8.0)
    with pytest.raises(ValueError, match='n_start'): make_sampler('growth', world, n_start=55, n_stages=2, stage_steps=5)
    with pytest.raises(ValueError, match='unknown sampler'): make_sampler('zipf', world)

# ---- determinism ---------------------------------------------------------------------------------------------------

KW = dict(alpha=0.7, n_celebrities=20, weight=8.0, n_warmup=30, epochs=2, batch_size=16, baseline=5.7, max_steps=40,
          n_start=25, n_stages=2, stage_steps=10, n_groups=4, n_loops=2)

@pytest.mark.parametrize('name', ['uniform', 'power_law', 'celebrities', 'warmup', 'adaptive_warmup', 'growth',
                                  'sequential_groups', 'alternating_groups'])
def test_samplers_draw_only_from_the_given_generator(name):
    world = World(WorldConfig(n_individuals=200, n_unseen=20))
    a, b = make_sampler(name, world, **KW), make_sampler(name, world, **KW)
    for step in (0, 5, 12, 39, 40, 100):
        np.random.seed(step)                               # the global generator must not matter ...
        g0 = np.random.get_state()[1].copy()
        x = a(step, batch_rng(3, step), 64)
        np.testing.assert_array_equal(np.random.get_state()[1], g0)     # ... nor be touched
        np.random.seed(10_000 + step)
        np.testing.assert_array_equal(x, b(step, batch_rng(3, step), 64))
        r1, r2 = batch_rng(3, step), batch_rng(3, step)
        a(step, r1, 64)
        assert r1.bit_generator.state != r2.bit_generator.state          # the draw used the given generator
        assert set(np.unique(x)) <= set(world.seen.tolist())
    assert not np.array_equal(a(0, batch_rng(3, 0), 64), a(0, batch_rng(3, 1), 64))
