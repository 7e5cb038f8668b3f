"""The local test checkout: Stripe Checkout's part, played on one machine.

``cagnotte serve`` uses it when no ``STRIPE_SECRET_KEY`` is set. A session is a
page on serve's own origin, clearly labelled as a test; paying there builds the
event Stripe would send (``checkout.session.completed``, shaped like Stripe's)
and serve delivers it *signed* to the webhook route, so the whole pledge path —
reservation, signature check, exactly-once counting — runs as in production.
No card, no network, nothing to sign up for.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
from dataclasses import dataclass, field

from functions.core.ports import ChargeRequest, ChargeResult, Checkout, CheckoutRequest, RefundRequest
from functions.core.stripe_money import to_stripe
from functions.payments.signature import sign

CHECKOUT_PATH = "/_cagnotte/checkout/"
API_VERSION = "2024-06-20"


@dataclass
class LocalSession:
    id: str
    request: CheckoutRequest
    created: int
    customer: str | None
    status: str = "open"  # open | complete | expired
    details: dict = field(default_factory=dict)

    def stripe_object(self) -> dict:
        """The session as Stripe's API would show it."""
        r = self.request
        complete = self.status == "complete"
        payment = r.mode == "payment"
        obj = {
            "id": self.id, "object": "checkout.session", "livemode": False, "mode": r.mode,
            "status": self.status, "created": self.created, "expires_at": int(r.expires_at.timestamp()),
            "currency": r.currency.lower(), "amount_total": to_stripe(r.amount, r.currency) if payment else None,
            "client_reference_id": r.pledge_id, "metadata": dict(r.metadata), "customer": self.customer,
            "success_url": r.success_url, "cancel_url": r.cancel_url,
            "payment_status": ("paid" if payment else "no_payment_required") if complete else "unpaid",
            "payment_intent": ("pi_local_" + self.id[9:]) if complete and payment else None,
            "setup_intent": ("seti_local_" + self.id[9:]) if complete and not payment else None,
            "customer_details": None, "shipping_details": None,
        }
        if complete:
            d = self.details
            address = {"country": d.get("country"), "line1": d.get("line1"), "city": d.get("city"),
                       "postal_code": d.get("postal_code")}
            # As Stripe's: a payment collects the card's billing country; setup mode collects no address
            # (the country that matters, shipping's, comes from shipping_address_collection).
            billing = {"country": d.get("country")} if payment or r.shipping_countries else None
            obj["customer_details"] = {"email": d.get("email"), "name": d.get("name"), "address": billing}
            if r.shipping_countries:
                obj["shipping_details"] = {"name": d.get("name"), "address": address}
        return obj


class LocalCheckout:
    """Sessions in memory; events signed with serve's webhook secret."""

    def __init__(self, origin: str, webhook_secret: str):
        self.origin = origin.rstrip("/")
        self.webhook_secret = webhook_secret
        self._sessions: dict[str, LocalSession] = {}
        self._lock = threading.Lock()

    # -- the Payments port ------------------------------------------------------
    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        with self._lock:
            for session in self._sessions.values():  # idempotent, like Stripe's Idempotency-Key
                if session.request.idempotency_key == request.idempotency_key:
                    return Checkout(session.id, self.url(session.id), session.customer)
            session_id = "cs_local_" + secrets.token_urlsafe(18).replace("-", "x").replace("_", "y")
            customer = request.customer_id or (("cus_local_" + secrets.token_hex(8)) if request.mode == "setup" else None)
            self._sessions[session_id] = LocalSession(session_id, request, int(dt.datetime.now().timestamp()),
                                                      customer)
        return Checkout(session_id, self.url(session_id), customer)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Test mode: every saved card "succeeds" at the deadline, and nothing is charged."""
        return ChargeResult("succeeded", payment_intent_id="pi_local_" + request.pledge_id[3:],
                            charge_id="ch_local_" + request.pledge_id[3:])

    def find_charge(self, pledge_id: str) -> ChargeResult | None:
        return None

    def card_expiry(self, customer_id: str, setup_intent_id: str | None) -> tuple[int, int] | None:
        return None  # the test checkout saves no real card

    def refund(self, request: RefundRequest) -> None:
        """Test mode: nothing was charged, so there is nothing to give back."""

    def expire_checkout(self, session_id: str) -> bool:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return True
            if session.status == "open":
                session.status = "expired"
            return session.status == "expired"

    def url(self, session_id: str) -> str:
        return f"{self.origin}{CHECKOUT_PATH}{session_id}"

    # -- what the test checkout page does -------------------------------------------
    def session(self, session_id: str) -> LocalSession | None:
        with self._lock:
            return self._sessions.get(session_id)

    def complete(self, session_id: str, details: dict, now: dt.datetime) -> dict | None:
        """Mark an open session paid (or its card saved); the event to deliver, or None."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session.status != "open":
                return None
            if now >= session.request.expires_at:
                session.status = "expired"
                return None
            session.status, session.details = "complete", dict(details)
        return self.event("checkout.session.completed", session, now)

    def expire(self, session_id: str, now: dt.datetime) -> dict | None:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session.status != "open":
                return None
            session.status = "expired"
        return self.event("checkout.session.expired", session, now)

    def expire_due(self, now: dt.datetime) -> list[dict]:
        """``checkout.session.expired`` for every open session past its ``expires_at``."""
        with self._lock:
            due = [s.id for s in self._sessions.values() if s.status == "open" and now >= s.request.expires_at]
        return [event for event in (self.expire(i, now) for i in due) if event]

    def event(self, kind: str, session: LocalSession, now: dt.datetime) -> dict:
        return {"id": "evt_local_" + secrets.token_hex(12), "object": "event", "api_version": API_VERSION,
                "created": int(now.timestamp()), "livemode": False, "type": kind,
                "data": {"object": session.stripe_object()}, "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None}}

    def signed(self, event: dict, now: dt.datetime) -> tuple[bytes, str]:
        """The raw body and ``Stripe-Signature`` header, as Stripe sends them."""
        body = json.dumps(event, separators=(",", ":")).encode()
        return body, sign(body, self.webhook_secret, int(now.timestamp()))
