"""site.yml: the site's configuration, read as a typed schema."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from functions.core import money, stripe_money
from generator.content.fields import Fields, compose
from generator.problems import ContentError, Problem

FILENAME = "site.yml"
FIELDS = ("title", "description", "base_url", "language", "languages", "currency",
          "timezone", "theme", "api_url", "output", "accent", "logo", "footer")
LOGO_TYPES = (".svg", ".png", ".jpg", ".jpeg", ".webp", ".gif")
# Stripe secret keys, restricted keys and webhook signing secrets.
SECRET = re.compile(r"\b(sk_live_|sk_test_|rk_live_|rk_test_|rk_|whsec_)[A-Za-z0-9]*")
LANGUAGE = re.compile(r"^[a-z]{2,3}(?:[_-][A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class SiteConfig:
    root: Path  # the folder holding site.yml
    title: str
    base_url: str  # without a trailing slash
    language: str
    languages: tuple[str, ...]  # the default language first
    currency: str
    timezone: str
    theme: str
    api_url: str  # without a trailing slash
    output: str
    description: str = ""
    accent: str = ""  # #rgb or #rrggbb; "" keeps the theme's
    logo: str = ""  # site-relative path of an image, shown in the header
    logo_digest: str = ""  # sha256 of the logo's bytes (pages change when it does)
    footer: tuple[tuple[str, str], ...] = ()  # (language, Markdown) pairs; the default language first

    def footer_text(self, lang: str) -> str:
        """The footer's Markdown in ``lang``, else in the default language."""
        texts = dict(self.footer)
        return texts.get(lang, texts.get(self.language, ""))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def prefix(self, lang: str) -> str:
        """The URL prefix of a language: '' for the default, '/en' for others."""
        return "" if lang == self.language else f"/{lang}"

    def fingerprint(self) -> str:
        """What every page depends on (root excluded: moving the site changes nothing)."""
        return repr((self.title, self.base_url, self.language, self.languages, self.currency,
                     self.timezone, self.theme, self.api_url, self.description, self.accent, self.logo,
                     self.logo_digest, self.footer))


def find_secrets(text: str, path: str) -> list[Problem]:
    """Lines of ``text`` that hold what looks like a Stripe secret."""
    return [
        Problem(path, number, f"this looks like a Stripe secret ({match.group(1)}…): secrets never "
                "go in site.yml; set STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET in the environment")
        for number, line in enumerate(text.splitlines(), start=1)
        for match in [SECRET.search(line)] if match
    ]


def load_config(root: Path) -> SiteConfig:
    """Read and validate ``root/site.yml``; raise ContentError with every problem."""
    path = root / FILENAME
    shown = FILENAME
    if not path.is_file():
        raise ContentError([Problem(shown, 1, f"no {FILENAME} here: run cagnotte in the site folder or pass --site DIR")])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContentError([Problem(shown, 1, "not UTF-8 text: save the file as UTF-8")])
    problems = find_secrets(text, shown)
    node = compose(text, shown, 1, problems)
    if node is None and problems:
        raise ContentError(problems)
    fields = Fields(node, shown, 1, problems)
    fields.allow(FIELDS)

    title = fields.text("title", required=True, one_line=True)
    base_url = fields.text("base_url", required=True).rstrip("/")
    if base_url and not re.match(r"^https?://[^/\s]+(/\S*)?$", base_url):
        fields.error(fields.at("base_url"), "'base_url' must be an absolute address such as https://fund.example.org")
    language = fields.text("language", default="en")
    if not LANGUAGE.match(language):
        fields.error(fields.at("language"), f"'language' must be a language code such as fr or en, not '{language}'")
    languages = fields.strings("languages", check=lambda v: None if LANGUAGE.match(v) else f"'{v}' is not a language code")
    if not languages:
        languages = (language,)
    elif language not in languages:
        fields.error(fields.at("languages"), f"'languages' must include the default language '{language}'")
    languages = (language,) + tuple(sorted(set(languages) - {language}))
    currency = fields.text("currency", default="EUR")
    if not money.is_currency(currency):
        fields.error(fields.at("currency"), f"'currency' must be an ISO 4217 code such as EUR, not '{currency}'")
    elif not stripe_money.is_supported(currency):
        fields.error(fields.at("currency"), f"'currency': {stripe_money.unit_problem(0, currency)}")
    timezone = fields.text("timezone", default="UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        fields.error(fields.at("timezone"), f"'timezone' must be an IANA time zone such as Europe/Paris, not '{timezone}'")
        timezone = "UTC"
    theme = fields.text("theme", default="default")
    api_url = fields.text("api_url", default="/api").rstrip("/")
    if api_url and not re.match(r"^(/|https://)\S*$", api_url):
        fields.error(fields.at("api_url"), "'api_url' must be a path such as /api or an https:// address")
    output = fields.text("output", default="_site")
    description = fields.text("description", one_line=True)
    accent = fields.text("accent")
    if accent:
        from generator.render.colours import problem

        wrong = problem(accent)
        if wrong:
            fields.error(fields.at("accent"), wrong)
    logo, logo_digest = fields.text("logo"), ""
    if logo:
        logo_digest = _logo_digest(root, logo, lambda message: fields.error(fields.at("logo"), message))
    footer = _footer(fields, language, languages)
    if problems:
        raise ContentError(problems)
    return SiteConfig(root=root, title=title, base_url=base_url, language=language,
                      languages=languages, currency=currency, timezone=timezone, theme=theme,
                      api_url=api_url, output=output, description=description, accent=accent, logo=logo,
                      logo_digest=logo_digest, footer=footer)


def _logo_digest(root: Path, logo: str, error) -> str:
    """The logo's sha256, after checking that it is an image file inside the site folder."""
    import hashlib

    path = (root / logo).resolve()
    if not path.suffix.lower() in LOGO_TYPES:
        error(f"'logo' must be an image ({', '.join(t[1:] for t in LOGO_TYPES)}), not '{logo}'")
    elif not path.is_relative_to(root.resolve()):
        error(f"'logo' must be a file inside the site folder, not '{logo}'")
    elif not path.is_file():
        error(f"'logo': no file '{logo}' in the site folder (the path is relative to site.yml)")
    else:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    return ""


def _footer(fields: Fields, language: str, languages: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``footer``: one Markdown text, or one per language (``{fr: "…", en: "…"}``)."""
    if "footer" not in fields:
        return ()
    if fields.nodes["footer"].tag.endswith(":map"):
        texts = fields.mapping("footer")
        assert texts is not None
        texts.allow(languages)
        found = {lang: texts.text(lang) for lang in languages if lang in texts}
        if language not in found:
            fields.error(fields.at("footer"), f"'footer' must have a text in the default language '{language}'")
        return tuple(sorted(found.items(), key=lambda item: (item[0] != language, item[0])))
    return ((language, fields.text("footer")),)
