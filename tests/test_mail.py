"""E-mail: queued exactly once with the change that causes it, sent once, retried, never duplicated;
launch reminders with double opt-in; the SES adapter against moto's server."""

from __future__ import annotations

import datetime as dt
import email
import json
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from email import policy

import pytest

from functions.core.mail import Mail, MailError, Message
from functions.core.sending import send_due
from functions.mailers.outbox import Outbox
from test_api import NOW, SECRET, api, catalog_path  # noqa: F401 - fixtures

BEFORE_LAUNCH = dt.datetime(2026, 10, 20, 12, 0, tzinfo=dt.timezone.utc)  # premier-album opens on 1 November


def plain(mail: Mail) -> Message:
    """A stand-in renderer (the real templates are tested in test_mail_templates.py)."""
    return Message(to=mail.to, subject=f"{mail.kind} {mail.campaign}", text=json.dumps(mail.values, sort_keys=True),
                   html="<p>" + mail.kind + "</p>", headers={"X-Cagnotte-Kind": mail.kind})


@pytest.fixture
def mailbox(api, tmp_path):  # noqa: F811
    api.runtime.secret = "site-secret"
    outbox = Outbox(tmp_path / "outbox", sender="Cagnotte <fund@example.org>")
    api.runtime._mailer = outbox
    api.runtime.mail_templates = lambda: None  # handlers leave mail queued; the test sends it
    return api, outbox


def sent(outbox: Outbox) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(outbox.folder.glob("*.eml"))] if outbox.folder.exists() else []


def test_a_confirmation_is_queued_once_however_often_the_webhook_arrives(mailbox):
    api, outbox = mailbox
    opened = api.pledge(campaign="premier-album", reward="vinyl")
    event = api.complete(opened["checkout_url"], email="ana@example.org")
    # the same event delivered 12 times, 6 at once
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda _: api.webhook(event)[2]["result"], range(12)))
    assert results.count("applied") == 1
    store = api.runtime.store
    row = store.get_mail(f"confirmation:{opened['pledge_id']}")
    assert (row.kind, row.to, row.lang, row.status) == ("confirmation", "ana@example.org", "fr", "due")
    assert row.values["amount_minor"] == "3750" and row.values["manage_url"].startswith("http://127.0.0.1:8000/api/manage/")
    assert row.values["referral_url"].endswith(f"/campaigns/premier-album/?ref={api.call('GET', '/api/pledges/' + api.session_of(opened['checkout_url']))[2]['ref_code']}")
    # two senders at once: one message
    barrier = threading.Barrier(2)

    def drain(_):
        barrier.wait()
        return send_due(store, outbox, plain, NOW).sent

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert sum(pool.map(drain, range(2))) == 1
    assert send_due(store, outbox, plain, NOW).sent == 0
    messages = sent(outbox)
    assert [m["To"] for m in messages] == ["ana@example.org"]
    assert messages[0]["From"] == "Cagnotte <fund@example.org>"
    assert store.get_mail(row.id).to == ""  # the address is forgotten once sent


def test_an_english_backers_mail_is_in_english_with_english_links(mailbox):
    api, _ = mailbox
    opened = api.pledge(campaign="premier-album", reward="vinyl", lang="en")
    api.webhook(api.complete(opened["checkout_url"], email="ann@example.org"))
    row = api.runtime.store.get_mail(f"confirmation:{opened['pledge_id']}")
    assert row.lang == "en"
    assert "/en/campaigns/premier-album/?ref=" in row.values["referral_url"]


def test_a_failed_send_is_retried_and_never_duplicated(mailbox):
    api, outbox = mailbox
    opened = api.pledge(campaign="premier-album", amount="20")
    api.webhook(api.complete(opened["checkout_url"], email="b@example.org"))

    class Flaky:
        calls = 0

        def send(self, message):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise MailError("SES throttled")
            return outbox.send(message)

    store = api.runtime.store
    first = send_due(store, Flaky(), plain, NOW)
    assert (first.sent, first.retry) == (0, 1)
    assert sent(outbox) == []
    second = send_due(store, Flaky(), plain, NOW)
    assert second.sent == 1
    assert send_due(store, Flaky(), plain, NOW).sent == 0
    assert len(sent(outbox)) == 1


