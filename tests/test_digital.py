"""Digital rewards: ``delivery: download`` with files beside index.md or a file of unique codes."""

from __future__ import annotations

import re

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


# -- handing over: the manage page and /api/download/{token} ------------------------------------

SECRET = "site-secret-for-tests"


@pytest.fixture
def world(site, store_url):
    import datetime as dt

    from conftest import NOW
    from functions.payments.local import LocalCheckout
    from functions.runtime import Runtime, install
    from generator.build import build
    from test_api import SECRET as WEBHOOK, Api

    digital_site(site)
    build(site, now=NOW)
    local = LocalCheckout("http://127.0.0.1:8000", WEBHOOK)
    clock = {"now": NOW}
    runtime = Runtime(catalog_path=site / "_site" / "catalog.json", store_url=store_url, webhook_secret=WEBHOOK,
                      secret=SECRET, origin="http://127.0.0.1:8000", clock=lambda: clock["now"],
                      payments_factory=lambda: local, private_path=site / ".cagnotte" / "private.json",
                      downloads_dir=site / "content" / "campaigns")
    install(runtime)
    yield Api(runtime, local), clock, dt
    runtime.store.close()
    install(None)


def backed(api, reward: str) -> str:
    """A completed pledge of ``reward`` on the album (all or nothing: its card saved, not charged)."""
    opened = api.pledge(campaign="premier-album", reward=reward)
    api.webhook(api.complete(opened["checkout_url"]))
    return opened["pledge_id"]


def collect(api, pledge_id: str) -> None:
    """As settlement does: the pledge is charged."""
    from functions.core import events

    store = api.runtime.store
    before = store.get_pledge(pledge_id)
    store.apply(events.change(before, before.replace(status="collected"), event_id=None, now=before.updated_at))


def manage(api, pledge_id: str) -> str:
    from functions.core import tokens

    status, _, page = api.call("GET", f"/api/manage/{tokens.make('manage', pledge_id, SECRET)}")
    assert status == 200
    return page


def test_each_backer_sees_their_own_code_once_collected_and_keeps_it(world):
    api, _, _ = world
    first, second = backed(api, "bandcamp"), backed(api, "bandcamp")
    page = manage(api, first)
    assert "Votre téléchargement s’ouvre une fois votre contribution débitée" in page
    assert "LINA-" not in page
    collect(api, first)
    collect(api, second)
    assert CODES[0] in manage(api, first)
    assert CODES[1] in manage(api, second) and CODES[0] not in manage(api, second)
    assert CODES[0] in manage(api, first)  # the same code, every time


def test_a_file_link_downloads_the_file_for_its_pledge_only(world):
    import base64

    from functions.core import downloads, tokens

    api, clock, dt = world
    mine, other = backed(api, "digital"), backed(api, "digital")
    early = downloads.link_token(mine, "album.zip", clock["now"], SECRET)
    status, headers, page = api.call("GET", f"/api/download/{early}", headers={"Accept": "text/html"})
    assert status == 403 and "Pas encore disponible" in page and "2026-12-15" in page
    collect(api, mine)
    page = manage(api, mine)
    links = re.findall(r'href="http://127\.0\.0\.1:8000(/api/download/[^"]+)"', page)
    assert len(links) == 2 and "album.zip" in page and "livret.pdf" in page
    status, headers, body = api.call("GET", links[0])
    assert status == 200 and headers["Content-Disposition"] == 'attachment; filename="album.zip"'
    assert base64.b64decode(body) == (api.runtime.downloads_dir / "premier-album" / "album.zip").read_bytes()
    token = links[0].rsplit("/", 1)[1]
    pledge_id, name, expires, signature = token.split(".")
    forged = [token[:-1] + ("A" if token[-1] != "A" else "B"),  # altered
              f"{other}.{name}.{expires}.{signature}",  # another pledge's
              f"{pledge_id}.{name}.{int(expires) + 86400}.{signature}",  # a later expiry
              tokens.make_download(mine, "codes.txt", int(expires), SECRET),  # not a file of the reward
              tokens.make_download(mine, "../../../site.yml", int(expires), SECRET),
              downloads.link_token(mine, "album.zip", clock["now"], "another-secret")]
    for bad in forged:
        status, _, page = api.call("GET", f"/api/download/{bad}", headers={"Accept": "text/html"})
        assert status == 404 and "Ce lien est peut-être incomplet" in page, bad
    clock["now"] += dt.timedelta(days=7)  # expired
    status, _, _ = api.call("GET", links[0])
    assert status == 404
    assert downloads.LINK_TTL == dt.timedelta(days=7)


