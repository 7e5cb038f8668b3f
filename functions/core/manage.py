"""A backer's own changes before the deadline: cancel, or move to another reward.

Only an all-or-nothing pledge whose card is saved (``pledged``) can change, and
only while the campaign is live: after the deadline the card is charged (or
not) as it stands. A flexible pledge is already paid: the creator refunds it.
"""

from __future__ import annotations

import datetime as dt

from . import money, stripe_money
from .catalog import CatalogCampaign
from .errors import ApiError, Invalid, NotFound, NotLive
from .pledge import CANCELLED, PLEDGED, Pledge, shipping_cost


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
         now: dt.datetime) -> tuple[Pledge, int | None]:
    """The pledge on another reward (or none) and amount; and the new reward's limit."""
    _check(pledge, campaign, now)
    reward = None
    minimum = 1
    kept: list = []
    if reward_id:
        reward = campaign.reward(reward_id)
        if reward is None:
            raise NotFound(f"no reward '{reward_id}' in '{campaign.slug}'")
        # Its add-ons stay while they go with the new reward (their units are already held); the
        # reward's quantity goes back to one. Changing add-ons here is for later (docs/pledges.md).
        kept = [(a, n) for a, n in ((campaign.addon(i), n) for i, n in pledge.addons)
                if a is not None and a.goes_with(reward.id)]
        minimum = reward.amount + sum(a.amount * n for a, n in kept) + shipping_cost(reward, kept)
    if amount:
        try:
            value = money.to_minor(amount, campaign.currency)
        except money.MoneyError as error:
            raise Invalid(f"'amount': {error}", hint=("amount_unreadable", campaign.currency)) from None
    elif reward is not None:
        value = minimum
    else:
        raise Invalid("'amount' is required when no reward is chosen", hint=("amount_required",))
    if value < minimum:
        raise Invalid(f"'amount' must be at least {money.format_plain(minimum, campaign.currency)}",
                      hint=("amount_min_reward" if reward else "amount_min", minimum, campaign.currency))
    problem = stripe_money.charge_problem(value, campaign.currency)  # charged at the deadline: Stripe's limits
    if problem:
        raise Invalid(f"'amount': {problem}", hint=stripe_money.charge_hint(value, campaign.currency))
    after = pledge.replace(reward=reward.id if reward else None, amount=value, quantity=1,
                           addons=tuple((a.id, n) for a, n in kept))
    return after, reward.limit if reward else None

