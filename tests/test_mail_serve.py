"""E-mail end to end through `cagnotte serve`: the messages land in the outbox, rendered from the
theme, and their links work — the manage link really cancels, the unsubscribe link really unsubscribes."""

from __future__ import annotations

import email
import json
import re
import time
from email import policy

import pytest

from test_pledge_serve import fetch, start

OCT_20 = "1792497600"  # 2026-10-20T12:00Z: premier-album opens on 1 November


def outbox(site) -> list[email.message.EmailMessage]:
    folder = site / ".cagnotte" / "outbox"
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def wait_for(site, count: int) -> list[email.message.EmailMessage]:
    for _ in range(100):
        messages = outbox(site)
        if len(messages) >= count:
            return messages
        time.sleep(0.05)
    return outbox(site)


def links(message) -> list[str]:
    return re.findall(r"https?://[^\s<>\"]+", message.get_body(("plain",)).get_content())


@pytest.fixture
def served(site, monkeypatch):
    url, close = start(site, monkeypatch)
    yield url, site
    close()


def test_the_confirmation_arrives_and_its_manage_link_really_cancels(served):
    url, site = served
    status, _, body = fetch(url + "/api/pledges", {"campaign": "premier-album", "reward": "vinyl"})
    checkout = json.loads(body)["checkout_url"]
    fetch(checkout + "/pay", {"name": "Ana", "email": "ana@example.org", "country": "FR", "line1": "1 rue",
                              "city": "Lyon", "postal_code": "69001"}, form=True)
    [confirmation] = wait_for(site, 1)
    assert confirmation["To"] == "ana@example.org"
    assert "Premier album de Lina" in confirmation["Subject"]
    text = confirmation.get_body(("plain",)).get_content()
    assert "37,50\xa0€" in text  # French, the campaign's language (a no-break space, as CLDR writes it)
    assert confirmation.get_body(("html",)) is not None
    manage = next(link for link in links(confirmation) if "/api/manage/" in link)
    assert manage.startswith(url + "/api/manage/")
    referral = next(link for link in links(confirmation) if "?ref=" in link)
    assert "/campaigns/premier-album/?ref=" in referral
    assert fetch(manage)[0] == 200
    status, _, page = fetch(manage, {"action": "cancel"}, form=True)
    assert status == 200
    stats = json.loads(fetch(url + "/api/campaigns/premier-album/stats")[2])
    assert (stats["backers"], stats["rewards"][1]["claimed"]) == (0, 0)
    messages = wait_for(site, 2)
    assert [m["X-Cagnotte-Kind"] for m in messages] == ["confirmation", "cancelled"]
    assert "annul" in messages[1]["Subject"].lower()
    # the outbox page shows them to the creator
    status, _, page = fetch(url + "/_cagnotte/outbox/")
    assert status == 200 and "ana@example.org" in page


def test_a_reminder_is_confirmed_then_unsubscribed_by_its_links(site, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", OCT_20)
    url, close = start(site, monkeypatch)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", OCT_20)  # start() sets the fixture's; serve reads it per request
    try:
        status, _, body = fetch(url + "/api/reminders", {"campaign": "premier-album", "email": "zoe@example.org"},
                                form=True)
        assert status == 202
        [confirm] = wait_for(site, 1)
        confirm_link = next(link for link in links(confirm) if "/reminders/confirm/" in link)
        from functions.runtime import current

        store = current().store
        # Opening the link (a mail scanner's prefetch, or the backer) confirms nothing: the page has a button.
        status, _, page = fetch(confirm_link)
        assert status == 200 and "Confirmer mon rappel" in page and '<form method="post">' in page
        [reminder] = store.reminders("premier-album")
        assert reminder.status != "confirmed"
        status, _, page = fetch(confirm_link, {}, form=True)
        assert status == 200 and "C’est confirmé" in page
        [reminder] = store.reminders("premier-album")
        assert reminder.status == "confirmed"
        assert fetch(confirm_link, {}, form=True)[0] == 200  # twice: still confirmed, nothing new
        from functions.core import reminders as r

        unsubscribe = r.links(reminder, url + "/api", current().secret)["unsubscribe_url"]
        assert fetch(unsubscribe)[0] == 200 and store.reminders("premier-album")  # GET: nothing yet
        assert fetch(unsubscribe, {"List-Unsubscribe": "One-Click"}, form=True)[0] == 200
        assert store.reminders("premier-album") == []
    finally:
        close()