def test_each_change_of_a_pledge_has_its_message(mailbox):
    api, outbox = mailbox
    from functions.core import tokens

    opened = api.pledge(campaign="premier-album", reward="vinyl")
    api.webhook(api.complete(opened["checkout_url"], email="c@example.org"))
    manage = f"/api/manage/{tokens.make('manage', opened['pledge_id'], 'site-secret')}"
    api.call("POST", manage, {"action": "change", "reward": "digital"}, content_type="application/x-www-form-urlencoded")
    api.call("POST", manage, {"action": "change", "reward": "vinyl"}, content_type="application/x-www-form-urlencoded")
    api.call("POST", manage, {"action": "cancel"}, content_type="application/x-www-form-urlencoded")
    send_due(api.runtime.store, outbox, plain, NOW)
    kinds = sorted(m["X-Cagnotte-Kind"] for m in sent(outbox))
    assert kinds == ["cancelled", "changed", "changed", "confirmation"]


def test_no_address_no_message_and_no_leak(mailbox):
    api, outbox = mailbox
    opened = api.pledge(campaign="premier-album", amount="20")
    event = api.complete(opened["checkout_url"], email="secret.person@example.org")
    api.webhook(event)
    stats = json.dumps(api.stats("premier-album"))
    view = json.dumps(api.call("GET", f"/api/pledges/{api.session_of(opened['checkout_url'])}")[2])
    assert "secret.person" not in stats + view


# -- launch reminders ---------------------------------------------------------------------------

def test_launch_reminder_double_opt_in_launch_and_unsubscribe(mailbox):
    api, outbox = mailbox
    from functions.core.flows import queue_scheduled_mail

    api.runtime.clock = lambda: BEFORE_LAUNCH
    status, _, body = api.call("POST", "/api/reminders", {"campaign": "premier-album", "email": "d@example.org"})
    assert status == 202 and "d@example.org" not in json.dumps(body)
    # signing up again sends no second confirmation
    assert api.call("POST", "/api/reminders", {"campaign": "premier-album", "email": "D@example.org "})[0] == 202
    send_due(api.runtime.store, outbox, plain, BEFORE_LAUNCH)
    [confirm] = sent(outbox)
    assert confirm["X-Cagnotte-Kind"] == "reminder_confirm"
    values = json.loads(confirm.get_body(("plain",)).get_content())
    confirm_path = values["confirm_url"].replace("http://127.0.0.1:8000", "")
    # not confirmed yet: the launch sends nothing
    launch = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.timezone.utc)
    assert queue_scheduled_mail(catalog=api.runtime.catalog, store=api.runtime.store, links=api.runtime.links,
                                now=launch) == 0
    status, _, page = api.call("GET", confirm_path)
    assert status == 200 and "confirm" in page.lower()  # a page with the button: a GET confirms nothing
    assert queue_scheduled_mail(catalog=api.runtime.catalog, store=api.runtime.store, links=api.runtime.links,
                                now=launch) == 0
    assert api.call("POST", confirm_path, b"", content_type=None)[0] == 200
    forged = confirm_path[:-2] + ("AA" if not confirm_path.endswith("AA") else "BB")
    assert api.call("GET", forged)[0] == 404
    # the campaign opens: one launch message, however often the clock looks
    for _ in range(3):
        queue_scheduled_mail(catalog=api.runtime.catalog, store=api.runtime.store, links=api.runtime.links,
                             now=launch)
    send_due(api.runtime.store, outbox, plain, launch)
    launches = [m for m in sent(outbox) if m["X-Cagnotte-Kind"] == "launch"]
    assert len(launches) == 1
    unsubscribe = json.loads(launches[0].get_body(("plain",)).get_content())["unsubscribe_url"]
    path = unsubscribe.replace("http://127.0.0.1:8000", "")
    assert api.call("GET", path)[0] == 200  # a GET (a mail scanner) changes nothing
    assert len(api.runtime.store.reminders("premier-album")) == 1
    assert api.call("POST", path, b"List-Unsubscribe=One-Click",
                    content_type="application/x-www-form-urlencoded")[0] == 200
    assert api.runtime.store.reminders("premier-album") == []


