"""Changing the look without writing a theme: site.yml's accent, logo and footer, a theme that
overrides one file, and plain pages (content/pages)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from conftest import NOW, write
from generator.build import build
from generator.render import colours

SITE_YML_LINES = 10  # the fixture's site.yml: a field added at the end is on line 11


def add_to_site_yml(site: Path, text: str) -> None:
    path = site / "site.yml"
    assert len(path.read_text().splitlines()) == SITE_YML_LINES
    path.write_text(path.read_text() + text, encoding="utf-8")


def built(site: Path, rel: str) -> str:
    return (site / "_site" / rel).read_text(encoding="utf-8")


def stylesheet(site: Path, page: str = "index.html") -> str:
    links = re.findall(r'<link rel="stylesheet" href="(/static/css/[^"]+)">', built(site, page))
    assert len(links) == 1, links  # one stylesheet, whatever its parts
    return built(site, links[0].lstrip("/"))


def check(cli, site):
    result = cli("--site", str(site), "check")
    prefix = str(site) + "/"
    return result.exit_code, [line.replace(prefix, "") for line in result.stderr.splitlines()
                              if not line.endswith("found.")]


# -- accent ----------------------------------------------------------------------------

def test_the_accent_colours_the_built_stylesheet_with_readable_text_on_it(site):
    add_to_site_yml(site, 'accent: "#b4442c"\n')
    build(site, now=NOW, jobs=1)
    css = stylesheet(site)
    assert "--accent: #b4442c; " in css and "--on-accent: #ffffff;" in css
    # After the theme's tokens (so it wins), before the layout that reads them.
    assert css.index("--bg: #f8f7f4") < css.index("--accent: #b4442c") < css.index(".site-header {")
    dark_tokens = re.search(r"accent: #b4442c \(site.yml\).*?@media \(prefers-color-scheme: dark\) \{\n  :root \{ (.*?) \}",
                            css, re.S).group(1)
    accent = colours.parse(re.search(r"--accent: (#[0-9a-f]{6})", dark_tokens).group(1))
    on = colours.parse(re.search(r"--on-accent: (#[0-9a-f]{6})", dark_tokens).group(1))
    assert contrast_ok(accent, on) and colours.contrast(accent, colours.DARK_PAGE) >= 4.5


def contrast_ok(a, b) -> bool:
    return colours.contrast(a, b) >= 4.5


def test_without_an_accent_the_stylesheet_is_the_themes_own(site):
    build(site, now=NOW, jobs=1)
    css = stylesheet(site)
    assert "(site.yml)" not in css and "--accent: #0a6b5c;" in css


def test_every_accepted_accent_keeps_its_text_readable_in_both_schemes():
    accepted = 0
    for r in range(16):
        for g in range(16):
            for b in range(16):
                value = "#%x%x%x" % (r, g, b)
                if colours.problem(value):
                    continue
                accepted += 1
                tokens = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6});", colours.tokens(value)))
                schemes = colours.tokens(value).split("@media")
                for scheme, page in zip(schemes, (colours.LIGHT_PAGE, colours.DARK_PAGE)):
                    found = dict(re.findall(r"--([a-z-]+): (#[0-9a-f]{6});", scheme))
                    accent, on = colours.parse(found["accent"]), colours.parse(found["on-accent"])
                    assert colours.contrast(accent, on) >= 4.5, (value, found)  # a button's label
                    assert colours.contrast(accent, page) >= 4.5, (value, found)  # a link on the page
                assert tokens
    assert 1000 < accepted < 4096  # dark colours pass, light ones are refused


def test_text_on_the_accent_is_white_or_near_black_whichever_reads():
    assert colours.on(colours.parse("#0a6b5c")) == colours.WHITE
    assert colours.on(colours.parse("#5ccab5")) == colours.NEAR_BLACK


@pytest.mark.parametrize("value, message", [
    ("red", "site.yml:11: 'accent' must be a colour written #rgb or #rrggbb (such as #b4442c), not 'red'"),
    ("'#12345'", "site.yml:11: 'accent' must be a colour written #rgb or #rrggbb (such as #b4442c), not '#12345'"),
    ("'#ffcc00'", "site.yml:11: 'accent' #ffcc00 is too light to read as text on the page (1.4:1, links and "
                  "amounts need 4.5:1): try #806600, the same hue darker"),
])
def test_a_bad_accent_is_a_problem_with_its_line(cli, site, value, message):
    add_to_site_yml(site, f"accent: {value}\n")
    code, lines = check(cli, site)
    assert (code, lines) == (1, [message])


# -- logo ------------------------------------------------------------------------------

def png(path: Path, width: int, height: int) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGBA", (width, height), (180, 68, 44, 255)).save(path, "PNG")


def test_a_logo_picture_is_resized_and_shown_with_the_site_name_as_its_alternative(site):
    from PIL import Image

    png(site / "assets" / "logo.png", 600, 300)
    add_to_site_yml(site, "logo: assets/logo.png\n")
    build(site, now=NOW, jobs=1)
    for page in ("index.html", "en/campaigns/premier-album/index.html"):
        img = re.search(r'<img class="brand-logo" src="(/static/logo/logo\.[0-9a-f]{10}\.png)" '
                        r'alt="Fixture fund" width="192" height="96">', built(site, page))
        assert img, built(site, page)[:3000]
    with Image.open(site / "_site" / img.group(1).lstrip("/")) as shown:
        assert shown.size == (192, 96)
    assert 'class="brand-mark"' not in built(site, "index.html")


def test_an_svg_logo_is_published_as_it_is(site):
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>\n'
    write(site, "logo.svg", svg)
    add_to_site_yml(site, "logo: logo.svg\n")
    build(site, now=NOW, jobs=1)
    src = re.search(r'<img class="brand-logo" src="([^"]+)" alt="Fixture fund">', built(site, "index.html")).group(1)
    assert built(site, src.lstrip("/")) == svg


@pytest.mark.parametrize("files, value, message", [
    ({}, "nope.svg", "site.yml:11: 'logo': no file 'nope.svg' in the site folder (the path is relative to site.yml)"),
    ({}, "../outside.png", "site.yml:11: 'logo' must be a file inside the site folder, not '../outside.png'"),
    ({"logo.txt": "hello"}, "logo.txt", "site.yml:11: 'logo' must be an image (svg, png, jpg, jpeg, webp, gif), not 'logo.txt'"),
    ({"logo.png": "not a picture"}, "logo.png",
     "logo.png:1: not an image, or in a format that cannot be read: save it as JPEG, PNG or WebP"),
])
def test_a_logo_that_cannot_be_shown_is_a_problem(cli, site, files, value, message):
    for rel, text in files.items():
        write(site, rel, text)
    add_to_site_yml(site, f"logo: {value}\n")
    code, lines = check(cli, site)
    assert (code, lines) == (1, [message])


# -- footer ----------------------------------------------------------------------------

def test_the_footer_is_markdown_rendered_on_every_page_in_its_language(site):
    add_to_site_yml(site, 'footer:\n  fr: "Fait par [nous](https://example.org) & *nos amis* <3"\n'
                          '  en: "Made by [us](https://example.org)"\n')
    build(site, now=NOW, jobs=1)
    french = '<div class="footer-text"><p>Fait par <a href="https://example.org">nous</a> &amp; <em>nos amis</em> &lt;3</p></div>'
    assert french in built(site, "index.html")
    assert french in built(site, "campaigns/premier-album/index.html")
    english = built(site, "en/index.html")
    assert '<div class="footer-text"><p>Made by <a href="https://example.org">us</a></p></div>' in english
    assert "Fait par" not in english


def test_one_footer_text_serves_every_language(site):
    add_to_site_yml(site, 'footer: "Association **Les Amis**"\n')
    build(site, now=NOW, jobs=1)
    assert "<p>Association <strong>Les Amis</strong></p>" in built(site, "en/index.html")


def test_a_footer_in_an_unknown_language_is_a_problem(cli, site):
    add_to_site_yml(site, 'footer:\n  en: "Made by us"\n  de: "Von uns"\n')
    code, lines = check(cli, site)
    assert code == 1
    assert lines == ["site.yml:11: 'footer' must have a text in the default language 'fr'",
                     "site.yml:13: unknown field 'footer.de'"]


def test_a_site_title_is_escaped_in_the_logo_alternative(site):
    text = (site / "site.yml").read_text().replace('title: "Fixture fund"', 'title: "Fund \\"<b>\\" & co"')
    (site / "site.yml").write_text(text + "logo: logo.svg\n")
    write(site, "logo.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>')
    build(site, now=NOW, jobs=1)
    assert 'alt="Fund &#34;&lt;b&gt;&#34; &amp; co"' in built(site, "index.html")


# -- theme overrides -------------------------------------------------------------------

def test_a_theme_overriding_one_template_and_one_stylesheet_keeps_the_default_for_the_rest(site):
    (site / "site.yml").write_text((site / "site.yml").read_text().replace("theme: default", "theme: mine"))
    write(site, "themes/mine/static/css/tokens.css", ":root { --accent: #123456; --on-accent: #fff; }\n")
    write(site, "themes/mine/static/css/extra.css", ".site-header { border-bottom-width: 4px; }\n")
    write(site, "themes/mine/templates/404.html",
          '{% extends "base.html" %}{% block main %}<p class="mine">Lost?</p>{% endblock %}\n')
    build(site, now=NOW, jobs=1)
    assert '<p class="mine">Lost?</p>' in built(site, "404.html")
    assert 'class="skip-link"' in built(site, "404.html")  # the default base.html
    campaign = built(site, "campaigns/premier-album/index.html")
    assert 'class="pledge-form' in campaign  # the default campaign.html
    css = stylesheet(site, "campaigns/premier-album/index.html")
    assert css.startswith(":root { --accent: #123456;")  # the theme's tokens
    assert "--bg: #f8f7f4" not in css  # … instead of the default's
    assert ".site-header {" in css  # the default layout
    assert css.rstrip().endswith(".site-header { border-bottom-width: 4px; }")  # extra.css, last
    published = sorted(p.name for p in (site / "_site" / "static" / "css").iterdir())
    assert len(published) == 1 and published[0].startswith("site."), published  # the parts are not published alone


def test_a_campaign_page_stays_within_its_weight_budget(site):
    build(site, now=NOW, jobs=1)
    html = built(site, "campaigns/premier-album/index.html")
    weight = len(gzip.compress(html.encode(), 9))
    for ref in re.findall(r'(?:href|src)="(/static/(?:css|js)/[^"]+)"', html):
        weight += len(gzip.compress((site / "_site" / ref.lstrip("/")).read_bytes(), 9))
    assert weight <= 30 * 1024, weight


# -- plain pages -----------------------------------------------------------------------

ABOUT = """---
title: "À propos"
description: "Qui nous sommes"
footer: true
order: 2
---
# Qui

