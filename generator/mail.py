"""The theme's e-mail templates, compiled into ``mail.json`` for the functions.

Each template of ``themes/<theme>/mail/`` (``<kind>.subject.txt``, ``<kind>.txt``,
``<kind>.html``, and ``phrases.txt``) is rendered with Jinja once per site
language and funding model. What only the message knows (amounts, links, the
campaign's title…) is rendered as a ``${name}`` placeholder that
:func:`functions.core.mailtext.render` fills at send time, so neither Jinja nor
Babel has to run in the functions. Babel formats a few probe values here, and
the number and date patterns read from them travel in ``mail.json`` too.

A template may branch on ``lang``, ``funding`` and ``kind`` only: testing a
placeholder (``{% if reward %}``) is an error, since its value is not known yet.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import jinja2

from functions.core import mailtext
from functions.core.mail import KINDS
from generator.config import SiteConfig
from generator.problems import ContentError, Problem, template_problem
from generator.render import formats
from generator.render.formats import patterns
from generator.render.theme import Theme

OPEN, CLOSE = "\ue000", "\ue001"  # private-use characters around a placeholder's name while Jinja renders
_MARKED = re.compile(OPEN + r"([A-Za-z_][A-Za-z0-9_]*)" + CLOSE)
_VOCABULARY = sorted({name for names in mailtext.PLACEHOLDERS.values() for name in names})


class Placeholder(str):
    """A value known only when the message is sent: printable, never testable."""

    def __new__(cls, name: str) -> "Placeholder":
        self = super().__new__(cls, OPEN + name + CLOSE)
        self.name = name
        return self

    def __bool__(self) -> bool:
        raise jinja2.TemplateRuntimeError(
            f"'{self.name}' is only known when the e-mail is sent: a mail template can test "
            "lang, funding and kind, not a message's values")


def mail_dirs(theme: Theme) -> list[Path]:
    """The theme chain's mail/ folders (the site's theme first)."""
    return [d / "mail" for d in theme.dirs]


def environment(theme: Theme, lang: str) -> jinja2.Environment:
    """Jinja for mail templates in ``lang``: .html autoescaped, .txt as written."""
    from generator.render.env import translations

    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(d)) for d in mail_dirs(theme)]),
        autoescape=jinja2.select_autoescape(["html"], default_for_string=False, default=False),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.install_gettext_translations(translations(theme, lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def compile_mail(config: SiteConfig, theme: Theme, site, facts: dict[str, str] | None = None) -> bytes:
    """``mail.json``: every kind's texts per language and funding, formats, and each campaign's facts.

    ``facts`` holds each campaign's :func:`facts_json` when the build has
    them already. Raises ContentError (``template:line: message``) for a
    template mistake.
    """
    currencies = sorted({c.currency for c in site.campaigns[config.language].values()} | {config.currency})
    languages = {lang: compile_language(config, theme, lang, currencies) for lang in config.languages}
    if facts is None:
        facts = {e.slug: facts_json(config, site, e.slug, e.language) for e in site.entries}
    # The same bytes as json.dumps of the whole with sorted keys, from the campaigns' parts.
    parts = {
        "campaigns": "{" + ",".join(f"{_json(slug)}:{facts[slug]}" for slug in sorted(facts)) + "}",
        "default_language": _json(config.language),
        "format": _json(mailtext.FORMAT),
        "languages": _json(languages),
        "site": _json({"title": config.title, "base_url": config.base_url}),
    }
    return ("{" + ",".join(f"{_json(k)}:{v}" for k, v in parts.items()) + "}\n").encode("utf-8")


def facts_json(config: SiteConfig, site, slug: str, own: str) -> str:
    """One campaign's part of ``mail.json`` (a build keeps it for the next one)."""
    return _json(campaign_facts(config, site, slug, own))


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def compile_language(config: SiteConfig, theme: Theme, lang: str, currencies: list[str]) -> dict[str, Any]:
    """The compiled texts and formats of one language (cached by what they depend on)."""
    cache = config.root / ".cagnotte" / "build" / "mail" / f"{lang}-{_key(config, theme, lang, currencies)}.json"
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    kinds = compile_kinds(theme, lang)
    spec = {"lang": lang, "prefix": config.prefix(lang), **patterns(lang, currencies, config.timezone),
            "phrases": compile_phrases(theme, lang), "kinds": kinds, "html_prefix": _take_html_prefix(kinds)}
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        for old in cache.parent.glob(f"{lang}-*.json"):  # what earlier templates compiled to
            old.unlink()
        temporary = cache.with_suffix(".tmp")
        temporary.write_text(json.dumps(spec, sort_keys=True, ensure_ascii=False), encoding="utf-8")
        temporary.replace(cache)
    except OSError:
        pass  # a cache only
    return spec


