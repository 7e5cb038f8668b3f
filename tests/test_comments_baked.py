"""The newest comments baked into the campaign page at build, for readers without JavaScript."""

from __future__ import annotations

import datetime as dt
import shutil

from conftest import FIXTURE
from functions.core import comments
from functions.core.catalog import Catalog

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)


def test_the_newest_conversations_are_in_the_page_and_a_new_one_rebuilds_it(tmp_path, monkeypatch):
    from functions.store.sqlite import SQLiteStore
    from generator.build import build

    monkeypatch.delenv("CAGNOTTE_STORE", raising=False)
    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    build(root, now=NOW)  # no store yet: nothing baked, the script shows them
    page = (root / "_site/campaigns/premier-album/index.html").read_text()
    assert "data-baked" not in page
    campaign = Catalog.from_json((root / "_site/catalog.json").read_text()).campaigns["premier-album"]
    (root / ".cagnotte").mkdir(exist_ok=True)
    store = SQLiteStore(root / ".cagnotte/pledges.sqlite3")  # what `cagnotte serve` keeps
    ana = comments.new(campaign, {"text": "Vivement <le> vinyle https://example.org/a", "name": "Ana"},
                       "cm_" + "a" * 20, NOW, backer=True)
    pending = comments.new(campaign, {"text": "pas encore confirmé", "name": "Zoé"}, "cm_" + "b" * 20, NOW)
    for c in (ana, pending):
        store.add_comment(c)
    reply = comments.new(campaign, {"text": "Merci !", "name": "Lina"}, "cm_" + "c" * 20,
                         NOW + dt.timedelta(minutes=5), parent=ana, by_creator=True)
    store.add_comment(reply)
    store.close()
    report = build(root, now=NOW)
    assert report.rendered > 0  # a new comment is a change, though no file changed
    page = (root / "_site/campaigns/premier-album/index.html").read_text()
    assert page.count("data-baked") == 2
    assert "Vivement &lt;le&gt; vinyle" in page and 'rel="nofollow ugc noopener"' in page
    assert "badge-backer" in page and "badge-creator" in page
    assert "pas encore confirmé" not in page  # only what anyone may read
    assert build(root, now=NOW).rendered == 0  # nothing new: nothing to do


def test_a_store_that_cannot_be_read_bakes_nothing_and_fails_nothing(tmp_path, monkeypatch):
    from generator.build import build

    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    monkeypatch.setenv("CAGNOTTE_STORE", "nosuchstore://x")
    build(root, now=NOW)
    assert "data-baked" not in (root / "_site/campaigns/premier-album/index.html").read_text()
