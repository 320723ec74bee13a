"""Notebook hygiene: papermill templates, jupytext pairs, kernels."""
import json
from pathlib import Path
import jupytext
import nbformat
import papermill as pm
import pytest

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / 'nbs' / 'experiments').glob('*.ipynb')) + sorted((ROOT / 'nbs' / 'figures').glob('*.ipynb'))
LIBRARY = sorted((ROOT / 'nbs').glob('[0-9]*.ipynb'))

def test_there_are_templates_and_library_notebooks():
    assert len(TEMPLATES) >= 2 and len(LIBRARY) >= 4

@pytest.mark.parametrize('path', TEMPLATES, ids=lambda p: p.name)
def test_exactly_one_parameters_cell_with_literal_annotated_defaults(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if 'parameters' in c.get('metadata', {}).get('tags', [])]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged 'parameters'"
    params = pm.inspect_notebook(str(path))
    assert params, f"{path.name}: empty parameters cell"
    for name, p in params.items():
        assert p['inferred_type_name'] != 'None', f"{path.name}: parameter {name} has no type annotation"
        assert p['help'], f"{path.name}: parameter {name} has no help comment"

@pytest.mark.parametrize('path', TEMPLATES + LIBRARY, ids=lambda p: p.name)
def test_kernel_is_python3(path):
    nb = json.loads(path.read_text())
    assert nb['metadata']['kernelspec']['name'] == 'python3'

@pytest.mark.parametrize('path', TEMPLATES, ids=lambda p: p.name)
def test_jupytext_pair_in_sync(path):
    py = path.with_suffix('.py')
    assert py.exists(), f"{path.name} has no paired percent script"
    a, b = jupytext.read(path), jupytext.read(py)
    strip = lambda nb: [(c.cell_type, c.source.strip(), sorted(c.metadata.get('tags', []))) for c in nb.cells]
    assert strip(a) == strip(b), f"{path.name} and {py.name} differ: run `jupytext --sync {py}`"

@pytest.mark.parametrize('path', LIBRARY, ids=lambda p: p.name)
def test_library_notebooks_export_a_module(path):
    nb = nbformat.read(path, as_version=4)
    assert any(c.source.startswith('#| default_exp') for c in nb.cells if c.cell_type == 'code')
