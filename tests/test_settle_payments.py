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
