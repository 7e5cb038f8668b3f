"""Stripe webhook signatures, computed and checked with the standard library only.

The header is ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``,
as Stripe sends it. This module must not import ``stripe``: the local test
checkout signs its own webhooks with it, and light functions verify with it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SCHEME = "v1"


class SignatureError(Exception):
    """A webhook's body does not carry a valid, fresh signature."""


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """Return the ``Stripe-Signature`` header value for ``payload`` signed at ``timestamp``."""
    return f"t={timestamp},{SCHEME}={_digest(payload, secret, timestamp)}"


def verify(payload: bytes, header: str, secret: str, now: int, tolerance: int = 300) -> None:
    """Check that ``header`` signs exactly ``payload`` with ``secret``, within ``tolerance`` seconds of ``now``.

    Several ``v1`` entries are accepted (Stripe sends one per active secret
    while a secret is being rolled). Raises :class:`SignatureError` otherwise.
    """
    if not header:
        raise SignatureError("missing Stripe-Signature header")
    timestamp, signatures = _parse(header)
    if not signatures:
        raise SignatureError(f"no {SCHEME} signature in Stripe-Signature header")
    expected = _digest(payload, secret, timestamp).encode("ascii")
    # Every entry is compared in constant time; the header may hold any text, so compare bytes.
    if not any(hmac.compare_digest(expected, s.encode("utf-8", "surrogatepass")) for s in signatures):
        raise SignatureError("signature does not match the payload")
    # Both directions: an old header is a replay, a far-future one a clock or forgery problem.
    if abs(now - timestamp) > tolerance:
        raise SignatureError(f"signature timestamp {timestamp} is outside the tolerance of {tolerance}s")


def new_webhook_secret() -> str:
    """A fresh signing secret shaped like Stripe's (``whsec_…``), for local use."""
    return "whsec_" + secrets.token_urlsafe(32)


def _digest(payload: bytes, secret: str, timestamp: int) -> str:
    signed = str(timestamp).encode("ascii") + b"." + payload
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def _parse(header: str) -> tuple[int, list[str]]:
    timestamp: int | None = None
    signatures: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t" and timestamp is None:
            try:
                timestamp = int(value)
            except ValueError:
                raise SignatureError("Stripe-Signature timestamp is not an integer") from None
        elif key == SCHEME:
            signatures.append(value)
    if timestamp is None:
        raise SignatureError("no timestamp in Stripe-Signature header")
    return timestamp, signatures
