"""Settling a campaign at its deadline: charge every saved card once, or nobody.

For an ended all-or-nothing campaign whose goal is met, each ``pledged`` card
is charged off-session, one PaymentIntent per pledge under one idempotency key
per pledge. The order of writes makes a rerun safe after a crash anywhere:

1. the pledge is marked ``charge_attempted_at`` (a conditional write);
2. Stripe is asked to charge (a replay of the same key returns the first answer);
3. the outcome is written (``collected`` or ``payment_failed``).

A crash between 2 and 3 leaves a pledge attempted but not settled: the rerun
asks again with the same key (Stripe answers with the first PaymentIntent; no
second charge), or — after Stripe's 24-hour idempotency window — first looks
for that PaymentIntent by its metadata. A charge the bank answers later
(``processing``) keeps its PaymentIntent on the pledge; Stripe's
``payment_intent.succeeded`` / ``payment_failed`` settle it
(:mod:`functions.core.events`). If the goal is missed nobody is charged
and every pledge is cancelled ("unfunded"). A flexible campaign has nothing to
charge: it simply closes. Each run also refunds a pledge's extra payments (a
second fix payment: one per pledge).

Every outcome is written with the mails it calls for (``links``): the CLI and
the scheduled function pass the same ones, so they decide the same mails.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from . import flows
from .catalog import CatalogCampaign
from .errors import Unavailable
from .notify import Links
from .model import FIX_WINDOW
from .pledge import CANCELLED, COLLECTED, DROPPED, PAYMENT_FAILED, PLEDGED, UNFUNDED, Pledge
from .ports import ChargeRequest, ChargeResult, Payments, PaymentsError, RefundRequest, Store

IDEMPOTENCY_WINDOW = dt.timedelta(hours=23)  # Stripe keeps keys 24 h; stay inside it


class NotEnded(Exception):
    """The campaign is still running: nothing is settled before the deadline."""


@dataclass
class Summary:
    campaign: str
    funding: str
    goal: int
    pledged: int = 0  # minor units counted when settling began
    outcome: str = ""  # funded | unfunded | closed
    charged: int = 0  # pledges charged now
    charged_amount: int = 0
    already: int = 0  # pledges settled by an earlier run
    failed: int = 0  # cards that failed now (payment_failed)
    cancelled: int = 0
    dropped: int = 0  # payment_failed pledges whose fix window closed
    refunded_extra: int = 0  # second payments of a pledge refunded now (one fix payment per pledge)
    retry: int = 0  # Stripe could not be reached: run again
    processing: int = 0  # charges the bank answers later (payment_intent.succeeded / payment_failed)
    failures: dict[str, int] = field(default_factory=dict)  # failure code → count

    @property
    def complete(self) -> bool:
        return self.retry == 0


Progress = Callable[[str, Pledge], None]


def settle(campaign: CatalogCampaign, *, store: Store, payments: Payments | None, now: dt.datetime,
           links: Links | None, workers: int = 4, progress: Progress | None = None,
           before_outcome: Callable[[Pledge, ChargeResult], None] | None = None) -> Summary:
    """Settle ``campaign`` (see the module's docstring). Safe to run again, any number of times.

    ``links`` (:func:`~functions.core.notify.links_for`) decide the mails each
    outcome queues with its write (receipt, payment_failed with its fix link,
    unfunded): a settlement written without them can never queue them later,
    so every caller must pass them (``None`` only where no message may go).
    ``workers`` bounds the charges in flight (Stripe's rate limit); ``progress``
    is told of each pledge as it is settled. ``before_outcome`` is a test hook
    called between Stripe's answer and the ledger write (to inject crashes).
    """
    if now < campaign.ends:
        raise NotEnded(f"'{campaign.slug}' ends {campaign.ends.isoformat()}: it cannot be settled before")
    ledger = store.pledges(campaign.slug)
    summary = Summary(campaign=campaign.slug, funding=campaign.funding, goal=campaign.goal,
                      pledged=sum(p.net for p in ledger))
    note = progress or (lambda what, pledge: None)
    for pledge in ledger:
        if pledge.extra_to_refund:
            done, later = _refund_extra(pledge, store=store, payments=payments, now=now, links=links)
            summary.refunded_extra += done
            summary.retry += later
            if done:
                note("refunded_extra", pledge)
    if campaign.funding != "all_or_nothing":
        summary.outcome = "closed"
        return summary
    # What was pledged decides, not what was collected: failed cards do not unmake a success.
    summary.outcome = "funded" if summary.pledged >= campaign.goal else "unfunded"
    for pledge in ledger:
        if pledge.status == COLLECTED:
            summary.already += 1
        elif pledge.status == PAYMENT_FAILED and pledge.fix_deadline and now >= pledge.fix_deadline:
            if _write(store, pledge, lambda p: p.replace(status=DROPPED) if p.status == PAYMENT_FAILED else None, now,
                      links):
                summary.dropped += 1
                note("dropped", pledge)
        elif pledge.status == CANCELLED and pledge.cancel_reason == UNFUNDED:
            summary.already += 1
    todo = [p for p in ledger if p.status == PLEDGED]
    if summary.outcome == "unfunded":
        for pledge in todo:
            if _write(store, pledge, _cancel_unfunded, now, links):
                summary.cancelled += 1
                note("cancelled", pledge)
        return summary
    if payments is None:
        raise PaymentsError("no payment provider configured: set STRIPE_SECRET_KEY")

    def one(pledge: Pledge) -> tuple[str, Pledge, ChargeResult | None]:
        return _charge_one(pledge, store=store, payments=payments, now=now, before_outcome=before_outcome,
                           links=links)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for what, pledge, result in pool.map(one, todo):
            if what == "charged":
                summary.charged += 1
                summary.charged_amount += pledge.amount
            elif what == "failed":
                summary.failed += 1
                code = (result and result.failure_code) or "unknown"
                summary.failures[code] = summary.failures.get(code, 0) + 1
            elif what == "retry":
                summary.retry += 1
            elif what == "processing":
                summary.processing += 1
            elif what == "already":
                summary.already += 1
            note(what, pledge)
    return summary


def _refund_extra(pledge: Pledge, *, store: Store, payments: Payments | None, now: dt.datetime,
                  links: Links | None) -> tuple[int, int]:
    """Refund the pledge's extra payments (Stripe first, then the ledger): (refunded now, left for a rerun).

    The refund's key is the payment's, and an already refunded payment is done,
    so a crash between Stripe and the ledger write refunds nobody twice.
    """
    done = later = 0
    for intent in pledge.extra_to_refund:
        if payments is None:
            later += 1
            continue
        try:
            payments.refund(RefundRequest(pledge_id=pledge.id, campaign=pledge.campaign, payment_intent_id=intent))
        except PaymentsError:
            later += 1
            continue

        def record(p: Pledge, intent: str = intent) -> Pledge | None:
            return p.replace(extra_refunded=p.extra_refunded + (intent,)) if intent in p.extra_to_refund else None

        done += _write(store, pledge, record, now, links)
    return done, later


def _cancel_unfunded(p: Pledge) -> Pledge | None:
    return p.replace(status=CANCELLED, cancel_reason=UNFUNDED) if p.status == PLEDGED else None


def _charge_one(pledge: Pledge, *, store: Store, payments: Payments, now: dt.datetime,
                before_outcome, links=None) -> tuple[str, Pledge, ChargeResult | None]:
    current = pledge
    if current.charge_attempted_at is None:
        current = _mark(store, current, now)
        if current is None or current.status != PLEDGED:
            return "already", pledge, None
    if current.payment_intent_id and now - current.charge_attempted_at < IDEMPOTENCY_WINDOW:
        # Processing at Stripe: a replay of the key would only repeat "processing". The outcome comes
        # as payment_intent.succeeded / payment_failed; past the window, the search below reads it.
        return "processing", current, None
    request = ChargeRequest(pledge_id=current.id, campaign=current.campaign, amount=current.amount - current.refunded,
                            currency=current.currency, customer_id=current.customer_id or "",
                            setup_intent_id=current.setup_intent_id)
    try:
        result = None
        if now - current.charge_attempted_at >= IDEMPOTENCY_WINDOW:
            # Stripe has forgotten the key: look for the first attempt before charging again.
            result = payments.find_charge(current.id)
        if result is None or result.outcome == "failed" and not result.payment_intent_id:
            result = payments.charge(request)
    except PaymentsError:
        return "retry", current, None
    if before_outcome is not None:
        before_outcome(current, result)
    if result.outcome == "succeeded":
        decide = lambda p: p.replace(status=COLLECTED, payment_intent_id=result.payment_intent_id,  # noqa: E731
                                     failure_code=None) if p.status == PLEDGED else None
        return ("charged" if _write(store, current, decide, now, links) else "already"), current, result
    if result.outcome == "failed":
        decide = lambda p: p.replace(status=PAYMENT_FAILED, failure_code=result.failure_code,  # noqa: E731
                                     payment_intent_id=result.payment_intent_id or p.payment_intent_id,
                                     fix_deadline=now + FIX_WINDOW) if p.status == PLEDGED else None
        return ("failed" if _write(store, current, decide, now, links) else "already"), current, result
    # Processing (a debit the bank answers in days): remember the PaymentIntent; its webhook settles the pledge.
    def remember(p: Pledge) -> Pledge | None:
        if p.status != PLEDGED or not result.payment_intent_id or p.payment_intent_id == result.payment_intent_id:
            return None
        return p.replace(payment_intent_id=result.payment_intent_id)

    _write(store, current, remember, now, links)
    return "processing", current, result


def _mark(store: Store, pledge: Pledge, now: dt.datetime) -> Pledge | None:
    """Record that a charge is about to be attempted (before Stripe is called); the pledge as stored."""
    def attempt(p: Pledge) -> Pledge | None:
        return p.replace(charge_attempted_at=now) if p.status == PLEDGED and p.charge_attempted_at is None else None

    try:
        return flows.update(store, pledge, attempt, now)[1]
    except Unavailable:
        return None


def _write(store: Store, pledge: Pledge, decide, now: dt.datetime, links=None) -> bool:
    """Apply ``decide``; True if it changed the pledge (a busy pledge is left for the next run)."""
    try:
        return flows.update(store, pledge, decide, now, links=links)[0] == "applied"
    except Unavailable:
        return False


def settle_due(campaigns: list[CatalogCampaign], *, store: Store, payments: Payments | None,
               now: dt.datetime, links: Links | None, workers: int = 4) -> list[Summary]:
    """The scheduled run: every ended all-or-nothing campaign with something left to do."""
    out = []
    for campaign in sorted(campaigns, key=lambda c: c.slug):
        if campaign.funding != "all_or_nothing" or now < campaign.ends:
            continue
        ledger = store.pledges(campaign.slug)
        if any(p.status == PLEDGED or (p.status == PAYMENT_FAILED and p.fix_deadline and now >= p.fix_deadline)
               or p.extra_to_refund for p in ledger):
            out.append(settle(campaign, store=store, payments=payments, now=now, workers=workers, links=links))
    return out


# -- shipping charged at fulfilment ---------------------------------------------------------

@dataclass
class ShippingSummary:
    charged: int = 0
    failed: int = 0
    paid_before: int = 0
    retry: int = 0  # Stripe did not answer: rerun
    amount: int = 0  # minor units charged this run
    failures: dict = field(default_factory=dict)  # failure code → count


def charge_shipping(campaign: CatalogCampaign, *, store: Store, payments: Payments, now: dt.datetime,
                    progress=None) -> ShippingSummary:
    """Charge the shipping of every collected pledge whose reward ships at fulfilment, once.

    Each attempt is recorded before Stripe is called and uses one idempotency key
    (``shipping-<pledge>-<attempt>``): a rerun after a crash gets Stripe's first
    answer back, a rerun after a recorded failure (a declined card) tries again
    with a new key, a paid one is never charged twice.
    """
    summary = ShippingSummary()
    for pledge in store.pledges(campaign.slug):
        if pledge.status != COLLECTED or pledge.shipping_due <= 0:
            continue
        if pledge.shipping_paid:
            summary.paid_before += 1
            continue
        current = pledge
        if current.shipping_attempted_at is None:
            marked = _write_shipping(store, current, lambda p: p.replace(shipping_attempted_at=now)
                                     if p.shipping_attempted_at is None and not p.shipping_paid else None, now)
            if marked is None:
                continue
            current = marked
        request = ChargeRequest(pledge_id=current.id, campaign=current.campaign, amount=current.shipping_due,
                                currency=current.currency, customer_id=current.customer_id or "",
                                setup_intent_id=current.setup_intent_id, kind="shipping",
                                attempt=current.shipping_attempts)
        try:
            result = payments.charge(request)
        except PaymentsError:
            summary.retry += 1
            continue
        if result.outcome == "succeeded":
            _write_shipping(store, current, lambda p: p.replace(shipping_paid=result.payment_intent_id or "paid",
                                                                shipping_failure=None)
                            if not p.shipping_paid else None, now)
            summary.charged += 1
            summary.amount += current.shipping_due
        elif result.outcome == "failed":
            code = result.failure_code or "failed"
            _write_shipping(store, current, lambda p: p.replace(shipping_failure=code, shipping_attempted_at=None,
                                                                shipping_attempts=p.shipping_attempts + 1)
                            if not p.shipping_paid else None, now)
            summary.failed += 1
            summary.failures[code] = summary.failures.get(code, 0) + 1
        else:  # processing: the next run asks again with the same key and reads the outcome
            summary.retry += 1
        if progress is not None:
            progress(current)
    return summary


def _write_shipping(store: Store, pledge: Pledge, decide, now: dt.datetime) -> Pledge | None:
    try:
        return flows.update(store, pledge, decide, now)[1]
    except Unavailable:
        return None
