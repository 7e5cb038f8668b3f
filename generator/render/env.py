"""The Jinja2 environment of one language: theme chain, translations, filters.

Rendering never writes a page: pages are returned as text and the writer
stores them. (Compiled catalogs are kept in the build state's folder.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from io import BytesIO
from pathlib import Path

import jinja2
import markupsafe
from babel.support import NullTranslations, Translations

from functions.core import money
from generator.config import SiteConfig
from generator.content import video
from generator.render.formats import Formatters
from generator.render.pictures import SIZES, Picture, Pictures, picture_html
from generator.render.plan import image_url
from generator.render.theme import Theme


_CATALOGS: dict[tuple, NullTranslations] = {}


def translations(theme: Theme, lang: str) -> NullTranslations:
    """The theme's catalog for ``lang``, over the default theme's (read from .po directly).

    Kept by the catalogs' content: the share cards and the pages of one build
    read them once, and ``serve`` reads them again when they change.
    """
    key = (tuple(theme.catalogs(lang)), lang, theme.locale_fingerprint(lang))
    if key not in _CATALOGS:
        _CATALOGS[key] = _read_catalogs(theme, lang)
    return _CATALOGS[key]


def _read_catalogs(theme: Theme, lang: str) -> NullTranslations:
    result: NullTranslations = NullTranslations()
    for po in reversed(theme.catalogs(lang)):  # default theme first, the site's theme on top
        layer = Translations(BytesIO(_compiled(po, lang, theme.cache)))
        layer.add_fallback(result)
        result = layer
    return result


def _compiled(po: Path, lang: str, cache: Path | None) -> bytes:
    """The .mo bytes of a .po file, kept in ``cache`` by content (reading a .po costs ~20 ms)."""
    import babel

    source = po.read_bytes()
    kept = None
    if cache is not None:
        place = hashlib.sha256(f"{po}\0{lang}".encode()).hexdigest()[:16]
        key = hashlib.sha256(b"\0".join((babel.__version__.encode(), source))).hexdigest()[:32]
        kept = cache / "mo" / f"{place}-{key}.mo"
        try:
            return kept.read_bytes()
        except OSError:
            pass
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    buffer = BytesIO()
    write_mo(buffer, read_po(BytesIO(source), locale=lang))
    data = buffer.getvalue()
    if kept is not None:
        try:
            kept.parent.mkdir(parents=True, exist_ok=True)
            for old in kept.parent.glob(f"{place}-*.mo"):  # what this catalog compiled to before
                old.unlink()
            temporary = kept.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(data)
            temporary.replace(kept)
        except OSError:
            pass  # a cache only
    return data


def _cache_dir(config: SiteConfig):
    folder = config.root / ".cagnotte" / "build" / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def amount_step(currency: str) -> str:
    """The ``step`` of an amount input: one minor unit (0.01 EUR, 1 JPY, 0.001 BHD)."""
    digits = money.exponent(currency)
    return "1" if digits == 0 else "0." + "0" * (digits - 1) + "1"


def picture(image: Picture | None, alt: str = "", sizes: str = "100vw", loading: str = "lazy"):
    """``picture(hero(campaign), campaign.image_alt, "hero", "high")``: a responsive ``<picture>``.

    ``sizes`` is a CSS sizes list or the name of one of the theme's places
    (``hero``, ``card``, ``embed``, ``story``, ``update``); ``loading`` is
    ``lazy``, ``eager`` or ``high`` (eager, fetched first: the page's main image).
    """
    return picture_html(image, alt, SIZES.get(sizes, sizes), loading)


def environment(theme: Theme, config: SiteConfig, lang: str, now: dt.datetime,
                pictures: Pictures | None = None, pages=None) -> jinja2.Environment:
    """A Jinja2 environment for pages in ``lang`` (``pictures``: what the image stage made;
    ``pages``: content/pages, whose footer links every page shows)."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in theme.template_dirs]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n", "generator.render.fragments.FragmentCache"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        # Compiled templates are kept between builds (keyed by the template's source).
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(_cache_dir(config))),
    )
    env.install_gettext_translations(translations(theme, lang), newstyle=True)  # type: ignore[attr-defined]
    fmt = Formatters(lang, config.timezone, now)
    prefix = config.prefix(lang)
    assets = theme.assets

    def asset(path: str) -> str:
        if path not in assets:
            raise jinja2.TemplateError(f"asset({path!r}): no such file in the theme's static/ folder")
        return assets[path]

    from generator.content.markdown import to_html

    # site.yml's footer and logo: the creator's own file, so its Markdown is trusted like a story's.
    footer_html = markupsafe.Markup(to_html(config.footer_text(lang), "/"))
    logo = None
    if theme.logo is not None:
        logo = {"url": assets[theme.logo.name], "width": theme.logo.width, "height": theme.logo.height}
    footer_pages = [(p.title, prefix + f"/{p.slug}/") for p in pages.footer(lang)] if pages is not None else []
    env.filters.update(money=fmt.money, date=fmt.date, month=fmt.month, country=fmt.country)
    env.globals.update(
        money=fmt.money, number=fmt.number, date=fmt.date, month=fmt.month, country=fmt.country,
        day_month=fmt.day_month,
        formats=fmt.formats,
        days_left=fmt.days_left, language_name=fmt.language_name, lang=lang,
        site=config, asset=asset, image_url=image_url, amount_step=amount_step,
        url=lambda path: prefix + path, absolute=lambda path: config.base_url + path,
        hero=(pictures or Pictures()).hero, avatar=(pictures or Pictures()).avatar, picture=picture,
        video_player=video.player_url,
        logo=logo, footer_html=footer_html, footer_pages=footer_pages,
    )
    return env

