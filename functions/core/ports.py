"""The ports of the pledge functions: what the core needs from the outside world.

Adapters implement them: ``functions.store`` (SQLite, DynamoDB, memory) and
``functions.payments`` (Stripe through its SDK, the local test checkout). The
core only ever sees these shapes, never boto3, stripe or the environment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from .model import Change, CheckoutRequest, Pledge  # noqa: F401 (CheckoutRequest: the Payments port's request)


# -- payments -------------------------------------------------------------------

@dataclass(frozen=True)
class Checkout:
    """An opened Checkout session: where to send the backer."""

    session_id: str
    url: str
    customer_id: str | None = None


@dataclass(frozen=True)
class ChargeRequest:
    """Charge a saved card off-session at the deadline (all or nothing, goal met)."""

    pledge_id: str
    campaign: str
    amount: int  # minor units
    currency: str  # upper case ISO 4217
    customer_id: str
    setup_intent_id: str | None = None  # where the saved card is found
    payment_method_id: str | None = None  # when already known
    kind: str = "settle"  # or "shipping": shipping charged at fulfilment
    attempt: int = 0  # shipping: a retry after a recorded failure is a new charge

    @property
    def idempotency_key(self) -> str:
        # One key per pledge (and shipping attempt), forever: a rerun after a crash gets Stripe's first answer back.
        return f"settle-{self.pledge_id}" if self.kind == "settle" else f"{self.kind}-{self.pledge_id}-{self.attempt}"

    @property
    def metadata(self) -> dict[str, str]:
        return {"pledge_id": self.pledge_id, "campaign": self.campaign, "kind": self.kind}


@dataclass(frozen=True)
class ChargeResult:
    """What Stripe answered to an off-session charge."""

    outcome: str  # succeeded | failed | processing
    payment_intent_id: str | None = None
    charge_id: str | None = None
    failure_code: str | None = None  # card_declined, authentication_required, expired_card, …
    message: str | None = None  # Stripe's, for the creator's log; never shown with personal data


@dataclass(frozen=True)
class RefundRequest:
    """Refund a payment in full: a second fix payment of a pledge that was already paid (one per pledge)."""

    pledge_id: str
    campaign: str
    payment_intent_id: str

    @property
    def idempotency_key(self) -> str:
        # One key per payment: a rerun (a crash before the ledger write) gets Stripe's first refund back.
        return f"refund-extra-{self.payment_intent_id}"

    @property
    def metadata(self) -> dict[str, str]:
        return {"pledge_id": self.pledge_id, "campaign": self.campaign, "kind": "extra"}


class PaymentsError(Exception):
    """The payment provider failed or refused; nothing was charged."""


class Payments(Protocol):
    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Open a Checkout session (idempotent on ``request.idempotency_key``)."""
        ...

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Create and confirm an off-session PaymentIntent (idempotent on the pledge).

        A declined or authentication-required card is a ``failed`` result, not
        an exception; :class:`PaymentsError` means "unknown, try again later"
        (after the adapter's own retries on 429 and 5xx).
        """
        ...

    def find_charge(self, pledge_id: str) -> ChargeResult | None:
        """The settlement PaymentIntent already made for a pledge, if any (Stripe's search)."""
        ...

    def card_expiry(self, customer_id: str, setup_intent_id: str | None) -> tuple[int, int] | None:
        """(month, year) the saved card expires (to warn its backer before the deadline)."""
        ...

    def expire_checkout(self, session_id: str) -> bool:
        """Close an open Checkout session so it can no longer be paid: True when it is closed
        (now or before), False when it was completed (its pledge is the backer's).

        :class:`PaymentsError` means "unknown, still open maybe".
        """
        ...

    def refund(self, request: RefundRequest) -> None:
        """Refund ``request.payment_intent_id`` in full (idempotent: already refunded is done).

        :class:`PaymentsError` means "not refunded now, try again later".
        """
        ...


# -- storage ----------------------------------------------------------------------

class SoldOut(Exception):
    """A limited reward has no unit left to reserve."""


class Conflict(Exception):
    """The pledge is not in the state a change expected: read it again."""


class Duplicate(Exception):
    """This event (or pledge id) was already applied."""


@dataclass(frozen=True)
class Counters:
    """A campaign's counters as stored: derived from the ledger, kept by atomic adds."""

    campaign: str
    raised: int = 0  # minor units
    backers: int = 0
    collected: int = 0  # minor units actually charged (flexible: at once; all or nothing: at the deadline)
    claimed: dict[str, int] = field(default_factory=dict)  # reward id → units held
    chosen: dict[str, int] = field(default_factory=dict)  # reward id → counted backers who chose it
    days: dict[str, tuple[int, int]] = field(default_factory=dict)  # YYYY-MM-DD → (raised, backers) added that day
    updated_at: dt.datetime | None = None
    late_raised: int = 0  # late pledges (after a funded deadline): apart from raised by the deadline
    late_backers: int = 0


@dataclass(frozen=True)
class Referral:
    """What a referral code brought to one campaign."""

    code: str
    campaign: str
    pledges: int = 0
    raised: int = 0  # minor units of the campaign's currency


class Store(Protocol):
    """The ledger of pledges and the counters derived from it.

    Every write that moves a counter is atomic with the ledger write that causes
    it (a transaction in SQLite, ``TransactWriteItems`` in DynamoDB) and
    conditional: no read-modify-write anywhere.
    """

    def open_pledge(self, pledge: "Pledge", limit: int | None) -> None:
        """Record a new pending pledge and, for a reward, hold one unit of it.

        Raises :class:`SoldOut` when ``limit`` units are already held (nothing
        is written), :class:`Duplicate` when the pledge id exists.
        """
        ...

    def apply(self, change: "Change") -> None:
        """Apply one change and its counters atomically.

        Raises :class:`Duplicate` when ``change.event_id`` was already applied,
        :class:`Conflict` when the stored pledge is no longer ``change.before``
        (its version moved): nothing is written in either case.
        """
        ...

    def get_pledge(self, pledge_id: str) -> "Pledge | None": ...

    def pledge_by_session(self, session_id: str) -> "Pledge | None": ...

    def pledge_by_payment_intent(self, payment_intent_id: str) -> "Pledge | None": ...

    def has_event(self, event_id: str) -> bool: ...

    def counters(self, campaign: str) -> Counters: ...

    def referral(self, code: str, campaign: str | None = None) -> Referral | None:
        """A backer's code (its campaign is known) or, given ``campaign``, any code."""
        ...

    def pledges(self, campaign: str) -> "list[Pledge]":
        """Every pledge of a campaign, oldest first (exports, reconcile)."""
        ...

    def top_referrals(self, campaign: str, limit: int) -> list[Referral]:
        """The codes that brought the most to a campaign (raised, then pledges, then code)."""
        ...

    def reset_counters(self, campaign: str, counters: Counters, referrals: list[Referral]) -> None:
        """Overwrite a campaign's counters with ones recomputed from the ledger (``reconcile --fix``)."""
        ...

    def hit(self, key: str, limit: int, expires_at: dt.datetime, now: dt.datetime) -> bool:
        """Count one hit on the counter ``key`` (kept until ``expires_at``; ``now`` lets the
        store forget windows that are over): False, writing nothing, when it already holds
        ``limit`` (functions/core/limits.py); atomic."""

    def mark(self, key: str, value: str, expires_at: dt.datetime, now: dt.datetime) -> str | None:
        """Set the short-lived mark ``key`` to ``value`` until ``expires_at`` and return the value
        it held before (None when it held none or its time was over); atomic, so two callers
        never read the same previous value."""

    def marked(self, key: str, now: dt.datetime) -> str | None:
        """The value of the mark ``key``, None when unset or over."""

    def take_code(self, campaign: str, reward: str, pledge_id: str, count: int) -> int | None:
        """The index (0 ≤ i < ``count``) of the digital reward's code that ``pledge_id`` gets.

        The first call for a pledge takes the next free index; every later call
        gives the same one. No index ever goes to two pledges, whatever the
        concurrency; None (nothing written) once all ``count`` are taken.
        """

    # Public comments (functions/core/comments.py), the same on every store:
    def add_comment(self, comment) -> None:
        """Store a new comment; :class:`Duplicate` when its id exists."""

    def get_comment(self, campaign: str, comment_id: str): ...

    def confirm_comment(self, campaign: str, comment_id: str):
        """Pending → visible, atomically: the comment when this call published it, else None."""

    def hide_comment(self, campaign: str, comment_id: str) -> bool: ...

    def pin_comment(self, campaign: str, comment_id: str, pinned: bool = True) -> bool: ...

    def delete_comment(self, campaign: str, comment_id: str) -> bool:
        """Delete a comment with its replies."""

    def comment_page(self, campaign: str, before: str | None, threads: int) -> tuple[list, str | None]:
        """The visible comments of the ``threads`` newest threads older than the thread key
        ``before``, newest first, and the key of the page's last thread when older ones exist."""

    def pinned_comments(self, campaign: str) -> list: ...

    def all_comments(self, campaign: str) -> list:
        """Every comment, whatever its status, in thread order (moderation)."""

    # The pledge manager's surveys (functions/core/survey.py), the same on every store:
    def save_survey(self, survey) -> bool:
        """Write a backer's answers (replacing earlier ones) unless the campaign's addresses are
        locked: False then, nothing written; the check and the write are atomic."""

    def get_survey(self, pledge_id: str): ...

    def surveys(self, campaign: str) -> list:
        """Every answered survey of a campaign (the export), by pledge id."""

    def lock_addresses(self, campaign: str, now: dt.datetime) -> bool:
        """Set the campaign's "addresses locked" flag at ``now``, once: True when this call set it."""

    def addresses_locked(self, campaign: str) -> dt.datetime | None: ...

    def close(self) -> None: ...