def _key(config: SiteConfig, theme: Theme, lang: str, currencies: list[str]) -> str:
    """What one language's compiled texts depend on: the mail templates, its catalogs, settings, versions."""
    import babel

    hasher = hashlib.sha256("\0".join((babel.__version__, jinja2.__version__, config.fingerprint(), lang,
                                       ",".join(currencies))).encode())
    # The compiler, the patterns it writes and the vocabulary it checks against:
    for module in (__file__, formats.__file__, mailtext.__file__):
        hasher.update(Path(module).read_bytes())
    for d in mail_dirs(theme):
        for path in sorted(d.rglob("*")) if d.is_dir() else ():
            if path.is_file():
                hasher.update(f"{path}\0".encode() + path.read_bytes())
    hasher.update(theme.locale_fingerprint(lang).encode())
    return hasher.hexdigest()[:32]


def _take_html_prefix(kinds: dict[str, dict[str, dict[str, str]]]) -> str:
    """The start every HTML part shares (the layout's head), removed from each and returned.

    Stored once per language, it keeps ``mail.json`` small; the functions put it back.
    """
    texts = [parts["html"] for variants in kinds.values() for parts in variants.values()]
    if not texts:
        return ""
    first, last = min(texts), max(texts)
    length = 0
    while length < min(len(first), len(last)) and first[length] == last[length]:
        length += 1
    prefix = first[:first.rfind("\n", 0, length) + 1]  # whole lines only
    for variants in kinds.values():
        for parts in variants.values():
            parts["html"] = parts["html"][len(prefix):]
    return prefix


# -- templates ---------------------------------------------------------------------------------

def compile_kinds(theme: Theme, lang: str) -> dict[str, dict[str, dict[str, str]]]:
    """kind → funding (or ``*`` when both read the same) → subject, text, html with placeholders."""
    env = environment(theme, lang)
    problems: list[Problem] = []
    kinds: dict[str, dict[str, dict[str, str]]] = {}
    for kind in KINDS:
        by_funding = {}
        for funding in mailtext.FUNDINGS:
            context = {name: Placeholder(name) for name in _VOCABULARY}
            context.update(lang=lang, funding=funding, kind=kind)
            parts = {}
            for part, name in (("subject", f"{kind}.subject.txt"), ("text", f"{kind}.txt"), ("html", f"{kind}.html")):
                try:
                    rendered = env.get_template(name).render(context)
                    parts[part] = finish(rendered, part, kind, name)
                except _Unknown as error:
                    problems.append(_problem_at(theme, name, error.name, str(error)))
                except jinja2.TemplateNotFound as error:
                    problems.append(Problem(f"themes/{theme.name}/mail/{error.name}", 1,
                                            f"the mail template is missing (needed for '{kind}' e-mails)"))
                except Exception as error:
                    problems.append(_template_error(error, theme, name))
            by_funding[funding] = parts
        if len({json.dumps(parts, sort_keys=True) for parts in by_funding.values()}) == 1:
            by_funding = {mailtext.ANY: by_funding[mailtext.FUNDINGS[0]]}
        kinds[kind] = by_funding
    if problems:
        raise ContentError(_unique(problems))
    return kinds


def compile_phrases(theme: Theme, lang: str) -> dict[str, str]:
    """The short phrases the functions assemble values from (``mail/phrases.txt``'s ``set``s)."""
    env = environment(theme, lang)
    name = "phrases.txt"
    try:
        module = env.get_template(name).make_module({n: Placeholder(n) for names in mailtext.PHRASES.values()
                                                           for n in names})
    except jinja2.TemplateNotFound:
        raise ContentError([Problem(f"themes/{theme.name}/mail/{name}", 1, "the mail phrases are missing")])
    except Exception as error:
        raise ContentError([_template_error(error, theme, name)]) from None
    problems, phrases = [], {}
    for phrase, allowed in mailtext.PHRASES.items():
        value = getattr(module, phrase, None)
        if value is None:
            problems.append(_problem_at(theme, name, None, f"phrases.txt sets no '{phrase}'"))
            continue
        try:
            phrases[phrase] = finish(str(value), "subject", None, name, allowed)
        except _Unknown as error:
            problems.append(_problem_at(theme, name, error.name, str(error)))
    if problems:
        raise ContentError(problems)
    return phrases


class _Unknown(Exception):
    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name


def finish(text: str, part: str, kind: str | None, template: str,
           allowed: tuple[str, ...] | None = None) -> str:
    """Rendered text → compiled text: ``$`` doubled, placeholders as ``${name}``, whitespace tidied."""
    allowed = mailtext.PLACEHOLDERS[kind] if allowed is None else allowed
    for name in _MARKED.findall(text):
        if name not in allowed:
            what = f"a '{kind}' e-mail" if kind else "this phrase"
            raise _Unknown(name, f"{template} shows '{name}', which {what} does not carry "
                                 f"(it can show: {', '.join(allowed) or 'nothing'})")
    text = _MARKED.sub(lambda m: "${" + m.group(1) + "}", text.replace("$", "$$"))
    if OPEN in text or CLOSE in text:
        raise _Unknown("", f"{template}: a filter changed a placeholder (values are only known when sent)")
    if part == "subject":
        return " ".join(text.split())
    lines = [line.rstrip() for line in text.strip().splitlines()]
    if part == "html":  # indentation means nothing in HTML: drop it and the blank lines
        return "\n".join(line.lstrip() for line in lines if line.strip()) + "\n"
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _problem_at(theme: Theme, template: str, name: str | None, message: str) -> Problem:
    """A problem at the first line of ``template`` that mentions ``name``."""
    for d in mail_dirs(theme):
        path = d / template
        if path.is_file():
            line = 1
            if name:
                for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    if re.search(rf"\b{re.escape(name)}\b", text):
                        line = number
                        break
            return Problem(_shown(theme, path), line, message)
    return Problem(template, 1, message)


