"""E-mail to backers and creators: what is due, rendered and sent at most once.

A message is decided in the same transaction as the change that causes it (a
:class:`Mail` row written with the pledge's change, keyed by pledge and kind),
so a replayed or concurrent webhook can never queue it twice. A sender then
drains the due rows: it claims one (a conditional write), renders it from the
templates the build compiled from the theme (:class:`Templates`), hands it to
the mail port, and marks it sent. A failed send leaves the row due for the next
attempt; a sent row is never sent again.

Personal data: the address lives in the mail row only until it is sent (then
it is cleared); it never appears in stats, pages, logs or errors.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Protocol

from . import records

# Kinds, and whether one pledge can receive a kind more than once (then the
# row's key carries the pledge's version).
ONCE = ("confirmation", "receipt", "payment_failed", "unfunded", "cancelled", "survey")
REPEATABLE = ("changed", "fix_reminder", "card_expiring")
OTHER = ("reminder_confirm", "launch", "digest", "update", "comment_confirm", "comment_reply")  # not about a pledge (an update: about its recipient)
KINDS = ONCE + REPEATABLE + OTHER

DUE, SENDING, SENT, FAILED = "due", "sending", "sent", "failed"
MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=5)  # a sender that died mid-send gives the row back after this

ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+")


def valid_address(text: str) -> bool:
    """A deliverable-looking address (one @, a dotted domain, no spaces, ≤ 254 chars)."""
    # fullmatch: ``$`` would let a trailing newline through, and a line break in To: breaks the sender
    return isinstance(text, str) and len(text) <= 254 and bool(ADDRESS.fullmatch(text))


@dataclass(frozen=True)
class Mail:
    """One message to send: who, what kind, about what, in which language.

    ``values`` are the message's own facts, already formatted as text (amount,
    reward title, links…); the templates place them.
    """

    id: str  # "<kind>:<pledge id>" (or with ":<version>" / another key for the other kinds)
    kind: str
    campaign: str
    lang: str
    to: str
    values: dict[str, str] = field(default_factory=dict)
    pledge_id: str | None = None
    created_at: dt.datetime | None = None
    status: str = DUE
    attempts: int = 0
    lease_until: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    message_id: str | None = None  # the transport's id (SES MessageId, the .eml file name)

    def ready(self, now: dt.datetime) -> bool:
        """To send now: due, or claimed by a sender whose lease ran out (it crashed or timed out)."""
        return self.status == DUE or (self.status == SENDING and self.lease_until is not None
                                      and self.lease_until <= now)


@dataclass(frozen=True)
class Message:
    """A rendered e-mail."""

    to: str
    subject: str
    text: str
    html: str
    headers: dict[str, str] = field(default_factory=dict)  # List-Unsubscribe, …


class MailError(Exception):
    """The transport refused or failed: try again later."""


class Mailer(Protocol):
    def send(self, message: Message) -> str:
        """Send one message; its transport id. Raise :class:`MailError` on failure."""
        ...


_TIMES = ("created_at", "lease_until", "sent_at")


def to_record(mail: Mail) -> dict:
    return records.to_record(mail, _TIMES)


def from_record(data: dict) -> Mail:
    return records.from_record(Mail, data, _TIMES, ("attempts",))
