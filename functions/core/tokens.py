"""Private links without accounts: a pledge id signed with the site's secret (HMAC-SHA256).

A token names its purpose (``manage``, ``fix``), so a link made for one thing
opens nothing else. Whoever holds the link can act on that one pledge; nobody
can make one for another pledge without ``CAGNOTTE_SECRET``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_PLEDGE = re.compile(r"^pl_[a-z0-9]{1,40}$")


def make(purpose: str, pledge_id: str, secret: str) -> str:
    """``<pledge id>.<signature>``, URL-safe."""
    return f"{pledge_id}.{_signature(purpose, pledge_id, secret)}"


def check(purpose: str, token: str, secret: str) -> str | None:
    """The pledge id a genuine token names, or None (forged, altered, other purpose)."""
    pledge_id, _, signature = token.partition(".")
    if not _PLEDGE.match(pledge_id) or not signature:
        return None
    if not hmac.compare_digest(signature.encode(), _signature(purpose, pledge_id, secret).encode()):
        return None
    return pledge_id


def _signature(purpose: str, pledge_id: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"cagnotte:{purpose}:{pledge_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


_SUBJECT = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}:[a-f0-9]{20}$")


def make_for(purpose: str, subject: str, secret: str) -> str:
    """A token for something other than a pledge: ``campaign:reminder-id`` (URL-safe)."""
    return f"{subject.replace(':', '.')}.{_signature(purpose, subject, secret)}"


def check_for(purpose: str, token: str, secret: str) -> str | None:
    """The subject a genuine :func:`make_for` token names, or None."""
    head, _, signature = token.rpartition(".")
    subject = head.replace(".", ":", 1)
    if not _SUBJECT.match(subject) or not signature:
        return None
    if not hmac.compare_digest(signature.encode(), _signature(purpose, subject, secret).encode()):
        return None
    return subject


_NAME = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


def make_download(pledge_id: str, name: str, expires: int, secret: str) -> str:
    """``<pledge id>.<file name, base64url>.<expiry, Unix seconds>.<signature>``: one file, for a while."""
    encoded = base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")
    return f"{pledge_id}.{encoded}.{expires}.{_signature('download', f'{pledge_id}:{encoded}:{expires}', secret)}"


def check_download(token: str, secret: str, now: int) -> tuple[str, str] | None:
    """``(pledge id, file name)`` of a genuine download token not expired at ``now``, or None."""
    parts = token.split(".")
    if len(parts) != 4:
        return None
    pledge_id, encoded, expires, signature = parts
    if not _PLEDGE.match(pledge_id) or not _NAME.match(encoded) or not expires.isdigit() or not signature:
        return None
    wanted = _signature("download", f"{pledge_id}:{encoded}:{expires}", secret)
    if not hmac.compare_digest(signature.encode(), wanted.encode()) or now >= int(expires):
        return None
    try:
        name = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    except ValueError:
        return None
    return pledge_id, name
