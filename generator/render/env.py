"""The Jinja2 environment of one language: theme chain, translations, filters.

Rendering never writes a page: pages are returned as text and the writer
stores them. (Compiled catalogs are kept in the build state's folder.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_currency
from babel.support import NullTranslations, Translations

from functions.core import money
from generator.config import SiteConfig
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


@lru_cache(maxsize=None)
def _locale(lang: str) -> Locale:
    return Locale.parse(lang.replace("-", "_"))


@lru_cache(maxsize=None)
def _whole_pattern(lang: str) -> str:
    """The locale's currency pattern without decimals (for amounts like €8,000)."""
    pattern = _locale(lang).currency_formats["standard"].pattern.split(";")[0]
    return pattern.replace(".00", "").replace(",00", "")


class Formatters:
    """Locale-aware money, dates and names for one page language."""

    def __init__(self, lang: str, timezone: str, now: dt.datetime):
        self.lang = lang
        self.locale = _locale(lang)
        self.tz = ZoneInfo(timezone)
        self.now = now
        self._formats: dict[tuple[str, ...], dict[str, Any]] = {}

    @lru_cache(maxsize=4096)
    def money(self, minor: int | None, currency: str) -> str:
        if minor is None:
            return ""
        value = money.to_decimal(minor, currency)
        if minor % 10 ** money.exponent(currency) == 0:
            return format_currency(value, currency, format=_whole_pattern(self.lang),
                                   locale=self.locale, currency_digits=False)
        return format_currency(value, currency, locale=self.locale)

    @lru_cache(maxsize=4096)
    def date(self, value: dt.datetime | dt.date, format: str = "long") -> str:
        if isinstance(value, dt.datetime):
            value = value.astimezone(self.tz)
            if format in ("short", "medium", "long", "full"):
                return format_date(value.date(), format=format, locale=self.locale)
            return format_datetime(value, format=format, tzinfo=self.tz, locale=self.locale)
        return format_date(value, format=format, locale=self.locale)

    def month(self, value: dt.date) -> str:
        return format_date(value, "LLLL yyyy", locale=self.locale)

    def day_month(self, value: dt.datetime | dt.date) -> str:
        """A short day and month, "15 déc." / "Dec 15" (a datetime's day where the site is)."""
        if isinstance(value, dt.datetime):
            value = value.astimezone(self.tz).date()
        return format_skeleton("MMMd", value, locale=self.locale)

    def formats(self, currencies) -> dict[str, Any]:
        """How this page writes numbers, money and short dates, for js/format.js.

        With it the browser writes live figures exactly as the build did (Babel's
        CLDR data), and without ``Intl``: a phone spends 20-30 ms of main thread
        on the first Intl number or date formatter of a page. What the simple
        model cannot follow for this locale is left out, and the script falls
        back to Intl for it.
        """
        key = tuple(sorted(set(currencies)))
        if key not in self._formats:
            self._formats[key] = self._make_formats(key)
        return self._formats[key]

    def _make_formats(self, currencies: tuple[str, ...]) -> dict[str, Any]:
        from babel.dates import get_month_names
        from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol

        from functions.core import mailtext
        from generator.mail import money_style

        number = {"decimal": get_decimal_symbol(self.locale), "group": get_group_symbol(self.locale)}
        spec: dict[str, Any] = {"money": {}, "digits": {}}
        if all(mailtext.format_number(n, {"number": number}) == format_decimal(n, locale=self.locale)
               for n in (5, 1234, 1234567, 10 ** 9 + 5)):
            spec["number"] = number
        for currency in currencies:
            spec["digits"][currency] = money.exponent(currency)
            style = money_style(self, currency, number) if "number" in spec else None
            if style is not None:
                spec["money"][currency] = style
        skeleton = self.locale.datetime_skeletons.get("MMMd")
        months = [get_month_names("abbreviated", "format", self.locale)[m] for m in range(1, 13)]
        probes = [dt.date(2026, month, day) for month, day in ((1, 5), (3, 1), (9, 30), (12, 15))]
        if skeleton is not None and all(
                day_month(skeleton.pattern, months, d) == format_skeleton("MMMd", d, locale=self.locale)
                for d in probes):
            spec["day_month"], spec["months"] = skeleton.pattern, months
        return spec

    def country(self, code: str) -> str:
        return self.locale.territories.get(code, code)

    def language_name(self, code: str) -> str:
        name = _locale(code).get_display_name(_locale(code)) or code
        return name[:1].upper() + name[1:]

    def days_left(self, campaign: Any) -> int:
        seconds = (campaign.ends - self.now).total_seconds()
        return max(0, int(seconds // 86400))


_DATE_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*")


def day_month(pattern: str, months: list[str], value: dt.date) -> str | None:
    """A CLDR pattern of days and months (``d MMM``) written out, as js/format.js does.

    None when the pattern has a field the script does not write.
    """
    out = []
    position = 0
    for match in _DATE_TOKEN.finditer(pattern):
        out.append(pattern[position:match.start()])
        position = match.end()
        token = match.group(0)
        if token.startswith("'"):
            out.append(token[1:-1].replace("''", "'") if token != "''" else "'")
        elif token in ("d", "dd"):
            out.append(str(value.day).zfill(len(token)))
        elif token in ("M", "MM", "L", "LL"):
            out.append(str(value.month).zfill(len(token)))
        elif token in ("MMM", "LLL"):
            out.append(months[value.month - 1])
        else:
            return None
    out.append(pattern[position:])
    return "".join(out)


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
                pictures: Pictures | None = None) -> jinja2.Environment:
    """A Jinja2 environment for pages in ``lang`` (``pictures``: what the image stage made)."""
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

    env.filters.update(money=fmt.money, date=fmt.date, month=fmt.month, country=fmt.country)
    env.globals.update(
        money=fmt.money, date=fmt.date, month=fmt.month, country=fmt.country, day_month=fmt.day_month,
        formats=fmt.formats,
        days_left=fmt.days_left, language_name=fmt.language_name, lang=lang,
        site=config, asset=asset, image_url=image_url, amount_step=amount_step,
        url=lambda path: prefix + path, absolute=lambda path: config.base_url + path,
        hero=(pictures or Pictures()).hero, picture=picture,
    )
    return env

