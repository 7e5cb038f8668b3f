"""The pledge catalog of a built site (see functions.core.catalog)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from functions.core.catalog import Catalog, CatalogCampaign, CatalogReward, CatalogShipping
from generator.site import Site


def make_catalog(site: Site) -> Catalog:
    """Prices, limits and dates from the campaigns in their own language."""
    config = site.config
    campaigns = {}
    for entry in site.entries:
        own = entry.language
        c = site.campaigns[own][entry.slug]
        page = f"{config.base_url}{config.prefix(own)}/campaigns/{c.slug}/"
        campaigns[c.slug] = CatalogCampaign(
            slug=c.slug, title=c.title, currency=c.currency, goal=c.goal, funding=c.funding,
            ends=c.ends, starts=c.starts, language=own, url=page, thanks_url=page + "thanks/",
            leaderboard=c.leaderboard, stretch_goals=tuple(sorted(g.amount for g in c.stretch_goals)),
            rewards=tuple(
                CatalogReward(id=r.id, title=r.title, amount=r.amount, limit=r.limit,
                              shipping=CatalogShipping(r.shipping.countries, r.shipping.cost) if r.shipping else None)
                for r in c.rewards))
    api = config.api_url if config.api_url.startswith("https://") else config.base_url + config.api_url
    return Catalog(base_url=config.base_url, campaigns=campaigns, api_url=api)


PRIVATE = Path(".cagnotte") / "private.json"


def write_private(root: Path, site) -> None:
    """What the functions need but the public site must not show (creators' digest addresses).

    Kept outside the output (``.cagnotte/private.json``); the deploy ships it
    with the functions, never to the bucket.
    """
    creators = {e.slug: site.campaigns[e.language][e.slug].creator.email for e in site.entries
                if site.campaigns[e.language][e.slug].creator.email}
    data = (json.dumps({"format": 1, "creators": dict(sorted(creators.items()))}, sort_keys=True) + "\n").encode()
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
