"""The pledge catalog: what the build publishes and the functions trust.

Prices, limits and dates of every campaign, in integer minor units and ISO 8601
with offsets. Nothing secret, nothing personal. The pledge functions read it
instead of anything the client sends.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

FORMAT = 1
FILENAME = "catalog.json"


@dataclass(frozen=True)
class CatalogShipping:
    countries: tuple[str, ...]
    cost: int  # minor units
    at_fulfilment: bool = False  # charged on the saved card when the reward ships, not with the pledge


@dataclass(frozen=True)
class CatalogReward:
    id: str
    title: str
    amount: int  # minor units: the minimum pledge for this reward
    limit: int | None = None
    shipping: CatalogShipping | None = None
    max_per_backer: int = 1  # units of it one pledge may take
    late_amount: int | None = None  # its price for a late pledge (None: the same)
    files: tuple[str, ...] = ()  # delivery: download: the files a collected pledge may download
    codes: int = 0  # delivery: download: how many unique codes there are (the codes: private.json)

    def price(self, late: bool) -> int:
        return self.late_amount if late and self.late_amount is not None else self.amount

    @property
    def download(self) -> bool:
        return bool(self.files or self.codes)


@dataclass(frozen=True)
class CatalogAddon:
    """An item a backer adds to a reward (a poster…): its price, limit, shipping and the rewards it goes with."""

    id: str  # never a reward's id: the claims of both share one namespace
    title: str
    amount: int  # minor units, per unit
    limit: int | None = None
    shipping: CatalogShipping | None = None
    requires: tuple[str, ...] = ()  # reward ids it may be added to; empty: any reward
    max_per_backer: int = 1
    late_amount: int | None = None

    def price(self, late: bool) -> int:
        return self.late_amount if late and self.late_amount is not None else self.amount

    def goes_with(self, reward: str | None) -> bool:
        return reward is not None and (not self.requires or reward in self.requires)


@dataclass(frozen=True)
class CatalogQuestion:
    """A survey question (front matter ``survey:``): asked after settlement, answered on the survey page."""

    id: str
    question: str  # in the campaign's own language (CatalogPage.question_text: in another)
    kind: str  # choice | text
    choices: tuple[str, ...] = ()  # as index.md writes them: the answers stored and exported
    required: bool = False
    rewards: tuple[str, ...] = ()  # asked only of these rewards' backers (empty: of every backer)

    def asks(self, reward: str | None) -> bool:
        """Whether a backer of ``reward`` (None: no reward) is asked this question."""
        return not self.rewards or (reward is not None and reward in self.rewards)


@dataclass(frozen=True)
class CatalogUpdate:
    """An update to mail: who gets it, from when, and the languages it is written in."""

    id: str  # its file stem, e.g. 2026-11-20-studio
    published: dt.datetime  # never mailed before
    audience: tuple[str, ...] = ("backers",)  # ("backers",), ("all",) or reward ids
    languages: tuple[str, ...] = ()  # its own first, then the translations

    def reaches(self, reward: str | None) -> bool:
        """Whether a backer of ``reward`` (None: no reward) gets it."""
        return self.audience[:1] in (("backers",), ("all",)) or (reward is not None and reward in self.audience)


@dataclass(frozen=True)
class CatalogPage:
    """The campaign's page in one of the site's languages: where a backer who reads it pledges from."""

    lang: str
    title: str
    url: str  # the campaign page in that language, absolute
    thanks_url: str  # Checkout's success page in that language, absolute
    decimal: str = "."  # how the language writes a decimal point (CLDR): "12,50" in French
    group: str = ","  # and its thousands separator ("1 000" in French, a narrow no-break space)
    rewards: tuple[tuple[str, str], ...] = ()  # (reward id, its title in that language)
    addons: tuple[tuple[str, str], ...] = ()  # (add-on id, its title in that language)
    survey: tuple[tuple[str, str, tuple[str, ...]], ...] = ()  # (question id, its text, its choices) in that language

    def reward_title(self, reward) -> str:
        return dict(self.rewards).get(reward.id, reward.title)

    def question_text(self, question: CatalogQuestion) -> tuple[str, tuple[str, ...]]:
        """A survey question's text and the choices as this language shows them (same order as stored)."""
        for qid, text, choices in self.survey:
            if qid == question.id:
                return text, (choices if len(choices) == len(question.choices) else question.choices)
        return question.question, question.choices

    def addon_title(self, addon) -> str:
        return dict(self.addons).get(addon.id, addon.title)


