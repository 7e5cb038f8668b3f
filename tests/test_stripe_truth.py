"""What real Stripe accepts (issue 12), through the real SDK against a stand-in that keeps Stripe's rules.

Each part here failed before its fix: a Checkout ``expires_at`` of exactly
now + 30 minutes (refused once the request reaches Stripe a moment later),
site languages Stripe does not list (``fr-BE``), a second "save another card"
reusing a key with other parameters (Stripe's idempotency error, then 502), an
address invented for setup-mode sessions, the SDK's 80-second timeout inside a
15-second function, and a stand-in that let through what Stripe refuses.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

import pytest
import stripe
import yaml
from stripe_server import LOCALES, StripeServer
from test_settle import World, catalog_path  # noqa: F401 - the built fixture site

from conftest import NOW
from functions.core import tokens
from functions.core.pledge import CHECKOUT_TTL, MIN_CHECKOUT_TTL
from functions.core.mailtext import Templates
from functions.core.model import CheckoutLine
from functions.core.ports import ChargeRequest, CheckoutRequest, PaymentsError
from functions.payments.stripe_budget import PLEDGE, SETTLE, Budget, budget_from
from functions.payments.stripe_checkout import StripePayments, session_params
from functions.payments.stripe_locales import LOCALES as ADAPTER_LOCALES, checkout_locale
from functions.payments.stripe_summary import LIMIT, language_spec, submit_message
from functions.runtime import Runtime

KEY = "sk_test_truth_0123456789"
NOW_EPOCH = int(NOW.timestamp())
ROOT = Path(__file__).resolve().parents[1]


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
    """The SDK itself, for what the adapter never sends."""
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
        pledge_id="p_truth", campaign="solar-oven", campaign_title="Solar oven", reward=None,
        description="Solar oven", amount=2500, currency="EUR", mode="payment",
        success_url="https://example.org/thanks/?session={CHECKOUT_SESSION_ID}",
        cancel_url="https://example.org/campaigns/solar-oven/", expires_at=NOW + CHECKOUT_TTL, locale="fr",
    )
    return dataclasses.replace(request, **changes)


def session_of(location: str) -> str:
    return location.rsplit("/", 1)[1]


# -- 1. expires_at ---------------------------------------------------------------------------

def test_a_pledge_reaching_stripe_a_little_later_is_still_accepted(world):
    # ``now`` is read before the store's write and the network: Stripe's clock is ahead by then.
    world.stripe.advance(20)
    pledge_id = world.pledge("25")

    pledge = world.store.get_pledge(pledge_id)
    session = world.stripe.sessions[pledge.checkout_session_id]
    # The reservation lasts exactly as long as Stripe's session: never released while it can complete.
    assert int(pledge.expires_at.timestamp()) == session["expires_at"]
    assert session["expires_at"] - session["created"] >= MIN_CHECKOUT_TTL.total_seconds()
    assert CHECKOUT_TTL >= MIN_CHECKOUT_TTL + dt.timedelta(minutes=1)


def test_a_new_card_session_reaching_stripe_later_is_accepted(world):
    pledge_id = world.pledge("90")
    manage = f"/api/manage/{tokens.make('manage', pledge_id, 'manage-secret')}"
    world.stripe.advance(20)
    status, headers, body = world.call("POST", manage, b"action=card",
                                       {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303, body


# -- 2. locale ---------------------------------------------------------------------------------

@pytest.mark.parametrize("tag, locale", [
    ("fr", "fr"), ("fr-BE", "fr"), ("fr-CA", "fr-CA"), ("pt-PT", "pt"), ("pt-BR", "pt-BR"), ("en-US", "en"),
    ("en-GB", "en-GB"), ("en_gb", "en-GB"), ("es-ES", "es"), ("es-MX", "es-419"), ("es-419", "es-419"),
    ("zh-Hant", "zh-TW"), ("zh-TW", "zh-TW"), ("zh-Hant-HK", "zh-HK"), ("zh-MO", "zh-HK"), ("zh-CN", "zh"),
    ("zh-Hans-HK", "zh"), ("nn", "nb"), ("no", "nb"), ("tl", "fil"), ("hi", "hi-IN"), ("de-CH", "de"),
    ("tlh", "auto"), ("ku-Latn", "auto"),
])
def test_site_languages_reach_checkout_as_stripe_locales(server, payments, tag, locale):
    checkout = payments.create_checkout(checkout_request(locale=tag))
    assert server.sessions[checkout.session_id]["locale"] == locale


def test_the_adapter_has_stripes_locale_list():
    # The stand-in's list is the installed SDK's enum: a new SDK with a new locale fails here.
    assert set(ADAPTER_LOCALES) == LOCALES
    assert checkout_locale(None) is None and checkout_locale("") is None


def test_the_stand_in_refuses_a_locale_stripe_does_not_list(client):
    with pytest.raises(stripe.InvalidRequestError, match=r"Invalid locale: must be one of auto, bg, .*, or zh-TW"):
        client.checkout.sessions.create(params={"mode": "setup", "currency": "eur", "locale": "fr-BE",
                                                "success_url": "https://example.org/ok"})


# -- 3. idempotency keys cover their parameters -----------------------------------------------------

def test_saving_another_card_twice_opens_two_sessions(world):
    pledge_id = world.pledge("90")
    manage = f"/api/manage/{tokens.make('manage', pledge_id, 'manage-secret')}"
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    first = world.call("POST", manage, b"action=card", form)
    world.now = world.now + dt.timedelta(minutes=1)  # the backer comes back and clicks again
    second = world.call("POST", manage, b"action=card", form)
    again = world.call("POST", manage, b"action=card", form)  # the same click, retried at once

    assert (first[0], second[0], again[0]) == (303, 303, 303), second[2]
    assert session_of(first[1]["Location"]) != session_of(second[1]["Location"])
    assert session_of(again[1]["Location"]) == session_of(second[1]["Location"])  # replayed, not a third


def test_a_settlement_charge_keeps_one_key_whatever_its_parameters(server, payments):
    # The exception, on purpose: a rerun with moved parameters is refused, never charged twice.
    checkout = payments.create_checkout(checkout_request(pledge_id="p_charge", mode="setup"))
    setup_intent = server.complete(checkout.session_id)["data"]["object"]["setup_intent"]
    request = ChargeRequest(pledge_id="p_charge", campaign="solar-oven", amount=2500, currency="EUR",
                            customer_id=checkout.customer_id, setup_intent_id=setup_intent)
    assert payments.charge(request).outcome == "succeeded"
    with pytest.raises(PaymentsError, match="IdempotencyError"):
        payments.charge(dataclasses.replace(request, amount=2600))
    assert server.charges_for("p_charge") == 1


def test_the_stand_in_refuses_a_key_reused_with_other_parameters(client):
    params = {"metadata": {"pledge_id": "p_1"}}
    first = client.customers.create(params=params, options={"idempotency_key": "k-1"})
    assert client.customers.create(params=params, options={"idempotency_key": "k-1"}).id == first.id
    with pytest.raises(stripe.IdempotencyError) as raised:
        client.customers.create(params={"metadata": {"pledge_id": "p_2"}}, options={"idempotency_key": "k-1"})
    assert raised.value.http_status == 400 and raised.value.json_body["error"]["type"] == "idempotency_error"


# -- 4. setup mode has no address ---------------------------------------------------------------

def test_a_setup_session_collects_no_address(server, payments, client):
    checkout = payments.create_checkout(checkout_request(mode="setup"))
    session = server.complete(checkout.session_id, country="BE")["data"]["object"]
    assert session["customer_details"]["address"] is None and session["customer_details"]["email"]

    shipped = payments.create_checkout(checkout_request(pledge_id="p_ship", mode="setup",
                                                        shipping_countries=("FR", "BE")))
    session = server.complete(shipped.session_id, country="BE")["data"]["object"]
    assert session["collected_information"]["shipping_details"]["address"]["country"] == "BE"

    asked = client.checkout.sessions.create(params={
        "mode": "setup", "currency": "eur", "success_url": "https://example.org/ok",
        "billing_address_collection": "required"})
    session = server.complete(asked.id, country="CH")["data"]["object"]
    assert session["customer_details"]["address"]["country"] == "CH"


def test_an_all_or_nothing_pledge_without_shipping_has_no_country(world):
    no_shipping = world.store.get_pledge(world.pledge("25"))
    shipped = world.store.get_pledge(world.pledge("40", reward="vinyl"))
    assert no_shipping.country is None and no_shipping.email
    assert shipped.country == "FR" and shipped.shipping["address"]["country"] == "FR"


# -- 5. timeouts and retries within the function's time ---------------------------------------------

def test_a_stalled_stripe_fails_fast(server):
    payments = StripePayments(KEY, api_base=server.url, budget=Budget(seconds=2, timeout=0.5, network_retries=2))
    server.stall_next(30, times=10)
    started = time.monotonic()
    with pytest.raises(PaymentsError, match="APIConnectionError"):
        payments.create_checkout(checkout_request(mode="setup"))
    assert time.monotonic() - started < 3


def test_the_budget_comes_from_the_environment(server, monkeypatch, tmp_path):
    monkeypatch.setenv("STRIPE_SECRET_KEY", KEY)
    monkeypatch.setenv("STRIPE_API_BASE", server.url)
    monkeypatch.setenv("CAGNOTTE_STRIPE_BUDGET", "1.5")
    monkeypatch.setenv("CAGNOTTE_CATALOG", str(tmp_path / "catalog.json"))
    server.stall_next(8, times=5)
    started = time.monotonic()
    with pytest.raises(PaymentsError):
        Runtime.from_environment().payments.create_checkout(checkout_request())
    assert time.monotonic() - started < 2.5


def test_a_rate_limit_wait_that_would_pass_the_budget_is_not_waited(server):
    waits: list[float] = []
    payments = StripePayments(KEY, api_base=server.url, budget=Budget(seconds=1.5, timeout=1),
                              sleep=waits.append, jitter=lambda: 1.0)
    server.fail_next(429, times=5)
    with pytest.raises(PaymentsError, match="RateLimitError"):
        payments.create_checkout(checkout_request())
    assert waits == [] and len(server.requests) == 1  # 0.5 s of wait would leave less than an attempt


def test_the_budgets_fit_the_functions_time_limits():
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)  # CloudFormation's tags
    template = yaml.load((ROOT / "template.yaml").read_text(encoding="utf-8"), Loader=Loader)
    function_timeout = template["Globals"]["Function"]["Timeout"]
    settle = template["Resources"]["SettleFunction"]["Properties"]
    settle_budget = budget_from(settle["Environment"]["Variables"]["CAGNOTTE_STRIPE_BUDGET"])

    # A request's retries fit its budget, and the budget leaves the function time for the store and the answer.
    assert PLEDGE.worst_request() <= PLEDGE.seconds <= function_timeout - 5
    assert settle_budget == SETTLE and SETTLE.worst_request() <= SETTLE.seconds < settle["Timeout"]
    assert budget_from(None) == PLEDGE and budget_from("2").timeout == 1
    assert Budget.within(120).network_retries == 2 and Budget.within(120).timeout == 20


# -- 7. the stand-in keeps Stripe's rules -------------------------------------------------------------

def test_the_stand_in_clock_moves(server):
    first = server.now()
    assert NOW_EPOCH <= first <= NOW_EPOCH + 5
    server.advance(3600)
    assert server.now() >= first + 3600
    server.fixed_now = NOW_EPOCH  # back to an instant: it moves on from there
    assert NOW_EPOCH <= server.now() <= NOW_EPOCH + 5


def test_the_stand_in_keeps_the_expiry_window(server, client):
    base = {"mode": "setup", "currency": "eur", "success_url": "https://example.org/ok"}
    at = server.now() + 30 * 60 + 2
    assert client.checkout.sessions.create(params={**base, "expires_at": at}).expires_at == at
    server.advance(5)  # the same expires_at, a few seconds later: under 30 minutes
    for late in (at, server.now() + 24 * 3600 + 60):
        with pytest.raises(stripe.InvalidRequestError, match="30 minutes and 24 hours") as raised:
            client.checkout.sessions.create(params={**base, "expires_at": late})
        assert raised.value.param == "expires_at"


@pytest.mark.parametrize("params, param, code", [
    ({"line_items": [{"price_data": {"currency": "eur", "unit_amount": 100, "bogus": 1,
                                     "product_data": {"name": "x"}}, "quantity": 1}]},
     "line_items[0][price_data][bogus]", "parameter_unknown"),
    ({"expires_at": "soon"}, "expires_at", "parameter_invalid_integer"),
    ({"mode": "subscriptionx"}, "mode", None),
    ({"client_reference_id": ""}, "client_reference_id", "parameter_invalid_empty"),
    ({"shipping_address_collection": {"allowed_countries": ["XX"]}},
     "shipping_address_collection[allowed_countries][0]", None),
    ({"line_items": [{"price_data": {"unit_amount": 100, "product_data": {"name": "x"}}, "quantity": 1}]},
     "line_items[0][price_data][currency]", "parameter_missing"),
    ({"allow_promotion_codes": "yes"}, "allow_promotion_codes", None),
    ({"line_items": {"price": "p"}}, "line_items", None),
])
def test_the_stand_in_checks_parameters_as_the_sdk_types_them(client, params, param, code):
    base = {"mode": "payment", "success_url": "https://example.org/ok",
            "line_items": [{"price_data": {"currency": "eur", "unit_amount": 100, "product_data": {"name": "x"}},
                            "quantity": 1}]}
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.checkout.sessions.create(params={**base, **params})
    assert (raised.value.http_status, raised.value.param, raised.value.code) == (400, param, code)


def test_the_stand_in_checks_payment_intents_and_queries_too(client):
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.payment_intents.create(params={"amount": 100})
    assert (raised.value.param, raised.value.code) == ("currency", "parameter_missing")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.payment_intents.create(params={"amount": 100, "currency": "eur", "confirm": "yes"})
    assert raised.value.param == "confirm"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.payment_intents.search(params={"query": "status:'succeeded'", "limits": 3})
    assert (raised.value.param, raised.value.code) == ("limits", "parameter_unknown")


def test_amounts_go_through_one_hook(server, payments, monkeypatch):
    import stripe_server

    seen: list[tuple[int, str, str]] = []
    monkeypatch.setattr(stripe_server, "_check_amount", lambda amount, currency, param: seen.append(
        (amount, currency, param)))
    checkout = payments.create_checkout(checkout_request(mode="setup", pledge_id="p_hook"))
    setup_intent = server.complete(checkout.session_id)["data"]["object"]["setup_intent"]
    payments.create_checkout(checkout_request(amount=1250))
    payments.charge(ChargeRequest(pledge_id="p_hook", campaign="solar-oven", amount=700, currency="EUR",
                                  customer_id=checkout.customer_id, setup_intent_id=setup_intent))
    assert seen == [(1250, "eur", "line_items[0][price_data][unit_amount]"), (1250, "eur", "line_items"),
                    (700, "eur", "amount")]


# -- 6. what a setup-mode page says ------------------------------------------------------------
# Stripe takes no line items in setup mode: the pledge is told in custom_text[submit][message].

DEADLINE = dt.datetime(2026, 12, 15, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=1)))
VINYLS = (CheckoutLine("Vinyl", 3000, 2), CheckoutLine("Poster", 1300, 1),
          CheckoutLine("shipping", 500, 1, kind="shipping"))


@pytest.fixture
def mail_templates(catalog_path):  # noqa: F811 - the built fixture site's mail.json (fr and en)
    return Templates.from_json((catalog_path.parent / "mail.json").read_text(encoding="utf-8"))


def setup_request(**changes) -> CheckoutRequest:
    return checkout_request(**{"mode": "setup", "amount": 7800, "lines": VINYLS, "deadline": DEADLINE, **changes})


def test_a_setup_session_tells_the_pledge_in_english(mail_templates):
    request = setup_request(locale="en")
    params = session_params(request, "cus_1", language_spec(mail_templates, "en"))
    assert "line_items" not in params
    assert params["custom_text"] == {"submit": {"message": (
        "Your pledge: Vinyl × 2 + Poster + Shipping (€5) — €78 in total. Your card is saved, not charged now: "
        "it is charged only if the campaign reaches its goal by December 15, 2026. If it does not, nothing is "
        "charged.")}}


def test_a_setup_session_tells_the_pledge_in_french(mail_templates):
    request = setup_request(locale="fr-BE", amount=7850,
                            lines=VINYLS + (CheckoutLine("support", 50, 1, kind="extra"),))
    params = session_params(request, "cus_1", language_spec(mail_templates, "fr-BE"))
    assert params["custom_text"]["submit"]["message"] == (
        "Votre contribution : Vinyl × 2 + Poster + Livraison (5\u00a0€) + Soutien en plus (0,50\u00a0€) — "
        "78,50\u00a0€ au total. Votre carte est enregistrée, pas débitée maintenant : elle ne le sera que si "
        "la campagne atteint son objectif d'ici le 15 décembre 2026. Sinon, rien n'est débité.")


def test_without_lines_or_patterns_the_summary_still_says_it_all():
    # One reward, no mail.json (the ledger CLI's adapter), a language the summary has no words for.
    request = checkout_request(mode="setup", description="Limited vinyl", amount=3000, locale="de", deadline=None)
    message = session_params(request, "cus_1")["custom_text"]["submit"]["message"]
    assert message == ("Your pledge: Limited vinyl — 30.00 EUR in total. Your card is saved, not charged now: "
                       "it is charged only if the campaign reaches its goal. If it does not, nothing is charged.")
    assert "custom_text" not in session_params(checkout_request(), None)  # payment mode: its line items say it


def test_a_long_list_of_items_is_cut_at_a_whole_item():
    lines = tuple(CheckoutLine(f"Add-on number {n:02d} with a rather long title", 100, n) for n in range(1, 41))
    message = submit_message(setup_request(locale="en", lines=lines), None)
    assert len(message) <= LIMIT and len(message.encode("utf-16-le")) // 2 <= LIMIT
    assert "Add-on number 01 with a rather long title + Add-on number 02 with a rather long title × 2" in message
    assert " + … — 78.00 EUR in total." in message and "number 40" not in message
    one = submit_message(setup_request(locale="en", lines=(CheckoutLine("🎵" * 2000, 100, 1),)), None)
    assert len(one.encode("utf-16-le")) // 2 <= LIMIT and "🎵… — 78.00 EUR" in one


def test_the_stand_in_refuses_an_over_long_message_and_an_unknown_key(server, client):
    customer = client.customers.create().id
    base = {"mode": "setup", "currency": "eur", "customer": customer, "success_url": "https://example.org/ok",
            "expires_at": NOW_EPOCH + 3600}
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.checkout.sessions.create(params={**base, "custom_text": {"submit": {"message": "x" * 1201}}})
    assert raised.value.http_status == 400 and raised.value.param == "custom_text[submit][message]"
    assert "must be at most 1200 characters" in str(raised.value.user_message)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.checkout.sessions.create(params={**base, "custom_text": {"above_submit": {"message": "Hi"}}})
    assert (raised.value.param, raised.value.code) == ("custom_text[above_submit]", "parameter_unknown")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.checkout.sessions.create(params={**base, "custom_text": {"submit": {"text": "Hi"}}})
    assert raised.value.code == "parameter_unknown"
    assert server.created("checkout.session") == 0


def test_the_stand_in_keeps_a_good_message_on_the_session(server, client, payments):
    customer = client.customers.create().id
    session = client.checkout.sessions.create(params={
        "mode": "setup", "currency": "eur", "customer": customer, "success_url": "https://example.org/ok",
        "custom_text": {"submit": {"message": "x" * 1200}, "after_submit": ""}})
    assert session.custom_text.submit.message == "x" * 1200 and session.custom_text.after_submit is None
    checkout = payments.create_checkout(setup_request(locale="en"))
    shown = client.checkout.sessions.retrieve(checkout.session_id).custom_text.submit.message
    assert shown.startswith("Your pledge: Vinyl × 2 + Poster + Shipping (5.00 EUR) — 78.00 EUR in total.")


def test_a_pledge_of_an_all_or_nothing_campaign_shows_its_deadline_on_checkout(world):
    pledge_id = world.pledge("90")
    session = world.stripe.sessions[world.store.get_pledge(pledge_id).checkout_session_id]
    assert session["mode"] == "setup"
    assert "reaches its goal by" in session["custom_text"]["submit"]["message"] or \
        "atteint son objectif d'ici le" in session["custom_text"]["submit"]["message"]
