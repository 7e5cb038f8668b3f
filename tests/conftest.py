"""Shared fixtures: a copy of the fixture site, a fixed `now`, the CLI."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "site"
# The fixture site is built "on" this day: its live campaign ends 2026-12-15.
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)
NOW_EPOCH = str(int(NOW.timestamp()))


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A fresh, writable copy of tests/fixtures/site."""
    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    return root


@pytest.fixture
def cli(monkeypatch):
    """Run `cagnotte ARGS…` in-process; returns click's Result (exit code, stdout, stderr)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", NOW_EPOCH)

    def run(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tree(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` with its bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
