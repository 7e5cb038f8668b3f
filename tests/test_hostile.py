"""Hostile input on the Lambda entry point: every answer documented, nothing written, nothing crashes.

Each case once crashed a handler (a dropped connection in serve, API Gateway's
bare 500 on AWS); each must now get its 4xx with the error JSON.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from functions import http, router
from functions.payments.signature import sign
from test_api import NOW, SECRET, api, catalog_path  # noqa: F401 - fixtures

BEFORE_LAUNCH = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.timezone.utc)


def send(method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict]:
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    response = router.dispatch(http.event_from(method, path, all_headers, body))
    text = response["body"]
    try:
        return response["statusCode"], json.loads(text)
    except ValueError:
        return response["statusCode"], {"html": text}


def nothing_written(api) -> bool:  # noqa: F811
    store = api.runtime.store
    return all(store.pledges(slug) == [] for slug in ("premier-album", "tokyo-zine", "atelier-clos")) and \
        store.reminders("premier-album") == []


@pytest.mark.parametrize("body", [
    b"[" * 8000,  # under the 8 KiB limit: RecursionError in json.loads before the end is read
    b'{"a":' * 1600,
])
def test_json_nested_thousands_deep_is_a_400(api, body):  # noqa: F811
    status, answer = send("POST", "/api/pledges", body)
    assert (status, answer["error"]["code"]) == (400, "invalid")
    assert nothing_written(api)


def test_an_amount_of_thousands_of_digits_is_a_400(api):  # noqa: F811
    status, answer = send("POST", "/api/pledges", json.dumps({"campaign": "tokyo-zine", "amount": "9" * 4400}).encode())
    assert (status, answer["error"]["code"]) == (400, "invalid")
    assert nothing_written(api)


@pytest.mark.parametrize("amount", ["１２", "١٢", "12.５", "１２.00"])
def test_amounts_in_other_digits_are_refused(api, amount):  # noqa: F811
    status, answer = send("POST", "/api/pledges", json.dumps({"campaign": "tokyo-zine", "amount": amount}).encode())
    assert (status, answer["error"]["code"]) == (400, "invalid")
    assert nothing_written(api)


@pytest.mark.parametrize("email", [42, ["a@example.org"], {"to": "a@example.org"}, True,
                                   "a@example.org\r\nBcc: all@example.org", "a@example.org\n"])
def test_a_reminder_email_that_is_not_an_address_is_a_400(api, email):  # noqa: F811
    api.runtime.secret = "site-secret"
    api.runtime.clock = lambda: BEFORE_LAUNCH
    status, answer = send("POST", "/api/reminders", json.dumps({"campaign": "premier-album", "email": email}).encode())
    assert (status, answer["error"]["code"]) == (400, "invalid")
    assert nothing_written(api)


@pytest.mark.parametrize("campaign", [7, ["premier-album"], {"slug": "x"}])
def test_a_reminder_campaign_that_is_not_a_string_is_a_400(api, campaign):  # noqa: F811
    api.runtime.clock = lambda: BEFORE_LAUNCH
    status, answer = send("POST", "/api/reminders", json.dumps({"campaign": campaign, "email": "a@example.org"}).encode())
    assert (status, answer["error"]["code"]) == (400, "invalid")


def test_a_lone_surrogate_in_the_body_is_a_400(api):  # noqa: F811
    status, answer = send("POST", "/api/pledges", b'{"campaign": "\\ud800", "amount": "10"}')
    assert (status, answer["error"]["code"]) == (400, "invalid")
    assert nothing_written(api)


def test_a_lone_surrogate_in_the_path_is_a_400(api):  # noqa: F811
    status, answer = send("GET", "/api/campaigns/\udc80/stats")
    assert status == 400 and answer["error"]["code"] == "invalid"


@pytest.mark.parametrize("obj", ["a string", [], 7, {"metadata": ["not", "a", "map"], "id": "cs_1"},
                                 {"id": "cs_2", "metadata": {"pledge_id": ["x"]}}])
def test_a_signed_but_malformed_event_is_ignored_not_crashed(api, obj):  # noqa: F811
    event = {"id": "evt_malformed", "type": "checkout.session.completed", "data": {"object": obj}}
    raw = json.dumps(event).encode()
    signature = sign(raw, SECRET, int(NOW.timestamp()))
    status, _ = send("POST", "/api/stripe/webhook", raw, {"Stripe-Signature": signature})
    assert status == 200  # Stripe must not retry it for three days
    assert nothing_written(api)


def test_the_error_page_links_back_only_to_this_site(api):  # noqa: F811
    def page(referer: str) -> str:
        response = router.dispatch(http.event_from(
            "POST", "/api/pledges", {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html",
                                     "Referer": referer}, b"campaign=nope"))
        assert response["statusCode"] == 404
        return response["body"]

    assert 'href="https://evil.example/phish"' not in page("https://evil.example/phish")
    assert 'href="http://127.0.0.1:8000/campaigns/premier-album/"' in page("http://127.0.0.1:8000/campaigns/premier-album/")
