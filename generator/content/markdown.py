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
from markdown.treeprocessors import Treeprocessor

EXTENSIONS = ("extra", "sane_lists", "toc")
# Part of every cache key: bump when the conversion's output changes.
VERSION = f"md-{markdown.__version__}-{'+'.join(EXTENSIONS)}-1"
_ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|/|#|\?)", re.IGNORECASE)


class _Rebase(Treeprocessor):
    base = "/"

    def run(self, root):
        for element in root.iter():
            for attribute in ("src", "href"):
                value = element.get(attribute)
                if value and not _ABSOLUTE.match(value):
                    element.set(attribute, self.base + value.removeprefix("./"))
            if element.tag == "img":
                element.set("loading", "lazy")
                element.set("decoding", "async")


class _RebaseExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802 - Markdown's API
        processor = _Rebase(md)
        md.treeprocessors.register(processor, "cagnotte_rebase", 1)
        md._cagnotte_rebase = processor  # type: ignore[attr-defined]


@lru_cache(maxsize=1)
def _converter() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=[*EXTENSIONS, _RebaseExtension()],
        extension_configs={"toc": {"permalink": False}},
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
