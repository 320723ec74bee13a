import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault('FACTDYN_ROOT', str(ROOT))

@pytest.fixture(scope='session')
def root(): return ROOT

@pytest.fixture(scope='session', autouse=True)
def results_root(tmp_path_factory):
    """Runs exported by tests go to a temporary results store, never into the repository's committed results/:
    a folder under pytest's own temporary directory (pruned by pytest), unless $FACTDYN_RESULTS_ROOT is set.
    Set for the whole session, so the CLI subprocesses and process-pool workers the tests start inherit it."""
    if os.environ.get('FACTDYN_RESULTS_ROOT'):
        yield Path(os.environ['FACTDYN_RESULTS_ROOT']); return
    mp = pytest.MonkeyPatch()
    mp.setenv('FACTDYN_RESULTS_ROOT', str(tmp_path_factory.mktemp('results')))
    yield Path(os.environ['FACTDYN_RESULTS_ROOT'])
    mp.undo()