@dataclass(frozen=True)
class CatalogCampaign:
    slug: str
    title: str
    currency: str
    goal: int  # minor units
    funding: str  # all_or_nothing | flexible
    ends: dt.datetime
    language: str
    url: str  # the campaign page, absolute
    thanks_url: str  # Checkout's success page, absolute
    starts: dt.datetime | None = None
    rewards: tuple[CatalogReward, ...] = field(default=())
    leaderboard: bool = False  # the creator shows the public board of referral codes
    stretch_goals: tuple[int, ...] = ()  # amounts (minor units), for the creator's milestones
    pages: tuple[CatalogPage, ...] = ()  # one per language the campaign is shown in, its own first
    updates: tuple[CatalogUpdate, ...] = ()  # the updates to mail (audience not none), oldest first
    comments: bool = True  # front matter `comments: false` turns the campaign's comments off
    late_until: dt.datetime | None = None  # late pledges after a funded deadline, until then
    addons: tuple[CatalogAddon, ...] = ()
    survey: tuple[CatalogQuestion, ...] = ()  # the pledge manager's questions (front matter `survey:`)

    def addon(self, addon_id: str) -> CatalogAddon | None:
        return next((a for a in self.addons if a.id == addon_id), None)

    def questions_for(self, reward: str | None) -> tuple[CatalogQuestion, ...]:
        """The survey questions a backer of ``reward`` answers."""
        return tuple(q for q in self.survey if q.asks(reward))

    def page(self, lang: str | None) -> CatalogPage:
        """The page in ``lang`` (exact tag, then its language), else the campaign's own."""
        if lang:
            for wanted in (lang, lang.split("-")[0]):
                found = next((p for p in self.pages if p.lang == wanted), None)
                if found:
                    return found
        own = next((p for p in self.pages if p.lang == self.language), None)
        return own or CatalogPage(self.language, self.title, self.url, self.thanks_url)

    def reward(self, reward_id: str) -> CatalogReward | None:
        return next((r for r in self.rewards if r.id == reward_id), None)

    def is_live(self, now: dt.datetime) -> bool:
        return (self.starts is None or self.starts <= now) and now < self.ends

    def late_window(self, now: dt.datetime) -> bool:
        """After the deadline, before ``late_until``: late pledges, if the goal was met (all or nothing)."""
        return self.late_until is not None and self.ends <= now < self.late_until


@dataclass(frozen=True)
class Catalog:
    base_url: str
    campaigns: dict[str, CatalogCampaign]
    api_url: str = ""  # absolute address of the pledge API (site.yml's api_url on base_url)
    language: str = ""  # the site's own language (site.yml's language): pages that know no other

    @property
    def api(self) -> str:
        return (self.api_url or self.base_url + "/api").rstrip("/")

    def to_json(self) -> str:
        """Deterministic JSON (sorted keys, ISO dates)."""
        return joined(self.base_url, self.api_url, {slug: campaign_json(c) for slug, c in self.campaigns.items()},
                      self.language)

    @classmethod
    def from_json(cls, text: str) -> "Catalog":
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"catalog format {data.get('format')!r} is not {FORMAT}: rebuild the site")
        campaigns = {slug: _campaign_from(c) for slug, c in data["campaigns"].items()}
        return cls(base_url=data["base_url"], campaigns=campaigns, api_url=data.get("api_url", ""),
                   language=data.get("language", ""))


