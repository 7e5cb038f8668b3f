"""`cagnotte build`: determinism, incremental rebuilds, atomic output, parallelism."""

from __future__ import annotations

import shutil

import pytest

from conftest import NOW, tree, write
from generator.build import build
from generator.problems import ContentError

ALBUM = "content/campaigns/premier-album"


def rendered_paths(site, **kwargs):
    """Build and return which pages were rendered (not reused)."""
    before = {p: b for p, b in tree(site / "_site").items()} if (site / "_site").is_dir() else {}
    inodes = {p.relative_to(site / "_site").as_posix(): p.stat().st_ino
              for p in (site / "_site").rglob("*") if p.is_file()} if before else {}
    report = build(site, now=kwargs.pop("now", NOW), **kwargs)
    after = {p.relative_to(site / "_site").as_posix(): p.stat().st_ino
             for p in (site / "_site").rglob("*") if p.is_file()}
    # A reused page is the same file (hard link); a rendered one is new.
    fresh = {p for p, ino in after.items() if inodes.get(p) != ino and p.endswith((".html", ".xml", ".txt"))}
    return report, fresh


def test_same_input_gives_identical_bytes(site, tmp_path):
    build(site, tmp_path / "one", now=NOW, jobs=1)
    shutil.rmtree(site / ".cagnotte")
    build(site, tmp_path / "two", now=NOW, jobs=2, clean=True)
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert one.keys() == two.keys()
    assert [p for p in one if one[p] != two[p]] == []


def test_unchanged_site_rebuilds_nothing(site):
    first = build(site, now=NOW)
    assert first.rendered == len([p for p in tree(site / "_site") if p.endswith((".html", ".xml", ".txt"))])
    second = build(site, now=NOW)
    assert (second.rendered, second.removed, second.parsed) == (0, 0, 0)
    assert second.reused == second.total
    assert not second.changed


def test_editing_one_campaign_renders_its_pages_and_the_shared_ones(site):
    build(site, now=NOW)
    index = site / ALBUM / "index.md"
    index.write_text(index.read_text().replace("Dix chansons écrites", "Onze chansons écrites"))
    report, fresh = rendered_paths(site)
    assert report.parsed == 1
    album = {p for p in fresh if "premier-album" in p}
    others = fresh - album
    assert album == {
        f"{prefix}campaigns/premier-album/{page}"
        for prefix in ("", "en/")
        for page in ("index.html", "thanks/index.html", "embed/index.html", "updates/feed.xml",
                     "updates/2026-11-20-studio/index.html")
    }
    # the sitemap holds addresses and update dates only: an edited story leaves it alone
    assert others == {"index.html", "en/index.html", "feed.xml", "en/feed.xml"}


def test_the_sitemap_follows_new_pages_and_update_dates(site):
    build(site, now=NOW)
    update = site / ALBUM / "updates" / "2026-11-20-studio.md"
    update.write_text(update.read_text().replace("2026-11-20T18:00:00+01:00", "2026-11-21T09:00:00+01:00"))
    _, fresh = rendered_paths(site)
    assert "sitemap.xml" in fresh
    assert "<lastmod>2026-11-21T09:00:00+01:00</lastmod>" in (site / "_site" / "sitemap.xml").read_text()
    write(site, f"{ALBUM}/updates/2026-11-25-mix.md", "---\ntitle: Mixage\ndate: 2026-11-25\n---\nLe mixage commence.\n")
    _, fresh = rendered_paths(site)
    assert "sitemap.xml" in fresh
    assert "/campaigns/premier-album/updates/2026-11-25-mix/" in (site / "_site" / "sitemap.xml").read_text()


def test_a_template_change_renders_only_the_pages_that_use_it(site):
    build(site, now=NOW)
    theme = site / "themes" / "default" / "templates"
    theme.mkdir(parents=True)
    from generator.render.theme import BUILTIN
    shutil.copy(BUILTIN / "default" / "templates" / "update.html", theme / "update.html")
    (theme / "update.html").write_text((theme / "update.html").read_text() + "\n")
    report, fresh = rendered_paths(site)
    assert fresh == {"campaigns/premier-album/updates/2026-11-20-studio/index.html",
                     "en/campaigns/premier-album/updates/2026-11-20-studio/index.html",
                     "campaigns/tokyo-zine/updates/2026-11-10-first-walk/index.html",
                     "en/campaigns/tokyo-zine/updates/2026-11-10-first-walk/index.html"}


