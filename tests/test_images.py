"""Images: responsive variants and share cards, made at build time and cached by content."""

from __future__ import annotations

import re
import shutil
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from conftest import FIXTURE, NOW, tree, write
from generator.build import build

ALBUM = "content/campaigns/premier-album"
OUT = "campaigns/premier-album"


def jpeg(width: int, height: int, seed: int = 0, **save) -> bytes:
    """A small photograph-like JPEG (a gradient with a shape: something to resize)."""
    image = Image.new("RGB", (width, height), (30 + seed * 40 % 200, 90, 140))
    gradient = Image.linear_gradient("L").resize((width, height))
    image.paste((240, 200 - seed * 30 % 150, 80), (width // 4, height // 4, width // 2, height // 2))
    image = Image.merge("RGB", (gradient, image.getchannel(1), image.getchannel(2)))
    buffer = BytesIO()
    image.save(buffer, "JPEG", quality=90, **save)
    return buffer.getvalue()


def add_images(site: Path) -> None:
    """The album gets a 1000×600 JPEG hero, a story image and an update image.

    (Its story already shows cover.png, the fixture's 64×36 PNG.)
    """
    (site / ALBUM / "hero.jpg").write_bytes(jpeg(1000, 600))
    (site / ALBUM / "studio.jpg").write_bytes(jpeg(640, 400, seed=1))
    (site / ALBUM / "updates" / "mic.jpg").write_bytes(jpeg(300, 200, seed=2))
    index = site / ALBUM / "index.md"
    text = index.read_text().replace("image: cover.png", "image: hero.jpg")
    index.write_text(text + '\n![Le studio, vu de la régie](studio.jpg "Au studio")\n')
    update = site / ALBUM / "updates" / "2026-11-20-studio.md"
    update.write_text(update.read_text() + "\n![Un micro](mic.jpg)\n")


def outputs(site: Path, pattern: str) -> list[str]:
    return sorted(p for p in tree(site / "_site") if re.fullmatch(pattern, p))


def read(site: Path, rel: str) -> str:
    return (site / "_site" / rel).read_text()


@pytest.fixture
def built(site):
    """A site with images, built: for tests that change it."""
    add_images(site)
    report = build(site, now=NOW, jobs=2)
    return site, report


@pytest.fixture(scope="module")
def shown(tmp_path_factory):
    """The same, built once for the tests that only read the output."""
    site = tmp_path_factory.mktemp("images") / "site"
    shutil.copytree(FIXTURE, site, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    add_images(site)
    return site, build(site, now=NOW, jobs=2)


# -- variants -----------------------------------------------------------------------

def test_variants_at_each_width_up_to_the_source_in_webp_and_the_source_format(shown):
    site, _ = shown
    made = outputs(site, rf"{OUT}/hero-\d+\.[0-9a-f]{{10}}\.(webp|jpg)")
    sizes = {}
    for rel in made:
        with Image.open(site / "_site" / rel) as image:
            sizes[rel.split("/")[-1].split(".")[0], image.format] = image.size
    assert sizes == {
        ("hero-480", "WEBP"): (480, 288), ("hero-480", "JPEG"): (480, 288),
        ("hero-800", "WEBP"): (800, 480), ("hero-800", "JPEG"): (800, 480),
        ("hero-1000", "WEBP"): (1000, 600), ("hero-1000", "JPEG"): (1000, 600),
    }
    # The original is still published beside the page, as every campaign file is.
    assert (site / "_site" / OUT / "hero.jpg").read_bytes() == (site / ALBUM / "hero.jpg").read_bytes()


def test_a_small_image_is_never_upscaled_and_a_png_falls_back_to_png(site):
    build(site, now=NOW, jobs=1)  # the fixture's hero: a 64×36 PNG
    made = outputs(site, rf"{OUT}/cover-.*")
    assert sorted(re.sub(r"\.[0-9a-f]{10}\.", ".#.", rel) for rel in made) == [
        f"{OUT}/cover-64.#.png", f"{OUT}/cover-64.#.webp"]
    for rel in made:
        with Image.open(site / "_site" / rel) as image:
            assert image.size == (64, 36)
            assert image.format == ("PNG" if rel.endswith(".png") else "WEBP")


def test_exif_orientation_is_applied_and_metadata_stripped(site):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    exif[0x010F] = "PhoneMaker"
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    (site / ALBUM / "hero.jpg").write_bytes(jpeg(600, 300, exif=exif.tobytes(), comment=b"secret", icc_profile=srgb))
    index = site / ALBUM / "index.md"
    index.write_text(index.read_text().replace("image: cover.png", "image: hero.jpg"))
    build(site, now=NOW, jobs=1)
    made = outputs(site, rf"{OUT}/hero-\d+\..*")
    assert made
    for rel in made:
        with Image.open(site / "_site" / rel) as image:
            assert image.size in ((300, 600), (240, 480)), rel  # upright: taller than wide
            assert not image.getexif(), rel
            assert "comment" not in image.info and "icc_profile" not in image.info, rel
    page = read(site, f"{OUT}/index.html")
    assert 'width="300" height="600"' in page


# -- markup --------------------------------------------------------------------------

def test_the_hero_is_a_picture_with_webp_srcset_sizes_and_is_fetched_first(shown):
    site, _ = shown
    page = read(site, f"{OUT}/index.html")
    hero = re.search(r'<div class="campaign-media">\s*(<picture>.*?</picture>)', page, re.S).group(1)
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)" sizes="([^"]+)">', hero)
    assert re.fullmatch(r"/campaigns/premier-album/hero-480\.\w{10}\.webp 480w, "
                        r"/campaigns/premier-album/hero-800\.\w{10}\.webp 800w, "
                        r"/campaigns/premier-album/hero-1000\.\w{10}\.webp 1000w", webp.group(1))
    img = re.search(r"<img [^>]+>", hero).group(0)
    assert re.search(r'srcset="/campaigns/premier-album/hero-480\.\w{10}\.jpg 480w, .* 1000w"', img)
    assert re.search(r'src="/campaigns/premier-album/hero-800\.\w{10}\.jpg"', img)
    assert 'sizes="' in img and 'width="1000" height="600"' in img
    assert 'alt="Une pochette bleue"' in img and 'decoding="async"' in img
    assert 'fetchpriority="high"' in img and "loading=" not in img


def test_story_and_update_images_are_lazy_pictures(shown):
    site, _ = shown
    page = read(site, f"{OUT}/index.html")
    story = re.search(r'<picture><source type="image/webp" srcset="/campaigns/premier-album/studio-[^"]+"'
                      r'[^>]*><img [^>]+></picture>', page).group(0)
    assert 'alt="Le studio, vu de la régie"' in story and 'title="Au studio"' in story
    assert 'width="640" height="400"' in story
    assert 'loading="lazy"' in story and 'decoding="async"' in story and "fetchpriority" not in story
    update = read(site, f"{OUT}/updates/2026-11-20-studio/index.html")
    mic = re.search(r"<picture>.*?</picture>", update).group(0)
    assert "/campaigns/premier-album/updates/mic-300." in mic and 'alt="Un micro"' in mic
    assert 'loading="lazy"' in mic and 'width="300" height="200"' in mic
    # Feed readers get the plain image, as written.
    feed = read(site, f"{OUT}/updates/feed.xml")
    assert "&lt;picture" not in feed and "/campaigns/premier-album/updates/mic.jpg" in feed


def test_the_first_home_cards_load_at_once_and_the_others_lazily(site):
    for slug in ("atelier-bis", "atelier-ter"):
        shutil.copytree(site / "content/campaigns/atelier-clos", site / "content/campaigns" / slug)
    for slug in ("atelier-clos", "tokyo-zine", "atelier-bis", "atelier-ter"):
        folder = site / "content/campaigns" / slug
        (folder / "cover.jpg").write_bytes(jpeg(200, 120, seed=len(slug)))
        index = folder / "index.md"
        index.write_text(index.read_text().replace("\ncategory:", f'\nimage: cover.jpg\nimage_alt: "{slug}"\ncategory:', 1))
    build(site, now=NOW, jobs=2)
    home = read(site, "index.html")
    cards = re.findall(r'<div class="card-media">\s*(.*?)\s*</div>', home, re.S)
    assert len(cards) == 5
    loading = [("high" if 'fetchpriority="high"' in c else "lazy" if 'loading="lazy"' in c else "eager")
               for c in cards]
    assert loading == ["high", "eager", "eager", "lazy", "lazy"]
    assert all(c.startswith("<picture><source type=\"image/webp\"") and 'decoding="async"' in c for c in cards)


# -- the share card --------------------------------------------------------------------

def test_a_share_card_per_language_referenced_by_open_graph_and_twitter(shown):
    site, _ = shown
    cards = outputs(site, rf"{OUT}/share\.[0-9a-f]{{10}}\.jpg")
    assert len(cards) == 2  # the goal is written differently in French and English
    for rel in cards:
        with Image.open(site / "_site" / rel) as image:
            assert (image.format, image.size) == ("JPEG", (1200, 630))
    for prefix in ("", "en/"):
        page = read(site, f"{prefix}{OUT}/index.html")
        url = re.search(r'<meta property="og:image" content="([^"]+)">', page).group(1)
        assert url.startswith("https://fund.example.org/campaigns/premier-album/share.")
        assert url.removeprefix("https://fund.example.org/") in cards
        assert '<meta property="og:image:width" content="1200">' in page
        assert '<meta property="og:image:height" content="630">' in page
        assert '<meta name="twitter:card" content="summary_large_image">' in page
        assert f'<meta name="twitter:image" content="{url}">' in page
        # The update and thanks pages share the campaign's card.
        assert url in read(site, f"{prefix}{OUT}/updates/2026-11-20-studio/index.html")
    fr, en = read(site, f"{OUT}/index.html"), read(site, f"en/{OUT}/index.html")
    assert '<meta property="og:image:alt" content="Premier album de Lina — par Lina — Objectif 8\u202f500,50\xa0€. Une pochette bleue">' in fr
    assert "Lina&#39;s first album — by Lina — Goal €8,500.50" in en


def test_a_campaign_without_an_image_gets_a_typographic_share_card(shown):
    site, _ = shown
    page = read(site, "campaigns/atelier-clos/index.html")
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    cards = outputs(site, r"campaigns/atelier-clos/share\..*\.jpg")
    assert len(cards) == 2  # one per language: the words on it are translated
    [card] = [c for c in cards if f'content="https://fund.example.org/{c}"' in page]
    with Image.open(site / "_site" / card) as image:
        assert image.size == (1200, 630)
    assert 'property="og:image:alt" content="' in page  # what it says: title, creator, goal


# -- determinism and the cache ------------------------------------------------------------

def test_two_clean_builds_give_identical_bytes(site, tmp_path):
    add_images(site)
    build(site, tmp_path / "one", now=NOW, jobs=1)
    shutil.rmtree(site / ".cagnotte")
    build(site, tmp_path / "two", now=NOW, jobs=2, clean=True)
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two")
    assert one.keys() == two.keys()
    assert [p for p in one if one[p] != two[p]] == []
    assert any(p.endswith(".webp") for p in one) and any("/share." in p for p in one)


def test_a_rebuild_encodes_nothing_even_in_a_new_output_folder(built, tmp_path):
    site, first = built
    # 3 widths × 2 formats (hero) + 2 × 2 and 1 × 2 (the story's two) + 1 × 2 (update) + 2 share cards
    # over the hero + 4 typographic cards (the two campaigns without a hero, in two languages)
    # + the creator's avatar: 96 and 192 px squares × 2 formats
    assert first.encoded == 6 + 4 + 2 + 2 + 2 + 4 + 4
    index = site / "content/campaigns/tokyo-zine/index.md"
    index.write_text(index.read_text() + "\nOne more line.\n")
    assert build(site, now=NOW).encoded == 0
    other = build(site, tmp_path / "elsewhere", now=NOW, clean=True)
    assert other.encoded == 0 and tree(tmp_path / "elsewhere") == tree(site / "_site")


def test_changing_an_image_encodes_it_again_and_renders_the_pages_that_show_it(built):
    site, _ = built
    before = tree(site / "_site")
    inodes = {p: (site / "_site" / p).stat().st_ino for p in before}
    (site / ALBUM / "studio.jpg").write_bytes(jpeg(640, 400, seed=5))
    report = build(site, now=NOW, jobs=2)
    assert report.encoded == 4  # the story image's two widths, in two formats; nothing else
    after = tree(site / "_site")
    fresh = {p for p in after if p.endswith((".html", ".xml")) and inodes.get(p) != (site / "_site" / p).stat().st_ino}
    album = {f"{prefix}{OUT}/{page}" for prefix in ("", "en/")
             for page in ("index.html", "thanks/index.html", "embed/index.html", "updates/feed.xml",
                          "updates/2026-11-20-studio/index.html")}
    assert fresh == album | {"index.html", "en/index.html", "feed.xml", "en/feed.xml"}
    gone = set(before) - set(after)
    assert {re.sub(r"\.\w{10}\.", ".", p) for p in gone} == {
        f"{OUT}/studio-480.webp", f"{OUT}/studio-480.jpg", f"{OUT}/studio-640.webp", f"{OUT}/studio-640.jpg"}
    assert every_image_exists(site) == []


def test_a_clean_build_reuses_the_image_cache(built):
    site, _ = built
    assert build(site, now=NOW, clean=True).encoded == 0
    cache = site / ".cagnotte" / "build" / "images"
    assert {p.suffix for p in cache.iterdir()} == {".webp", ".jpg", ".png", ".json"}


# -- problems ---------------------------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    (b"not an image at all", "not an image, or in a format that cannot be read: save it as JPEG, PNG or WebP"),
    (jpeg(400, 300)[:600], "cannot read this image: "),  # Pillow says how (its words vary)
])
def test_a_broken_image_is_a_content_problem_not_a_traceback(cli, site, data, message):
    assert cli("--site", str(site), "build").exit_code == 0
    before = tree(site / "_site")
    (site / ALBUM / "cover.png").write_bytes(data)
    for command in ("check", "build"):
        result = cli("--site", str(site), command)
        assert result.exit_code == 1, command
        assert "Traceback" not in result.stderr
        lines = [line.replace(str(site) + "/", "") for line in result.stderr.splitlines()]
        assert len(lines) == 2 and lines[1] == "1 problem found.", lines
        assert lines[0].startswith(f"{ALBUM}/cover.png:1: {message}"), lines
    assert tree(site / "_site") == before


def test_a_gif_is_shown_as_it_is_with_its_size(site):
    buffer = BytesIO()
    Image.new("P", (90, 50)).save(buffer, "GIF")
    write(site, f"{ALBUM}/anim.gif", "")
    (site / ALBUM / "anim.gif").write_bytes(buffer.getvalue())
    index = site / ALBUM / "index.md"
    index.write_text(index.read_text() + "\n![Un gif](anim.gif)\n")
    build(site, now=NOW, jobs=1)
    page = read(site, f"{OUT}/index.html")
    assert re.search(r'<img src="/campaigns/premier-album/anim.gif" width="90" height="50" alt="Un gif" '
                     r'decoding="async" loading="lazy">', page)
    assert outputs(site, rf"{OUT}/anim-.*") == []


def every_image_exists(site: Path) -> list[str]:
    """The image URLs of the built pages (src and srcset) that point to no file."""
    missing = []
    for rel, data in tree(site / "_site").items():
        if rel.endswith(".html"):
            text = data.decode()
            urls = re.findall(r'\ssrc="(/[^"]+)"', text)
            for srcset in re.findall(r'\ssrcset="([^"]+)"', text):
                urls += [candidate.split()[0] for candidate in srcset.split(", ")]
            missing += [f"{rel}: {url}" for url in urls
                        if url.startswith("/campaigns/") and not (site / "_site" / url.lstrip("/")).is_file()]
    return missing


def test_a_story_showing_another_campaigns_image_follows_its_changes(built):
    site, _ = built
    index = site / "content/campaigns/tokyo-zine/index.md"
    index.write_text(index.read_text() + "\n![The album's studio](../premier-album/studio.jpg)\n")
    build(site, now=NOW)
    assert "/campaigns/premier-album/studio-640." in read(site, "campaigns/tokyo-zine/index.html")
    (site / ALBUM / "studio.jpg").write_bytes(jpeg(640, 400, seed=7))
    assert build(site, now=NOW).encoded == 4
    assert every_image_exists(site) == []
