"""A store that is locked or cannot be reached answers 503 quickly, writes nothing, and settle says so in a line."""

from __future__ import annotations

import socket
import sqlite3

import pytest

from functions.core.errors import Unavailable
from functions.store.sqlite import SQLiteStore
from test_api import catalog_path  # noqa: F401 - fixture
from test_store_contract import pledge


def test_a_locked_sqlite_store_is_unavailable_not_a_hang(tmp_path):
    path = tmp_path / "pledges.sqlite3"
    store = SQLiteStore(path, busy_timeout=0.2)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process (a settle run, a backup) holds the file
    try:
        with pytest.raises(Unavailable):
            store.open_pledge(pledge(1), limit=None)
    finally:
        other.execute("ROLLBACK")
        other.close()
    store.open_pledge(pledge(1), limit=None)  # once it is free, the same write works
    assert store.get_pledge(pledge(1).id) is not None


def test_an_unreachable_dynamodb_is_unavailable_quickly(monkeypatch):
    from functions.store.dynamodb import DynamoDBStore

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    store = DynamoDBStore("cagnotte-nowhere")
    with pytest.raises(Unavailable):
        store.get_pledge("pl_x")


def test_the_api_answers_503_with_retry_after_when_the_store_is_locked(tmp_path, catalog_path):
    import json

    from functions import http, router
    from functions.runtime import Runtime, install

    from conftest import NOW

    path = tmp_path / "locked.sqlite3"
    runtime = Runtime(catalog_path=catalog_path, store_url=f"sqlite:///{path}", clock=lambda: NOW,
                      origin="http://127.0.0.1:8000")
    runtime._store = SQLiteStore(path, busy_timeout=0.2)  # noqa: SLF001 - a short wait for the test
    install(runtime)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        response = router.dispatch(http.event_from("POST", "/api/pledges", {"Content-Type": "application/json"},
                                                   json.dumps({"campaign": "tokyo-zine", "amount": "10"}).encode()))
    finally:
        other.execute("ROLLBACK")
        other.close()
        install(None)
    assert response["statusCode"] == 503 and response["headers"]["Retry-After"] == "1"
    assert json.loads(response["body"])["error"]["code"] == "unavailable"


def test_settle_on_a_locked_store_prints_one_line(cli, site, monkeypatch):
    path = site / ".cagnotte" / "pledges.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    SQLiteStore(path).close()
    monkeypatch.setattr("functions.store.sqlite.BUSY_TIMEOUT", 0.2)
    monkeypatch.setattr(SQLiteStore.__init__, "__defaults__", (0.2,))
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        result = cli("--site", str(site), "settle", "atelier-clos")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert result.exit_code == 1
    assert result.stderr == "Error: the pledge store is busy; try again in a moment: settle stopped; run it again to resume\n"
