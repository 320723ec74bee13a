"""The biography world: determinism, the per-individual template split, value masks, the baseline, bad input."""
from dataclasses import asdict
import numpy as np
import pytest
from factdyn.data import (World, WorldConfig, baseline_loss, batch_rng, UniformSampler, templates_used, ATTRIBUTES,
                          ROLE_VALUE, ROLE_NAME, ROLE_PAD, ROLE_TEXT, ROLE_PRONOUN, PRONOUNS, EMPTY,
                          load_list, load_templates, split_words)

@pytest.fixture(scope='module')
def world(): return World(WorldConfig(n_individuals=400, n_unseen=100, seed=3))

def test_same_seed_same_world_and_hash(world):
    again = World(WorldConfig(n_individuals=400, n_unseen=100, seed=3))
    assert again.content_hash() == world.content_hash()
    assert np.array_equal(again.values, world.values) and np.array_equal(again.template_perm, world.template_perm)
    other = World(WorldConfig(n_individuals=400, n_unseen=100, seed=4))
    assert other.content_hash() != world.content_hash()

def test_same_seed_same_batches(world):
    s = UniformSampler(world.seen)
    a = world.biographies(s(5, batch_rng(1, 5), 32), batch_rng(1, 5))
    b = world.biographies(s(5, batch_rng(1, 5), 32), batch_rng(1, 5))
    assert np.array_equal(a.tokens, b.tokens)
    c = world.biographies(s(6, batch_rng(1, 6), 32), batch_rng(1, 6))
    assert not np.array_equal(a.tokens[:, :10], c.tokens[:, :10])

def test_names_unique_and_unseen_disjoint(world):
    names = set(map(tuple, world.names))
    assert len(names) == 500
    assert set(world.seen).isdisjoint(world.unseen)

def test_split_20_5_disjoint_and_per_individual(world):
    perm = world.template_perm
    assert perm.shape == (500, 6, 25)
    train, held = perm[:, :, :20], perm[:, :, 20:]
    for i in range(0, 500, 50):
        for a in range(6):
            assert set(train[i, a]).isdisjoint(held[i, a]) and len(set(train[i, a]) | set(held[i, a])) == 25
    # per-individual: held-out sets differ between individuals, and every template is a training template for someone
    assert len({tuple(sorted(h)) for h in held[:, 0]}) > 100
    assert set(train[:, 0].ravel()) == set(range(25))
    ids = np.repeat(np.arange(3), 80)
    tr = templates_used(world, world.biographies(ids, np.random.default_rng(0), split='train'))
    ev = templates_used(world, world.biographies(ids, np.random.default_rng(1), split='eval'))
    for i in range(3):
        for a in range(6):
            assert set(tr[ids == i, a]) <= set(train[i, a]) and set(ev[ids == i, a]) <= set(held[i, a])

def test_value_mask_marks_exactly_the_values(world):
    b = world.biographies(np.arange(20), np.random.default_rng(0))
    x, y, vm, va = b.torch()
    assert vm.sum().item() == 20 * 8                          # 5 one-token values + a 3-token date
    for r in range(20):
        tgt = y[r][vm[r]].numpy()
        expect = np.concatenate([world.values[r, a][world.values[r, a] >= 0] for a in va[r][vm[r]].unique_consecutive().tolist()])
        assert np.array_equal(tgt, expect)
    # padding targets are ignored, never scored
    assert (y[b.role[:, 1:] == ROLE_PAD] == -1).all()
    assert not vm[y == -1].any()

def test_value_tokens_are_pure(world):
    # a value token is never merged with punctuation: the token after a value is always '.'
    b = world.biographies(np.arange(50), np.random.default_rng(2))
    dot = world.vocab['.']
    for r in range(50):
        is_v = b.role[r] == ROLE_VALUE
        last = np.nonzero(is_v[:-1] & ~is_v[1:])[0]
        assert (b.tokens[r, last + 1] == dot).all()

def test_sentences_random_order_and_fixed_order(world):
    b = world.biographies(np.zeros(200, int), np.random.default_rng(0))
    firsts = {int(b.attr[r][b.role[r] == ROLE_NAME][0]) for r in range(200)}
    assert firsts == set(range(6))
    f = world.biographies(np.zeros(20, int), np.random.default_rng(0), shuffle=False)
    assert {int(f.attr[r][f.role[r] == ROLE_NAME][0]) for r in range(20)} == {0}