def campaign_json(c: CatalogCampaign) -> str:
    """One campaign's part of the catalog (a build keeps it for the next one)."""
    return json.dumps(_campaign_data(c), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def joined(base_url: str, api_url: str, campaigns: dict[str, str], language: str = "") -> str:
    """The catalog's text from each campaign's :func:`campaign_json`.

    The same bytes as ``json.dumps`` of the whole with sorted keys.
    """
    body = ",".join(f"{_text(slug)}:{campaigns[slug]}" for slug in sorted(campaigns))
    own = f',"language":{_text(language)}' if language else ""
    return (f'{{"api_url":{_text(api_url)},"base_url":{_text(base_url)},"campaigns":{{{body}}},'
            f'"format":{FORMAT}{own}}}\n')


def _text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _campaign_data(c: CatalogCampaign) -> dict:
    return {
        "slug": c.slug, "title": c.title, "currency": c.currency, "goal": c.goal, "funding": c.funding,
        "ends": c.ends.isoformat(), "starts": c.starts.isoformat() if c.starts else None,
        "language": c.language, "url": c.url, "thanks_url": c.thanks_url, "leaderboard": c.leaderboard,
        "stretch_goals": list(c.stretch_goals),
        "pages": {p.lang: {"title": p.title, "url": p.url, "thanks_url": p.thanks_url, "decimal": p.decimal,
                           "group": p.group, "rewards": dict(p.rewards), **({"addons": dict(p.addons)} if p.addons else {}),
                           **({"survey": {qid: {"question": text, "choices": list(choices)}
                                          for qid, text, choices in p.survey}} if p.survey else {})}
                  for p in c.pages},
        "rewards": [
            {"id": r.id, "title": r.title, "amount": r.amount, "limit": r.limit, "shipping": _shipping_data(r.shipping),
             **({"max_per_backer": r.max_per_backer} if r.max_per_backer != 1 else {}),
             **({"late_amount": r.late_amount} if r.late_amount is not None else {}),
             **({"download": {"files": list(r.files)} if r.files else {"codes": r.codes}} if r.download else {})}
            for r in c.rewards],
        **({"addons": [{"id": a.id, "title": a.title, "amount": a.amount, "limit": a.limit,
                        "shipping": _shipping_data(a.shipping), "requires": list(a.requires),
                        "max_per_backer": a.max_per_backer,
                        **({"late_amount": a.late_amount} if a.late_amount is not None else {})}
                       for a in c.addons]} if c.addons else {}),
        **({"late_until": c.late_until.isoformat()} if c.late_until else {}),
        **({"updates": [{"id": u.id, "published": u.published.isoformat(), "audience": list(u.audience),
                         "languages": list(u.languages)} for u in c.updates]} if c.updates else {}),
        # only when off: the catalogs of sites that never say stay byte for byte what they were
        **({"comments": False} if not c.comments else {}),
        **({"survey": [{"id": q.id, "question": q.question, "kind": q.kind, "choices": list(q.choices),
                        "required": q.required, "rewards": list(q.rewards)} for q in c.survey]} if c.survey else {}),
    }


def _shipping_data(shipping: CatalogShipping | None) -> dict | None:
    if not shipping:
        return None
    return {"countries": list(shipping.countries), "cost": shipping.cost,
            **({"at_fulfilment": True} if shipping.at_fulfilment else {})}


def _shipping_from(data: dict | None) -> CatalogShipping | None:
    return CatalogShipping(tuple(data["countries"]), data["cost"], bool(data.get("at_fulfilment"))) if data else None


def _campaign_from(d: dict) -> CatalogCampaign:
    rewards = tuple(
        CatalogReward(id=r["id"], title=r["title"], amount=r["amount"], limit=r.get("limit"),
                      shipping=_shipping_from(r.get("shipping")), max_per_backer=r.get("max_per_backer", 1),
                      late_amount=r.get("late_amount"), files=tuple((r.get("download") or {}).get("files") or ()),
                      codes=int((r.get("download") or {}).get("codes") or 0))
        for r in d.get("rewards", ()))
    addons = tuple(
        CatalogAddon(id=a["id"], title=a["title"], amount=a["amount"], limit=a.get("limit"),
                     shipping=_shipping_from(a.get("shipping")), requires=tuple(a.get("requires") or ()),
                     max_per_backer=a.get("max_per_backer", 1), late_amount=a.get("late_amount"))
        for a in d.get("addons") or ())
    return CatalogCampaign(
        slug=d["slug"], title=d["title"], currency=d["currency"], goal=d["goal"], funding=d["funding"],
        ends=dt.datetime.fromisoformat(d["ends"]), language=d["language"], url=d["url"],
        thanks_url=d["thanks_url"],
        starts=dt.datetime.fromisoformat(d["starts"]) if d.get("starts") else None, rewards=rewards,
        leaderboard=bool(d.get("leaderboard", False)), comments=bool(d.get("comments", True)), stretch_goals=tuple(d.get("stretch_goals", ())),
        addons=addons,
        late_until=dt.datetime.fromisoformat(d["late_until"]) if d.get("late_until") else None,
        pages=tuple(CatalogPage(lang, p["title"], p["url"], p["thanks_url"], p.get("decimal", "."), p.get("group", ","),
                                tuple(sorted((p.get("rewards") or {}).items())),
                                tuple(sorted((p.get("addons") or {}).items())),
                                tuple((qid, q["question"], tuple(q.get("choices") or ()))
                                      for qid, q in sorted((p.get("survey") or {}).items())))
                    for lang, p in (d.get("pages") or {}).items()),
        survey=tuple(CatalogQuestion(q["id"], q["question"], q["kind"], tuple(q.get("choices") or ()),
                                     bool(q.get("required")), tuple(q.get("rewards") or ()))
                     for q in d.get("survey") or ()),
        updates=tuple(CatalogUpdate(u["id"], dt.datetime.fromisoformat(u["published"]),
                                    tuple(u.get("audience") or ("backers",)), tuple(u.get("languages") or ()))
                      for u in d.get("updates") or ()))
