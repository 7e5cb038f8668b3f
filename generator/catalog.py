"""The pledge catalog of a built site (see functions.core.catalog)."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from functions.core import catalog as core_catalog
from functions.core.catalog import (Catalog, CatalogAddon, CatalogCampaign, CatalogPage, CatalogQuestion,
                                    CatalogReward, CatalogShipping, CatalogUpdate)
from generator.content import documents, markdown
from generator.site import Site


def make_catalog(site: Site) -> Catalog:
    """Prices, limits and dates from the campaigns in their own language."""
    config = site.config
    campaigns = {e.slug: catalog_campaign(site, e.slug, e.language) for e in site.listed}
    return Catalog(base_url=config.base_url, campaigns=campaigns, api_url=api_url(config), language=config.language)


def api_url(config) -> str:
    return config.api_url if config.api_url.startswith("https://") else config.base_url + config.api_url


def catalog_campaign(site: Site, slug: str, own: str, codes: dict[str, tuple[str, ...]] | None = None) -> CatalogCampaign:
    """``codes``: reward id → its codes (:func:`campaign_codes`), read when not given."""
    config = site.config
    c = site.campaigns[own][slug]
    codes = campaign_codes(site, slug, own) if codes is None else codes
    page = f"{config.base_url}{config.prefix(own)}/campaigns/{c.slug}/"
    return CatalogCampaign(
        pages=tuple(catalog_page(site, slug, lang) for lang in [own] + [
            lang for lang in config.languages if lang != own and slug in site.campaigns.get(lang, {})]),
        slug=c.slug, title=c.title, currency=c.currency, goal=c.goal, funding=c.funding,
        ends=c.ends, starts=c.starts, language=own, url=page, thanks_url=page + "thanks/",
        leaderboard=c.leaderboard, comments=c.comments, stretch_goals=tuple(sorted(g.amount for g in c.stretch_goals)),
        updates=catalog_updates(site, slug, own), late_until=c.late_until,
        survey=tuple(CatalogQuestion(q.id, q.question, q.kind, q.choices, q.required, q.rewards) for q in c.survey),
        rewards=tuple(
            CatalogReward(id=r.id, title=r.title, amount=r.amount, limit=r.limit,
                          shipping=CatalogShipping(r.shipping.countries, r.shipping.cost, r.shipping.at_fulfilment)
                          if r.shipping else None,
                          max_per_backer=r.max_per_backer, late_amount=r.late_amount, files=r.files,
                          codes=len(codes.get(r.id, ())))
            for r in c.rewards),
        addons=tuple(
            CatalogAddon(id=a.id, title=a.title, amount=a.amount, limit=a.limit,
                         shipping=CatalogShipping(a.shipping.countries, a.shipping.cost) if a.shipping else None,
                         requires=a.requires, max_per_backer=a.max_per_backer, late_amount=a.late_amount)
            for a in c.addons))


def campaign_codes(site: Site, slug: str, own: str) -> dict[str, tuple[str, ...]]:
    """Reward id → the codes of its codes file (checked by the loader), for the rewards that have one."""
    from generator.content.downloads import codes_of

    entry = next(e for e in site.entries if e.slug == slug)
    return {r.id: codes_of(site.config.root / entry.folder / r.codes)
            for r in site.campaigns[own][slug].rewards if r.codes}


def catalog_updates(site: Site, slug: str, own: str) -> tuple[CatalogUpdate, ...]:
    """The updates to mail (``audience`` other than none), oldest first, with their languages."""
    config = site.config
    found = []
    for u in sorted(site.campaigns[own][slug].mailings, key=lambda u: (u.published, u.id)):
        if u.audience == ("none",):
            continue
        languages = [own] + [lang for lang in config.languages if lang != own and any(
            t.id == u.id and t.language == lang for t in site.campaigns.get(lang, {}).get(slug, None).mailings)
            if slug in site.campaigns.get(lang, {})]
        found.append(CatalogUpdate(u.id, u.published, u.audience, tuple(languages)))
    return tuple(found)


def catalog_page(site: Site, slug: str, lang: str) -> CatalogPage:
    """The campaign's page in ``lang``, with how that language writes numbers (Babel's CLDR data)."""
    from babel import Locale, numbers

    config = site.config
    url = f"{config.base_url}{config.prefix(lang)}/campaigns/{slug}/"
    locale = Locale.parse(lang.replace("-", "_"))
    campaign = site.campaigns[lang][slug]
    return CatalogPage(lang=lang, title=campaign.title, url=url, thanks_url=url + "thanks/",
                       decimal=numbers.get_decimal_symbol(locale), group=numbers.get_group_symbol(locale),
                       rewards=tuple(sorted((r.id, r.title) for r in campaign.rewards)),
                       addons=tuple(sorted((a.id, a.title) for a in campaign.addons)),
                       survey=tuple(sorted((q.id, q.question, q.shown_choices) for q in campaign.survey)))


@dataclass(frozen=True)
class Pieces:
    """What one campaign adds to ``catalog.json``, ``mail.json`` and ``private.json``."""

    catalog: str  # its catalog entry, JSON
    mail: str  # its facts in mail.json, JSON
    email: str | None  # the creator's private address
    downloads: dict | None = None  # reward id → {"files": [...]} or {"codes": [...]}: never in the site


def pieces(site: Site, state=None) -> dict[str, Pieces]:
    """slug → :class:`Pieces`: kept in the build state (``state``), made for the campaigns that changed.

    A piece depends on the campaign's files, the site's settings and this
    code only: an edit of one campaign makes one piece, and the other
    campaigns' long fields (rewards…) are not even read.
    """
    from generator import mail

    config = site.config
    # This code is part of the key: a change in how a piece is made makes them again.
    code = hashlib.sha256(b"".join(Path(m).read_bytes() for m in (__file__, mail.__file__, core_catalog.__file__)))
    salt = "\0".join((code.hexdigest(), config.fingerprint(), documents.VERSION, markdown.VERSION))
    # Drafts have no piece: nobody can pledge to them, and no e-mail speaks of them.
    listed = site.listed
    keys = {e.slug: hashlib.sha256(f"{salt}\0{site.fingerprints[e.slug]}".encode()).hexdigest() for e in listed}
    found = state.pieces(keys) if state is not None else {}
    fresh = {}
    for e in listed:
        if e.slug not in found:
            c = site.campaigns[e.language][e.slug]
            codes = campaign_codes(site, e.slug, e.language)
            downloads = {r.id: {"files": list(r.files)} if r.files else {"codes": list(codes[r.id])}
                         for r in c.rewards if r.download}
            found[e.slug] = fresh[e.slug] = Pieces(
                core_catalog.campaign_json(catalog_campaign(site, e.slug, e.language, codes)),
                mail.facts_json(config, site, e.slug, e.language), c.creator.email, downloads or None)
    if state is not None:
        state.save_pieces({slug: (keys[slug], value) for slug, value in fresh.items()}, set(keys))
    return found


def catalog_json(site: Site, found: dict[str, Pieces]) -> str:
    """``catalog.json`` from the pieces (the same text as ``make_catalog(site).to_json()``)."""
    return core_catalog.joined(site.config.base_url, api_url(site.config), {s: p.catalog for s, p in found.items()},
                               site.config.language)


PRIVATE = Path(".cagnotte") / "private.json"


def write_private(root: Path, found: dict[str, Pieces]) -> None:
    """What the functions need but the public site must not show (creators' digest addresses, the
    digital rewards' codes and file names).

    Kept outside the output (``.cagnotte/private.json``); the deploy ships it
    with the functions, never to the bucket.
    """
    creators = {slug: p.email for slug, p in found.items() if p.email}
    downloads = {slug: p.downloads for slug, p in found.items() if getattr(p, "downloads", None)}
    body = {"format": 1, "creators": dict(sorted(creators.items()))}
    if downloads:  # only then: a site without digital rewards keeps the file it had
        body["downloads"] = downloads
    data = (json.dumps(body, sort_keys=True) + "\n").encode()
    path = root / PRIVATE
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