def test_baseline_formula():
    c = WorldConfig()
    assert baseline_loss(c) == pytest.approx(np.mean(np.log([12 * 28 * 100, 200, 100, 50, 100, 200])))
    assert baseline_loss(WorldConfig.paper()) == pytest.approx(6.78, abs=0.01)
    assert baseline_loss(WorldConfig(n_cities=10, n_universities=10, n_majors=10, n_companies=10, n_years=10, n_days=10)) \
        == pytest.approx(np.mean(np.log([1200, 10, 10, 10, 10, 10])))

@pytest.mark.parametrize('kw, msg', [
    (dict(n_individuals=0), 'n_individuals must be positive'),
    (dict(n_individuals=-3), 'n_individuals'),
    (dict(n_unseen=-1), 'n_unseen'),
    (dict(n_first=3, n_last=3, n_individuals=20, n_unseen=10), 'unique names'),
    (dict(n_templates=0), 'n_templates'),
    (dict(n_train_templates=0), 'n_train_templates'),
    (dict(n_train_templates=25), 'n_train_templates'),
    (dict(n_majors=101), 'n_majors'),
    (dict(n_days=32), 'n_days'),
    (dict(n_individuals=10.5), 'integer'),
])
def test_bad_world_config(kw, msg):
    with pytest.raises(ValueError, match=msg): WorldConfig(**kw)

def test_bad_biography_requests(world):
    with pytest.raises(ValueError, match='split'): world.biographies([0], np.random.default_rng(0), split='valid')
    with pytest.raises(ValueError, match='train_templates'): world.biographies([0], np.random.default_rng(0), train_templates=21)

def test_shipped_lists_and_templates():
    for a in ATTRIBUTES:
        for t in load_templates(a):
            assert t.endswith('{value}.') and t.index('{name}') < t.index('{value}')
    assert len(load_list('cities')) == 800 and len(set(load_list('cities'))) == 800

def test_generation_rate(world):
    import time
    s = UniformSampler(world.seen)
    t0 = time.perf_counter(); n = 0
    while time.perf_counter() - t0 < 0.5:
        world.biographies(s(n, batch_rng(0, n), 64), batch_rng(0, n)); n += 1
    assert n * 64 / (time.perf_counter() - t0) > 2000   # generous floor: a regression guard, not a benchmark

# --- name_once: the full name in the first sentence only, a pronoun in the later ones

@pytest.mark.parametrize('cfg, digest', [
    (WorldConfig(n_individuals=50, n_unseen=10, seed=0), '434d149246a77c17'),
    (WorldConfig(n_individuals=50, n_unseen=10, seed=1), 'eabe4aca7090028a'),
    (WorldConfig(n_individuals=50, n_unseen=10, seed=7), 'e439e62ee74f5385'),
    (WorldConfig.paper(n_individuals=100, n_unseen=10), '74bf78c8c504a369'),
    (WorldConfig(n_individuals=300, n_unseen=100), 'f05f356afb59cb2a'),
])
def test_default_worlds_keep_their_hash(cfg, digest):
    "Hashes computed before `name_once` existed: the option off is the old world."
    w = World(cfg)
    assert w.content_hash() == digest and w.seq_len == 89 and w.pron_codes is None
    assert World(WorldConfig(**{**asdict(cfg), 'name_once': True})).content_hash() != digest

@pytest.fixture(scope='module')
def world_once(): return World(WorldConfig(n_individuals=400, n_unseen=100, seed=3, name_once=True))

def test_name_once_same_population_longer_vocab(world, world_once):
    assert world_once.vocab.itos == world.vocab.itos + list(PRONOUNS)
    for a in ('names', 'values', 'template_perm', 'codes'): assert np.array_equal(getattr(world_once, a), getattr(world, a))
    # the same rng draws: the same individuals, templates and sentence order as the name-repeating world
    ids = np.arange(60)
    b, bo = world.biographies(ids, np.random.default_rng(9)), world_once.biographies(ids, np.random.default_rng(9))
    assert np.array_equal(templates_used(world, b), templates_used(world_once, bo))
    for r in range(60):
        assert np.array_equal(b.tokens[r][b.role[r] == ROLE_VALUE], bo.tokens[r][bo.role[r] == ROLE_VALUE])
        assert np.array_equal(b.attr[r][b.role[r] == ROLE_VALUE], bo.attr[r][bo.role[r] == ROLE_VALUE])

