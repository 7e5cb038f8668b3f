"""Amounts and currencies as Stripe takes them (issue 12), through the real SDK against the stand-in.

Each failed before its fix: the stand-in let any amount through; the adapter
sent ISO 4217 minor units where Stripe counts its own (ISK, MGA); a refund's
``amount_refunded`` was read as ours; out-of-range pledges got a 502
(flexible) or were accepted (all-or-nothing), and the manage page took any
amount (25 nines crashed it).
"""

from __future__ import annotations

import dataclasses
import html
import json

import pytest
import stripe
from stripe_server import StripeServer
from test_settle import World, catalog_path  # noqa: F401 - the built fixture site

from conftest import NOW
from functions.core import events, tokens
from functions.core.pledge import CHECKOUT_TTL, PAID, PLEDGED, REFUNDED, Pledge
from functions.core.ports import ChargeRequest, CheckoutRequest
from functions.payments.stripe_checkout import StripePayments

KEY = "sk_test_amounts_0123456789"
NOW_EPOCH = int(NOW.timestamp())
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch):
    monkeypatch.setattr(stripe.HTTPClient, "INITIAL_DELAY", 0)


@pytest.fixture
def server():
    with StripeServer(now=NOW_EPOCH) as stand_in:
        yield stand_in


@pytest.fixture
def payments(server) -> StripePayments:
    return StripePayments(KEY, api_base=server.url, sleep=lambda seconds: None)


@pytest.fixture
def client(server):
    """The SDK itself, sending what the adapter never would."""
    return stripe.StripeClient(KEY, base_addresses={"api": server.url}, max_network_retries=0).v1


@pytest.fixture
def world(catalog_path, tmp_path):  # noqa: F811
    from functions.runtime import install

    with StripeServer(now=NOW_EPOCH) as stand_in:
        made = World(catalog_path, f"sqlite:///{tmp_path / 'pledges.sqlite3'}", stand_in)
        yield made
        made.store.close()
        install(None)


def checkout_request(**changes) -> CheckoutRequest:
    request = CheckoutRequest(
        pledge_id="p_amounts", campaign="solar-oven", campaign_title="Solar oven", reward=None,
        description="Solar oven", amount=2500, currency="EUR", mode="payment",
        success_url="https://example.org/thanks/?session={CHECKOUT_SESSION_ID}",
        cancel_url="https://example.org/campaigns/solar-oven/", expires_at=NOW + CHECKOUT_TTL, locale="en",
    )
    return dataclasses.replace(request, **changes)


def session_params(unit_amount: int, currency: str) -> dict:
    return {"mode": "payment", "success_url": "https://example.org/thanks/", "line_items": [{
        "price_data": {"currency": currency, "unit_amount": unit_amount, "product_data": {"name": "Zine"}},
        "quantity": 1}]}


# -- the stand-in keeps Stripe's rules -----------------------------------------------------------

UNIT = "line_items[0][price_data][unit_amount]"


@pytest.mark.parametrize("unit_amount, currency, param, code", [
    (49, "eur", UNIT, "amount_too_small"),           # Stripe's minimum: 0.50 EUR
    (29, "gbp", UNIT, "amount_too_small"),           # 0.30 GBP
    (49, "jpy", UNIT, "amount_too_small"),           # 50 JPY (zero-decimal)
    (17499, "huf", UNIT, "amount_too_small"),        # 175.00 HUF
    (100_000_000, "eur", UNIT, "amount_too_large"),  # more than 8 digits
    (100_000_000, "jpy", UNIT, "amount_too_large"),
    (1234, "bhd", UNIT, "invalid_charge_amount"),    # three-decimal: must end in 0
    (550, "isk", UNIT, "invalid_charge_amount"),     # ISK: two decimals, always 00
    (2500, "iqd", "line_items[0][price_data][currency]", None),  # ISO 4217, not Stripe
    (2500, "stn", "line_items[0][price_data][currency]", None),
])
def test_the_stand_in_refuses_what_stripe_cannot_charge(client, unit_amount, currency, param, code):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.checkout.sessions.create(params=session_params(unit_amount, currency))
    error = raised.value
    assert error.http_status == 400
    assert (error.param, error.code) == (param, code)
    assert error.json_body["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize("unit_amount, currency", [
    (50, "eur"), (30, "gbp"), (50, "jpy"), (99_999_999, "eur"), (1230, "bhd"), (500, "isk"), (1, "mga"),
])
def test_the_stand_in_takes_what_stripe_takes(client, server, unit_amount, currency):
    session = client.checkout.sessions.create(params=session_params(unit_amount, currency))
    assert server.sessions[session.id]["amount_total"] == unit_amount


