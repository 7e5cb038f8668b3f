"""One source file → one parsed document, with its problems.

Each function here reads one file's text and nothing else, so its result can
be cached by the file's content hash and computed in a worker process. The
cross-file checks (a translation names a reward that exists…) and the
per-language assembly live in :mod:`generator.content.assemble`.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import yaml

from functions.core import money, stripe_money
from generator.content import video
from generator.content.fields import Fields, compose
from generator.content.model import (FUNDING_MODELS, SURVEY_KINDS, Creator, Final, Question, Reward, Shipping,
                                     StretchGoal, SurveyQuestion)
from generator.problems import Problem

# Bump when parsing changes what a document holds: it is part of the cache key.
VERSION = "docs-15"  # docs-15: delivery: download, files, codes; docs-14: shipping at_fulfilment; docs-13: survey (the pledge manager's questions); docs-12: late_pledges, late_until, late_amount; docs-11: add-ons, max_per_backer; docs-10: comments: false; docs-9: an update's audience and public; docs-8: creator.image, a known video host; docs-7: how a reward reaches its backer (digital, pickup, experience); docs-6: the images each body shows, with their lines; the update date's line

CAMPAIGN_FIELDS = ("title", "summary", "creator", "category", "tags", "language", "image",
                   "image_alt", "video", "goal", "currency", "starts", "ends", "funding",
                   "rewards", "addons", "stretch_goals", "faq", "risks", "final", "survey", "leaderboard",
                   "comments", "late_pledges", "late_until", "draft")
TRANSLATED_FIELDS = ("title", "summary", "creator", "tags", "image_alt", "rewards", "addons",
                     "stretch_goals", "faq", "risks", "survey")
UPDATE_FIELDS = ("title", "date", "audience", "public")
AUDIENCES = ("backers", "all", "none")
REWARD_FIELDS = ("id", "title", "amount", "description", "limit", "delivery", "shipping", "max_per_backer",
                 "late_amount", "files", "codes")
SURVEY_FIELDS = ("id", "question", "kind", "choices", "required", "rewards")
ADDON_FIELDS = ("id", "title", "amount", "description", "limit", "shipping", "requires", "max_per_backer",
                "late_amount")
MAX_ADDONS = 20  # functions.core.pledge.MAX_ADDONS: one pledge's transaction stays within DynamoDB's 100 items
MAX_PER_BACKER = 999  # more is not a backer's pledge (and Checkout's quantities stay small)
_NOT_TRANSLATED = "set it in index.md: a translation only holds texts"
UPDATE_NAME = re.compile(r"^(\d{4}-\d{2}-\d{2})-[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Context:
    """What parsing depends on besides the file itself."""

    language: str
    languages: tuple[str, ...]
    currency: str
    timezone: str

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass
class CampaignDoc:
    slug: str
    source: str
    problems: list[Problem]
    language: str = ""
    values: dict = field(default_factory=dict)  # Campaign's fields, already typed
    images: list = field(default_factory=list)  # (line, as written, site path) of each image of the story


@dataclass
class TranslationDoc:
    slug: str
    language: str
    source: str
    problems: list[Problem]
    values: dict = field(default_factory=dict)  # translated Campaign fields
    rewards: dict = field(default_factory=dict)  # id → (line, {title, description_html})
    addons: dict = field(default_factory=dict)  # id → (line, {title, description_html})
    stretch_goals: list = field(default_factory=list)  # (line, amount text, title)
    survey: dict = field(default_factory=dict)  # question id → (line, {question, choices})
    images: list = field(default_factory=list)  # (line, as written, site path) of each image of the story


@dataclass
class UpdateDoc:
    slug: str
    id: str
    language: str | None  # None: the campaign's own language
    source: str
    problems: list[Problem]
    title: str = ""
    published: dt.datetime | None = None
    body_html: str = ""
    images: list = field(default_factory=list)  # (line, as written, site path) of each image of the body
    date_line: int = 1  # where its date is written (1: in the file name)
    audience: tuple[str, ...] = ("backers",)  # backers, all, none, or reward ids
    audience_line: int = 1
    public: bool = True


def _markdown(text: str, base: str) -> str:
    from generator.content.markdown import to_html  # imported only when something is parsed

    return to_html(text, base)


def split_front_matter(text: str, path: str, problems: list[Problem]) -> tuple[str | None, str]:
    """``(yaml, body)`` of a Markdown file whose first line is ``---``."""
    text = text.removeprefix("\ufeff")
    if not (text.startswith("---\n") or text.startswith("---\r\n")):
        problems.append(Problem(path, 1, "missing front matter: the file must start with a line '---'"))
        return None, text
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1:])
    problems.append(Problem(path, 1, "front matter is not closed: add a line '---' after the last field"))
    return None, ""


@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    from babel import Locale

    return frozenset(code for code in Locale("en").territories if re.match(r"^[A-Z]{2}$", code))


def parse_campaign(text: str, slug: str, source: str, ctx: Context) -> CampaignDoc:
    """Parse ``content/campaigns/<slug>/index.md``."""
    problems: list[Problem] = []
    doc = CampaignDoc(slug, source, problems)
    front, body = split_front_matter(text, source, problems)
    if front is None:
        return doc
    before = len(problems)
    node = compose(front, source, 2, problems)
    if len(problems) > before:  # a syntax error: the fields cannot be read
        return doc
    f = Fields(node, source, 2, problems, line=1)
    f.allow(CAMPAIGN_FIELDS)
    base = f"/campaigns/{slug}/"
    currency = f.text("currency", default=ctx.currency)
    if not money.is_currency(currency):
        f.error(f.at("currency"), f"'currency' must be an ISO 4217 code such as EUR, not '{currency}'")
        currency = None
    elif "currency" in f and not stripe_money.is_supported(currency):  # site.yml's own is checked there
        f.error(f.at("currency"), f"'currency': {stripe_money.unit_problem(0, currency)}")
    language = f.text("language", default=ctx.language)
    if language not in ctx.languages:
        f.error(f.at("language"), f"'language' must be one of the site's languages ({', '.join(ctx.languages)}), not '{language}'")
    doc.language = language
    tz = ctx.tz
    v = doc.values
    v["title"] = f.text("title", required=True, one_line=True)
    v["summary"] = f.text("summary", required=True, one_line=True)
    v["creator"] = _creator(f, required=True, lines=v.setdefault("_lines", {}))
    v["category"] = f.slug("category", required=True) or ""
    v["tags"] = f.strings("tags")
    v["image"] = _image(f)
    v["_lines"].update({"image": f.at("image"), "ends": f.at("ends")})
    v["image_alt"] = f.text("image_alt", one_line=True)
    v["video"] = _video(f)
    v["goal"] = f.amount("goal", currency, required=True)
    _goal_problem(f, "goal", v["goal"], currency)
    v["currency"] = currency or ctx.currency
    v["starts"] = f.moment("starts", tz)
    v["ends"] = f.moment("ends", tz, required=True, end_of_day=True)
    if v["starts"] and v["ends"] and v["starts"] >= v["ends"]:
        f.error(f.at("ends"), "'ends' must come after 'starts'")
    v["funding"] = f.choice("funding", FUNDING_MODELS, default="all_or_nothing")
    v["rewards"] = _rewards(f, currency, base, v["_lines"])
    v["addons"] = _addons(f, currency, base, v["rewards"])
    v["stretch_goals"] = _stretch_goals(f, currency, v["goal"])
    v["faq"] = _faq(f, base)
    v["risks_html"] = _markdown(f.text("risks"), base)
    final = f.mapping("final")
    if final is not None:
        final.allow(("raised", "backers"))
        raised = final.amount("raised", currency, required=True, positive=False)
        backers = final.integer("backers", required=True)
        if raised is not None and backers is not None:
            v["final"] = Final(raised, backers)
    v["survey"] = _survey(f, {r.id for r in v["rewards"]})
    v["leaderboard"] = f.boolean("leaderboard")
    v["late_until"] = _late_until(f, ctx, v.get("ends"))
    _at_fulfilment_problems(f, v)
    v["comments"] = f.boolean("comments", default=True)
    v["draft"] = f.boolean("draft")
    v["story_html"] = _markdown(body, base)
    doc.images = _images_of(body, _body_line(front), base, v["story_html"])
    return doc


def parse_translation(text: str, slug: str, language: str, source: str, ctx: Context) -> TranslationDoc:
    """Parse ``index.<lang>.md``: only texts, each falling back to index.md."""
    problems: list[Problem] = []
    doc = TranslationDoc(slug, language, source, problems)
    if language not in ctx.languages:
        problems.append(Problem(source, 1, f"'{language}' is not one of the site's languages ({', '.join(ctx.languages)}) in site.yml"))
    front, body = split_front_matter(text, source, problems)
    if front is None:
        return doc
    before = len(problems)
    node = compose(front, source, 2, problems)
    if len(problems) > before:  # a syntax error: the fields cannot be read
        return doc
    f = Fields(node, source, 2, problems, line=1)
    f.allow(TRANSLATED_FIELDS, hint={k: _NOT_TRANSLATED for k in CAMPAIGN_FIELDS if k not in TRANSLATED_FIELDS})
    base = f"/campaigns/{slug}/"
    v = doc.values
    for key in ("title", "summary", "image_alt"):
        if key in f:
            v[key] = f.text(key, one_line=True)
    creator = f.mapping("creator")
    if creator is not None:
        creator.allow(("bio",), hint={"name": "the creator's name is not translated", "url": _NOT_TRANSLATED})
        if "bio" in creator:
            v["creator_bio"] = creator.text("bio")
    if "tags" in f:
        v["tags"] = f.strings("tags")
    if "faq" in f:
        v["faq"] = _faq(f, base)
    if "risks" in f:
        v["risks_html"] = _markdown(f.text("risks"), base)
    for item in f.items("rewards"):
        item.allow(("id", "title", "description", "place"), hint={k: _NOT_TRANSLATED for k in REWARD_FIELDS})
        rid = item.slug("id", required=True)
        if rid:
            texts = {}
            if "title" in item:
                texts["title"] = item.text("title", one_line=True)
            if "description" in item:
                texts["description_html"] = _markdown(item.text("description"), base)
            if "place" in item:  # where a pickup or an experience is, in this language
                texts["place"] = item.text("place", one_line=True)
            doc.rewards[rid] = (item.line, texts)
    for item in f.items("survey"):
        item.allow(("id", "question", "choices"), hint={k: _NOT_TRANSLATED for k in SURVEY_FIELDS})
        qid = item.slug("id", required=True)
        if qid:
            texts = {}
            if "question" in item:
                texts["question"] = item.text("question", one_line=True)
            if "choices" in item:
                texts["choices"] = item.strings("choices")
            doc.survey[qid] = (item.line, texts)
    for item in f.items("addons"):
        item.allow(("id", "title", "description"), hint={k: _NOT_TRANSLATED for k in ADDON_FIELDS})
        aid = item.slug("id", required=True)
        if aid:
            texts = {}
            if "title" in item:
                texts["title"] = item.text("title", one_line=True)
            if "description" in item:
                texts["description_html"] = _markdown(item.text("description"), base)
            doc.addons[aid] = (item.line, texts)
    for item in f.items("stretch_goals"):
        item.allow(("amount", "title"))
        title = item.text("title", required=True, one_line=True)
        amount = item.raw("amount")
        if amount is None:
            item.error(item.line, f"missing required field '{item.where}amount' (it names the stretch goal to translate)")
        else:
            doc.stretch_goals.append((item.at("amount"), amount, title))
    if body.strip():
        v["story_html"] = _markdown(body, base)
        doc.images = _images_of(body, _body_line(front), base, v["story_html"])
    return doc


def parse_update(text: str, slug: str, stem: str, language: str | None, source: str,
                 ctx: Context) -> UpdateDoc:
    """Parse ``updates/YYYY-MM-DD-<name>[.<lang>].md``."""
    problems: list[Problem] = []
    doc = UpdateDoc(slug, stem, language, source, problems)
    match = UPDATE_NAME.match(stem)
    day = None
    if not match:
        problems.append(Problem(source, 1, "an update's file name must be YYYY-MM-DD-name.md (lower-case name, dashes)"))
    else:
        try:
            day = dt.date.fromisoformat(match.group(1))
        except ValueError:
            problems.append(Problem(source, 1, f"'{match.group(1)}' in the file name is not a date"))
    if language is not None and language not in ctx.languages:
        problems.append(Problem(source, 1, f"'{language}' is not one of the site's languages ({', '.join(ctx.languages)}) in site.yml"))
    front, body = split_front_matter(text, source, problems)
    if front is None:
        return doc
    before = len(problems)
    node = compose(front, source, 2, problems)
    if len(problems) > before:  # a syntax error: the fields cannot be read
        return doc
    f = Fields(node, source, 2, problems, line=1)
    f.allow(UPDATE_FIELDS if language is None else ("title",))
    doc.title = f.text("title", required=True, one_line=True)
    doc.published = f.moment("date", ctx.tz)
    if doc.published is None and day is not None:
        doc.published = dt.datetime.combine(day, dt.time(0, 0), tzinfo=ctx.tz)
    elif doc.published is not None:
        doc.date_line = f.at("date")
    if language is None:
        doc.audience, doc.audience_line = _audience(f), f.at("audience")
        doc.public = f.boolean("public", default=True)
    base = f"/campaigns/{slug}/updates/"
    doc.body_html = _markdown(body, base)
    doc.images = _images_of(body, _body_line(front), base, doc.body_html)
    return doc


def _audience(f: Fields) -> tuple[str, ...]:
    """``audience:``: backers (the default), all, none, or a list of reward ids."""
    if "audience" not in f:
        return ("backers",)
    word = f.raw("audience")
    if word is not None:
        if word not in AUDIENCES:
            f.error(f.at("audience"), f"'audience' must be backers, all, none or a list of reward ids, not '{word}'")
            return ("backers",)
        return (word,)
    ids = tuple(f.strings("audience"))
    return ids or ("none",)


def _body_line(front: str) -> int:
    """The line the body starts on: after '---', the front matter and '---'."""
    return front.count("\n") + 3


# What names an image in Markdown: ![alt](src), a reference [id]: src, or <img src="src">.
_IMAGE_SRC = re.compile(r"""(?:\]\(\s*<?|^\s*\[[^\]]+\]:\s*<?|\bsrc=["']?)([^)\s"'>]+)""")


def _images_of(body: str, first_line: int, base: str, html: str) -> list[tuple[int, str, str]]:
    """``(line, as written, site path)`` of each image the converted ``html`` shows, once per path.

    The line is the first of the body that names the image (the body's first line when none does).
    """
    if "<img" not in html:
        return []
    from generator.render.pictures import image_sources

    lines = body.splitlines()
    found, seen = [], set()
    for path in image_sources(html):
        if path in seen:
            continue
        seen.add(path)
        written, line = path, first_line
        for index, text in enumerate(lines):
            hit = next((src for src in _IMAGE_SRC.findall(text) if _resolved(src, base) == path), None)
            if hit is not None:
                written, line = hit, first_line + index
                break
        found.append((line, written, path))
    return found


def _resolved(src: str, base: str) -> str:
    """The site path ``src`` points to from a page whose Markdown is rebased on ``base``."""
    import posixpath
    from urllib.parse import unquote

    from generator.content.markdown import ABSOLUTE

    full = src if ABSOLUTE.match(src) else base + src.removeprefix("./")
    return posixpath.normpath(unquote(full.split("#", 1)[0].split("?", 1)[0]))


# -- the parts of a campaign --------------------------------------------------

def _creator(f: Fields, required: bool, lines: dict[str, int]) -> Creator | None:
    c = f.mapping("creator", required=required)
    if c is None:
        return None
    lines["creator.image"] = c.at("image")
    c.allow(("name", "bio", "url", "email", "image"))
    email = c.text("email", one_line=True) or None
    if email and not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
        c.error(c.at("email"), f"'creator.email' must be an e-mail address, not '{email}'")
        email = None
    return Creator(name=c.text("name", required=True, one_line=True), bio=c.text("bio"), url=c.url("url"),
                   email=email, image=_image(c, "creator.image"))


def _image(f: Fields, label: str = "image") -> str | None:
    name = f.text("image")
    if name and ("/" in name or "\\" in name or name.startswith(".")):
        f.error(f.at("image"), f"'{label}' must be a file name beside index.md, not '{name}'")
        return None
    if name and not re.search(r"\.(jpe?g|png|webp|gif)$", name, re.IGNORECASE):
        f.error(f.at("image"), f"'{label}' must be a .jpg, .png, .webp or .gif file, not '{name}'")
        return None
    return name or None


def _video(f: Fields) -> str | None:
    url = f.url("video")
    if url and video.player_url(url) is None:
        f.error(f.at("video"), f"'video' must be the address of a {video.HINT} video, not '{url}'")
        return None
    return url


def _rewards(f: Fields, currency: str | None, base: str, v_lines: dict) -> tuple[Reward, ...]:
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


def _at_fulfilment_problems(f: Fields, v: dict) -> None:
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


def _late_until(f: Fields, ctx: Context, ends: dt.datetime | None) -> dt.datetime | None:
    """``late_pledges: true`` with ``late_until``: pledges stay open after a funded deadline until then."""
    late = f.boolean("late_pledges")
    until = f.moment("late_until", ctx.tz)
    if late and until is None and "late_until" not in f:
        f.error(f.at("late_pledges"), "'late_pledges: true' needs 'late_until': when late pledges close")
        return None
    if until is not None and not late:
        f.error(f.at("late_until"), "'late_until' is for late pledges: add 'late_pledges: true'")
        return None
    if until is not None and ends is not None and until <= ends:
        f.error(f.at("late_until"), "'late_until' must be after 'ends': late pledges come after the deadline")
        return None
    return until if late else None


def _late_amount(r: Fields, currency: str | None, shipping, kind: str = "reward") -> int | None:
    """A reward's (or add-on's) ``late_amount``: its price for late pledges, one Stripe can charge."""
    if "late_amount" not in r:
        return None
    late = r.amount("late_amount", currency)
    if late is not None and _chargeable(currency):
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


def _addons(f: Fields, currency: str | None, base: str, rewards: tuple[Reward, ...]) -> tuple[Reward, ...]:
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


def _chargeable(currency: str | None) -> bool:
    # An unknown or unsupported currency is reported once, at 'currency'; its amounts are not judged.
    return currency is not None and stripe_money.is_supported(currency)


def _charge_problem(r: Fields, amount: int | None, shipping: Shipping | None, currency: str | None,
                    what: str = "reward") -> None:
    """A reward's pledge (its amount with shipping) must be one payment Stripe can take."""
    if amount is None or not _chargeable(currency):
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


def _goal_problem(f: Fields, key: str, goal: int | None, currency: str | None) -> None:
    """A goal is many payments (no maximum), each at least Stripe's minimum, in amounts Stripe can express."""
    if goal is None or not _chargeable(currency):
        return
    problem = stripe_money.unit_problem(goal, currency)
    minimum, _ = stripe_money.stripe_limits(currency)
    if problem is None and goal < minimum:
        problem = f"below the smallest amount Stripe charges ({money.format_plain(minimum, currency)})"
    if problem:
        f.error(f.at(key), f"'{key}': {problem}")


def _stretch_goals(f: Fields, currency: str | None, goal: int | None) -> tuple[StretchGoal, ...]:
    goals = []
    for g in f.items("stretch_goals"):
        g.allow(("amount", "title"))
        amount = g.amount("amount", currency, required=True)
        title = g.text("title", required=True, one_line=True)
        if amount is not None and goal is not None and amount <= goal:
            g.error(g.at("amount"), f"'{g.where}amount' must be above the goal")
        elif amount is not None and _chargeable(currency):
            problem = stripe_money.unit_problem(amount, currency)
            if problem:
                g.error(g.at("amount"), f"'{g.where}amount': {problem}")
        if amount is not None:
            goals.append(StretchGoal(amount, title))
    return tuple(sorted(goals, key=lambda goal: goal.amount))


def _survey(f: Fields, reward_ids: set[str]) -> tuple[SurveyQuestion, ...]:
    """``survey:``: the questions the pledge manager asks after settlement (docs/campaign-format.md)."""
    questions, seen = [], set()
    for q in f.items("survey"):
        q.allow(SURVEY_FIELDS, hint={"type": "did you mean 'kind'?", "options": "did you mean 'choices'?"})
        qid = q.slug("id", required=True)
        if qid and qid in seen:
            q.error(q.at("id"), f"survey question id '{qid}' is used twice: ids must be unique in a campaign")
        seen.add(qid)
        question = q.text("question", required=True, one_line=True)
        kind = q.choice("kind", SURVEY_KINDS, required=True)
        choices = q.strings("choices")
        if kind == "choice" and len(choices) < 2:
            q.error(q.at("choices"), f"'{q.where}choices' must list at least two answers for a choice question")
        elif kind == "choice" and len(set(choices)) < len(choices):
            q.error(q.at("choices"), f"'{q.where}choices' lists the same answer twice")
        elif kind == "text" and "choices" in q:
            q.error(q.at("choices"), f"'{q.where}choices' is only for kind: choice")
        required = q.boolean("required")
        rewards = q.strings("rewards", check=lambda r: None if r in reward_ids else
                            f"reward '{r}' does not exist in 'rewards'")
        if qid and question and kind:
            questions.append(SurveyQuestion(qid, question, kind, choices if kind == "choice" else (), required,
                                            rewards, choices if kind == "choice" else ()))
    return tuple(questions)


def _faq(f: Fields, base: str) -> tuple[Question, ...]:
    questions = []
    for q in f.items("faq"):
        q.allow(("q", "a"), hint={"question": "did you mean 'q'?", "answer": "did you mean 'a'?"})
        question = q.text("q", required=True, one_line=True)
        answer = _markdown(q.text("a", required=True), base)
        questions.append(Question(question, answer))
    return tuple(questions)