def test_a_site_yml_change_renders_everything(site):
    first = build(site, now=NOW)
    config = site / "site.yml"
    config.write_text(config.read_text().replace('title: "Fixture fund"', 'title: "Fixture fund 2"'))
    report = build(site, now=NOW)
    assert report.rendered == first.rendered


def test_a_locale_change_renders_that_language_only(site):
    build(site, now=NOW)
    from generator.render.theme import BUILTIN
    target = site / "themes" / "default" / "locales" / "fr" / "LC_MESSAGES"
    target.mkdir(parents=True)
    po = (BUILTIN / "default" / "locales" / "fr" / "LC_MESSAGES" / "messages.po").read_text()
    (target / "messages.po").write_text(po + '\nmsgid "Cagnotte test string"\nmsgstr "Chaîne de test"\n')
    report, fresh = rendered_paths(site)
    assert fresh and all(not p.startswith("en/") for p in fresh)
    assert "index.html" in fresh and "campaigns/premier-album/index.html" in fresh


def test_a_new_day_renders_the_pages_that_count_days(site):
    build(site, now=NOW)
    report, fresh = rendered_paths(site, now=NOW.replace(day=27))
    # The live campaigns' pages show days left; the ended campaign's do not change.
    assert "campaigns/premier-album/index.html" in fresh
    assert "campaigns/atelier-clos/index.html" not in fresh


def test_removed_campaign_disappears_from_the_output(site):
    build(site, now=NOW)
    shutil.rmtree(site / "content" / "campaigns" / "tokyo-zine")
    report = build(site, now=NOW)
    assert report.removed > 0
    assert not (site / "_site" / "campaigns" / "tokyo-zine").exists()
    assert "tokyo-zine" not in (site / "_site" / "index.html").read_text()


def test_invalid_content_leaves_the_previous_output_untouched(site):
    build(site, now=NOW)
    before = tree(site / "_site")
    write(site, f"{ALBUM}/index.md", "---\ntitle: [\n---\n")
    with pytest.raises(ContentError):
        build(site, now=NOW)
    assert tree(site / "_site") == before
    assert [p.name for p in site.iterdir() if p.name.startswith("._site")] == []


def test_a_failure_while_rendering_leaves_the_previous_output_untouched(site):
    build(site, now=NOW)
    before = tree(site / "_site")
    theme = site / "themes" / "broken" / "templates"
    theme.mkdir(parents=True)
    (theme / "update.html").write_text("{{ no_such_variable.boom }}")
    config = site / "site.yml"
    config.write_text(config.read_text().replace("theme: default", "theme: broken"))
    with pytest.raises(ContentError) as caught:
        build(site, now=NOW, jobs=1)
    assert [str(p) for p in caught.value.problems] == [
        "themes/broken/templates/update.html:1: template error: 'no_such_variable' is undefined"]
    assert tree(site / "_site") == before
    assert [p.name for p in site.iterdir() if p.name.startswith("._site")] == []


def test_deleting_the_output_rebuilds_it(site):
    build(site, now=NOW)
    shutil.rmtree(site / "_site")
    report = build(site, now=NOW)
    assert report.rendered == len([p for p in tree(site / "_site") if p.endswith((".html", ".xml", ".txt"))])
    assert (site / "_site" / "index.html").is_file()


def test_files_beside_a_campaign_are_copied(site):
    build(site, now=NOW)
    image = site / "_site" / "campaigns" / "premier-album" / "cover.png"
    assert image.read_bytes() == (site / ALBUM / "cover.png").read_bytes()


def test_cached_fragments_give_the_same_bytes_as_a_clean_build(site, tmp_path):
    build(site, now=NOW)
    index = site / "content/campaigns/tokyo-zine/index.md"
    index.write_text(index.read_text().replace("A risograph zine", "A riso zine"))
    build(site, now=NOW)  # the home page reuses the other campaigns' cards
    shutil.rmtree(site / ".cagnotte")
    build(site, tmp_path / "clean", now=NOW, clean=True)
    assert tree(site / "_site") == tree(tmp_path / "clean")
    assert "A riso zine" in (site / "_site/en/index.html").read_text()


