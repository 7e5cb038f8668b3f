"""Which e-mail a pledge's change calls for (pure): decided with the change, written with it.

:func:`mails_for` looks at a pledge before and after a change and returns the
:class:`~functions.core.mail.Mail` rows to queue in the same transaction. Row
ids are ``<kind>:<pledge id>`` for what a pledge receives once (a confirmation,
a receipt…) and ``<kind>:<pledge id>:<version>`` for what may repeat (each
change), so no replay can queue a message twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from . import tokens
from .catalog import Catalog
from .mail import ONCE, Mail
from .pledge import CANCELLED, COLLECTED, PAID, PAYMENT_FAILED, PLEDGED, UNFUNDED, Pledge


@dataclass(frozen=True)
class Links:
    """Absolute links a message carries (signed where they grant access)."""

    catalog: Catalog
    api_base: str  # e.g. https://fund.example.org/api
    secret: str | None  # CAGNOTTE_SECRET; without it no private link can be made

    def manage(self, pledge: Pledge) -> str:
        return f"{self.api_base}/manage/{tokens.make('manage', pledge.id, self.secret)}" if self.secret else ""

    def fix(self, pledge: Pledge) -> str:
        return f"{self.api_base}/fix/{tokens.make('fix', pledge.id, self.secret)}" if self.secret else ""

    def survey(self, pledge: Pledge) -> str:
        return f"{self.api_base}/survey/{tokens.make('survey', pledge.id, self.secret)}" if self.secret else ""

    def referral(self, pledge: Pledge) -> str:
        campaign = self.catalog.campaigns.get(pledge.campaign)
        return f"{campaign.page(pledge.lang).url}?ref={pledge.ref_code}" if campaign else ""


def links_for(catalog: Catalog, secret: str | None, origin: str | None = None) -> Links:
    """The links every message carries: one builder for the scheduled function, the webhook,
    ``cagnotte serve`` and ``cagnotte settle``, so each of them decides the same mails.

    ``origin`` is serve's own address (links then point there); otherwise the
    catalog's public API address.
    """
    return Links(catalog=catalog, api_base=f"{origin}/api" if origin else catalog.api, secret=secret)


def _kind(before: Pledge, after: Pledge) -> str | None:
    if before.status == after.status:
        if after.status == PLEDGED and (before.reward, before.amount) != (after.reward, after.amount):
            return "changed"
        return None
    if after.status in (PLEDGED, PAID) and before.status not in (PLEDGED, PAID, COLLECTED):
        return "confirmation"
    if after.status == COLLECTED and before.status == PLEDGED:
        return "receipt"
    if after.status == COLLECTED and before.status == PAYMENT_FAILED:
        return "receipt"
    if after.status == PAYMENT_FAILED:
        return "payment_failed"
    if after.status == CANCELLED:
        return "unfunded" if after.cancel_reason == UNFUNDED else "cancelled"
    return None


def items(pledge: Pledge) -> dict[str, str]:
    """What a mail names beside the reward: its units and the add-ons (``poster:1,sticker:2``)."""
    return {"quantity": str(pledge.quantity),
            "addons": ",".join(f"{addon}:{units}" for addon, units in pledge.addons)}


def mails_for(before: Pledge, after: Pledge, links: Links | None, now: dt.datetime) -> tuple[Mail, ...]:
    """The messages this change calls for (none without an address or links)."""
    if links is None or not after.email:
        return ()
    kind = _kind(before, after)
    if kind is None:
        return ()
    campaign = links.catalog.campaigns.get(after.campaign)
    if campaign is None:
        return ()
    receipt_id = f"{kind}:{after.id}:{after.fix_attempts}" if kind == "receipt" and before.status == PAYMENT_FAILED \
        else None
    mail_id = receipt_id or (f"{kind}:{after.id}" if kind in ONCE else f"{kind}:{after.id}:{after.version}")
    values = {
        "pledge_id": after.id,
        "amount_minor": str(after.amount - after.refunded),
        "currency": after.currency,
        "reward_id": after.reward or "",
        **items(after),
        "manage_url": links.manage(after),
        "referral_url": links.referral(after),
        # A late pledge is paid at once: its messages read as a flexible campaign's (charged now).
        "funding": "flexible" if after.late else campaign.funding,
    }
    reward = campaign.reward(after.reward) if after.reward else None
    if kind in ("receipt", "confirmation") and reward is not None and reward.download and \
            after.status in (COLLECTED, PAID):
        values["download"] = "1"  # its code or download links are on the manage page, ready now
        if reward.files and links.secret:  # and the files' own links, signed, for 7 days
            from .downloads import link_token

            values["download_urls"] = "\n".join(
                f"{links.api_base}/download/{link_token(after.id, name, now, links.secret)}" for name in reward.files)
    if kind == "payment_failed" and after.fix_deadline:
        values["fix_url"] = links.fix(after)
        values["fix_deadline"] = after.fix_deadline.date().isoformat()
    return (Mail(id=mail_id, kind=kind, campaign=after.campaign, lang=after.lang or campaign.language, to=after.email,
                 values=values, pledge_id=after.id, created_at=now),)


def fix_reminder(pledge: Pledge, links: Links, now: dt.datetime) -> Mail | None:
    """The one reminder before a failed payment's 7-day window closes."""
    campaign = links.catalog.campaigns.get(pledge.campaign)
    if pledge.status != PAYMENT_FAILED or not pledge.email or not pledge.fix_deadline or campaign is None:
        return None
    return Mail(id=f"fix_reminder:{pledge.id}", kind="fix_reminder", campaign=pledge.campaign,
                lang=pledge.lang or campaign.language, to=pledge.email, pledge_id=pledge.id, created_at=now,
                values={"pledge_id": pledge.id, "amount_minor": str(pledge.amount - pledge.refunded),
                        "currency": pledge.currency, "reward_id": pledge.reward or "", **items(pledge),
                        "fix_url": links.fix(pledge),
                        "fix_deadline": pledge.fix_deadline.date().isoformat(), "manage_url": links.manage(pledge),
                        "funding": campaign.funding, "referral_url": links.referral(pledge)})


