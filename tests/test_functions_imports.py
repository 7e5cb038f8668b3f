"""The functions stay small: no generator, no Jinja2 or Markdown; the stats handler without stripe."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("generator", "jinja2", "markdown", "yaml", "babel", "click", "PIL")


def test_no_module_of_functions_imports_the_generator():
    offenders = []
    for path in sorted((ROOT / "functions").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in HEAVY]
    assert offenders == []


def loaded_after(module: str) -> set[str]:
    script = (f"import sys, json, importlib; importlib.import_module({module!r}); "
              "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


@pytest.mark.parametrize("handler", ["pledges", "webhook", "stats", "referrals"])
def test_a_handler_imports_only_what_it_needs(handler):
    loaded = loaded_after(f"functions.handlers.{handler}")
    assert not loaded & set(HEAVY)
    assert "boto3" not in loaded  # the store is opened on first use
    if handler != "pledges":
        assert "stripe" not in loaded  # only opening a Checkout session needs the SDK
