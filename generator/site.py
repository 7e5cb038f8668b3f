"""The assembled site: campaigns in every language, ordered, with their status at ``now``."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from generator.config import SiteConfig
from generator.content.model import Campaign

if TYPE_CHECKING:
    from generator.content.pages import Pages
    from generator.render.pictures import Pictures

SECTIONS = ("live", "upcoming", "successful", "ended")


@dataclass(frozen=True)
class Entry:
    """What the build needs of a campaign folder besides its pages."""

    slug: str
    folder: str  # site-relative
    files: tuple[str, ...]  # images and other files, relative to the folder
    language: str  # the language index.md is written in
    # Where warnings point: ("image" | "ends" | "updates/<stem>", line in its file)
    lines: tuple[tuple[str, int], ...] = ()

    def line(self, key: str) -> int:
        return dict(self.lines).get(key, 1)


@dataclass
class Site:
    config: SiteConfig
    now: dt.datetime
    entries: list[Entry]
    campaigns: dict[str, dict[str, Campaign]]  # lang → slug → campaign
    fingerprints: dict[str, str]  # slug → hash of every file of the campaign
    digests: dict[str, str]  # site-relative path of each source and asset → sha256
    pictures: Pictures | None = None  # what the image stage made (set by the build before rendering)
    preview: bool = False  # `serve`: drafts are rendered (with a banner), still listed nowhere
    drafts: frozenset[str] = frozenset()  # slugs of the drafts in ``campaigns`` (empty unless previewing)
    pages: Pages | None = None  # content/pages, in every language (set by the build)
    comments: dict = field(default_factory=dict)  # slug → its newest comments, baked into the page
    strays: tuple[str, ...] = ()  # files under content/ that the build does not read (site-relative)

    @property
    def listed(self) -> list[Entry]:
        """The campaigns the public may see and pledge to: every entry but the drafts."""
        return [e for e in self.entries if e.slug not in self.drafts]

    def status(self, slug: str) -> str:
        cache = self.__dict__.setdefault("_status", {})
        if slug not in cache:
            cache[slug] = self.campaigns[self.config.language][slug].status(self.now)
        return cache[slug]

    def days_left(self, slug: str) -> int:
        cache = self.__dict__.setdefault("_days", {})
        if slug not in cache:
            campaign = self.campaigns[self.config.language][slug]
            cache[slug] = max(0, int((campaign.ends - self.now).total_seconds() // 86400))
        return cache[slug]

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        """The span around ``now`` in which no status or day count changes.

        Pages depend on ``now`` only through those, so a rebuild inside the
        window with the same files would render exactly the same bytes.
        """
        day = dt.timedelta(days=1)
        start, end = dt.datetime.min.replace(tzinfo=dt.timezone.utc), dt.datetime.max.replace(tzinfo=dt.timezone.utc)
        for c in self.campaigns[self.config.language].values():
            moments = [m for m in (c.starts, c.ends) if m is not None]
            moments += [u.published for u in c.mailings]  # an update's date passing ends a warning
            if self.now < c.ends:
                left = self.days_left(c.slug)
                moments += [c.ends - left * day, c.ends - (left + 1) * day]
            for moment in moments:
                if moment <= self.now:
                    start = max(start, moment)
                else:
                    end = min(end, moment)
        return start, end

    def groups(self, lang: str) -> list[dict]:
        """Home page sections: live, upcoming, successful, ended; each by category."""
        out = []
        by_section: dict[str, list[Campaign]] = {}
        for slug, c in self.campaigns[lang].items():
            if slug in self.drafts:
                continue
            by_section.setdefault(self.status(slug), []).append(c)
        for section in SECTIONS:
            members = by_section.get(section)
            if not members:
                continue
            over = section in ("successful", "ended")
            categories = []
            for name in sorted({c.category for c in members}):
                chosen = [c for c in members if c.category == name]
                chosen.sort(key=lambda c: (c.ends, c.slug), reverse=over)
                categories.append({"name": name, "campaigns": chosen})
            out.append({"status": section, "categories": categories})
        return out


def fingerprints_of(slugs: list[str], digests: dict[str, str]) -> dict[str, str]:
    """slug → one hash of every file of its folder (``digests``: path → sha256)."""
    by_folder: dict[str, list[str]] = {}
    for path in sorted(digests):
        by_folder.setdefault(path.rsplit("/campaigns/", 1)[-1].split("/", 1)[0], []).append(path)
    fingerprints = {}
    for slug in slugs:
        hasher = hashlib.sha256()
        for path in by_folder.get(slug, ()):
            hasher.update(f"{path}\0{digests[path]}\0".encode())
        fingerprints[slug] = hasher.hexdigest()
    return fingerprints


def assemble(config: SiteConfig, entries: list[Entry], campaigns: dict[str, dict[str, Campaign]],
             now: dt.datetime, digests: dict[str, str], fingerprints: dict[str, str] | None = None,
             preview: bool = False) -> Site:
    """The site at ``now``; ``campaigns`` is lang → slug → localised campaign.

    ``fingerprints`` (slug → :func:`fingerprints_of`) when the caller has them already.
    Drafts (``draft: true``) are kept only in a ``preview`` (``serve``): a
    production build leaves them out entirely, as if their folders were not there.
    """
    drafts = frozenset(e.slug for e in entries if campaigns[config.language][e.slug].draft)
    if drafts and not preview:
        entries = [e for e in entries if e.slug not in drafts]
        campaigns = {lang: {slug: c for slug, c in by_slug.items() if slug not in drafts}
                     for lang, by_slug in campaigns.items()}
        drafts = frozenset()
    slugs = [e.slug for e in entries]
    if fingerprints is None:
        fingerprints = fingerprints_of(slugs, digests)
    return Site(config, now, entries, campaigns, {slug: fingerprints[slug] for slug in slugs}, digests,
                preview=preview, drafts=drafts)
