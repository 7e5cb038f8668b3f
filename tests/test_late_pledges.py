"""Late pledges: after a funded deadline the page keeps taking pledges, charged at once, until late_until."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from conftest import FIXTURE, write
from functions.core import events
from functions.core.pledge import PENDING, PLEDGED, Pledge
from functions.payments.local import LocalCheckout
from functions.runtime import Runtime, install
from test_api import SECRET, Api
from test_validation import CAMPAIGN, GOOD, check, problems

ALBUM = "content/campaigns/premier-album/index.md"
BEFORE = dt.datetime(2026, 12, 10, 12, 0, tzinfo=dt.timezone.utc)  # the album ends on 15 December
AFTER = dt.datetime(2026, 12, 20, 12, 0, tzinfo=dt.timezone.utc)
CLOSED = dt.datetime(2027, 1, 20, 12, 0, tzinfo=dt.timezone.utc)


def late_site(root):
    text = (root / ALBUM).read_text()
    text = text.replace("funding: all_or_nothing", "funding: all_or_nothing\nlate_pledges: true\n"
                                                   "late_until: 2027-01-15T23:59:59+01:00", 1)
    assert "late_until" in text
    text = text.replace("    limit: 300\n", "    limit: 300\n    late_amount: 45\n", 1)
    assert "late_amount" in text
    write(root, ALBUM, text)


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    late_site(root)
    return root


def build(root, now):
    from generator.build import build as run

    run(root, now=now)
    return root / "_site" / "catalog.json"


@pytest.fixture
def world(site, store_url):
    catalog = build(site, AFTER)
    local = LocalCheckout("http://127.0.0.1:8000", SECRET)
    clock = {"now": BEFORE}
    runtime = Runtime(catalog_path=catalog, store_url=store_url, webhook_secret=SECRET, origin="http://127.0.0.1:8000",
                      clock=lambda: clock["now"], payments_factory=lambda: local)
    install(runtime)
    yield Api(runtime, local), clock
    runtime.store.close()
    install(None)


def complete(api, opened, now):
    event = api.local.complete(api.session_of(opened["checkout_url"]), {"email": "b@example.org", "name": "B",
                                                                         "country": "FR"}, now)
    status, _, body = api.webhook(event, timestamp=int(now.timestamp()))
    assert status == 200 and body["result"] == "applied", body


def test_after_a_funded_deadline_pledges_are_late_charged_at_once_and_counted_apart(world):
    api, clock = world
    complete(api, api.pledge(campaign="premier-album", amount="9000"), BEFORE)  # the goal is 8,500.50 €
    clock["now"] = AFTER
    opened = api.pledge(campaign="premier-album", reward="vinyl")
    pledge = api.runtime.store.get_pledge(opened["pledge_id"])
    checkout = api.local.session(api.session_of(opened["checkout_url"])).request
    assert (pledge.late, pledge.mode, checkout.mode) == (True, "payment", "payment")  # charged now, no card saved
    assert pledge.amount == 4500 + 500  # its late_amount, plus the vinyl's shipping
    complete(api, opened, AFTER)
    assert api.runtime.store.get_pledge(opened["pledge_id"]).status == "paid"
    stats = api.stats("premier-album")
    assert (stats["raised"], stats["backers"], stats["status"]) == (900000, 1, "late")  # by the deadline
    assert stats["late"] == {"raised": 5000, "backers": 1, "until": "2027-01-15T23:59:59+01:00"}
    # the ledger says the same
    from functions.core.reconcile import drift

    assert drift(api.runtime.store.counters("premier-album"), {}, api.runtime.store.pledges("premier-album")) == []
    clock["now"] = CLOSED
    status, _, body = api.call("POST", "/api/pledges", {"campaign": "premier-album", "reward": "vinyl"})
    assert (status, body["error"]["code"]) == (410, "not_live")


def test_a_campaign_that_missed_its_goal_takes_no_late_pledge(world):
    api, clock = world
    clock["now"] = AFTER
    status, _, body = api.call("POST", "/api/pledges", {"campaign": "premier-album", "reward": "vinyl"})
    assert (status, body["error"]["code"]) == (410, "not_live")
    assert "did not reach its goal" in body["error"]["message"]
    status, _, page = api.call("POST", "/api/pledges", {"campaign": "premier-album", "reward": "vinyl"},
                               content_type="application/x-www-form-urlencoded", headers={"Accept": "text/html"})
    assert status == 410 and "n’a pas atteint son objectif" in page
    assert api.runtime.store.pledges("premier-album") == []


def test_the_page_after_the_deadline_offers_late_pledges_at_their_price(site):
    build(site, AFTER)
    page = (site / "_site/campaigns/premier-album/index.html").read_text()
    assert "Les contributions tardives sont ouvertes jusqu’au" in page
    vinyl = page.split('id="reward-vinyl"', 1)[1].split("</article>", 1)[0]
    assert "45\u00a0€" in vinyl and '<form class="pledge-form"' in vinyl
    assert "collectés à l’échéance" in page and "data-late" in page
    catalog = json.loads((site / "_site/catalog.json").read_text())["campaigns"]["premier-album"]
    assert catalog["late_until"] == "2027-01-15T23:59:59+01:00"
    assert [r.get("late_amount") for r in catalog["rewards"]] == [None, 4500]
    build(site, CLOSED)
    closed = (site / "_site/campaigns/premier-album/index.html").read_text()
    assert "contributions tardives sont ouvertes" not in closed and '<form class="pledge-form"' not in closed


def test_a_late_pledge_in_serve_after_a_funded_deadline(site, monkeypatch):
    """The issue's check: `cagnotte serve` with SOURCE_DATE_EPOCH after the deadline takes a late pledge."""
    from functions.store.sqlite import SQLiteStore
    from test_pledge_serve import fetch, start

    (site / ".cagnotte").mkdir(exist_ok=True)
    store = SQLiteStore(site / ".cagnotte/pledges.sqlite3")  # a backer before the deadline met the goal
    early = Pledge(id="pl_early", campaign="premier-album", reward=None, amount=900000, currency="EUR", mode="setup",
                   status=PENDING, created_at=BEFORE, updated_at=BEFORE, expires_at=BEFORE + dt.timedelta(minutes=35),
                   ref_code="early001")
    store.open_pledge(early, limit=None)
    store.apply(events.change(early, early.replace(status=PLEDGED, email="e@example.org"), event_id=None, now=BEFORE))
    store.close()
    monkeypatch.setattr("test_pledge_serve.NOW_EPOCH", str(int(AFTER.timestamp())))
    url, close = start(site, monkeypatch)
    try:
        status, headers, _ = fetch(url + "/api/pledges", {"campaign": "premier-album", "reward": "vinyl"}, form=True,
                                   headers={"Origin": url})
        assert status == 303, _
        status, _, page = fetch(headers["Location"])
        assert status == 200 and "50,00\u00a0€" in page  # the late price and shipping, paid now
        status, _, stats = fetch(url + "/api/campaigns/premier-album/stats")
        assert json.loads(stats)["status"] == "late"
    finally:
        close()


@pytest.mark.parametrize("extra, message", [
    ("late_pledges: true\n", "'late_pledges: true' needs 'late_until': when late pledges close"),
    ("late_until: 2027-01-15\n", "'late_until' is for late pledges: add 'late_pledges: true'"),
    ("late_pledges: true\nlate_until: 2026-12-01\n",
     "'late_until' must be after 'ends': late pledges come after the deadline"),
])
def test_late_pledge_settings_are_checked_with_their_line(cli, site, extra, message):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("funding: all_or_nothing\n",
                                                           "funding: all_or_nothing\n" + extra)))
    assert code == 1
    found = problems(site, lines)
    assert len(found) == 1 and found[0].startswith(f"{CAMPAIGN}:") and found[0].endswith(message), found
