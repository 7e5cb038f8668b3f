"""Parsed documents → campaigns in every site language, with cross-file checks."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from functions.core import money
from generator.content.documents import AUDIENCES, CampaignDoc, TranslationDoc, UpdateDoc
from generator.content.model import Campaign, Creator, StretchGoal, Update
from generator.problems import Problem


@dataclass
class Bundle:
    """All the documents of one campaign folder."""

    slug: str
    folder: str
    campaign: CampaignDoc | None = None
    translations: dict[str, TranslationDoc] = dataclasses.field(default_factory=dict)
    updates: dict[str, UpdateDoc] = dataclasses.field(default_factory=dict)  # stem → original
    update_translations: dict[tuple[str, str], UpdateDoc] = dataclasses.field(default_factory=dict)
    files: tuple[str, ...] = ()  # other files in the folder (images…), relative to it


def check(bundle: Bundle, image_exists) -> list[Problem]:
    """The problems that need more than one file to see."""
    problems: list[Problem] = []
    doc = bundle.campaign
    if doc is None:
        problems.append(Problem(bundle.folder, 1, "campaign folder without index.md"))
        return problems
    v = doc.values
    if v.get("image") and not image_exists(v["image"]):
        problems.append(Problem(doc.source, _line_of(doc, "image"), f"image '{v['image']}' not found beside index.md"))
    avatar = v["creator"].image if v.get("creator") else None
    if avatar and not image_exists(avatar):
        problems.append(Problem(doc.source, _line_of(doc, "creator.image"),
                                f"creator.image '{avatar}' not found beside index.md"))
    problems.extend(_missing_images(bundle, image_exists))
    for r in v.get("rewards", ()):
        for name in r.files:
            if not image_exists(name):
                problems.append(Problem(doc.source, _line_of(doc, f"rewards.{r.id}.files"),
                                        f"reward '{r.id}': file '{name}' not found beside index.md"))
    for (stem, lang), u in bundle.update_translations.items():
        if stem not in bundle.updates:
            problems.append(Problem(u.source, 1, f"translation of an update that does not exist: updates/{stem}.md"))
        elif lang == doc.language and not doc.problems:
            problems.append(Problem(u.source, 1, f"the update is already in '{lang}'"))
    if doc.problems:
        # index.md could not be read whole (a YAML mistake, an unknown currency, a reward left out…):
        # what its translations say of it cannot be judged, and would only repeat the mistake.
        return problems
    if doc.language in bundle.translations:
        t = bundle.translations[doc.language]
        problems.append(Problem(t.source, 1, f"index.md is already in '{doc.language}' (its 'language'); a translation must be in another language"))
    reward_ids = {r.id for r in v.get("rewards", ())}
    for u in bundle.updates.values():
        for rid in u.audience:
            if rid not in AUDIENCES and rid not in reward_ids:
                problems.append(Problem(u.source, u.audience_line,
                                        f"'audience': reward '{rid}' does not exist in index.md"))
    currency = v.get("currency")
    goal_amounts = {g.amount for g in v.get("stretch_goals", ())}
    for t in bundle.translations.values():
        for rid, (line, _) in t.rewards.items():
            if rid not in reward_ids:
                problems.append(Problem(t.source, line, f"reward '{rid}' does not exist in index.md"))
        questions = {q.id: q for q in v.get("survey", ())}
        for qid, (line, texts) in t.survey.items():
            if qid not in questions:
                problems.append(Problem(t.source, line, f"survey question '{qid}' does not exist in index.md"))
            elif "choices" in texts and questions[qid].kind != "choice":
                problems.append(Problem(t.source, line, f"survey question '{qid}' is a text question: "
                                                        f"it has no choices to translate"))
            elif "choices" in texts and len(texts["choices"]) != len(questions[qid].choices):
                problems.append(Problem(t.source, line, f"survey question '{qid}' has {len(questions[qid].choices)} "
                                                        f"choices in index.md: translate each of them, in the same order"))
        addon_ids = {a.id for a in v.get("addons", ())}
        for aid, (line, _) in t.addons.items():
            if aid not in addon_ids:
                problems.append(Problem(t.source, line, f"add-on '{aid}' does not exist in index.md"))
        for line, text, _ in t.stretch_goals:
            try:
                amount = money.to_minor(text, currency)
            except money.MoneyError as exc:
                problems.append(Problem(t.source, line, f"stretch goal amount: {exc}"))
                continue
            if amount not in goal_amounts:
                problems.append(Problem(t.source, line, f"no stretch goal of {text} in index.md"))
    return problems


def _translated_question(question, texts: dict):
    """A survey question as a translation shows it: its stored answers stay index.md's choices."""
    shown = texts.get("choices")
    changes = {"question": texts["question"]} if texts.get("question") else {}
    if shown and len(shown) == len(question.choices):
        changes["shown_choices"] = tuple(shown)
    return dataclasses.replace(question, **changes)


