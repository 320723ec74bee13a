"""check_figure: each defect caught on its own; save_figure and the atomic writers."""
import json
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
import numpy as np
import pytest
from factdyn.figstyle import (check_figure, save_figure, FigureCheckError, write_text_atomic, write_json_atomic,
                              figure, draw_baseline, shade_plateau, SEEN, UNSEEN)

STEPS = np.arange(0, 2001, 50)
SEEN_LOSS = 3 * np.exp(-np.clip(STEPS - 600, 0, None) / 300) + 0.01   # 2.5 decades: no minor log labels

@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close('all')

def good():
    "A two-panel figure that passes; each test below breaks one thing."
    fig, (a, b) = figure(1, 2)
    a.plot(STEPS, SEEN_LOSS, color=SEEN, label='seen'); a.plot(STEPS, 3 + 0 * STEPS, color=UNSEEN, label='never seen')
    draw_baseline(a, 3.2); shade_plateau(a, 100, 600)
    a.set(yscale='log', xlabel='step', ylabel='loss', title='loss'); a.legend()
    b.plot(STEPS, 1 - SEEN_LOSS / 3, label='seen'); b.set(xlabel='step', ylabel='accuracy', title='accuracy')
    return fig, a, b

def only(fig, *words):
    "The single problem of `fig`, which must contain every one of `words`."
    problems = check_figure(fig)
    assert len(problems) == 1, problems
    assert all(w in problems[0] for w in words), problems
    return problems[0]

def test_good_two_panel_figure_passes():
    assert check_figure(good()[0]) == []

def test_missing_xlabel():
    fig, a, b = good(); b.set_xlabel('')
    assert only(fig) == "axes 1 ('accuracy'): no x label"

def test_missing_ylabel():
    fig, a, b = good(); a.set_ylabel('')
    assert only(fig) == "axes 0 ('loss'): no y label"

def test_single_visible_tick_label():
    fig, a, b = good(); b.set_yticks([0.5])
    only(fig, "axes 1 ('accuracy')", '1 visible y tick label')

def test_tick_labels_outside_the_view_do_not_count():
    fig, a, b = good(); b.set_xticks([-5000, 1000, 9000]); b.set_xlim(0, 2000)
    only(fig, "axes 1 ('accuracy')", '1 visible x tick label')

def test_a_categorical_axis_may_show_one_label():
    fig, a, b = good(); b.cla(); b.bar(['only'], [1]); b.set(xlabel='group', ylabel='count', title='accuracy')
    assert check_figure(fig) == []

def test_overlapping_tick_labels():
    fig, ax = plt.subplots(figsize=(4, 3), layout='constrained')
    ax.bar([f'category number {i:02d}' for i in range(60)], np.arange(60)); ax.set(xlabel='c', ylabel='n', title='t')
    only(fig, "axes 0 ('t')", 'overlapping x tick labels', "'category number 00'")

def test_rotated_labels_judged_by_their_text_not_their_bounding_boxes():
    fig, ax = plt.subplots(figsize=(6, 3), layout='constrained')
    ax.bar([f'condition {i}' for i in range(12)], np.arange(12)); ax.set(xlabel='c', ylabel='n', title='t')
    ax.tick_params(axis='x', rotation=45)
    fig.canvas.draw(); r = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(r) for t in ax.get_xticklabels()]
    assert boxes[0].x1 > boxes[1].x0 and boxes[0].y0 < boxes[1].y1    # the bounding boxes do overlap
    assert check_figure(fig) == []

def test_two_series_without_legend():
    fig, a, b = good(); b.plot(STEPS, 0 * STEPS, label='baseline model')
    assert only(fig) == "axes 1 ('accuracy'): 2 labelled series but no legend names 'baseline model'"
    b.legend()
    assert check_figure(fig) == []

def test_a_figure_legend_names_every_series():
    fig, a, b = good(); a.get_legend().remove()
    assert 'no legend names' in only(fig)
    fig.legend(*a.get_legend_handles_labels(), loc='outside lower center', ncols=4)
    assert check_figure(fig) == []

def test_empty_title():
    fig, a, b = good(); b.set_title('')
    assert only(fig) == 'no suptitle, and axes 1 has no title'
    fig.suptitle('Seen individuals are learned after a plateau')
    assert check_figure(fig) == []

