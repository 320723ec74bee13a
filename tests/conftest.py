import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault('FACTDYN_ROOT', str(ROOT))
# runs exported by tests go to a temporary results store, never into the repository's committed results/
import tempfile
os.environ.setdefault('FACTDYN_RESULTS_ROOT', tempfile.mkdtemp(prefix='factdyn-test-results-'))

@pytest.fixture(scope='session')
def root(): return ROOT
