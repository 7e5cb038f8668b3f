"""`cagnotte new site DIR` and `cagnotte new campaign SLUG`: files to start from, every field commented.

A new site is a folder a creator can put in git as it is: site.yml, a first
campaign that is live today, a .gitignore that keeps the private state out,
the publish workflow, a requirements.txt pinning this cagnotte, and a README.
The campaign's placeholders are written in the site's language (English for
a language this module has no words for, said in the file), and its dates are
relative to today, so `check`, `build` and `serve` work at once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from functions.core import money
from generator.content.fields import SLUG
from generator.content.loader import CAMPAIGNS


class ScaffoldError(Exception):
    pass


@dataclass(frozen=True)
class Words:
    """The placeholders of a first campaign and site, in one language."""

    site_title: str
    site_description: str
    title: str
    summary: str
    creator: str
    bio: str
    story: str
    thanks: str
    thanks_text: str
    copy: str
    copy_text: str
    stretch: str
    question: str
    answer: str
    risks: str


WORDS = {
    "en": Words(
        site_title="My projects",
        site_description="Projects funded by the people who want them, with no platform fee.",
        title="My first project",
        summary="One line that makes people want to read on.",
        creator="Your name",
        bio="Who you are, in one sentence.",
        story=("## What I am making\n\nTell your story here, in Markdown: who you are, what you will make,\n"
               "why it matters, and what the money pays for.\n\n## Where the money goes\n\n"
               "- Making it: 60%\n- Shipping the rewards: 25%\n- Payment fees: 5%\n- The unexpected: 10%\n"),
        thanks="A heartfelt thank-you", thanks_text="Your name in the credits.",
        copy="The finished work", copy_text="Your own copy, before anyone else.",
        stretch="What more money makes possible",
        question="When will the rewards arrive?", answer="At the delivery date each reward gives.",
        risks="What could go wrong, and how you will handle it."),
    "fr": Words(
        site_title="Mes projets",
        site_description="Des projets financés par celles et ceux qui les attendent, sans commission de plateforme.",
        title="Mon premier projet",
        summary="Une phrase qui donne envie de lire la suite.",
        creator="Votre nom",
        bio="Qui vous êtes, en une phrase.",
        story=("## Ce que je vais faire\n\nRacontez votre projet ici, en Markdown : qui vous êtes, ce que vous\n"
               "allez créer, pourquoi c'est important et à quoi servira l'argent.\n\n## Où va l'argent\n\n"
               "- La fabrication : 60 %\n- L'envoi des contreparties : 25 %\n- Les frais de paiement : 5 %\n"
               "- Les imprévus : 10 %\n"),
        thanks="Un merci du fond du cœur", thanks_text="Votre nom dans les remerciements.",
        copy="L'œuvre terminée", copy_text="Votre exemplaire, avant tout le monde.",
        stretch="Ce que davantage d'argent rendrait possible",
        question="Quand les contreparties arriveront-elles ?",
        answer="À la date de livraison indiquée pour chacune.",
        risks="Ce qui pourrait mal tourner, et comment vous y ferez face."),
    "de": Words(
        site_title="Meine Projekte",
        site_description="Projekte, finanziert von den Menschen, die sie wollen, ohne Plattformgebühr.",
        title="Mein erstes Projekt",
        summary="Ein Satz, der Lust macht, weiterzulesen.",
        creator="Ihr Name",
        bio="Wer Sie sind, in einem Satz.",
        story=("## Was ich mache\n\nErzählen Sie hier Ihre Geschichte, in Markdown: wer Sie sind, was Sie\n"
               "schaffen, warum es wichtig ist und wofür das Geld gebraucht wird.\n\n## Wohin das Geld geht\n\n"
               "- Herstellung: 60 %\n- Versand der Dankeschöns: 25 %\n- Zahlungsgebühren: 5 %\n"
               "- Unvorhergesehenes: 10 %\n"),
        thanks="Ein herzliches Dankeschön", thanks_text="Ihr Name im Abspann.",
        copy="Das fertige Werk", copy_text="Ihr eigenes Exemplar, vor allen anderen.",
        stretch="Was mehr Geld möglich macht",
        question="Wann kommen die Dankeschöns an?", answer="Zum Liefertermin, den jedes Dankeschön nennt.",
        risks="Was schiefgehen könnte und wie Sie damit umgehen."),
    "es": Words(
        site_title="Mis proyectos",
        site_description="Proyectos financiados por quienes los esperan, sin comisión de plataforma.",
        title="Mi primer proyecto",
        summary="Una frase que dé ganas de seguir leyendo.",
        creator="Tu nombre",
        bio="Quién eres, en una frase.",
        story=("## Lo que voy a hacer\n\nCuenta aquí tu historia, en Markdown: quién eres, qué vas a crear,\n"
               "por qué importa y para qué servirá el dinero.\n\n## Adónde va el dinero\n\n"
               "- La fabricación: 60 %\n- El envío de las recompensas: 25 %\n- Las comisiones de pago: 5 %\n"
               "- Los imprevistos: 10 %\n"),
        thanks="Un agradecimiento de corazón", thanks_text="Tu nombre en los créditos.",
        copy="La obra terminada", copy_text="Tu propio ejemplar, antes que nadie.",
        stretch="Lo que más dinero haría posible",
        question="¿Cuándo llegarán las recompensas?", answer="En la fecha de entrega que indica cada una.",
        risks="Lo que podría salir mal y cómo lo afrontarás."),
}
# A time zone to suggest per language (site.yml says it; the creator changes it).
TIMEZONES = {"fr": "Europe/Paris", "de": "Europe/Berlin", "es": "Europe/Madrid", "en": "UTC"}
CAMPAIGN_DAYS = 30  # a first campaign ends this many days after today: Kickstarter's advice too


def words_for(language: str) -> tuple[Words, str]:
    """The placeholders for ``language`` and the language they are written in."""
    base = language.replace("_", "-").split("-")[0].lower()
    if base in WORDS:
        return WORDS[base], language
    return WORDS["en"], "en"


def _moment(day: dt.date, tz: ZoneInfo, hour: int, minute: int = 0, second: int = 0) -> str:
    """A date-time with its offset in ``tz`` (``2027-01-10T10:00:00+01:00``)."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=tz).isoformat()


