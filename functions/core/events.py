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
from dataclasses import dataclass

from .pledge import (EXPIRED, FAILED, PAID, PENDING, PLEDGED, PROCESSING, REFUNDED, Pledge,
                     counted, holds_unit)

HANDLED = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
)


@dataclass(frozen=True)
class Change:
    """One conditional write: ``before`` → ``after``, and what it adds to the counters.

    A store applies it atomically: only if the stored pledge's version is still
    ``before.version`` and (when ``event_id`` is set) that event was never
    applied; the event id is recorded in the same transaction.
    """

    before: Pledge
    after: Pledge
    event_id: str | None
    day: str  # YYYY-MM-DD (UTC) of the history bucket
    raised: int  # minor units added to the campaign's total (negative on refunds)
    backers: int  # -1, 0 or +1
    units: int  # -1, 0 or +1 on the reward's claimed count

    @property
    def touches_counters(self) -> bool:
        return bool(self.raised or self.backers or self.units)


def change(before: Pledge, after: Pledge, *, event_id: str | None, now: dt.datetime) -> Change:
    """The conditional write taking ``before`` to ``after`` (version bumped)."""
    after = after.replace(version=before.version + 1, updated_at=now)
    backers = int(counted(after.status)) - int(counted(before.status))
    units = 0
    if before.reward is not None:
        units = int(holds_unit(after.status)) - int(holds_unit(before.status))
    return Change(before=before, after=after, event_id=event_id,
                  day=now.astimezone(dt.timezone.utc).date().isoformat(),
                  raised=after.net - before.net, backers=backers, units=units)


def pledge_id_of(event: dict) -> str | None:
    """The pledge an event is about (our metadata), or None if it is not ours."""
    obj = (event.get("data") or {}).get("object") or {}
    metadata = obj.get("metadata") or {}
    return metadata.get("pledge_id") or (obj.get("client_reference_id") if obj.get("object") == "checkout.session" else None)


def decide(pledge: Pledge, event: dict) -> Pledge | None:
    """The pledge after ``event``, or None when the event changes nothing."""
    kind = event.get("type")
    obj = (event.get("data") or {}).get("object") or {}
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
    if kind == "charge.refunded":
        refunded = obj.get("amount_refunded")
        if not isinstance(refunded, int) or refunded <= pledge.refunded:
            return None  # a replay or an older event: refunds only grow
        refunded = min(refunded, pledge.amount)
        status = REFUNDED if refunded >= pledge.amount else pledge.status
        return pledge.replace(refunded=refunded, status=status)
    return None


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
