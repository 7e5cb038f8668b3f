"""Off-session settlement charges on Stripe: request parameters and answers read as outcomes.

Pure functions over Stripe's shapes as plain dicts (from SDK 15 on a
``StripeObject`` is no dict: the adapter hands over ``to_dict()`` and the error
body's JSON); :class:`~functions.payments.stripe_checkout.StripePayments` does
the calls and delegates here.

What Stripe does that this module relies on:

* A declined or authentication-required off-session charge is a 402
  ``card_error`` whose body carries the PaymentIntent it created (status
  ``requires_payment_method``, ``payment_method`` cleared, the error repeated in
  ``last_payment_error``). The error's ``code`` is ``card_declined`` for most
  declines, with the reason in ``decline_code`` (``generic_decline``,
  ``insufficient_funds``, …); ``authentication_required`` and ``expired_card``
  are codes of their own.
* Idempotency saves the first answer that ran, a 402 included: a rerun with the
  same key within 24 hours gets the same PaymentIntent and the same decline,
  and never charges again. After 24 hours the key is forgotten, hence
  :func:`settle_query` (the Search API, which lags writes by up to a minute,
  an hour during incidents: fine a day later, useless right after a charge).
* Since API version 2023-08-16 a PaymentIntent accepts the Dashboard's payment
  methods by default, and confirming one server-side then requires a
  ``return_url`` unless redirects are refused; off-session there is no page to
  return to, so :func:`charge_params` refuses them.
"""

from __future__ import annotations

from typing import Any

from functions.core.ports import ChargeRequest, ChargeResult
from functions.core.stripe_money import to_stripe

# Stripe's error codes for an amount it refuses whatever the card: below its minimum, above 8 digits,
# decimals the currency cannot take.
AMOUNT_REFUSED = frozenset({"amount_too_small", "amount_too_large", "invalid_charge_amount"})
_BACKOFF_BASE = 0.5  # seconds before the first retry
_BACKOFF_CAP = 8.0


def charge_params(request: ChargeRequest, payment_method: str) -> dict[str, Any]:
    """The ``POST /v1/payment_intents`` parameters that charge ``payment_method`` now, off-session."""
    if request.amount <= 0:
        raise ValueError(f"ChargeRequest.amount must be a positive number of minor units, not {request.amount}")
    return {
        "amount": to_stripe(request.amount, request.currency),  # Stripe's minor unit (ISK, MGA differ)
        "currency": request.currency.lower(),
        "customer": request.customer_id,
        "payment_method": payment_method,
        "off_session": True,
        "confirm": True,
        # No redirect-based method can complete without the backer; refusing them lifts return_url.
        "automatic_payment_methods": {"enabled": True, "allow_redirects": "never"},
        "metadata": {key: value for key, value in request.metadata.items() if value},
    }


def settle_query(pledge_id: str) -> str:
    """The Search API query for a pledge's settlement PaymentIntents."""
    # Search strings are single-quoted; a quote or backslash inside is escaped with a backslash.
    value = pledge_id.replace("\\", "\\\\").replace("'", "\\'")
    return f"metadata['pledge_id']:'{value}' AND metadata['kind']:'settle'"


def intent_result(intent: dict[str, Any]) -> ChargeResult:
    """What a PaymentIntent's status means for the pledge."""
    status = intent["status"]
    if status == "succeeded":
        return ChargeResult("succeeded", intent["id"], _id(intent.get("latest_charge")))
    if status in ("processing", "requires_capture"):  # the money is on its way (SEPA debit, …)
        return ChargeResult("processing", intent["id"])
    error = intent.get("last_payment_error") or {}
    if status == "requires_action":  # the bank wants the backer, who is not there
        return ChargeResult("failed", intent["id"], failure_code="authentication_required",
                            message=error.get("message") or "The card needs the backer's authentication.")
    # requires_payment_method (declined), canceled, or never confirmed: the backer must pay another way.
    return ChargeResult("failed", intent["id"], failure_code=error.get("code") or status,
                        message=error.get("message"))


def error_result(error: dict[str, Any] | None) -> ChargeResult | None:
    """The outcome carried by Stripe's error body (its ``error`` object), or None when no charge was attempted.

    A card error is always a failed charge, and so is an amount Stripe refuses
    (:data:`AMOUNT_REFUSED`); another error counts as one only when Stripe
    created the PaymentIntent before refusing (a payment method that can no
    longer be used), which its ``payment_intent`` shows.
    """
    if error is None:
        return None
    intent = error.get("payment_intent")
    if error.get("code") in AMOUNT_REFUSED:
        # An amount Stripe never charges (a pledge taken before Stripe's limits were checked):
        # a rerun would be refused the same way, so it fails rather than blocking settlement.
        return ChargeResult("failed", _id(intent), failure_code=error["code"], message=error.get("message"))
    if error.get("type") != "card_error" and not intent:
        return None
    return ChargeResult("failed", _id(intent), failure_code=error.get("code") or error.get("type"),
                        message=error.get("message"))


def settlement(intents: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The PaymentIntent that tells a pledge's settlement: the succeeded one, else the latest."""
    succeeded = [intent for intent in intents if intent["status"] == "succeeded"]
    # max() keeps the first of equal ``created``: the API's order, newest first, breaks ties.
    return max(succeeded or intents, key=lambda intent: intent["created"], default=None)


def backoff_delay(retry: int, draw: float) -> float:
    """Seconds to wait before retry number ``retry`` (0-based): exponential, capped, "full jitter".

    ``draw`` is uniform in [0, 1): spreading retries over the whole window keeps
    clients rate-limited together from coming back together.
    """
    return draw * min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** min(retry, 16))


def _id(value: Any) -> str | None:
    # An expandable field is an id, or the object when expanded.
    if value is None or isinstance(value, str):
        return value
    return value["id"]
