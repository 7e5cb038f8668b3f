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
          "timezone", "theme", "api_url", "output")
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

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def prefix(self, lang: str) -> str:
        """The URL prefix of a language: '' for the default, '/en' for others."""
        return "" if lang == self.language else f"/{lang}"

    def fingerprint(self) -> str:
        """What every page depends on (root excluded: moving the site changes nothing)."""
        return repr((self.title, self.base_url, self.language, self.languages, self.currency,
                     self.timezone, self.theme, self.api_url, self.description))


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
    if problems:
        raise ContentError(problems)
    return SiteConfig(root=root, title=title, base_url=base_url, language=language,
                      languages=languages, currency=currency, timezone=timezone, theme=theme,
                      api_url=api_url, output=output, description=description)
