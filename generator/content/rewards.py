"""A campaign's rewards and add-ons in front matter: prices, limits, shipping, how they reach
their backer (shipped, picked up, lived, downloaded), late prices; each mistake with its line.

Part of :mod:`generator.content.documents` (one file's text, nothing else read).
"""

from __future__ import annotations

import re
from functools import lru_cache

import yaml

from functions.core import money, stripe_money
from generator.content.fields import Fields
from generator.content.model import Reward, Shipping

REWARD_FIELDS = ("id", "title", "amount", "description", "limit", "delivery", "shipping", "max_per_backer",
                 "late_amount", "files", "codes")
ADDON_FIELDS = ("id", "title", "amount", "description", "limit", "shipping", "requires", "max_per_backer",
                "late_amount")
MAX_ADDONS = 20  # functions.core.pledge.MAX_ADDONS: one pledge's transaction stays within DynamoDB's 100 items
MAX_PER_BACKER = 999  # more is not a backer's pledge (and Checkout's quantities stay small)


def _markdown(text: str, base: str) -> str:
    from generator.content.markdown import to_html  # imported only when something is parsed

    return to_html(text, base)


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    from babel import Locale

    return frozenset(code for code in Locale("en").territories if re.match(r"^[A-Z]{2}$", code))


def rewards(f: Fields, currency: str | None, base: str, v_lines: dict) -> tuple[Reward, ...]:
    rewards, seen = [], set()
    for r in f.items("rewards"):
        r.allow(REWARD_FIELDS)
        rid = r.slug("id", required=True)
        if rid and rid in seen:
            r.error(r.at("id"), f"reward id '{rid}' is used twice: ids must be unique in a campaign")
        seen.add(rid)
        title = r.text("title", required=True, one_line=True)
        amount = r.amount("amount", currency, required=True)
        limit = r.integer("limit", minimum=1)
        download = r.raw("delivery") == "download"
        delivery = None if download else r.month("delivery")
        files, codes = _download(r, download, limit, v_lines)
        shipping = _shipping(r, currency)
        handover, place = _handover(r)
        _charge_problem(r, amount, shipping, currency)
        most = _max_per_backer(r, limit)
        late = _late_amount(r, currency, shipping)
        description = _markdown(r.text("description"), base)
        if rid and amount is not None:
            rewards.append(Reward(rid, title, amount, description, limit, delivery, shipping, handover, place,
                                  max_per_backer=most, late_amount=late, download=download, files=files,
                                  codes=codes))
            if download:
                v_lines[f"rewards.{rid}.files" if files else f"rewards.{rid}.codes"] = r.at("files" if files else "codes")
    return tuple(rewards)


def at_fulfilment_problems(f: Fields, v: dict) -> None:
    """``shipping: {…, at_fulfilment: true}`` charges the saved card later: all or nothing only."""
    if v.get("funding") == "all_or_nothing":
        return
    for reward in v.get("rewards", ()):
        if reward.shipping and reward.shipping.at_fulfilment:
            f.error(f.at("funding"), f"reward '{reward.id}' charges its shipping at fulfilment, which needs the card "
                                     "an all-or-nothing campaign saves: use funding: all_or_nothing, or drop "
                                     "at_fulfilment")


_DOWNLOAD_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")


