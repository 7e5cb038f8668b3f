"""The local outbox: every message written as a standard ``.eml`` file (RFC 5322, MIME).

``cagnotte serve`` lists them at ``/_cagnotte/outbox/`` so a creator reads what
backers will receive; any mail client opens them too.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from functions.core.mail import MailError, Message


def build(message: Message, sender: str, now: dt.datetime | None = None) -> EmailMessage:
    """The MIME message (multipart/alternative: text, then HTML) for any transport."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now or dt.datetime.now(dt.timezone.utc))
    email["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip("> ") or "localhost")
    for name, value in message.headers.items():
        email[name] = value
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    return email


class Outbox:
    def __init__(self, folder: str | Path, sender: str):
        self.folder = Path(folder)
        self.sender = sender

    def send(self, message: Message) -> str:
        now = dt.datetime.now(dt.timezone.utc)
        kind = message.headers.get("X-Cagnotte-Kind", "mail")
        name = f"{now:%Y%m%dT%H%M%S%fZ}-{kind}-{secrets.token_hex(4)}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            temporary = self.folder / f".{name}.tmp"
            temporary.write_bytes(bytes(build(message, self.sender, now)))
            os.replace(temporary, self.folder / name)  # a reader never sees half a file
        except OSError as error:
            raise MailError(f"cannot write to the outbox {self.folder}: {error.strerror}") from None
        return name