def test_the_stand_in_checks_payment_intents_and_setup_currencies(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.payment_intents.create(params={"amount": 29, "currency": "gbp"})
    assert (raised.value.param, raised.value.code) == ("amount", "amount_too_small")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.payment_intents.create(params={"amount": 5000, "currency": "lyd"})
    assert raised.value.param == "currency"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.checkout.sessions.create(params={"mode": "setup", "currency": "ves",
                                                "success_url": "https://example.org/thanks/"})
    assert raised.value.param == "currency"


# -- what the adapter sends is in Stripe's minor units, what it reads is turned back into ours ----

@pytest.mark.parametrize("amount, currency, sent", [
    (2500, "EUR", 2500), (1500, "JPY", 1500), (5000, "ISK", 500000), (500000, "MGA", 5000), (1230, "BHD", 1230),
])
def test_checkout_line_items_are_in_stripes_units(server, payments, amount, currency, sent):
    checkout = payments.create_checkout(checkout_request(amount=amount, currency=currency))
    assert server.sessions[checkout.session_id]["amount_total"] == sent
    assert server.sessions[checkout.session_id]["currency"] == currency.lower()


@pytest.mark.parametrize("amount, currency, sent", [(2500, "EUR", 2500), (5000, "ISK", 500000),
                                                     (500000, "MGA", 5000)])
def test_settlement_charges_are_in_stripes_units(server, payments, amount, currency, sent):
    checkout = payments.create_checkout(checkout_request(mode="setup", currency=currency, pledge_id="p_isk"))
    setup_intent = server.complete(checkout.session_id)["data"]["object"]["setup_intent"]
    result = payments.charge(ChargeRequest(pledge_id="p_isk", campaign="solar-oven", amount=amount,
                                           currency=currency, customer_id=checkout.customer_id,
                                           setup_intent_id=setup_intent))
    assert result.outcome == "succeeded"
    assert server.payment_intents[result.payment_intent_id]["amount"] == sent


def test_a_refund_is_read_in_stripes_units(server, payments):
    # 5000 ISK paid: Stripe's session says 500000; a refund of 1000 ISK says amount_refunded=100000.
    checkout = payments.create_checkout(checkout_request(amount=5000, currency="ISK"))
    server.complete(checkout.session_id)
    pledge = Pledge(id="p_amounts", campaign="solar-oven", reward=None, amount=5000, currency="ISK",
                    mode="payment", status=PAID, created_at=NOW, updated_at=NOW, expires_at=NOW + CHECKOUT_TTL,
                    ref_code="r_amounts")
    partly = events.decide(pledge, server.refund_event(checkout.session_id, amount=100000))
    assert (partly.refunded, partly.status) == (1000, PAID)
    fully = events.decide(partly, server.refund_event(checkout.session_id))
    assert (fully.refunded, fully.status) == (5000, REFUNDED)


# -- out-of-range pledges: 400 with the error JSON, nothing written --------------------------------

@pytest.mark.parametrize("campaign, amount, message", [
    ("premier-album", "0.49", "'amount': Stripe cannot charge less than 0.50 EUR"),        # all-or-nothing
    ("premier-album", "1000000", "'amount': Stripe cannot charge more than 999999.99 EUR in one payment"),
    ("premier-album", "9" * 25, "'amount': Stripe cannot charge more than 999999.99 EUR in one payment"),
    ("tokyo-zine", "49", "'amount': Stripe cannot charge less than 50 JPY"),               # flexible
    ("tokyo-zine", "100000000", "'amount': Stripe cannot charge more than 99999999 JPY in one payment"),
])
def test_an_amount_stripe_cannot_charge_is_refused_at_pledge(world, campaign, amount, message):
    for body, headers in ((json.dumps({"campaign": campaign, "amount": amount}).encode(), JSON),
                          (f"campaign={campaign}&amount={amount}".encode(), FORM)):
        status, _, answer = world.call("POST", "/api/pledges", body, headers)
        assert status == 400, answer
        assert json.loads(answer) == {"error": {"code": "invalid", "message": message}}
    assert world.store.pledges(campaign) == []
    assert world.stripe.sessions == {}


@pytest.mark.parametrize("campaign, amount", [("premier-album", "999999.99"), ("tokyo-zine", "50")])
def test_the_limits_themselves_are_accepted(world, campaign, amount):
    status, _, answer = world.call("POST", "/api/pledges", json.dumps({"campaign": campaign, "amount": amount})
                                   .encode(), JSON)
    assert status == 201, answer


@pytest.mark.parametrize("amount, words", [
    ("9" * 25, "Une carte ne peut pas payer plus de 999\u202f999,99\u00a0€ en une fois."),
    ("1000000", "Une carte ne peut pas payer plus de 999\u202f999,99\u00a0€ en une fois."),
    ("0.49", "Le plus petit montant qu’une carte peut payer est 0,50\u00a0€."),
])
def test_the_manage_page_refuses_an_amount_stripe_cannot_charge(world, amount, words):
    pledge_id = world.pledge("90")
    manage = f"/api/manage/{tokens.make('manage', pledge_id, 'manage-secret')}"
    before = world.store.get_pledge(pledge_id)
    status, _, page = world.call("POST", manage, f"action=change&amount={amount}".encode(), FORM)
    assert status == 400, page
    assert words in html.unescape(page)  # the page's language, in plain words: no developer message
    after = world.store.get_pledge(pledge_id)
    assert (after.amount, after.status, after.version) == (9000, PLEDGED, before.version)
    assert world.stats()["raised"] == 9000


def test_a_settlement_charge_stripe_refuses_for_its_amount_fails_instead_of_retrying(server, payments):
    # A pledge taken before the limits were checked: Stripe's 400 comes back on every rerun,
    # so settlement records a failure rather than "retry" forever.
    checkout = payments.create_checkout(checkout_request(mode="setup", pledge_id="p_small"))
    setup_intent = server.complete(checkout.session_id)["data"]["object"]["setup_intent"]
    result = payments.charge(ChargeRequest(pledge_id="p_small", campaign="solar-oven", amount=20, currency="EUR",
                                           customer_id=checkout.customer_id, setup_intent_id=setup_intent))
    assert (result.outcome, result.failure_code) == ("failed", "amount_too_small")
    assert server.charges_for("p_small") == 0