def _whole(minor: int, currency: str) -> str:
    """A campaign-file amount in major units, as the campaign format writes it."""
    digits = money.exponent(currency)
    major, fraction = divmod(minor, 10 ** digits)
    return str(major) if not fraction else f'"{major}.{str(fraction).zfill(digits)}"'


def _amount(currency: str, euros: int) -> str:
    """A placeholder amount of about ``euros`` in ``currency``: whole major units, rounded up for the yen's kind."""
    digits = money.exponent(currency)
    scale = 100 if digits == 0 else 1  # 5 EUR ≈ 500 JPY: a zero-decimal currency's unit is small
    return _whole(euros * scale * 10 ** digits, currency)


def campaign_text(title: str, *, language: str, site_language: str, currency: str, timezone: str,
                  today: dt.date) -> str:
    """A campaign's index.md with every field of docs/campaign-format.md, live from today."""
    words, written_in = words_for(language)
    tz = ZoneInfo(timezone)
    starts = _moment(today, tz, 0)
    ends = _moment(today + dt.timedelta(days=CAMPAIGN_DAYS), tz, 23, 59, 59)
    delivery = (today.replace(day=1) + dt.timedelta(days=31 * 4)).strftime("%Y-%m")
    note = ""
    if written_in != language:
        note = f"# The placeholders below are in English: write them in your site's language ({language}).\n"
    # The file is the campaign in ``language`` (English placeholders stand in
    # until the creator writes them): it never claims a language the site lacks.
    language_line = (f"language: {language}                     # the language this file is written in\n"
                     if language != site_language else
                     f"# language: {site_language}                   # the language this file is written in "
                     "(default: site.yml's)\n")
    return f"""\
---
{note}# Every field of a campaign (docs/campaign-format.md). Required: title, summary,
# creator.name, category, goal, ends. Amounts are in major units of the currency
# (8000 = 8,000.00); write decimals in quotes: "12.50". Dates carry their offset.
title: "{title or words.title}"
summary: "{words.summary}"
creator:
  name: "{words.creator}"
  bio: "{words.bio}"
  # url: "https://example.org"
  # email: "you@example.org"     # private: the daily digest of pledges goes there, never shown
  # image: me.jpg                # your photo beside this file: a round avatar beside your name
category: music                  # music, books, travel, crafts, film, games, food, technology, art…
tags: []
{language_line}# image: cover.jpg               # the hero image, beside this file (.jpg, .png, .webp)
# image_alt: "What the image shows"
# video: "https://…"            # YouTube, Vimeo or PeerTube: loaded only when the backer clicks play
goal: {_amount(currency, 5000)}
currency: {currency}
starts: {starts}
ends: {ends}
funding: all_or_nothing          # all_or_nothing: charged only if the goal is met; flexible: charged now
# leaderboard: true              # a public board of the referral codes that brought the most pledges
# comments: false                # turn the public comments off (on by default)
rewards:
  - id: thanks                   # stable id: a-z, 0-9 and dashes; never rename it once live
    title: "{words.thanks}"
    amount: {_amount(currency, 5)}
    description: "{words.thanks_text}"
    shipping: none               # none (say nothing), digital, {{ countries: [FR, BE], cost: 5 }},
                                 # {{ pickup: "a place" }} or {{ experience: "a place" }}
  - id: copy
    title: "{words.copy}"
    amount: {_amount(currency, 30)}
    description: "{words.copy_text}"
    limit: 100                   # how many exist: never sold more
    delivery: {delivery}            # estimated delivery month
    shipping: none
stretch_goals:
  - {{ amount: {_amount(currency, 8000)}, title: "{words.stretch}" }}
faq:
  - {{ q: "{words.question}", a: "{words.answer}" }}
risks: "{words.risks}"
# final: {{ raised: 0, backers: 0 }}   # after the deadline: the final figures, for the record
# survey:                        # asked after the deadline, with the shipping address to confirm
#   - id: size                   # the export's column: survey_size
#     question: "T-shirt size?"
#     kind: choice               # choice or text (at most 1000 characters)
#     choices: [S, M, L]
#     required: true
#     rewards: [copy]            # only these rewards' backers (default: everyone)
---
{words.story}"""


