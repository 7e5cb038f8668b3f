"""`cagnotte new campaign SLUG`: a campaign file with every field, commented."""

from __future__ import annotations

from pathlib import Path

from generator.content.fields import SLUG
from generator.content.loader import CAMPAIGNS

TEMPLATE = """\
---
# Every field of a campaign. Required: title, summary, creator.name, category,
# goal, ends. Amounts are in major units of the currency (8000 = 8,000.00 EUR);
# write decimals as "12.50". Dates need an offset, or use the site's timezone.
title: "{title}"
summary: "One line that makes people want to read on."
creator:
  name: "Your name"
  bio: "Who you are, in one sentence."
  # url: "https://example.org"
category: music                  # music, books, travel, crafts, film, games, food…
tags: []
# language: fr                   # the language this file is written in (default: site.yml's)
# image: cover.jpg               # hero image beside this file
# image_alt: "What the image shows"
# video: "https://…"
goal: 5000
# currency: EUR                  # default: site.yml's currency
# starts: 2027-01-10T10:00:00+01:00
ends: 2027-02-28T23:59:59+01:00
funding: all_or_nothing          # all_or_nothing: charged only if the goal is met; flexible: charged now
rewards:
  - id: thanks                   # stable id: a-z, 0-9 and dashes, unique in the campaign
    title: "A heartfelt thank-you"
    amount: 5
    description: "Your name in the credits."
    # limit: 100                 # how many exist
    # delivery: 2027-06          # estimated delivery month
    shipping: none               # or: {{ countries: [FR, BE], cost: 5 }}
stretch_goals: []
#  - {{ amount: 8000, title: "What more money makes possible" }}
faq: []
#  - {{ q: "When will it ship?", a: "In June 2027." }}
risks: "What could go wrong, and how you will handle it."
# final: {{ raised: 0, backers: 0 }}   # after the deadline: the final figures
---
Tell your story here, in Markdown: who you are, what you will make, why it
matters, and what the money pays for.
"""


class ScaffoldError(Exception):
    pass


def scaffold(root: Path, slug: str) -> Path:
    """Create ``content/campaigns/<slug>/index.md``; refuse an existing campaign."""
    if not SLUG.match(slug):
        raise ScaffoldError(f"'{slug}' is not a valid campaign name: use lower-case letters, digits and dashes")
    folder = root / CAMPAIGNS / slug
    path = folder / "index.md"
    if path.exists():
        raise ScaffoldError(f"{CAMPAIGNS}/{slug}/index.md already exists")
    folder.mkdir(parents=True, exist_ok=True)
    title = slug.replace("-", " ").capitalize()
    path.write_text(TEMPLATE.format(title=title), encoding="utf-8")
    return path
