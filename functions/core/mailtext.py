"""E-mail text at send time: the theme's compiled templates filled with one message's facts.

The build renders each theme mail template (``themes/<theme>/mail/``) once per
language and funding model with Jinja, every per-message fact left as a
``${name}`` placeholder (:class:`string.Template` syntax), and writes the result
to ``mail.json`` beside the catalog. Here, with the standard library only (no
Jinja, no Babel in the Lambda package), :func:`render` picks the compiled text
for a :class:`~functions.core.mail.Mail`, formats its raw values (money from
minor units, ISO dates) with the number and date patterns the build recorded
for the language, and substitutes them: HTML-escaped in the HTML part, as they
are in the text part and the subject.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass
from string import Template
from typing import Any

from . import money
from .mail import Mail, Message, valid_address

FORMAT = 1
FILENAME = "mail.json"
FUNDINGS = ("all_or_nothing", "flexible")
ANY = "*"  # a kind whose text is the same for both funding models
PARTS = ("subject", "text", "html")

# What every message can show, then what each kind adds (from its Mail.values).
COMMON = ("site_title", "site_url", "title", "creator", "campaign_url", "deadline")
PLEDGE = ("amount", "reward", "pledge", "manage_url", "referral_url")
FIX = ("fix_url", "fix_deadline")
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "confirmation": COMMON + PLEDGE + ("download",),
    "changed": COMMON + PLEDGE,
    "cancelled": COMMON + PLEDGE,
    "receipt": COMMON + PLEDGE + ("download",),
    "payment_failed": COMMON + PLEDGE + FIX,
    "fix_reminder": COMMON + PLEDGE + FIX,
    "unfunded": COMMON + PLEDGE,
    "card_expiring": COMMON + PLEDGE + ("card_expires",),
    "survey": COMMON + PLEDGE + ("survey_url",),
    "reminder_confirm": COMMON + ("confirm_url", "unsubscribe_url"),
    "launch": COMMON + ("unsubscribe_url",),
    "comment_confirm": COMMON + ("confirm_url",),
    "comment_reply": COMMON + ("reply_text", "reply_name", "comment_text"),
    "digest": COMMON + ("day", "new_pledges", "raised", "backers", "goal", "milestones", "trend"),
    "update": COMMON + ("update_title", "update_body", "update_link", "unsubscribe_url"),
}
# Short phrases the renderer assembles values from (compiled from the theme's mail/parts.txt).
PHRASES: dict[str, tuple[str, ...]] = {
    "pledge_with_reward": ("amount", "reward"),
    "pledge_without_reward": ("amount",),
    "milestone_first_backer": (),
    "milestone_half": (),
    "milestone_goal": (),
    "milestone_stretch": ("amount",),
    "digest_trend": ("amount", "low", "high", "deadline"),
    "update_read_online": ("url",),
    "download_ready": ("url",),
    "download_files": ("urls", "url"),
}
DATE_FIELDS = ("d", "dd", "M", "MM", "MMMM", "LLLL", "y", "yyyy")
# Headers that tell mail software the message is automatic (no vacation replies).
AUTOMATIC = {"Auto-Submitted": "auto-generated"}


class MailTextError(ValueError):
    """The compiled templates or a message's values do not fit together."""


def placeholders(text: str) -> set[str]:
    """The ``${name}`` placeholders of a compiled text (``$$`` is a literal dollar)."""
    names = set()
    for match in Template.pattern.finditer(text):
        if match.group("invalid") is not None:
            raise MailTextError(f"a lone '$' in {text[:60]!r}: write $$ for a dollar sign")
        name = match.group("named") or match.group("braced")
        if name:
            names.add(name)
    return names


