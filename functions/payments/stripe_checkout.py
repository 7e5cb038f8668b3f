"""The Stripe adapter: Checkout sessions through the official SDK, webhook events checked by it.

Flexible campaigns open a ``mode=payment`` session (charged now); all-or-nothing
campaigns open a ``mode=setup`` session on a Customer of their own, so the saved
card can be charged off-session at the deadline. Every create carries an
idempotency key derived from the pledge id, so a retried pledge request never
opens a second session or Customer.
"""

from __future__ import annotations

import json
from typing import Any

import stripe

from functions.core.ports import Checkout, CheckoutRequest, PaymentsError
from functions.payments.signature import SignatureError

_MESSAGE_LIMIT = 200


class StripePayments:
    """The ``Payments`` port on ``stripe.StripeClient``.

    ``api_base`` points the client at another API address (stripe-mock, the
    tests' stand-in); ``max_network_retries`` lets the SDK retry connection
    errors, 409s and 5xx with the same idempotency key.
    """

    def __init__(self, secret_key: str, api_base: str | None = None, max_network_retries: int = 2) -> None:
        self._secret_key = secret_key
        client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=max_network_retries,
        )
        # ``client.v1`` is the current namespace (the bare accessors are deprecated in 14.x);
        # older SDKs that pyproject still allows only have the bare ones.
        self._api = getattr(client, "v1", client)

    def create_checkout(self, request: CheckoutRequest) -> Checkout:
        """Open the pledge's Checkout session; idempotent on ``request.idempotency_key``.

        Raises :class:`PaymentsError` when Stripe fails or refuses (nothing is charged).
        """
        if request.mode not in ("payment", "setup"):
            raise ValueError(f"unknown checkout mode {request.mode!r}")
        try:
            customer_id = self._create_customer(request) if request.mode == "setup" else None
            session = self._api.checkout.sessions.create(
                params=session_params(request, customer_id),
                options={"idempotency_key": request.idempotency_key},
            )
        except stripe.StripeError as exc:
            raise PaymentsError(self._describe(exc)) from None
        return Checkout(session_id=session.id, url=session.url, customer_id=customer_id)

    def _create_customer(self, request: CheckoutRequest) -> str:
        # Its own key: a retry after a failed session create finds the same Customer.
        customer = self._api.customers.create(
            params={"metadata": {"pledge_id": request.pledge_id, "campaign": request.campaign}},
            options={"idempotency_key": f"customer-{request.pledge_id}"},
        )
        return customer.id

    def _describe(self, exc: stripe.StripeError) -> str:
        # Short and safe to log: class, status, Stripe's code/param, request id, its message; never the key.
        # The SDK error is not chained (``from None``): this message is the whole story.
        # Not every error class copies code/param onto itself (RateLimitError does not): read the body's.
        code = exc.code or getattr(exc.error, "code", None)
        param = getattr(exc.error, "param", None)
        details = [str(exc.http_status)] if exc.http_status else []
        details += [str(code)] if code else []
        details += [f"param {param}"] if param else []
        details += [exc.request_id] if exc.request_id else []  # to find the call in Stripe's logs
        message = (exc.user_message or "no message")[:_MESSAGE_LIMIT]
        text = f"Stripe {type(exc).__name__}" + (f" ({', '.join(details)})" if details else "") + f": {message}"
        return text.replace(self._secret_key, "[redacted]") if self._secret_key else text


def session_params(request: CheckoutRequest, customer_id: str | None) -> dict[str, Any]:
    """The ``POST /v1/checkout/sessions`` parameters for ``request``."""
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
    if request.locale:
        params["locale"] = request.locale
    if request.shipping_countries:
        params["shipping_address_collection"] = {"allowed_countries": list(request.shipping_countries)}
    if request.mode == "payment":
        product: dict[str, str] = {"name": request.campaign_title}
        if request.description:  # Stripe refuses an empty string here ("cannot be unset")
            product["description"] = request.description
        params["line_items"] = [{
            "price_data": {"currency": currency, "unit_amount": request.amount, "product_data": product},
            "quantity": 1,
        }]
        # On the PaymentIntent too, so its charges and refunds carry the pledge id.
        params["payment_intent_data"] = {"metadata": metadata}
    else:
        params["customer"] = customer_id
        # Setup mode with dynamic payment methods needs the currency of the future charge.
        params["currency"] = currency
        params["setup_intent_data"] = {"metadata": metadata}
    return params


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
