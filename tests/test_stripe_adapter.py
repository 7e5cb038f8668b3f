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
from stripe_server import IDEMPOTENCY_WINDOW, StripeServer, signed

from functions.core.ports import ChargeRequest, ChargeResult, CheckoutRequest, PaymentsError
from functions.payments.signature import SignatureError, new_webhook_secret, sign, verify
from functions.payments.stripe_charges import backoff_delay, intent_result, settle_query, settlement
from functions.payments.stripe_budget import Budget
from functions.payments.stripe_checkout import StripePayments, construct_event, keyed, session_params

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
def sleeps() -> list[float]:
    """The adapter's waits between rate-limited attempts (recorded, not slept)."""
    return []


@pytest.fixture
def payments(server, sleeps) -> StripePayments:
    # A jitter draw of 1 makes every wait the top of its window: 0.5, 1, 2, 4 seconds.
    return StripePayments(KEY, api_base=server.url, sleep=sleeps.append, jitter=lambda: 1.0)


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
    assert call["idempotency_key"] == keyed("checkout-p_001", session_params(checkout_request(), None))
    assert call["idempotency_key"].startswith("checkout-p_001-")
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
    assert customer_call["path"] == "/v1/customers"
    assert customer_call["params"] == {"metadata": {"pledge_id": "p_002", "campaign": "solar-oven"}}
    assert customer_call["idempotency_key"] == keyed("customer-p_002", customer_call["params"])
    assert session_call["idempotency_key"].startswith("checkout-p_002-")
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


def test_other_parameters_get_a_key_of_their_own(server, payments):
    # The key covers the parameters: another request is no retry (Stripe would refuse the same key).
    first = payments.create_checkout(checkout_request())
    other = payments.create_checkout(checkout_request(amount=9900))

    assert other.session_id != first.session_id and server.created("checkout.session") == 2
    keys = [r["idempotency_key"] for r in server.requests]
    assert len(set(keys)) == 2 and all(key.startswith("checkout-p_001-") for key in keys)


