"""Abuse of the anonymous routes: per-client and per-mailbox limits, and forms from other sites.

Through the Lambda entry point with API Gateway's ``sourceIp``, on SQLite and
on DynamoDB (moto's server): the counter lives in the store, so it holds
across Lambda instances.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from functions import http, router
from functions.core import limits
from test_api import NOW, SECRET, api, catalog_path  # noqa: F401 - fixtures

BEFORE_LAUNCH = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.timezone.utc)  # premier-album opens on 1 November
FORM = "application/x-www-form-urlencoded"


def call(api, path: str, fields: dict, *, ip: str = "203.0.113.7", origin: str | None = None,
         form: bool = False) -> tuple[int, dict, object]:
    body = (urlencode(fields) if form else json.dumps(fields)).encode()
    headers = {"Content-Type": FORM if form else "application/json"}
    if origin:
        headers["Origin"] = origin
    response = router.dispatch(http.event_from("POST", path, headers, body, source_ip=ip))
    try:
        parsed = json.loads(response["body"])
    except ValueError:
        parsed = response["body"]
    return response["statusCode"], response["headers"], parsed


@pytest.fixture
def reminders_api(api):  # noqa: F811
    api.runtime.secret = "site-secret"
    api.runtime.mail_templates = lambda: None  # mail stays queued: the test counts it
    api.runtime.clock = lambda: BEFORE_LAUNCH
    return api


def queued(api, kind: str) -> int:
    return sum(1 for m in api.runtime.store.due_mails(BEFORE_LAUNCH + dt.timedelta(days=1), 500) if m.kind == kind)


# -- the counter, on each store ---------------------------------------------------------

def test_a_counter_refuses_past_its_limit_and_keys_are_apart(api):  # noqa: F811
    store, ends = api.runtime.store, NOW + dt.timedelta(minutes=10)
    assert [store.hit("a", 3, ends, NOW) for _ in range(5)] == [True, True, True, False, False]
    assert store.hit("b", 3, ends, NOW) is True
    assert store.hit("a", 4, ends, NOW) is True  # the refusals wrote nothing: the count is 3, not 5
    later = ends + dt.timedelta(seconds=1)  # a window that is over is forgotten (SQLite prunes; DynamoDB's TTL)
    assert store.hit("c", 1, later + dt.timedelta(minutes=10), later) is True


def test_a_counter_holds_under_concurrency(api):  # noqa: F811
    store, ends = api.runtime.store, NOW + dt.timedelta(minutes=10)
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: store.hit("race", 10, ends, NOW), range(60)))
    assert results.count(True) == 10


def test_windows_are_fixed_and_subjects_hashed():
    limit = limits.Limit("x", 2, dt.timedelta(minutes=10))
    key, ends = limit.key("198.51.100.1", NOW)
    assert "198.51.100.1" not in key  # no address at rest in the table
    assert limit.key("198.51.100.1", NOW + dt.timedelta(seconds=1))[0] == key or ends <= NOW + dt.timedelta(seconds=1)
    assert limit.key("198.51.100.1", ends)[0] != key
    assert limit.key("198.51.100.2", NOW)[0] != key


@pytest.mark.parametrize("address, folded", [
    ("Ana.Lima+promo@Example.org", "analima@example.org"),
    ("a.n.a+1+2@gmail.com", "ana@gmail.com"),
    ("ana@example.org", "ana@example.org"),
])
def test_a_mailbox_is_folded(address, folded):
    assert limits.mailbox(address) == folded


# -- reminders ----------------------------------------------------------------------------

def test_sign_ups_from_one_client_are_limited_with_retry_after(reminders_api):
    answers = [call(reminders_api, "/api/reminders", {"campaign": "premier-album", "email": f"p{n}@example.org"})
               for n in range(limits.REMINDERS_PER_CLIENT.count + 3)]
    statuses = [status for status, _, _ in answers]
    assert statuses == [202] * limits.REMINDERS_PER_CLIENT.count + [429] * 3
    status, headers, body = answers[-1]
    assert body["error"]["code"] == "rate_limited" and int(headers["Retry-After"]) > 0
    assert len(reminders_api.runtime.store.reminders("premier-album")) == limits.REMINDERS_PER_CLIENT.count
    # another client is not blocked by the first
    other = call(reminders_api, "/api/reminders", {"campaign": "premier-album", "email": "q@example.org"},
                 ip="198.51.100.9")
    assert other[0] == 202


def test_one_mailbox_gets_a_few_confirmations_whatever_its_plus_tags(reminders_api):
    """The 154-sign-ups-in-2-seconds attack: plus-addresses of one inbox, from many clients."""
    for n in range(20):
        status, _, body = call(reminders_api, "/api/reminders",
                               {"campaign": "premier-album", "email": f"vic.tim+{n}@example.org"},
                               ip=f"198.51.100.{n + 1}")
        assert status == 202  # the same answer: it tells the sender nothing
    assert queued(reminders_api, "reminder_confirm") == limits.CONFIRMATIONS_PER_MAILBOX.count
    assert len(reminders_api.runtime.store.reminders("premier-album")) == limits.CONFIRMATIONS_PER_MAILBOX.count


def test_a_reminder_form_from_another_site_is_refused(reminders_api):
    status, _, body = call(reminders_api, "/api/reminders", {"campaign": "premier-album", "email": "z@example.org"},
                           origin="https://evil.example", form=True)
    assert (status, body["error"]["code"]) == (403, "cross_origin")
    assert reminders_api.runtime.store.reminders("premier-album") == []
    status, _, _ = call(reminders_api, "/api/reminders", {"campaign": "premier-album", "email": "z@example.org"},
                        origin="http://127.0.0.1:8000", form=True)
    assert status == 202


# -- pledges (each holds a limited unit for 30 minutes) -----------------------------------

def test_one_client_cannot_hold_every_unit(api):  # noqa: F811
    count = limits.PLEDGES_PER_CLIENT.count
    statuses = [call(api, "/api/pledges", {"campaign": "premier-album", "reward": "vinyl"})[0]
                for _ in range(count + 5)]
    assert statuses == [201] * count + [429] * 5
    # Each new pledge released the client's earlier unpaid one: one unit held, the refused held nothing.
    assert api.stats("premier-album")["rewards"][1]["claimed"] == 1
    assert call(api, "/api/pledges", {"campaign": "premier-album", "reward": "vinyl"}, ip="198.51.100.20")[0] == 201
    assert api.stats("premier-album")["rewards"][1]["claimed"] == 2


def test_a_clients_earlier_unpaid_reservation_is_released_and_can_no_longer_be_paid(api):  # noqa: F811
    first = call(api, "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"})[2]
    second = call(api, "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"})[2]
    assert api.stats("tokyo-zine")["rewards"][0]["claimed"] == 1
    store = api.runtime.store
    assert store.get_pledge(first["pledge_id"]).status == "expired"
    assert store.get_pledge(second["pledge_id"]).status == "pending"
    # The earlier Checkout is closed: the backer cannot pay for a unit it no longer holds.
    assert api.local.session(api.session_of(first["checkout_url"])).status == "expired"
    assert api.local.complete(api.session_of(first["checkout_url"]), {"email": "b@example.org"}, NOW) is None
    # Stripe's own checkout.session.expired, when it comes, changes nothing more.
    late = api.local.event("checkout.session.expired", api.local.session(api.session_of(first["checkout_url"])), NOW)
    assert api.webhook(late)[2]["result"] == "ignored"
    assert api.stats("tokyo-zine")["rewards"][0]["claimed"] == 1
    # Another client still finds the other unit.
    assert call(api, "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"}, ip="198.51.100.20")[0] == 201
    assert api.stats("tokyo-zine")["rewards"][0]["remaining"] == 0


def test_a_completed_earlier_pledge_keeps_its_unit(api):  # noqa: F811
    first = call(api, "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"})[2]
    api.webhook(api.complete(first["checkout_url"]))
    assert call(api, "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"})[0] == 201
    assert api.runtime.store.get_pledge(first["pledge_id"]).status == "paid"
    assert api.stats("tokyo-zine")["rewards"][0]["claimed"] == 2


def test_other_rewards_and_amounts_of_one_client_are_kept_apart(api):  # noqa: F811
    vinyl = call(api, "/api/pledges", {"campaign": "premier-album", "reward": "vinyl"})[2]
    call(api, "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"})
    call(api, "/api/pledges", {"campaign": "premier-album", "amount": "10"})
    assert api.runtime.store.get_pledge(vinyl["pledge_id"]).status == "pending"


def test_during_a_stripe_outage_a_held_reward_is_503_not_sold_out(api, monkeypatch):  # noqa: F811
    from functions.core import flows
    from functions.core.ports import PaymentsError

    for ip in ("198.51.100.1", "198.51.100.2"):  # two backers in Checkout hold both units
        assert call(api, "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"}, ip=ip)[0] == 201

    def down(request):
        raise PaymentsError("Stripe APIConnectionError: connection refused")

    monkeypatch.setattr(api.local, "create_checkout", down)
    status, _, body = call(api, "/api/pledges", {"campaign": "premier-album", "amount": "10"}, ip="198.51.100.3")
    assert (status, body["error"]["code"]) == (502, "payment_provider")
    status, _, body = call(api, "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"}, ip="198.51.100.4")
    assert (status, body["error"]["code"]) == (503, "unavailable")
    assert "Stripe" not in body["error"]["message"] and "try again" in body["error"]["message"]
    assert len(api.runtime.store.pledges("tokyo-zine")) == 2  # nothing written
    # Once the outage is behind (no failure for a while), sold out is sold out again.
    monkeypatch.undo()
    later = NOW + flows.PAYMENTS_DOWN_FOR + dt.timedelta(seconds=1)
    monkeypatch.setattr(api.runtime, "clock", lambda: later)
    status, _, body = call(api, "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"}, ip="198.51.100.4")
    assert (status, body["error"]["code"]) == (409, "sold_out")


def test_a_pledge_form_from_another_site_is_refused_and_holds_nothing(api):  # noqa: F811
    before = api.stats("premier-album")["rewards"][1]["claimed"]
    for _ in range(9):  # the hoarding attack: 9 form posts from a foreign page
        status, _, page = call(api, "/api/pledges", {"campaign": "premier-album", "reward": "vinyl"},
                               origin="https://evil.example", form=True)
        assert status == 403
    assert api.stats("premier-album")["rewards"][1]["claimed"] == before
    status, headers, _ = call(api, "/api/pledges", {"campaign": "premier-album", "reward": "vinyl"},
                              origin="http://127.0.0.1:8000", form=True)
    assert status == 303 and "/_cagnotte/checkout/" in headers["Location"]


def test_serve_itself_is_not_limited(api):  # noqa: F811
    """`cagnotte serve` and its tests talk from the machine itself: one backer per request, no limit."""
    statuses = [call(api, "/api/pledges", {"campaign": "premier-album"} | {"amount": "10"}, ip="127.0.0.1")[0]
                for _ in range(limits.PLEDGES_PER_CLIENT.count + 2)]
    assert set(statuses) == {201}


def test_behind_cloudfront_the_viewer_address_is_the_client():
    event = http.event_from("POST", "/api/pledges", {"CloudFront-Viewer-Address": "2001:db8::7:51034"}, b"",
                            source_ip="130.176.1.1")  # the edge's address, the same for many backers
    assert http.request_from(event).client == "2001:db8::7"
    event = http.event_from("POST", "/api/pledges", {"CloudFront-Viewer-Address": "203.0.113.7:443"}, b"",
                            source_ip="130.176.1.1")
    assert http.request_from(event).client == "203.0.113.7"
    assert http.request_from(http.event_from("POST", "/", {}, b"", source_ip="198.51.100.3")).client == "198.51.100.3"


def test_the_stack_forwards_what_the_checks_read():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "template.yaml").read_text()
    line = next(l for l in text.splitlines() if "Stripe-Signature" in l and "Headers:" in l)
    assert "Origin" in line and "CloudFront-Viewer-Address" in line


# -- the referral code of a no-JavaScript form --------------------------------------------

def pledge_ref(api, referer: str | None, fields: dict | None = None) -> str | None:  # noqa: F811
    headers = {"Content-Type": FORM}
    if referer:
        headers["Referer"] = referer
    body = urlencode({"campaign": "premier-album", "reward": "vinyl", **(fields or {})}).encode()
    response = router.dispatch(http.event_from("POST", "/api/pledges", headers, body))
    assert response["statusCode"] == 303
    session = response["headers"]["Location"].rsplit("/", 1)[1]
    return api.local.session(session).request.ref


def test_a_form_without_javascript_keeps_the_ref_of_the_link_followed(api):  # noqa: F811
    page = "http://127.0.0.1:8000/en/campaigns/premier-album/?ref=newsletter&utm_source=x"
    assert pledge_ref(api, page) == "newsletter"
    assert pledge_ref(api, page, {"ref": "typed_1"}) == "typed_1"  # the form's own (JavaScript's) wins
    assert pledge_ref(api, "https://elsewhere.example/?ref=newsletter") is None  # another site's link
    assert pledge_ref(api, "http://127.0.0.1:8000/campaigns/premier-album/?ref=bad%20code") is None
    assert pledge_ref(api, None) is None
