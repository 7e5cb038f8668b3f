"""The assembled site: campaigns in every language, ordered, with their status at ``now``."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from generator.config import SiteConfig
from generator.content.assemble import Bundle, localise
from generator.content.model import Campaign

SECTIONS = ("live", "upcoming", "successful", "ended")


@dataclass
class Site:
    config: SiteConfig
    now: dt.datetime
    bundles: list[Bundle]
    campaigns: dict[str, dict[str, Campaign]]  # lang → slug → campaign
    fingerprints: dict[str, str]  # slug → hash of every file of the campaign
    digests: dict[str, str]  # site-relative path of each source and asset → sha256

    def status(self, slug: str) -> str:
        return self.campaigns[self.config.language][slug].status(self.now)

    def days_left(self, slug: str) -> int:
        campaign = self.campaigns[self.config.language][slug]
        return max(0, int((campaign.ends - self.now).total_seconds() // 86400))

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        """The span around ``now`` in which no status or day count changes.

        Pages depend on ``now`` only through those, so a rebuild inside the
        window with the same files would render exactly the same bytes.
        """
        day = dt.timedelta(days=1)
        start, end = dt.datetime.min.replace(tzinfo=dt.timezone.utc), dt.datetime.max.replace(tzinfo=dt.timezone.utc)
        for c in self.campaigns[self.config.language].values():
            moments = [m for m in (c.starts, c.ends) if m is not None]
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
        for section in SECTIONS:
            members = [c for c in self.campaigns[lang].values() if c.status(self.now) == section]
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


def assemble(config: SiteConfig, bundles: list[Bundle], now: dt.datetime,
             digests: dict[str, str]) -> Site:
    """Localise every campaign for every site language.

    ``digests`` maps each source and asset path to its content hash; a
    campaign's fingerprint covers all of its folder's files.
    """
    campaigns = {lang: {b.slug: localise(b, lang) for b in bundles} for lang in config.languages}
    by_folder: dict[str, list[str]] = {}
    for path in sorted(digests):
        by_folder.setdefault(path.rsplit("/campaigns/", 1)[-1].split("/", 1)[0], []).append(path)
    fingerprints = {}
    for b in bundles:
        hasher = hashlib.sha256()
        for path in by_folder.get(b.slug, ()):
            hasher.update(f"{path}\0{digests[path]}\0".encode())
        fingerprints[b.slug] = hasher.hexdigest()
    return Site(config, now, bundles, campaigns, fingerprints, digests)
