"""A digital reward in a real browser: once the pledge is charged, the manage page shows the backer's own
code and a download link that gives the file as an attachment."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from functions.core import events, tokens
from functions.core.pledge import COLLECTED, PENDING, Pledge

from .conftest import Served

AFTER = dt.datetime(2026, 12, 20, 9, 0, tzinfo=dt.timezone.utc)  # premier-album ended on 15 December


class DigitalServed(Served):
    """serve on the fixture site whose album offers a download and a reward of codes, after its deadline."""

    def __init__(self, work):
        super().__init__(work)
        from test_digital import digital_site

        digital_site(self.site)
        self.epoch = str(int(AFTER.timestamp()))
        self.secret = "browser-digital-secret"
        (self.site / ".cagnotte").mkdir(exist_ok=True)
        (self.site / ".cagnotte" / "secret").write_text(self.secret + "\n")
        from functions.store.sqlite import SQLiteStore

        store = SQLiteStore(self.site / ".cagnotte" / "pledges.sqlite3")
        for pledge_id, reward in (("pl_digitalfiles", "digital"), ("pl_digitalcode", "bandcamp")):
            p = Pledge(id=pledge_id, campaign="premier-album", reward=reward, amount=1000, currency="EUR",
                       mode="setup", status=PENDING, created_at=AFTER, updated_at=AFTER,
                       expires_at=AFTER + dt.timedelta(minutes=35), ref_code="d" + pledge_id[-7:], email="a@example.org")
            store.open_pledge(p, limit=None)
            store.apply(events.change(p, p.replace(status=COLLECTED), event_id=None, now=AFTER))
        store.close()

    def manage(self, pledge_id: str) -> str:
        return f"{self.url}/api/manage/{tokens.make('manage', pledge_id, self.secret)}"


@pytest.fixture(scope="module")
def digital(tmp_path_factory):
    server = DigitalServed(tmp_path_factory.mktemp("digital-browser"))
    server.start()
    yield server
    server.stop()


def test_a_charged_backer_gets_their_code_and_their_file(digital, new_context):
    page = new_context(accept_downloads=True).new_page()
    page.goto(digital.manage("pl_digitalcode"))
    expect(page.get_by_text("LINA-0001").first).to_be_visible()  # the first code of the file, theirs
    page.goto(digital.manage("pl_digitalfiles"))
    link = page.get_by_role("link", name="album.zip")
    expect(link).to_be_visible()
    with page.expect_download() as waiting:
        link.click()
    download = waiting.value
    assert download.suggested_filename == "album.zip"
    assert b"FILE-CONTENT-ALBUM" in open(download.path(), "rb").read()