def _missing_images(bundle: Bundle, image_exists) -> list[Problem]:
    """The images a story or an update shows from the campaign's folder that are not in it.

    An image elsewhere (another site, the theme, another campaign) is the browser's business.
    """
    own = f"/campaigns/{bundle.slug}/"
    docs = [bundle.campaign, *bundle.translations.values(), *bundle.updates.values(),
            *bundle.update_translations.values()]
    problems = []
    for doc in docs:
        for line, written, path in getattr(doc, "images", ()):
            if path.startswith(own) and not image_exists(path.removeprefix(own)):
                problems.append(Problem(doc.source, line, f"image '{written}' not found: there is no "
                                                          f"{bundle.folder}/{path.removeprefix(own)}"))
    return problems


def _line_of(doc: CampaignDoc, key: str) -> int:
    return doc.values.get("_lines", {}).get(key, 1)


def localise(bundle: Bundle, language: str) -> Campaign:
    """The campaign as shown on ``language`` pages: translated texts, falling back."""
    doc = bundle.campaign
    assert doc is not None
    v = dict(doc.values)
    v.pop("_lines", None)
    t = bundle.translations.get(language) if language != doc.language else None
    shown_language = doc.language
    if t is not None:
        shown_language = language
        tv = t.values
        for key in ("title", "summary", "image_alt", "tags", "faq", "risks_html", "story_html"):
            if key in tv:
                v[key] = tv[key]
        if "creator_bio" in tv and v["creator"] is not None:
            v["creator"] = dataclasses.replace(v["creator"], bio=tv["creator_bio"])
        if t.rewards:
            v["rewards"] = tuple(
                dataclasses.replace(r, **t.rewards[r.id][1]) if r.id in t.rewards else r for r in v["rewards"])
        if t.survey:
            v["survey"] = tuple(_translated_question(q, t.survey[q.id][1]) if q.id in t.survey else q
                                for q in v["survey"])
        if t.addons:
            v["addons"] = tuple(
                dataclasses.replace(a, **t.addons[a.id][1]) if a.id in t.addons else a for a in v["addons"])
        if t.stretch_goals:
            titles = {}
            for _, text, title in t.stretch_goals:
                try:
                    titles[money.to_minor(text, v["currency"])] = title
                except money.MoneyError:
                    pass
            v["stretch_goals"] = tuple(
                StretchGoal(g.amount, titles.get(g.amount, g.title)) for g in v["stretch_goals"])
    updates = []
    for stem, u in bundle.updates.items():
        translated = bundle.update_translations.get((stem, language)) if language != doc.language else None
        shown = translated or u
        updates.append(Update(
            id=stem, title=shown.title or u.title, published=u.published, body_html=shown.body_html,
            language=language if translated else doc.language, source=shown.source,
            audience=u.audience, public=u.public))
    updates.sort(key=lambda u: (u.published, u.id), reverse=True)
    return Campaign(
        slug=bundle.slug, language=shown_language, source=doc.source,
        translations=tuple(sorted(bundle.translations)), updates=tuple(u for u in updates if u.public),
        mailings=tuple(updates),
        creator=v.pop("creator") or Creator(""), **v)

