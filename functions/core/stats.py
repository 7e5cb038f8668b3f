"""The public figures of a campaign: what ``GET /campaigns/{slug}/stats`` answers.

Money is in integer minor units; nothing personal is ever included.
"""

from __future__ import annotations

import datetime as dt

from .catalog import CatalogCampaign
from .ports import Counters, Referral


def status(campaign: CatalogCampaign, raised: int, now: dt.datetime) -> str:
    """``upcoming``, ``live``, ``successful`` or ``ended`` (as the site names them)."""
    if campaign.starts is not None and now < campaign.starts:
        return "upcoming"
    if now < campaign.ends:
        return "live"
    return "successful" if raised >= campaign.goal else "ended"


def history(days: dict[str, tuple[int, int]]) -> list[dict]:
    """Cumulative totals at the end of each day that saw a change, oldest first."""
    raised = backers = 0
    out = []
    for day in sorted(days):
        add_raised, add_backers = days[day]
        if not add_raised and not add_backers:
            continue
        raised += add_raised
        backers += add_backers
        out.append({"date": day, "raised": raised, "backers": backers})
    return out


def stats(campaign: CatalogCampaign, counters: Counters, now: dt.datetime) -> dict:
    """The stats document of one campaign."""
    rewards = []
    for reward in campaign.rewards:
        claimed = max(counters.claimed.get(reward.id, 0), 0)
        remaining = None if reward.limit is None else max(reward.limit - claimed, 0)
        rewards.append({"id": reward.id, "claimed": claimed, "limit": reward.limit, "remaining": remaining,
                        "backers": max(counters.chosen.get(reward.id, 0), 0)})
    addons = []
    for addon in campaign.addons:
        claimed = max(counters.claimed.get(addon.id, 0), 0)
        addons.append({"id": addon.id, "claimed": claimed, "limit": addon.limit,
                       "remaining": None if addon.limit is None else max(addon.limit - claimed, 0)})
    updated = counters.updated_at
    return {
        "campaign": campaign.slug,
        "currency": campaign.currency,
        "goal": campaign.goal,
        "raised": counters.raised,
        "collected": counters.collected,
        "backers": counters.backers,
        "status": status(campaign, counters.raised, now),
        "ends": campaign.ends.isoformat(),
        "rewards": rewards,
        **({"addons": addons} if addons else {}),
        "history": history(counters.days),
        "updated_at": updated.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z") if updated else None,
    }


def referral(ref: Referral, campaign: CatalogCampaign) -> dict:
    return {"code": ref.code, "campaign": ref.campaign, "currency": campaign.currency,
            "pledges": ref.pledges, "raised": ref.raised}