def _download(r: Fields, download: bool, limit: int | None, lines: dict) -> tuple[tuple[str, ...], str]:
    """``files:`` or ``codes:`` of a ``delivery: download`` reward (whether they exist: assemble, loader)."""
    name_problem = (lambda name: None if _DOWNLOAD_NAME.match(name) and ".." not in name else
                    f"'{name}' must be a file name beside index.md (letters, digits, '.', '-', '_'; no folder)")
    files = r.strings("files", check=name_problem)
    codes = r.text("codes", one_line=True)
    if not download:
        for key in ("files", "codes"):
            if key in r:
                r.error(r.at(key), f"'{r.where}{key}' is for a digital reward: add 'delivery: download'")
        return (), ""
    if bool(files) == bool(codes):
        r.error(r.at("delivery"), f"'{r.where}delivery: download' needs exactly one of 'files' "
                                  "(a list of files beside index.md) or 'codes' (a file of codes, one per line)")
        return (), ""
    if codes:
        problem = name_problem(codes)
        if problem:
            r.error(r.at("codes"), f"'{r.where}codes': {problem}")
            return (), ""
        if limit is None:
            r.error(r.at("codes"), f"'{r.where}codes' needs a 'limit' (at most the number of codes): "
                                   "each backer gets their own code")
    if len(set(files)) != len(files):
        r.error(r.at("files"), f"'{r.where}files' names a file twice")
    return files, codes


def _late_amount(r: Fields, currency: str | None, shipping, kind: str = "reward") -> int | None:
    """A reward's (or add-on's) ``late_amount``: its price for late pledges, one Stripe can charge."""
    if "late_amount" not in r:
        return None
    late = r.amount("late_amount", currency)
    if late is not None and chargeable(currency):
        cost = shipping.cost if shipping and kind == "reward" else 0
        problem = stripe_money.charge_problem(late + cost, currency)
        if problem:
            r.error(r.at("late_amount"), f"'{r.where}late_amount': {problem}")
            return None
    return late


def _max_per_backer(r: Fields, limit: int | None) -> int:
    most = r.integer("max_per_backer", minimum=1)
    if most is None:
        return 1
    if most > MAX_PER_BACKER:
        r.error(r.at("max_per_backer"), f"'{r.where}max_per_backer' must be at most {MAX_PER_BACKER}")
        return 1
    if limit is not None and most > limit:
        r.error(r.at("max_per_backer"), f"'{r.where}max_per_backer' ({most}) is more than its 'limit' ({limit})")
        return 1
    return most


def addons(f: Fields, currency: str | None, base: str, rewards: tuple[Reward, ...]) -> tuple[Reward, ...]:
    """``addons:``: items added to a reward, each with its price, limit, shipping and the rewards it goes with."""
    addons, seen = [], set()
    reward_ids = {r.id for r in rewards}
    items = f.items("addons")
    if len(items) > MAX_ADDONS:
        f.error(f.at("addons"), f"'addons' lists {len(items)} add-ons: at most {MAX_ADDONS}")
    for a in items:
        a.allow(ADDON_FIELDS)
        aid = a.slug("id", required=True)
        if aid and aid in reward_ids:
            a.error(a.at("id"), f"add-on id '{aid}' is a reward's id: ids must be unique in a campaign")
        elif aid and aid in seen:
            a.error(a.at("id"), f"add-on id '{aid}' is used twice: ids must be unique in a campaign")
        seen.add(aid)
        title = a.text("title", required=True, one_line=True)
        amount = a.amount("amount", currency, required=True)
        limit = a.integer("limit", minimum=1)
        raw = a.raw("shipping")
        if raw is not None and raw not in ("none", "digital"):
            a.error(a.at("shipping"), f"'{a.where}shipping' must be none, digital or {{countries: [FR], cost: 5}}, "
                                      f"not '{raw}'")
        shipping = _shipping(a, currency) if raw is None else None
        if _shipping_keys(a) & set(HANDOVERS):
            a.error(a.at("shipping"), f"'{a.where}shipping': an add-on ships with its reward or not at all "
                                      "(none, digital or {countries: [FR], cost: 5})")
        _charge_problem(a, amount, shipping, currency, "add-on")
        requires = a.strings("requires")
        for rid in requires:
            if rid not in reward_ids:
                a.error(a.at("requires"), f"'{a.where}requires': reward '{rid}' does not exist in 'rewards'")
        most = _max_per_backer(a, limit)
        late = _late_amount(a, currency, shipping, "add-on")
        description = _markdown(a.text("description"), base)
        if aid and amount is not None:
            addons.append(Reward(aid, title, amount, description, limit, None, shipping,
                                 "digital" if raw == "digital" else "", "", max_per_backer=most,
                                 requires=tuple(requires), late_amount=late))
    return tuple(addons)


