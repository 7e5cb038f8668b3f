"""Pledges: the ledger's records, and the decision to open one.

A pledge is opened from a backer's request checked against the catalog (never
trusting a price, limit or date from the client), then moves through its
statuses as Stripe's events arrive (:mod:`functions.core.events`). Counters are
derived from the statuses only (:func:`counted`, :func:`holds_unit`), so a
ledger can always be recounted (``reconcile``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field

from . import money, records
from .catalog import CatalogCampaign
from .errors import Invalid, NotFound, NotLive
from .ports import CheckoutRequest

# Stripe refuses a Checkout ``expires_at`` less than 30 minutes after it creates the session, by
# its own clock. ``now`` is read before the store's write and the call (retries included, see
# functions/payments/stripe_budget.py): 5 minutes of margin cover those and clock skew. The pledge's
# ``expires_at`` (its reservation) is this same instant: the unit is held until Stripe's
# ``checkout.session.expired``, never released while the session can still complete.
MIN_CHECKOUT_TTL = dt.timedelta(minutes=30)
CHECKOUT_TTL = MIN_CHECKOUT_TTL + dt.timedelta(minutes=5)
REF = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_AMOUNT = 10**12  # minor units: far above any pledge, far below Stripe's own limit

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
    counted_on: str | None = None  # YYYY-MM-DD (UTC) it first counted: rebuilds the history
    # Personal data, from Checkout, for the fulfilment export only: never in
    # stats, pages, logs or error messages.
    email: str | None = None
    name: str | None = None
    country: str | None = None
    shipping: dict | None = field(default=None, compare=False)

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
    def holds_unit(self) -> bool:
        return holds_unit(self.status)


def counted(status: str) -> bool:
    """Does a pledge in ``status`` count in raised and backers (see :attr:`Pledge.counts`)?"""
    return status in _COUNTED


def holds_unit(status: str) -> bool:
    """Does a pledge in ``status`` hold one unit of its (limited) reward?"""
    return status in _HOLDS_UNIT


@dataclass(frozen=True)
class PledgeRequest:
    """What a backer asked for, as sent (strings from a form or JSON)."""

    campaign: str
    reward: str | None = None
    amount: str | None = None
    ref: str | None = None

    @classmethod
    def from_fields(cls, data: dict) -> "PledgeRequest":
        def text(name: str) -> str | None:
            value = data.get(name)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise Invalid(f"'{name}' must be a string")
            value = str(value).strip()
            return value or None

        campaign = text("campaign")
        if not campaign:
            raise Invalid("'campaign' is required")
        return cls(campaign=campaign, reward=text("reward"), amount=text("amount"), ref=text("ref"))


@dataclass(frozen=True)
class Opening:
    """A decided pledge: the record to write and the Checkout session to open."""

    pledge: Pledge
    limit: int | None
    checkout: CheckoutRequest


def open_pledge(request: PledgeRequest, campaign: CatalogCampaign | None, *, now: dt.datetime,
                pledge_id: str, ref_code: str) -> Opening:
    """Check a request against the catalog and decide the pledge (no I/O).

    Raises :class:`NotFound` (unknown campaign or reward), :class:`NotLive`
    (not open yet or ended) or :class:`Invalid` (amount, ref).
    """
    if campaign is None:
        raise NotFound(f"no campaign '{request.campaign}'")
    if not campaign.is_live(now):
        when = "has not started yet" if campaign.starts and now < campaign.starts else "has ended"
        raise NotLive(f"the campaign '{campaign.slug}' {when}: pledges are closed")
    if request.ref is not None and not REF.match(request.ref):
        raise Invalid("'ref' must be 1 to 64 letters, digits, '-' or '_'")

    reward = None
    minimum = 1
    if request.reward is not None:
        reward = campaign.reward(request.reward)
        if reward is None:
            raise NotFound(f"no reward '{request.reward}' in '{campaign.slug}'")
        minimum = reward.amount + (reward.shipping.cost if reward.shipping else 0)
    if request.amount is None:
        if reward is None:
            raise Invalid("'amount' is required when no reward is chosen")
        amount = minimum
    else:
        try:
            amount = money.to_minor(request.amount, campaign.currency)
        except money.MoneyError as error:
            raise Invalid(f"'amount': {error}") from None
        if amount < minimum:
            raise Invalid(f"'amount' must be at least {money.format_plain(minimum, campaign.currency)}"
                          + (f" for the reward '{reward.id}'" if reward else ""))
        if amount > MAX_AMOUNT:
            raise Invalid("'amount' is too large")

    mode = "setup" if campaign.funding == "all_or_nothing" else "payment"
    expires = now + CHECKOUT_TTL
    pledge = Pledge(id=pledge_id, campaign=campaign.slug, reward=reward.id if reward else None,
                    amount=amount, currency=campaign.currency, mode=mode, status=PENDING,
                    created_at=now, updated_at=now, expires_at=expires, ref_code=ref_code,
                    ref=request.ref)
    separator = "&" if "?" in campaign.thanks_url else "?"
    checkout = CheckoutRequest(
        pledge_id=pledge_id, campaign=campaign.slug, campaign_title=campaign.title,
        reward=pledge.reward, description=reward.title if reward else campaign.title,
        amount=amount, currency=campaign.currency, mode=mode,
        success_url=f"{campaign.thanks_url}{separator}session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=campaign.url, expires_at=expires, ref=request.ref,
        shipping_countries=reward.shipping.countries if reward and reward.shipping else (),
        locale=campaign.language)
    return Opening(pledge=pledge, limit=reward.limit if reward else None, checkout=checkout)


_TIMES = ("created_at", "updated_at", "expires_at", "charge_attempted_at", "fix_deadline")


def to_record(pledge: Pledge) -> dict:
    """A JSON-friendly dict of a pledge (ISO dates; None fields left out)."""
    return records.to_record(pledge, _TIMES)


def from_record(data: dict) -> Pledge:
    """The inverse of :func:`to_record`; ``reward`` is the one required field that may be left out."""
    return records.from_record(Pledge, data, _TIMES, ("amount", "version", "refunded", "fix_attempts"),
                               defaults={"reward": None})