def _template_error(error: Exception, theme: Theme, template: str) -> Problem:
    problem = template_problem(error, theme.dirs[0].parent.parent)
    if problem is None or problem.path in ("<template>", "<unknown>"):
        return _problem_at(theme, template, None, f"template error: {getattr(error, 'message', None) or error}")
    path = Path(problem.path)
    return Problem(_shown(theme, path) if path.is_absolute() else problem.path, problem.line, problem.message)


def _shown(theme: Theme, path: Path) -> str:
    for d in theme.dirs:
        try:
            return f"themes/{d.name}/" + path.resolve().relative_to(d).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, kept = set(), []
    for p in problems:
        if (p.path, p.line, p.message) not in seen:
            seen.add((p.path, p.line, p.message))
            kept.append(p)
    return kept


# -- campaigns ---------------------------------------------------------------------------------

def update_facts(config: SiteConfig, campaign, update) -> dict[str, str]:
    """An update as its mail shows it: the title, the body for mail (links and images absolute,
    images no wider than the message) and as plain text, and its page (none when not public)."""
    base = config.base_url.rstrip("/")
    body = _ABSOLUTE.sub(lambda m: f'{m.group(1)}="{base}/', update.body_html)
    body = _IMG.sub('<img style="max-width:100%;height:auto;border:0" ', body)
    url = f"{base}{config.prefix(campaign.language)}/campaigns/{campaign.slug}/updates/{update.id}/" \
        if update.public else ""
    return {"title": update.title, "html": body, "text": html_to_text(body), "url": url}


_ABSOLUTE = re.compile(r'\b(href|src)="/(?!/)')
_IMG = re.compile(r"<img\s+")


def html_to_text(html_text: str) -> str:
    """An update's HTML as the plain-text part reads it: paragraphs, list items, link targets."""
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.out: list[str] = []
            self.href: list[str | None] = []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag in ("p", "div", "h1", "h2", "h3", "h4", "blockquote", "ul", "ol", "table", "pre"):
                self.out.append("\n\n")
            elif tag == "li":
                self.out.append("\n- ")
            elif tag in ("br", "tr"):
                self.out.append("\n")
            elif tag == "a":
                self.href.append(attrs.get("href"))
            elif tag == "img" and attrs.get("alt"):
                self.out.append(f"[{attrs['alt']}]")

        def handle_endtag(self, tag):
            if tag == "a" and self.href:
                href = self.href.pop()
                if href and href.startswith(("http://", "https://", "mailto:")):
                    self.out.append(f" ({href.removeprefix('mailto:')})")
            elif tag in ("td", "th"):
                self.out.append(" ")

        def handle_data(self, data):
            self.out.append(re.sub(r"\s+", " ", data))

    parser = Text()
    parser.feed(html_text)
    parser.close()
    text = re.sub(r" {2,}", " ", re.sub(r"[ \t]*\n[ \t]*", "\n", "".join(parser.out)))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def campaign_facts(config: SiteConfig, site, slug: str, own: str) -> dict[str, Any]:
    """Title, creator, rewards and add-ons (own language; translations only where they differ), currency,
    deadline."""

    def texts(campaign) -> dict[str, Any]:
        found = {"title": campaign.title, "creator": campaign.creator.name}
        if campaign.rewards:
            found["rewards"] = {r.id: r.title for r in campaign.rewards}
        if campaign.addons:  # a pledge's mail names its add-ons too ("Vinyl × 2 + Poster")
            found["addons"] = {a.id: a.title for a in campaign.addons}
        mailed = {u.id: update_facts(config, campaign, u) for u in campaign.mailings if u.audience != ("none",)}
        if mailed:
            found["updates"] = mailed
        return found

    campaign = site.campaigns[own][slug]
    facts: dict[str, Any] = {
        **texts(campaign), "currency": campaign.currency, "funding": campaign.funding,
        # The deadline's day where the site is (what the pages show).
        "ends": campaign.ends.astimezone(config.tz).date().isoformat(),
    }
    translations = {}
    for lang in config.languages:
        other = site.campaigns.get(lang, {}).get(slug)
        if lang == own or other is None:
            continue
        differing = {k: v for k, v in texts(other).items() if facts.get(k) != v}
        if differing:
            translations[lang] = differing
    if translations:
        facts["translations"] = translations
    return facts