def test_a_reminder_signed_up_from_the_english_page_is_in_english(mailbox):
    api, outbox = mailbox
    from functions.core.flows import queue_scheduled_mail

    api.runtime.clock = lambda: BEFORE_LAUNCH
    status, _, page = api.call("POST", "/api/reminders", b"campaign=premier-album&email=en%40example.org&lang=en",
                               content_type="application/x-www-form-urlencoded")
    assert status == 202 and 'lang="en"' in page
    [reminder] = api.runtime.store.reminders("premier-album")
    assert reminder.lang == "en"
    assert api.runtime.store.get_mail(f"reminder_confirm:premier-album:{reminder.id}").lang == "en"
    send_due(api.runtime.store, outbox, plain, BEFORE_LAUNCH)
    [confirm] = sent(outbox)
    path = json.loads(confirm.get_body(("plain",)).get_content())["confirm_url"].replace("http://127.0.0.1:8000", "")
    status, _, button = api.call("GET", path)
    assert status == 200 and 'lang="en"' in button
    assert api.call("POST", path, b"", content_type=None)[0] == 200
    launch = dt.datetime(2026, 11, 1, 10, 0, tzinfo=dt.timezone.utc)
    queue_scheduled_mail(catalog=api.runtime.catalog, store=api.runtime.store, links=api.runtime.links, now=launch)
    assert api.runtime.store.get_mail(f"launch:premier-album:{reminder.id}").lang == "en"
    # a language the campaign does not offer falls back to the campaign's own
    api.call("POST", "/api/reminders", {"campaign": "premier-album", "email": "xx@example.org", "lang": "xx"})
    assert {r.lang for r in api.runtime.store.reminders("premier-album")} == {"en", "fr"}


@pytest.mark.parametrize("fields, status", [
    ({"campaign": "premier-album", "email": "not an address"}, 400),
    ({"campaign": "premier-album", "email": "a@b"}, 400),
    ({"campaign": "premier-album"}, 400),
    ({"campaign": "nope", "email": "e@example.org"}, 404),
])
def test_bad_sign_ups_store_nothing(mailbox, fields, status):
    api, outbox = mailbox
    api.runtime.clock = lambda: BEFORE_LAUNCH
    got, _, body = api.call("POST", "/api/reminders", fields)
    assert got == status
    assert "e@example.org" not in json.dumps(body) and "not an address" not in json.dumps(body)
    assert api.runtime.store.reminders("premier-album") == []


def test_a_live_campaign_needs_no_reminder(mailbox):
    api, outbox = mailbox
    status, _, body = api.call("POST", "/api/reminders", {"campaign": "premier-album", "email": "f@example.org"})
    assert (status, body["error"]["code"]) == (409, "already_live")


# -- SES ----------------------------------------------------------------------------------------

