"""Warnings: printed `path:line: warning: message`, exit 0 unless --strict; a missing story image is a problem.

Each test builds a one-campaign site in tmp_path, "on" conftest.NOW (2026-11-26).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from conftest import NOW, write

SITE_YML = """\
title: "Small"
base_url: "https://small.example.org"
language: fr
languages: [fr, en]
currency: EUR
timezone: Europe/Paris
"""
CAMPAIGN = "content/campaigns/disque/index.md"
UPDATE = "content/campaigns/disque/updates/2026-11-20-studio.md"
INDEX = """\
---
title: "Un disque"
summary: "Une ligne."
creator: { name: "Lina" }
category: music
goal: 8000
ends: 2026-12-15T23:59:59+01:00
rewards:
  - { id: digital, title: "Album numérique", amount: 10 }
---
L'histoire.
"""


@pytest.fixture
def small(tmp_path: Path) -> Path:
    root = tmp_path / "small"
    write(root, "site.yml", SITE_YML)
    write(root, CAMPAIGN, INDEX)
    return root


def image(root: Path, rel: str, width: int, height: int) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height), (200, 120, 40)).save(path)


def with_hero(root: Path, width: int, height: int) -> None:
    image(root, "content/campaigns/disque/cover.jpg", width, height)
    write(root, CAMPAIGN, INDEX.replace("goal: 8000", "image: cover.jpg\ngoal: 8000"))


def run(cli, root: Path, *args: str):
    """(exit code, stderr lines with the site's folder made relative)."""
    result = cli("--site", str(root), *args)
    return result.exit_code, [line.replace(str(root) + "/", "") for line in result.stderr.splitlines()]


def test_a_clean_site_has_no_warning(cli, small):
    assert run(cli, small, "check") == (0, [])
    assert run(cli, small, "check", "--strict") == (0, [])


# -- a problem: a story image that is not there ------------------------------------

def test_missing_story_image_is_a_problem(cli, small):
    write(small, CAMPAIGN, INDEX + "\nLe studio :\n\n![Le studio](studio.jpg)\n")
    assert run(cli, small, "check") == (1, [
        f"{CAMPAIGN}:15: image 'studio.jpg' not found: there is no content/campaigns/disque/studio.jpg",
        "1 problem found."])
    image(small, "content/campaigns/disque/studio.jpg", 1200, 800)
    assert run(cli, small, "check") == (0, [])


def test_missing_image_of_an_update_and_of_a_translation(cli, small):
    write(small, UPDATE, '---\ntitle: "Au studio"\n---\nVoici :\n![x](../photo.jpg) ![y](studio.png)\n')
    write(small, "content/campaigns/disque/index.en.md", '---\ntitle: "A record"\n---\n![The band](band.webp)\n')
    image(small, "content/campaigns/disque/photo.jpg", 1200, 800)  # ../photo.jpg: beside index.md, found
    assert run(cli, small, "check") == (1, [
        "content/campaigns/disque/index.en.md:4: image 'band.webp' not found: there is no "
        "content/campaigns/disque/band.webp",
        f"{UPDATE}:5: image 'studio.png' not found: there is no content/campaigns/disque/updates/studio.png",
        "2 problems found."])


def test_an_image_elsewhere_is_not_judged(cli, small):
    write(small, CAMPAIGN, INDEX + "\n![a](https://images.example.org/a.jpg) ![b](/campaigns/autre/b.jpg)\n")
    assert run(cli, small, "check") == (0, [])


# -- warnings ------------------------------------------------------------------------

def test_narrow_hero(cli, small):
    with_hero(small, 800, 450)
    assert run(cli, small, "check") == (0, [
        f"{CAMPAIGN}:6: warning: 'image' cover.jpg is 800×450 px, narrower than the 1200 px the share card "
        "and a sharp screen show it: it will look blurred",
        "1 warning found."])


def test_portrait_hero(cli, small):
    with_hero(small, 1200, 1600)
    assert run(cli, small, "check") == (0, [
        f"{CAMPAIGN}:6: warning: 'image' cover.jpg is in portrait (1200×1600 px): the page shows it 16:9 and "
        "the share card 1200×630, cutting off most of it (use a landscape image)",
        "1 warning found."])


def test_a_wide_landscape_hero_is_fine(cli, small):
    with_hero(small, 1600, 900)
    assert run(cli, small, "check") == (0, [])


def test_ended_without_final(cli, small):
    write(small, CAMPAIGN, INDEX.replace("ends: 2026-12-15T23:59:59+01:00", "ends: 2026-11-01"))
    assert run(cli, small, "check") == (0, [
        f"{CAMPAIGN}:7: warning: 'ends' is past (2026-11-01) and there is no 'final': the page still asks the "
        "pledge service for its totals; record them as final: { raised: …, backers: … }",
        "1 warning found."])
    write(small, CAMPAIGN, INDEX.replace("ends: 2026-12-15T23:59:59+01:00",
                                         "ends: 2026-11-01\nfinal: { raised: 9000, backers: 120 }"))
    assert run(cli, small, "check") == (0, [])


def test_update_dated_in_the_future(cli, small):
    write(small, UPDATE, '---\ntitle: "Au studio"\ndate: 2026-12-02T18:00:00+01:00\n---\nBientôt.\n')
    assert run(cli, small, "check") == (0, [
        f"{UPDATE}:3: warning: the update is dated 2026-12-02 18:00, after the build's moment (2026-11-26 13:00): "
        "it is published now all the same",
        "1 warning found."])


def test_update_dated_by_its_file_name_in_the_future(cli, small):
    rel = "content/campaigns/disque/updates/2026-11-30-mixage.md"
    write(small, rel, '---\ntitle: "Mixage"\n---\nBientôt.\n')
    assert run(cli, small, "check") == (0, [
        f"{rel}:1: warning: the update is dated 2026-11-30 00:00, after the build's moment (2026-11-26 13:00): "
        "it is published now all the same",
        "1 warning found."])


def test_files_nothing_reads(cli, small):
    write(small, "content/about.md", "# About\n")
    write(small, "content/campaigns/README.txt", "notes\n")
    write(small, "content/pages/faq.md", "---\ntitle: FAQ\n---\nAsk.\n")  # a plain page: read
    write(small, "content/campaigns/disque/notes.txt", "an asset: published beside the page\n")
    write(small, "content/.DS_Store", "hidden\n")
    hint = ("warning: nothing reads this file: campaigns go in content/campaigns/<name>/ (index.md, its "
            "translations, updates/ and the files they show), plain pages in content/pages/<name>.md")
    assert run(cli, small, "check") == (0, [
        f"content/about.md:1: {hint}",
        f"content/campaigns/README.txt:1: {hint}",
        "2 warnings found."])


# -- --strict, and build -----------------------------------------------------------------

def test_strict_check_fails_on_warnings(cli, small):
    write(small, "content/about.md", "# About\n")
    code, lines = run(cli, small, "check", "--strict")
    assert code == 1
    assert lines[-1] == "1 warning found (--strict: they count as problems)."
    result = cli("--site", str(small), "check", "--strict")
    assert result.stdout == ""  # no "ok"


def test_build_prints_warnings_and_builds(cli, small):
    with_hero(small, 800, 450)
    code, lines = run(cli, small, "build")
    assert code == 0
    assert lines == [f"{CAMPAIGN}:6: warning: 'image' cover.jpg is 800×450 px, narrower than the 1200 px the "
                     "share card and a sharp screen show it: it will look blurred", "1 warning found."]
    assert (small / "_site" / "campaigns" / "disque" / "index.html").is_file()


def test_strict_build_writes_nothing(cli, small):
    with_hero(small, 800, 450)
    code, lines = run(cli, small, "build", "--strict")
    assert code == 1
    assert lines[-2:] == ["1 warning found (--strict: they count as problems).", "Nothing was written."]
    assert not (small / "_site").exists()


def test_no_op_rebuild_reports_the_warnings_again(cli, small):
    with_hero(small, 800, 450)
    first = cli("--site", str(small), "build")
    second = cli("--site", str(small), "build")
    assert "up to date" in second.stdout  # nothing was read or rendered again…
    assert second.stderr == first.stderr  # …and the warnings are the same
    assert "warning: 'image' cover.jpg is 800×450 px" in second.stderr
    page = (small / "_site" / "campaigns" / "disque" / "index.html").read_bytes()
    strict = cli("--site", str(small), "build", "--strict")  # a no-op build, strict: still fails
    assert strict.exit_code == 1
    assert (small / "_site" / "campaigns" / "disque" / "index.html").read_bytes() == page


def test_a_warning_ends_when_its_moment_comes(cli, small, monkeypatch):
    # NOW is 13:00 in Paris; no day count changes before midnight: only the update's date ends the warning.
    write(small, UPDATE, '---\ntitle: "Au studio"\ndate: 2026-11-26T14:00:00+01:00\n---\nBientôt.\n')
    first = cli("--site", str(small), "build")
    assert "warning: the update is dated 2026-11-26 14:00" in first.stderr
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp()) + 3 * 3600))  # the same files, 3 hours on
    later = cli("--site", str(small), "build")
    assert later.exit_code == 0
    assert later.stderr == ""


def test_a_stray_file_added_after_a_build_is_reported(cli, small):
    assert run(cli, small, "build") == (0, [])
    write(small, "content/about.md", "# About\n")
    code, lines = run(cli, small, "build")
    assert code == 0
    assert lines[0].startswith("content/about.md:1: warning: nothing reads this file")
