"""The ledger's model: the records the pledge flows decide and the ports carry.

A pledge (:class:`Pledge`) and its statuses, the conditional write that takes
one state to the next (:class:`Change`, with its :class:`Claim` on reward
units), and the Checkout session asked of the payments port
(:class:`CheckoutRequest`). The flows (:mod:`~functions.core.pledge`,
:mod:`~functions.core.events`, :mod:`~functions.core.settle`) and the ports
(:mod:`~functions.core.ports`) both import this module, and it imports none of
them: the model is the bottom of the core.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from . import records

# The statuses (docs/pledges.md and docs/operations.md draw the machine):
PENDING = "pending"        # Checkout opened; a limited reward's unit is reserved
PROCESSING = "processing"  # flexible, Checkout completed, the bank transfer is on its way
PLEDGED = "pledged"        # all or nothing: card saved, charged at the deadline if the goal is met
PAID = "paid"              # flexible: money collected
COLLECTED = "collected"    # all or nothing: charged at the deadline
PAYMENT_FAILED = "payment_failed"  # the deadline charge failed: the backer has 7 days to fix it
DROPPED = "dropped"        # not fixed in time: no longer counted
CANCELLED = "cancelled"    # by the backer before the deadline, or the goal was missed (reason "unfunded")
EXPIRED = "expired"        # Checkout abandoned: unit released
FAILED = "failed"          # payment failed (or Checkout could not open): unit released
REFUNDED = "refunded"      # wholly refunded: no longer counted
STATUSES = (PENDING, PROCESSING, PLEDGED, PAID, COLLECTED, PAYMENT_FAILED, DROPPED, CANCELLED, EXPIRED, FAILED,
            REFUNDED)
UNFUNDED = "unfunded"      # cancel_reason when an all-or-nothing goal was missed
FIX_WINDOW = dt.timedelta(days=7)  # Kickstarter's: a failed deadline charge has a week to be fixed

_COUNTED = frozenset({PLEDGED, PAID, COLLECTED, PAYMENT_FAILED})
_COLLECTED = frozenset({PAID, COLLECTED})
_HOLDS_UNIT = frozenset({PENDING, PROCESSING, PLEDGED, PAID, COLLECTED, PAYMENT_FAILED})


@dataclass(frozen=True)
class Pledge:
    id: str
    campaign: str
    reward: str | None
    amount: int  # minor units, shipping included
    currency: str
    mode: str  # payment (flexible) | setup (all or nothing)
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime  # when the Checkout session lapses
    ref_code: str  # the backer's own referral code
    ref: str | None = None  # the code that brought this backer
    version: int = 0  # bumped by every change: writes are conditional on it
    updated_at: dt.datetime | None = None
    checkout_session_id: str | None = None
    checkout_url: str | None = None
    customer_id: str | None = None
    payment_intent_id: str | None = None
    setup_intent_id: str | None = None
    refunded: int = 0  # minor units refunded so far
    cancel_reason: str | None = None  # backer | unfunded
    charge_attempted_at: dt.datetime | None = None  # settlement: set before Stripe is called
    failure_code: str | None = None  # the failed charge's code (card_declined, authentication_required…)
    fix_deadline: dt.datetime | None = None  # payment_failed: until when the backer can fix it
    fix_attempts: int = 0  # fix-your-payment sessions opened
    # The open fix-your-payment session, reused while it is open (one fix payment per pledge):
    fix_session_id: str | None = None
    fix_url: str | None = None
    fix_expires_at: dt.datetime | None = None
    # PaymentIntents paid for this pledge beyond the one that collected it (a second fix payment),
    # and those already refunded automatically (settle, the scheduled run): see docs/operations.md.
    extra_payments: tuple[str, ...] = ()
    extra_refunded: tuple[str, ...] = ()
    counted_on: str | None = None  # YYYY-MM-DD (UTC) it first counted: rebuilds the history
    lang: str | None = None  # the language the backer pledged in (pages, Checkout, mail); None: the campaign's
    # Personal data, from Checkout, for the fulfilment export only: never in
    # stats, pages, logs or error messages.
    email: str | None = None
    name: str | None = None
    country: str | None = None
    shipping: dict | None = field(default=None, compare=False)
    quantity: int = 1  # units of ``reward`` (up to its max_per_backer)
    addons: tuple[tuple[str, int], ...] = ()  # (add-on id, units), sorted by id; always with a reward
    late: bool = False  # a late pledge (after a funded deadline): charged at once, counted apart
    shipping_due: int = 0  # minor units of shipping charged at fulfilment (`shipping: {…, at_fulfilment: true}`)
    shipping_paid: str | None = None  # the PaymentIntent that charged it
    shipping_attempts: int = 0  # failed attempts so far (each retry a new idempotency key)
    shipping_attempted_at: dt.datetime | None = None  # set before Stripe is called
    shipping_failure: str | None = None  # the last failure's code (card_declined…)

    def replace(self, **changes) -> "Pledge":
        return dataclasses.replace(self, **changes)

    @property
    def counts(self) -> bool:
        """Is this pledge in the campaign's raised total and backer count?

        An unfunded campaign keeps showing what was pledged ("€6,200 pledged of
        €8,000"), so its cancelled pledges still count; a backer's own
        cancellation does not.
        """
        return self.status in _COUNTED or (self.status == CANCELLED and self.cancel_reason == UNFUNDED)

    @property
    def net(self) -> int:
        """What this pledge adds to the campaign's total now."""
        return self.amount - self.refunded if self.counts else 0

    @property
    def collected(self) -> int:
        """Money actually collected for this pledge (after refunds)."""
        return self.amount - self.refunded if self.status in _COLLECTED else 0

    @property
    def extra_to_refund(self) -> tuple[str, ...]:
        """Extra payments not refunded yet (the next settle run refunds them)."""
        return tuple(i for i in self.extra_payments if i not in self.extra_refunded)

    @property
    def holds_unit(self) -> bool:
        return holds_unit(self.status)

    @property
    def units(self) -> dict[str, int]:
        """The units this pledge takes of each item (its reward and add-ons; ids never clash)."""
        items = {self.reward: self.quantity} if self.reward is not None else {}
        items.update(self.addons)
        return items

    @property
    def held(self) -> dict[str, int]:
        """The units it holds now: :attr:`units` while its status holds them, else none."""
        return self.units if self.holds_unit else {}


def counted(status: str) -> bool:
    """Does a pledge in ``status`` count in raised and backers (see :attr:`Pledge.counts`)?"""
    return status in _COUNTED


def holds_unit(status: str) -> bool:
    """Does a pledge in ``status`` hold its units (reward and add-ons)?"""
    return status in _HOLDS_UNIT


def opening_claims(pledge: Pledge, limit) -> tuple["Claim", ...]:
    """What opening ``pledge`` takes: one bounded claim per item, in id order.

    ``limit`` is the reward's limit (an int or None, as before add-ons) or a mapping of
    every item's id to its limit (None: unlimited, counted all the same).
    """
    limits = limit if isinstance(limit, Mapping) else {pledge.reward: limit}
    return tuple(Claim(item, units, limits.get(item)) for item, units in sorted(pledge.units.items()))


_TIMES = ("created_at", "updated_at", "expires_at", "charge_attempted_at", "fix_deadline", "fix_expires_at",
          "shipping_attempted_at")
_LISTS = ("extra_payments", "extra_refunded")


def to_record(pledge: Pledge) -> dict:
    """A JSON-friendly dict of a pledge (ISO dates; None fields left out)."""
    data = records.to_record(pledge, _TIMES)
    for name in _LISTS:  # left out when empty, as None fields are: records stay as they were
        if data.get(name) == ():
            del data[name]
        elif name in data:
            data[name] = list(data[name])
    if data.get("quantity") == 1:  # left out when 1, and add-ons when none: records stay as they were
        del data["quantity"]
    if data.get("late") is False:
        del data["late"]
    for name in ("shipping_due", "shipping_attempts"):
        if data.get(name) == 0:
            del data[name]
    if data.get("addons") == ():
        del data["addons"]
    elif "addons" in data:
        data["addons"] = {item: units for item, units in data["addons"]}
    return data


def from_record(data: dict) -> Pledge:
    """The inverse of :func:`to_record`; ``reward`` is the one required field that may be left out."""
    pledge = records.from_record(Pledge, data, _TIMES, ("amount", "version", "refunded", "fix_attempts", "quantity",
                                                        "shipping_due", "shipping_attempts"),
                                 defaults={"reward": None})
    lists = {name: tuple(getattr(pledge, name)) for name in _LISTS if not isinstance(getattr(pledge, name), tuple)}
    if isinstance(pledge.addons, dict):
        lists["addons"] = tuple(sorted((str(k), int(v)) for k, v in pledge.addons.items()))
    return pledge.replace(**lists) if lists else pledge


# -- changes -------------------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """Units of one item (a reward or an add-on) taken (+) or given back (-); a taking may be bounded by ``limit``."""

    reward: str
    delta: int
    limit: int | None = None  # when set, the write happens only if claimed + delta <= limit


@dataclass(frozen=True)
class Change:
    """One conditional write: ``before`` → ``after``, and what it adds to the counters.

    A store applies it atomically: only if the stored pledge's version is still
    ``before.version``, (when ``event_id`` is set) that event was never applied,
    and every bounded claim fits its limit; the event id is recorded in the same
    transaction. Otherwise nothing is written.
    """

    before: Pledge
    after: Pledge
    event_id: str | None
    day: str  # YYYY-MM-DD (UTC) of the history bucket
    raised: int  # minor units added to the campaign's total (negative on refunds)
    backers: int  # -1, 0 or +1
    collected: int = 0  # minor units actually collected (charged at the deadline, paid, refunded)
    claims: tuple[Claim, ...] = ()
    mails: tuple = ()  # functions.core.mail.Mail rows queued with this change (exactly once)

    @property
    def units(self) -> int:
        """The net units of ``after.reward`` (a reward change moves units between two rewards)."""
        return sum(c.delta for c in self.claims if c.reward == self.after.reward)

    @property
    def chosen(self) -> dict[str, int]:
        """Backers added to each reward (a counted pledge moving from one reward to another names two)."""
        deltas: dict[str, int] = {}
        if self.before.reward is not None and self.before.counts:
            deltas[self.before.reward] = deltas.get(self.before.reward, 0) - 1
        if self.after.reward is not None and self.after.counts:
            deltas[self.after.reward] = deltas.get(self.after.reward, 0) + 1
        return {reward: delta for reward, delta in sorted(deltas.items()) if delta}

    @property
    def touches_counters(self) -> bool:
        return bool(self.raised or self.backers or self.collected or self.claims or self.chosen)


# -- the Checkout session a pledge asks for ------------------------------------

@dataclass(frozen=True)
class CheckoutLine:
    """One line of a Checkout session: an item, its unit price (minor units) and quantity.

    ``kind`` is ``item`` (a reward or an add-on: ``name`` is its title), ``shipping`` or
    ``extra`` (what the backer gives beyond): the adapter names the last two in the page's language.
    """

    name: str
    amount: int
    quantity: int = 1
    kind: str = "item"


@dataclass(frozen=True)
class CheckoutRequest:
    """One Checkout session to open for a pledge.

    ``mode`` is ``payment`` (flexible: charged now) or ``setup`` (all or nothing:
    the card is saved and charged off-session at the deadline, which needs a
    Customer). ``amount`` is in minor units of ``currency`` (ISO 4217 exponent).
    """

    pledge_id: str
    campaign: str
    campaign_title: str
    reward: str | None
    description: str  # what the backer sees on the Checkout page ("Limited vinyl")
    amount: int
    currency: str  # upper case ISO 4217; the adapter lower-cases it for Stripe
    mode: str  # payment | setup
    success_url: str  # contains the literal {CHECKOUT_SESSION_ID}
    cancel_url: str
    expires_at: dt.datetime
    ref: str | None = None
    shipping_countries: tuple[str, ...] = ()
    locale: str | None = None  # fr | en | … (Checkout's UI language)
    # A "fix your payment" session after a failed charge: kind="fix", mode=payment,
    # on the pledge's existing Customer; ``attempt`` makes each new session's key unique.
    kind: str = "pledge"  # pledge | fix
    customer_id: str | None = None
    attempt: int = 0
    lines: tuple[CheckoutLine, ...] = ()  # several items or units; empty: one line of ``amount``
    deadline: dt.datetime | None = None  # all or nothing: the campaign's end, when a saved card is charged

    @property
    def idempotency_key(self) -> str:
        if self.kind == "pledge":
            return f"checkout-{self.pledge_id}"
        return f"{self.kind}-{self.pledge_id}-{self.attempt}"

    @property
    def metadata(self) -> dict[str, str]:
        data = {"pledge_id": self.pledge_id, "campaign": self.campaign, "reward": self.reward or ""}
        if self.ref:
            data["ref"] = self.ref
        if self.kind != "pledge":
            data["kind"] = self.kind
        return data
