"""Pledging end to end through `cagnotte serve` over real HTTP.

The local test checkout (no Stripe key) and, with a key, the real `stripe` SDK
talking to the Stripe stand-in of tests/stripe_server.py; concurrent backers on
a limited reward, on both stores.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from conftest import NOW_EPOCH
from functions.core.pledge import CHECKOUT_TTL
from functions.payments.stripe_checkout import keyed
from generator.serve import serve


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url: str, data: dict | bytes | None = None, *, form: bool = False, headers: dict | None = None):
    """(status, headers, text) without following redirects."""
    body = None
    all_headers = dict(headers or {})
    if isinstance(data, dict):
        if form:
            body = urlencode(data).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(data).encode()
            all_headers["Content-Type"] = "application/json"
    elif data is not None:
        body = data
    request = urllib.request.Request(url, data=body, headers=all_headers, method="POST" if body is not None else "GET")
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def start(site, monkeypatch, **env):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", NOW_EPOCH)
    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "CAGNOTTE_STORE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=serve, args=(site, "127.0.0.1", 0),
                              kwargs={"ready": ready, "stop": stop, "interval": 0.2}, daemon=True)
    thread.start()
    assert ready.wait(60)

    def close():
        stop.set()
        thread.join(10)

    return f"http://127.0.0.1:{ready.port}", close


@pytest.fixture
def local(site, monkeypatch):
    url, close = start(site, monkeypatch)
    yield url
    close()


def test_a_backer_pledges_in_the_local_test_checkout(local):
    status, headers, _ = fetch(local + "/api/pledges", {"campaign": "premier-album", "reward": "vinyl",
                                                        "ref": "newsletter"}, form=True)
    assert status == 303
    checkout = headers["Location"]
    assert checkout.startswith(local + "/_cagnotte/checkout/cs_local_")
    status, _, page = fetch(checkout)
    assert status == 200
    assert "Mode test — aucune carte n’est débitée." in page and "<html lang=\"fr\">" in page  # the campaign's language
    assert "37,50\u00a0€" in page and "EUR" not in page  # as Stripe writes it in French: the currency once
    session = checkout.rsplit("/", 1)[1]
    status, headers, _ = fetch(checkout + "/pay", {"name": "Ana", "email": "ana@example.org", "country": "BE",
                                                  "line1": "1 rue Haute", "city": "Bruxelles",
                                                  "postal_code": "1000"}, form=True)
    assert status == 303
    thanks = headers["Location"]
    assert thanks == f"{local}/campaigns/premier-album/thanks/?session_id={session}"
    assert fetch(thanks)[0] == 200
    status, _, body = fetch(f"{local}/api/pledges/{session}")
    pledge = json.loads(body)
    assert (status, pledge["status"], pledge["amount"], pledge["reward"]) == (200, "pledged", 3750, "vinyl")
    stats = json.loads(fetch(local + "/api/campaigns/premier-album/stats")[2])
    assert (stats["raised"], stats["backers"]) == (3750, 1)
    assert stats["rewards"][1]["remaining"] == 299
    referral = json.loads(fetch(local + "/api/referrals/newsletter?campaign=premier-album")[2])
    assert (referral["pledges"], referral["raised"]) == (1, 3750)
    # Paying twice is refused; the counters do not move.
    assert fetch(checkout + "/pay", {"name": "Ana", "email": "ana@example.org"}, form=True)[0] == 410
    assert json.loads(fetch(local + "/api/campaigns/premier-album/stats")[2])["backers"] == 1


def test_cancelling_releases_the_reward_at_once(local):
    status, _, body = fetch(local + "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"})
    opened = json.loads(body)
    assert status == 201
    status, headers, _ = fetch(opened["checkout_url"] + "/cancel", b"", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (status, headers["Location"]) == (303, local + "/en/campaigns/tokyo-zine/")
    stats = json.loads(fetch(local + "/api/campaigns/tokyo-zine/stats")[2])
    assert stats["rewards"][0]["claimed"] == 0


def test_a_webhook_signed_by_someone_else_is_refused(local):
    event = json.dumps({"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}).encode()
    from functions.payments.signature import sign

    status, _, body = fetch(local + "/api/stripe/webhook", event,
                            headers={"Content-Type": "application/json",
                                     "Stripe-Signature": sign(event, "whsec_forged", int(NOW_EPOCH))})
    assert status == 400 and json.loads(body)["error"]["code"] == "bad_signature"


def test_a_body_over_the_limit_is_413(local):
    status, _, body = fetch(local + "/api/pledges", b"{" + b" " * 20000 + b"}",
                            headers={"Content-Type": "application/json"})
    assert (status, json.loads(body)["error"]["code"]) == (413, "too_large")
    # A huge declared body is refused before it is read.
    import socket

    host, port = local.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(b"POST /api/pledges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           b"Content-Length: 2000000\r\n\r\n")
        assert connection.recv(100).startswith(b"HTTP/1.0 413")
    # A length that is not one is a bad request (400), not "too large".
    for bad in (b"-1", b"1e3", b"abc"):
        with socket.create_connection((host, int(port)), timeout=10) as connection:
            connection.sendall(b"POST /api/pledges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               b"Content-Length: " + bad + b"\r\n\r\n")
            assert connection.recv(100).startswith(b"HTTP/1.0 400"), bad


# -- concurrency, on both stores -------------------------------------------------------

@pytest.fixture(params=["sqlite", "dynamodb"])
def store_env(request):
    if request.param == "sqlite":
        return {}
    request.getfixturevalue("moto_server")
    return {"CAGNOTTE_STORE": "dynamodb://" + request.getfixturevalue("dynamodb_table")}


def test_200_concurrent_backers_claim_exactly_20_units(site, monkeypatch, store_env):
    limited = site / "content" / "campaigns" / "premier-album" / "index.md"
    text = limited.read_text(encoding="utf-8")
    limited.write_text(text.replace("limit: 300", "limit: 20"), encoding="utf-8")
    url, close = start(site, monkeypatch, **store_env)
    try:
        def back(n: int):
            status, _, body = fetch(url + "/api/pledges", {"campaign": "premier-album", "reward": "vinyl"})
            return status, json.loads(body)

        with ThreadPoolExecutor(max_workers=50) as pool:
            answers = list(pool.map(back, range(200)))
        created = [body for status, body in answers if status == 201]
        assert sorted({status for status, _ in answers}) == [201, 409]
        assert len(created) == 20

        def pay(opened):
            return fetch(opened["checkout_url"] + "/pay", {"name": "B", "email": "b@example.org", "country": "FR",
                                                           "line1": "1 rue", "city": "Paris",
                                                           "postal_code": "75001"}, form=True)[0]

        with ThreadPoolExecutor(max_workers=20) as pool:
            assert set(pool.map(pay, created)) == {303}
        stats = json.loads(fetch(url + "/api/campaigns/premier-album/stats")[2])
        assert (stats["backers"], stats["raised"]) == (20, 20 * 3750)
        assert stats["rewards"][1] == {"id": "vinyl", "claimed": 20, "limit": 20, "remaining": 0,
                                      "backers": 20}
    finally:
        close()


# -- with a Stripe key: the real SDK against the Stripe stand-in ---------------------------

WEBHOOK_SECRET = "whsec_serve_test"


@pytest.fixture
def stripe_serve(site, monkeypatch):
    from stripe_server import StripeServer

    with StripeServer(now=int(NOW_EPOCH)) as stand_in:
        url, close = start(site, monkeypatch, STRIPE_SECRET_KEY="sk_test_serve", STRIPE_API_BASE=stand_in.url,
                           STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
        yield url, stand_in
        close()


def deliver(url: str, event: dict, secret: str = WEBHOOK_SECRET):
    from stripe_server import signed

    raw, signature = signed(event, secret, int(NOW_EPOCH))
    return fetch(url + "/api/stripe/webhook", raw,
                 headers={"Content-Type": "application/json", "Stripe-Signature": signature})


def test_all_or_nothing_saves_the_card_through_stripe_checkout(stripe_serve):
    url, stripe = stripe_serve
    status, _, body = fetch(url + "/api/pledges", {"campaign": "premier-album", "reward": "vinyl", "ref": "zine_club"})
    opened = json.loads(body)
    assert status == 201, body
    session_id = opened["checkout_url"].rsplit("/", 1)[1]
    assert opened["checkout_url"] == f"{stripe.url}/pay/{session_id}"
    customers = [r for r in stripe.requests if r["path"] == "/v1/customers"]
    sessions = [r for r in stripe.requests if r["path"] == "/v1/checkout/sessions"]
    assert len(customers) == len(sessions) == 1
    params = sessions[0]["params"]
    assert params["mode"] == "setup" and params["currency"] == "eur"
    assert params["customer"] == stripe.sessions[session_id]["customer"]
    assert params["metadata"] == {"pledge_id": opened["pledge_id"], "campaign": "premier-album", "reward": "vinyl",
                                  "ref": "zine_club"}
    assert params["setup_intent_data"]["metadata"] == params["metadata"]
    assert params["success_url"] == url + "/campaigns/premier-album/thanks/?session_id={CHECKOUT_SESSION_ID}"
    assert params["cancel_url"] == url + "/campaigns/premier-album/"
    assert int(params["expires_at"]) == int(NOW_EPOCH) + CHECKOUT_TTL.total_seconds()
    assert params["shipping_address_collection"]["allowed_countries"] == ["FR", "BE", "CH"]
    assert sessions[0]["idempotency_key"].startswith(f"checkout-{opened['pledge_id']}-")
    assert customers[0]["idempotency_key"] == keyed(f"customer-{opened['pledge_id']}", customers[0]["params"])

    event = stripe.complete(session_id, email="ana@example.org", country="BE")
    assert json.loads(deliver(url, event)[2])["result"] == "applied"
    assert json.loads(deliver(url, event)[2])["result"] == "duplicate"
    pledge = json.loads(fetch(f"{url}/api/pledges/{session_id}")[2])
    assert (pledge["status"], pledge["amount"]) == ("pledged", 3750)
    stats = json.loads(fetch(url + "/api/campaigns/premier-album/stats")[2])
    assert (stats["raised"], stats["backers"]) == (3750, 1)
    assert deliver(url, event, secret="whsec_forged")[0] == 400


def test_a_jpy_flexible_pledge_is_paid_in_yen(stripe_serve):
    url, stripe = stripe_serve
    status, _, body = fetch(url + "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine", "amount": "3000"})
    opened = json.loads(body)
    assert status == 201, body
    session_id = opened["checkout_url"].rsplit("/", 1)[1]
    params = [r for r in stripe.requests if r["path"] == "/v1/checkout/sessions"][0]["params"]
    assert params["mode"] == "payment"
    line = params["line_items"][0]
    assert (line["price_data"]["currency"], int(line["price_data"]["unit_amount"])) == ("jpy", 3000)
    assert params["payment_intent_data"]["metadata"]["pledge_id"] == opened["pledge_id"]
    assert not [r for r in stripe.requests if r["path"] == "/v1/customers"]
    deliver(url, stripe.complete(session_id, country="JP"))
    stats = json.loads(fetch(url + "/api/campaigns/tokyo-zine/stats")[2])
    assert (stats["currency"], stats["raised"], stats["backers"]) == ("JPY", 3000, 1)
    assert stats["rewards"][0]["remaining"] == 1
    # A refund of 1,000 yen, delivered twice.
    refund = stripe.refund_event(session_id, amount=1000)
    deliver(url, refund)
    deliver(url, refund)
    assert json.loads(fetch(url + "/api/campaigns/tokyo-zine/stats")[2])["raised"] == 2000


def test_stripe_down_releases_the_unit_and_answers_502(stripe_serve):
    url, stripe = stripe_serve
    stripe.fail_next(status=500, times=10)
    status, _, body = fetch(url + "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"})
    assert (status, json.loads(body)["error"]["code"]) == (502, "payment_provider")
    assert "sk_test_serve" not in body
    # a plain sentence for the backer: Stripe's own message and request id stay in the log
    assert json.loads(body)["error"]["message"] == ("the payment service did not answer; nothing was charged: "
                                                    "try again in a few minutes")
    assert "req_" not in body and "Stripe" not in body
    stats = json.loads(fetch(url + "/api/campaigns/tokyo-zine/stats")[2])
    assert stats["rewards"][0]["claimed"] == 0


# -- hoarding and outages, as a client behind CloudFront would be seen ---------------------

def viewer(address: str) -> dict:
    return {"CloudFront-Viewer-Address": f"{address}:51234"}


def zine_claimed(url: str) -> int:
    return json.loads(fetch(url + "/api/campaigns/tokyo-zine/stats")[2])["rewards"][0]["claimed"]


def test_a_clients_new_pledge_expires_its_earlier_checkout_at_stripe(stripe_serve):
    url, stripe = stripe_serve
    first = json.loads(fetch(url + "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"},
                             headers=viewer("203.0.113.9"))[2])
    second = json.loads(fetch(url + "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"},
                              headers=viewer("203.0.113.9"))[2])
    assert stripe.sessions[first["checkout_url"].rsplit("/", 1)[1]]["status"] == "expired"
    assert stripe.sessions[second["checkout_url"].rsplit("/", 1)[1]]["status"] == "open"
    assert zine_claimed(url) == 1
    status, _, _ = fetch(url + "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"},
                         headers=viewer("198.51.100.30"))
    assert status == 201 and zine_claimed(url) == 2


def test_a_stripe_outage_is_a_plain_502_then_503_not_sold_out(stripe_serve):
    url, stripe = stripe_serve
    for address in ("198.51.100.1", "198.51.100.2"):
        assert fetch(url + "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"}, headers=viewer(address))[0] == 201
    stripe.fail_next(500, times=50)
    status, _, body = fetch(url + "/api/pledges", {"campaign": "premier-album", "amount": "10"})
    error = json.loads(body)["error"]
    assert (status, error["code"]) == (502, "payment_provider")
    assert "Stripe" not in error["message"] and "req_" not in error["message"] and "nothing was charged" in error["message"]
    status, _, body = fetch(url + "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"})
    assert (status, json.loads(body)["error"]["code"]) == (503, "unavailable")
    status, _, page = fetch(url + "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"}, form=True,
                            headers={"Accept": "text/html", "Origin": url})
    assert status == 503 and "épuisé" not in page and "sold out" not in page.lower()
