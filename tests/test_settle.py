"""Settlement against the Stripe stand-in, on both stores: charged exactly once, or nobody.

Pledges are made through the real handlers (Checkout in setup mode on the
stand-in, signed webhooks); `settle` then charges off-session through the real
SDK. The stand-in counts the PaymentIntents of each pledge: the proof.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import pytest

from conftest import FIXTURE, NOW
from functions import http, router
from functions.core.settle import NotEnded, settle
from functions.payments.signature import sign
from functions.payments.stripe_checkout import StripePayments
from functions.runtime import Runtime, install
from stripe_server import StripeServer

SECRET = "whsec_settle"
AFTER = dt.datetime(2026, 12, 16, 9, 0, tzinfo=dt.timezone.utc)  # premier-album ended on the 15th


@pytest.fixture(scope="module")
def catalog_path(tmp_path_factory):
    from generator.build import build

    root = tmp_path_factory.mktemp("settle") / "site"
    shutil.copytree(FIXTURE, root)
    build(root, now=NOW)
    return root / "_site" / "catalog.json"


class World:
    """The handlers, the stand-in and a clock the test moves."""

    def __init__(self, catalog_path, store_url, stripe: StripeServer):
        self.stripe = stripe
        self._now = NOW
        self.payments = StripePayments("sk_test_settle", api_base=stripe.url, sleep=lambda s: None)
        self.runtime = Runtime(catalog_path=catalog_path, store_url=store_url, webhook_secret=SECRET,
                               secret="manage-secret", clock=lambda: self.now,
                               payments_factory=lambda: self.payments)
        install(self.runtime)

    @property
    def now(self) -> dt.datetime:
        return self._now

    @now.setter
    def now(self, value: dt.datetime) -> None:
        self._now = value
        self.stripe.fixed_now = int(value.timestamp())  # one clock for both sides

    @property
    def store(self):
        return self.runtime.store

    @property
    def campaign(self):
        return self.runtime.catalog.campaigns["premier-album"]

    def call(self, method, path, body=b"", headers=None):
        response = router.dispatch(http.event_from(method, path, headers or {}, body))
        return response["statusCode"], response["headers"], response["body"]

    def deliver(self, event: dict) -> str:
        raw = json.dumps(event).encode()
        status, _, body = self.call("POST", "/api/stripe/webhook", raw,
                                    {"Stripe-Signature": sign(raw, SECRET, int(self.now.timestamp())),
                                     "Content-Type": "application/json"})
        assert status == 200, body
        return json.loads(body)["result"]

    def pledge(self, amount: str, card: str = "visa", reward: str | None = None) -> str:
        fields = {"campaign": "premier-album", "amount": amount}
        if reward:
            fields["reward"] = reward
        status, _, body = self.call("POST", "/api/pledges", json.dumps(fields).encode(),
                                    {"Content-Type": "application/json"})
        assert status == 201, body
        opened = json.loads(body)
        session = opened["checkout_url"].rsplit("/", 1)[1]
        assert self.deliver(self.stripe.complete(session, card=card)) == "applied"
        return opened["pledge_id"]

    def settle(self, **kwargs):
        return settle(self.campaign, store=self.store, payments=self.payments, now=self.now,
                      links=self.runtime.links, **kwargs)

    def status(self, pledge_id: str) -> str:
        return self.store.get_pledge(pledge_id).status

    def stats(self) -> dict:
        return json.loads(self.call("GET", "/api/campaigns/premier-album/stats")[2])


@pytest.fixture
def world(catalog_path, store_url):
    with StripeServer(now=int(NOW.timestamp())) as stripe:
        made = World(catalog_path, store_url, stripe)
        yield made
        made.store.close()
        install(None)


def test_nothing_is_settled_before_the_deadline(world):
    world.pledge("9000")
    with pytest.raises(NotEnded):
        world.settle()
    assert world.stripe.created("payment_intent") == 0


def test_goal_met_every_card_is_charged_exactly_once(world):
    pledges = [world.pledge("3000"), world.pledge("3000"), world.pledge("2600.50")]
    world.now = AFTER
    summary = world.settle()
    assert (summary.outcome, summary.charged, summary.charged_amount, summary.failed) == ("funded", 3, 860050, 0)
    assert [world.stripe.charges_for(p) for p in pledges] == [1, 1, 1]
    assert {world.status(p) for p in pledges} == {"collected"}
    charges = [r for r in world.stripe.requests if r["path"] == "/v1/payment_intents"]
    params = charges[0]["params"]
    assert (params["off_session"], params["confirm"]) == ("true", "true")
    assert params["metadata"]["kind"] == "settle"
    assert {r["idempotency_key"] for r in charges} == {f"settle-{p}" for p in pledges}
    stats = world.stats()
    assert (stats["raised"], stats["collected"], stats["backers"], stats["status"]) == (860050, 860050, 3,
                                                                                       "successful")
    # A second run charges nobody.
    again = world.settle()
    assert (again.charged, again.already) == (0, 3)
    assert [world.stripe.charges_for(p) for p in pledges] == [1, 1, 1]


def test_goal_missed_nobody_is_charged(world):
    pledges = [world.pledge("10"), world.pledge("37.50", reward="vinyl")]
    world.now = AFTER
    summary = world.settle()
    assert (summary.outcome, summary.cancelled, summary.charged) == ("unfunded", 2, 0)
    assert world.stripe.created("payment_intent") == 0
    assert {world.status(p) for p in pledges} == {"cancelled"}
    stats = world.stats()
    # The page still tells what was pledged; nothing was collected; the vinyl is back.
    assert (stats["raised"], stats["collected"], stats["status"]) == (4750, 0, "ended")
    assert stats["rewards"][1]["claimed"] == 0
    assert world.settle().cancelled == 0


def test_declined_and_authentication_required_cards_get_seven_days_to_fix(world):
    good = [world.pledge("4500"), world.pledge("4500")]
    declined = world.pledge("20", card="declined")
    auth = world.pledge("30", card="auth_required")
    world.now = AFTER
    summary = world.settle()
    assert (summary.charged, summary.failed) == (2, 2)
    assert summary.failures == {"card_declined": 1, "authentication_required": 1}
    failed = world.store.get_pledge(declined)
    assert (failed.status, failed.failure_code) == ("payment_failed", "card_declined")
    assert failed.fix_deadline == AFTER + dt.timedelta(days=7)
    stats = world.stats()
    assert (stats["raised"], stats["collected"]) == (905000, 900000)  # pledged and collected, apart

    # The backer of the authentication-required card fixes it through the private link.
    from functions.core import tokens

    token = tokens.make("fix", auth, "manage-secret")
    status, headers, body = world.call("GET", f"/api/fix/{token}")
    assert status == 303, body
    session = headers["Location"].rsplit("/", 1)[1]
    fix_params = world.stripe.session_params[session]
    assert fix_params["mode"] == "payment" and fix_params["customer"] == world.store.get_pledge(auth).customer_id
    assert fix_params["metadata"]["kind"] == "fix"
    assert world.deliver(world.stripe.complete(session)) == "applied"
    assert world.status(auth) == "collected"
    assert world.stats()["collected"] == 903000
    assert world.call("GET", f"/api/fix/{tokens.make('fix', auth, 'forged')}")[0] == 404

    # A week later the unfixed one is dropped: it no longer counts.
    world.now = AFTER + dt.timedelta(days=7, minutes=1)
    assert world.call("GET", f"/api/fix/{tokens.make('fix', declined, 'manage-secret')}")[0] == 410
    later = world.settle()
    assert later.dropped == 1 and later.charged == 0
    assert world.status(declined) == "dropped"
    stats = world.stats()
    assert (stats["raised"], stats["collected"], stats["backers"]) == (903000, 903000, 3)
    assert world.stripe.charges_for(declined) == 0
    assert [world.stripe.charges_for(p) for p in good + [auth]] == [1, 1, 1]


class Crash(Exception):
    pass


def test_a_crash_after_stripe_charged_then_a_rerun_charges_each_pledge_once(world):
    pledges = [world.pledge("1000") for _ in range(9)]
    world.now = AFTER
    seen = []

    def crash_after_three(pledge, result):
        seen.append(pledge.id)
        if len(seen) > 3:
            raise Crash("the process died after Stripe answered, before the ledger write")

    with pytest.raises(Crash):
        world.settle(workers=1, before_outcome=crash_after_three)
    collected = [p for p in pledges if world.status(p) == "collected"]
    assert len(collected) == 3  # Stripe charged a fourth, which the ledger does not know
    summary = world.settle(workers=3)
    assert summary.charged + summary.already == 9
    assert [world.stripe.charges_for(p) for p in pledges] == [1] * 9
    assert world.stats()["collected"] == 900000


def test_a_rerun_days_later_finds_the_charge_stripe_made(world):
    pledges = [world.pledge("5000"), world.pledge("5000")]
    world.now = AFTER

    def crash(pledge, result):
        raise Crash("lost write")

    with pytest.raises(Crash):
        world.settle(workers=1, before_outcome=crash)
    # Two days later Stripe's idempotency key is gone: the rerun must search first.
    world.now = AFTER + dt.timedelta(days=2)
    world.settle(workers=1)
    assert [world.stripe.charges_for(p) for p in pledges] == [1, 1]
    assert {world.status(p) for p in pledges} == {"collected"}


def test_rate_limits_are_waited_out(world):
    pledges = [world.pledge("3000") for _ in range(3)]
    world.now = AFTER
    world.stripe.fail_next(status=429, times=4, path="/v1/payment_intents")
    summary = world.settle(workers=2)
    assert summary.charged == 3 and summary.retry == 0
    assert [world.stripe.charges_for(p) for p in pledges] == [1, 1, 1]


def test_stripe_down_leaves_pledges_for_the_next_run(world):
    pledges = [world.pledge("9000")]
    world.now = AFTER
    world.stripe.fail_next(status=500, times=50, path="/v1/payment_intents")
    summary = world.settle()
    assert (summary.charged, summary.retry, summary.complete) == (0, 1, False)
    assert world.status(pledges[0]) == "pledged"
    world.stripe.fail_next(status=500, times=0)
    world.stripe._failures.clear()
    assert world.settle().charged == 1
    assert world.stripe.charges_for(pledges[0]) == 1


def test_a_flexible_campaign_simply_closes(world):
    campaign = world.runtime.catalog.campaigns["tokyo-zine"]
    world.now = dt.datetime(2027, 2, 1, tzinfo=dt.timezone.utc)
    summary = settle(campaign, store=world.store, payments=world.payments, now=world.now, links=world.runtime.links)
    assert summary.outcome == "closed"
    assert world.stripe.created("payment_intent") == 0


def test_the_scheduled_function_settles_what_is_due(world):
    from functions.handlers import settle as scheduled

    pledges = [world.pledge("9000")]
    assert scheduled.handler({}) == {"settled": []}  # not ended yet
    world.now = AFTER
    report = scheduled.handler({"source": "aws.events"})["settled"]
    assert [(r["campaign"], r["outcome"], r["charged"]) for r in report] == [("premier-album", "funded", 1)]
    assert scheduled.handler({})["settled"] == []
    assert world.stripe.charges_for(pledges[0]) == 1


def test_the_manage_page_links_a_failed_payment_to_its_fix(world):
    failed = world.pledge("10000", card="insufficient_funds")
    world.now = AFTER
    world.settle()
    from functions.core import tokens

    status, _, page = world.call("GET", f"/api/manage/{tokens.make('manage', failed, 'manage-secret')}")
    assert status == 200
    assert re.search(r'href="[^"]*/api/fix/' + re.escape(failed), page)


def test_a_week_before_the_deadline_backers_with_expiring_cards_are_warned(world):
    from functions.core.flows import queue_scheduled_mail

    world.runtime.secret = "manage-secret"
    ok = world.pledge("100")
    opened = world.call("POST", "/api/pledges", json.dumps({"campaign": "premier-album", "amount": "50"}).encode(),
                        {"Content-Type": "application/json"})
    session = json.loads(opened[2])["checkout_url"].rsplit("/", 1)[1]
    world.deliver(world.stripe.complete(session, expires=(11, 2026)))
    expiring = world.store.pledge_by_session(session)
    links = world.runtime.links
    assert queue_scheduled_mail(catalog=world.runtime.catalog, store=world.store, links=links,
                                now=NOW, payments=world.payments) == 0  # three weeks before: not yet
    week_before = dt.datetime(2026, 12, 9, 12, 0, tzinfo=dt.timezone.utc)
    world.now = week_before
    for _ in range(2):
        queue_scheduled_mail(catalog=world.runtime.catalog, store=world.store, links=links, now=week_before,
                             payments=world.payments)
    assert world.store.get_mail(f"card_expiring:{expiring.id}").values["card_expires"] == "2026-11"
    assert world.store.get_mail(f"card_expiring:{ok}") is None


def test_a_backer_saves_a_new_card_before_the_deadline_and_it_is_the_one_charged(world):
    from functions.core import tokens

    pledge_id = world.pledge("9000", card="declined")
    before = world.store.get_pledge(pledge_id)
    manage = f"/api/manage/{tokens.make('manage', pledge_id, 'manage-secret')}"
    status, _, page = world.call("GET", manage)
    assert status == 200 and 'value="card"' in page
    status, headers, body = world.call("POST", manage, b"action=card",
                                       {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303, body
    session = headers["Location"].rsplit("/", 1)[1]
    params = world.stripe.session_params[session]
    assert (params["mode"], params["customer"], params["metadata"]["kind"]) == ("setup", before.customer_id, "card")
    assert "2026-12-15" in params["custom_text"]["submit"]["message"]  # the deadline its card is charged at
    assert world.deliver(world.stripe.complete(session, card="visa")) == "applied"
    after = world.store.get_pledge(pledge_id)
    assert after.setup_intent_id != before.setup_intent_id and after.status == "pledged"
    world.now = AFTER
    summary = world.settle()
    assert (summary.charged, summary.failed) == (1, 0)
    assert world.stripe.charges_for(pledge_id) == 1
