"""`draft: true`: `cagnotte serve` shows the campaign with a banner; a production build leaves it out entirely."""

from __future__ import annotations

import json

from conftest import NOW

from generator.build import build


def make_draft(site, slug: str = "tokyo-zine") -> None:
    index = site / f"content/campaigns/{slug}/index.md"
    text = index.read_text()
    assert text.startswith("---\n")
    index.write_text("---\ndraft: true\n" + text[4:])


def test_a_production_build_leaves_a_draft_out_everywhere(site, tmp_path):
    make_draft(site)
    out = tmp_path / "out"
    build(site, out, now=NOW)
    assert not (out / "campaigns/tokyo-zine").exists() and not (out / "en/campaigns/tokyo-zine").exists()
    catalog = json.loads((out / "catalog.json").read_text())
    assert "tokyo-zine" not in catalog["campaigns"] and "premier-album" in catalog["campaigns"]
    for name in ("index.html", "en/index.html", "feed.xml", "sitemap.xml"):
        assert "tokyo-zine" not in (out / name).read_text(), name


def test_serve_previews_a_draft_with_a_banner_but_lists_it_nowhere(site, tmp_path):
    make_draft(site)
    out = tmp_path / "preview"
    build(site, out, now=NOW, preview=True)
    page = (out / "en/campaigns/tokyo-zine/index.html").read_text()
    assert 'class="draft-banner' in page and "Remove “draft: true” to publish it." in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    french = (out / "campaigns/tokyo-zine/index.html").read_text()
    assert "Brouillon" in french
    catalog = json.loads((out / "catalog.json").read_text())
    assert "tokyo-zine" not in catalog["campaigns"]  # nobody can pledge to it, even locally
    for name in ("index.html", "en/index.html", "feed.xml", "sitemap.xml"):
        assert "/campaigns/tokyo-zine/" not in (out / name).read_text(), name
    published = (out / "en/campaigns/premier-album/index.html").read_text()
    assert "draft-banner" not in published


def test_publishing_a_draft_is_removing_the_line(site, tmp_path):
    make_draft(site)
    out = tmp_path / "out"
    build(site, out, now=NOW)
    index = site / "content/campaigns/tokyo-zine/index.md"
    index.write_text(index.read_text().replace("draft: true\n", "", 1))
    build(site, out, now=NOW)
    assert (out / "en/campaigns/tokyo-zine/index.html").is_file()
    assert "tokyo-zine" in json.loads((out / "catalog.json").read_text())["campaigns"]


def test_check_reads_drafts_too(cli, site):
    make_draft(site)
    index = site / "content/campaigns/tokyo-zine/index.md"
    index.write_text(index.read_text().replace("funding: flexible", "funding: flexibel"))
    result = cli("--site", str(site), "check")
    assert result.exit_code == 1 and "tokyo-zine/index.md" in result.stderr


def test_draft_must_be_a_boolean(cli, site):
    index = site / "content/campaigns/tokyo-zine/index.md"
    index.write_text("---\ndraft: maybe\n" + index.read_text()[4:])
    result = cli("--site", str(site), "check")
    assert result.exit_code == 1 and "content/campaigns/tokyo-zine/index.md:2:" in result.stderr


def test_a_build_after_serve_removes_the_previewed_draft(site, tmp_path):
    make_draft(site)
    out = tmp_path / "site_out"
    build(site, out, now=NOW, preview=True)
    assert (out / "en/campaigns/tokyo-zine/index.html").is_file()
    build(site, out, now=NOW)
    assert not (out / "en/campaigns/tokyo-zine").exists()
