"""A small, stateful stand-in for Stripe's API, for tests that drive the real SDK.

No Checkout emulator exists (stripe-mock is stateless and never completes a
session), so this speaks just enough of Stripe over HTTP on 127.0.0.1:
Customers, Checkout Sessions (create, retrieve, expire) and SetupIntents
(retrieve), with Stripe's form encoding, Bearer auth, error shapes, parameter
validation and ``Idempotency-Key`` replay. What a backer does on the Checkout
page, and what Stripe then sends to the webhook, are Python methods
(``complete``, ``async_payment``, ``expire_event``, ``refund_event``) that
return the event dicts; :func:`signed` turns one into the raw body and header.

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

from functions.payments.signature import sign

API_VERSION = "2026-02-25.clover"  # what stripe 14.x pins; events default to it
SHIPPING_MOVED = "2025-03-31"  # basil: shipping_details moved into collected_information
LOCALES = set(
    "auto bg cs da de el en en-GB es es-419 et fi fil fr fr-CA hr hu id it ja ko lt lv ms mt nb nl pl pt "
    "pt-BR ro ru sk sl sv th tr vi zh zh-HK zh-TW".split()
)
_ID_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _fields(*names: str, **nested: dict) -> dict[str, dict | None]:
    return {**dict.fromkeys(names), **nested}


# Known parameters (a subset of Stripe's): anything else is refused, as Stripe does, so typos fail tests.
_PRODUCT_DATA = _fields("name", "description", "images", "metadata", "tax_code", "unit_label")
_SCHEMAS = {
    "customers": _fields("address", "description", "email", "expand", "invoice_settings", "metadata", "name",
                         "payment_method", "phone", "preferred_locales", "shipping"),
    "sessions": _fields(
        "allow_promotion_codes", "automatic_tax", "billing_address_collection", "cancel_url",
        "client_reference_id", "consent_collection", "currency", "custom_text", "customer", "customer_creation",
        "customer_email", "expand", "expires_at", "locale", "metadata", "mode", "payment_method_types",
        "phone_number_collection", "return_url", "submit_type", "success_url", "ui_mode",
        line_items=_fields("adjustable_quantity", "dynamic_tax_rates", "price", "quantity", "tax_rates",
                           price_data=_fields("currency", "product", "recurring", "tax_behavior", "unit_amount",
                                              "unit_amount_decimal", product_data=_PRODUCT_DATA)),
        payment_intent_data=_fields("application_fee_amount", "capture_method", "description", "metadata",
                                    "on_behalf_of", "receipt_email", "setup_future_usage", "shipping",
                                    "statement_descriptor", "statement_descriptor_suffix", "transfer_data",
                                    "transfer_group"),
        setup_intent_data=_fields("description", "metadata", "on_behalf_of"),
        shipping_address_collection=_fields("allowed_countries"),
    ),
}


class ApiError(Exception):
    """A Stripe-shaped error answer."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {k: v for k, v in
                               {"type": type, "message": message, "param": param, "code": code}.items() if v}}


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

    ``now`` fixes the clock (Unix seconds) for ``created`` and ``expires_at``
    checks; ``seed`` makes ids repeatable. State is public for assertions:
    ``requests`` (every API call), ``customers``, ``sessions``,
    ``setup_intents``, ``payment_methods``, ``events``.
    """

    def __init__(self, *, now: int | None = None, seed: int = 0, api_version: str = API_VERSION) -> None:
        self.fixed_now = now
        self.api_version = api_version  # the webhook endpoint's version: events are rendered with it
        self.requests: list[dict[str, Any]] = []
        self.customers: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.setup_intents: dict[str, dict] = {}
        self.payment_methods: dict[str, dict] = {}
        self.events: list[dict] = []
        self.session_params: dict[str, dict] = {}  # id → the decoded create parameters
        self._refunded: dict[str, int] = {}
        self._idempotent: dict[str, tuple[str, str, dict, int, bytes]] = {}
        self._failures: list[int] = []
        self._rng = random.Random(seed)
        self._lock = threading.RLock()  # one request or control at a time: simple and race-free
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.stub = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        # A short poll interval keeps close() (shutdown waits for one poll) fast.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def __enter__(self) -> StripeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and free the port."""
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    # -- helpers for tests ---------------------------------------------------------
    def now(self) -> int:
        return int(time.time()) if self.fixed_now is None else self.fixed_now

    def created(self, object_name: str) -> int:
        """How many objects of a kind (``customer``, ``checkout.session``) the API created."""
        store = {"customer": self.customers, "checkout.session": self.sessions}[object_name]
        return len(store)

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        """Answer the next ``times`` API calls with ``status`` (500, 429, …) and Stripe's error body."""
        with self._lock:
            self._failures.extend([status] * times)

    def complete(self, session_id: str, *, email: str = "backer@example.org", name: str = "A Backer",
                 country: str = "FR", payment_status: str | None = None, async_payment: bool = False) -> dict:
        """The backer finishes Checkout: the session completes; returns ``checkout.session.completed``.

        Payment mode is ``paid`` with a PaymentIntent (``unpaid`` when the method
        is asynchronous); setup mode saves a card (SetupIntent, PaymentMethod on
        the Customer). ``payment_status`` overrides either.
        """
        with self._lock:
            session = self._open_session(session_id)
            session.update(status="complete", url=None)
            address = {"city": None, "country": country, "line1": None, "line2": None, "postal_code": None,
                       "state": None}
            session["customer_details"] = {"address": address, "email": email, "name": name, "phone": None,
                                           "tax_exempt": "none", "tax_ids": []}
            if session["shipping_address_collection"]:
                session["collected_information"] = {"shipping_details": {"address": dict(address), "name": name}}
            if session["mode"] == "payment":
                session["payment_intent"] = self._id("pi_")
                session["payment_status"] = payment_status or ("unpaid" if async_payment else "paid")
            else:
                session["setup_intent"] = self._save_card(session, email, name)
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
            total, before = session["amount_total"], self._refunded.get(session_id, 0)
            refunded = before + (total - before if amount is None else amount)
            if refunded > total:
                raise ValueError(f"refunds of {refunded} exceed the {total} charged")
            self._refunded[session_id] = refunded
            pi_metadata = self.session_params[session_id].get("payment_intent_data", {}).get("metadata", {})
            charge = {
                "id": "ch_" + session["payment_intent"][3:], "object": "charge", "livemode": False,
                "created": self.now(), "amount": total, "amount_captured": total, "amount_refunded": refunded,
                "captured": True, "currency": session["currency"], "customer": session["customer"],
                "metadata": dict(pi_metadata), "paid": True, "payment_intent": session["payment_intent"],
                "refunded": refunded == total, "status": "succeeded",
            }
            return self._event("charge.refunded", charge)

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

    def _save_card(self, session: dict, email: str, name: str) -> str:
        pm = self._id("pm_")
        self.payment_methods[pm] = {
            "id": pm, "object": "payment_method", "livemode": False, "created": self.now(), "type": "card",
            "customer": session["customer"],  # attached: it can be charged off-session later
            "billing_details": {"email": email, "name": name, "address": session["customer_details"]["address"]},
            "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2034, "country": "FR"},
        }
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
            record = {"method": method, "path": url.path, "params": {}, "idempotency_key": key,
                      "stripe_version": headers.get("stripe-version"), "status": None}
            self.requests.append(record)
            extra = {"Request-Id": self._id("req_", 14), "Stripe-Version": version}
            try:
                record["params"] = params = decode_form(body if method == "POST" else url.query)
                status, obj = self._answer(method, url.path, headers, key, params, version)
                payload = json.dumps(obj).encode()
                if key and 200 <= status < 300:  # Stripe saves results that ran, not refused input
                    self._idempotent[key] = (method, url.path, params, status, payload)
            except _Replay as replay:
                status, payload = replay.status, replay.payload
                extra["Idempotent-Replayed"] = "true"
            except ApiError as exc:
                status, payload = exc.status, json.dumps(exc.body).encode()
            record["status"] = status
            return status, payload, extra

    def _answer(self, method: str, path: str, headers: dict[str, str], key: str | None, params: dict,
                version: str) -> tuple[int, dict]:
        if self._failures:
            raise _injected(self._failures.pop(0))
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            raise ApiError(401, "You did not provide an API key. Provide it in the Authorization header "
                                "(Authorization: Bearer YOUR_SECRET_KEY).")
        if not auth[7:].startswith(("sk_", "rk_")):
            raise ApiError(401, "Invalid API Key provided.", code="api_key_invalid")
        if key and key in self._idempotent:
            seen_method, seen_path, seen_params, status, payload = self._idempotent[key]
            if (seen_method, seen_path, seen_params) != (method, path, params):
                raise ApiError(400, "Keys for idempotent requests can only be used with the same parameters "
                                    f"they were first used with. Try using a key other than '{key}' if you "
                                    "meant to execute a different request.", type="idempotency_error")
            raise _Replay(status, payload)
        route = (method, *path.strip("/").split("/"))
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
        raise ApiError(404, f"Unrecognized request URL ({method}: {path}).")

    def _get(self, store: dict[str, dict], kind: str, object_id: str) -> dict:
        if object_id not in store:
            raise ApiError(404, f"No such {kind}: '{object_id}'", param="id", code="resource_missing")
        return store[object_id]

    def _create_customer(self, params: dict) -> dict:
        params = _clean(params, _SCHEMAS["customers"])
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
        params = _clean(params, _SCHEMAS["sessions"])
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
        locale = params.get("locale")
        if locale is not None and locale not in LOCALES:
            raise ApiError(400, f"Invalid locale: {locale}", param="locale")
        expires_at = _int(params, "expires_at", self.now() + 86400)
        if not self.now() + 1800 <= expires_at <= self.now() + 86400:
            raise ApiError(400, "The `expires_at` timestamp must be between 30 minutes and 24 hours from "
                                "Checkout Session creation.", param="expires_at")
        shipping = params.get("shipping_address_collection")
        if shipping is not None:
            countries = shipping.get("allowed_countries")
            if not isinstance(countries, list) or not all(re.fullmatch(r"[A-Z]{2}", c) for c in countries):
                raise ApiError(400, "allowed_countries must be a list of ISO 3166-1 alpha-2 codes.",
                               param="shipping_address_collection[allowed_countries]")
        wrong = "setup_intent_data" if mode == "payment" else "payment_intent_data"
        if wrong in params or (mode == "setup" and "line_items" in params):
            bad = wrong if wrong in params else "line_items"
            raise ApiError(400, f"You can not pass `{bad}` in `{mode}` mode.", param=bad)
        amount, currency = self._amount(params) if mode == "payment" else (None, params.get("currency"))
        if mode == "setup" and not currency and not params.get("payment_method_types"):
            raise ApiError(400, "currency is required in setup mode when payment_method_types is not set.",
                           param="currency")
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
            "payment_intent": None, "setup_intent": None,
        }
        self.sessions[session_id] = session
        self.session_params[session_id] = params
        return session

    def _amount(self, params: dict) -> tuple[int, str]:
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            raise ApiError(400, "line_items is required in payment mode.", param="line_items")
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
            if not data.get("product") and not (data.get("product_data") or {}).get("name"):
                raise ApiError(400, f"Missing required param: {name}[price_data][product_data][name].",
                               param=f"{name}[price_data][product_data][name]")
            unit = _int(data, "unit_amount", None, param=f"{name}[price_data][unit_amount]")
            quantity = _int(item, "quantity", None, param=f"{name}[quantity]")
            if unit < 0 or quantity < 1:
                raise ApiError(400, "unit_amount must be >= 0 and quantity >= 1.", param=name)
            total += unit * quantity
            currencies.add(currency)
        if len(currencies) > 1:
            raise ApiError(400, "All line items must use the same currency.", param="line_items")
        return total, currencies.pop()