def scaffold(root: Path, slug: str, today: dt.date | None = None) -> Path:
    """Create ``content/campaigns/<slug>/index.md`` for the site at ``root``; refuse an existing campaign."""
    from generator.config import load_config
    from generator.problems import ContentError

    if not SLUG.match(slug):
        raise ScaffoldError(f"'{slug}' is not a valid campaign name: use lower-case letters, digits and dashes")
    folder = root / CAMPAIGNS / slug
    path = folder / "index.md"
    if path.exists():
        raise ScaffoldError(f"{CAMPAIGNS}/{slug}/index.md already exists")
    try:
        config = load_config(root)
    except ContentError as error:
        raise ScaffoldError(f"fix site.yml first: {error.problems[0]}") from None
    today = today or dt.datetime.now(config.tz).date()
    words, _ = words_for(config.language)
    title = slug.replace("-", " ").capitalize()
    text = campaign_text(title, language=config.language, site_language=config.language, currency=config.currency,
                         timezone=config.timezone, today=today)
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- a new site ---------------------------------------------------------------------------------

def site_yml(title: str, *, language: str, currency: str, timezone: str, description: str) -> str:
    return f"""\
# This site's configuration: every field, with what it does (docs/campaign-format.md).
# Secrets never go here: Stripe keys come from the environment of the pledge functions.
title: "{title}"                         # required: the site's name
description: "{description}"
base_url: "https://fund.example.org"     # required: the address it is published at (feeds, link previews)
language: {language}                             # the default language: its pages are at the root
languages: [{language}]                          # every language the site is rendered in; others get /<lang>/
currency: {currency}                            # the default ISO 4217 currency of campaigns
timezone: {timezone}                   # for dates written without an offset, and for display
theme: default                           # a folder under themes/, or a path; default: cagnotte's own
api_url: /api                            # where the pledge functions answer (same origin)
output: _site                            # the build's output folder
# The look, without writing a theme (docs/theme.md):
# accent: "#b4442c"                      # buttons and links, #rgb or #rrggbb; text on it stays readable (WCAG)
# logo: logo.svg                         # an image in this folder, shown in the header instead of the title
# footer: "Made by [us](https://example.org)"   # Markdown on every page; or one per language: {{en: "…", fr: "…"}}
# Plain pages (legal notice, privacy, about): content/pages/<slug>.md, with `footer: true` to link them here.
"""