def test_name_once_sentences(world_once):
    b = world_once.biographies(np.arange(100), np.random.default_rng(0))
    for r in range(100):
        first = b.attr[r][1]
        assert b.role[r][1] == ROLE_NAME or b.role[r][1] == ROLE_TEXT          # the first sentence opens without a pronoun
        assert set(b.attr[r][b.role[r] == ROLE_NAME]) == {first} and (b.role[r] == ROLE_NAME).sum() == 3
        pr = b.attr[r][b.role[r] == ROLE_PRONOUN]
        assert len(pr) == 5 and set(pr) == set(range(6)) - {first}
        assert np.array_equal(b.tokens[r][b.role[r] == ROLE_NAME], world_once.names[r])
    assert set(b.tokens[b.role == ROLE_PRONOUN]) == set(world_once.pronoun_ids)   # all five forms occur
    # no name and no possessive "' s" left next to a pronoun
    text = world_once.vocab.decode(b.tokens[0])
    assert "Their '" not in text and "their '" not in text
    f = world_once.biographies(np.arange(20), np.random.default_rng(0), shuffle=False)
    assert (f.attr[f.role == ROLE_NAME] == 0).all()                             # fixed order: birth_date names the individual

def test_name_once_value_mask_and_split(world_once):
    b = world_once.biographies(np.arange(20), np.random.default_rng(0))
    x, y, vm, va = b.torch()
    assert vm.sum().item() == 20 * 8
    for r in range(20):
        expect = np.concatenate([world_once.values[r, a][world_once.values[r, a] >= 0] for a in va[r][vm[r]].unique_consecutive().tolist()])
        assert np.array_equal(y[r][vm[r]].numpy(), expect)
    assert (y[b.role[:, 1:] == ROLE_PAD] == -1).all() and not vm[y == -1].any()
    ids = np.repeat(np.arange(3), 80)
    tr = templates_used(world_once, world_once.biographies(ids, np.random.default_rng(0), split='train'))
    ev = templates_used(world_once, world_once.biographies(ids, np.random.default_rng(1), split='eval'))
    assert (tr >= 0).all() and (ev >= 0).all()
    for i in range(3):
        for a in range(6):
            assert set(tr[ids == i, a]) <= set(world_once.template_perm[i, a, :20])
            assert set(ev[ids == i, a]) <= set(world_once.template_perm[i, a, 20:])

def test_name_once_seq_len_is_a_tight_bound(world, world_once):
    assert world_once.seq_len < world.seq_len
    longest = 0
    for s in range(20):
        for split in ('train', 'eval'):
            b = world_once.biographies(np.arange(500), np.random.default_rng(s), split=split)
            assert b.tokens.shape[1] <= world_once.seq_len
            longest = max(longest, b.tokens.shape[1])
    assert longest >= world_once.seq_len - 12                                    # the bound is not loose
    # the bound is reached: every sentence at its longest template, the longest-with-name first
    lens = lambda codes: (codes != EMPTY).sum(2)                                 # [6, 25]
    full, short = lens(world_once.codes).max(1), lens(world_once.pron_codes).max(1)
    assert world_once.seq_len == 1 + max(full[a] + short.sum() - short[a] for a in range(6))

def test_name_once_config():
    with pytest.raises(ValueError, match='name_once must be True or False'): WorldConfig(name_once=1)
    assert 'name_once' not in WorldConfig().identity() and WorldConfig(name_once=True).identity()['name_once'] is True
    assert World(WorldConfig(n_individuals=50, n_unseen=10, name_once=True)).content_hash() == \
           World(WorldConfig(n_individuals=50, n_unseen=10, name_once=True)).content_hash()

def test_name_once_generation_rate(world_once):
    import time
    s = UniformSampler(world_once.seen)
    t0 = time.perf_counter(); n = 0
    while time.perf_counter() - t0 < 0.5:
        world_once.biographies(s(n, batch_rng(0, n), 64), batch_rng(0, n)); n += 1
    assert n * 64 / (time.perf_counter() - t0) > 2000
