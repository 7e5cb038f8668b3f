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


@pytest.fixture(autouse=True)
def _outbox_in_tmp(tmp_path, monkeypatch):
    """Mail the functions send during a test goes to the test's own outbox, never to ./.cagnotte/outbox."""
    monkeypatch.setattr("functions.mailers.DEFAULT", f"outbox:///{tmp_path / 'outbox'}")


@pytest.fixture
def cli(monkeypatch):
    """Run `cagnotte ARGS…` in-process; returns click's Result (exit code, stdout, stderr)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", NOW_EPOCH)

    def run(*args: str):
        return CliRunner().invoke(main, list(args), catch_exceptions=False)

    return run


@pytest.fixture(params=["sqlite", "dynamodb"])
def store_url(request, tmp_path):
    """Each store the functions run on: SQLite in a file, DynamoDB on moto's server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pledges.sqlite3'}"
    request.getfixturevalue("moto_server")
    return "dynamodb://" + request.getfixturevalue("dynamodb_table")


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def tree(out: Path) -> dict[str, bytes]:
    """Every file under ``out`` with its bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


# ---- DynamoDB: a local AWS (moto's server) ---------------------------------------
# Used by the DynamoDB store tests (tests/test_dynamodb_store.py, the store
# contract suite). One server per session; one fresh table per test.

@pytest.fixture(scope="session")
def moto_server():
    """The URL of moto's server, with boto3 pointed at it for the whole session.

    When it cannot start the tests that need it are skipped, or fail when
    ``CI=true`` (CI must never skip them silently).
    """
    import os

    from aws_server import MotoServer, MotoServerError

    try:
        server = MotoServer().__enter__()
    except (MotoServerError, OSError) as error:
        reason = f"moto's server could not start: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
                patch.delenv(name, raising=False)
            patch.setenv("AWS_ENDPOINT_URL", server.url)
            patch.setenv("AWS_ACCESS_KEY_ID", "testing")
            patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
            patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
            yield server.url
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def dynamodb_table(moto_server) -> str:
    """A table name no other test uses (the store creates the table on first use)."""
    import uuid

    return f"cagnotte-test-{uuid.uuid4().hex[:12]}"