def survey(pledge: Pledge, links: Links, now: dt.datetime) -> Mail | None:
    """The pledge manager's invitation after settlement: its survey's signed link (once per pledge)."""
    campaign = links.catalog.campaigns.get(pledge.campaign)
    if campaign is None or not pledge.email or not links.secret:
        return None
    return Mail(id=f"survey:{pledge.id}", kind="survey", campaign=pledge.campaign,
                lang=pledge.lang or campaign.language, to=pledge.email, pledge_id=pledge.id, created_at=now,
                values={"pledge_id": pledge.id, "amount_minor": str(pledge.amount - pledge.refunded),
                        "currency": pledge.currency, "reward_id": pledge.reward or "", **items(pledge),
                        "survey_url": links.survey(pledge), "manage_url": links.manage(pledge),
                        "referral_url": links.referral(pledge), "funding": campaign.funding})


def card_expiring(pledge: Pledge, links: Links, expires: tuple[int, int], now: dt.datetime) -> Mail | None:
    """A warning when the saved card expires before the deadline (it would be declined)."""
    campaign = links.catalog.campaigns.get(pledge.campaign)
    if campaign is None or not pledge.email:
        return None
    month, year = expires
    if (year, month) >= (campaign.ends.year, campaign.ends.month):
        return None  # a card is valid to the end of its expiry month
    return Mail(id=f"card_expiring:{pledge.id}", kind="card_expiring", campaign=pledge.campaign,
                lang=pledge.lang or campaign.language, to=pledge.email, pledge_id=pledge.id, created_at=now,
                values={"pledge_id": pledge.id, "amount_minor": str(pledge.amount), "currency": pledge.currency,
                        "reward_id": pledge.reward or "", **items(pledge), "manage_url": links.manage(pledge),
                        "referral_url": links.referral(pledge), "funding": campaign.funding,
                        "card_expires": f"{year:04d}-{month:02d}"})


def digest(campaign, email: str, counters, day: dt.date, now: dt.datetime) -> Mail | None:
    """The creator's daily digest for ``day`` (UTC): new pledges and the milestones crossed.

    None when nothing happened that day. One per campaign and day (the row id).
    """
    key = day.isoformat()
    added = counters.days.get(key)
    if not added or added == (0, 0):
        return None
    before_raised = sum(r for d, (r, _) in counters.days.items() if d < key)
    before_backers = sum(b for d, (_, b) in counters.days.items() if d < key)
    raised, backers = before_raised + added[0], before_backers + added[1]
    milestones = []
    if before_backers == 0 < backers:
        milestones.append("first_backer")
    for share, name in ((50, "half"), (100, "goal")):
        line = campaign.goal * share // 100
        if before_raised < line <= raised:
            milestones.append(name)
    milestones += [f"stretch:{amount}" for amount in campaign.stretch_goals if before_raised < amount <= raised]
    values = {"day": key, "new_pledges": str(max(added[1], 0)), "raised_minor": str(raised),
              "backers": str(backers), "currency": campaign.currency, "goal_minor": str(campaign.goal),
              "milestones": ",".join(milestones), "funding": campaign.funding}
    guess = trend(counters.days, day, campaign.starts, campaign.ends, raised, campaign.currency)
    if guess:
        values.update({"trend_minor": str(guess[0]), "trend_low_minor": str(guess[1]),
                       "trend_high_minor": str(guess[2]), "ends": campaign.ends.date().isoformat()})
    return Mail(id=f"digest:{campaign.slug}:{key}", kind="digest", campaign=campaign.slug, lang=campaign.language,
                to=email, created_at=now, values=values)


TREND_DAYS = 7
TREND_Z = 1.28  # ±1.28 standard deviations: about 4 chances in 5


def trend(days: dict[str, tuple[int, int]], day: dt.date, starts: dt.datetime | None, ends: dt.datetime,
          raised: int, currency: str) -> tuple[int, int, int] | None:
    """The creator's projection at the end of ``day``: (expected, low, high) in minor units, or None.

    The estimate js/chart.js draws on the page (there only as a line, when its range is
    narrow): the average daily amount of the last 7 UTC days continued to the deadline,
    with the range a total lands in 4 times out of 5 if each remaining day varies as
    those did. None before a full week of history, after the deadline, or with nothing
    raised lately.
    """
    import math

    from .money import exponent

    end_of_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.timezone.utc)
    first = dt.date.fromisoformat(min(days)) if days else day
    start = starts.astimezone(dt.timezone.utc).date() if starts else first
    if (day - start).days + 1 < TREND_DAYS or end_of_day >= ends:
        return None
    added = [days.get((day - dt.timedelta(days=i)).isoformat(), (0, 0))[0] for i in range(TREND_DAYS)]
    rate = sum(added) / TREND_DAYS
    if rate <= 0:
        return None
    sd = math.sqrt(sum((x - rate) ** 2 for x in added) / (TREND_DAYS - 1))
    remaining = (ends - end_of_day).total_seconds() / 86400
    sigma = sd * math.sqrt(remaining + remaining * remaining / TREND_DAYS)
    expected = raised + rate * remaining
    step = max(10 ** exponent(currency), 10 ** (math.floor(math.log10(expected)) - 1))
    return (round(expected / step) * step, max(raised, math.floor((expected - TREND_Z * sigma) / step) * step),
            math.ceil((expected + TREND_Z * sigma) / step) * step)
