"""Responsive pictures in pages: what the build made of each image, and its markup.

The image stage (:mod:`generator.output.images`) resizes every campaign image
the pages show and hands the renderer a :class:`Pictures` manifest. This module
is pure: it turns a :class:`Picture` into ``<picture>`` markup, and rewrites the
``<img>`` tags of the creator's Markdown into the same markup. Rendering never
opens an image.
"""

from __future__ import annotations

import dataclasses
import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from markupsafe import Markup, escape

# The ``sizes`` of each place an image is shown, from the theme's CSS (site.css):
# the hero is 3/5 of the 72rem column on wide screens, cards are about 17–24rem,
# the story 2/3 of the column, an update a 42rem column.
SIZES = {
    "hero": "(min-width: 72rem) 40rem, (min-width: 60rem) 55vw, 100vw",
    "card": "(min-width: 40rem) 24rem, 100vw",
    "embed": "100vw",
    "story": "(min-width: 72rem) 44rem, (min-width: 60rem) 60vw, 100vw",
    "update": "(min-width: 42rem) 40rem, 100vw",
    "avatar": "3rem",
}
TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}


@dataclass(frozen=True)
class Variant:
    width: int
    height: int
    url: str  # site path of the file


@dataclass(frozen=True)
class Picture:
    """One source image and the variants made from it (smallest first)."""

    source: str  # the original's site path: /campaigns/<slug>/cover.jpg
    width: int  # of the largest variant (the intrinsic size given to <img>)
    height: int
    fallback: str  # the fallback variants' format: jpeg or png (gif: the original only)
    webp: tuple[Variant, ...] = ()
    variants: tuple[Variant, ...] = ()  # in the fallback format

    @property
    def src(self) -> str:
        """The ``src`` of the fallback ``<img>``: the variant closest to 800 px wide."""
        if not self.variants:
            return self.source
        return min(self.variants, key=lambda v: (abs(v.width - 800), v.width)).url

    @staticmethod
    def srcset(variants: tuple[Variant, ...]) -> str:
        return ", ".join(f"{v.url} {v.width}w" for v in variants)


@dataclass(frozen=True)
class ShareImage:
    """The link-preview card of a campaign in one language (og:image)."""

    url: str  # site path
    width: int
    height: int
    alt: str


@dataclass
class Pictures:
    """Everything the image stage made, by source path; and the share cards by (slug, lang)."""

    pictures: dict[str, Picture] = field(default_factory=dict)  # source site path → Picture
    heroes: dict[str, str] = field(default_factory=dict)  # slug → its hero's source site path
    uses: dict[str, tuple[str, ...]] = field(default_factory=dict)  # slug → the sources its pages show
    share: dict[tuple[str, str], ShareImage] = field(default_factory=dict)
    avatars: dict[str, Picture] = field(default_factory=dict)  # slug → the creator's square avatar
    _digests: dict = field(default_factory=dict, repr=False)
    _shown: dict = field(default_factory=dict, repr=False)

    def avatar(self, campaign) -> Picture | None:
        return self.avatars.get(campaign.slug)

    def hero(self, campaign) -> Picture | None:
        path = self.heroes.get(campaign.slug)
        return self.pictures.get(path) if path else None

    def digest(self, slug: str, lang: str | None = None) -> str:
        """A hash of what the build made from a campaign's images ('' when it has none).

        Part of the fingerprint of every page that shows them: a new encoder, a
        new variant width or a new font changes the file names in the page.
        """
        key = (slug, lang)
        if key not in self._digests:
            parts = [repr(self.pictures[p]) for p in self.uses.get(slug, ()) if p in self.pictures]
            if slug in self.avatars:
                parts.append(repr(self.avatars[slug]))
            if lang is not None and (slug, lang) in self.share:
                parts.append(repr(self.share[(slug, lang)]))
            self._digests[key] = hashlib.sha256("\0".join(parts).encode()).hexdigest() if parts else ""
        return self._digests[key]

    def shown(self, campaign, kind: str):
        """``campaign`` with the ``<img>`` of its Markdown made responsive, for a page of ``kind``.

        Feeds get the campaign as it is: feed readers want one plain ``<img>``.
        """
        if not self.pictures or kind not in ("campaign", "update"):
            return campaign
        key = (campaign.slug, campaign.language, id(campaign), kind)
        if key not in self._shown:
            sizes = SIZES["story" if kind == "campaign" else "update"]

            def fix(html: str) -> str:
                return rewrite(html, self.pictures, sizes)

            self._shown[key] = dataclasses.replace(
                campaign,
                story_html=fix(campaign.story_html),
                risks_html=fix(campaign.risks_html),
                faq=tuple(dataclasses.replace(q, answer_html=fix(q.answer_html)) for q in campaign.faq),
                rewards=tuple(dataclasses.replace(r, description_html=fix(r.description_html))
                              for r in campaign.rewards),
                updates=tuple(dataclasses.replace(u, body_html=fix(u.body_html)) for u in campaign.updates),
            )
        return self._shown[key]


