"""A late pledge in a real browser: after a funded deadline the page still takes pledges, at the late price,
charged at once, and shows what was raised by the deadline apart from the late pledges."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from functions.core import events
from functions.core.pledge import PENDING, PLEDGED, Pledge

from .conftest import Served
from .test_pledging import pay

BEFORE = dt.datetime(2026, 12, 10, 12, 0, tzinfo=dt.timezone.utc)
AFTER = dt.datetime(2026, 12, 20, 9, 0, tzinfo=dt.timezone.utc)  # premier-album ended on 15 December
CAMPAIGN = "/campaigns/premier-album/"


class LateServed(Served):
    """serve on the fixture site with late pledges, its clock after a deadline whose goal was met."""

    def __init__(self, work):
        super().__init__(work)
        self.epoch = str(int(AFTER.timestamp()))
        index = self.site / "content/campaigns/premier-album/index.md"
        text = index.read_text(encoding="utf-8")
        text = text.replace("funding: all_or_nothing", "funding: all_or_nothing\nlate_pledges: true\n"
                                                       "late_until: 2027-01-15T23:59:59+01:00", 1)
        index.write_text(text.replace("    limit: 300\n", "    limit: 300\n    late_amount: 45\n", 1), encoding="utf-8")
        from functions.store.sqlite import SQLiteStore

        (self.site / ".cagnotte").mkdir(exist_ok=True)
        store = SQLiteStore(self.site / ".cagnotte" / "pledges.sqlite3")  # the goal was met by the deadline
        early = Pledge(id="pl_early", campaign="premier-album", reward=None, amount=900000, currency="EUR",
                       mode="setup", status=PENDING, created_at=BEFORE, updated_at=BEFORE,
                       expires_at=BEFORE + dt.timedelta(minutes=35), ref_code="early001")
        store.open_pledge(early, limit=None)
        store.apply(events.change(early, early.replace(status=PLEDGED, email="e@example.org"), event_id=None,
                                  now=BEFORE))
        store.close()


@pytest.fixture(scope="module")
def late(tmp_path_factory):
    server = LateServed(tmp_path_factory.mktemp("late-browser"))
    server.start()
    yield server
    server.stop()


def test_a_backer_pledges_late_after_a_funded_deadline(late, new_context):
    page: Page = new_context().new_page()  # its base_url is the session's serve: this one's addresses are absolute
    page.goto(late.url + CAMPAIGN)
    expect(page.get_by_text(re.compile("Les contributions tardives sont ouvertes jusqu’au"))).to_be_visible()
    late_box = page.locator("[data-late]")
    expect(page.locator('[data-stat="raised"]').first).to_have_text("9\u202f000\u00a0€")  # raised by the deadline
    card = page.locator("#reward-vinyl")
    expect(card.locator(".reward-amount")).to_have_text("45\u00a0€")  # the late price
    card.get_by_role("button").click()
    page.wait_for_url("**/_cagnotte/checkout/*")
    expect(page.get_by_text("50,00\u00a0€").first).to_be_visible()  # 45 € and the shipping, charged now
    expect(page.get_by_text("Vous êtes débité maintenant.")).to_be_visible()
    pay(page)
    stats = page.request.get(late.url + "/api/campaigns/premier-album/stats", headers={"Cache-Control": "no-cache"}).json()
    assert (stats["status"], stats["raised"], stats["late"]["raised"], stats["late"]["backers"]) == (
        "late", 900000, 5000, 1)
    page.goto(late.url + CAMPAIGN)
    expect(late_box).to_be_visible()
    expect(late_box).to_contain_text("50\u00a0€")