@pytest.mark.parametrize("change, param", [
    ({"success_url": "thanks"}, "success_url"),
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
    assert len({r["idempotency_key"] for r in server.requests}) == 1
    assert server.created("checkout.session") == 1 and checkout.session_id in server.sessions


def test_persistent_server_errors_end_in_a_payments_error(server, payments):
    server.fail_next(500, times=2)
    started = time.monotonic()
    with pytest.raises(PaymentsError, match=r"APIError \(500, req_\w+\)") as raised:
        payments.create_checkout(checkout_request())

    assert len(server.requests) == 2  # the first try and the pledge budget's one network retry
    assert time.monotonic() - started < 1
    assert KEY not in str(raised.value)


def test_rate_limited_is_retried_after_a_wait(server, payments, sleeps):
    server.fail_next(429)  # the SDK does not retry a 429: the adapter does, with the same key
    checkout = payments.create_checkout(checkout_request())

    assert [r["status"] for r in server.requests] == [429, 200]
    assert len({r["idempotency_key"] for r in server.requests}) == 1
    assert sleeps == [0.5] and checkout.session_id in server.sessions


def test_expiring_a_checkout_closes_it_once_and_never_a_completed_one(server, payments):
    open_one = payments.create_checkout(checkout_request())
    assert payments.expire_checkout(open_one.session_id) is True
    client = stripe.StripeClient(KEY, base_addresses={"api": server.url})
    assert client.v1.checkout.sessions.retrieve(open_one.session_id).status == "expired"
    assert payments.expire_checkout(open_one.session_id) is True  # already closed: looked up, still closed
    paid = payments.create_checkout(checkout_request(pledge_id="p_002"))
    server.complete(paid.session_id)
    assert payments.expire_checkout(paid.session_id) is False  # the backer paid: the pledge is theirs
    with pytest.raises(PaymentsError, match="resource_missing"):
        payments.expire_checkout("cs_test_unknown")


def test_a_bad_key_and_an_unreachable_api_are_payments_errors(server):
    with pytest.raises(PaymentsError, match="AuthenticationError"):
        StripePayments("pk_test_not_a_secret_key", api_base=server.url).create_checkout(checkout_request())
    with StripeServer() as gone:
        address = gone.url
    with pytest.raises(PaymentsError, match="APIConnectionError"):
        StripePayments(KEY, api_base=address, budget=Budget(network_retries=0)).create_checkout(checkout_request())


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
    assert event["id"].startswith("evt_") and NOW_EPOCH <= event["created"] <= NOW_EPOCH + 60  # its clock moves
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


# -- off-session charges at the deadline ------------------------------------------------------

def saved_card(server, payments, pledge_id: str = "p_100", card: str = "visa") -> tuple[str, str]:
    """An all-or-nothing pledge whose backer saved ``card``: its Customer and SetupIntent ids."""
    checkout = payments.create_checkout(checkout_request(pledge_id=pledge_id, mode="setup"))
    session = server.complete(checkout.session_id, card=card)["data"]["object"]
    return checkout.customer_id, session["setup_intent"]


def charge_request(customer_id: str, setup_intent_id: str | None, pledge_id: str = "p_100",
                   **changes) -> ChargeRequest:
    return ChargeRequest(pledge_id=pledge_id, campaign="solar-oven", amount=2500, currency="EUR",
                         customer_id=customer_id, setup_intent_id=setup_intent_id, **changes)


def intent_calls(server) -> list[dict]:
    return [r for r in server.requests if (r["method"], r["path"]) == ("POST", "/v1/payment_intents")]


def test_a_saved_card_is_charged_off_session(server, payments):
    customer, setup_intent = saved_card(server, payments)
    result = payments.charge(charge_request(customer, setup_intent))

    intent = server.payment_intents[result.payment_intent_id]
    assert result == ChargeResult("succeeded", intent["id"], intent["latest_charge"])
    assert (intent["status"], intent["amount_received"], intent["currency"]) == ("succeeded", 2500, "eur")
    lookup, call = server.requests[-2:]
    assert (lookup["method"], lookup["path"]) == ("GET", f"/v1/setup_intents/{setup_intent}")
    assert call["idempotency_key"] == "settle-p_100"
    assert call["params"] == {
        "amount": "2500", "currency": "eur", "customer": customer,
        "payment_method": server.setup_intents[setup_intent]["payment_method"],
        "off_session": "true", "confirm": "true",
        "automatic_payment_methods": {"enabled": "true", "allow_redirects": "never"},
        "metadata": {"pledge_id": "p_100", "campaign": "solar-oven", "kind": "settle"},
    }
    assert server.charges_for("p_100") == 1


def test_a_rerun_gets_the_first_answer_and_charges_once(server, payments):
    customer, setup_intent = saved_card(server, payments)
    first = payments.charge(charge_request(customer, setup_intent))
    again = payments.charge(charge_request(customer, setup_intent))

    assert again == first
    assert server.charges_for("p_100") == server.attempts_for("p_100") == 1


@pytest.mark.parametrize("card, code, message", [
    ("declined", "card_declined", "Your card was declined."),
    ("insufficient_funds", "card_declined", "Your card has insufficient funds."),  # the reason is the decline_code
    ("expired", "expired_card", "Your card has expired."),
    ("auth_required", "authentication_required", "Your card was declined. This transaction requires authentication."),
])
def test_a_refused_card_is_a_failed_charge(server, payments, card, code, message):
    customer, setup_intent = saved_card(server, payments, card=card)
    result = payments.charge(charge_request(customer, setup_intent))

    intent = server.payment_intents[result.payment_intent_id]
    assert result == ChargeResult("failed", intent["id"], failure_code=code, message=message)
    assert (intent["status"], intent["last_payment_error"]["code"]) == ("requires_payment_method", code)
    assert intent_calls(server)[-1]["status"] == 402
    # Stripe saved the decline under the key: a rerun is told again, the card is not tried again.
    assert payments.charge(charge_request(customer, setup_intent)) == result
    assert (server.charges_for("p_100"), server.attempts_for("p_100")) == (0, 1)


def test_rate_limits_are_retried_with_growing_waits(server, payments, sleeps):
    customer, setup_intent = saved_card(server, payments)
    server.fail_next(429, times=3, path="/v1/payment_intents")
    result = payments.charge(charge_request(customer, setup_intent))

    assert result.outcome == "succeeded"
    calls = intent_calls(server)
    assert [c["status"] for c in calls] == [429, 429, 429, 200]
    assert {c["idempotency_key"] for c in calls} == {"settle-p_100"}
    assert sleeps == [0.5, 1.0, 2.0]
    assert server.charges_for("p_100") == 1


def test_a_lasting_rate_limit_is_a_payments_error(server, payments, sleeps):
    customer, setup_intent = saved_card(server, payments)
    server.fail_next(429, times=10, path="/v1/payment_intents")
    with pytest.raises(PaymentsError, match=r"RateLimitError \(429, rate_limit, req_") as raised:
        payments.charge(charge_request(customer, setup_intent))

    assert len(intent_calls(server)) == 5 and sleeps == [0.5, 1.0, 2.0, 4.0]
    assert KEY not in str(raised.value) and server.attempts_for("p_100") == 0
    # Full jitter: a draw in [0, 1) of a window that doubles up to 8 seconds.
    assert [backoff_delay(n, 1.0) for n in range(7)] == [0.5, 1, 2, 4, 8, 8, 8]
    assert backoff_delay(2, 0.25) == 0.5 and backoff_delay(10_000, 0.5) == 4


def test_server_errors_on_a_charge_are_left_to_the_rerun(server, payments, sleeps):
    customer, setup_intent = saved_card(server, payments)
    server.fail_next(500, times=2, path="/v1/payment_intents")
    with pytest.raises(PaymentsError, match=r"APIError \(500, req_"):
        payments.charge(charge_request(customer, setup_intent))

    assert len(intent_calls(server)) == 2 and sleeps == []  # the SDK's own retry, none added
    assert payments.charge(charge_request(customer, setup_intent)).outcome == "succeeded"
    assert server.charges_for("p_100") == 1


def test_the_card_is_found_without_a_setup_intent(server, payments):
    customer, setup_intent = saved_card(server, payments)
    payment_method = server.setup_intents[setup_intent]["payment_method"]

    assert payments.charge(charge_request(customer, None)).outcome == "succeeded"
    assert [r["path"] for r in server.requests[-3:]] == [
        f"/v1/customers/{customer}", f"/v1/customers/{customer}/payment_methods", "/v1/payment_intents"]
    assert intent_calls(server)[-1]["params"]["payment_method"] == payment_method

    server.customers[customer]["invoice_settings"]["default_payment_method"] = payment_method
    payments.charge(charge_request(customer, None, pledge_id="p_101"))
    assert [r["path"] for r in server.requests[-2:]] == [f"/v1/customers/{customer}", "/v1/payment_intents"]

    payments.charge(charge_request(customer, None, pledge_id="p_102", payment_method_id=payment_method))
    assert server.requests[-1]["path"] == "/v1/payment_intents" and server.requests[-2]["path"] != "/v1/customers"


def test_no_saved_card_is_a_failed_charge(server, payments):
    checkout = payments.create_checkout(checkout_request(pledge_id="p_100", mode="setup"))  # never completed
    result = payments.charge(charge_request(checkout.customer_id, None))

    assert (result.outcome, result.failure_code, result.payment_intent_id) == (
        "failed", "requires_payment_method", None)
    assert not intent_calls(server)


def test_an_intent_refused_after_its_creation_is_a_failed_charge(payments, monkeypatch):
    # Stripe creates the PaymentIntent, then refuses a method that can no longer be used: a 400, not a 402.
    body = {"error": {"type": "invalid_request_error", "message": "The provided PaymentMethod was detached.",
                      "payment_intent": {"id": "pi_detached", "object": "payment_intent",
                                         "status": "requires_payment_method"}}}

    def refused(**kwargs):
        raise stripe.InvalidRequestError(body["error"]["message"], None, http_status=400, json_body=body)

    monkeypatch.setattr(payments._api.payment_intents, "create", refused)
    result = payments.charge(charge_request("cus_1", None, payment_method_id="pm_1"))
    assert result == ChargeResult("failed", "pi_detached", failure_code="invalid_request_error",
                                  message="The provided PaymentMethod was detached.")


def test_find_charge_after_the_idempotency_window(server, payments):
    customer, setup_intent = saved_card(server, payments)
    charged = payments.charge(charge_request(customer, setup_intent))
    server.fixed_now += IDEMPOTENCY_WINDOW  # a day later Stripe has forgotten the key

    assert payments.find_charge("p_100") == charged
    search = server.requests[-1]
    assert (search["method"], search["path"]) == ("GET", "/v1/payment_intents/search")
    assert search["params"]["query"] == "metadata['pledge_id']:'p_100' AND metadata['kind']:'settle'"
    assert payments.find_charge("p_unknown") is None
    assert payments.find_charge("o'brien") is None  # quoted, not a broken query

    # Why settlement asks first once the key is gone: the same key now charges again.
    payments.charge(charge_request(customer, setup_intent))
    assert server.charges_for("p_100") == 2


def test_find_charge_of_a_declined_pledge(server, payments):
    customer, setup_intent = saved_card(server, payments, pledge_id="p_200", card="declined")
    declined = payments.charge(charge_request(customer, setup_intent, pledge_id="p_200"))

    found = payments.find_charge("p_200")
    assert found == declined and found.failure_code == "card_declined"


def test_reading_payment_intents():
    failed = {"id": "pi_1", "status": "requires_payment_method", "created": 3,
              "last_payment_error": {"code": "card_declined", "message": "Your card was declined."}}
    paid = {"id": "pi_2", "status": "succeeded", "created": 1, "latest_charge": {"id": "ch_2"}}
    assert settlement([failed, paid]) is paid and settlement([failed]) is failed and settlement([]) is None
    assert intent_result(paid) == ChargeResult("succeeded", "pi_2", "ch_2")
    assert intent_result({"id": "pi_3", "status": "processing"}) == ChargeResult("processing", "pi_3")
    assert intent_result({"id": "pi_4", "status": "requires_action"}).failure_code == "authentication_required"
    assert intent_result({"id": "pi_5", "status": "canceled"}).failure_code == "canceled"
    assert settle_query("a'b\\c") == "metadata['pledge_id']:'a\\'b\\\\c' AND metadata['kind']:'settle'"


def test_the_stand_in_refuses_what_stripe_refuses(server, payments):
    customer, setup_intent = saved_card(server, payments)
    other, _ = saved_card(server, payments, pledge_id="p_other")
    payment_method = server.setup_intents[setup_intent]["payment_method"]
    client = stripe.StripeClient(KEY, base_addresses={"api": server.url}).v1
    base = {"amount": 2500, "currency": "eur", "customer": customer, "payment_method": payment_method,
            "off_session": True, "confirm": True}

    with pytest.raises(stripe.InvalidRequestError, match="return_url"):  # redirects allowed by default
        client.payment_intents.create(params=base)
    refuse = {"allow_redirects": "never", "enabled": True}
    for change, param in [
        ({"customer": other}, "payment_method"), ({"payment_method": "pm_nope"}, "payment_method"),
        ({"amount": 0}, "amount"), ({"currency": "EUR"}, "currency"), ({"confirm": False}, "off_session"),
    ]:
        with pytest.raises(stripe.InvalidRequestError) as raised:
            client.payment_intents.create(params={**base, "automatic_payment_methods": refuse, **change})
        assert raised.value.param == param
    assert server.created("payment_intent") == 0


# -- a "fix your payment" session after a failed charge -----------------------------------------

def test_a_fix_checkout_pays_on_the_pledges_customer(server, payments):
    customer, _ = saved_card(server, payments, pledge_id="p_001", card="declined")
    fix = payments.create_checkout(checkout_request(kind="fix", customer_id=customer, attempt=1))

    call = server.requests[-1]
    assert call["path"] == "/v1/checkout/sessions" and call["idempotency_key"].startswith("fix-p_001-1-")
    params = call["params"]
    metadata = {"pledge_id": "p_001", "campaign": "solar-oven", "reward": "vinyl", "kind": "fix"}
    assert (params["mode"], params["customer"], params["metadata"]) == ("payment", customer, metadata)
    assert params["payment_intent_data"] == {"metadata": metadata}
    assert fix.customer_id == customer and server.created("customer") == 1  # no new Customer

    server.complete(fix.session_id)
    assert server.charges_for("p_001") == 1
    with pytest.raises(ValueError, match="fix"):
        payments.create_checkout(checkout_request(kind="fix"))  # no customer
    with pytest.raises(ValueError, match="fix"):
        payments.create_checkout(checkout_request(kind="fix", customer_id=customer, mode="setup"))
