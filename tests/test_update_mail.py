"""Updates by e-mail: to whom, once per recipient whatever the deploys and runs, in their language,
with a one-click unsubscribe from the campaign's updates and the creator as Reply-To."""

from __future__ import annotations

import datetime as dt
import email
import shutil
from email import policy

import pytest

from conftest import FIXTURE, write
from functions.core.flows import queue_scheduled_mail
from functions.mailers.outbox import Outbox
from functions.payments.local import LocalCheckout
from functions.runtime import Runtime, install
from test_api import NOW, SECRET, Api

PRESSING = "content/campaigns/premier-album/updates/2026-11-27-pressage.md"
SECRET_UPDATE = "content/campaigns/premier-album/updates/2026-11-27-coulisses.md"
LATER = NOW + dt.timedelta(days=1, hours=2)  # 2026-11-27T14:00Z: both updates are out


def build(root, now=NOW):
    from generator.build import build as run

    run(root, now=now)
    return root / "_site" / "catalog.json"


@pytest.fixture
def site(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    write(root, PRESSING, "---\ntitle: \"Le pressage\"\ndate: 2026-11-27T09:00:00+01:00\n---\n"
                          "Les vinyles sont **pressés** : ![la presse](presse.png) et [la photo](https://example.org/p).\n")
    write(root, PRESSING.replace(".md", ".en.md"), "---\ntitle: \"The pressing\"\n---\nThe records are **pressed**.\n")
    shutil.copy(root / "content/campaigns/premier-album/cover.png",
                root / "content/campaigns/premier-album/updates/presse.png")
    write(root, SECRET_UPDATE, "---\ntitle: \"Pour les vinyles\"\ndate: 2026-11-27T10:00:00+01:00\n"
                               "audience: [vinyl]\npublic: false\n---\nRéservé aux vinyles.\n")
    return root


@pytest.fixture
def world(site, store_url, tmp_path):
    catalog = build(site)
    local = LocalCheckout("http://127.0.0.1:8000", SECRET)
    clock = {"now": NOW}
    runtime = Runtime(catalog_path=catalog, store_url=store_url, webhook_secret=SECRET, secret="site-secret",
                      origin="http://127.0.0.1:8000", clock=lambda: clock["now"], payments_factory=lambda: local)
    runtime._mailer = Outbox(tmp_path / "outbox", sender="Lina <fund@example.org>")
    install(runtime)
    api = Api(runtime, local)
    yield api, clock, tmp_path / "outbox"
    runtime.store.close()
    install(None)


def backer(api, email_address, **fields):
    opened = api.pledge(campaign="premier-album", **fields)
    api.webhook(api.complete(opened["checkout_url"], email=email_address))
    return opened


def scheduled(api, clock, now, creators=None):
    clock["now"] = now
    runtime = api.runtime
    queued = queue_scheduled_mail(catalog=runtime.catalog, store=runtime.store, links=runtime.links, now=now,
                                  creators=creators or {"premier-album": "lina@example.org"})
    runtime.send_due_mail(limit=500)
    return queued


def updates_in(outbox):
    found = []
    for path in sorted(outbox.glob("*.eml")) if outbox.exists() else []:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["X-Cagnotte-Kind"] == "update":
            found.append(message)
    return found


def test_each_backer_gets_each_update_once_in_their_language(world, site):
    api, clock, outbox = world
    backer(api, "ana@example.org", reward="vinyl")
    backer(api, "ben@example.org", reward="digital", lang="en")
    backer(api, "ANA@example.org", amount="20")  # the same address twice: one mail
    assert scheduled(api, clock, NOW) == 0  # not yet: the updates are dated tomorrow
    # three scheduled runs and a second deploy (the update edited after it went out)
    scheduled(api, clock, LATER)
    scheduled(api, clock, LATER + dt.timedelta(hours=1))
    write(site, PRESSING, (site / PRESSING).read_text().replace("pressés", "pressés et emballés"))
    build(site, now=LATER)
    scheduled(api, clock, LATER + dt.timedelta(hours=2))
    mails = updates_in(outbox)
    by = {(m["To"].lower(), m["Subject"]) for m in mails}
    assert by == {("ana@example.org", "Premier album de Lina — Le pressage"),
                  ("ana@example.org", "Premier album de Lina — Pour les vinyles"),
                  ("ben@example.org", "Lina's first album — The pressing")}
    assert len(mails) == 3
    french = next(m for m in mails if m["Subject"].endswith("Le pressage"))
    html = french.get_body(("html",)).get_content()
    text = french.get_body(("plain",)).get_content()
    assert "<strong>pressés</strong>" in html and "emballés" not in html  # sent once, as it was
    assert 'src="https://fund.example.org/campaigns/premier-album/updates/presse.png"' in html
    assert 'style="max-width:100%;height:auto;border:0"' in html
    assert "la photo (https://example.org/p)" in text and "<strong>" not in text
    assert "https://fund.example.org/campaigns/premier-album/updates/2026-11-27-pressage/" in text
    assert french["Reply-To"] == "lina@example.org"
    assert french["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    secret = next(m for m in mails if m["Subject"].endswith("Pour les vinyles"))
    assert "campaigns/premier-album/updates/2026-11-27-coulisses" not in secret.get_body(("plain",)).get_content()
    assert not (site / "_site/campaigns/premier-album/updates/2026-11-27-coulisses").exists()  # no page
    assert "Pour les vinyles" not in (site / "_site/campaigns/premier-album/updates/feed.xml").read_text()


def test_a_backer_who_unsubscribes_gets_no_more_of_the_campaigns_updates(world, site):
    api, clock, outbox = world
    backer(api, "ana@example.org", reward="vinyl")
    clock["now"] = NOW
    from functions.core import updates

    url = updates.unsubscribe_url(api.runtime.links.api_base, "site-secret", "premier-album", "ana@example.org")
    path = url.replace("http://127.0.0.1:8000", "")
    status, _, page = api.call("GET", path)
    assert status == 200 and "Ne plus recevoir les nouvelles" in page  # a GET (a mail scanner) changes nothing
    assert api.call("POST", path, b"List-Unsubscribe=One-Click",
                    content_type="application/x-www-form-urlencoded")[0] == 200
    scheduled(api, clock, LATER)
    assert updates_in(outbox) == []
    assert api.call("GET", path[:-3] + "".join("B" if c == "A" else "A" for c in path[-3:]))[0] == 404
    [tally, *_] = [t for t in updates.tallies(api.runtime.store, api.runtime.catalog.campaigns["premier-album"], LATER)
                   if t.update == "2026-11-27-pressage"]
    assert (tally.recipients, tally.sent, tally.unsubscribed) == (1, 0, 1)


def test_a_big_list_is_queued_in_batches_that_resume(world):
    api, clock, outbox = world
    from functions.core import updates

    for n in range(7):
        backer(api, f"b{n}@example.org", amount="10")
    runtime = api.runtime
    first = updates.queue(catalog=runtime.catalog, store=runtime.store, links=runtime.links, now=LATER, batch=3)
    second = updates.queue(catalog=runtime.catalog, store=runtime.store, links=runtime.links, now=LATER, batch=3)
    third = updates.queue(catalog=runtime.catalog, store=runtime.store, links=runtime.links, now=LATER, batch=3)
    after = updates.queue(catalog=runtime.catalog, store=runtime.store, links=runtime.links, now=LATER, batch=3)
    assert (first, second, third, after) == (3, 3, 1, 0)  # the vinyl-only update has none of them
    assert len({row.to for row in [runtime.store.get_mail(updates.row_id("premier-album", "2026-11-27-pressage",
                                                                          f"b{n}@example.org")) for n in range(7)]
                 if row}) == 7


def test_an_update_found_after_its_window_is_never_mailed(world):
    api, clock, outbox = world
    backer(api, "ana@example.org", reward="vinyl")
    assert scheduled(api, clock, LATER + dt.timedelta(days=8)) == 0  # e.g. a site upgrading with old updates
    assert updates_in(outbox) == []


def test_an_audience_naming_an_unknown_reward_is_a_problem(site, cli):
    write(site, SECRET_UPDATE, (site / SECRET_UPDATE).read_text().replace("[vinyl]", "[vinyle]"))
    result = cli("--site", str(site), "check")
    assert result.exit_code == 1
    assert f"{SECRET_UPDATE}:4: 'audience': reward 'vinyle' does not exist in index.md" in result.stderr


def test_the_creator_sees_what_each_update_reached(world, site, cli, monkeypatch):
    api, clock, outbox = world
    backer(api, "ana@example.org", reward="vinyl")
    backer(api, "ben@example.org", reward="digital", lang="en")
    scheduled(api, clock, LATER)
    monkeypatch.setenv("CAGNOTTE_STORE", api.runtime.store_url)
    result = cli("--site", str(site), "updates", "premier-album")
    assert result.exit_code == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[1:]}
    assert rows["2026-11-27-pressage"] == ["2", "2", "0", "0", "0"]  # recipients, sent, waiting, failed, unsubscribed
    assert rows["2026-11-27-coulisses"] == ["1", "1", "0", "0", "0"]


def test_a_backer_of_the_demo_gets_a_new_update_once_after_two_deploys_and_three_runs(tmp_path, store_url):
    """The issue's own check, on content/ as `make demo` serves it."""
    root = tmp_path / "demo"
    root.mkdir()
    repo = FIXTURE.parents[2]
    shutil.copy(repo / "site.yml", root / "site.yml")
    shutil.copytree(repo / "content", root / "content")
    catalog = build(root)
    local = LocalCheckout("http://127.0.0.1:8000", SECRET)
    clock = {"now": NOW}
    runtime = Runtime(catalog_path=catalog, store_url=store_url, webhook_secret=SECRET, secret="site-secret",
                      origin="http://127.0.0.1:8000", clock=lambda: clock["now"], payments_factory=lambda: local)
    runtime._mailer = Outbox(tmp_path / "outbox", sender="Lina <fund@example.org>")
    install(runtime)
    try:
        api = Api(runtime, local)
        opened = api.pledge(campaign="lina-premier-album", reward="cd")
        api.webhook(api.complete(opened["checkout_url"], email="fan@example.org"))
        write(root, "content/campaigns/lina-premier-album/updates/2026-11-27-mixage.md",
              "---\ntitle: \"Le mixage\"\ndate: 2026-11-27T09:00:00+01:00\n---\nLe mixage **commence**.\n")
        for deploy in range(2):
            build(root, now=LATER)
            for run in range(3 if deploy == 0 else 0):
                scheduled(api, clock, LATER + dt.timedelta(hours=run))
        scheduled(api, clock, LATER + dt.timedelta(hours=4))
        mails = [m for m in updates_in(tmp_path / "outbox") if m["To"] == "fan@example.org"]
        assert [m["Subject"] for m in mails] == ["Les Pentes, le premier album de Lina Morel — Le mixage"]
    finally:
        runtime.store.close()
        install(None)