@dataclass(frozen=True)
class Templates:
    """What the build compiled into ``mail.json``: texts, number and date formats, campaigns."""

    data: dict[str, Any]

    @classmethod
    def from_json(cls, text: str) -> "Templates":
        """Read and check ``mail.json`` (every placeholder must be one its kind provides)."""
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise MailTextError(f"mail.json format {data.get('format')!r} is not {FORMAT}: rebuild the site")
        templates = cls(data)
        templates.check()
        return templates

    def check(self) -> None:
        problems = []
        for lang, spec in sorted(self.data["languages"].items()):
            for name, allowed in PHRASES.items():
                if name not in spec["phrases"]:
                    problems.append(f"{lang}: the phrase {name} is missing")
                elif unknown := placeholders(spec["phrases"][name]) - set(allowed):
                    problems.append(f"{lang}: the phrase {name} uses {', '.join(sorted(unknown))}")
            shared = set(COMMON)  # the HTML prefix is part of every kind's HTML
            if unknown := placeholders(spec.get("html_prefix", "")) - shared:
                problems.append(f"{lang}: the shared HTML uses {', '.join(sorted(unknown))}")
            for kind, allowed in PLACEHOLDERS.items():
                variants = spec["kinds"].get(kind)
                if not variants:
                    problems.append(f"{lang}: no template for {kind}")
                    continue
                for funding, parts in sorted(variants.items()):
                    for part in PARTS:
                        unknown = placeholders(parts[part]) - set(allowed)
                        if unknown:
                            problems.append(f"{lang}: {kind}.{part} ({funding}) uses unknown "
                                            f"placeholder(s) {', '.join('${' + n + '}' for n in sorted(unknown))}")
        if problems:
            raise MailTextError("mail.json: " + "; ".join(problems))

    @property
    def default_language(self) -> str:
        return self.data["default_language"]

    def language(self, lang: str) -> dict[str, Any]:
        """The compiled texts of ``lang``, else of the site's default language."""
        languages = self.data["languages"]
        return languages.get(lang) or languages.get(lang.split("-")[0]) or languages[self.default_language]

    def campaign(self, slug: str, lang: str) -> dict[str, Any]:
        """The campaign's facts in ``lang`` (its own language's where not translated)."""
        found = self.data["campaigns"].get(slug)
        if found is None:
            raise MailTextError(f"no campaign {slug!r} in mail.json (removed from the site?)")
        own = {k: v for k, v in found.items() if k != "translations"}
        return {**own, **found.get("translations", {}).get(lang, {})}


# -- formatting without Babel (patterns recorded by the build) ---------------------------------

def _grouped(digits: str, group: str) -> str:
    head = len(digits) % 3 or 3
    return group.join([digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)])


def format_money(minor: int, currency: str, spec: dict[str, Any]) -> str:
    """``3750 EUR`` → ``37,50 €`` (fr), ``€37.50`` (en); whole amounts without decimals, like the pages."""
    style = spec["money"].get(currency) or {"prefix": "", "suffix": "\u00a0" + currency, **spec["number"]}
    digits = money.exponent(currency)
    whole, fraction = divmod(abs(minor), 10 ** digits)
    text = _grouped(str(whole), style["group"])
    if fraction:
        text += style["decimal"] + str(fraction).zfill(digits)
    return ("-" if minor < 0 else "") + style["prefix"] + text + style["suffix"]


def format_number(value: int, spec: dict[str, Any]) -> str:
    return ("-" if value < 0 else "") + _grouped(str(abs(value)), spec["number"]["group"])


def _date_fields(day: dt.date, spec: dict[str, Any]) -> dict[str, str]:
    return {"d": str(day.day), "dd": f"{day.day:02d}", "M": str(day.month), "MM": f"{day.month:02d}",
            "MMMM": spec["months"][day.month - 1], "LLLL": spec["months_standalone"][day.month - 1],
            "y": str(day.year), "yyyy": f"{day.year:04d}"}


def format_date(iso: str, spec: dict[str, Any]) -> str:
    """``2026-12-22`` → ``22 décembre 2026`` / ``December 22, 2026`` (a datetime's own date)."""
    day = dt.date.fromisoformat(iso[:10])
    return Template(spec["date"]).substitute(_date_fields(day, spec))


def format_month(iso: str, spec: dict[str, Any]) -> str:
    """``2027-03`` → ``mars 2027`` / ``March 2027``."""
    year, month = iso[:7].split("-")
    return Template(spec["month"]).substitute(_date_fields(dt.date(int(year), int(month), 1), spec))


# -- one message ---------------------------------------------------------------------------------

