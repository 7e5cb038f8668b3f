"""The list of outputs a site makes, and each one's template context.

Planning is cheap and needs no template engine: each :class:`Page` carries a
hash of the data it shows (``deps``), so an unchanged page can be reused
without rendering it.
"""

from __future__ import annotations

import hashlib
import heapq
from types import SimpleNamespace
from typing import NamedTuple

from generator.site import Site

FEED_SIZE = 50


class Page(NamedTuple):  # a tuple: a site of 1,000 campaigns plans 14,000 of them on every build
    path: str  # the output file, relative to the output folder
    url: str  # its address from the site root
    template: str
    lang: str
    kind: str
    slug: str | None = None
    update: str | None = None
    deps: str = ""
    name: str | None = None  # a plain page's slug (content/pages/<name>.md)


def _h(*parts: object) -> str:
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()


def _file(url: str) -> str:
    path = url.lstrip("/")
    return path + "index.html" if url.endswith("/") else path


def plan(site: Site) -> list[Page]:
    """Every page of the site, in a stable order."""
    config = site.config
    pages: list[Page] = []
    slugs = sorted(site.fingerprints)
    pictures = site.pictures

    def images(slug: str, lang: str | None = None) -> tuple[str, ...]:
        """The part of a page's deps that the image stage adds (nothing without images)."""
        found = pictures.digest(slug, lang) if pictures else ""
        return (found,) if found else ()

    every = _h(*(":".join((s, site.fingerprints[s], site.status(s), str(site.days_left(s)), *images(s)))
                 for s in slugs))
    texts = _h(*(f"{s}:{site.fingerprints[s]}:{site.status(s)}" for s in slugs))
    feeds = {slug: _h(site.fingerprints[slug]) for slug in slugs}
    for lang in config.languages:
        p = config.prefix(lang)

        def add(url: str, template: str, kind: str, deps: str) -> None:
            pages.append(Page(_file(p + url), p + url, template, lang, kind, None, None, deps))

        add("/", "home.html", "home", every)
        add("/404.html", "404.html", "404", "")
        # The frame of the functions' own pages (manage, fix, reminders, refused forms), one per language.
        pages.append(Page(f"_shell/{lang}.html", f"/_shell/{lang}.html", "shell.html", lang, "shell", None, None, ""))
        add("/feed.xml", "feed.xml", "feed", texts)
        campaigns = site.campaigns[lang]
        for slug in slugs:
            deps = _h(site.fingerprints[slug], site.status(slug), site.days_left(slug), *images(slug, lang),
                      *_baked(site, slug))
            url = f"{p}/campaigns/{slug}/"
            path = url[1:]
            # Written out rather than through add(): 14 pages per campaign, 14,000 on a large site.
            pages.extend((Page(path + "index.html", url, "campaign.html", lang, "campaign", slug, None, deps),
                          Page(path + "thanks/index.html", url + "thanks/", "thanks.html", lang, "thanks", slug,
                               None, deps),
                          Page(path + "embed/index.html", url + "embed/", "embed.html", lang, "embed", slug,
                               None, deps),
                          Page(path + "updates/feed.xml", url + "updates/feed.xml", "feed.xml", lang, "feed", slug,
                               None, feeds[slug])))
            for update in campaigns[slug].updates:
                pages.append(Page(f"{path}updates/{update.id}/index.html", f"{url}updates/{update.id}/",
                                  "update.html", lang, "update", slug, update.id, deps))
        if site.pages is not None:  # their text is in the build's common fingerprint (the footer lists them)
            for name in sorted(site.pages.by_lang[lang]):
                pages.append(Page(f"{p[1:]}/{name}/index.html".lstrip("/"), f"{p}/{name}/", "page.html", lang,
                                  "page", name=name))
    # The sitemap is a protocol file, written without a template (see render.sitemap).
    # It holds addresses and the updates' dates only: editing a story leaves it as it is.
    dated = (f"{slug}:{u.id}:{u.published.isoformat()}" for slug in slugs
             for u in site.campaigns[config.language][slug].updates)
    pages.append(Page("sitemap.xml", "/sitemap.xml", "", config.language, "sitemap",
                      deps=_h(*(pg.url for pg in pages), *dated)))
    pages.append(Page("robots.txt", "/robots.txt", "robots.txt", config.language, "robots"))
    return pages


def _unprefixed(site: Site, page: Page) -> str:
    p = site.config.prefix(page.lang)
    return page.url[len(p):] if p and page.url.startswith(p) else page.url


def alternates(site: Site, page: Page) -> list[tuple[str, str]]:
    """``(lang, absolute url)`` of this page in every site language (hreflang)."""
    url = _unprefixed(site, page)
    return [(lang, site.config.base_url + site.config.prefix(lang) + url) for lang in site.config.languages]


def home_description(campaigns: list) -> str:
    """A home page's description when site.yml has none: its campaigns, in their own words."""
    if len(campaigns) == 1:
        text = f"{campaigns[0].title}: {campaigns[0].summary}"
    else:
        text = " · ".join(c.title for c in campaigns[:6])
    return text if len(text) <= 160 else text[:159].rsplit(" ", 1)[0] + "…"


def image_url(campaign) -> str | None:
    return f"/campaigns/{campaign.slug}/{campaign.image}" if campaign.image else None


def _baked(site: Site, slug: str) -> tuple[str, ...]:
    """The part of a campaign page's deps its baked comments add (nothing without any)."""
    if not site.comments.get(slug):
        return ()
    from generator.comments import digest

    return (digest(site.comments, slug),)


