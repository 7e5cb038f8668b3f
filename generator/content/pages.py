"""Plain pages: ``content/pages/<slug>.md`` (legal notice, privacy, about), published at ``/<slug>/``.

Translations follow the campaigns' convention: ``<slug>.<lang>.md`` beside the
page, holding its ``title`` (and ``description``) and its text; a language with
no translation shows the page as written. ``footer: true`` lists the page in
every page's footer, by ``order`` then title.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from generator.content.documents import split_front_matter
from generator.content.fields import SLUG, Fields, compose
from generator.problems import Problem

PAGES = "content/pages"
FIELDS = ("title", "description", "footer", "order")
TRANSLATED = ("title", "description")
_NAME = re.compile(r"^(?P<slug>[^.]+)(?:\.(?P<lang>[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]+)*))?\.md$")
# First path segments the site already uses.
RESERVED = frozenset({"campaigns", "static", "api", "logo", "_cagnotte"})


@dataclass(frozen=True)
class PlainPage:
    slug: str
    title: str
    body_html: str  # Markdown from the creator's own file
    description: str = ""
    footer: bool = False
    order: int = 0
    source: str = ""  # the file it was read from, site-relative
    language: str = ""  # the language its text is written in (the site's default, or the translation's)


@dataclass
class Pages:
    """Every plain page in every language, and what they hash to."""

    by_lang: dict[str, dict[str, PlainPage]]  # lang → slug → page
    digest: str  # of every file under content/pages (part of every page's fingerprint)

    def footer(self, lang: str) -> list[PlainPage]:
        """The pages listed in the footer, in order."""
        pages = self.by_lang.get(lang, {}).values()
        return sorted((p for p in pages if p.footer), key=lambda p: (p.order, p.title, p.slug))


def fingerprint(root: Path) -> str:
    """A hash of every file under content/pages (read whole: they are few and small)."""
    hasher = hashlib.sha256(b"pages-1")
    base = root / PAGES
    if base.is_dir():
        for path in sorted(base.rglob("*")):
            if path.is_file():
                hasher.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()


def load_pages(root: Path, language: str, languages: tuple[str, ...],
               problems: list[Problem]) -> Pages:
    """Read and check ``content/pages``; problems go to ``problems``."""
    from generator.content.markdown import to_html

    by_lang: dict[str, dict[str, PlainPage]] = {lang: {} for lang in languages}
    base = root / PAGES
    if not base.is_dir():
        return Pages(by_lang, fingerprint(root))
    originals: dict[str, PlainPage] = {}
    translations: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for entry in sorted(os.scandir(base), key=lambda e: e.name):
        rel = f"{PAGES}/{entry.name}"
        if entry.name.startswith("."):
            continue
        match = _NAME.match(entry.name)
        if entry.is_dir() or match is None:
            problems.append(Problem(rel, 1, "unexpected file: content/pages holds one Markdown file per page, "
                                    "<slug>.md (and <slug>.<lang>.md for a translation)"))
            continue
        slug, lang = match.group("slug"), match.group("lang")
        if not SLUG.match(slug):
            problems.append(Problem(rel, 1, f"page name '{slug}' must be lower-case letters, digits and dashes "
                                    "(it is the page's address)"))
            continue
        if slug in RESERVED or slug in languages:
            problems.append(Problem(rel, 1, f"/{slug}/ is taken by the site itself: give the page another name"))
            continue
        if lang is not None and lang not in languages:
            problems.append(Problem(rel, 1, f"'{lang}' is not one of the site's languages "
                                    f"({', '.join(languages)}) in site.yml"))
            continue
        try:
            text = Path(entry.path).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(rel, 1, "not UTF-8 text: save the file as UTF-8"))
            continue
        front, body = split_front_matter(text, rel, problems)
        if front is None:
            continue
        before = len(problems)
        node = compose(front, rel, 2, problems)
        if len(problems) > before:
            continue
        f = Fields(node, rel, 2, problems, line=1)
        f.allow(FIELDS if lang is None else TRANSLATED,
                None if lang is None else {k: "set it in the untranslated page" for k in ("footer", "order")})
        title = f.text("title", required=True, one_line=True)
        description = f.text("description", one_line=True)
        if lang is None:
            order = f.integer("order") if "order" in f else 0
            originals[slug] = PlainPage(slug, title, to_html(body, "/"), description, f.boolean("footer"),
                                        order or 0, rel, language)
        else:
            translations[(slug, lang)] = (title, description, body, rel)
    for (slug, lang), (title, description, body, rel) in sorted(translations.items()):
        if slug not in originals:
            problems.append(Problem(rel, 1, f"a translation of a page that does not exist: add {PAGES}/{slug}.md"))
    for slug, page in sorted(originals.items()):
        for lang in languages:
            found = translations.get((slug, lang))
            if found is None:
                by_lang[lang][slug] = page
            else:
                title, description, body, rel = found
                by_lang[lang][slug] = PlainPage(slug, title, to_html(body, "/"), description or page.description,
                                                page.footer, page.order, rel, lang)
    return Pages(by_lang, fingerprint(root))
