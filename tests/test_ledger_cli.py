"""`cagnotte settle`, `backers` and `reconcile` as a creator runs them, on both stores."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from click.testing import CliRunner

from conftest import NOW
from functions import http, router
from functions.payments.signature import sign
from functions.runtime import Runtime, install
from generator.cli import main
from stripe_server import StripeServer

AFTER = dt.datetime(2026, 12, 16, 9, 0, tzinfo=dt.timezone.utc)
SECRET = "whsec_cli"


@pytest.fixture(params=["sqlite", "dynamodb"])
def store_url(request, site):
    if request.param == "sqlite":
        return f"sqlite:///{site / '.cagnotte' / 'pledges.sqlite3'}"
    request.getfixturevalue("moto_server")
    return "dynamodb://" + request.getfixturevalue("dynamodb_table")


@pytest.fixture
def creator(site, store_url, monkeypatch):
    """A built fixture site with pledges made through the handlers, and a way to run the CLI."""
    from functions.payments.stripe_checkout import StripePayments
    from generator.build import build

    build(site, now=NOW)
    with StripeServer(now=int(NOW.timestamp())) as stripe:
        payments = StripePayments("sk_test_cli", api_base=stripe.url, sleep=lambda s: None)
        runtime = Runtime(catalog_path=site / "_site" / "catalog.json", store_url=store_url,
                          webhook_secret=SECRET, clock=lambda: NOW, payments_factory=lambda: payments)
        install(runtime)
        for name, value in {"STRIPE_SECRET_KEY": "sk_test_cli", "STRIPE_API_BASE": stripe.url,
                            "CAGNOTTE_STORE": store_url, "CAGNOTTE_SECRET": "cli-secret"}.items():
            monkeypatch.setenv(name, value)

        def pledge(amount: str, reward: str | None = None, card: str = "visa", ref: str | None = None, **who):
            fields = {"campaign": "premier-album", "amount": amount, **({"reward": reward} if reward else {}),
                      **({"ref": ref} if ref else {})}
            response = router.dispatch(http.event_from("POST", "/api/pledges", {"Content-Type": "application/json"},
                                                       json.dumps(fields).encode()))
            opened = json.loads(response["body"])
            session = opened["checkout_url"].rsplit("/", 1)[1]
            raw = json.dumps(stripe.complete(session, card=card, **who)).encode()
            router.dispatch(http.event_from("POST", "/api/stripe/webhook",
                                            {"Stripe-Signature": sign(raw, SECRET, int(NOW.timestamp()))}, raw))
            return opened["pledge_id"]

        def run(*args: str, at: dt.datetime = AFTER):
            monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(at.timestamp())))
            stripe.fixed_now = int(at.timestamp())
            return CliRunner().invoke(main, ["--site", str(site), *args], catch_exceptions=False)

        yield pledge, run, runtime, stripe
        runtime.store.close()
        install(None)


def test_settle_prints_a_summary_and_a_rerun_charges_nobody(creator):
    pledge, run, runtime, stripe = creator
    ids = [pledge("4000"), pledge("4000"), pledge("600.50"), pledge("25", card="declined")]
    early = run("settle", "premier-album", at=NOW)
    assert early.exit_code == 1
    assert "Error: 'premier-album' ends 2026-12-15T23:59:59+01:00: it cannot be settled before" in early.output
    result = run("settle", "premier-album")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "premier-album: goal met (8625.50 EUR pledged of 8500.50 EUR).",
        "  charged now: 3 (8600.50 EUR); settled before: 0",
        "  failed: 1 (card_declined: 1); their backers have 7 days to fix their payment",
        "  pledged 8625.50 EUR, collected 8600.50 EUR",
    ]
    again = run("settle", "premier-album")
    assert again.stdout.splitlines()[1] == "  charged now: 0 (0.00 EUR); settled before: 3"
    assert [stripe.charges_for(i) for i in ids] == [1, 1, 1, 0]
    assert run("settle", "nope").output.startswith("Error: no campaign 'nope' (campaigns: atelier-clos, ")


def test_backers_export_has_stable_columns_and_the_shipping_address(creator):
    pledge, run, runtime, stripe = creator
    first = pledge("37.50", reward="vinyl", ref="newsletter", name="Ana Ferreira", email="ana@example.org",
                   country="BE")
    runtime.clock = lambda: NOW + dt.timedelta(minutes=1)  # the export is oldest first
    second = pledge("10", name="=HYPERLINK(\"x\")", email="b@example.org")
    result = run("backers", "premier-album", at=NOW)
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["pledge_id", "created_at", "status", "reward_id", "reward_title", "amount", "amount_minor",
                             "currency", "backer_name", "backer_email", "shipping_name", "shipping_line1",
                             "shipping_line2", "shipping_postal_code", "shipping_city", "shipping_state",
                             "shipping_country", "ref", "quantity", "addons"]
    assert [r["pledge_id"] for r in rows] == [first, second]
    assert {k: rows[0][k] for k in ("status", "reward_id", "reward_title", "amount", "amount_minor", "currency",
                                    "backer_name", "backer_email", "shipping_name", "shipping_country", "ref")} == {
        "status": "pledged", "reward_id": "vinyl", "reward_title": "Vinyle dédicacé", "amount": "37.50",
        "amount_minor": "3750", "currency": "EUR", "backer_name": "Ana Ferreira", "backer_email": "ana@example.org",
        "shipping_name": "Ana Ferreira", "shipping_country": "BE", "ref": "newsletter"}
    assert rows[1]["backer_name"] == "'=HYPERLINK(\"x\")"  # not a formula in a spreadsheet
    as_json = json.loads(run("backers", "premier-album", "--format", "json", at=NOW).stdout)
    assert as_json[0]["amount_minor"] == 3750 and as_json[0]["backer_email"] == "ana@example.org"


def corrupt(runtime, store_url: str) -> None:
    """Counters that no longer match the ledger, as a stray write would leave them."""
    if store_url.startswith("sqlite:///"):
        import sqlite3

        db = sqlite3.connect(store_url[len("sqlite:///"):])
        with db:
            db.execute("UPDATE counters SET raised = raised + 999, backers = backers + 2")
            db.execute("UPDATE claims SET claimed = claimed + 4 WHERE reward = 'vinyl'")
        db.close()
    else:
        import boto3

        client = boto3.client("dynamodb")
        table = store_url[len("dynamodb://"):]
        client.update_item(TableName=table, Key={"pk": {"S": "CAMPAIGN#premier-album"}, "sk": {"S": "COUNTERS"}},
                           UpdateExpression="ADD raised :r, backers :b",
                           ExpressionAttributeValues={":r": {"N": "999"}, ":b": {"N": "2"}})
        client.update_item(TableName=table, Key={"pk": {"S": "CAMPAIGN#premier-album"}, "sk": {"S": "CLAIM#vinyl"}},
                           UpdateExpression="ADD claimed :c", ExpressionAttributeValues={":c": {"N": "4"}})


def test_reconcile_finds_and_fixes_corrupted_counters(creator, store_url):
    pledge, run, runtime, stripe = creator
    pledge("37.50", reward="vinyl", ref="newsletter")
    pledge("12")
    clean = run("reconcile", "premier-album", at=NOW)
    assert (clean.exit_code, clean.stdout) == (0, "premier-album: the counters equal the ledger (2 pledges, "
                                                   "49.50 EUR pledged).\n")
    corrupt(runtime, store_url)
    found = run("reconcile", "premier-album", at=NOW)
    assert found.exit_code == 1
    assert found.stdout.splitlines() == [
        "premier-album: raised: counters say 5949, the ledger says 4950",
        "premier-album: backers: counters say 4, the ledger says 2",
        "premier-album: claimed[vinyl]: counters say 5, the ledger says 1",
        "premier-album: 3 drift(s); run `cagnotte reconcile premier-album --fix` to correct them.",
    ]
    fixed = run("reconcile", "premier-album", "--fix", at=NOW)
    assert fixed.exit_code == 1
    assert fixed.stdout.splitlines()[-1] == "premier-album: fixed 3 drift(s): the counters now equal the ledger."
    assert run("reconcile", "premier-album", at=NOW).exit_code == 0
    stats = json.loads(router.dispatch(http.event_from("GET", "/api/campaigns/premier-album/stats", {}, b""))["body"])
    assert (stats["raised"], stats["backers"], stats["rewards"][1]["claimed"]) == (4950, 2, 1)
    assert runtime.store.referral("newsletter", "premier-album").raised == 3750


def test_reminder_lists_are_exported_and_an_address_erased(creator):
    pledge, run, runtime, stripe = creator
    import dataclasses

    from functions.core import reminders

    before = dt.datetime(2026, 10, 20, tzinfo=dt.timezone.utc)
    campaign = runtime.catalog.campaigns["premier-album"]
    for address in ("g@example.org", "h@example.org"):
        runtime.store.add_reminder(reminders.sign_up(campaign, "premier-album", address, before))
    stored = runtime.store.get_reminder("premier-album", reminders.reminder_id("h@example.org"))
    runtime.store.save_reminder(dataclasses.replace(stored, status="confirmed", confirmed_at=before))
    listed = run("reminders", "premier-album", at=before)
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert sorted((r["email"], r["status"]) for r in rows) == [("g@example.org", "pending"),
                                                               ("h@example.org", "confirmed")]
    erased = run("reminders", "--erase", "H@example.org", at=before)
    assert erased.stdout == "erased from 1 list(s): premier-album\n"
    assert [r.email for r in runtime.store.reminders("premier-album")] == ["g@example.org"]
    assert run("reminders", "--erase", "nobody@example.org", at=before).stdout == "that address is on no reminder list\n"


def test_comments_are_listed_and_moderated_by_the_creator(creator):
    pledge, run, runtime, stripe = creator
    from functions.core import comments

    campaign = runtime.catalog.campaigns["premier-album"]
    ana = comments.new(campaign, {"text": "Bravo\nvraiment", "name": "Ana"}, "cm_" + "a" * 20, NOW, backer=True)
    spam = comments.new(campaign, {"text": "buy", "name": "Spam"}, "cm_" + "b" * 20, NOW)
    for c in (ana, spam):
        runtime.store.add_comment(c)
    listed = run("comments", "premier-album", at=NOW)
    assert listed.exit_code == 0
    assert listed.stdout.splitlines() == [
        f"{ana.id}  visible  {NOW:%Y-%m-%d %H:%M}  Ana  [backer]", "    Bravo", "    vraiment",
        f"{spam.id}  pending  {NOW:%Y-%m-%d %H:%M}  Spam", "    buy"]
    assert run("comments", "premier-album", "--hide", spam.id, at=NOW).stdout == f"{spam.id}: hidden\n"
    assert run("comments", "premier-album", "--pin", ana.id, at=NOW).stdout == f"{ana.id}: pinned\n"
    replied = run("comments", "premier-album", "--reply", ana.id, "Merci Ana !", at=NOW)
    assert replied.exit_code == 0 and replied.stdout.endswith(f"replied to {ana.id} as Lina\n")
    page, _ = runtime.store.comment_page("premier-album", None, 10)
    [reply] = [c for c in page if c.parent == ana.id]
    assert reply.by_creator and reply.name == "Lina" and reply.status == "visible"
    missing = run("comments", "premier-album", "--delete", "cm_" + "0" * 20, at=NOW)
    assert missing.exit_code == 1 and "no comment cm_" in missing.output
    assert run("comments", "premier-album", "--delete", ana.id, at=NOW).stdout == f"{ana.id}: deleted\n"
    assert [c.id for c in runtime.store.all_comments("premier-album")] == [spam.id]


def test_a_backer_who_asked_is_told_once_of_the_creators_reply(creator):
    pledge, run, runtime, stripe = creator
    import dataclasses

    from functions.core import comments

    pledge_id = pledge("40", email="ana@example.org")
    campaign = runtime.catalog.campaigns["premier-album"]
    asked = dataclasses.replace(comments.new(campaign, {"text": "Quand sort le vinyle ?", "name": "Ana"},
                                             "cm_" + "c" * 20, NOW, backer=True), notify=pledge_id)
    quiet = comments.new(campaign, {"text": "Bravo", "name": "Ben"}, "cm_" + "d" * 20, NOW, backer=True)
    for c in (asked, quiet):
        runtime.store.add_comment(c)
    told = run("comments", "premier-album", "--reply", asked.id, "En mai !", at=NOW)
    assert told.exit_code == 0 and "its author is told by e-mail" in told.stdout
    [reply] = [c for c in runtime.store.all_comments("premier-album") if c.parent == asked.id]
    row = runtime.store.get_mail(f"comment_reply:premier-album:{reply.id}")
    assert (row.kind, row.to, row.values["reply_text"], row.values["comment_text"]) == (
        "comment_reply", "ana@example.org", "En mai !", "Quand sort le vinyle ?")
    assert "notify" not in comments.public(asked)  # the pledge it names stays private
    silent = run("comments", "premier-album", "--reply", quiet.id, "Merci Ben", at=NOW)
    assert silent.exit_code == 0 and "told" not in silent.stdout


def test_shipping_left_for_fulfilment_is_charged_once_on_the_saved_card(creator, site):
    pledge, run, runtime, stripe = creator
    from generator.build import build

    album = site / "content/campaigns/premier-album/index.md"
    text = album.read_text()
    assert "cost: 5 }" in text
    album.write_text(text.replace("cost: 5 }", "cost: 5, at_fulfilment: true }", 1))
    build(site, now=NOW)
    assert runtime.catalog.campaigns["premier-album"].reward("vinyl").shipping.at_fulfilment
    vinyl = pledge("32.50", reward="vinyl", email="ana@example.org")  # the reward's price alone: no shipping yet
    assert runtime.store.get_pledge(vinyl).shipping_due == 500
    other = pledge("9000")
    assert run("charge-shipping", "premier-album", at=NOW).output.startswith(
        "Error: 'premier-album' ends 2026-12-15T23:59:59+01:00: shipping is charged after settlement")
    assert run("settle", "premier-album").exit_code == 0
    assert runtime.store.get_pledge(vinyl).amount == 3250  # settled without the shipping
    charged = run("charge-shipping", "premier-album")
    assert charged.exit_code == 0, charged.output
    assert charged.stdout.splitlines() == ["premier-album: shipping charged for 1 pledge(s), 5.00 EUR; 0 already paid"]
    paid = runtime.store.get_pledge(vinyl)
    assert paid.shipping_paid and paid.shipping_paid.startswith("pi_") and paid.status == "collected"
    again = run("charge-shipping", "premier-album")
    assert again.stdout.splitlines() == ["premier-album: shipping charged for 0 pledge(s), 0.00 EUR; 1 already paid"]
    assert (stripe.charges_for(vinyl), stripe.charges_for(other)) == (2, 1)  # the pledge, then its shipping: once
    intent = stripe.payment_intents[paid.shipping_paid]
    assert (intent["amount"], intent["metadata"]["kind"]) == (500, "shipping")
