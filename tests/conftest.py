import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault('FACTDYN_ROOT', str(ROOT))

@pytest.fixture(scope='session')
def root(): return ROOT
