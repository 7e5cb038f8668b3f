"""Warnings: what builds a working site but is probably not what the creator meant.

A warning is printed ``path:line: warning: message``; the build goes on (exit 0)
unless ``--strict`` is given. Mistakes that make a page wrong are problems
(:mod:`generator.problems`), found while reading; warnings are judged on the
assembled site, after its images are read, at the build's moment (``now``).
"""

from __future__ import annotations

import datetime as dt

from generator.problems import Problem

# The widest the pages and the share card show a hero: the card is 1200 px wide
# (generator.output.share.WIDTH), and the page shows it 40rem (640 px) wide,
# 1280 device pixels on a 2× screen.
HERO_WIDTH = 1200


def site_warnings(site) -> list[Problem]:
    """Every warning about ``site`` (its pictures made: see generator.build.make_images)."""
    warnings = [Problem(path, 1, "nothing reads this file: campaigns go in content/campaigns/<name>/ "
                                 "(index.md, its translations, updates/ and the files they show), plain pages in "
                                 "content/pages/<name>.md")
                for path in site.strays]
    campaigns = site.campaigns[site.config.language]
    tz = site.config.tz
    for entry in site.entries:
        campaign = campaigns[entry.slug]
        warnings += _hero(site, entry, campaign)
        if campaign.ends <= site.now and campaign.final is None:
            warnings.append(Problem(campaign.source, entry.line("ends"), (
                f"'ends' is past ({_day(campaign.ends, tz)}) and there is no 'final': the page still asks the "
                "pledge service for its totals; record them as final: { raised: …, backers: … }")))
        for update in campaign.mailings:
            if update.published > site.now:
                stem = update.id
                warnings.append(Problem(f"{entry.folder}/updates/{stem}.md", entry.line(f"updates/{stem}"), (
                    f"the update is dated {_minute(update.published, tz)}, after the build's moment "
                    f"({_minute(site.now, tz)}): it is published now all the same")))
    return sorted(set(warnings))


def _hero(site, entry, campaign) -> list[Problem]:
    picture = site.pictures.hero(campaign) if site.pictures is not None else None
    if picture is None:
        return []
    line = entry.line("image")
    found = []
    # The largest variant is never above 1600 px: below HERO_WIDTH, it is the image's own size.
    if picture.width < HERO_WIDTH:
        found.append(Problem(campaign.source, line, (
            f"'image' {campaign.image} is {picture.width}×{picture.height} px, narrower than the {HERO_WIDTH} px "
            "the share card and a sharp screen show it: it will look blurred")))
    if picture.height > picture.width:
        found.append(Problem(campaign.source, line, (
            f"'image' {campaign.image} is in portrait ({picture.width}×{picture.height} px): the page shows it "
            "16:9 and the share card 1200×630, cutting off most of it (use a landscape image)")))
    return found


def _day(moment: dt.datetime, tz) -> str:
    """The day of ``moment`` where the site is."""
    return moment.astimezone(tz).date().isoformat()


def _minute(moment: dt.datetime, tz) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")