_DIGITS = re.compile(r"^-?\d+$")
_BLANKS = re.compile(r"\n{3,}")
_EMPTY_PARAGRAPH = re.compile(r"<p\b[^>]*>\s*</p>\n?")


def _integer(values: dict[str, str], name: str) -> int:
    text = values[name].strip()
    if not _DIGITS.match(text):
        raise MailTextError(f"{name}={values[name]!r} is not an integer")
    return int(text)


def message_values(mail: Mail, templates: Templates, site_title: str | None = None,
                   base_url: str | None = None) -> dict[str, str]:
    """Every placeholder value this message can fill, formatted for its language (plain text)."""
    spec = templates.language(mail.lang)
    campaign = templates.campaign(mail.campaign, spec["lang"])
    raw = mail.values
    base = (base_url or templates.data["site"]["base_url"]).rstrip("/")
    values = {
        "site_title": site_title or templates.data["site"]["title"],
        "site_url": f"{base}{spec['prefix']}/",
        "title": campaign["title"],
        "creator": campaign["creator"],
        "campaign_url": f"{base}{spec['prefix']}/campaigns/{mail.campaign}/",
        "deadline": format_date(campaign["ends"], spec),
    }
    currency = raw.get("currency") or campaign["currency"]
    phrases = spec["phrases"]
    if "amount_minor" in raw:
        values["amount"] = format_money(_integer(raw, "amount_minor"), currency, spec)
        reward_id = raw.get("reward_id") or ""
        values["reward"] = _items(raw, campaign) if reward_id else ""
        phrase = phrases["pledge_with_reward"] if reward_id else phrases["pledge_without_reward"]
        values["pledge"] = Template(phrase).substitute(amount=values["amount"], reward=values["reward"])
    for name in ("reply_text", "reply_name", "comment_text"):  # plain text: escaped in the HTML part
        if name in raw:
            values[name] = raw[name]
    for name in ("manage_url", "referral_url", "fix_url", "confirm_url", "unsubscribe_url", "survey_url"):
        if name in raw:
            values[name] = raw[name]
    if raw.get("fix_deadline"):
        values["fix_deadline"] = format_date(raw["fix_deadline"], spec)
    if raw.get("card_expires"):
        values["card_expires"] = format_month(raw["card_expires"], spec)
    if raw.get("day"):
        values["day"] = format_date(raw["day"], spec)
    for name in ("new_pledges", "backers"):
        if name in raw:
            values[name] = format_number(_integer(raw, name), spec)
    for name in ("raised", "goal"):
        if f"{name}_minor" in raw:
            values[name] = format_money(_integer(raw, f"{name}_minor"), currency, spec)
    if "milestones" in raw:
        values["milestones"] = "\n".join(_milestone(code, currency, spec)
                                         for code in raw["milestones"].split(",") if code.strip())
    if mail.kind in ("receipt", "confirmation"):  # a digital reward: where its code or files are
        values["download"] = ""
        if raw.get("download") == "1" and raw.get("manage_url"):
            phrase = phrases["download_files"] if raw.get("download_urls") else phrases["download_ready"]
            values["download"] = Template(phrase).substitute(url=raw["manage_url"],
                                                             urls=raw.get("download_urls", ""))
    if mail.kind == "update":  # the update's own text, in the message's language (see render for the HTML)
        update = campaign.get("updates", {}).get(raw.get("update_id", ""))
        if update is None:
            raise MailTextError(f"no update {raw.get('update_id')!r} in mail.json: was it removed?")
        values["update_title"], values["update_body"] = update["title"], update["text"]
        values["update_link"] = (Template(phrases["update_read_online"]).substitute(url=update["url"])
                                 if update.get("url") else "")
    if "milestones" in raw:  # a digest: its projection, when there is one to give
        values["trend"] = ""
        if all(raw.get(name) for name in ("trend_minor", "trend_low_minor", "trend_high_minor", "ends")):
            values["trend"] = Template(spec["phrases"]["digest_trend"]).substitute(
                amount=format_money(_integer(raw, "trend_minor"), currency, spec),
                low=format_money(_integer(raw, "trend_low_minor"), currency, spec),
                high=format_money(_integer(raw, "trend_high_minor"), currency, spec),
                deadline=format_date(raw["ends"], spec))
    return values


