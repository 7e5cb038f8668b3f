"""Updates by e-mail: who gets each update, queued once per recipient, unsubscribed per campaign.

The build lists in the catalog which updates to mail (``audience`` other than
``none``), when each was published and the languages it is written in; their
text travels in mail.json. The scheduled run (``queue_scheduled_mail``) calls
:func:`queue` every time: an update is mailed only from its date and for
:data:`WINDOW` after it (an update found older than that, e.g. on a site that
upgrades, is never mailed), to the backers who pledged before it was published
(and, for ``audience: all``, the confirmed reminder sign-ups), one row per
address: ``update:<campaign>:<update>:<address hash>``. A row id is written
once, so no number of deploys or runs sends an update twice, and an update
edited after it went out is not sent again. Rows are queued in batches
(:data:`BATCH` new rows a run); a mark keeps how far the list was queued, so a
run cut short resumes where it stopped, and the next rows are written only
when the ones before are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import tokens
from .catalog import CatalogCampaign, CatalogUpdate
from .mail import Mail, valid_address
from .reminders import CONFIRMED, address_hash

WINDOW = dt.timedelta(days=7)
BATCH = 2000
PURPOSE = "updates"  # the signed unsubscribe link's purpose


@dataclass(frozen=True)
class Recipient:
    email: str
    lang: str | None  # the page's language they pledged or signed up from


def recipients(store, campaign: CatalogCampaign, update: CatalogUpdate) -> list[Recipient]:
    """Who gets ``update``, once per address, in a stable order (pledges oldest first, then sign-ups)."""
    found, seen = [], set()

    def add(email: str | None, lang: str | None) -> None:
        if not email or not valid_address(email):
            return
        key = email.strip().lower()
        if key not in seen:
            seen.add(key)
            found.append(Recipient(email.strip(), lang))

    for pledge in store.pledges(campaign.slug):
        if pledge.counts and pledge.created_at <= update.published and update.reaches(pledge.reward):
            add(pledge.email, pledge.lang)
    if update.audience[:1] == ("all",):
        for reminder in store.reminders(campaign.slug):
            if reminder.status == CONFIRMED:
                add(reminder.email, reminder.lang)
    return found


def unsubscribed_key(campaign: str, email: str) -> str:
    """The suppression-list key of an address that wants no more of a campaign's updates."""
    return f"updates:{campaign}:{address_hash(email)[:20]}"


def row_id(campaign: str, update: str, email: str) -> str:
    return f"update:{campaign}:{update}:{address_hash(email)[:32]}"


def unsubscribe_url(api_base: str, secret: str, campaign: str, email: str) -> str:
    subject = f"{campaign}:{address_hash(email)[:20]}"  # what a signed link can name (functions.core.tokens)
    return f"{api_base}/updates/unsubscribe/{tokens.make_for(PURPOSE, subject, secret)}"


def mail_for(campaign: CatalogCampaign, update: CatalogUpdate, recipient: Recipient, api_base: str, secret: str,
             now: dt.datetime, reply_to: str | None = None) -> Mail:
    """The update's mail to one recipient: in their language when the update is written in it,
    else wholly in the campaign's (never an English frame around a French text)."""
    lang = campaign.language
    if recipient.lang:
        for wanted in (recipient.lang, recipient.lang.split("-")[0]):
            if wanted in update.languages:
                lang = wanted
                break
    values = {"update_id": update.id, "unsubscribe_url": unsubscribe_url(api_base, secret, campaign.slug,
                                                                         recipient.email)}
    if reply_to and valid_address(reply_to):
        values["reply_to"] = reply_to
    return Mail(id=row_id(campaign.slug, update.id, recipient.email), kind="update", campaign=campaign.slug,
                lang=lang, to=recipient.email, created_at=now, values=values)


def queue(*, catalog, store, links, now: dt.datetime, creators: dict[str, str] | None = None,
          batch: int = BATCH) -> int:
    """Queue the rows the updates due now call for: at most ``batch`` new rows (the next run goes on)."""
    if links is None or not links.secret:
        return 0
    queued = 0
    for campaign in catalog.campaigns.values():
        for update in campaign.updates:
            if not update.published <= now < update.published + WINDOW:
                continue
            progress = f"update-progress:{campaign.slug}:{update.id}"
            done = store.marked(progress, now)
            if done == "done":
                continue
            start = int(done) if done and done.isdigit() else 0
            everyone = recipients(store, campaign, update)
            expires = update.published + WINDOW + dt.timedelta(days=1)
            position = start
            for recipient in everyone[start:]:
                if queued >= batch:
                    store.mark(progress, str(position), expires, now)
                    return queued
                position += 1
                if store.is_suppressed(unsubscribed_key(campaign.slug, recipient.email)):
                    continue
                queued += store.queue_mail(mail_for(campaign, update, recipient, links.api_base, links.secret,
                                                    now, (creators or {}).get(campaign.slug)))
            store.mark(progress, "done", expires, now)
    return queued


@dataclass
class Tally:
    update: str
    published: dt.datetime
    recipients: int = 0
    sent: int = 0
    queued: int = 0  # due or being sent
    failed: int = 0
    unsubscribed: int = 0


def tallies(store, campaign: CatalogCampaign, now: dt.datetime) -> list[Tally]:
    """What each update of ``campaign`` reached (``cagnotte updates SLUG``)."""
    out = []
    for update in campaign.updates:
        tally = Tally(update.id, update.published)
        for recipient in recipients(store, campaign, update):
            tally.recipients += 1
            if store.is_suppressed(unsubscribed_key(campaign.slug, recipient.email)):
                tally.unsubscribed += 1
            row = store.get_mail(row_id(campaign.slug, update.id, recipient.email))
            if row is None:
                continue
            if row.status == "sent":
                tally.sent += 1
            elif row.status == "failed":
                tally.failed += 1
            else:
                tally.queued += 1
        out.append(tally)
    return out
