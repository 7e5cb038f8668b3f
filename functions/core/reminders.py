"""Launch reminders: "Notify me" on an upcoming campaign, confirmed by e-mail (double opt-in).

A reminder is keyed by campaign and a hash of the address, so signing up twice
changes nothing and an address can be erased everywhere without scanning. It
is ``pending`` until its confirm link is opened, then ``confirmed``; when the
campaign goes live each confirmed reminder gets one ``launch`` message, with a
signed unsubscribe link (and ``List-Unsubscribe`` headers).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from . import tokens
from .catalog import CatalogCampaign
from .errors import ApiError, Invalid, NotFound
from .mail import Mail, valid_address

PENDING, CONFIRMED = "pending", "confirmed"


class AlreadyLive(ApiError):
    status, code = 409, "already_live"


@dataclass(frozen=True)
class Reminder:
    campaign: str
    id: str  # hash of the address
    email: str
    status: str
    created_at: dt.datetime
    confirmed_at: dt.datetime | None = None
    lang: str | None = None  # the language of the page signed up from (the mails' language)


def reminder_id(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:20]


def sign_up(campaign: CatalogCampaign | None, slug: str, email: object, now: dt.datetime,
            lang: str | None = None) -> Reminder:
    """Check a sign-up (no I/O): 400 bad address, 404 unknown campaign, 409 already live.

    ``email`` is whatever the body held (JSON can send a number, a list, an object).
    """
    if email is not None and not isinstance(email, str):
        raise Invalid("'email' must be a string")
    if email and ("\r" in email or "\n" in email):
        raise Invalid("'email' is not a valid e-mail address")  # a line break would become a mail header
    email = (email or "").strip()
    if not valid_address(email):
        raise Invalid("'email' is not a valid e-mail address")
    if campaign is None:
        raise NotFound(f"no campaign '{slug}'")
    if campaign.starts is None or now >= campaign.starts:
        raise AlreadyLive(f"'{slug}' is already open (or over): pledge on its page")
    return Reminder(campaign=campaign.slug, id=reminder_id(email), email=email, status=PENDING, created_at=now,
                    lang=campaign.page(lang if isinstance(lang, str) else None).lang)


def links(reminder: Reminder, api_base: str, secret: str) -> dict[str, str]:
    subject = f"{reminder.campaign}:{reminder.id}"
    return {"confirm_url": f"{api_base}/reminders/confirm/{tokens.make_for('remind-confirm', subject, secret)}",
            "unsubscribe_url": f"{api_base}/reminders/unsubscribe/{tokens.make_for('unsubscribe', subject, secret)}"}


def confirm_mail(reminder: Reminder, campaign: CatalogCampaign, api_base: str, secret: str, now: dt.datetime) -> Mail:
    return Mail(id=f"reminder_confirm:{reminder.campaign}:{reminder.id}", kind="reminder_confirm",
                campaign=reminder.campaign, lang=reminder.lang or campaign.language, to=reminder.email, created_at=now,
                values={**links(reminder, api_base, secret), "funding": campaign.funding})


def launch_mail(reminder: Reminder, campaign: CatalogCampaign, api_base: str, secret: str, now: dt.datetime) -> Mail:
    return Mail(id=f"launch:{reminder.campaign}:{reminder.id}", kind="launch", campaign=reminder.campaign,
                lang=reminder.lang or campaign.language, to=reminder.email, created_at=now,
                values={"unsubscribe_url": links(reminder, api_base, secret)["unsubscribe_url"],
                        "funding": campaign.funding})


def to_record(reminder: Reminder) -> dict:
    return {"campaign": reminder.campaign, "id": reminder.id, "email": reminder.email, "status": reminder.status,
            "created_at": reminder.created_at.isoformat(),
            "confirmed_at": reminder.confirmed_at.isoformat() if reminder.confirmed_at else None,
            **({"lang": reminder.lang} if reminder.lang else {})}


def from_record(data: dict) -> Reminder:
    return Reminder(campaign=data["campaign"], id=data["id"], email=data["email"], status=data["status"],
                    created_at=dt.datetime.fromisoformat(data["created_at"]),
                    confirmed_at=dt.datetime.fromisoformat(data["confirmed_at"]) if data.get("confirmed_at") else None,
                    lang=data.get("lang"))


def address_hash(email: str) -> str:
    """What the suppression list keeps of a bounced address (not the address itself)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()
