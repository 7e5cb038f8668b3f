"""What the built pages say: translations, escaping, money and dates, feeds, catalog."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from conftest import FIXTURE, NOW
from functions.core.catalog import Catalog
from generator.build import build

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    root = tmp_path_factory.mktemp("pages") / "site"
    shutil.copytree(FIXTURE, root)
    build(root, now=NOW, jobs=1)
    return root / "_site"


def read(out, rel):
    return (out / rel).read_text(encoding="utf-8")


def test_translation_replaces_what_it_translates_and_falls_back_for_the_rest(out):
    en = read(out, "en/campaigns/premier-album/index.html")
    assert "Lina&#39;s first album" in en or "Lina's first album" in en
    assert "Signed vinyl" in en  # translated reward title
    assert "Album numérique" in en  # untranslated reward: the original's title
    assert "A music video shot in Lyon" in en  # stretch goal matched by amount
    assert "Singer in Lyon" in en  # creator bio
    assert "Why this album" in en and "Pourquoi cet album" not in en


def test_untranslated_campaign_keeps_its_language_and_says_so(out):
    fr = read(out, "campaigns/tokyo-zine/index.html")
    assert 'lang="fr"' in fr  # the interface is French…
    assert 'lang="en"' in fr  # …and the English story is marked as English
    assert "We walk, we draw, we print." in fr


def test_update_translation(out):
    assert "The vocal takes are <strong>done</strong>." in read(out, "en/campaigns/premier-album/updates/2026-11-20-studio/index.html")
    assert "Les prises de voix sont <strong>terminées</strong>." in read(out, "campaigns/premier-album/updates/2026-11-20-studio/index.html")


def test_hreflang_alternates(out):
    page = read(out, "campaigns/premier-album/index.html")
    assert '<link rel="alternate" hreflang="en" href="https://fund.example.org/en/campaigns/premier-album/">' in page
    assert '<link rel="alternate" hreflang="fr" href="https://fund.example.org/campaigns/premier-album/">' in page
    assert '<link rel="canonical" href="https://fund.example.org/campaigns/premier-album/">' in page


def test_open_graph_and_twitter_tags(out):
    page = read(out, "en/campaigns/premier-album/index.html")
    assert '<meta property="og:url" content="https://fund.example.org/en/campaigns/premier-album/">' in page
    assert re.search(r'<meta property="og:image" content="https://fund.example.org/campaigns/premier-album/share\.[0-9a-f]{10}\.jpg">', page)
    assert 'name="twitter:card" content="summary_large_image"' in page


def test_plain_text_fields_are_escaped_everywhere(out):
    for rel in ("campaigns/tokyo-zine/index.html", "index.html", "campaigns/tokyo-zine/embed/index.html",
                "campaigns/tokyo-zine/updates/feed.xml"):
        text = read(out, rel)
        assert "<zine>" not in text, rel
        assert "&lt;zine&gt;" in text or "&amp;lt;zine&amp;gt;" in text, rel


@pytest.mark.parametrize("rel, expected", [
    ("campaigns/premier-album/index.html", "8\u202f500,50\xa0€"),
    ("en/campaigns/premier-album/index.html", "€8,500.50"),
    ("en/campaigns/premier-album/index.html", "€32.50"),
    ("campaigns/premier-album/index.html", "12\u202f000\xa0€"),
    ("en/campaigns/tokyo-zine/index.html", "¥900,000"),
    ("en/campaigns/tokyo-zine/index.html", "¥1,500"),
])
def test_money_is_formatted_per_locale(out, rel, expected):
    assert expected in read(out, rel)


def test_dates_and_the_funding_sentence(out):
    assert "All or nothing: you are charged only if the goal is reached by 15 December" in \
        read(out, "en/campaigns/premier-album/index.html").replace("December 15", "15 December")
    fr = read(out, "campaigns/premier-album/index.html")
    assert "15 décembre" in fr


def test_shipping_and_delivery(out):
    en = read(out, "en/campaigns/premier-album/index.html")
    assert "May 2027" in en and "March 2027" in en
    assert "France" in en and "Belgium" in en and "Switzerland" in en
    fr = read(out, "campaigns/premier-album/index.html")
    assert "mai 2027" in fr and "Belgique" in fr


def test_pledge_forms_post_to_the_api_without_javascript(out):
    page = read(out, "campaigns/premier-album/index.html")
    assert page.count('action="/api/pledges"') == 3  # two rewards and a pledge without reward
    assert 'name="reward" value="vinyl"' in page
    assert 'name="campaign" value="premier-album"' in page


def test_no_invented_numbers_before_the_live_counters(out):
    page = read(out, "campaigns/premier-album/index.html")
    assert 'data-stat="raised"' in page and 'data-stat="backers"' in page


def test_home_groups_live_before_successful(out):
    home = read(out, "en/index.html")
    live, successful = home.index("premier-album"), home.index("atelier-clos")
    assert live < successful
    assert home.index("tokyo-zine") < successful


def test_atom_feeds_are_valid(out):
    for rel in ("feed.xml", "en/feed.xml", "campaigns/premier-album/updates/feed.xml"):
        root = ET.fromstring((out / rel).read_bytes())
        assert root.tag == f"{ATOM}feed"
        for name in ("id", "title", "updated"):
            assert root.find(f"{ATOM}{name}") is not None, (rel, name)
        assert any(link.get("rel") == "self" for link in root.findall(f"{ATOM}link"))
        entries = root.findall(f"{ATOM}entry")
        assert entries, rel
        for entry in entries:
            for name in ("id", "title", "updated"):
                assert (entry.findtext(f"{ATOM}{name}") or "").strip(), (rel, name)
            assert entry.find(f"{ATOM}link").get("href").startswith("https://fund.example.org/")
    campaign = ET.fromstring((out / "en/campaigns/premier-album/updates/feed.xml").read_bytes())
    [entry] = campaign.findall(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "In the studio"
    assert entry.findtext(f"{ATOM}updated").startswith("2026-11-20T18:00:00")


def test_sitemap_and_robots(out):
    root = ET.fromstring((out / "sitemap.xml").read_bytes())
    locs = {u.findtext("{http://www.sitemaps.org/schemas/sitemap/0.9}loc") for u in root}
    assert "https://fund.example.org/campaigns/premier-album/" in locs
    assert "https://fund.example.org/en/campaigns/premier-album/" in locs
    assert not any("thanks" in loc or "embed" in loc for loc in locs)
    assert "Sitemap: https://fund.example.org/sitemap.xml" in read(out, "robots.txt")


def test_thanks_and_embed_pages_are_not_indexed(out):
    for rel in ("campaigns/premier-album/thanks/index.html", "campaigns/premier-album/embed/index.html"):
        assert 'name="robots" content="noindex' in read(out, rel)


def test_404_page(out):
    assert (out / "404.html").is_file() and (out / "en" / "404.html").is_file()


def test_catalog_holds_prices_limits_and_dates_in_minor_units(out):
    catalog = Catalog.from_json(read(out, "catalog.json"))
    album = catalog.campaigns["premier-album"]
    assert (album.goal, album.currency, album.funding) == (850050, "EUR", "all_or_nothing")
    vinyl = album.reward("vinyl")
    assert (vinyl.amount, vinyl.limit, vinyl.shipping.countries, vinyl.shipping.cost) == (3250, 300, ("FR", "BE", "CH"), 500)
    assert album.ends.isoformat() == "2026-12-15T23:59:59+01:00"
    assert album.thanks_url == "https://fund.example.org/campaigns/premier-album/thanks/"
    zine = catalog.campaigns["tokyo-zine"]
    assert (zine.goal, zine.currency, zine.reward("zine").shipping.cost) == (900000, "JPY", 800)
    assert zine.ends.isoformat() == "2027-01-31T23:59:59+01:00"  # a bare date: the day's end, site timezone
    assert zine.url == "https://fund.example.org/en/campaigns/tokyo-zine/"  # its own language's page
    text = read(out, "catalog.json")
    assert "." not in json.dumps([c["goal"] for c in json.loads(text)["campaigns"].values()])
    assert Catalog.from_json(catalog.to_json()) == catalog
