"""Errors the API answers with, each with its HTTP status and a stable code.

Handlers turn an :class:`ApiError` into ``{"error": {"code", "message"}}`` with
``status``; messages are plain language and never echo personal data.
"""

from __future__ import annotations


class ApiError(Exception):
    status = 500
    code = "internal"

    def __init__(self, message: str, *, code: str | None = None, hint: tuple = ()):
        super().__init__(message)
        self.message = message
        # What a page tells a person instead of ``message`` (which is for developers):
        # a key of functions.pages' sentences and its values, e.g. ("amount_min", 3750, "EUR").
        self.hint = hint
        if code:
            self.code = code

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


class Invalid(ApiError):
    status, code = 400, "invalid"


class BadSignature(ApiError):
    status, code = 400, "bad_signature"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Forbidden(ApiError):
    status, code = 403, "cross_origin"


class MethodNotAllowed(ApiError):
    status, code = 405, "method_not_allowed"


class SoldOutError(ApiError):
    status, code = 409, "sold_out"


class NotLive(ApiError):
    status, code = 410, "not_live"


class TooLarge(ApiError):
    status, code = 413, "too_large"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class Unavailable(ApiError):
    """Transient: the caller (or Stripe) should retry."""

    status, code = 503, "unavailable"


class PaymentProviderError(ApiError):
    status, code = 502, "payment_provider"
