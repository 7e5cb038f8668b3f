"""How a page language writes money, numbers and dates: one module, used by pages and mail.

:class:`Formatters` writes with Babel (CLDR) for the pages a build renders.
:func:`patterns` turns the same output into simple patterns (prefix, suffix,
separators; ``string.Template`` dates) that the pledge functions
(:mod:`functions.core.mailtext`) and the pages' ``js/format.js`` apply without
Babel or ``Intl``, checked against Babel on probe values; :func:`money_style`
is that check for one currency. The render environment
(:mod:`generator.render.env`) and the mail compiler (:mod:`generator.mail`)
both import this module, which imports neither.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, get_month_names, parse_pattern
from babel.numbers import format_currency, format_decimal, get_decimal_symbol, get_group_symbol

from functions.core import mailtext, money


@lru_cache(maxsize=None)
def babel_locale(lang: str) -> Locale:
    """Babel's locale for a page language tag (``pt-BR`` → ``pt_BR``), kept per process."""
    return Locale.parse(lang.replace("-", "_"))


@lru_cache(maxsize=None)
def whole_pattern(lang: str) -> str:
    """The locale's currency pattern without decimals (for amounts like €8,000)."""
    pattern = babel_locale(lang).currency_formats["standard"].pattern.split(";")[0]
    return pattern.replace(".00", "").replace(",00", "")


class Formatters:
    """Locale-aware money, dates and names for one page language."""

    def __init__(self, lang: str, timezone: str, now: dt.datetime):
        self.lang = lang
        self.locale = babel_locale(lang)
        self.tz = ZoneInfo(timezone)
        self.now = now
        self._formats: dict[tuple[str, ...], dict[str, Any]] = {}

    @lru_cache(maxsize=4096)
    def money(self, minor: int | None, currency: str) -> str:
        if minor is None:
            return ""
        value = money.to_decimal(minor, currency)
        if minor % 10 ** money.exponent(currency) == 0:
            return format_currency(value, currency, format=whole_pattern(self.lang),
                                   locale=self.locale, currency_digits=False)
        return format_currency(value, currency, locale=self.locale)

    @lru_cache(maxsize=4096)
    def number(self, value: int) -> str:
        """``1250`` → ``1 250`` (fr), ``1,250`` (en): CLDR's grouping."""
        return format_decimal(value, locale=self.locale)

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
        name = babel_locale(code).get_display_name(babel_locale(code)) or code
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


# -- patterns: what Babel would print, as the functions (and js/format.js) can apply it ----------

PROBE = 1234567  # digits 1…7: the grouping and the place of the currency symbol show


def patterns(lang: str, currencies: list[str], timezone: str) -> dict[str, Any]:
    """Number, money and date patterns of ``lang``, checked against Babel on probe values."""
    locale = babel_locale(lang)
    fmt = Formatters(lang, timezone, dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    number = {"decimal": get_decimal_symbol(locale), "group": get_group_symbol(locale)}
    spec: dict[str, Any] = {
        "number": number,
        "months": [get_month_names("wide", "format", locale)[m] for m in range(1, 13)],
        "months_standalone": [get_month_names("wide", "stand-alone", locale)[m] for m in range(1, 13)],
    }
    spec["money"] = {currency: money_style(fmt, currency, number) or {"prefix": "", "suffix": "\u00a0" + currency, **number}
                     for currency in currencies}
    spec["date"] = _date_pattern(locale.date_formats["long"].pattern)
    spec["month"] = _date_pattern("LLLL yyyy")
    for key, babel_format in (("date", fmt.date), ("month", fmt.month)):
        if not _same_dates(spec, key, babel_format):
            spec[key] = "${yyyy}-${MM}-${dd}" if key == "date" else "${yyyy}-${MM}"  # ISO: never wrong
    return spec


def money_style(fmt, currency: str, number: dict[str, str]) -> dict[str, str] | None:
    """Prefix, suffix and symbols around the digits, read from Babel's own output.

    None when the locale writes money in a way this simple model cannot follow
    (another digit system, another grouping): checked on probe values against
    ``fmt.money``. The functions (mailtext.format_money) and the pages'
    js/format.js write money with this model.
    """
    digits = money.exponent(currency)
    whole = fmt.money(PROBE * 10 ** digits, currency)
    first, last = whole.find("1"), whole.rfind("7")
    style = {"prefix": whole[:first], "suffix": whole[last + 1:], "group": whole[first + 1:whole.find("2")],
             "decimal": number["decimal"]}
    if digits:
        fraction = "891"[:digits].ljust(digits, "1")
        text = fmt.money(PROBE * 10 ** digits + int(fraction), currency)
        style["decimal"] = text[text.rfind("7") + 1:text.rfind(fraction)]
    for probe in (PROBE * 10 ** digits, 5 * 10 ** digits, 1234 * 10 ** digits + (7 if digits else 0),
                  10 ** digits * 10 ** 9 + 5):
        if mailtext.format_money(probe, currency, {"money": {currency: style}, "number": number}) != \
                fmt.money(probe, currency):
            return None
    return style


def _date_pattern(cldr: str) -> str:
    """A CLDR date pattern (``d MMMM y``) as a ``string.Template`` of :data:`mailtext.DATE_FIELDS`."""
    format_string = parse_pattern(cldr).format  # "%(d)s %(MMMM)s %(y)s", literal % doubled
    out, position = [], 0
    for match in re.finditer(r"%\((\w+)\)s|%%", format_string):
        out.append(format_string[position:match.start()].replace("$", "$$"))
        out.append("%" if match.group(0) == "%%" else "${" + match.group(1) + "}")
        position = match.end()
    out.append(format_string[position:].replace("$", "$$"))
    return "".join(out)


def _same_dates(spec: dict[str, Any], key: str, babel_format) -> bool:
    """The pattern gives Babel's text for a day of every month (else it is not used)."""
    if mailtext.placeholders(spec[key]) - set(mailtext.DATE_FIELDS):
        return False
    for month in range(1, 13):
        day = dt.date(2026, month, 22 if month % 2 else 3)
        ours = mailtext.format_date(day.isoformat(), spec) if key == "date" else \
            mailtext.format_month(day.isoformat()[:7], spec)
        if ours != babel_format(day):
            return False
    return True