def _items(raw: dict[str, str], campaign: dict[str, Any]) -> str:
    """The reward with its units and add-ons in the mail's language: ``Vinyle × 2 + Affiche``.

    A row queued before ``quantity`` and ``addons`` were recorded names the reward alone; an
    add-on gone from the site keeps its id.
    """
    reward_id = raw["reward_id"]
    parts = [(campaign.get("rewards", {}).get(reward_id, reward_id), raw.get("quantity") or "1")]
    for item in (raw.get("addons") or "").split(","):
        addon_id, _, units = item.strip().partition(":")
        if addon_id:
            parts.append((campaign.get("addons", {}).get(addon_id, addon_id), units or "1"))
    return " + ".join(title if units.strip() in ("", "1") else f"{title} × {units.strip()}"
                      for title, units in parts)


def _milestone(code: str, currency: str, spec: dict[str, Any]) -> str:
    """``first_backer``, ``half``, ``goal`` or ``stretch:<minor units>`` as a sentence."""
    code = code.strip()
    phrases = spec["phrases"]
    if code.startswith("stretch:") and _DIGITS.match(code[8:]):
        return Template(phrases["milestone_stretch"]).substitute(
            amount=format_money(int(code[8:]), currency, spec))
    return phrases.get("milestone_" + code, code)


def _fill(text: str, values: dict[str, str], escape: bool, where: str) -> str:
    missing = placeholders(text) - set(values)
    if missing:
        raise MailTextError(f"{where} needs {', '.join(sorted(missing))}, which this message does not carry")
    if escape:
        values = {k: html.escape(v).replace("\n", "<br>\n") for k, v in values.items()}
    return Template(text).substitute(values)


_RAW = "\x00update body\x00"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def render(mail: Mail, templates: Templates, site_title: str | None = None,
           base_url: str | None = None) -> Message:
    """The e-mail for ``mail``: subject, plain text and HTML in its language, with its headers.

    ``site_title`` replaces the site's title; ``base_url`` the site's address in
    the links the templates make (``cagnotte serve`` passes its own). Raises
    :class:`MailTextError` when the message lacks a value its template shows.
    """
    if mail.kind not in PLACEHOLDERS:
        raise MailTextError(f"unknown mail kind {mail.kind!r}")
    spec = templates.language(mail.lang)
    campaign = templates.campaign(mail.campaign, spec["lang"])
    variants = spec["kinds"][mail.kind]
    funding = mail.values.get("funding") or campaign["funding"]
    parts = variants.get(ANY) or variants.get(funding) or variants[campaign["funding"]]
    values = message_values(mail, templates, site_title, base_url)
    # A subject is one line, whatever a value holds (no header injection).
    subject = _one_line(_fill(parts["subject"], {k: _one_line(v) for k, v in values.items()}, False,
                              f"{mail.kind}.subject"))
    headers = {"X-Cagnotte-Kind": mail.kind, **AUTOMATIC}
    reply_to = mail.values.get("reply_to", "")
    if reply_to and valid_address(reply_to):  # the creator's address: a backer's reply reaches them
        headers["Reply-To"] = reply_to
    unsubscribe = mail.values.get("unsubscribe_url")
    if unsubscribe:
        # RFC 8058 one-click unsubscribe: mail clients POST "List-Unsubscribe=One-Click" to the link.
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # An empty value (no milestone today) leaves no gap: no run of blank lines, no empty paragraph.
    text = _BLANKS.sub("\n\n", _fill(parts["text"], values, False, f"{mail.kind}.text"))
    html_values = values
    if mail.kind == "update":  # the creator's own HTML (the build made it from their Markdown): not escaped
        html_values = {**values, "update_body": _RAW}
    body = _EMPTY_PARAGRAPH.sub("", _fill(spec.get("html_prefix", "") + parts["html"], html_values, True,
                                          f"{mail.kind}.html"))
    if mail.kind == "update":
        update = campaign["updates"][mail.values["update_id"]]
        body = body.replace(_RAW, update["html"], 1)
    return Message(to=mail.to, subject=subject, text=text, html=body, headers=headers)