Une *petite* équipe.
"""
LEGAL = """---
title: "Mentions légales"
footer: true
order: 1
---
Éditeur : nous.
"""
HIDDEN = """---
title: "Presse"
---
Pour la presse.
"""


def test_a_plain_page_is_built_in_every_language_linked_in_the_footer_and_in_the_sitemap(site):
    write(site, "content/pages/a-propos.md", ABOUT)
    write(site, "content/pages/a-propos.en.md", '---\ntitle: "About"\n---\nA *small* team.\n')
    write(site, "content/pages/mentions-legales.md", LEGAL)
    write(site, "content/pages/presse.md", HIDDEN)
    build(site, now=NOW, jobs=1)
    french = built(site, "a-propos/index.html")
    assert "<h1>À propos</h1>" in french and '<h2 id="qui">Qui</h2>' in french
    assert '<meta name="description" content="Qui nous sommes">' in french
    english = built(site, "en/a-propos/index.html")
    assert "<h1>About</h1>" in english and "<p>A <em>small</em> team.</p>" in english
    assert '<link rel="alternate" hreflang="fr" href="https://fund.example.org/a-propos/">' in english
    untranslated = built(site, "en/mentions-legales/index.html")
    assert '<h1 lang="fr">Mentions légales</h1>' in untranslated  # shown as written, marked as French
    # The footer of every page: the pages with footer: true, by order.
    links = re.findall(r'<li><a href="([^"]+)"[^>]*>([^<]+)</a></li>', built(site, "index.html").split("site-footer")[1])
    assert links == [("/mentions-legales/", "Mentions légales"), ("/a-propos/", "À propos")]
    links = re.findall(r'<li><a href="([^"]+)"[^>]*>([^<]+)</a></li>', built(site, "en/campaigns/premier-album/index.html").split("site-footer")[1])
    assert links == [("/en/mentions-legales/", "Mentions légales"), ("/en/a-propos/", "About")]
    assert "<p>Pour la presse.</p>" in built(site, "presse/index.html")  # built, not in the footer (no footer: true)
    sitemap = built(site, "sitemap.xml")
    for url in ("/a-propos/", "/en/a-propos/", "/presse/", "/mentions-legales/"):
        assert f"<loc>https://fund.example.org{url}</loc>" in sitemap


def test_check_counts_the_pages(cli, site):
    write(site, "content/pages/a-propos.md", ABOUT)
    result = cli("--site", str(site), "check")
    assert (result.exit_code, result.stdout) == (0, "ok: 3 campaigns, 1 page, languages fr, en\n")
    assert "content/pages" not in result.stderr  # a page is read, not a stray file


def test_editing_a_page_title_changes_every_footer(site):
    write(site, "content/pages/a-propos.md", ABOUT)
    build(site, now=NOW, jobs=1)
    write(site, "content/pages/a-propos.md", ABOUT.replace('title: "À propos"', 'title: "Qui sommes-nous"'))
    report = build(site, now=NOW, jobs=1)
    assert report.rendered > 0
    assert ">Qui sommes-nous</a>" in built(site, "campaigns/premier-album/index.html")


@pytest.mark.parametrize("rel, text, message", [
    ("content/pages/campaigns.md", HIDDEN, "content/pages/campaigns.md:1: /campaigns/ is taken by the site itself: give the page another name"),
    ("content/pages/en.md", HIDDEN, "content/pages/en.md:1: /en/ is taken by the site itself: give the page another name"),
    ("content/pages/Presse.md", HIDDEN, "content/pages/Presse.md:1: page name 'Presse' must be lower-case letters, digits and dashes (it is the page's address)"),
    ("content/pages/notes.txt", "hello", "content/pages/notes.txt:1: unexpected file: content/pages holds one Markdown file per page, <slug>.md (and <slug>.<lang>.md for a translation)"),
    ("content/pages/presse.md", HIDDEN.replace("---\nPour", "ordre: 1\n---\nPour"), "content/pages/presse.md:3: unknown field 'ordre' (did you mean 'order'?)"),
    ("content/pages/a-propos.en.md", HIDDEN.replace("---\nPour", "footer: true\n---\nPour"), "content/pages/a-propos.en.md:3: unknown field 'footer' (set it in the untranslated page)"),
    ("content/pages/presse.de.md", HIDDEN, "content/pages/presse.de.md:1: 'de' is not one of the site's languages (fr, en) in site.yml"),
    ("content/pages/presse.en.md", HIDDEN, "content/pages/presse.en.md:1: a translation of a page that does not exist: add content/pages/presse.md"),
    ("content/pages/presse.md", "Pour la presse.\n", "content/pages/presse.md:1: missing front matter: the file must start with a line '---'"),
])
def test_a_page_mistake_is_a_problem_with_its_line(cli, site, rel, text, message):
    write(site, "content/pages/a-propos.md", ABOUT)  # a good page beside it
    write(site, rel, text)
    code, lines = check(cli, site)
    assert (code, lines) == (1, [message])


def test_a_new_site_lists_the_look_settings_commented(cli, tmp_path):
    result = cli("new", "site", str(tmp_path / "fresh"))
    assert result.exit_code == 0, result.output
    text = (tmp_path / "fresh" / "site.yml").read_text()
    for line in ('# accent: "#b4442c"', "# logo: logo.svg", "# footer: ", "content/pages/<slug>.md"):
        assert line in text