def test_the_ses_adapter_sends_the_raw_message_to_ses(moto_server):
    import boto3

    from functions.mailers.ses import SES

    boto3.client("sesv2").create_email_identity(EmailIdentity="fund@example.org")
    ses = SES(sender="Cagnotte <fund@example.org>")
    message = Message(to="backer@example.org", subject="Votre contribution", text="Merci !",
                      html="<p>Merci !</p>", headers={"List-Unsubscribe": "<https://fund.example.org/u/x>",
                                                      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    message_id = ses.send(message)
    with urllib.request.urlopen(moto_server + "/_test/ses/sent", timeout=10) as response:
        received = [m for m in json.load(response) if m["id"] == message_id]
    assert len(received) == 1
    raw = email.message_from_string(received[0]["raw"], policy=policy.default)
    assert (raw["To"], raw["Subject"], raw["List-Unsubscribe-Post"]) == (
        "backer@example.org", "Votre contribution", "List-Unsubscribe=One-Click")
    assert raw.get_body(("plain",)).get_content().strip() == "Merci !"
    assert raw.get_body(("html",)).get_content().strip() == "<p>Merci !</p>"
    with pytest.raises(MailError):
        SES(sender="Nobody <nobody@unverified.example>").send(message)


def test_the_ses_adapter_keeps_to_the_accounts_sending_rate(moto_server, monkeypatch):
    import boto3

    from functions.mailers import ses as module

    boto3.client("sesv2").create_email_identity(EmailIdentity="fund@example.org")
    ses = module.SES(sender="Cagnotte <fund@example.org>")
    clock = {"now": 100.0}
    slept = []
    monkeypatch.setattr(module.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(module.time, "sleep", lambda s: (slept.append(round(s, 3)), clock.update(now=clock["now"] + s)))
    message = Message(to="backer@example.org", subject="s", text="t", html="<p>t</p>", headers={})
    for _ in range(3):
        ses.send(message)
    assert ses._rate == 1.0  # moto answers the sandbox's MaxSendRate: one a second
    assert slept == [1.0, 1.0]  # the first leaves at once, the next wait their turn
    unpaced = module.SES(sender="Cagnotte <fund@example.org>", max_rate=None)
    slept.clear()
    unpaced.send(message)
    assert slept == []


def test_the_creator_gets_one_digest_a_day_with_milestones(mailbox):
    api, outbox = mailbox
    from functions.core.flows import queue_scheduled_mail

    opened = api.pledge(campaign="tokyo-zine", amount="500000")  # 55% of the 900,000 yen goal
    api.webhook(api.complete(opened["checkout_url"]))
    next_day = NOW + dt.timedelta(days=1)
    creators = {"tokyo-zine": "aiko@example.org"}
    for _ in range(3):
        queue_scheduled_mail(catalog=api.runtime.catalog, store=api.runtime.store, links=api.runtime.links,
                             now=next_day, creators=creators)
    row = api.runtime.store.get_mail("digest:tokyo-zine:2026-11-26")
    assert (row.to, row.values["new_pledges"], row.values["raised_minor"], row.values["milestones"]) == (
        "aiko@example.org", "1", "500000", "first_backer,half")
    # a day without pledges: no digest
    queue_scheduled_mail(catalog=api.runtime.catalog, store=api.runtime.store, links=api.runtime.links,
                         now=next_day + dt.timedelta(days=1), creators=creators)
    assert api.runtime.store.get_mail("digest:tokyo-zine:2026-11-27") is None


def test_the_creator_address_stays_out_of_the_public_site(site):
    from generator.build import build

    index = site / "content" / "campaigns" / "tokyo-zine" / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace(
        'creator: { name: "Aiko & Tom" }', 'creator: { name: "Aiko & Tom", email: "aiko@example.org" }'),
        encoding="utf-8")
    build(site, now=NOW)
    private = json.loads((site / ".cagnotte" / "private.json").read_text())
    assert private["creators"] == {"tokyo-zine": "aiko@example.org"}
    leaked = [p for p in (site / "_site").rglob("*") if p.is_file() and b"aiko@example.org" in p.read_bytes()]
    assert leaked == []


def test_a_bounced_or_complaining_address_is_never_mailed_again(mailbox):
    api, outbox = mailbox
    from functions.core.reminders import address_hash
    from functions.handlers import ses_events

    def sns(notification):
        return {"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps(notification)}}]}

    soft = {"eventType": "Bounce", "bounce": {"bounceType": "Transient",
                                              "bouncedRecipients": [{"emailAddress": "soft@example.org"}]}}
    hard = {"eventType": "Bounce", "bounce": {"bounceType": "Permanent",
                                              "bouncedRecipients": [{"emailAddress": "Gone@example.org"}]}}
    complaint = {"notificationType": "Complaint",
                 "complaint": {"complainedRecipients": [{"emailAddress": "angry@example.org"}]}}
    assert ses_events.handler(sns(soft)) == {"suppressed": 0}
    assert ses_events.handler(sns(hard)) == {"suppressed": 1}
    assert ses_events.handler(sns(complaint)) == {"suppressed": 1}
    store = api.runtime.store
    assert store.is_suppressed(address_hash("gone@example.org"))
    assert not store.is_suppressed(address_hash("soft@example.org"))
    opened = api.pledge(campaign="premier-album", amount="20")
    api.webhook(api.complete(opened["checkout_url"], email="gone@example.org"))
    tally = send_due(store, outbox, plain, NOW,
                     suppressed=lambda to: store.is_suppressed(address_hash(to)))
    assert (tally.sent, tally.failed) == (0, 1)
    assert sent(outbox) == []


def test_the_digest_names_each_stretch_goal_reached(mailbox):
    api, outbox = mailbox
    from functions.core.flows import queue_scheduled_mail

    opened = api.pledge(campaign="premier-album", amount="12500")  # past the 8,500.50 goal and the 12,000 stretch
    api.webhook(api.complete(opened["checkout_url"]))
    queue_scheduled_mail(catalog=api.runtime.catalog, store=api.runtime.store, links=api.runtime.links,
                         now=NOW + dt.timedelta(days=1), creators={"premier-album": "lina@example.org"})
    row = api.runtime.store.get_mail("digest:premier-album:2026-11-26")
    assert row.values["milestones"] == "first_backer,half,goal,stretch:1200000"


def test_the_projection_is_the_creators_after_a_week_and_never_the_pages():
    from types import SimpleNamespace

    from functions.core import notify

    starts = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.timezone.utc)
    ends = dt.datetime(2026, 12, 15, 22, 59, 59, tzinfo=dt.timezone.utc)
    campaign = SimpleNamespace(slug="x", language="en", goal=800_000, currency="EUR", stretch_goals=[],
                               funding="all_or_nothing", starts=starts, ends=ends)
    days = {(dt.date(2026, 11, 1) + dt.timedelta(days=i)).isoformat(): (10_000 + (i % 2) * 2_000, 3)
            for i in range(10)}
    counters = SimpleNamespace(days=days)
    early = notify.digest(campaign, "c@example.org", SimpleNamespace(days=dict(list(days.items())[:5])),
                          dt.date(2026, 11, 5), starts)
    assert "trend_minor" not in early.values  # five days: too early to say
    row = notify.digest(campaign, "c@example.org", counters, dt.date(2026, 11, 10), starts)
    raised = sum(r for r, _ in days.values())
    expected, low, high = (int(row.values[k]) for k in ("trend_minor", "trend_low_minor", "trend_high_minor"))
    assert raised < low <= expected <= high
    # about 35 days left at ~110 € a day, on top of what is raised
    assert abs(expected - (raised + 11_000 * 35.04)) <= 0.02 * expected
    assert row.values["ends"] == "2026-12-15"
    after = notify.trend(days, dt.date(2026, 12, 16), starts, ends, raised, "EUR")
    assert after is None


def test_an_unsendable_row_is_failed_and_the_batch_goes_on(mailbox):
    """A CR/LF address written before the door refused them: failed at once, never stuck 'sending'."""
    api, outbox = mailbox
    store = api.runtime.store
    bad = Mail(id="confirmation:x:bad", kind="confirmation", campaign="premier-album", lang="fr",
               to="a@example.org\r\nBcc: everyone@example.org", created_at=NOW, values={})
    store.queue_mail(bad)
    opened = api.pledge(campaign="premier-album", amount="20")
    api.webhook(api.complete(opened["checkout_url"], email="good@example.org"))

    class Strict:  # a transport that raises on a header with a line break, as email.message does
        def send(self, message):
            if "\n" in message.to or "\r" in message.to:
                raise ValueError("Header values may not contain linefeed or carriage return characters")
            return outbox.send(message)

    tally = send_due(store, Strict(), plain, NOW)
    assert (tally.sent, tally.failed) == (1, 1)
    assert store.get_mail("confirmation:x:bad").status == "failed"
    assert [m["To"] for m in sent(outbox)] == ["good@example.org"]
    assert send_due(store, Strict(), plain, NOW).sent == 0  # nothing left, nothing stuck


def test_a_transport_that_cannot_write_a_message_fails_the_row_not_the_batch(mailbox):
    api, outbox = mailbox
    store = api.runtime.store
    for n in (1, 2):
        opened = api.pledge(campaign="premier-album", amount="20")
        api.webhook(api.complete(opened["checkout_url"], email=f"b{n}@example.org"))

    class Broken:
        def send(self, message):
            if message.to == "b1@example.org":
                raise ValueError("cannot encode")
            return outbox.send(message)

    tally = send_due(store, Broken(), plain, NOW)
    assert (tally.sent, tally.failed) == (1, 1)
