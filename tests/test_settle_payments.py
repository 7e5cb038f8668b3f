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


# -- item 4: a charge left processing is settled by its payment_intent event ---------------------

def processing_pledge(world) -> tuple[str, str]:
    """A funded campaign whose one charge the bank answers later: (pledge id, its PaymentIntent)."""
    slow = world.pledge("9000", card="processing")
    world.now = AFTER
    summary = world.settle()
    assert (summary.processing, summary.charged, summary.retry) == (1, 0, 0)
    pledge = world.store.get_pledge(slow)
    assert pledge.status == "pledged" and pledge.payment_intent_id
    return slow, pledge.payment_intent_id


def test_a_processing_charge_is_collected_when_stripe_says_so(world):
    slow, intent = processing_pledge(world)
    manage = f"/api/manage/{tokens.make('manage', slow, 'manage-secret')}"
    assert "<dd>paiement en cours</dd>" in world.call("GET", manage)[2]  # not "card saved…"
    requests = len(world.stripe.requests)
    assert world.settle().processing == 1  # a rerun asks Stripe nothing: the answer is on its way
    assert len(world.stripe.requests) == requests
    succeeded = world.stripe.settle_intent(intent, succeeded=True)
    assert world.deliver(succeeded) == "applied"
    assert world.deliver(succeeded) == "duplicate"
    assert world.status(slow) == "collected"
    assert world.store.get_mail(f"receipt:{slow}") is not None
    stats = world.stats()
    assert (stats["raised"], stats["collected"]) == (900000, 900000)
    again = world.settle()  # the scheduled run after the event: nothing left, no charge
    assert (again.charged, again.processing, again.already) == (0, 0, 1)
    assert world.stripe.attempts_for(slow) == 1 and world.stripe.charges_for(slow) == 1


def test_a_processing_charge_that_fails_gets_its_seven_days(world):
    slow, intent = processing_pledge(world)
    world.now = AFTER + dt.timedelta(days=3)
    failed = world.stripe.settle_intent(intent, succeeded=False)
    assert world.deliver(failed) == "applied"
    pledge = world.store.get_pledge(slow)
    assert (pledge.status, pledge.failure_code) == ("payment_failed", "payment_intent_payment_attempt_failed")
    assert pledge.fix_deadline == world.now + dt.timedelta(days=7)
    mail = world.store.get_mail(f"payment_failed:{slow}")
    assert "/api/fix/" in mail.values["fix_url"]
    assert world.deliver({**failed, "id": "evt_failed_again"}) == "ignored"
    assert world.settle().failed == 0
    assert world.stats()["collected"] == 0


def test_the_event_before_settle_writes_its_answer_counts_once(world):
    slow = world.pledge("9000", card="processing")
    world.now = AFTER

    def bank_answers_first(pledge, result):
        # Stripe's event overtakes the settle run between Stripe's answer and its ledger write.
        assert world.deliver(world.stripe.settle_intent(result.payment_intent_id, succeeded=True)) == "applied"

    world.settle(before_outcome=bank_answers_first)
    assert world.status(slow) == "collected"
    assert world.stats()["collected"] == 900000
    assert world.settle().charged == 0
    assert world.stripe.attempts_for(slow) == 1


def test_a_lost_event_is_read_from_stripe_after_a_day(world):
    slow, intent = processing_pledge(world)
    world.stripe.settle_intent(intent, succeeded=True)  # its webhook never arrives
    world.now = AFTER + dt.timedelta(days=1, hours=1)
    summary = world.settle()
    assert summary.charged == 1
    assert world.status(slow) == "collected"
    assert world.stripe.attempts_for(slow) == 1
