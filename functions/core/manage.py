"""A backer's own changes before the deadline: cancel, or change the reward, its quantity, the add-ons
and the amount.

Only an all-or-nothing pledge whose card is saved (``pledged``) can change, and
only while the campaign is live: after the deadline the card is charged (or
not) as it stands. A flexible pledge is already paid: the creator refunds it.
"""

from __future__ import annotations

import datetime as dt

from . import pledge as pledges
from .catalog import CatalogCampaign
from .errors import ApiError, Invalid, NotLive
from .pledge import CANCELLED, PLEDGED, Pledge


class NotChangeable(ApiError):
    status, code = 409, "not_changeable"


def changeable(pledge: Pledge, campaign: CatalogCampaign, now: dt.datetime) -> bool:
    return pledge.mode == "setup" and pledge.status == PLEDGED and campaign.is_live(now)


def _check(pledge: Pledge, campaign: CatalogCampaign, now: dt.datetime) -> None:
    if pledge.mode != "setup":
        raise NotChangeable("this pledge was paid at once: ask the creator for a refund")
    if not campaign.is_live(now):
        raise NotLive("the campaign has ended: pledges can no longer change")
    if pledge.status != PLEDGED:
        raise NotChangeable(f"this pledge is {pledge.status.replace('_', ' ')}: it can no longer change")


def cancel(pledge: Pledge, campaign: CatalogCampaign, now: dt.datetime) -> Pledge:
    """The pledge cancelled by its backer (its unit goes back, it no longer counts)."""
    _check(pledge, campaign, now)
    return pledge.replace(status=CANCELLED, cancel_reason="backer")


def move(pledge: Pledge, campaign: CatalogCampaign, reward_id: str | None, amount: str | None,
         now: dt.datetime, *, quantity: str | None = None,
         addons: tuple[tuple[str, str], ...] | None = None) -> tuple[Pledge, dict]:
    """The pledge on another reward (or none), quantity, add-ons and amount; and every item's limit.

    ``addons`` is the add-ons the backer wants, as sent (id, units; a missing one
    is 0). Without it (``None``: a form that does not list them) the add-ons that
    go with the new reward stay and the others are released. The units move in
    the store's one transaction, all or none, never past a limit.
    """
    _check(pledge, campaign, now)
    if addons is None:
        kept = [(a, n) for a, n in ((campaign.addon(i), n) for i, n in pledge.addons)
                if a is not None and reward_id and a.goes_with(reward_id)]
        addons = tuple((a.id, str(n)) for a, n in kept)
    if not reward_id:  # no reward: no add-on either (one asked for is refused, the zeros of the form are not)
        addons = tuple((i, n) for i, n in addons if n.strip().lstrip("0"))
    chosen = pledges.choose(campaign, reward_id, quantity, addons)
    if pledge.country and chosen.countries and pledge.country not in chosen.countries:
        # The card and address are saved: the parcel must still reach that address.
        raise Invalid(f"these items do not ship to {pledge.country}", hint=("ships_to", chosen.countries))
    value = pledges.amount_for(amount or None, chosen, campaign.currency)
    after = pledge.replace(reward=chosen.reward.id if chosen.reward else None, amount=value,
                           quantity=chosen.quantity, addons=tuple((a.id, n) for a, n in chosen.addons),
                           shipping_due=chosen.shipping_due)
    return after, chosen.limits
