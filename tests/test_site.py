"""Static checks of the Quarto site (Quarto itself cannot be installed on CI machines)."""
import re
from pathlib import Path
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONF = yaml.safe_load((ROOT / '_quarto.yml').read_text())
PAGES = [ROOT / p for p in CONF['project']['render']]

def test_render_list_pages_exist():
    assert PAGES
    for p in PAGES: assert p.exists(), f"_quarto.yml renders {p.relative_to(ROOT)}, which does not exist"

def test_execute_is_top_level_and_frozen():
    assert 'execute' in CONF and CONF['execute'].get('freeze') is True
    assert 'execute' not in CONF.get('website', {})

def _sidebar_files(items):
    for it in items:
        if isinstance(it, str): yield it
        elif isinstance(it, dict):
            if 'href' in it: yield it['href']
            yield from _sidebar_files(it.get('contents', []))

def test_sidebar_entries_are_rendered():
    side = list(_sidebar_files(CONF['website']['sidebar']['contents']))
    assert set(side) <= set(CONF['project']['render'])

@pytest.mark.parametrize('page', PAGES, ids=lambda p: p.name)
def test_figures_includes_and_references(page):
    text = page.read_text()
    for img in re.findall(r'!\[[^\]]*\]\(([^)\s]+)', text):
        assert (page.parent / img).exists(), f"{page.name}: missing figure {img}"
    for inc in re.findall(r'\{\{<\s*include\s+(\S+)\s*>\}\}', text):
        assert (page.parent / inc).exists(), f"{page.name}: missing include {inc}"
    labels = set(re.findall(r'\{#(fig-[\w-]+)', text)) | set(re.findall(r'#\|\s*label:\s*(fig-[\w-]+)', text))
    refs = set(re.findall(r'(?<![\w{#])@(fig-[\w-]+)', text))
    assert refs <= labels, f"{page.name}: references without a label: {refs - labels}"
    for link in re.findall(r'\]\(([^)#\s]+\.qmd)\)', text):
        assert (page.parent / link).exists(), f"{page.name}: broken link {link}"