def test_too_small_fonts_on_a_big_figure():
    with plt.rc_context({'font.size': 20}):
        fig, ax = plt.subplots(figsize=(20, 6), dpi=100, layout="constrained")   # 2000 px wide
        ax.plot(STEPS, SEEN_LOSS, label='seen'); ax.plot(STEPS, 3 + 0 * STEPS, label='never seen')
        ax.set(xlabel='step', ylabel='loss', title='loss'); ax.legend(fontsize=6)
    assert only(fig) == "axes 0 ('loss'): legend text at 6 pt, below the 17.5 pt minimum for a 20-in-wide figure"
    fig, ax = plt.subplots(figsize=(20, 6), dpi=100)                     # matplotlib's 10 pt default is too small too
    ax.set(xlabel='step', ylabel='loss', title='loss')
    problems = check_figure(fig)
    assert any('tick labels at 10 pt' in p for p in problems) and any('axis labels at 10 pt' in p for p in problems)

def test_shared_inner_axes_skip_labels_only_when_a_sibling_carries_them():
    fig, axes = figure(2, 2, sharex=True, sharey=True)
    for ax, t in zip(axes.flat, 'abcd'): ax.plot(STEPS, SEEN_LOSS); ax.set_title(t)
    for ax in axes[1]: ax.set_xlabel('step')
    for ax in axes[:, 0]: ax.set_ylabel('loss')
    assert check_figure(fig) == []
    axes[0, 0].set_ylabel('')      # the top row's y axis is now unlabelled; the top-right one is still carried by axes 2
    assert check_figure(fig) == ["axes 0 ('a'): no y label"]

def test_twin_axes_and_colorbars_and_hidden_axes():
    fig, (a, b, c) = figure(1, 3)
    a.plot(STEPS, SEEN_LOSS); a.set(xlabel='step', ylabel='loss', title='twin')
    t = a.twinx(); t.plot(STEPS, STEPS / 2000, color='k'); t.set_ylabel('fraction')
    im = b.imshow(np.random.default_rng(0).random((5, 5))); b.set(xlabel='key', ylabel='query', title='attention')
    cb = fig.colorbar(im, ax=b)
    c.axis('off')                                                      # a panel without axes is not checked
    assert check_figure(fig) == [f"axes {fig.axes.index(cb.ax)}: no y label"]
    cb.set_label('weight')
    assert check_figure(fig) == []

def test_save_figure_refuses_a_broken_figure_and_writes_nothing(tmp_path):
    fig, a, b = good(); a.set_xlabel(''); b.set_title('')
    with pytest.raises(FigureCheckError) as e:
        save_figure(fig, tmp_path / 'f.png')
    assert isinstance(e.value, ValueError) and len(e.value.problems) == 2
    assert "axes 0 ('loss'): no x label" in str(e.value) and 'axes 1 has no title' in str(e.value)
    assert list(tmp_path.iterdir()) == []

def test_save_figure_writes_atomically(tmp_path):
    fig = good()[0]
    out = save_figure(fig, tmp_path / 'sub' / 'f.svg')
    assert out == tmp_path / 'sub' / 'f.svg' and out.read_text().lstrip().startswith('<?xml')
    assert [p.name for p in out.parent.iterdir()] == ['f.svg']
    assert plt.fignum_exists(fig.number)                                # the figure is left open

def test_save_figure_failure_keeps_the_old_image(tmp_path, monkeypatch):
    fig = good()[0]; out = save_figure(fig, tmp_path / 'f.png'); before = out.read_bytes()
    def half(path, **kw): open(path, 'wb').write(b'\x89PN'); raise OSError('disk full')
    monkeypatch.setattr(fig, 'savefig', half)
    with pytest.raises(OSError, match='disk full'): save_figure(fig, out)
    assert out.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ['f.png']

def test_write_json_atomic_keeps_the_previous_file_when_dumps_fails(tmp_path, monkeypatch):
    p = write_json_atomic(tmp_path / 't.json', {'a': [1, 2], 'b': np.float32(0.5)})
    assert p.read_text() == '{\n "a": [\n  1,\n  2\n ],\n "b": 0.5\n}\n'
    def boom(*a, **k): raise RuntimeError('boom')
    monkeypatch.setattr(json, 'dumps', boom)
    with pytest.raises(RuntimeError, match='boom'): write_json_atomic(p, {'a': 3})
    assert json.loads(p.read_text()) == {'a': [1, 2], 'b': 0.5}
    assert [q.name for q in tmp_path.iterdir()] == ['t.json']

def test_write_text_atomic_removes_its_temp_file_when_writing_fails(tmp_path):
    p = write_text_atomic(tmp_path / 't.md', 'old\n')
    with pytest.raises(UnicodeEncodeError): write_text_atomic(p, 'new \ud800')   # fails after the temp file is opened
    assert p.read_text() == 'old\n' and [q.name for q in tmp_path.iterdir()] == ['t.md']
    assert write_text_atomic(p, 'new\n').read_text() == 'new\n'
