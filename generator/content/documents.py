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
from zoneinfo import ZoneInfo

from functions.core import money, stripe_money
from generator.content import rewards, video
from generator.content.fields import Fields, compose
from generator.content.model import (FUNDING_MODELS, SURVEY_KINDS, Creator, Final, Question,
                                     StretchGoal, SurveyQuestion)
from generator.content.rewards import ADDON_FIELDS, REWARD_FIELDS  # noqa: F401 - the format's names, here too
from generator.problems import Problem

# Bump when parsing changes what a document holds: it is part of the cache key.
VERSION = "docs-15"  # docs-15: digital rewards (delivery: download); each bump is named in git log

CAMPAIGN_FIELDS = ("title", "summary", "creator", "category", "tags", "language", "image",
                   "image_alt", "video", "goal", "currency", "starts", "ends", "funding",
                   "rewards", "addons", "stretch_goals", "faq", "risks", "final", "survey", "leaderboard",
                   "comments", "late_pledges", "late_until", "draft")
TRANSLATED_FIELDS = ("title", "summary", "creator", "tags", "image_alt", "rewards", "addons",
                     "stretch_goals", "faq", "risks", "survey")
UPDATE_FIELDS = ("title", "date", "audience", "public")
AUDIENCES = ("backers", "all", "none")
SURVEY_FIELDS = ("id", "question", "kind", "choices", "required", "rewards")
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
    v["rewards"] = rewards.rewards(f, currency, base, v["_lines"])
    v["addons"] = rewards.addons(f, currency, base, v["rewards"])
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
    rewards.at_fulfilment_problems(f, v)
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


def _goal_problem(f: Fields, key: str, goal: int | None, currency: str | None) -> None:
    """A goal is many payments (no maximum), each at least Stripe's minimum, in amounts Stripe can express."""
    if goal is None or not rewards.chargeable(currency):
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
        elif amount is not None and rewards.chargeable(currency):
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
