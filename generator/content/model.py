"""The content model: what the loader produces and the templates read.

Everything is plain, immutable data. Money is an ``int`` of minor units with
the campaign's ``currency``; dates are timezone-aware datetimes. Text fields
named ``*_html`` hold Markdown already converted from the creator's own files;
every other string is plain text and is escaped by the templates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

FUNDING_MODELS = ("all_or_nothing", "flexible")
STATUSES = ("upcoming", "live", "successful", "ended")


@dataclass(frozen=True)
class Creator:
    name: str
    bio: str = ""
    url: str | None = None
    email: str | None = None  # private: the daily digest's address, never rendered in a page
    image: str | None = None  # file name beside index.md: the avatar beside the name


@dataclass(frozen=True)
class Shipping:
    """Where a physical reward ships and what shipping adds to the pledge."""

    countries: tuple[str, ...]  # ISO 3166-1 alpha-2 codes, in the creator's order
    cost: int  # minor units of the campaign currency
    at_fulfilment: bool = False  # the cost is charged when the reward ships, not with the pledge


@dataclass(frozen=True)
class Reward:
    id: str
    title: str
    amount: int  # minor units
    description_html: str = ""
    limit: int | None = None
    delivery: dt.date | None = None  # first day of the estimated delivery month
    shipping: Shipping | None = None
    handover: str = ""  # "digital", "pickup" or "experience" when nothing ships ("": not said)
    place: str = ""  # where a pickup is collected or an experience takes place
    max_per_backer: int = 1  # units one pledge may take
    requires: tuple[str, ...] = ()  # an add-on: the reward ids it goes with (empty: any reward)
    late_amount: int | None = None  # minor units: its price for late pledges (None: the same)
    download: bool = False  # ``delivery: download``: files or a code, handed over after collection
    files: tuple[str, ...] = ()  # download files beside index.md (never published in the site)
    codes: str = ""  # the file beside index.md that holds one unique code per line (never published)


@dataclass(frozen=True)
class StretchGoal:
    amount: int  # minor units
    title: str


@dataclass(frozen=True)
class Question:
    question: str
    answer_html: str


@dataclass(frozen=True)
class SurveyQuestion:
    """One question of the pledge manager's survey (``survey:``), asked after settlement."""

    id: str  # [a-z0-9-]+, unique in the campaign: the export's column is survey_<id>
    question: str  # one line, translatable
    kind: str  # one of SURVEY_KINDS
    choices: tuple[str, ...] = ()  # kind choice: as index.md writes them (the stored answers)
    required: bool = False
    rewards: tuple[str, ...] = ()  # asked only of these rewards' backers (empty: of every backer)
    shown_choices: tuple[str, ...] = ()  # the choices as this language's page shows them (same order)


SURVEY_KINDS = ("choice", "text")


@dataclass(frozen=True)
class Final:
    """Final figures a creator records after the deadline (from `cagnotte settle`)."""

    raised: int  # minor units
    backers: int


@dataclass(frozen=True)
class Update:
    id: str  # the file stem, e.g. "2026-11-20-studio": the URL segment
    title: str
    published: dt.datetime
    body_html: str
    language: str  # the language the text is written in
    source: str  # path of the file it came from, relative to the site
    audience: tuple[str, ...] = ("backers",)  # who gets it by mail: backers, all, none, or reward ids
    public: bool = True  # False: mailed only, no page on the site


@dataclass(frozen=True)
class Campaign:
    """One campaign as shown in one language.

    ``language`` is the language its text is written in (a translation's, or the
    campaign's own when there is no translation for the page's language).
    """

    slug: str
    title: str
    summary: str
    creator: Creator
    category: str
    goal: int  # minor units
    currency: str
    ends: dt.datetime
    funding: str  # one of FUNDING_MODELS
    language: str
    source: str  # path of index.md, relative to the site
    starts: dt.datetime | None = None
    tags: tuple[str, ...] = ()
    image: str | None = None  # file name beside index.md
    image_alt: str = ""
    video: str | None = None
    rewards: tuple[Reward, ...] = ()
    addons: tuple[Reward, ...] = ()  # items a backer adds to a reward (same shape; requires set)
    stretch_goals: tuple[StretchGoal, ...] = ()
    faq: tuple[Question, ...] = ()
    risks_html: str = ""
    story_html: str = ""
    updates: tuple[Update, ...] = ()  # the public ones, newest first (pages, feeds)
    mailings: tuple[Update, ...] = ()  # every update, public or not, newest first (the mails)
    final: Final | None = None
    survey: tuple[SurveyQuestion, ...] = ()  # the pledge manager's questions, asked after settlement
    leaderboard: bool = False  # show the public board of referral codes
    late_until: dt.datetime | None = None  # late_pledges: true — pledges stay open after a funded deadline until then
    comments: bool = True  # `comments: false`: no comments section, POST /api/comments answers 409
    draft: bool = False  # shown by `serve` only: never listed, never in the catalog, not built for production
    translations: tuple[str, ...] = field(default=())  # languages with their own index.<lang>.md

    def takes_late(self, now: dt.datetime) -> bool:
        """After the deadline and before ``late_until``: flexible, or all or nothing not known to have failed
        (the build knows the outcome only from ``final``; the pledge service checks the counters)."""
        if self.late_until is None or not self.ends <= now < self.late_until:
            return False
        return self.funding == "flexible" or self.final is None or self.final.raised >= self.goal

    def status(self, now: dt.datetime) -> str:
        """``upcoming``, ``live``, ``successful`` or ``ended`` at ``now``."""
        if self.starts is not None and now < self.starts:
            return "upcoming"
        if now < self.ends:
            return "live"
        if self.takes_late(now):
            return "late"
        if self.final is not None and self.final.raised >= self.goal:
            return "successful"
        return "ended"
