"""Per-client and per-mailbox limits on the anonymous routes (no I/O here).

API Gateway's stage throttle is one bucket for everyone: it stops a flood by
also stopping real backers. These limits count per subject (a client's
address, a folded mailbox) in fixed windows, in the store, so they hold across
Lambda instances. ``Store.hit(key, limit, expires_at, now)`` counts one hit
atomically and refuses the one past ``limit``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from .errors import ApiError


class TooManyRequests(ApiError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Limit:
    name: str
    count: int  # hits allowed per window
    window: dt.timedelta

    def key(self, subject: str, now: dt.datetime) -> tuple[str, dt.datetime]:
        """(the counter's key, when its window ends) for ``subject`` at ``now``."""
        seconds = int(self.window.total_seconds())
        start = int(now.timestamp()) // seconds * seconds
        digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        ends = dt.datetime.fromtimestamp(start + seconds, dt.timezone.utc)
        return f"{self.name}:{start}:{digest}", ends


# Sign-ups for launch reminders from one client, and confirmation mails to one mailbox.
REMINDERS_PER_CLIENT = Limit("remind-client", 10, dt.timedelta(minutes=10))
CONFIRMATIONS_PER_MAILBOX = Limit("remind-mailbox", 3, dt.timedelta(hours=24))
# Comments from one client, and confirmation mails for comments to one mailbox.
COMMENTS_PER_CLIENT = Limit("comment-client", 10, dt.timedelta(minutes=10))
COMMENT_MAILS_PER_MAILBOX = Limit("comment-mailbox", 5, dt.timedelta(hours=24))
# Checkout sessions (each holds a limited reward's unit for 30 minutes) from one client.
PLEDGES_PER_CLIENT = Limit("pledge-client", 12, dt.timedelta(minutes=10))


def local(client: str) -> bool:
    """The machine itself (``cagnotte serve``, a test): no client to tell apart, no limit."""
    import ipaddress

    try:
        return ipaddress.ip_address(client).is_loopback
    except ValueError:
        return not client


def check(store, limit: Limit, client: str, now: dt.datetime) -> None:
    """Count one hit for ``client``; :class:`TooManyRequests` past the limit.

    API Gateway gives every request its caller's public address; a loopback
    or missing one is this machine serving itself, which is not limited.
    """
    if local(client):
        return
    subject = client
    key, ends = limit.key(subject, now)
    if not store.hit(key, limit.count, ends, now):
        wait = max(int((ends - now).total_seconds()), 1)
        raise TooManyRequests(f"too many requests from here: try again in {max(wait // 60, 1)} min", wait)


def subject(client: str) -> str | None:
    """A client told apart from others (a hash of its address), or None for this machine itself."""
    if local(client):
        return None
    return hashlib.sha256(client.encode("utf-8", "surrogatepass")).hexdigest()[:24]


def allowed(store, limit: Limit, subject: str, now: dt.datetime) -> bool:
    key, ends = limit.key(subject, now)
    return store.hit(key, limit.count, ends, now)


def mailbox(address: str) -> str:
    """The mailbox an address reaches: case, plus-tags and dots in the local part folded.

    ``Ana.Lima+promo@Example.org`` and ``analima@example.org`` reach one inbox
    at most providers (Gmail ignores dots; nearly all ignore ``+tag``).
    """
    local, _, domain = address.strip().lower().rpartition("@")
    local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}"