class _Replay(Exception):
    def __init__(self, status: int, payload: bytes) -> None:
        self.status, self.payload = status, payload


def _injected(status: int) -> ApiError:
    if status == 429:
        return ApiError(429, "Request rate limit exceeded.", code="rate_limit")
    if status == 402:
        return ApiError(402, "Your card was declined.", type="card_error", code="card_declined")
    return ApiError(status, "An unknown error occurred", type="api_error")


def _clean(params: dict, schema: dict, prefix: str = "") -> dict:
    """Refuse unknown parameters and empty strings; drop empty metadata values (Stripe's "unset")."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else key
        if key not in schema:
            raise ApiError(400, f"Received unknown parameter: {name}", param=name)
        if key == "metadata" and isinstance(value, dict):
            out[key] = {k: v for k, v in value.items() if v != ""}
            continue
        if value == "":
            raise ApiError(400, f"You passed an empty string for '{name}'. We assume empty values are an attempt "
                                f"to unset a parameter; however '{name}' cannot be unset.", param=name)
        sub = schema[key]
        if sub is None or not isinstance(value, (dict, list)):
            out[key] = value
        elif isinstance(value, list):
            out[key] = [_clean(v, sub, f"{name}[{i}]") if isinstance(v, dict) else v for i, v in enumerate(value)]
        else:
            out[key] = _clean(value, sub, name)
    return out


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
