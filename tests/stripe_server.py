"""A small, stateful stand-in for Stripe's API, for tests that drive the real SDK.

No Checkout emulator exists (stripe-mock is stateless and never completes a
session), so this speaks just enough of Stripe over HTTP on 127.0.0.1:
Customers (and their saved payment methods), Checkout Sessions (create,
retrieve, expire), SetupIntents (retrieve) and PaymentIntents (create and
confirm off-session, retrieve, search), with Stripe's form encoding, Bearer
auth, error shapes and ``Idempotency-Key`` replay for 24 hours (the same key
with other parameters is Stripe's 400 ``idempotency_error``). Every request's
parameters are checked against the request TypedDicts the stripe SDK ships
(:mod:`stripe_params`: unknown names, types, enums such as ``locale``, required
ones), and Stripe's rules on top: a Checkout ``expires_at`` 30 minutes to 24
hours after creation, ``custom_text`` messages of at most 1,200 characters
(echoed on the session), amounts through :func:`_check_amount` (Stripe's minimum, maximum,
ISK and three-decimal rules) and currencies through :func:`_check_currency`. The clock moves:
real time plus an offset that tests set (``now=``) and move (:meth:`advance`),
so a request that reaches "Stripe" later than the caller's ``now`` sees it. What a backer does on the Checkout page, and what Stripe then sends to
the webhook, are Python methods (``complete``, ``async_payment``,
``expire_event``, ``refund_event``) that return the event dicts; :func:`signed`
turns one into the raw body and header. A card saved in setup mode behaves as
one of Stripe's test cards (``complete(..., card="declined")``). A setup-mode
session collects no address unless it asked for one (shipping or billing
address collection), as Stripe's does.

Objects are rendered for the API version asked for: from 2025-03-31.basil on,
a session's shipping address is ``collected_information.shipping_details``;
before, the top-level ``shipping_details``.
"""

from __future__ import annotations

import copy
import json
import random
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe
from stripe.params import (
    CustomerCreateParams, CustomerPaymentMethodListParams, CustomerRetrieveParams, PaymentIntentCreateParams,
    PaymentIntentRetrieveParams, PaymentIntentSearchParams, PaymentMethodRetrieveParams, RefundCreateParams,
    SetupIntentRetrieveParams,
)
from stripe.params.checkout import SessionCreateParams, SessionExpireParams, SessionRetrieveParams
from stripe_params import ParamError, check, enum

from functions.payments.signature import sign

API_VERSION = stripe.api_version  # what the installed SDK pins (16.x: 2026-10-28.endive); events default to it
SHIPPING_MOVED = "2025-03-31"  # basil: shipping_details moved into collected_information
LOCALES = frozenset(enum(SessionCreateParams, "locale"))  # Stripe's list, as the SDK has it
CHECKOUT_MIN_TTL, CHECKOUT_MAX_TTL = 30 * 60, 24 * 3600  # a session's expires_at after its creation
CUSTOM_TEXT_MAX = 1200  # custom_text[…][message]: "Text can be up to 1200 characters in length."
_ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
IDEMPOTENCY_WINDOW = 86400  # Stripe may prune a key once it is 24 hours old; here it is pruned then
# Test cards: last4, and what an off-session charge answers (error code, decline code, Stripe's message).
CARDS: dict[str, tuple[str, tuple[str, str, str] | None]] = {
    "visa": ("4242", None),
    # A method the bank answers later, as a SEPA Direct Debit does: the off-session charge is
    # ``processing``; :meth:`StripeServer.settle_intent` then gives the outcome and its event.
    "processing": ("3000", None),
    "declined": ("0002", ("card_declined", "generic_decline", "Your card was declined.")),
    "insufficient_funds": ("9995", ("card_declined", "insufficient_funds", "Your card has insufficient funds.")),
    "expired": ("0069", ("expired_card", "expired_card", "Your card has expired.")),
    # 4000 0027 6000 3184: authentication on every charge, even one set up for off-session use.
    "auth_required": ("3184", ("authentication_required", "authentication_required",
                               "Your card was declined. This transaction requires authentication.")),
}
_RETURN_URL_NEEDED = (
    "A `return_url` must be specified because this Payment Intent is configured to automatically accept the "
    "payment methods enabled in the Dashboard, some of which may require a full page redirect to succeed. If you "
    "do not want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and "
    "`automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents."
)


class ApiError(Exception):
    """A Stripe-shaped error answer.

    ``saved``: the request ran before failing (a card decline), so its answer is
    kept under the idempotency key like a success; ``details`` join the body
    (``decline_code``, ``payment_intent``, …).
    """

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None, saved: bool = False, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.saved = saved
        error = {"type": type, "message": message, "param": param, "code": code, **details}
        self.body = {"error": {k: v for k, v in error.items() if v}}


def _custom_text(params: dict) -> dict:
    """A session's ``custom_text`` as Stripe echoes it (each of the four keys, None when unset); check()
    refused unknown keys and a missing message, this refuses a message over Stripe's length."""
    sent = params.get("custom_text") or {}
    shown = {}
    for key in ("after_submit", "shipping_address", "submit", "terms_of_service_acceptance"):
        value = sent.get(key) or None  # "" unsets it
        message = value["message"] if value else None
        if message is not None and len(message) > CUSTOM_TEXT_MAX:
            raise ApiError(400, f"Invalid string: {message[:10]}...{message[-10:]}; must be at most "
                                f"{CUSTOM_TEXT_MAX} characters", param=f"custom_text[{key}][message]")
        shown[key] = {"message": message} if message is not None else None
    return shown


