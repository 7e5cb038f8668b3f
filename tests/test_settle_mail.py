"""`cagnotte settle` by hand and the scheduled function decide the same mails (issue 12, settlement).

Two identical ledgers (one SQLite file, copied with SQLite's backup API) are
settled against the same Stripe stand-in: one by the scheduled handler, one by
the CLI. Each settlement charge is keyed by its pledge, so both runs get the
same answers from Stripe (the second one is Stripe's replay); the mail rows the
two ledgers then hold must be the same, row for row.
"""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from conftest import FIXTURE, NOW
from generator.cli import main
from stripe_server import StripeServer
from test_settle import AFTER, World


def mail_rows(path) -> dict[str, dict]:
    """Every mail row of a SQLite ledger: id → what decides the message (not its sending state)."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id, data FROM mails").fetchall()
    out = {}
    for mail_id, data in rows:
        mail = json.loads(data)
        out[mail_id] = {k: mail.get(k) for k in ("kind", "campaign", "lang", "pledge_id", "values", "created_at")}
    return out


@pytest.fixture
def site(tmp_path):
    from generator.build import build

    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    build(root, now=NOW)
    return root


def test_cli_settle_and_the_scheduled_function_queue_identical_mail(site, tmp_path, monkeypatch):
    from functions.handlers import settle as scheduled

    scheduled_db, cli_db = tmp_path / "scheduled.sqlite3", tmp_path / "cli.sqlite3"
    with StripeServer(now=int(NOW.timestamp())) as stripe:
        world = World(site / "_site" / "catalog.json", f"sqlite:///{scheduled_db}", stripe)
        try:
            paid = world.pledge("9000")
            declined = world.pledge("20", card="declined")
            with sqlite3.connect(scheduled_db) as source, sqlite3.connect(cli_db) as copy:
                source.backup(copy)
            world.now = AFTER
            report = scheduled.handler({"source": "aws.events"})["settled"]
            assert [(r["charged"], r["failed"]) for r in report] == [(1, 1)]

            for name, value in {"STRIPE_SECRET_KEY": "sk_test_settle", "STRIPE_API_BASE": stripe.url,
                                "CAGNOTTE_STORE": f"sqlite:///{cli_db}", "CAGNOTTE_SECRET": "manage-secret",
                                "SOURCE_DATE_EPOCH": str(int(AFTER.timestamp()))}.items():
                monkeypatch.setenv(name, value)
            result = CliRunner().invoke(main, ["--site", str(site), "settle", "premier-album"],
                                        catch_exceptions=False)
            assert result.exit_code == 0, result.output
            assert "  charged now: 1 (9000.00 EUR); settled before: 0" in result.stdout
        finally:
            world.store.close()
    assert stripe.charges_for(paid) == 1  # the CLI's charge was Stripe's replay of the scheduled one
    by_cli, by_schedule = mail_rows(cli_db), mail_rows(scheduled_db)
    settled = {k: v for k, v in by_cli.items() if v["kind"] in ("receipt", "payment_failed")}
    assert sorted(settled) == sorted([f"receipt:{paid}", f"payment_failed:{declined}"])
    assert "/api/fix/" in settled[f"payment_failed:{declined}"]["values"]["fix_url"]
    assert by_cli == by_schedule


def test_cli_settle_on_a_missed_goal_queues_the_unfunded_mail(site, tmp_path, monkeypatch):
    db = tmp_path / "ledger.sqlite3"
    with StripeServer(now=int(NOW.timestamp())) as stripe:
        world = World(site / "_site" / "catalog.json", f"sqlite:///{db}", stripe)
        try:
            small = world.pledge("10")
        finally:
            world.store.close()
        for name, value in {"CAGNOTTE_STORE": f"sqlite:///{db}", "SOURCE_DATE_EPOCH": str(int(AFTER.timestamp()))
                            }.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("CAGNOTTE_SECRET", raising=False)
        result = CliRunner().invoke(main, ["--site", str(site), "settle", "premier-album"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = mail_rows(db)
    # No CAGNOTTE_SECRET on the site's own ledger: the secret `cagnotte serve` signs with.
    secret = (site / ".cagnotte" / "secret").read_text().strip()
    from functions.core import tokens

    assert rows[f"unfunded:{small}"]["values"]["manage_url"].endswith(f"/manage/{tokens.make('manage', small, secret)}")


def test_cli_settle_on_dynamodb_without_the_secret_is_refused(site, monkeypatch):
    monkeypatch.setenv("CAGNOTTE_STORE", "dynamodb://cagnotte-never-opened")
    monkeypatch.delenv("CAGNOTTE_SECRET", raising=False)
    monkeypatch.delenv("CAGNOTTE_SECRET_PARAM", raising=False)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(AFTER.timestamp())))
    result = CliRunner().invoke(main, ["--site", str(site), "settle", "premier-album"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "Error: CAGNOTTE_SECRET is not set" in result.output


def test_cli_settle_reports_a_processing_charge_and_exits_0(site, tmp_path, monkeypatch):
    db = tmp_path / "ledger.sqlite3"
    with StripeServer(now=int(NOW.timestamp())) as stripe:
        world = World(site / "_site" / "catalog.json", f"sqlite:///{db}", stripe)
        try:
            world.pledge("9000", card="processing")
        finally:
            world.store.close()
        stripe.fixed_now = int(AFTER.timestamp())
        for name, value in {"STRIPE_SECRET_KEY": "sk_test_settle", "STRIPE_API_BASE": stripe.url,
                            "CAGNOTTE_STORE": f"sqlite:///{db}", "CAGNOTTE_SECRET": "manage-secret",
                            "SOURCE_DATE_EPOCH": str(int(AFTER.timestamp()))}.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(main, ["--site", str(site), "settle", "premier-album"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert ("  processing: 1 (the bank answers later; Stripe's payment_intent webhook events settle them)"
            in result.stdout.splitlines())
