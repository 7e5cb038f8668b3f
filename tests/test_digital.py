"""Digital rewards: ``delivery: download`` with files beside index.md or a file of unique codes."""

from __future__ import annotations

import pytest

from conftest import write
from test_validation import CAMPAIGN, GOOD, check, problems

FOLDER = "content/campaigns/essai"


def digital(extra: str) -> str:
    """GOOD with its reward delivered by download (``extra``: its files or codes lines)."""
    return GOOD.replace("    amount: 10\n", "    amount: 10\n    delivery: download\n" + extra, 1)


def test_files_and_codes_that_are_there_are_clean(cli, site):
    write(site, f"{FOLDER}/album.zip", "zip")
    write(site, f"{FOLDER}/livret.pdf", "pdf")
    code, lines = check(cli, site, (CAMPAIGN, digital("    files: [album.zip, livret.pdf]\n")))
    assert (code, problems(site, lines)) == (0, [])
    write(site, f"{FOLDER}/codes.txt", "A1\nB2\nC3\n\n")
    text = digital("    limit: 3\n    codes: codes.txt\n").replace("id: digital", "id: digital", 1)
    code, lines = check(cli, site, (CAMPAIGN, text))
    assert (code, problems(site, lines)) == (0, [])


def test_download_needs_exactly_one_of_files_or_codes(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, digital("")))
    assert (code, problems(site, lines)) == (1, [
        f"{CAMPAIGN}:13: 'rewards[1].delivery: download' needs exactly one of 'files' (a list of files beside "
        "index.md) or 'codes' (a file of codes, one per line)"])
    write(site, f"{FOLDER}/a.zip", "zip")
    write(site, f"{FOLDER}/codes.txt", "A1\n")
    code, lines = check(cli, site, (CAMPAIGN, digital("    limit: 1\n    files: [a.zip]\n    codes: codes.txt\n")))
    assert problems(site, lines)[0].startswith(f"{CAMPAIGN}:13: 'rewards[1].delivery: download' needs exactly one")


def test_files_or_codes_without_download_and_a_path_are_refused(cli, site):
    text = GOOD.replace("    amount: 10\n", "    amount: 10\n    files: [a.zip]\n", 1)
    code, lines = check(cli, site, (CAMPAIGN, text))
    assert problems(site, lines) == [
        f"{CAMPAIGN}:13: 'rewards[1].files' is for a digital reward: add 'delivery: download'"]
    code, lines = check(cli, site, (CAMPAIGN, digital("    files: [../secret.zip]\n")))
    assert code == 1 and "'../secret.zip' must be a file name beside index.md" in "\n".join(lines)


def test_a_missing_file_is_named_with_its_line(cli, site):
    write(site, f"{FOLDER}/album.zip", "zip")
    code, lines = check(cli, site, (CAMPAIGN, digital("    files: [album.zip, livret.pdf]\n")))
    assert (code, problems(site, lines)) == (1, [
        f"{CAMPAIGN}:14: reward 'digital': file 'livret.pdf' not found beside index.md"])


def test_the_codes_file_must_exist(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, digital("    limit: 3\n    codes: codes.txt\n")))
    assert (code, problems(site, lines)) == (1, [f"{CAMPAIGN}:15: codes file 'codes.txt' not found beside index.md"])


def test_duplicate_and_empty_codes_are_named_with_their_lines(cli, site):
    write(site, f"{FOLDER}/codes.txt", "A1\n\nB2\nA1\nC3\n")
    code, lines = check(cli, site, (CAMPAIGN, digital("    limit: 3\n    codes: codes.txt\n")))
    assert (code, problems(site, lines)) == (1, [
        f"{FOLDER}/codes.txt:2: empty line: one code per line, none blank",
        f"{FOLDER}/codes.txt:4: code 'A1' is already on line 1: each backer gets their own"])


