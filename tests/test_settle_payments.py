"""After the deadline charge: refunds of any path, one fix payment per pledge, processing charges
(issue 12, settlement items 2-4).

Through the handlers, the real stripe SDK against the stand-in and signed
webhooks, on both stores (the ``world`` of tests/test_settle.py).
"""

from __future__ import annotations

import datetime as dt

from functions.core import tokens
from test_settle import AFTER, catalog_path, world  # noqa: F401 (fixtures)


def fix_session(world, pledge_id: str) -> str:
    """The backer opens the fix link: the Checkout session it redirects to."""
    status, headers, body = world.call("GET", f"/api/fix/{tokens.make('fix', pledge_id, 'manage-secret')}")
    assert status == 303, body
    return headers["Location"].rsplit("/", 1)[1]


def failed_pledge(world, amount: str = "20") -> str:
    """A funded campaign with one declined card: that pledge is payment_failed."""
    world.pledge("9000")
    declined = world.pledge(amount, card="declined")
    world.now = AFTER
    assert world.settle().failed == 1
    return declined


# -- item 2: a refund decrements whatever path collected the money ------------------------------

def test_a_refund_of_a_fix_payment_decrements_once(world):
    declined = failed_pledge(world)
    session = fix_session(world, declined)
    assert world.deliver(world.stripe.complete(session)) == "applied"
    assert world.status(declined) == "collected"
    before = world.stats()
    assert (before["raised"], before["collected"]) == (902000, 902000)

    partial = world.stripe.refund_event(session, 500)
    assert world.deliver(partial) == "applied"
    assert world.deliver(partial) == "duplicate"  # Stripe retries: counted once
    after = world.stats()
    assert (after["raised"], after["collected"]) == (901500, 901500)

    whole = world.stripe.refund_event(session)
    assert world.deliver(whole) == "applied"
    older = {**partial, "id": "evt_older_partial_refund"}  # the partial one, arriving late under another id
    assert world.deliver(older) == "ignored"
    assert world.status(declined) == "refunded"
    stats = world.stats()
    assert (stats["raised"], stats["collected"], stats["backers"]) == (900000, 900000, 1)


def test_a_refund_of_a_settlement_charge_decrements_once(world):
    paid = world.pledge("9000")
    world.now = AFTER
    assert world.settle().charged == 1
    intent = world.store.get_pledge(paid).payment_intent_id
    event = world.stripe.refund_payment_event(intent, 100000)
    assert world.deliver(event) == "applied"
    assert world.deliver(event) == "duplicate"
    stats = world.stats()
    assert (stats["raised"], stats["collected"]) == (800000, 800000)
    assert world.store.get_pledge(paid).status == "collected"


# -- item 3: one fix payment per pledge ---------------------------------------------------------

def test_the_fix_link_reuses_its_open_session(world):
    declined = failed_pledge(world)
    first = fix_session(world, declined)
    opened = world.stripe.created("checkout.session")
    world.now = AFTER + dt.timedelta(minutes=20)  # the e-mail's link, a second tab…
    assert fix_session(world, declined) == first
    assert world.stripe.created("checkout.session") == opened
    world.now = AFTER + dt.timedelta(minutes=26)  # under 10 minutes left to pay on it: a new one
    second = fix_session(world, declined)
    assert second != first and world.stripe.created("checkout.session") == opened + 1
    assert world.store.get_pledge(declined).fix_session_id == second


def test_a_second_fix_payment_is_refunded_once_and_said(world):
    declined = failed_pledge(world)
    first = fix_session(world, declined)
    world.now = AFTER + dt.timedelta(minutes=26)
    second = fix_session(world, declined)  # the first is still open for a few minutes: both get paid
    assert world.deliver(world.stripe.complete(first)) == "applied"
    paid_twice = world.stripe.complete(second)
    assert world.deliver(paid_twice) == "applied"  # recorded as extra, not counted
    assert world.deliver(paid_twice) == "duplicate"
    extra = world.stripe.sessions[second]["payment_intent"]
    pledge = world.store.get_pledge(declined)
    assert (pledge.status, pledge.extra_payments, pledge.extra_to_refund) == ("collected", (extra,), (extra,))
    assert (world.stats()["raised"], world.stats()["collected"]) == (902000, 902000)
    manage = f"/api/manage/{tokens.make('manage', declined, 'manage-secret')}"
    assert "le paiement en trop vous sera remboursé automatiquement" in world.call("GET", manage)[2]

    # A run that refunded at Stripe, then died before its ledger write: the next one refunds nobody twice.
    from functions.core.ports import RefundRequest

    world.payments.refund(RefundRequest(pledge_id=declined, campaign="premier-album", payment_intent_id=extra))
    summary = world.settle()
    assert (summary.refunded_extra, summary.retry) == (1, 0)
    assert world.stripe.refunded(extra) == 2000 and len(world.stripe.refunds) == 1
    refund = next(iter(world.stripe.refunds.values()))
    assert (refund["reason"], refund["metadata"]["kind"]) == ("duplicate", "extra")
    # Stripe tells the webhook of that refund: the pledge's own payment is untouched.
    assert world.deliver(world.stripe.events[-1]) == "ignored"
    assert world.status(declined) == "collected"
    assert (world.stats()["raised"], world.stats()["collected"]) == (902000, 902000)
    assert world.store.get_pledge(declined).extra_to_refund == ()
    assert "le paiement en trop vous a été remboursé automatiquement" in world.call("GET", manage)[2]
    assert world.settle().refunded_extra == 0
    assert len(world.stripe.refunds) == 1


def test_an_extra_payment_refunded_after_stripe_forgot_the_key_is_done(world):
    declined = failed_pledge(world)
    first = fix_session(world, declined)
    world.now = AFTER + dt.timedelta(minutes=26)
    second = fix_session(world, declined)
    world.deliver(world.stripe.complete(second))
    world.deliver(world.stripe.complete(first))  # the older session paid last: it is the extra one
    extra = world.stripe.sessions[first]["payment_intent"]
    assert world.store.get_pledge(declined).extra_to_refund == (extra,)
    from functions.core.ports import RefundRequest

    world.payments.refund(RefundRequest(pledge_id=declined, campaign="premier-album", payment_intent_id=extra))
    world.now = AFTER + dt.timedelta(days=2)  # the key is gone: Stripe says "already refunded"
    assert world.settle().refunded_extra == 1
    assert world.stripe.refunded(extra) == 2000 and len(world.stripe.refunds) == 1


def test_a_fix_payment_after_the_pledge_was_dropped_is_refunded(world):
    declined = failed_pledge(world)
    session = fix_session(world, declined)
    world.now = AFTER + dt.timedelta(days=7, minutes=1)
    assert world.settle().dropped == 1
    late = world.stripe.complete(session)  # paid on a page opened before the window closed
    assert world.deliver(late) == "applied"
    assert world.status(declined) == "dropped"
    assert world.settle().refunded_extra == 1
    assert world.stripe.refunded(world.stripe.sessions[session]["payment_intent"]) == 2000