def test_cached_campaigns_read_their_long_fields_only_when_used(site):
    import dataclasses
    import pickle

    from generator.build import load_site
    from generator.content.deferred import Deferred
    from generator.content.model import Campaign
    from generator.output.state import State

    build(site, now=NOW)
    index = site / "content/campaigns/tokyo-zine/index.md"
    index.write_text(index.read_text().replace("A risograph zine", "A riso zine"))
    state = State(site, site / "_site")
    try:
        _, theme, cached, parsed = load_site(site, NOW, 1, state)
    finally:
        state.close()
    from generator.build import make_images
    make_images(site, theme, cached, 1)  # the album's cover: found without reading its story
    _, _, clean, _ = load_site(site, NOW, 1)
    assert parsed == 1
    edited, album = cached.campaigns["en"]["tokyo-zine"], cached.campaigns["en"]["premier-album"]
    assert type(edited) is Campaign and type(album) is Deferred
    assert "_fetch" in vars(album) and "rewards" not in vars(album)  # nothing long read yet
    assert cached.pictures.hero(album) is not None
    assert album.title == clean.campaigns["en"]["premier-album"].title and "_fetch" in vars(album)
    assert album.rewards == clean.campaigns["en"]["premier-album"].rewards and album.rewards
    assert "_fetch" not in vars(album)
    for lang in ("fr", "en"):
        for slug, campaign in clean.campaigns[lang].items():
            assert cached.campaigns[lang][slug] == campaign and campaign == cached.campaigns[lang][slug]
            assert hash(cached.campaigns[lang][slug]) == hash(campaign)
    # Pickled or replaced, a cached campaign is a whole Campaign.
    other = cached.campaigns["fr"]["atelier-clos"]
    copy = pickle.loads(pickle.dumps(other))
    assert type(copy) is Campaign and copy == clean.campaigns["fr"]["atelier-clos"]
    assert dataclasses.replace(other, title="X").story_html == clean.campaigns["fr"]["atelier-clos"].story_html


def test_catalog_and_mail_parts_follow_the_settings_and_the_campaigns(site, tmp_path):
    import json

    from generator.catalog import make_catalog

    build(site, now=NOW)
    config = site / "site.yml"
    config.write_text(config.read_text().replace("https://fund.example.org", "https://back.example.net"))
    index = site / "content/campaigns/tokyo-zine/index.md"
    index.write_text(index.read_text().replace('creator: { name: "Aiko & Tom" }',
                                               'creator: { name: "Aiko & Tom", email: "aiko@example.org" }'))
    build(site, now=NOW)
    catalog = json.loads((site / "_site/catalog.json").read_text())
    assert catalog["campaigns"]["premier-album"]["url"] == "https://back.example.net/campaigns/premier-album/"
    assert json.loads((site / "_site/mail.json").read_text())["site"]["base_url"] == "https://back.example.net"
    assert json.loads((site / ".cagnotte/private.json").read_text())["creators"] == {"tokyo-zine": "aiko@example.org"}
    # What the kept parts add up to is what the whole site makes from nothing.
    from generator.build import load_site
    _, _, whole, _ = load_site(site, NOW, 1)
    assert (site / "_site/catalog.json").read_text() == make_catalog(whole).to_json()
    shutil.rmtree(site / ".cagnotte")
    build(site, tmp_path / "clean", now=NOW, clean=True)
    assert tree(site / "_site") == tree(tmp_path / "clean")


def test_a_file_named_like_a_page_is_a_content_mistake(site):
    build(site, now=NOW)
    before = tree(site / "_site")
    write(site, "content/campaigns/tokyo-zine/embed/index.html", "<p>mine</p>")
    with pytest.raises(ContentError) as caught:
        build(site, now=NOW)
    assert [str(p) for p in caught.value.problems] == [
        "content/campaigns/tokyo-zine/embed/index.html:1: this file would be published as "
        "/campaigns/tokyo-zine/embed/index.html, which is the page made from embed.html: rename or move it"]
    assert tree(site / "_site") == before
    assert [p.name for p in site.iterdir() if p.name.startswith("._site")] == []


def test_a_build_after_the_state_was_removed_reads_the_new_one(site):
    # serve builds again and again in one process: a connection kept to a removed
    # state must not be asked for campaigns of the new one.
    zine, album = site / "content/campaigns/tokyo-zine/index.md", site / f"{ALBUM}/index.md"
    build(site, now=NOW)
    zine.write_text(zine.read_text().replace("A risograph zine", "A riso zine"))
    build(site, now=NOW)  # the album's story is read from this state (the site feed shows it)
    shutil.rmtree(site / ".cagnotte")
    album.write_text(album.read_text().replace("Dix chansons écrites", "Onze chansons écrites"))
    build(site, now=NOW)
    zine.write_text(zine.read_text().replace("A riso zine", "A zine"))
    build(site, now=NOW)  # the album, as now written, is only in the new state
    assert "Onze chansons écrites" in (site / "_site/feed.xml").read_text()
