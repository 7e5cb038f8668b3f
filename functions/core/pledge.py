"""Pledges: the ledger's records, and the decision to open one.

A pledge is opened from a backer's request checked against the catalog (never
trusting a price, limit or date from the client), then moves through its
statuses as Stripe's events arrive (:mod:`functions.core.events`). Counters are
derived from the statuses only (:func:`counted`, :func:`holds_unit`), so a
ledger can always be recounted (``reconcile``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from . import money, stripe_money
from .catalog import CatalogAddon, CatalogCampaign, CatalogReward
from .errors import Invalid, NotFound, NotLive
# The records live in the model (functions/core/model.py); the flows and the
# stores have long taken them from here, so they stay importable by these names.
from .model import (CANCELLED, COLLECTED, DROPPED, EXPIRED, FAILED, PAID, PAYMENT_FAILED, PENDING, PLEDGED,
                    PROCESSING, REFUNDED, STATUSES, UNFUNDED, CheckoutLine, CheckoutRequest, Pledge, counted, from_record,
                    holds_unit, to_record)

__all__ = ["CANCELLED", "COLLECTED", "DROPPED", "EXPIRED", "FAILED", "PAID", "PAYMENT_FAILED", "PENDING", "PLEDGED",
           "PROCESSING", "REFUNDED", "STATUSES", "UNFUNDED", "CHECKOUT_TTL", "MIN_CHECKOUT_TTL", "REF",
           "Pledge", "PledgeRequest", "Opening", "counted", "holds_unit", "open_pledge", "to_record", "from_record"]

# Stripe refuses a Checkout ``expires_at`` less than 30 minutes after it creates the session, by
# its own clock. ``now`` is read before the store's write and the call (retries included, see
# functions/payments/stripe_budget.py): 5 minutes of margin cover those and clock skew. The pledge's
# ``expires_at`` (its reservation) is this same instant: the unit is held until Stripe's
# ``checkout.session.expired``, never released while the session can still complete.
MIN_CHECKOUT_TTL = dt.timedelta(minutes=30)
CHECKOUT_TTL = MIN_CHECKOUT_TTL + dt.timedelta(minutes=5)
REF = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
LANG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8}){0,2}$")
# What a language may put between digit groups (CLDR: a no-break or narrow no-break space in
# French, a dot in German, an apostrophe in Swiss German); a backer's space is taken as that too.
_SPACES = (" ", "\u00a0", "\u202f")
# Add-ons one pledge may name (each is one more write in its transaction: DynamoDB takes 100 items).
MAX_ADDONS = 20
MAX_QUANTITY = 999_999  # Stripe's largest line-item quantity


def local_amount(text: str, decimal: str, group: str) -> str:
    """A backer's amount as the page's language writes it (``1 234,50`` in French) in the
    ASCII form :func:`money.to_minor` reads (``1234.50``).

    Only that language's decimal sign is a decimal point: ``12,50`` is 12.50 on a French
    page and refused on an English one (where it would be read as 1250). Group
    separators are dropped only between groups of three digits.
    """
    raw = text.strip()
    if group in _SPACES or group == "'" or group == "\u2019":
        candidates = _SPACES + (group,)
    else:
        candidates = (group,)
    for sign in candidates:
        if sign and sign != decimal and sign in raw:
            whole, dot, fraction = raw.partition(decimal)
            parts = whole.split(sign)
            if all(p.isascii() and p.isdigit() for p in parts) and all(len(p) == 3 for p in parts[1:]) \
                    and 1 <= len(parts[0]) <= 3:
                raw = "".join(parts) + dot + fraction
    if decimal != "." and decimal in raw:
        if "." in raw:
            return text  # both signs: not the page's way of writing it, let the parser refuse it
        raw = raw.replace(decimal, ".", 1)
    return raw


@dataclass(frozen=True)
class PledgeRequest:
    """What a backer asked for, as sent (strings from a form or JSON)."""

    campaign: str
    reward: str | None = None
    amount: str | None = None
    ref: str | None = None
    lang: str | None = None  # the language of the page pledged from (its <html lang>)
    quantity: str | None = None  # units of the reward (its max_per_backer bounds it)
    addons: tuple[tuple[str, str], ...] = ()  # (add-on id, units) as sent, in the order sent

    @classmethod
    def from_fields(cls, data: dict) -> "PledgeRequest":
        def text(name: str) -> str | None:
            value = data.get(name)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise Invalid(f"'{name}' must be a string")
            value = str(value).strip()
            return value or None

        campaign = text("campaign")
        if not campaign:
            raise Invalid("'campaign' is required")
        lang = text("lang")
        if lang is not None and not LANG.match(lang):
            lang = None  # not a language tag: the campaign's own language answers
        addons: dict[str, str] = {}
        sent = data.get("addons")
        if sent is not None:  # JSON: "addons": {"poster": 2}
            if not isinstance(sent, dict):
                raise Invalid("'addons' must be an object of add-on ids and quantities")
            items = list(sent.items())
        else:  # a form: addon.poster=2 (a checkbox sends 1)
            items = [(key[len("addon."):], value) for key, value in data.items()
                     if isinstance(key, str) and key.startswith("addon.")]
        if len(items) > MAX_ADDONS:
            raise Invalid(f"a pledge takes at most {MAX_ADDONS} add-ons")
        for key, value in items:
            name = f"addons.{key}"
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise Invalid(f"'{name}' must be a whole number")
            value = str(value).strip()
            if value:
                addons[str(key)] = value
        return cls(campaign=campaign, reward=text("reward"), amount=text("amount"), ref=text("ref"), lang=lang,
                   quantity=text("quantity"), addons=tuple(addons.items()))


@dataclass(frozen=True)
class Opening:
    """A decided pledge: the record to write and the Checkout session to open."""

    pledge: Pledge
    limit: int | None  # the reward's
    checkout: CheckoutRequest
    limits: dict | None = None  # every item's limit (reward and add-ons), what the store holds


def open_pledge(request: PledgeRequest, campaign: CatalogCampaign | None, *, now: dt.datetime,
                pledge_id: str, ref_code: str, funded: bool = False) -> Opening:
    """Check a request against the catalog and decide the pledge (no I/O).

    Raises :class:`NotFound` (unknown campaign or reward), :class:`NotLive`
    (not open yet or ended) or :class:`Invalid` (amount, ref).
    """
    if campaign is None:
        raise NotFound(f"no campaign '{request.campaign}'")
    late = False
    shipping_due = 0
    if not campaign.is_live(now):
        # After the deadline, late pledges (late_pledges: true) until late_until: a flexible
        # campaign stays open; an all-or-nothing one only if it reached its goal (``funded``).
        late = campaign.late_window(now) and (campaign.funding == "flexible" or funded)
        if not late:
            when = "has not started yet" if campaign.starts and now < campaign.starts else "has ended"
            if campaign.late_window(now):
                raise NotLive(f"the campaign '{campaign.slug}' did not reach its goal: late pledges are closed",
                              hint=("late_unfunded",))
            raise NotLive(f"the campaign '{campaign.slug}' {when}: pledges are closed")
    if request.ref is not None and not REF.match(request.ref):
        raise Invalid("'ref' must be 1 to 64 letters, digits, '-' or '_'")

    page = campaign.page(request.lang)
    chosen = choose(campaign, request.reward, request.quantity, request.addons, late=late)
    reward, quantity, addons = chosen.reward, chosen.quantity, chosen.addons
    shipping_due, countries = chosen.shipping_due, chosen.countries
    sent = local_amount(request.amount, page.decimal, page.group) if request.amount is not None else None
    amount = amount_for(sent, chosen, campaign.currency)

    mode = "setup" if campaign.funding == "all_or_nothing" and not late else "payment"  # a late pledge: at once
    expires = now + CHECKOUT_TTL
    pledge = Pledge(id=pledge_id, campaign=campaign.slug, reward=reward.id if reward else None,
                    amount=amount, currency=campaign.currency, mode=mode, status=PENDING,
                    created_at=now, updated_at=now, expires_at=expires, ref_code=ref_code,
                    ref=request.ref, lang=page.lang, quantity=quantity,
                    addons=tuple((a.id, n) for a, n in addons), late=late, shipping_due=shipping_due)
    separator = "&" if "?" in page.thanks_url else "?"
    checkout = CheckoutRequest(
        pledge_id=pledge_id, campaign=campaign.slug, campaign_title=page.title,
        reward=pledge.reward, description=describe(page, reward, quantity, addons) if reward else page.title,
        amount=amount, currency=campaign.currency, mode=mode,
        success_url=f"{page.thanks_url}{separator}session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=page.url, expires_at=expires, ref=request.ref,
        shipping_countries=countries, locale=page.lang,
        deadline=campaign.ends if mode == "setup" else None,
        lines=checkout_lines(page, reward, quantity, addons, amount, late) if addons or quantity > 1 else ())
    return Opening(pledge=pledge, limit=reward.limit if reward else None, checkout=checkout, limits=chosen.limits)


@dataclass(frozen=True)
class Chosen:
    """The items of a pledge, checked against the catalog and priced (no amount yet)."""

    reward: CatalogReward | None
    quantity: int
    addons: tuple[tuple[CatalogAddon, int], ...]  # sorted by id, none with 0 units
    minimum: int  # what the items cost: prices × quantities and one parcel (unless shipped at fulfilment)
    shipping_due: int  # shipping charged at fulfilment (the reward says ``at_fulfilment``)
    countries: tuple[str, ...]  # where the parcel may go; () nothing ships

    @property
    def limits(self) -> dict:
        return {self.reward.id: self.reward.limit, **{a.id: a.limit for a, _ in self.addons}} if self.reward else {}


def choose(campaign: CatalogCampaign, reward_id: str | None, quantity_text: str | None,
           addon_items, *, late: bool = False) -> Chosen:
    """A reward with its quantity and add-ons as sent (strings), checked and priced from the catalog.

    The one reading of items for a new pledge and for the manage page's changes.
    """
    if reward_id is None:
        if addon_items:
            raise Invalid("an add-on is taken with a reward: choose one", hint=("addon_without_reward",))
        if quantity_text is not None:
            raise Invalid("'quantity' is the reward's: choose one", hint=("addon_without_reward",))
        return Chosen(None, 1, (), 1, 0, ())
    reward = campaign.reward(reward_id)
    if reward is None:
        raise NotFound(f"no reward '{reward_id}' in '{campaign.slug}'")
    quantity = _units("quantity", quantity_text, reward.max_per_backer, minimum=1) if quantity_text is not None else 1
    addons: list[tuple[CatalogAddon, int]] = []
    for addon_id, text in addon_items:
        addon = campaign.addon(addon_id)
        if addon is None:
            raise NotFound(f"no add-on '{addon_id}' in '{campaign.slug}'")
        units = _units(f"addons.{addon.id}", text, addon.max_per_backer, minimum=0)
        if units and not addon.goes_with(reward.id):
            raise Invalid(f"the add-on '{addon.id}' does not go with the reward '{reward.id}'",
                          hint=("addon_requires", addon.id))
        if units:
            addons.append((addon, units))
    addons.sort(key=lambda pair: pair[0].id)
    # Shipping at fulfilment (the reward says so): not in this payment; charged when it ships.
    later = bool(reward.shipping and reward.shipping.at_fulfilment)
    shipping = shipping_cost(reward, addons)
    minimum = reward.price(late) * quantity + sum(a.price(late) * n for a, n in addons) + (0 if later else shipping)
    countries = shipping_countries(reward, addons)
    if countries == ("",):
        raise Invalid("these items ship to no common country: choose others", hint=("addon_shipping",))
    return Chosen(reward, quantity, tuple(addons), minimum, shipping if later else 0, countries)


def amount_for(text: str | None, chosen: Chosen, currency: str) -> int:
    """The amount of a pledge on ``chosen``: ``text`` (major units, ASCII, a decimal point), or the items'
    total without one; at least that total, and one Stripe can charge (now or at the deadline)."""
    if text is None:
        if chosen.reward is None:
            raise Invalid("'amount' is required when no reward is chosen", hint=("amount_required",))
        amount = chosen.minimum
    else:
        try:
            amount = money.to_minor(text, currency)
        except money.MoneyError as error:
            raise Invalid(f"'amount': {error}", hint=("amount_unreadable", currency)) from None
        if amount < chosen.minimum:
            raise Invalid(f"'amount' must be at least {money.format_plain(chosen.minimum, currency)}"
                          + (f" for the reward '{chosen.reward.id}'" if chosen.reward else ""),
                          hint=("amount_min_reward" if chosen.reward else "amount_min", chosen.minimum, currency))
    # Stripe's limits (minimum, 8 digits) and decimals: an amount it would refuse, now or at the deadline.
    problem = stripe_money.charge_problem(amount, currency)
    if problem:
        raise Invalid(f"'amount': {problem}", hint=stripe_money.charge_hint(amount, currency))
    return amount


def describe(page, reward: CatalogReward, quantity: int, addons) -> str:
    """What the backer sees on Checkout: ``Limited vinyl × 2 + Poster``."""
    parts = [(page.reward_title(reward), quantity)] + [(page.addon_title(a), n) for a, n in addons]
    return " + ".join(title if n == 1 else f"{title} × {n}" for title, n in parts)


def _units(name: str, text: str, most: int, *, minimum: int) -> int:
    """A quantity as sent: a whole number from ``minimum`` to ``most`` (the item's max_per_backer)."""
    if not (text.isascii() and text.isdigit()):
        raise Invalid(f"'{name}' must be a whole number", hint=("quantity_unreadable",))
    units = int(text)
    if units < minimum or units > most:
        raise Invalid(f"'{name}' must be from {minimum} to {most}", hint=("quantity_range", minimum, most))
    return units


def shipping_cost(reward: CatalogReward, addons) -> int:
    """Shipping once per pledge: one parcel, at the highest shipping cost of its items."""
    costs = [item.shipping.cost for item in (reward, *(a for a, _ in addons)) if item.shipping]
    return max(costs, default=0)


def shipping_countries(reward: CatalogReward | None, addons) -> tuple[str, ...]:
    """Where the parcel may go: the countries every shipped item ships to (``("",)``: none in common)."""
    shipped = [item.shipping.countries for item in ((reward,) if reward else ()) + tuple(a for a, _ in addons)
               if item.shipping]
    if not shipped:
        return ()
    common = [c for c in shipped[0] if all(c in other for other in shipped[1:])]
    return tuple(common) or ("",)


def checkout_lines(page, reward: CatalogReward, quantity: int, addons, amount: int,
                   late: bool = False) -> tuple[CheckoutLine, ...]:
    """Checkout's lines: each item with its quantity, the shipping, and what the backer adds beyond."""
    lines = [CheckoutLine(page.reward_title(reward), reward.price(late), quantity)]
    lines += [CheckoutLine(page.addon_title(a), a.price(late), n) for a, n in addons]
    cost = 0 if reward.shipping and reward.shipping.at_fulfilment else shipping_cost(reward, addons)
    if cost:
        lines.append(CheckoutLine("shipping", cost, 1, kind="shipping"))
    extra = amount - sum(line.amount * line.quantity for line in lines)
    if extra > 0:
        lines.append(CheckoutLine("support", extra, 1, kind="extra"))
    return tuple(line for line in lines if line.amount > 0)