def picture_html(picture: Picture | None, alt: str = "", sizes: str = "100vw", loading: str = "lazy",
                 extra: dict[str, str] | None = None) -> Markup:
    """``<picture>``: a WebP ``<source>`` and a fallback ``<img>``, both with ``srcset``.

    ``loading`` is ``lazy`` (below the fold), ``eager``, or ``high`` (eager with
    ``fetchpriority="high"``: the page's main image, above the fold).
    """
    if picture is None:
        return Markup("")
    attrs = [("src", picture.src)]
    if picture.variants:
        attrs += [("srcset", Picture.srcset(picture.variants)), ("sizes", sizes)]
    attrs += [("width", str(picture.width)), ("height", str(picture.height)), ("alt", alt)]
    attrs += list((extra or {}).items())
    attrs.append(("decoding", "async"))
    if loading == "lazy":
        attrs.append(("loading", "lazy"))
    elif loading == "high":
        attrs.append(("fetchpriority", "high"))
    img = "<img " + " ".join(f'{name}="{escape(value)}"' for name, value in attrs) + ">"
    if not picture.webp:
        return Markup(img)
    source = (f'<source type="image/webp" srcset="{escape(Picture.srcset(picture.webp))}" '
              f'sizes="{escape(sizes)}">')
    return Markup(f"<picture>{source}{img}</picture>")


_IMG = re.compile(r"<img\b([^>]*?)\s*/?>", re.IGNORECASE)
_ATTR = re.compile(r"""\s+([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
_ENTITIES = {"&amp;": "&", "&quot;": '"', "&#39;": "'", "&lt;": "<", "&gt;": ">"}


def _unescape(value: str) -> str:
    return re.sub(r"&(?:amp|quot|#39|lt|gt);", lambda m: _ENTITIES[m.group(0)], value)


def _attributes(text: str) -> dict[str, str] | None:
    """The attributes of a tag, or None when they cannot all be read (left as they are)."""
    found: dict[str, str] = {}
    position = 0
    for match in _ATTR.finditer(text):
        if match.start() != position:
            return None
        name = match.group(1).lower()
        value = next((g for g in match.group(2, 3, 4) if g is not None), "")
        found[name] = _unescape(value)
        position = match.end()
    return found if text[position:].strip() == "" else None


def site_path(src: str) -> str | None:
    """The normalised site path an ``<img src>`` points to, if it is one of this site's."""
    if not src.startswith("/") or src.startswith("//"):
        return None
    path = unquote(src.split("#", 1)[0].split("?", 1)[0])
    return posixpath.normpath(path)


def image_sources(html: str) -> list[str]:
    """The site paths of the ``<img>`` in converted Markdown (for the image stage)."""
    if "<img" not in html:
        return []
    found = []
    for match in _IMG.finditer(html):
        attrs = _attributes(match.group(1))
        if attrs and "src" in attrs:
            path = site_path(attrs["src"])
            if path:
                found.append(path)
    return found


def rewrite(html: str, pictures: dict[str, Picture], sizes: str) -> str:
    """Replace each ``<img>`` whose source the build resized by its ``<picture>``.

    The creator's ``alt`` and ``title`` are kept; the image is lazy (a story is
    below the fold). Anything else is left exactly as it was.
    """
    if "<img" not in html:
        return html

    def replace(match: re.Match) -> str:
        attrs = _attributes(match.group(1))
        if not attrs or "src" not in attrs:
            return match.group(0)
        picture = pictures.get(site_path(attrs["src"]) or "")
        if picture is None:
            return match.group(0)
        extra = {"title": attrs["title"]} if "title" in attrs else None
        return str(picture_html(picture, attrs.get("alt", ""), sizes, "lazy", extra))

    return _IMG.sub(replace, html)
