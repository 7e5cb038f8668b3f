"""The pledge catalog of a built site (see functions.core.catalog)."""

from __future__ import annotations

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
