"""Stripe events applied to pledges: the pledge state machine, and the change
each transition makes to the counters.

:func:`decide` is pure: given a pledge and an event it returns the pledge's new
state, or ``None`` when the event changes nothing (a late ``expired`` after a
completion, an unknown type, a replay). :func:`change` turns old → new into the
:class:`Change` a store applies in one transaction, with the event id, so each
event counts exactly once whatever order or how often Stripe delivers it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from .model import FIX_WINDOW, Change, Claim
from .notify import mails_for
from .pledge import (COLLECTED, EXPIRED, FAILED, PAID, PAYMENT_FAILED, PENDING, PLEDGED, PROCESSING, REFUNDED,
                     Pledge)
from .stripe_money import StripeMoneyError, from_stripe

HANDLED = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "payment_intent.succeeded",  # a settlement charge left processing at the deadline: its outcome
    "payment_intent.payment_failed",
)


def change(before: Pledge, after: Pledge, *, event_id: str | None, now: dt.datetime,
           limit: int | None = None, links=None) -> Change:
    """The conditional write taking ``before`` to ``after`` (version bumped).

    ``limit`` bounds a unit newly taken of ``after.reward`` (moving to another
    limited reward), or is a mapping of item ids (rewards, add-ons) to their limits;
    releases and re-counts of the same units are unbounded.
    """
    after = after.replace(version=before.version + 1, updated_at=now)
    day = now.astimezone(dt.timezone.utc).date().isoformat()
    if after.counts and after.counted_on is None:
        after = after.replace(counted_on=day)
    deltas: dict[str, int] = {}
    for item, units in before.held.items():
        deltas[item] = deltas.get(item, 0) - units
    for item, units in after.held.items():
        deltas[item] = deltas.get(item, 0) + units
    limits = limit if isinstance(limit, Mapping) else {after.reward: limit}
    claims = tuple(Claim(item, delta, limits.get(item) if delta > 0 else None)
                   for item, delta in sorted(deltas.items()) if delta)
    return Change(before=before, after=after, event_id=event_id, mails=mails_for(before, after, links, now),
                  day=day, raised=after.net - before.net, backers=int(after.counts) - int(before.counts),
                  collected=after.collected - before.collected, claims=claims)


def malformed(event: object) -> str | None:
    """Why a signed event cannot be one of Stripe's, or None when its shape is Stripe's.

    Only the parts the functions read are checked: an event that passed the
    signature but not this is answered 200 (so Stripe does not retry it for
    days) and logged, never applied.
    """
    if not isinstance(event, dict):
        return "the event is not an object"
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        return "the event has no id or type"
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        return "data.object is not an object"
    obj = data["object"]
    metadata = obj.get("metadata")
    if metadata is not None and (not isinstance(metadata, dict)
                                 or not all(isinstance(v, str) for v in metadata.values())):
        return "metadata is not a map of strings"
    for name in ("id", "object", "client_reference_id", "customer", "status", "payment_status", "mode"):
        value = obj.get(name)
        if value is not None and not isinstance(value, (str, dict)):
            return f"data.object.{name} is not a string"
    for name in ("payment_intent", "setup_intent", "latest_charge"):
        value = obj.get(name)
        if value is not None and not isinstance(value, str) and not (isinstance(value, dict)
                                                                     and isinstance(value.get("id"), str)):
            return f"data.object.{name} is neither an id nor an object with one"
    for name in ("amount", "amount_total", "amount_refunded", "expires_at", "created"):
        value = obj.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            return f"data.object.{name} is not an integer"
    return None


def pledge_id_of(event: dict) -> str | None:
    """The pledge an event is about (our metadata), or None if it is not ours."""
    obj = (event.get("data") or {}).get("object") or {}
    metadata = obj.get("metadata") or {}
    return metadata.get("pledge_id") or (obj.get("client_reference_id") if obj.get("object") == "checkout.session" else None)


def payment_intent_of(event: dict) -> str | None:
    obj = (event.get("data") or {}).get("object") or {}
    if obj.get("object") == "payment_intent":
        return obj.get("id") or None
    return _id(obj.get("payment_intent"))


def decide(pledge: Pledge, event: dict, now: dt.datetime | None = None) -> Pledge | None:
    """The pledge after ``event``, or None when the event changes nothing.

    ``now`` starts the 7-day fix window of a settlement charge that fails late
    (``payment_intent.payment_failed``); without it, the event's own time.
    """
    kind = event.get("type")
    obj = (event.get("data") or {}).get("object") or {}
    if kind == "charge.refunded":  # whatever path collected it: Checkout, settlement or the fix link
        return _refunded(pledge, obj)
    if kind in ("payment_intent.succeeded", "payment_intent.payment_failed"):
        when = now or dt.datetime.fromtimestamp(int(event.get("created") or 0), dt.timezone.utc)
        return _settled(pledge, kind, obj, when)
    if (obj.get("metadata") or {}).get("kind") == "fix":
        return _fixed(pledge, kind, obj)
    if (obj.get("metadata") or {}).get("kind") == "card":
        # A new card saved before the deadline: settlement charges it instead.
        if kind != "checkout.session.completed" or pledge.status != PLEDGED or not obj.get("setup_intent"):
            return None
        return pledge.replace(setup_intent_id=_id(obj.get("setup_intent")))
    if kind == "checkout.session.completed":
        if pledge.status != PENDING:
            return None  # already completed, expired or failed: a late or replayed event
        details = _backer(obj)
        if pledge.mode == "setup":
            return pledge.replace(status=PLEDGED, customer_id=obj.get("customer") or pledge.customer_id,
                                  setup_intent_id=_id(obj.get("setup_intent")), **details)
        paid = obj.get("payment_status") == "paid"
        return pledge.replace(status=PAID if paid else PROCESSING,
                              payment_intent_id=_id(obj.get("payment_intent")),
                              customer_id=obj.get("customer") or pledge.customer_id, **details)
    if kind == "checkout.session.async_payment_succeeded":
        if pledge.status not in (PENDING, PROCESSING):
            return None
        return pledge.replace(status=PAID, payment_intent_id=_id(obj.get("payment_intent")) or pledge.payment_intent_id,
                              **(_backer(obj) if pledge.status == PENDING else {}))
    if kind == "checkout.session.async_payment_failed":
        if pledge.status not in (PENDING, PROCESSING):
            return None
        return pledge.replace(status=FAILED)
    if kind == "checkout.session.expired":
        if pledge.status != PENDING:
            return None
        return pledge.replace(status=EXPIRED)
    return None


def _settled(pledge: Pledge, kind: str, intent: dict, now: dt.datetime) -> Pledge | None:
    """The outcome of the pledge's settlement charge, when the bank gives it (days later for a debit).

    Only settlement PaymentIntents (``kind=settle``) of a pledge still waiting
    for its charge: Checkout's own payments (flexible, the fix link) are told
    by their session's events, and a pledge settle already wrote is left as is,
    whichever of the settle run and this event came first.
    """
    if (intent.get("metadata") or {}).get("kind") != "settle" or pledge.status != PLEDGED:
        return None
    if kind == "payment_intent.succeeded":
        return pledge.replace(status=COLLECTED, payment_intent_id=intent.get("id"), failure_code=None)
    error = intent.get("last_payment_error") or {}
    return pledge.replace(status=PAYMENT_FAILED, payment_intent_id=intent.get("id"),
                          failure_code=error.get("code") or error.get("decline_code") or "payment_failed",
                          fix_deadline=now + FIX_WINDOW)


def _refunded(pledge: Pledge, charge: dict) -> Pledge | None:
    """A refund of the payment that collected the pledge: the amount refunded so far (it only grows).

    Only the pledge's own PaymentIntent counts: the refund of another payment
    of the same pledge (a second fix payment, refunded as a duplicate) leaves
    the pledge as it is.
    """
    intent = _id(charge.get("payment_intent"))
    if intent and pledge.payment_intent_id and intent != pledge.payment_intent_id:
        return None
    refunded = charge.get("amount_refunded")
    if isinstance(refunded, bool) or not isinstance(refunded, int):
        return None
    try:  # Stripe's minor units, not always ours (ISK, MGA)
        refunded = from_stripe(refunded, pledge.currency)
    except StripeMoneyError:
        return None  # no amount of this currency: not an event Stripe sends
    if refunded <= pledge.refunded:
        return None  # a replay or an older event: refunds only grow
    refunded = min(refunded, pledge.amount)
    status = REFUNDED if refunded >= pledge.amount else pledge.status
    return pledge.replace(refunded=refunded, status=status)


def _fixed(pledge: Pledge, kind: str, session: dict) -> Pledge | None:
    """A "fix your payment" session: paid → collected; anything else changes nothing.

    One fix payment per pledge: a payment that arrives when the pledge no
    longer waits for one (collected by another session, dropped, refunded) is
    recorded as extra, and the next settle run refunds it.
    """
    paid = (kind == "checkout.session.completed" and session.get("payment_status") == "paid") or \
        kind == "checkout.session.async_payment_succeeded"
    if not paid:
        return None
    intent = _id(session.get("payment_intent"))
    if pledge.status == PAYMENT_FAILED:
        return pledge.replace(status=COLLECTED, payment_intent_id=intent, failure_code=None)
    if intent and intent != pledge.payment_intent_id and intent not in pledge.extra_payments:
        return pledge.replace(extra_payments=pledge.extra_payments + (intent,))
    return None  # this payment, told again (completed, then async_payment_succeeded)


def _id(value) -> str | None:
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def _backer(session: dict) -> dict:
    """Name, e-mail and address from a completed session (kept for the creator's export)."""
    details = session.get("customer_details") or {}
    shipping = session.get("shipping_details") or (session.get("collected_information") or {}).get("shipping_details")
    address = (shipping or {}).get("address") or details.get("address") or {}
    return {
        "email": details.get("email"),
        "name": (shipping or {}).get("name") or details.get("name"),
        "country": address.get("country"),
        "shipping": {"name": shipping.get("name"), "address": shipping.get("address")} if shipping else None,
    }
