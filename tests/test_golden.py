"""The fixture site's whole output, byte for byte, against tests/golden/.

When a change to the theme or the generator is meant to change the output,
refresh the expected tree and review the diff like any other change:

    CAGNOTTE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py
    git diff tests/golden
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from conftest import NOW, tree
from generator.build import build

GOLDEN = Path(__file__).parent / "golden" / "site"


def test_fixture_site_matches_the_golden_tree(site):
    build(site, now=NOW, jobs=2)
    actual = tree(site / "_site")
    if os.environ.get("CAGNOTTE_UPDATE_GOLDEN"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(site / "_site", GOLDEN)
    expected = tree(GOLDEN)
    assert sorted(actual) == sorted(expected), "files added or missing (see the docstring to refresh)"
    differing = [path for path in expected if actual[path] != expected[path]]
    assert differing == [], "files differ from tests/golden (see the docstring to refresh)"
