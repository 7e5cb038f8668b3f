"""The Stripe adapter with the real SDK against tests/stripe_server.py, and webhook signatures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import stripe
from stripe_server import StripeServer, signed

from functions.core.ports import CheckoutRequest, PaymentsError
from functions.payments.signature import SignatureError, new_webhook_secret, sign, verify
from functions.payments.stripe_checkout import StripePayments, construct_event

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)
NOW_EPOCH = int(NOW.timestamp())
KEY = "sk_test_cagnotte_0123456789abcdef"
SECRET = "whsec_test_secret"


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    # The SDK sleeps max(INITIAL_DELAY, backoff with jitter) between retries: 0 keeps retry tests instant.
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0)


@pytest.fixture
def server():
    with StripeServer(now=NOW_EPOCH) as stand_in:
        yield stand_in


@pytest.fixture
def payments(server) -> StripePayments:
    return StripePayments(KEY, api_base=server.url)


def checkout_request(**changes) -> CheckoutRequest:
    request = CheckoutRequest(
        pledge_id="p_001", campaign="solar-oven", campaign_title="Solar oven", reward="vinyl",
        description="Limited vinyl", amount=2500, currency="EUR", mode="payment",
        success_url="https://example.org/thanks/?session={CHECKOUT_SESSION_ID}",
        cancel_url="https://example.org/campaigns/solar-oven/", expires_at=NOW + dt.timedelta(hours=2),
        locale="fr",
    )
    return dataclasses.replace(request, **changes)


# -- Checkout sessions ------------------------------------------------------------------

def test_payment_mode_session(server, payments):
    checkout = payments.create_checkout(checkout_request())

    [call] = server.requests
    assert (call["method"], call["path"], call["status"]) == ("POST", "/v1/checkout/sessions", 200)
    assert call["idempotency_key"] == "checkout-p_001"
    assert call["stripe_version"]  # the SDK pins its API version on every request
    params = call["params"]
    metadata = {"pledge_id": "p_001", "campaign": "solar-oven", "reward": "vinyl"}
    assert params["line_items"] == [{
        "price_data": {"currency": "eur", "unit_amount": "2500",
                       "product_data": {"name": "Solar oven", "description": "Limited vinyl"}},
        "quantity": "1",
    }]
    assert params["mode"] == "payment"
    assert params["metadata"] == metadata
    assert params["payment_intent_data"] == {"metadata": metadata}
    assert params["client_reference_id"] == "p_001"
    assert params["expires_at"] == str(NOW_EPOCH + 7200)
    assert params["locale"] == "fr"
    assert params["success_url"] == "https://example.org/thanks/?session={CHECKOUT_SESSION_ID}"
    assert "customer" not in params and "shipping_address_collection" not in params

    session = server.sessions[checkout.session_id]
    assert checkout.session_id.startswith("cs_test_")
    assert checkout.url == session["url"] == f"{server.url}/pay/{checkout.session_id}"
    assert checkout.customer_id is None
    assert (session["amount_total"], session["currency"], session["status"]) == (2500, "eur", "open")


def test_setup_mode_creates_the_customer_first(server, payments):
    checkout = payments.create_checkout(checkout_request(pledge_id="p_002", mode="setup"))

    customer_call, session_call = server.requests
    assert (customer_call["path"], customer_call["idempotency_key"]) == ("/v1/customers", "customer-p_002")
    assert customer_call["params"] == {"metadata": {"pledge_id": "p_002", "campaign": "solar-oven"}}
    assert session_call["idempotency_key"] == "checkout-p_002"
    params = session_call["params"]
    assert (params["mode"], params["currency"]) == ("setup", "eur")
    assert params["customer"] == checkout.customer_id and checkout.customer_id in server.customers
    assert params["setup_intent_data"] == {"metadata": params["metadata"]}
    assert "line_items" not in params and "payment_intent_data" not in params
    assert server.sessions[checkout.session_id]["payment_status"] == "no_payment_required"


def test_shipping_countries_and_no_empty_values(server, payments):
    payments.create_checkout(checkout_request(reward=None, description="", shipping_countries=("FR", "BE")))

    params = server.requests[-1]["params"]
    assert params["shipping_address_collection"] == {"allowed_countries": ["FR", "BE"]}
    # Stripe reads "" as "unset" (metadata) or refuses it (description): neither is sent.
    assert params["metadata"] == {"pledge_id": "p_001", "campaign": "solar-oven"}
    assert params["line_items"][0]["price_data"]["product_data"] == {"name": "Solar oven"}


@pytest.mark.parametrize("mode", ["payment", "setup"])
def test_a_retried_create_returns_the_same_session(server, payments, mode):
    first = payments.create_checkout(checkout_request(mode=mode))
    again = payments.create_checkout(checkout_request(mode=mode))

    assert again == first
    assert server.created("checkout.session") == 1
    assert server.created("customer") == (1 if mode == "setup" else 0)


def test_same_key_with_other_parameters_is_refused(payments):
    payments.create_checkout(checkout_request())
    with pytest.raises(PaymentsError, match="IdempotencyError"):
        payments.create_checkout(checkout_request(amount=9900))


@pytest.mark.parametrize("change, param", [
    ({"success_url": "thanks"}, "success_url"),
    ({"locale": "tlh"}, "locale"),
    ({"expires_at": NOW + dt.timedelta(days=2)}, "expires_at"),
])
def test_a_refusal_from_stripe_is_a_payments_error(server, payments, change, param):
    with pytest.raises(PaymentsError, match=rf"InvalidRequestError \(400, param {param}, req_"):
        payments.create_checkout(checkout_request(**change))
    assert len(server.requests) == 1  # a 400 is not retried


def test_a_server_error_is_retried_with_the_same_key(server, payments):
    server.fail_next(500)
    checkout = payments.create_checkout(checkout_request())

    assert [r["status"] for r in server.requests] == [500, 200]
    assert {r["idempotency_key"] for r in server.requests} == {"checkout-p_001"}
    assert server.created("checkout.session") == 1 and checkout.session_id in server.sessions


def test_persistent_server_errors_end_in_a_payments_error(server, payments):
    server.fail_next(500, times=3)
    started = time.monotonic()
    with pytest.raises(PaymentsError, match=r"APIError \(500, req_\w+\)") as raised:
        payments.create_checkout(checkout_request())

    assert len(server.requests) == 3  # the first try and max_network_retries=2
    assert time.monotonic() - started < 1
    assert KEY not in str(raised.value)


def test_rate_limited_is_not_retried(server, payments):
    server.fail_next(429)
    with pytest.raises(PaymentsError, match=r"RateLimitError \(429, rate_limit, req_"):
        payments.create_checkout(checkout_request())
    assert len(server.requests) == 1


def test_a_bad_key_and_an_unreachable_api_are_payments_errors(server):
    with pytest.raises(PaymentsError, match="AuthenticationError"):
        StripePayments("pk_test_not_a_secret_key", api_base=server.url).create_checkout(checkout_request())
    with StripeServer() as gone:
        address = gone.url
    with pytest.raises(PaymentsError, match="APIConnectionError"):
        StripePayments(KEY, api_base=address, max_network_retries=0).create_checkout(checkout_request())


def test_the_secret_key_never_reaches_the_message(payments, monkeypatch):
    def leaky(**kwargs):
        raise stripe.InvalidRequestError(f"Invalid API Key provided: {KEY}", "api_key", http_status=401)

    monkeypatch.setattr(payments._api.checkout.sessions, "create", leaky)
    with pytest.raises(PaymentsError) as raised:
        payments.create_checkout(checkout_request())
    assert KEY not in str(raised.value) and "[redacted]" in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_programming_errors_are_not_payments_errors(payments):
    with pytest.raises(ValueError, match="mode"):
        payments.create_checkout(checkout_request(mode="subscription"))
    with pytest.raises(ValueError, match="timezone"):
        payments.create_checkout(checkout_request(expires_at=dt.datetime(2026, 11, 26, 14)))


# -- the stand-in's test controls, through the SDK -------------------------------------------

def test_completing_a_payment_session(server, payments):
    checkout = payments.create_checkout(checkout_request(shipping_countries=("FR",)))
    event = server.complete(checkout.session_id, email="ada@example.org", country="BE")

    assert (event["object"], event["type"], event["livemode"]) == ("event", "checkout.session.completed", False)
    assert event["id"].startswith("evt_") and event["created"] == NOW_EPOCH
    session = event["data"]["object"]
    assert (session["status"], session["payment_status"]) == ("complete", "paid")
    assert session["payment_intent"].startswith("pi_") and session["url"] is None
    assert session["customer_details"]["email"] == "ada@example.org"
    assert session["collected_information"]["shipping_details"]["address"]["country"] == "BE"
    assert session["metadata"]["pledge_id"] == "p_001"

    client = stripe.StripeClient(KEY, base_addresses={"api": server.url})
    assert client.v1.checkout.sessions.retrieve(checkout.session_id).status == "complete"

    refund = server.refund_event(checkout.session_id, amount=1000)["data"]["object"]
    assert (refund["amount"], refund["amount_refunded"], refund["refunded"]) == (2500, 1000, False)
    assert refund["metadata"]["pledge_id"] == "p_001" and refund["payment_intent"] == session["payment_intent"]
    assert server.refund_event(checkout.session_id)["data"]["object"]["refunded"] is True


def test_completing_a_setup_session_saves_a_card(server, payments):
    checkout = payments.create_checkout(checkout_request(mode="setup"))
    session = server.complete(checkout.session_id)["data"]["object"]

    client = stripe.StripeClient(KEY, base_addresses={"api": server.url})
    setup_intent = client.v1.setup_intents.retrieve(session["setup_intent"])
    assert setup_intent.payment_method.startswith("pm_") and setup_intent.customer == checkout.customer_id
    assert server.payment_methods[setup_intent.payment_method]["customer"] == checkout.customer_id
    assert client.v1.customers.retrieve(checkout.customer_id).email == "backer@example.org"


def test_async_payments_expiry_and_old_api_versions(server, payments):
    paying = payments.create_checkout(checkout_request(pledge_id="p_a", shipping_countries=("FR",)))
    assert server.complete(paying.session_id, async_payment=True)["data"]["object"]["payment_status"] == "unpaid"
    assert server.async_payment(paying.session_id, succeeded=True)["type"] == \
        "checkout.session.async_payment_succeeded"
    server.api_version = "2024-06-20"  # a webhook endpoint pinned before basil sees the old shape
    assert server.event("checkout.session.completed", server.sessions[paying.session_id])["data"]["object"][
        "shipping_details"]["address"]["country"] == "FR"

    left = payments.create_checkout(checkout_request(pledge_id="p_b"))
    assert server.expire_event(left.session_id)["type"] == "checkout.session.expired"
    assert server.sessions[left.session_id]["status"] == "expired"


def test_signed_events_are_what_the_sdk_accepts(server):
    body, header = signed({"id": "evt_1", "object": "event", "type": "ping"}, SECRET)
    assert construct_event(body, header, SECRET)["id"] == "evt_1"


# -- webhook signatures --------------------------------------------------------------------

def test_sign_then_verify():
    body = b'{"id": "evt_1"}'
    header = sign(body, SECRET, 1_700_000_000)
    assert header.startswith("t=1700000000,v1=") and len(header.split("v1=")[1]) == 64
    verify(body, header, SECRET, now=1_700_000_100)
    # Several v1 entries (while a secret is rolled): any match will do.
    verify(body, f"t=1700000000,v1={'0' * 64},{header.split(',')[1]}", SECRET, now=1_700_000_000)


def test_the_sdk_accepts_our_signature():
    body = json.dumps({"id": "evt_2", "object": "event", "type": "charge.refunded"}).encode()
    header = sign(body, SECRET, int(time.time()))
    assert stripe.Webhook.construct_event(body, header, SECRET).id == "evt_2"
    assert construct_event(body, header, SECRET) == {"id": "evt_2", "object": "event", "type": "charge.refunded"}


def _verify(body: bytes, header: str, secret: str) -> None:
    verify(body, header, secret, now=int(time.time()))


@pytest.mark.parametrize("check", [_verify, construct_event], ids=["stdlib", "sdk"])
@pytest.mark.parametrize("case", ["wrong secret", "tampered", "old", "missing", "garbage", "no v1", "non-ascii"])
def test_bad_signatures_are_refused(check, case):
    body = b'{"id": "evt_3"}'
    now = int(time.time())
    header, secret = sign(body, SECRET, now), SECRET
    if case == "wrong secret":
        secret = "whsec_other"
    elif case == "tampered":
        body = b'{"id": "evt_4"}'
    elif case == "old":
        header = sign(body, SECRET, now - 301)
    elif case == "missing":
        header = ""
    elif case == "garbage":
        header = "t=yesterday,v1=abc"
    elif case == "no v1":
        header = header.replace("v1=", "v0=")
    elif case == "non-ascii":
        header = f"t={now},v1=é{'0' * 63}"
    with pytest.raises(SignatureError):
        check(body, header, secret)


def test_a_future_timestamp_and_a_non_json_body():
    body = b"not json"
    with pytest.raises(SignatureError, match="tolerance"):
        verify(body, sign(body, SECRET, 2_000), SECRET, now=1_000)
    with pytest.raises(SignatureError, match="JSON|malformed"):
        construct_event(body, sign(body, SECRET, int(time.time())), SECRET)
    with pytest.raises(SignatureError, match="JSON object"):
        construct_event(b"[1]", sign(b"[1]", SECRET, int(time.time())), SECRET)


def test_new_webhook_secrets():
    first, second = new_webhook_secret(), new_webhook_secret()
    assert first.startswith("whsec_") and len(first) > 40 and first != second


def test_the_signature_module_does_not_import_stripe():
    code = "import sys, functions.payments.signature; sys.exit('stripe' in sys.modules)"
    root = Path(__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", code], cwd=root).returncode == 0