def decode_form(text: str) -> dict[str, Any]:
    """Decode Stripe's bracket form encoding (``a[b][0][c]=v``) into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        base, _, rest = key.partition("[")
        path = [base] + re.findall(r"\[([^\]]*)\]", "[" + rest if rest else "")
        node = root
        for i, part in enumerate(path):
            if part == "":  # "a[]": the next index
                part = str(len(node))
            last = i == len(path) - 1
            current = node.get(part)
            if last:
                if isinstance(current, dict):
                    raise ApiError(400, f"Invalid hash: {key}", param=key)
                node[part] = value
            else:
                if current is None:
                    current = node[part] = {}
                elif not isinstance(current, dict):
                    raise ApiError(400, f"Invalid hash: {key}", param=key)
                node = current
    return _listify(root)


def _listify(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if value and all(k.isdigit() for k in value) and sorted(map(int, value)) == list(range(len(value))):
        return [_listify(value[str(i)]) for i in range(len(value))]
    return {k: _listify(v) for k, v in value.items()}


def signed(event: dict, secret: str, timestamp: int | None = None) -> tuple[bytes, str]:
    """The raw JSON body of ``event`` and its ``Stripe-Signature`` header, as Stripe would deliver them."""
    body = json.dumps(event, separators=(",", ":")).encode()
    return body, sign(body, secret, int(time.time()) if timestamp is None else timestamp)


class StripeServer:
    """Stripe's API on ``self.url`` (a free port on 127.0.0.1), with test controls.

    ``now`` sets the clock (Unix seconds) for ``created`` and ``expires_at``
    checks; it moves on with real time from there (:meth:`advance` jumps it,
    setting ``fixed_now`` moves it to an instant); ``seed`` makes ids
    repeatable. :meth:`stall_next` holds answers back (a slow Stripe). State is public for assertions:
    ``requests`` (every API call), ``customers``, ``sessions``,
    ``setup_intents``, ``payment_methods``, ``payment_intents``, ``events``;
    :meth:`charges_for` and :meth:`attempts_for` count a pledge's payments.
    Moving the clock a day on forgets the idempotency keys seen before.
    """

    def __init__(self, *, now: int | None = None, seed: int = 0, api_version: str = API_VERSION) -> None:
        self._offset = 0.0 if now is None else now - time.time()
        self._stalls: list[tuple[float, str | None]] = []  # seconds, path prefix (None: any)
        self._closed = threading.Event()
        self.api_version = api_version  # the webhook endpoint's version: events are rendered with it
        self.requests: list[dict[str, Any]] = []
        self.customers: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.setup_intents: dict[str, dict] = {}
        self.payment_methods: dict[str, dict] = {}
        self.payment_intents: dict[str, dict] = {}
        self.events: list[dict] = []
        self.session_params: dict[str, dict] = {}  # id → the decoded create parameters
        self._cards: dict[str, str] = {}  # payment method id → its test-card behaviour (a key of CARDS)
        self._refunded: dict[str, int] = {}  # payment intent → refunded so far
        self.refunds: dict[str, dict] = {}
        # key → method, path, params, status, body, when saved
        self._idempotent: dict[str, tuple[str, str, dict, int, bytes, int]] = {}
        self._failures: list[tuple[int, str | None]] = []  # status, path prefix (None: any)
        self._rng = random.Random(seed)
        self._lock = threading.RLock()  # one request or control at a time: simple and race-free
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.stub = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        # A short poll interval keeps close() fast: shutdown waits for one poll, and every test closes one.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)
        self._thread.start()

    def __enter__(self) -> StripeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and free the port (stalled answers are let go)."""
        self._closed.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    # -- helpers for tests ---------------------------------------------------------
    def now(self) -> int:
        """Stripe's clock: real time plus the offset the test set."""
        return int(time.time() + self._offset)

    def advance(self, seconds: float) -> None:
        """Move Stripe's clock on (a slow network, a skewed clock, a day later)."""
        with self._lock:
            self._offset += seconds

    @property
    def fixed_now(self) -> int:
        return self.now()

    @fixed_now.setter
    def fixed_now(self, value: int) -> None:
        """Move the clock to ``value`` (Unix seconds); it goes on from there."""
        with self._lock:
            self._offset = value - time.time()

    def stall_next(self, seconds: float, times: int = 1, path: str | None = None) -> None:
        """Hold the next ``times`` API answers (to paths starting with ``path``) back ``seconds``, then answer.

        Nothing is held while others are answered; a client that gave up meanwhile
        finds the request run all the same (as with Stripe: the key replays it).
        """
        with self._lock:
            self._stalls.extend([(seconds, path)] * times)

    def created(self, object_name: str) -> int:
        """How many objects of a kind (``customer``, ``checkout.session``, ``payment_intent``) exist."""
        store = {"customer": self.customers, "checkout.session": self.sessions,
                 "payment_intent": self.payment_intents}[object_name]
        return len(store)

    def charges_for(self, pledge_id: str) -> int:
        """How many times the pledge was charged: its succeeded PaymentIntents (off-session or Checkout)."""
        with self._lock:
            return sum(pi["status"] == "succeeded" for pi in self._intents_of(pledge_id))

    def attempts_for(self, pledge_id: str) -> int:
        """How many PaymentIntents the pledge has, whatever became of them."""
        with self._lock:
            return len(self._intents_of(pledge_id))

    def fail_next(self, status: int = 500, times: int = 1, path: str | None = None) -> None:
        """Answer the next ``times`` API calls (to paths starting with ``path``) with ``status`` (500, 429, …).

        The body is Stripe's for that status. Nothing runs, so nothing is saved
        under the idempotency key: a retry with the same key is a first try.
        """
        with self._lock:
            self._failures.extend([(status, path)] * times)

    def complete(self, session_id: str, *, email: str = "backer@example.org", name: str = "A Backer",
                 country: str = "FR", payment_status: str | None = None, async_payment: bool = False,
                 card: str = "visa", expires: tuple[int, int] = (12, 2034)) -> dict:
        """The backer finishes Checkout: the session completes; returns ``checkout.session.completed``.

        Payment mode is ``paid`` with a succeeded PaymentIntent (``unpaid`` and
        processing when the method is asynchronous); setup mode saves a card
        (SetupIntent, PaymentMethod on the Customer) that later off-session
        charges treat as the test card ``card``: ``visa`` succeeds,
        ``declined``, ``insufficient_funds``, ``expired`` and ``auth_required``
        fail as Stripe's do. ``payment_status`` overrides either. ``country`` is
        the address the backer typed: the shipping address when the session
        collects one, and the billing address of a payment (or of a setup
        session with ``billing_address_collection=required``); a setup session
        collects none.
        """
        if card not in CARDS:
            raise ValueError(f"unknown test card {card!r}: one of {', '.join(CARDS)}")
        with self._lock:
            session = self._open_session(session_id)
            if session["mode"] == "payment" and card != "visa":
                raise ValueError("a declined card never completes a payment session: the backer stays on it")
            session.update(status="complete", url=None)
            address = {"city": None, "country": country, "line1": None, "line2": None, "postal_code": None,
                       "state": None}
            params = self.session_params[session_id]
            # A card payment collects its billing country; setup mode asks for no address unless told to.
            asked = session["shipping_address_collection"] or params.get("billing_address_collection") == "required"
            billing = address if session["mode"] == "payment" or asked else None
            session["customer_details"] = {"address": billing and dict(billing), "email": email, "name": name,
                                           "phone": None, "tax_exempt": "none", "tax_ids": []}
            if session["shipping_address_collection"]:
                session["collected_information"] = {"shipping_details": {"address": dict(address), "name": name}}
            if session["mode"] == "payment":
                session["payment_status"] = payment_status or ("unpaid" if async_payment else "paid")
                session["payment_intent"] = self._checkout_intent(session)
            else:
                session["setup_intent"] = self._save_card(session, email, name, card, expires)
                session["payment_status"] = payment_status or "no_payment_required"
            return self._event("checkout.session.completed", session)

    def async_payment(self, session_id: str, succeeded: bool) -> dict:
        """A delayed payment method settles: ``checkout.session.async_payment_succeeded`` or ``…_failed``."""
        with self._lock:
            session = self.sessions[session_id]
            if session["status"] != "complete" or session["payment_status"] != "unpaid":
                raise ValueError(f"{session_id} has no payment pending")
            if succeeded:
                session["payment_status"] = "paid"
            intent = self.payment_intents.get(session["payment_intent"])
            if intent is not None:
                intent["status"] = "succeeded" if succeeded else "requires_payment_method"
                intent["amount_received"] = intent["amount"] if succeeded else 0
            kind = "succeeded" if succeeded else "failed"
            return self._event(f"checkout.session.async_payment_{kind}", session)

    def expire_event(self, session_id: str) -> dict:
        """The session expires unused: returns ``checkout.session.expired``."""
        with self._lock:
            return self._event("checkout.session.expired", self._expire(session_id))

    def refund_event(self, session_id: str, amount: int | None = None) -> dict:
        """Refund ``amount`` (default: what is left) of a paid session: returns ``charge.refunded``."""
        with self._lock:
            session = self.sessions[session_id]
            if session["payment_status"] != "paid":
                raise ValueError(f"{session_id} is not paid")
            return self.refund_payment_event(session["payment_intent"], amount)

    def refund_payment_event(self, payment_intent_id: str, amount: int | None = None) -> dict:
        """Refund ``amount`` (default: what is left) of a succeeded PaymentIntent, as the Dashboard does.

        Any PaymentIntent: a Checkout payment's or an off-session settlement
        charge's. Returns ``charge.refunded``, whose charge carries the
        PaymentIntent's metadata and its cumulative ``amount_refunded``.
        """
        with self._lock:
            intent = self.payment_intents[payment_intent_id]
            if intent["status"] != "succeeded":
                raise ValueError(f"{payment_intent_id} is not succeeded")
            total, before = intent["amount_received"], self._refunded.get(payment_intent_id, 0)
            amount = total - before if amount is None else amount
            if before + amount > total:
                raise ValueError(f"refunds of {before + amount} exceed the {total} charged")
            return self._event("charge.refunded", self._refund(intent, amount))

    def _refund(self, intent: dict, amount: int) -> dict:
        """Refund ``amount`` of a succeeded PaymentIntent; its charge, with the cumulative ``amount_refunded``."""
        total = intent["amount_received"]
        refunded = self._refunded[intent["id"]] = self._refunded.get(intent["id"], 0) + amount
        return {
            "id": intent["latest_charge"], "object": "charge", "livemode": False,
            "created": self.now(), "amount": total, "amount_captured": total, "amount_refunded": refunded,
            "captured": True, "currency": intent["currency"], "customer": intent["customer"],
            "metadata": dict(intent["metadata"]), "paid": True, "payment_intent": intent["id"],
            "refunded": refunded == total, "status": "succeeded",
        }

    def refunded(self, payment_intent_id: str) -> int:
        """How much of a PaymentIntent was refunded (minor units)."""
        with self._lock:
            return self._refunded.get(payment_intent_id, 0)

    def settle_intent(self, payment_intent_id: str, succeeded: bool,
                      failure_code: str = "payment_intent_payment_attempt_failed") -> dict:
        """The bank answers a ``processing`` PaymentIntent: ``payment_intent.succeeded`` or ``…payment_failed``.

        A failure leaves it ``requires_payment_method`` with ``last_payment_error``, as Stripe does.
        """
        with self._lock:
            intent = self.payment_intents[payment_intent_id]
            if intent["status"] != "processing":
                raise ValueError(f"{payment_intent_id} is {intent['status']}, not processing")
            if succeeded:
                intent.update(status="succeeded", amount_received=intent["amount"])
                return self._event("payment_intent.succeeded", intent)
            intent.update(status="requires_payment_method", payment_method=None, last_payment_error={
                "type": "card_error", "code": failure_code, "message": "The payment failed.",
                "charge": intent["latest_charge"]})
            return self._event("payment_intent.payment_failed", intent)

    def event(self, type: str, obj: dict) -> dict:
        """Any event Stripe could send, wrapping ``obj``."""
        with self._lock:
            return self._event(type, obj)

    # -- state changes ---------------------------------------------------------------
    def _id(self, prefix: str, length: int = 24) -> str:
        return prefix + "".join(self._rng.choice(_ID_CHARS) for _ in range(length))

    def _event(self, type: str, obj: dict) -> dict:
        event = {
            "id": self._id("evt_"), "object": "event", "api_version": self.api_version, "created": self.now(),
            "data": {"object": _render(obj, self.api_version)}, "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "type": type,
        }
        self.events.append(event)
        return copy.deepcopy(event)

    def _open_session(self, session_id: str) -> dict:
        session = self.sessions.get(session_id)
        if session is None:
            raise ApiError(404, f"No such checkout.session: '{session_id}'", param="session",
                           code="resource_missing")
        if session["status"] != "open":
            raise ApiError(400, f"This Checkout Session is {session['status']}, not open.",
                           code="checkout_session_not_open")
        return session

    def _expire(self, session_id: str) -> dict:
        session = self._open_session(session_id)
        session.update(status="expired", url=None)
        return session

    def _intents_of(self, pledge_id: str) -> list[dict]:
        return [pi for pi in self.payment_intents.values() if pi["metadata"].get("pledge_id") == pledge_id]

    def _checkout_intent(self, session: dict) -> str:
        # The PaymentIntent behind a paid Checkout session, so the pledge's charges count it too.
        pi = self._id("pi_")
        paid = session["payment_status"] == "paid"
        metadata = self.session_params[session["id"]].get("payment_intent_data", {}).get("metadata", {})
        self.payment_intents[pi] = self._intent(
            pi, session["amount_total"], session["currency"], session["customer"], None, dict(metadata),
            status="succeeded" if paid else "processing", amount_received=session["amount_total"] if paid else 0,
            latest_charge="ch_" + pi[3:],  # the charge refund_event() refers to
        )
        return pi

    def _save_card(self, session: dict, email: str, name: str, card: str,
                   expires: tuple[int, int] = (12, 2034)) -> str:
        pm = self._id("pm_")
        self.payment_methods[pm] = {
            "id": pm, "object": "payment_method", "livemode": False, "created": self.now(), "type": "card",
            "customer": session["customer"],  # attached: it can be charged off-session later
            "billing_details": {"email": email, "name": name, "address": session["customer_details"]["address"]},
            "card": {"brand": "visa", "last4": CARDS[card][0], "exp_month": expires[0], "exp_year": expires[1],
                     "country": "FR"},
            "metadata": {},
        }
        self._cards[pm] = card
        seti = self._id("seti_")
        self.setup_intents[seti] = {
            "id": seti, "object": "setup_intent", "livemode": False, "created": self.now(), "status": "succeeded",
            "customer": session["customer"], "payment_method": pm, "usage": "off_session",
            "metadata": dict(self.session_params[session["id"]].get("setup_intent_data", {}).get("metadata", {})),
        }
        customer = self.customers.get(session["customer"] or "")
        if customer is not None:  # Checkout fills in what the backer typed
            customer["email"] = customer["email"] or email
            customer["name"] = customer["name"] or name
        return seti

    # -- the HTTP API -----------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], body: str) -> tuple[int, bytes, dict]:
        """Answer one API request: status, JSON body, extra headers."""
        url = urlsplit(target)
        version = headers.get("stripe-version") or self.api_version
        key = headers.get("idempotency-key") if method == "POST" else None
        with self._lock:
            stall = next((st for st in self._stalls if st[1] is None or url.path.startswith(st[1])), None)
            if stall is not None:
                self._stalls.remove(stall)
        if stall is not None:
            self._closed.wait(stall[0])  # outside the lock: other requests are answered meanwhile
        with self._lock:
            record = {"method": method, "path": url.path, "params": {}, "idempotency_key": key,
                      "stripe_version": headers.get("stripe-version"), "status": None}
            self.requests.append(record)
            extra = {"Request-Id": self._id("req_", 14), "Stripe-Version": version}
            try:
                record["params"] = params = decode_form(body if method == "POST" else url.query)
                status, obj = self._answer(method, url.path, headers, key, params, version)
                payload = json.dumps(obj).encode()
                if key and 200 <= status < 300:  # Stripe saves results that ran, not refused input
                    self._idempotent[key] = (method, url.path, params, status, payload, self.now())
            except _Replay as replay:
                status, payload = replay.status, replay.payload
                extra["Idempotent-Replayed"] = "true"
            except (ApiError, ParamError) as exc:
                if isinstance(exc, ParamError):
                    exc = ApiError(400, exc.message, param=exc.param, code=exc.code)
                status, payload = exc.status, json.dumps(exc.body).encode()
                # A decline ran (a PaymentIntent and a failed charge exist): Stripe replays it, it never retries
                # the card. Refused input (validation) and injected outages ran nothing and are not saved.
                # (Stripe also saves a 500 raised mid-run; fail_next stands for one that never got that far.)
                if key and exc.saved:
                    self._idempotent[key] = (method, url.path, record["params"], status, payload, self.now())
            record["status"] = status
            return status, payload, extra

    def _answer(self, method: str, path: str, headers: dict[str, str], key: str | None, params: dict,
                version: str) -> tuple[int, dict]:
        failure = next((f for f in self._failures if f[1] is None or path.startswith(f[1])), None)
        if failure is not None:
            self._failures.remove(failure)
            raise _injected(failure[0])
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            raise ApiError(401, "You did not provide an API key. Provide it in the Authorization header "
                                "(Authorization: Bearer YOUR_SECRET_KEY).")
        if not auth[7:].startswith(("sk_", "rk_")):
            raise ApiError(401, "Invalid API Key provided.", code="api_key_invalid")
        if key and key in self._idempotent and self.now() - self._idempotent[key][5] >= IDEMPOTENCY_WINDOW:
            del self._idempotent[key]  # pruned: the same key now makes a new request
        if key and key in self._idempotent:
            seen_method, seen_path, seen_params, status, payload, _ = self._idempotent[key]
            if (seen_method, seen_path, seen_params) != (method, path, params):
                raise ApiError(400, "Keys for idempotent requests can only be used with the same parameters "
                                    f"they were first used with. Try using a key other than '{key}' if you "
                                    "meant to execute a different request.", type="idempotency_error")
            raise _Replay(status, payload)
        route = (method, *path.strip("/").split("/"))
        params_class = _params_class(route)
        if params_class is not None:
            params = check(params, params_class)
        if route == ("POST", "v1", "customers"):
            return 200, _render(self._create_customer(params), version)
        if route == ("POST", "v1", "checkout", "sessions"):
            return 200, _render(self._create_session(params), version)
        if len(route) == 4 and route[:3] == ("GET", "v1", "customers"):
            return 200, _render(self._get(self.customers, "customer", route[3]), version)
        if len(route) == 5 and route[:4] == ("GET", "v1", "checkout", "sessions"):
            return 200, _render(self._get(self.sessions, "checkout.session", route[4]), version)
        if len(route) == 6 and route[:4] == ("POST", "v1", "checkout", "sessions") and route[5] == "expire":
            return 200, _render(self._expire(route[4]), version)
        if len(route) == 4 and route[:3] == ("GET", "v1", "setup_intents"):
            return 200, _render(self._get(self.setup_intents, "setupintent", route[3]), version)
        if len(route) == 5 and route[:3] == ("GET", "v1", "customers") and route[4] == "payment_methods":
            return 200, self._customer_payment_methods(route[3], params)
        if len(route) == 4 and route[:3] == ("GET", "v1", "payment_methods"):
            return 200, _render(self._get(self.payment_methods, "payment_method", route[3]), version)
        if route == ("POST", "v1", "payment_intents"):
            return 200, _render(self._create_payment_intent(params), version)
        if route == ("POST", "v1", "refunds"):
            return 200, _render(self._create_refund(params), version)
        if route == ("GET", "v1", "payment_intents", "search"):
            return 200, self._search_payment_intents(params)
        if len(route) == 4 and route[:3] == ("GET", "v1", "payment_intents"):
            return 200, _render(self._get(self.payment_intents, "payment_intent", route[3]), version)
        raise ApiError(404, f"Unrecognized request URL ({method}: {path}).")

    def _get(self, store: dict[str, dict], kind: str, object_id: str) -> dict:
        if object_id not in store:
            raise ApiError(404, f"No such {kind}: '{object_id}'", param="id", code="resource_missing")
        return store[object_id]

    def _create_customer(self, params: dict) -> dict:
        customer = {
            "id": self._id("cus_", 14), "object": "customer", "livemode": False, "created": self.now(),
            "email": params.get("email"), "name": params.get("name"), "description": params.get("description"),
            "metadata": params.get("metadata", {}), "phone": params.get("phone"), "address": params.get("address"),
            "balance": 0, "currency": None, "delinquent": False, "preferred_locales": [],
            "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None},
        }
        self.customers[customer["id"]] = customer
        return customer

    def _create_session(self, params: dict) -> dict:
        mode = params.get("mode")
        if mode is None:
            raise ApiError(400, "Missing required param: mode.", param="mode")
        if mode not in ("payment", "setup"):
            raise ApiError(400, f"Invalid mode: {mode} (this stand-in knows payment and setup)", param="mode")
        if params.get("ui_mode", "hosted") == "hosted":
            _url(params, "success_url", required=True)
        _url(params, "cancel_url", required=False)
        customer = params.get("customer")
        if customer is not None and customer not in self.customers:
            raise ApiError(400, f"No such customer: '{customer}'", param="customer", code="resource_missing")
        locale = params.get("locale")  # in LOCALES: check() refused any other
        now = self.now()
        expires_at = _int(params, "expires_at", now + CHECKOUT_MAX_TTL)
        if not now + CHECKOUT_MIN_TTL <= expires_at <= now + CHECKOUT_MAX_TTL:
            raise ApiError(400, "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                                "Checkout Session creation.", param="expires_at")
        shipping = params.get("shipping_address_collection")
        if shipping is not None:
            countries = shipping.get("allowed_countries")
            if not isinstance(countries, list) or not all(re.fullmatch(r"[A-Z]{2}", c) for c in countries):
                raise ApiError(400, "allowed_countries must be a list of ISO 3166-1 alpha-2 codes.",
                               param="shipping_address_collection[allowed_countries]")
        custom_text = _custom_text(params)
        wrong = "setup_intent_data" if mode == "payment" else "payment_intent_data"
        if wrong in params or (mode == "setup" and "line_items" in params):
            bad = wrong if wrong in params else "line_items"
            raise ApiError(400, f"You can not pass `{bad}` in `{mode}` mode.", param=bad)
        amount, currency = self._amount(params) if mode == "payment" else (None, params.get("currency"))
        if mode == "setup" and not currency and not params.get("payment_method_types"):
            raise ApiError(400, "currency is required in setup mode when payment_method_types is not set.",
                           param="currency")
        if mode == "setup" and currency:
            _check_currency(currency, "currency")
        session_id = self._id("cs_test_", 58)
        session = {
            "id": session_id, "object": "checkout.session", "livemode": False, "created": self.now(),
            "mode": mode, "status": "open", "ui_mode": params.get("ui_mode", "hosted"),
            "payment_status": "unpaid" if mode == "payment" else "no_payment_required",
            "amount_subtotal": amount, "amount_total": amount, "currency": currency,
            "metadata": params.get("metadata", {}), "client_reference_id": params.get("client_reference_id"),
            "customer": customer, "customer_email": params.get("customer_email"), "customer_details": None,
            "collected_information": None, "expires_at": expires_at, "locale": locale,
            "success_url": params.get("success_url"), "cancel_url": params.get("cancel_url"),
            "shipping_address_collection": shipping, "url": f"{self.url}/pay/{session_id}",
            "payment_intent": None, "setup_intent": None, "custom_text": custom_text,
        }
        self.sessions[session_id] = session
        self.session_params[session_id] = params
        return session

    def _customer_payment_methods(self, customer: str, params: dict) -> dict:
        self._get(self.customers, "customer", customer)
        kind, limit = params.get("type"), _int(params, "limit", 10)
        # Newest first, as Stripe lists (ids are created in order; ``created`` ties under a fixed clock).
        found = [pm for pm in reversed(self.payment_methods.values())
                 if pm["customer"] == customer and kind in (None, pm["type"])]
        return {"object": "list", "url": f"/v1/customers/{customer}/payment_methods", "has_more": len(found) > limit,
                "data": copy.deepcopy(found[:limit])}

    def _create_payment_intent(self, params: dict) -> dict:
        amount = _int(params, "amount", None)
        if amount < 1:
            raise ApiError(400, "This value must be greater than or equal to 1.", param="amount")
        currency = params.get("currency")
        if currency is None:
            raise ApiError(400, "Missing required param: currency.", param="currency")
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise ApiError(400, f"Invalid currency: {currency}", param="currency")
        _check_currency(currency, "currency")
        _check_amount(amount, currency, "amount")
        customer = params.get("customer")
        if customer is not None and customer not in self.customers:
            raise ApiError(400, f"No such customer: '{customer}'", param="customer", code="resource_missing")
        confirm = _bool(params, "confirm")
        off_session = params.get("off_session", "false")
        if off_session not in ("true", "false", "one_off", "recurring"):
            raise ApiError(400, f"Invalid off_session: {off_session}", param="off_session")
        if off_session != "false" and not confirm:
            raise ApiError(400, "off_session can only be used when confirm is true.", param="off_session")
        if not confirm:
            raise ApiError(400, "This stand-in only creates PaymentIntents with confirm=true.", param="confirm")
        pm_id = params.get("payment_method")
        if pm_id is None:
            raise ApiError(400, "You must provide a payment_method to confirm this PaymentIntent.",
                           param="payment_method")
        pm = self.payment_methods.get(pm_id)
        if pm is None:
            raise ApiError(400, f"No such PaymentMethod: '{pm_id}'", param="payment_method", code="resource_missing")
        if pm["customer"] != customer:
            raise ApiError(400, f"The provided PaymentMethod {pm_id} is not attached to customer {customer}.",
                           param="payment_method")
        automatic = params.get("automatic_payment_methods") or {}
        # Since 2023-08-16 a PaymentIntent takes the Dashboard's methods unless payment_method_types is set.
        redirects = "payment_method_types" not in params and automatic.get("allow_redirects") != "never"
        if redirects and not params.get("return_url"):
            raise ApiError(400, _RETURN_URL_NEEDED)
        pi = self._id("pi_")
        intent = self.payment_intents[pi] = self._intent(
            pi, amount, currency, customer, pm_id, params.get("metadata", {}), status="succeeded",
            amount_received=amount, latest_charge=self._id("ch_"),
            automatic_payment_methods={"enabled": True, "allow_redirects": automatic.get("allow_redirects",
                                                                                           "always")},
        )
        if self._cards.get(pm_id) == "processing":
            intent.update(status="processing", amount_received=0)
            return intent
        outcome = CARDS[self._cards.get(pm_id, "visa")][1]
        if outcome is None:
            return intent
        code, decline_code, message = outcome
        error = {"type": "card_error", "code": code, "decline_code": decline_code, "message": message,
                 "charge": intent["latest_charge"], "payment_method": copy.deepcopy(pm),
                 "doc_url": f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"}
        # Stripe clears the PaymentIntent's method after a failure; last_payment_error keeps it.
        intent.update(status="requires_payment_method", amount_received=0, payment_method=None,
                      last_payment_error=error)
        raise ApiError(402, message, type="card_error", code=code, saved=True, decline_code=decline_code,
                       charge=intent["latest_charge"], doc_url=error["doc_url"],
                       payment_intent=copy.deepcopy(intent), payment_method=copy.deepcopy(pm))

    def _create_refund(self, params: dict) -> dict:
        """``POST /v1/refunds`` on a PaymentIntent (or its charge), as Stripe refunds: the event goes to ``events``."""
        pi, charge = params.get("payment_intent"), params.get("charge")
        if not pi and not charge:
            raise ApiError(400, "One of the following params should be provided for this request: payment_intent "
                                "or charge.")
        intent = self.payment_intents.get(pi) if pi else next(
            (i for i in self.payment_intents.values() if i["latest_charge"] == charge), None)
        if intent is None:
            missing = ("payment_intent", pi) if pi else ("charge", charge)
            raise ApiError(400, f"No such {missing[0]}: '{missing[1]}'", param=missing[0], code="resource_missing")
        if intent["status"] != "succeeded":
            raise ApiError(400, f"This PaymentIntent ({intent['id']}) does not have a successful charge to refund.",
                           param="payment_intent", code="charge_not_refundable")
        left = intent["amount_received"] - self._refunded.get(intent["id"], 0)
        if left == 0:
            raise ApiError(400, f"Charge {intent['latest_charge']} has already been refunded.",
                           code="charge_already_refunded")
        amount = _int(params, "amount", left)
        if not 1 <= amount <= left:
            raise ApiError(400, f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                           param="amount", code="amount_too_large")
        charge_obj = self._refund(intent, amount)
        self._event("charge.refunded", charge_obj)
        refund = {"id": self._id("re_"), "object": "refund", "amount": amount, "charge": intent["latest_charge"],
                  "created": self.now(), "currency": intent["currency"], "metadata": params.get("metadata", {}),
                  "payment_intent": intent["id"], "reason": params.get("reason"), "status": "succeeded"}
        self.refunds[refund["id"]] = refund
        return refund

    def _intent(self, pi: str, amount: int, currency: str, customer: str | None, pm: str | None,
                metadata: dict, **fields: Any) -> dict:
        return {
            "id": pi, "object": "payment_intent", "livemode": False, "created": self.now(), "amount": amount,
            "amount_received": 0, "currency": currency, "customer": customer, "payment_method": pm,
            "metadata": metadata, "description": None, "status": "requires_payment_method",
            "latest_charge": None, "last_payment_error": None, "next_action": None, "canceled_at": None,
            "cancellation_reason": None, "capture_method": "automatic", "confirmation_method": "automatic",
            "client_secret": f"{pi}_secret_{self._id('', 25)}", "payment_method_types": ["card"],
            "automatic_payment_methods": None, "setup_future_usage": None, **fields,
        }

    def _search_payment_intents(self, params: dict) -> dict:
        query = params.get("query")
        if not query:
            raise ApiError(400, "Missing required param: query.", param="query")
        clauses = _search_clauses(query)
        limit = _int(params, "limit", 10)
        if not 1 <= limit <= 100:
            raise ApiError(400, "limit must be between 1 and 100.", param="limit")
        found = [pi for pi in reversed(self.payment_intents.values())  # newest first
                 if all(_field(pi, name) == value for name, value in clauses)]
        return {"object": "search_result", "url": "/v1/payment_intents/search", "has_more": len(found) > limit,
                "next_page": None, "data": copy.deepcopy(found[:limit])}

    def _amount(self, params: dict) -> tuple[int, str]:
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            raise ApiError(400, "line_items is required in payment mode.", param="line_items")
        if len(items) > 100:  # Stripe's most in payment mode
            raise ApiError(400, "You may only specify up to 100 line items.", param="line_items")
        total, currencies = 0, set()
        for i, item in enumerate(items):
            name = f"line_items[{i}]"
            data = item.get("price_data")
            if data is None:
                raise ApiError(400, f"Missing required param: {name}[price_data] (prices are not stored here).",
                               param=f"{name}[price_data]")
            currency = data.get("currency", "")
            if not re.fullmatch(r"[a-z]{3}", currency):
                raise ApiError(400, f"Invalid currency: {currency}", param=f"{name}[price_data][currency]")
            _check_currency(currency, f"{name}[price_data][currency]")
            if not data.get("product") and not (data.get("product_data") or {}).get("name"):
                raise ApiError(400, f"Missing required param: {name}[price_data][product_data][name].",
                               param=f"{name}[price_data][product_data][name]")
            unit = _int(data, "unit_amount", None, param=f"{name}[price_data][unit_amount]")
            raw = item.get("quantity")
            # Stripe's quantity: a positive whole number, as the form encodes it ("2"; not "1.5", "-1", "0").
            if raw is not None and not isinstance(raw, bool) and not re.fullmatch(r"[0-9]+", str(raw)):
                raise ApiError(400, f"Invalid integer: {raw}", param=f"{name}[quantity]")
            quantity = _int(item, "quantity", None, param=f"{name}[quantity]")
            if quantity < 1:
                raise ApiError(400, "This value must be greater than or equal to 1.", param=f"{name}[quantity]")
            if unit < 0:
                raise ApiError(400, "unit_amount must be >= 0.", param=f"{name}[price_data][unit_amount]")
            total += unit * quantity
            currencies.add(currency)
            _check_amount(unit, currency, f"{name}[price_data][unit_amount]")
        if len(currencies) > 1:
            raise ApiError(400, "All line items must use the same currency.", param="line_items")
        currency = currencies.pop()
        _check_amount(total, currency, "line_items")
        return total, currency


class _Replay(Exception):
    def __init__(self, status: int, payload: bytes) -> None:
        self.status, self.payload = status, payload


def _injected(status: int) -> ApiError:
    if status == 429:  # Stripe's shape: an invalid_request_error with code rate_limit (lock_timeout: another 429)
        return ApiError(429, "Request rate limit exceeded. Learn more about rate limits here "
                             "https://stripe.com/docs/rate-limits.", code="rate_limit",
                        doc_url="https://stripe.com/docs/error-codes/rate-limit")
    if status == 402:
        return ApiError(402, "Your card was declined.", type="card_error", code="card_declined")
    return ApiError(status, "An unknown error occurred", type="api_error")


# Stripe's rules on amounts, from its "Supported currencies" page, kept apart from the project's own
# table (functions/core/stripe_money.py) so that a mistake there shows here. Amounts are in STRIPE's
# minor unit: ISK counts hundredths (always 00), MGA whole ariary.
CURRENCIES = frozenset("""
    usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn bzd cad
    cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel gip gmd gnf gtq gyd hkd hnl
    htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd
    mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd
    rub rwf sar sbd scr sek sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd
    vuv wst xaf xcd xcg xof xpf yer zar zmw
""".split())
ZERO_DECIMAL = frozenset("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = frozenset("bhd jod kwd omr tnd".split())
# Stripe's published minimum charge amounts, in its minor units. Elsewhere Stripe's minimum is the
# equivalent of the settlement currency's at the day's rate: not modelled (any amount >= 1 passes).
MINIMUMS = {
    "usd": 50, "aed": 200, "aud": 50, "bgn": 100, "brl": 50, "cad": 50, "chf": 50, "czk": 1500, "dkk": 250,
    "eur": 50, "gbp": 30, "hkd": 400, "huf": 17500, "inr": 50, "jpy": 50, "mxn": 1000, "myr": 200, "nok": 300,
    "nzd": 50, "pln": 200, "ron": 200, "sek": 300, "sgd": 50, "thb": 1000,
}
MAX_AMOUNT = 99_999_999  # "up to eight digits"


def _check_currency(currency: str, param: str) -> None:
    if currency not in CURRENCIES:
        raise ApiError(400, f"Invalid currency: {currency}. Stripe currently supports these currencies: "
                            + ", ".join(sorted(CURRENCIES)), param=param)


def _shown(amount: int, currency: str) -> str:
    # As Stripe words its limits: "€0.50 eur" (the digits by Stripe's own exponent).
    digits = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2
    whole, frac = divmod(amount, 10**digits)
    return f"{whole:,}" + (f".{frac:0{digits}d}" if digits else "") + f" {currency}"


def _check_amount(amount: int, currency: str, param: str) -> None:
    """Stripe's rules on an amount in minor units of ``currency`` (minimum, maximum, decimals).

    The one place the stand-in judges an amount (Checkout line items and their
    total, PaymentIntents). ``param`` names the field in Stripe's error.
    """
    if currency == "isk" and amount % 100:
        raise ApiError(400, "Invalid amount: ISK amounts must be whole krónur, as a two-decimal value ending "
                            "in 00.", param=param, code="invalid_charge_amount")
    if currency in THREE_DECIMAL and amount % 10:
        raise ApiError(400, f"Invalid amount: {currency} amounts must end in 0 (cards take two decimals).",
                       param=param, code="invalid_charge_amount")
    minimum = MINIMUMS.get(currency, 1)
    if amount < minimum:
        raise ApiError(400, f"Amount must be at least {_shown(minimum, currency)}", param=param,
                       code="amount_too_small")
    if amount > MAX_AMOUNT:
        raise ApiError(400, f"Amount must be no more than {_shown(MAX_AMOUNT, currency)}", param=param,
                       code="amount_too_large")


_PARAMS: dict[tuple[str, ...], type] = {  # a route, "*" for an id → the SDK's params TypedDict
    ("POST", "v1", "customers"): CustomerCreateParams,
    ("GET", "v1", "customers", "*"): CustomerRetrieveParams,
    ("GET", "v1", "customers", "*", "payment_methods"): CustomerPaymentMethodListParams,
    ("POST", "v1", "checkout", "sessions"): SessionCreateParams,
    ("GET", "v1", "checkout", "sessions", "*"): SessionRetrieveParams,
    ("POST", "v1", "checkout", "sessions", "*", "expire"): SessionExpireParams,
    ("GET", "v1", "setup_intents", "*"): SetupIntentRetrieveParams,
    ("GET", "v1", "payment_methods", "*"): PaymentMethodRetrieveParams,
    ("POST", "v1", "payment_intents"): PaymentIntentCreateParams,
    ("POST", "v1", "refunds"): RefundCreateParams,
    ("GET", "v1", "payment_intents", "search"): PaymentIntentSearchParams,
    ("GET", "v1", "payment_intents", "*"): PaymentIntentRetrieveParams,
}


def _params_class(route: tuple[str, ...]) -> type | None:
    if route in _PARAMS:
        return _PARAMS[route]
    for known, params_class in _PARAMS.items():
        if len(known) == len(route) and all(k in ("*", r) for k, r in zip(known, route)) \
                and not (known[-1] == "*" and route[-1] == "search"):
            return params_class
    return None


def _int(params: dict, key: str, default: int | None, *, param: str | None = None) -> int:
    value = params.get(key)
    if value is None:
        if default is None:
            raise ApiError(400, f"Missing required param: {param or key}.", param=param or key)
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Invalid integer: {value}", param=param or key) from None


def _bool(params: dict, key: str) -> bool:
    value = params.get(key, "false")
    if value not in ("true", "false"):
        raise ApiError(400, f"Invalid boolean: {value}", param=key)
    return value == "true"


# One clause of Stripe's search language: metadata['key']:'value' or field:'value'; \' escapes a quote.
_CLAUSE = re.compile(r"\s*(?:metadata\['(?P<key>[^'\]]+)'\]|(?P<field>status|customer|currency))"
                     r":'(?P<value>(?:[^'\\]|\\.)*)'\s*")


def _search_clauses(query: str) -> list[tuple[str, str]]:
    """Equality clauses joined by AND: all this stand-in understands of the search language."""
    clauses, position = [], 0
    while True:
        match = _CLAUSE.match(query, position)
        if match is None:
            raise ApiError(400, f"This stand-in cannot parse the search query at {position}: {query!r}",
                           param="query")
        name = f"metadata.{match['key']}" if match["key"] else match["field"]
        clauses.append((name, re.sub(r"\\(.)", r"\1", match["value"])))
        position = match.end()
        if position == len(query):
            return clauses
        if not query.startswith("AND ", position):
            raise ApiError(400, f"This stand-in only joins search clauses with AND: {query!r}", param="query")
        position += 4


def _field(obj: dict, name: str) -> Any:
    if name.startswith("metadata."):
        return obj["metadata"].get(name[9:])
    return obj.get(name)


def _url(params: dict, key: str, *, required: bool) -> None:
    value = params.get(key)
    if value is None:
        if required:
            raise ApiError(400, f"Missing required param: {key}.", param=key)
    elif not re.match(r"https?://[^/\s]+", value):
        raise ApiError(400, "Not a valid URL", param=key)


def _render(obj: dict, version: str) -> dict:
    """A copy of ``obj`` as the given API version shows it."""
    out = copy.deepcopy(obj)
    if out.get("object") == "checkout.session" and version[:10] < SHIPPING_MOVED:
        out["shipping_details"] = (out.get("collected_information") or {}).get("shipping_details")
    return out


class _Handler(BaseHTTPRequestHandler):
    server_version = "stripe-stand-in"

    def do_GET(self) -> None:
        if self.path.startswith("/pay/"):
            self._pay_page(self.path[5:])
        else:
            self._api()

    def do_POST(self) -> None:
        self._api()

    def do_DELETE(self) -> None:
        self._api()

    def _api(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, payload, extra = self.server.stub.handle(self.command, self.path, headers, body)  # type: ignore[attr-defined]
        self._send(status, payload, "application/json", extra)

    def _pay_page(self, session_id: str) -> None:
        # Just enough for a redirect to land somewhere; paying is stub.complete(), not a form.
        session = self.server.stub.sessions.get(session_id)  # type: ignore[attr-defined]
        status = 200 if session and session["status"] == "open" else 404
        text = f"<!doctype html><title>Stripe stand-in</title><p>Checkout session {session_id}</p>"
        self._send(status, text.encode(), "text/html; charset=utf-8", {})

    def _send(self, status: int, payload: bytes, content_type: str, extra: dict) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass
