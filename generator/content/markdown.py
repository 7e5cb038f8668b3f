"""Markdown → HTML for stories, updates, rewards, FAQ answers and risks.

The creator's Markdown is trusted (it comes from their own files). Relative
links and images are rewritten to absolute site paths so that the same HTML
works on translated pages under ``/<lang>/`` and in feeds.
"""

from __future__ import annotations

import re
from functools import lru_cache

import markdown
from markdown.extensions import Extension
from markdown.extensions.abbr import AbbrExtension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.md_in_html import MarkdownInHtmlExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension, slugify
from markdown.treeprocessors import Treeprocessor

EXTENSIONS = ("extra", "sane_lists", "toc")
# Part of every cache key: bump when the conversion's output changes.
VERSION = f"md-{markdown.__version__}-{'+'.join(EXTENSIONS)}-2"
# Ids the theme gives to the page's own sections: a creator's heading must not take them.
RESERVED_IDS = frozenset({"main", "story", "rewards", "stretch-goals", "faq", "risks", "updates",
                          "creator", "funding", "share", "embed", "pledge"})


def _slugify(value: str, separator: str) -> str:
    slug = slugify(value, separator)
    return f"{slug}{separator}1" if slug in RESERVED_IDS else slug
ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|/|#|\?)", re.IGNORECASE)


class _Rebase(Treeprocessor):
    base = "/"

    def run(self, root):
        for element in root.iter():
            for attribute in ("src", "href"):
                value = element.get(attribute)
                if value and not ABSOLUTE.match(value):
                    element.set(attribute, self.base + value.removeprefix("./"))
            if element.tag == "img":
                element.set("loading", "lazy")


class _RebaseExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 - Markdown's API
        processor = _Rebase(md)
        md.treeprocessors.register(processor, "cagnotte_rebase", 1)
        md._cagnotte_rebase = processor  # type: ignore[attr-defined]


@lru_cache(maxsize=1)
def _converter() -> markdown.Markdown:
    # Instances rather than names (and "extra" spelled out, in its own order): a
    # name is looked up among the installed packages' entry points, which costs
    # more than converting a whole story.
    return markdown.Markdown(
        extensions=[
            # "extra":
            FencedCodeExtension(), FootnoteExtension(), AttrListExtension(), DefListExtension(),
            # align="…" rather than style="…": pages must work under a CSP without unsafe-inline.
            TableExtension(use_align_attribute=True),
            AbbrExtension(), MarkdownInHtmlExtension(),
            SaneListExtension(),
            # Story headings sit under the page's own <h2> sections: "#" becomes <h2>, "##" <h3>.
            TocExtension(permalink=False, baselevel=2, slugify=_slugify),
            _RebaseExtension(),
        ],
        output_format="html",
    )


def to_html(text: str, base: str) -> str:
    """Convert ``text``; relative URLs are resolved against the site path ``base``."""
    if not text.strip():
        return ""
    md = _converter()
    md.reset()
    md._cagnotte_rebase.base = base  # type: ignore[attr-defined]
    return md.convert(text)


def to_inline_html(text: str, base: str) -> str:
    """Convert a short text and drop a single wrapping paragraph."""
    html = to_html(text, base)
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        return html[3:-4]
    return html