def test_fewer_codes_than_the_limit_is_refused(cli, site):
    write(site, f"{FOLDER}/codes.txt", "A1\nB2\n")
    code, lines = check(cli, site, (CAMPAIGN, digital("    limit: 3\n    codes: codes.txt\n")))
    assert (code, problems(site, lines)) == (1, [
        f"{CAMPAIGN}:15: reward 'digital' has a limit of 3 but 'codes.txt' holds 2 codes: add codes or lower "
        "the limit"])


def test_codes_without_a_limit_are_refused(cli, site):
    write(site, f"{FOLDER}/codes.txt", "A1\nB2\n")
    code, lines = check(cli, site, (CAMPAIGN, digital("    codes: codes.txt\n")))
    assert (code, problems(site, lines)) == (1, [
        f"{CAMPAIGN}:14: 'rewards[1].codes' needs a 'limit' (at most the number of codes): each backer gets "
        "their own code"])


ALBUM = "content/campaigns/premier-album"
CODES = [f"LINA-{n:04d}-SECRET" for n in range(1, 6)]


def digital_site(root):
    """The fixture's album: its digital reward is a download of two files, plus a reward of 5 codes."""
    text = (root / f"{ALBUM}/index.md").read_text()
    text = text.replace("    delivery: 2027-03\n    shipping: none\n",
                        "    delivery: download\n    files: [album.zip, livret.pdf]\n    shipping: none\n"
                        "  - id: bandcamp\n    title: \"Code Bandcamp\"\n    amount: 5\n    limit: 5\n"
                        "    delivery: download\n    codes: codes.txt\n", 1)
    assert "codes: codes.txt" in text
    write(root, f"{ALBUM}/index.md", text)
    (root / ALBUM / "album.zip").write_bytes(b"PK\x03\x04 the album FILE-CONTENT-ALBUM")
    (root / ALBUM / "livret.pdf").write_bytes(b"%PDF-1.4 FILE-CONTENT-BOOKLET")
    write(root, f"{ALBUM}/codes.txt", "\n".join(CODES) + "\n")


def test_the_built_site_has_neither_the_files_nor_the_codes(site):
    import json

    from conftest import NOW, tree
    from generator.build import build

    digital_site(site)
    build(site, now=NOW)
    files = tree(site / "_site")
    assert not [p for p in files if p.endswith(("album.zip", "livret.pdf", "codes.txt"))]
    for path, data in files.items():
        for secret in (b"FILE-CONTENT", b"SECRET", b"LINA-0001"):
            assert secret not in data, (path, secret)
    assert "campaigns/premier-album/cover.png" in files  # the other files of the folder are still published
    private = json.loads((site / ".cagnotte" / "private.json").read_text())
    assert private["downloads"] == {"premier-album": {"bandcamp": {"codes": CODES},
                                                      "digital": {"files": ["album.zip", "livret.pdf"]}}}
    catalog = json.loads(files["catalog.json"])
    rewards = {r["id"]: r for r in catalog["campaigns"]["premier-album"]["rewards"]}
    assert rewards["digital"]["download"] == {"files": ["album.zip", "livret.pdf"]}
    assert rewards["bandcamp"]["download"] == {"codes": 5}
    page = files["campaigns/premier-album/index.html"].decode()
    english = files["en/campaigns/premier-album/index.html"].decode()
    assert "Téléchargement numérique après la campagne" in page
    assert "Digital download after the campaign" in english


def test_a_new_code_is_a_change_the_next_build_sees(site):
    import json

    from conftest import NOW
    from generator.build import build

    digital_site(site)
    build(site, now=NOW)
    write(site, f"{ALBUM}/codes.txt", "\n".join(CODES + ["LINA-0006-SECRET"]) + "\n")
    build(site, now=NOW)
    private = json.loads((site / ".cagnotte" / "private.json").read_text())
    assert private["downloads"]["premier-album"]["bandcamp"]["codes"][-1] == "LINA-0006-SECRET"
