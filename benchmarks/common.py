"""What the benchmark scripts share: the tree they measure, its commit and fingerprint, and their output.

Each script is run as ``python benchmarks/NAME.py``, so this folder is first
on ``sys.path`` and ``import common`` finds this module. No script is named
like a package of the product (``functions``, ``generator``): that name would
shadow the package it measures.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def measure_working_tree() -> None:
    """Put the repository first on ``sys.path``: the working tree is measured, installed or not."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))


def code_stamp() -> str:
    """A fingerprint of the code under test (names, sizes, mtimes), to notice edits mid-run."""
    h = hashlib.sha256()
    for top in ("generator", "functions", "themes"):
        for folder, dirs, names in os.walk(REPO / top):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(names):
                st = os.stat(os.path.join(folder, name))
                h.update(f"{folder}/{name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def git_commit() -> str | None:
    """The repository's commit, with ``+dirty`` when the working tree has changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def num(value, fmt: str = "{:.2f}", none: str = "—") -> str:
    """A figure for a table; ``none`` when it was not measured."""
    return none if value is None else fmt.format(value)


def rounded(value):
    """Floats to 4 decimals, for JSON that people read."""
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return value