GITIGNORE = """\
# .cagnotte/ holds the build state, the local pledge database, the outbox of e-mails
# and the functions' private data: backers' personal data and secrets. Never commit it.
/.cagnotte/
# What `cagnotte build` makes: published by `cagnotte deploy`, rebuilt from the sources.
/_site/
/.venv/
__pycache__/
"""

README = """\
# {title}

A crowdfunding site made with [Cagnotte](https://github.com/cagnotte/cagnotte):
campaigns written as Markdown in `content/campaigns/`, built into a static
site, pledges taken through Stripe Checkout.

## Work on it

```sh
python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
.venv/bin/cagnotte serve          # http://127.0.0.1:8000, with a local test checkout
```

`serve` rebuilds when a file changes; pledges there are test pledges, kept in
`.cagnotte/` (never committed). The e-mails backers would receive are in
`.cagnotte/outbox/`, one file each.

- `cagnotte new campaign my-project` starts another campaign.
- `cagnotte check` says `path:line: message` for every mistake.
- `cagnotte build` writes the site to `_site/`.

## Publish it

Push this folder to GitHub: `.github/workflows/publish.yml` checks, builds and
deploys it to your AWS account on every push to `main` and every night
(cagnotte's docs/deploy.md, step by step: AWS, Stripe keys, domain).

## Upgrade cagnotte

`requirements.txt` pins the cagnotte version this site is built with. To move
to a newer one: change the pin, `pip install -U -r requirements.txt`, run
`cagnotte check` and `cagnotte serve`, look at the pages, then commit: the
workflow deploys with the new version.
"""


def requirements(version: str) -> str:
    return f"""\
# The cagnotte this site is built and deployed with (the publish workflow installs it).
# Upgrade: change the version, `pip install -U -r requirements.txt`, check, commit.
# From a copy of cagnotte that is not on PyPI: cagnotte @ git+https://github.com/YOUR-ORG/cagnotte@v{version}
cagnotte=={version}
"""


def new_site(folder: Path, *, language: str = "en", currency: str = "EUR", timezone: str | None = None,
             title: str | None = None, today: dt.date | None = None) -> list[Path]:
    """Create a site in ``folder`` (missing or empty); return the files written."""
    from importlib.metadata import PackageNotFoundError, version as installed

    from generator.config import LANGUAGE
    from generator.resources import shipped

    if not LANGUAGE.match(language):
        raise ScaffoldError(f"'{language}' is not a language code (fr, en, pt-BR…)")
    currency = currency.upper()
    if not money.is_currency(currency):
        raise ScaffoldError(f"'{currency}' is not an ISO 4217 currency code (EUR, USD, JPY…)")
    base = language.replace("_", "-").split("-")[0].lower()
    timezone = timezone or TIMEZONES.get(base, "UTC")
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScaffoldError(f"'{timezone}' is not an IANA time zone (Europe/Paris, America/New_York…)") from None
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ScaffoldError(f"{folder} is not empty: give a new folder")
    today = today or dt.datetime.now(tz).date()
    words, _ = words_for(language)
    try:
        own = installed("cagnotte")
    except PackageNotFoundError:
        own = "0.1.0"
    title = title or words.site_title
    files = {
        "site.yml": site_yml(_yaml_text(title), language=language, currency=currency, timezone=timezone,
                             description=_yaml_text(words.site_description)),
        f"{CAMPAIGNS}/{_slug(words.title)}/index.md": campaign_text(
            words.title, language=language, site_language=language, currency=currency, timezone=timezone,
            today=today),
        ".gitignore": GITIGNORE,
        "requirements.txt": requirements(own),
        "README.md": README.format(title=title),
        ".github/workflows/publish.yml": shipped("publish.yml").read_text(encoding="utf-8"),
    }
    written = []
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _yaml_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _slug(title: str) -> str:
    import unicodedata

    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-") or "my-project"
