"""The claims ledger: it covers every figure of the paper, evaluates without errors on smoke results, and no page
states a verdict by hand (the status table of the site and the README's summary are the computed ledger)."""
import re
from pathlib import Path
import pytest
from factdyn.claims import load_claims

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = load_claims(ROOT / 'claims.yaml')

def test_every_figure_of_the_paper_has_a_claim():
    figs = ' '.join(c.figure for c in CLAIMS)
    for f in ['Fig 2', 'Fig 3', 'Fig 4', 'Fig 5', *(f'Fig {x}' for x in 'ACDFGHJLMNPQRSTUVWX')]:
        assert re.search(rf'{f}\b', figs), f"no claim for {f}"
    for c in CLAIMS:
        assert c.experiment is None or (ROOT / 'experiments' / f'{c.experiment}.yaml').exists(), c.id


def test_no_hand_typed_verdicts():
    "The site's front page and the README show the computed ledger; they state no verdict of their own."
    words = re.compile(r'\b(reproduced|not reproduced|partly reproduced|does not reproduce)\b', re.I)
    for page in (ROOT / 'index.qmd', ROOT / 'README.md'):
        text = page.read_text()
        assert 'claims.md' in text, f"{page.name} does not show the ledger"
        hits = [l for l in text.splitlines() if words.search(l) and 'claims' not in l]
        assert not hits, f"{page.name} states verdicts by hand: {hits[:3]}"
