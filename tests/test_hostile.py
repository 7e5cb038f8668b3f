"""Hostile input on the Lambda entry point and on `cagnotte serve`: every answer documented,
nothing written, nothing crashes.

Each case once crashed a handler (a dropped connection in serve, API Gateway's
bare 500 on AWS); each must now get its 4xx with the error JSON, through
``functions.router.dispatch`` (API Gateway's events) and over real HTTP to
``cagnotte serve``.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse

import pytest

from functions import http, router
from functions.payments.signature import sign
from functions.store.sqlite import SQLiteStore
from functions.payments.local import LocalCheckout
from functions.runtime import Runtime, install
from test_api import NOW, SECRET, catalog_path  # noqa: F401 - fixtures
from test_pledge_serve import fetch, start

BEFORE_LAUNCH = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.timezone.utc)
CAMPAIGNS = ("premier-album", "tokyo-zine", "atelier-clos")


class Lambda:
    """The handlers through API Gateway v2 events."""

    origin = "http://127.0.0.1:8000"

    def __init__(self, catalog_path, store_url):  # noqa: F811
        self.local = LocalCheckout(self.origin, SECRET)
        self.runtime = Runtime(catalog_path=catalog_path, store_url=store_url, webhook_secret=SECRET,
                               secret="site-secret", origin=self.origin, clock=lambda: NOW,
                               payments_factory=lambda: self.local)
        install(self.runtime)
        self.store = self.runtime.store

    def close(self) -> None:
        self.store.close()
        install(None)

    def send(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        response = router.dispatch(http.event_from(method, path, all_headers, body))
        return response["statusCode"], _parsed(response["body"])

    def at(self, moment: dt.datetime) -> None:
        self.runtime.clock = lambda: moment


class Serve:
    """`cagnotte serve` over HTTP, its SQLite store read beside it."""

    def __init__(self, site, monkeypatch):
        self.monkeypatch = monkeypatch
        self.origin, self.close = start(site, monkeypatch, STRIPE_WEBHOOK_SECRET=SECRET, CAGNOTTE_SECRET="site-secret")
        self.store = SQLiteStore(site / ".cagnotte" / "pledges.sqlite3")

    def send(self, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        quoted = urllib.parse.quote(path, safe="/", errors="surrogatepass")
        status, _, text = fetch(self.origin + quoted, body if method == "POST" else None, headers=all_headers)
        return status, _parsed(text)

    def at(self, moment: dt.datetime) -> None:
        self.monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(moment.timestamp())))


def _parsed(text: str) -> dict:
    try:
        return json.loads(text)
    except ValueError:
        return {"html": text}


@pytest.fixture(params=["lambda-sqlite", "lambda-dynamodb", "serve"])
def target(request, tmp_path):
    if request.param == "serve":
        served = Serve(request.getfixturevalue("site"), request.getfixturevalue("monkeypatch"))
        yield served
        served.store.close()
        served.close()
        return
    if request.param == "lambda-sqlite":
        url = f"sqlite:///{tmp_path / 'pledges.sqlite3'}"
    else:
        request.getfixturevalue("moto_server")
        url = "dynamodb://" + request.getfixturevalue("dynamodb_table")
    handlers = Lambda(request.getfixturevalue("catalog_path"), url)
    yield handlers
    handlers.close()


def nothing_written(target) -> bool:
    store = target.store
    return all(store.pledges(slug) == [] for slug in CAMPAIGNS) and store.reminders("premier-album") == []


@pytest.mark.parametrize("body", [
    b"[" * 8000,  # under the 8 KiB limit: RecursionError in json.loads before the end is read
    b'{"a":' * 1600,
])
def test_json_nested_thousands_deep_is_a_400(target, body):
    status, answer = target.send("POST", "/api/pledges", body)
    assert (status, answer["error"]["code"]) == (400, "invalid")
    assert nothing_written(target)


def test_an_amount_of_thousands_of_digits_is_a_400(target):
    status, answer = target.send("POST", "/api/pledges", json.dumps({"campaign": "tokyo-zine", "amount": "9" * 4400}).encode())
    assert (status, answer["error"]["code"]) == (400, "invalid")
    assert nothing_written(target)


@pytest.mark.parametrize("amount", ["１２", "١٢", "12.５", "１２.00"])
def test_amounts_in_other_digits_are_refused(target, amount):
    status, answer = target.send("POST", "/api/pledges", json.dumps({"campaign": "tokyo-zine", "amount": amount}).encode())
    assert (status, answer["error"]["code"]) == (400, "invalid")
    assert nothing_written(target)


@pytest.mark.parametrize("email", [42, ["a@example.org"], {"to": "a@example.org"}, True,
                                   "a@example.org\r\nBcc: all@example.org", "a@example.org\n"])
def test_a_reminder_email_that_is_not_an_address_is_a_400(target, email):
    target.at(BEFORE_LAUNCH)
    status, answer = target.send("POST", "/api/reminders", json.dumps({"campaign": "premier-album", "email": email}).encode())
    assert (status, answer["error"]["code"]) == (400, "invalid")
    assert nothing_written(target)


@pytest.mark.parametrize("campaign", [7, ["premier-album"], {"slug": "x"}])
def test_a_reminder_campaign_that_is_not_a_string_is_a_400(target, campaign):
    target.at(BEFORE_LAUNCH)
    status, answer = target.send("POST", "/api/reminders", json.dumps({"campaign": campaign, "email": "a@example.org"}).encode())
    assert (status, answer["error"]["code"]) == (400, "invalid")


def test_a_lone_surrogate_in_the_body_is_a_400(target):
    status, answer = target.send("POST", "/api/pledges", b'{"campaign": "\\ud800", "amount": "10"}')
    assert (status, answer["error"]["code"]) == (400, "invalid")
    assert nothing_written(target)


def test_a_lone_surrogate_in_the_path_is_a_400(target):
    status, answer = target.send("GET", "/api/campaigns/\udc80/stats")
    # Over HTTP the surrogate is the bytes %ED%B2%80, which are not UTF-8: decoded with U+FFFD, no such campaign.
    expected = (404, "not_found") if isinstance(target, Serve) else (400, "invalid")
    assert (status, answer["error"]["code"]) == expected


@pytest.mark.parametrize("obj", ["a string", [], 7, {"metadata": ["not", "a", "map"], "id": "cs_1"},
                                 {"id": "cs_2", "metadata": {"pledge_id": ["x"]}}])
def test_a_signed_but_malformed_event_is_ignored_not_crashed(target, obj):
    event = {"id": "evt_malformed", "type": "checkout.session.completed", "data": {"object": obj}}
    raw = json.dumps(event).encode()
    signature = sign(raw, SECRET, int(NOW.timestamp()))
    status, _ = target.send("POST", "/api/stripe/webhook", raw, {"Stripe-Signature": signature})
    assert status == 200  # Stripe must not retry it for three days
    assert nothing_written(target)


def test_the_error_page_links_back_only_to_this_site(target):
    def page(referer: str) -> str:
        status, answer = target.send("POST", "/api/pledges", b"campaign=nope", {
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html", "Referer": referer})
        assert status == 404
        return answer["html"]

    assert 'href="https://evil.example/phish"' not in page("https://evil.example/phish")
    own = f"{target.origin}/campaigns/premier-album/"
    assert f'href="{own}"' in page(own)


def test_a_65_character_referral_code_is_a_400(target):
    status, answer = target.send("GET", "/api/referrals/" + "a" * 65)
    assert (status, answer["error"]["code"]) == (400, "invalid")


def test_a_pledge_form_from_another_site_is_403_and_holds_nothing(target):
    for _ in range(3):
        status, answer = target.send("POST", "/api/pledges", b"campaign=tokyo-zine&reward=zine", {
            "Content-Type": "application/x-www-form-urlencoded", "Origin": "https://evil.example"})
        assert (status, answer["error"]["code"]) == (403, "cross_origin")
    assert nothing_written(target)


def test_sign_ups_from_one_client_behind_cloudfront_are_limited(target):
    from functions.core import limits

    target.at(BEFORE_LAUNCH)
    statuses = [target.send("POST", "/api/reminders",
                            json.dumps({"campaign": "premier-album", "email": f"p{n}@example.org"}).encode(),
                            {"CloudFront-Viewer-Address": "203.0.113.7:40000"})[0]
                for n in range(limits.REMINDERS_PER_CLIENT.count + 2)]
    assert statuses == [202] * limits.REMINDERS_PER_CLIENT.count + [429] * 2
    assert len(target.store.reminders("premier-album")) == limits.REMINDERS_PER_CLIENT.count


def test_a_client_holds_one_unit_of_a_limited_reward_however_often_it_posts(target):
    client = {"CloudFront-Viewer-Address": "203.0.113.8:40000"}
    for _ in range(5):
        status, _ = target.send("POST", "/api/pledges", json.dumps({"campaign": "tokyo-zine", "reward": "zine"}).encode(),
                                client)
        assert status == 201
    held = [p for p in target.store.pledges("tokyo-zine") if p.status == "pending"]
    assert len(held) == 1
    status, _ = target.send("POST", "/api/pledges", json.dumps({"campaign": "tokyo-zine", "reward": "zine"}).encode(),
                            {"CloudFront-Viewer-Address": "198.51.100.8:40000"})
    assert status == 201  # the other unit is still there for another backer


def test_a_locked_store_is_503_over_http_too(site, monkeypatch):
    """(The Lambda path's locked and unreachable stores: tests/test_store_unavailable.py.)"""
    import sqlite3

    served = Serve(site, monkeypatch)
    other = sqlite3.connect(site / ".cagnotte" / "pledges.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # `cagnotte settle` or a backup holding the file
    try:
        status, answer = served.send("POST", "/api/pledges", json.dumps({"campaign": "tokyo-zine", "amount": "1000"}).encode())
    finally:
        other.execute("ROLLBACK")
        other.close()
    try:
        assert (status, answer["error"]["code"]) == (503, "unavailable")
        assert nothing_written(served)
        status, _ = served.send("POST", "/api/pledges", json.dumps({"campaign": "tokyo-zine", "amount": "1000"}).encode())
        assert status == 201  # the lock gone, the same request goes through
    finally:
        served.store.close()
        served.close()