HANDOVERS = ("pickup", "experience")  # shipping: {pickup: place} / {experience: place}


def _shipping_keys(r: Fields) -> set[str]:
    """The keys of a ``shipping:`` mapping (none when it is a word)."""
    node = r.nodes.get("shipping")
    return {key.value for key, _ in node.value} if isinstance(node, yaml.MappingNode) else set()


def _shipping(r: Fields, currency: str | None) -> Shipping | None:
    if "shipping" not in r:
        return None
    raw = r.raw("shipping")
    if raw in ("none", "digital"):
        return None
    if raw is not None:
        r.error(r.at("shipping"), f"'{r.where}shipping' must be none, digital, {{countries: [FR], cost: 5}}, "
                                  f"{{pickup: a place}} or {{experience: a place}}, not '{raw}'")
        return None
    if _shipping_keys(r) & set(HANDOVERS):
        return None  # nothing ships: _handover reads it
    s = r.mapping("shipping")
    if s is None:
        return None
    s.allow(("countries", "cost", "at_fulfilment"))
    known = _countries()
    countries = s.strings("countries", check=lambda c: None if c in known else f"'{c}' is not an ISO 3166 country code such as FR")
    if "countries" not in s:
        s.error(s.line, f"missing required field '{s.where}countries'")
    cost = s.amount("cost", currency, positive=False) if "cost" in s else 0
    later = s.boolean("at_fulfilment")
    if later and not cost:
        s.error(s.at("at_fulfilment"), f"'{s.where}at_fulfilment' charges the shipping 'cost' later: give one")
        later = False
    return Shipping(countries, cost or 0, later)


def _handover(r: Fields) -> tuple[str, str]:
    """How a reward that does not ship reaches its backer: ``("digital", "")``, ``("pickup", place)``,
    ``("experience", place)``, or ``("", "")`` when the campaign does not say."""
    if "shipping" not in r:
        return "", ""
    if r.raw("shipping") == "digital":
        return "digital", ""
    keys = _shipping_keys(r)
    kinds = [kind for kind in HANDOVERS if kind in keys]
    if not kinds:
        return "", ""
    s = r.mapping("shipping")
    if s is None:
        return "", ""
    s.allow(HANDOVERS)
    if len(kinds) > 1:
        s.error(s.at(kinds[1]), f"'{s.where}pickup' and '{s.where}experience' exclude each other: choose one")
    place = s.text(kinds[0], required=True, one_line=True)
    return kinds[0], place or ""


def chargeable(currency: str | None) -> bool:
    # An unknown or unsupported currency is reported once, at 'currency'; its amounts are not judged.
    return currency is not None and stripe_money.is_supported(currency)


def _charge_problem(r: Fields, amount: int | None, shipping: Shipping | None, currency: str | None,
                    what: str = "reward") -> None:
    """A reward's pledge (its amount with shipping) must be one payment Stripe can take."""
    if amount is None or not chargeable(currency):
        return
    cost = shipping.cost if shipping else 0
    if shipping and shipping.at_fulfilment:  # charged on its own, when the reward ships
        problem = stripe_money.charge_problem(cost, currency)
        if problem:
            r.error(r.at("shipping"), f"'{r.where}shipping.cost' is charged on its own at fulfilment: {problem}")
        cost = 0
    problem = stripe_money.unit_problem(cost, currency) if cost else None
    if problem:
        r.error(r.at("shipping"), f"'{r.where}shipping.cost': {problem}")
        return
    problem = stripe_money.charge_problem(amount + cost, currency)
    if problem and cost:
        problem += f" (the {what} with its shipping is {money.format_plain(amount + cost, currency)})"
    if problem:
        r.error(r.at("amount"), f"'{r.where}amount': {problem}")
