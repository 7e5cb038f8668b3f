"""The Stripe adapter: Checkout sessions and settlement charges through the official SDK.

Flexible campaigns open a ``mode=payment`` session (charged now); all-or-nothing
campaigns open a ``mode=setup`` session on a Customer of their own, so the saved
card can be charged off-session at the deadline (``charge``); a failed charge
gets a "fix" session, ``mode=payment`` on that Customer. Every create carries an
idempotency key: a Customer's and a session's are the request's own key (the
pledge id, the kind, the attempt) with a digest of the parameters sent, so a
retry of the same call replays Stripe's first answer while another request
(a second "save another card" a minute later: another ``expires_at``) gets a
key of its own instead of Stripe's idempotency error. A settlement charge's key
is the pledge's alone, on purpose: a rerun whose parameters moved is refused
by Stripe rather than charged twice. Webhook events are checked by the SDK too
(``construct_event``).

From stripe-python 15 on, the SDK's objects are not dicts (no ``.get``): they
are read by attribute or item, or as ``to_dict()``; an error's body is
``exc.json_body``. Every call runs within a :class:`~.stripe_budget.Budget`.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from typing import Any, Callable, TypeVar

import stripe

from functions.core.ports import ChargeRequest, ChargeResult, Checkout, CheckoutRequest, PaymentsError, RefundRequest
from functions.core.stripe_money import to_stripe
from functions.payments.signature import SignatureError
from functions.payments.stripe_budget import PLEDGE, Budget, Deadline, http_client
from functions.payments.stripe_charges import (
    backoff_delay, charge_params, error_result, intent_result, settle_query, settlement,
)
from functions.payments.stripe_locales import checkout_locale
from functions.payments.stripe_summary import language_spec, submit_message, words

_MESSAGE_LIMIT = 200
_T = TypeVar("_T")


class StripePayments:
    """The ``Payments`` port on ``stripe.StripeClient``.

    ``api_base`` points the client at another API address (stripe-mock, the
    tests' stand-in); ``budget`` bounds each call (:mod:`.stripe_budget`): the
    SDK retries connection errors, 409s and 5xx with the same idempotency key
    as often as ``budget.network_retries`` allows and the time left holds. The
    SDK never retries a rate limit (429), so every call here does, up to
    ``budget.rate_limit_attempts`` with the same key, waiting
    :func:`backoff_delay` seconds through ``sleep`` (``jitter`` draws in [0, 1))
    while the wait leaves time for another attempt. 5xx are not retried again
    here: the SDK has, and Stripe replays a 500 saved under the key anyway; the
    caller's rerun is the retry. ``templates`` answers the site's compiled mail
    templates (``mail.json``, or None): their number and date patterns write the
    pledge's amount and deadline on a setup-mode Checkout page (:mod:`.stripe_summary`).
    """

    def __init__(self, secret_key: str, api_base: str | None = None, *, budget: Budget = PLEDGE,
                 sleep: Callable[[float], None] = time.sleep, jitter: Callable[[], float] = random.random,
                 templates: Callable[[], Any] | None = None) -> None:
        self._secret_key = secret_key
        self._templates = templates
        self._sleep = sleep
        self._jitter = jitter
        self.budget = budget
        self._deadline = Deadline()
        client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=budget.network_retries,
            http_client=http_client(budget, self._deadline),
        )
        self._api = client.v1

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Open the pledge's Checkout session; idempotent on ``request.idempotency_key``.

        Raises :class:`PaymentsError` when Stripe fails or refuses (nothing is charged).
        """
        if request.mode not in ("payment", "setup"):
            raise ValueError(f"unknown checkout mode {request.mode!r}")
        if request.kind not in ("pledge", "fix", "card"):
            raise ValueError(f"unknown checkout kind {request.kind!r}")
        if request.kind == "fix" and (request.mode != "payment" or not request.customer_id):
            raise ValueError("a fix checkout is mode=payment on the pledge's existing customer_id")
        if request.kind == "card" and (request.mode != "setup" or not request.customer_id):
            raise ValueError("a card checkout is mode=setup on the pledge's existing customer_id")
        try:
            with self._deadline.running(self.budget.seconds):
                if request.kind == "card":  # a new card for the deadline, saved on the same Customer
                    customer_id = request.customer_id
                elif request.mode == "setup":
                    customer_id = self._create_customer(request)
                else:  # a fix session pays on the pledge's Customer; a flexible pledge needs none
                    customer_id = request.customer_id if request.kind == "fix" else None
                spec = language_spec(self._templates(), request.locale) if self._templates else None
                params = session_params(request, customer_id, spec)
                session = self._call(lambda options: self._api.checkout.sessions.create(
                    params=params, options={**options, "idempotency_key": keyed(request.idempotency_key, params)},
                ))
        except stripe.StripeError as exc:
            raise PaymentsError(self._describe(exc)) from None
        return Checkout(session_id=session.id, url=session.url, customer_id=customer_id)

    def charge(self, request: ChargeRequest) -> ChargeResult:
        """Charge the pledge's saved card off-session; idempotent on ``request.idempotency_key``.

        The card is ``request.payment_method_id``, else the SetupIntent's, else
        the Customer's default or newest one. A decline, a card that needs the
        backer's authentication or no card at all is a ``failed`` result.
        Raises :class:`PaymentsError` when the outcome is unknown (Stripe down,
        refusing, rate-limited throughout): rerun the same request to learn it.
        """
        try:
            with self._deadline.running(self.budget.seconds):
                payment_method = self._payment_method(request)
                if payment_method is None:
                    return ChargeResult("failed", failure_code="requires_payment_method",
                                        message="No saved payment method was found for this pledge.")
                params = charge_params(request, payment_method)
                # The pledge's key alone (see the module's docstring): never a second charge.
                intent = self._call(lambda options: self._api.payment_intents.create(
                    params=params, options={**options, "idempotency_key": request.idempotency_key}))
        except stripe.StripeError as exc:
            result = error_result(_error_body(exc))
            if result is None:
                raise PaymentsError(self._describe(exc)) from None
            return result
        return intent_result(intent.to_dict())

    def find_charge(self, pledge_id: str) -> ChargeResult | None:
        """The pledge's settlement as Stripe has it (the succeeded PaymentIntent, else the latest), or None.

        For when the ledger lost the answer and the 24-hour idempotency window
        has passed. Stripe's search lags writes (a minute, an hour during
        incidents): None right after a charge proves nothing.
        """
        try:
            with self._deadline.running(self.budget.seconds):
                found = self._call(lambda options: self._api.payment_intents.search(
                    params={"query": settle_query(pledge_id), "limit": 100}, options=options))
        except stripe.StripeError as exc:
            raise PaymentsError(self._describe(exc)) from None
        intent = settlement([intent.to_dict() for intent in found.data])
        return None if intent is None else intent_result(intent)

    def expire_checkout(self, session_id: str) -> bool:
        """``POST /v1/checkout/sessions/{id}/expire``; a session that is not open any more is
        looked up: True when it expired, False when the backer completed it."""
        try:
            with self._deadline.running(self.budget.seconds):
                try:
                    self._call(lambda options: self._api.checkout.sessions.expire(session_id, options=options))
                    return True
                except stripe.InvalidRequestError:  # not open: expired already, or complete
                    session = self._call(lambda options: self._api.checkout.sessions.retrieve(
                        session_id, options=options))
        except stripe.StripeError as exc:
            raise PaymentsError(self._describe(exc)) from None
        return session.status == "expired"

    def refund(self, request: RefundRequest) -> None:
        """Refund a payment in full (``reason=duplicate``); idempotent on ``request.idempotency_key``.

        A payment already refunded in full (Stripe's ``charge_already_refunded``,
        e.g. a rerun after the 24-hour key was forgotten, or by hand in the
        Dashboard) is done, not an error. Raises :class:`PaymentsError` otherwise.
        """
        params = {"payment_intent": request.payment_intent_id, "reason": "duplicate", "metadata": request.metadata}
        try:
            with self._deadline.running(self.budget.seconds):
                self._call(lambda options: self._api.refunds.create(
                    params=params, options={**options, "idempotency_key": request.idempotency_key}))
        except stripe.StripeError as exc:
            if (_error_body(exc) or {}).get("code") == "charge_already_refunded":
                return
            raise PaymentsError(self._describe(exc)) from None

    def card_expiry(self, customer_id: str, setup_intent_id: str | None) -> tuple[int, int] | None:
        """(month, year) the saved card expires, or None (no card, or not a card)."""
        request = ChargeRequest(pledge_id="pl_expiry", campaign="", amount=0, currency="EUR",
                                customer_id=customer_id, setup_intent_id=setup_intent_id)
        try:
            with self._deadline.running(self.budget.seconds):
                method_id = self._payment_method(request)
                if not method_id:
                    return None
                method = self._call(lambda options: self._api.payment_methods.retrieve(method_id, options=options))
        except stripe.StripeError as exc:
            raise PaymentsError(self._describe(exc)) from None
        card = method.to_dict().get("card")
        if not card:
            return None
        return int(card["exp_month"]), int(card["exp_year"])

    def _payment_method(self, request: ChargeRequest) -> str | None:
        if request.payment_method_id:
            return request.payment_method_id
        if request.setup_intent_id:
            setup_intent = self._call(lambda options: self._api.setup_intents.retrieve(
                request.setup_intent_id, options=options))
            if setup_intent.payment_method:  # an id: nothing here asks Stripe to expand it
                return setup_intent.payment_method
        customer = self._call(lambda options: self._api.customers.retrieve(request.customer_id, options=options))
        default = (customer.to_dict().get("invoice_settings") or {}).get("default_payment_method")
        if default:
            return default
        # Checkout's setup mode sets no default: the newest saved method (the list is newest first).
        methods = self._call(lambda options: self._api.customers.payment_methods.list(
            request.customer_id, {"limit": 1}, options))
        return methods.data[0].id if methods.data else None

    def _create_customer(self, request: CheckoutRequest) -> str:
        # Its own key: a retry after a failed session create finds the same Customer.
        params = {"metadata": {"pledge_id": request.pledge_id, "campaign": request.campaign}}
        customer = self._call(lambda options: self._api.customers.create(
            params=params, options={**options, "idempotency_key": keyed(f"customer-{request.pledge_id}", params)},
        ))
        return customer.id

    def _call(self, call: Callable[[dict[str, Any]], _T]) -> _T:
        """``call(options)`` within the budget: the SDK's retries that fit, and the 429s retried here."""
        # A 429 ran nothing (Stripe saves no result for it), so the same key is safe to send again.
        budget, retry = self.budget, 0
        while True:
            left = self._deadline.left()
            if left < budget.min_attempt:
                raise stripe.APIConnectionError(f"the {budget.seconds:g}-second budget of this Stripe call "
                                                "is spent", should_retry=False)
            try:
                return call({"max_network_retries": budget.retries_within(left)})
            except stripe.RateLimitError:
                wait = backoff_delay(retry, self._jitter())
                if retry + 1 >= budget.rate_limit_attempts or self._deadline.left() < wait + budget.min_attempt:
                    raise
                self._sleep(wait)
                retry += 1

    def _describe(self, exc: stripe.StripeError) -> str:
        # Short and safe to log: class, status, Stripe's code/param, request id, its message; never the key.
        # The SDK error is not chained (``from None``): this message is the whole story.
        # Not every error class copies code/param onto itself (RateLimitError does not): read the body's.
        body = _error_body(exc) or {}
        code = exc.code or body.get("code")
        param = body.get("param")
        details = [str(exc.http_status)] if exc.http_status else []
        details += [str(code)] if code else []
        details += [f"param {param}"] if param else []
        details += [exc.request_id] if exc.request_id else []  # to find the call in Stripe's logs
        message = (exc.user_message or "no message")[:_MESSAGE_LIMIT]
        text = f"Stripe {type(exc).__name__}" + (f" ({', '.join(details)})" if details else "") + f": {message}"
        return text.replace(self._secret_key, "[redacted]") if self._secret_key else text


def _error_body(exc: stripe.StripeError) -> dict[str, Any] | None:
    # The error object of Stripe's answer, as plain JSON (``exc.error`` is a StripeObject: no ``.get``).
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error")
    return error if isinstance(error, dict) else None


def keyed(key: str, params: dict[str, Any]) -> str:
    """``key`` with a digest of ``params``: the same request replays, another one gets a key of its own.

    Stripe refuses a key sent again with other parameters (400
    ``idempotency_error``); the digest of the canonical JSON of what is sent
    makes the key cover its parameters. Keys stay far below Stripe's 255 characters.
    """
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{key}-{hashlib.sha256(canonical.encode()).hexdigest()[:16]}"


def session_params(request: CheckoutRequest, customer_id: str | None,
                   spec: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``POST /v1/checkout/sessions`` parameters for ``request``.

    ``spec``: the backer's language in ``mail.json`` (money and date patterns), for the
    pledge's summary beside a setup-mode session's button; None writes ``78.00 EUR``.
    """
    if request.expires_at.tzinfo is None:
        raise ValueError("CheckoutRequest.expires_at must be timezone-aware")
    currency = request.currency.lower()
    # Stripe reads an empty metadata value as "unset": leave such keys out rather than send "".
    metadata = {key: value for key, value in request.metadata.items() if value}
    params: dict[str, Any] = {
        "mode": request.mode,
        "success_url": request.success_url,
        "cancel_url": request.cancel_url,
        "client_reference_id": request.pledge_id,
        "metadata": metadata,
        "expires_at": int(request.expires_at.timestamp()),
    }
    locale = checkout_locale(request.locale)
    if locale:
        params["locale"] = locale
    if request.shipping_countries:
        params["shipping_address_collection"] = {"allowed_countries": list(request.shipping_countries)}
    if request.mode == "payment":
        if customer_id:  # a fix session, on the pledge's Customer
            params["customer"] = customer_id
        product: dict[str, str] = {"name": request.campaign_title}
        if request.description:  # Stripe refuses an empty string here ("cannot be unset")
            product["description"] = request.description
        if request.lines:  # each item with its quantity, then shipping and what the backer adds
            params["line_items"] = [{
                "price_data": {"currency": currency, "unit_amount": to_stripe(line.amount, request.currency),
                               "product_data": {"name": _line_name(line, request.locale)}},
                "quantity": line.quantity,
            } for line in request.lines]
        else:
            params["line_items"] = [{
                "price_data": {"currency": currency, "unit_amount": to_stripe(request.amount, request.currency),
                               "product_data": product},
                "quantity": 1,
            }]
        # On the PaymentIntent too, so its charges and refunds carry the pledge id.
        params["payment_intent_data"] = {"metadata": metadata}
    else:
        params["customer"] = customer_id
        # Setup mode with dynamic payment methods needs the currency of the future charge.
        params["currency"] = currency
        params["setup_intent_data"] = {"metadata": metadata}
        # No line items in setup mode: what is pledged, how much and when it is charged, beside the button.
        params["custom_text"] = {"submit": {"message": submit_message(request, spec)}}
    return params


def _line_name(line, locale: str | None) -> str:
    """A line's name on Checkout: the item's title, or shipping / extra support in the backer's language."""
    if line.kind == "item":
        return line.name
    return words(locale)[line.kind]


def construct_event(payload: bytes, sig_header: str, secret: str, tolerance: int = 300) -> dict[str, Any]:
    """Verify a webhook's ``Stripe-Signature`` on its raw body with the SDK; return the event as a dict.

    Raises :class:`SignatureError` for a missing or malformed header, a wrong
    secret or body, a timestamp older than ``tolerance`` seconds, or a body
    that is not a JSON object.
    """
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, sig_header, secret, tolerance)
        event = json.loads(text)
    except stripe.SignatureVerificationError as exc:
        raise SignatureError(exc.user_message or "invalid signature") from None
    # TypeError: the SDK hands a non-ASCII signature to hmac.compare_digest as str.
    except (ValueError, TypeError):  # ValueError covers UnicodeDecodeError and JSONDecodeError
        raise SignatureError("webhook body or signature is malformed") from None
    if not isinstance(event, dict):
        raise SignatureError("webhook body is not a JSON object")
    return event