def context(site: Site, page: Page, pages: list[Page]) -> dict:
    """The variables of ``page``'s template (besides the environment's globals)."""
    config = site.config
    base = config.base_url
    meta = SimpleNamespace(url=page.url, canonical=base + page.url, alternates=[] if page.kind == "shell" else alternates(site, page),
                           title=config.title, description=config.description, image=None,
                           image_width=None, image_height=None, image_alt="", kind=page.kind)
    ctx: dict = {"page": meta}
    campaigns = site.campaigns[page.lang]
    pictures = site.pictures
    if page.slug is not None:
        campaign = campaigns[page.slug]
        ctx["baked_comments"] = site.comments.get(page.slug, [])
        if pictures is not None:
            campaign = pictures.shown(campaign, page.kind)  # story images as <picture>
        ctx.update(campaign=campaign, status=campaign.status(site.now))
        meta.title, meta.description = campaign.title, campaign.summary
        share = pictures.share.get((page.slug, page.lang)) if pictures is not None else None
        if share is not None:
            meta.image, meta.image_width, meta.image_height = base + share.url, share.width, share.height
            meta.image_alt = share.alt
        elif campaign.image:
            meta.image, meta.image_alt = base + image_url(campaign), campaign.image_alt
        if page.update is not None:
            update = next(u for u in campaign.updates if u.id == page.update)
            ctx["update"] = update
            meta.title = f"{update.title} — {campaign.title}"
    if page.kind == "home":
        ctx["groups"] = site.groups(page.lang)
        shown = [c for group in ctx["groups"] for category in group["categories"] for c in category["campaigns"]]
        if shown and not meta.description:
            meta.description = home_description(shown)
        lead = pictures.share.get((shown[0].slug, page.lang)) if shown and pictures is not None else None
        if lead is not None:  # the home page's preview is its first campaign's card (live ones first)
            meta.image, meta.image_width, meta.image_height = base + lead.url, lead.width, lead.height
            meta.image_alt = lead.alt
    elif page.kind == "feed":
        ctx["feed"] = feed(site, page)
    elif page.kind == "page":
        plain = site.pages.by_lang[page.lang][page.name]  # type: ignore[union-attr]
        ctx["plain"] = plain
        meta.title, meta.description = plain.title, plain.description or config.description
    return ctx


def feed(site: Site, page: Page) -> dict:
    """An Atom feed: a campaign's updates, or every update and launch of the site."""
    config = site.config
    base = config.base_url
    p = config.prefix(page.lang)
    campaigns = site.campaigns[page.lang]
    chosen = [campaigns[page.slug]] if page.slug else [campaigns[s] for s in sorted(campaigns) if s not in site.drafts]
    # (published, id, campaign, update or None for a launch): the newest are
    # chosen before any text is read (a cached campaign's story is read on use).
    found = []
    for c in chosen:
        for u in c.updates:
            found.append((u.published, f"{base}{p}/campaigns/{c.slug}/updates/{u.id}/", c, u))
        if page.slug is None and c.starts is not None and c.starts <= site.now:
            found.append((c.starts, f"{base}{p}/campaigns/{c.slug}/", c, None))
    entries = []
    for published, url, c, u in heapq.nlargest(FEED_SIZE, found, key=lambda e: (e[0], e[1])):
        entries.append({"id": url, "title": u.title if u else c.title, "url": url, "published": published,
                        "updated": published, "html": u.body_html if u else c.story_html, "campaign": c})
    if page.slug:
        c = chosen[0]
        title, link = c.title, f"{base}{p}/campaigns/{c.slug}/"
        fallback = c.starts or c.ends
    else:
        title, link = config.title, f"{base}{p}/"
        fallback = min((c.starts or c.ends for c in chosen), default=None)
    updated = entries[0]["updated"] if entries else fallback
    return {"id": base + page.url, "title": title, "url": base + page.url, "link": link,
            "updated": updated or site.now.replace(year=1970, month=1, day=1, hour=0, minute=0, second=0, microsecond=0),
            "entries": entries}


def sitemap(site: Site, pages: list[Page]) -> str:
    """sitemap.xml: every indexable page with its hreflang alternates (and x-default)."""
    from xml.sax.saxutils import escape

    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
             'xmlns:xhtml="http://www.w3.org/1999/xhtml">']
    config = site.config
    base = escape(config.base_url, {'"': "&quot;"})
    prefixes = [(lang, base + config.prefix(lang)) for lang in config.languages]
    alternates: dict[str, str] = {}
    published: dict[tuple[str, str], object] = {}
    for lang, campaigns in site.campaigns.items():
        for c in campaigns.values():
            for u in c.updates:
                published[(c.slug, u.id)] = u.published
    for page in pages:
        if page.kind not in ("home", "campaign", "update", "page") or page.slug in site.drafts:
            continue
        lastmod = None
        if page.update is not None:
            lastmod = published[(page.slug, page.update)]
        elif page.slug is not None:
            updates = site.campaigns[page.lang][page.slug].updates
            lastmod = updates[0].published if updates else None
        # Paths are made of slugs and update ids ([a-z0-9-]): nothing to escape.
        path = _unprefixed(site, page)
        links = alternates.get(path)
        if links is None:
            # Every language's page of one path has the same alternates.
            links = alternates[path] = "\n".join(
                [f'    <xhtml:link rel="alternate" hreflang="{code}" href="{prefix}{path}"/>'
                 for code, prefix in prefixes]
                + [f'    <xhtml:link rel="alternate" hreflang="x-default" href="{prefixes[0][1]}{path}"/>'])
        lines.append(f"  <url>\n    <loc>{base}{page.url}</loc>\n{links}")
        if lastmod is not None:
            lines.append(f"    <lastmod>{lastmod.isoformat()}</lastmod>")
        lines.append("  </url>")
    lines.append("</urlset>\n")
    return "\n".join(lines)