def test_on_aws_a_link_is_a_redirect_to_the_private_bucket(world, moto_server):
    """CAGNOTTE_DOWNLOADS: the function answers 302 to a presigned URL (moto's S3 over HTTP)."""
    import urllib.request
    import uuid

    import boto3

    api, _, _ = world
    bucket = f"cagnotte-downloads-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    data = (api.runtime.downloads_dir / "premier-album" / "album.zip").read_bytes()
    s3.put_object(Bucket=bucket, Key="premier-album/album.zip", Body=data)
    api.runtime.downloads_bucket = bucket
    mine = backed(api, "digital")
    collect(api, mine)
    link = re.findall(r'href="http://127\.0\.0\.1:8000(/api/download/[^"]+)"', manage(api, mine))[0]
    status, headers, _ = api.call("GET", link)
    assert status == 302 and headers["Location"].startswith(moto_server)
    with urllib.request.urlopen(headers["Location"]) as answer:
        assert answer.read() == data
        assert answer.headers["Content-Disposition"] == 'attachment; filename="album.zip"'


def test_serve_sends_a_download_as_its_bytes():
    import base64

    from generator.serve.api import _answer

    answer = _answer({"statusCode": 200, "headers": {"Content-Disposition": 'attachment; filename="a.zip"'},
                      "body": base64.b64encode(b"PK\x03\x04\xff").decode(), "isBase64Encoded": True})
    assert (answer.status, answer.body) == (200, b"PK\x03\x04\xff")


def test_the_receipt_says_the_digital_reward_is_ready_and_where(world):
    api, _, _ = world
    from functions.core import mailtext, notify

    pledge_id = backed(api, "bandcamp")
    before = api.runtime.store.get_pledge(pledge_id).replace(email="ana@example.org")
    after = before.replace(status="collected")
    [receipt] = notify.mails_for(before, after, api.runtime.links, after.updated_at)
    assert (receipt.kind, receipt.values["download"]) == ("receipt", "1")
    message = mailtext.render(receipt, api.runtime.mail_templates())
    assert "Votre contrepartie numérique est prête" in message.text
    assert receipt.values["manage_url"] in message.text
    # a reward that is not a download says nothing of it
    plain = before.replace(reward=None)
    [other] = notify.mails_for(plain, plain.replace(status="collected"), api.runtime.links, after.updated_at)
    assert "download" not in other.values
    assert "numérique est prête" not in mailtext.render(other, api.runtime.mail_templates()).text


def test_the_receipt_of_a_files_reward_carries_their_signed_links(world):
    api, _, _ = world
    from functions.core import mailtext, notify

    pledge_id = backed(api, "digital")
    before = api.runtime.store.get_pledge(pledge_id).replace(email="ana@example.org")
    after = before.replace(status="collected")
    collect(api, pledge_id)
    [receipt] = notify.mails_for(before, after, api.runtime.links, after.updated_at)
    urls = receipt.values["download_urls"].split("\n")
    assert len(urls) == 2 and all("/api/download/" in url for url in urls)
    text = mailtext.render(receipt, api.runtime.mail_templates()).text
    assert "Téléchargez-la dans les 7 jours" in text and urls[0] in text and receipt.values["manage_url"] in text
    status, headers, body = api.call("GET", urls[0].replace("http://127.0.0.1:8000", ""))
    assert status == 200 and "attachment" in headers.get("Content-Disposition", "")
