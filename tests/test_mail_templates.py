"""The e-mail texts: the theme's templates compiled by the build into mail.json, filled by the functions.

Every kind in both languages and both funding models; money and dates as the
pages print them; links absolute; values escaped in HTML; mail.json
deterministic; the outbox pages of `cagnotte serve`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import threading
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from conftest import NOW, write
from functions.core import mailtext
from functions.core.mail import KINDS, Mail
from functions.core.mailtext import MailTextError, Templates, render
from generator.build import build
from generator.problems import ContentError

NBSP, NNBSP = "\u00a0", "\u202f"
MANAGE = "https://fund.example.org/api/manage/tok-1?a=1&b=2"
REFERRAL = "https://fund.example.org/campaigns/premier-album/?ref=ana42"
FIX = "https://fund.example.org/api/fix/tok-2"
SURVEY = "https://fund.example.org/api/survey/tok-4"
CONFIRM = "https://fund.example.org/api/reminders/confirm/tok-3"
UNSUBSCRIBE = "https://fund.example.org/api/reminders/unsubscribe/tok-4"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    from conftest import FIXTURE

    root = tmp_path_factory.mktemp("mail") / "site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    build(root, now=NOW, jobs=1)
    return root


@pytest.fixture(scope="module")
def templates(built) -> Templates:
    return Templates.from_json((built / "_site" / "mail.json").read_text(encoding="utf-8"))


def values_for(kind: str, funding: str, **extra: str) -> dict[str, str]:
    """What the functions put in a row of this kind (see functions.core.notify and reminders)."""
    pledge = {"pledge_id": "pl_1", "amount_minor": "3750", "currency": "EUR", "reward_id": "vinyl",
              "manage_url": MANAGE, "referral_url": REFERRAL, "funding": funding}
    values = {
        "payment_failed": {**pledge, "fix_url": FIX, "fix_deadline": "2026-12-22"},
        "fix_reminder": {**pledge, "fix_url": FIX, "fix_deadline": "2026-12-22"},
        "card_expiring": {**pledge, "card_expires": "2026-11"},
        "survey": {**pledge, "survey_url": SURVEY},
        "reminder_confirm": {"confirm_url": CONFIRM, "unsubscribe_url": UNSUBSCRIBE, "funding": funding},
        "launch": {"unsubscribe_url": UNSUBSCRIBE, "funding": funding},
        "update": {"update_id": "2026-11-20-studio", "unsubscribe_url": UNSUBSCRIBE, "funding": funding},
        "comment_confirm": {"confirm_url": CONFIRM},
        "comment_reply": {"reply_text": "En mai !", "reply_name": "Lina", "comment_text": "Quand <sort> le vinyle ?"},
        "digest": {"day": "2026-11-26", "new_pledges": "3", "raised_minor": "425025", "backers": "1204",
                   "currency": "EUR", "goal_minor": "850050", "milestones": "first_backer,half", "funding": funding},
    }.get(kind, pledge)
    return {**values, **extra}


def mail(kind: str, lang: str, funding: str = "all_or_nothing", campaign: str = "premier-album", **extra) -> Mail:
    return Mail(id=f"{kind}:x", kind=kind, campaign=campaign, lang=lang, to="ana@example.org",
                values=values_for(kind, funding, **extra))


SUBJECTS = {
    "confirmation": ("Merci pour votre soutien à Premier album de Lina", "Thank you for backing Lina's first album"),
    "changed": ("Votre contribution à Premier album de Lina est modifiée", "Your pledge to Lina's first album is changed"),
    "cancelled": ("Votre contribution à Premier album de Lina est annulée",
                  "Your pledge to Lina's first album is cancelled"),
    "receipt": ("Reçu de votre contribution à Premier album de Lina", "Receipt for your pledge to Lina's first album"),
    "payment_failed": ("Action requise : votre paiement pour Premier album de Lina a échoué",
                       "Action needed: your payment for Lina's first album failed"),
    "fix_reminder": ("Rappel : régularisez votre paiement pour Premier album de Lina avant le 22 décembre 2026",
                     "Reminder: fix your payment for Lina's first album before December 22, 2026"),
    "unfunded": ("Premier album de Lina n’a pas atteint son objectif", "Lina's first album did not reach its goal"),
    "card_expiring": ("Votre carte expire avant la fin de Premier album de Lina",
                      "Your card expires before Lina's first album ends"),
    "survey": ("Premier album de Lina : quelques questions avant l’envoi de votre contrepartie",
               "Lina's first album: a few questions before your reward ships"),
    "reminder_confirm": ("Confirmez votre rappel pour Premier album de Lina", "Confirm your reminder for Lina's first album"),
    "launch": ("Premier album de Lina : la campagne est ouverte", "Lina's first album: the campaign is open"),
    "update": ("Premier album de Lina — Au studio", "Lina's first album — In the studio"),
    "comment_reply": ("Lina a répondu à votre commentaire sur Premier album de Lina",
                      "Lina replied to your comment on Lina's first album"),
    "comment_confirm": ("Confirmez votre commentaire sur Premier album de Lina",
                        "Confirm your comment on Lina's first album"),
    "digest": ("Premier album de Lina — bilan du 26 novembre 2026", "Lina's first album — summary for November 26, 2026"),
}

AON, FLEX = "all_or_nothing", "flexible"
# (kind, funding or None for both) → (a French sentence, its English one), in the text and the HTML part.
SENTENCES = {
    ("confirmation", AON): ("elle ne le sera que si la campagne atteint son objectif d’ici le 15 décembre 2026",
                            "it will be charged only if the campaign reaches its goal by December 15, 2026"),
    ("confirmation", FLEX): (f"Votre carte a été débitée de 37,50{NBSP}€.", "Your card was charged €37.50."),
    ("confirmation", None): ("Merci ! Votre contribution à Premier album de Lina, de Lina, est enregistrée.",
                             "Thank you! Your pledge to Lina's first album by Lina is recorded."),
    ("changed", AON): ("Modifiez ou annulez votre contribution jusqu’au 15 décembre 2026",
                       "Change or cancel your pledge until December 15, 2026"),
    ("changed", FLEX): ("Retrouvez votre contribution à tout moment", "See your pledge at any time"),
    ("cancelled", AON): ("Votre carte ne sera pas débitée", "Your card will not be charged"),
    ("cancelled", FLEX): ("Aucun autre paiement ne sera prélevé", "No further payment will be taken"),
    ("receipt", AON): (f"a atteint son objectif, et votre carte a été débitée de 37,50{NBSP}€.",
                       "reached its goal, and your card was charged €37.50."),
    ("receipt", FLEX): (f"Votre paiement de 37,50{NBSP}€ pour Premier album de Lina est bien reçu.",
                        "Your payment of €37.50 to Lina's first album is received."),
    ("payment_failed", None): ("payez avec votre lien personnel avant le 22 décembre 2026",
                               "pay with your private link before December 22, 2026"),
    ("fix_reminder", None): (f"Votre paiement de 37,50{NBSP}€ pour Premier album de Lina n’est toujours pas passé.",
                             "Your payment of €37.50 for Lina's first album has still not gone through."),
    ("unfunded", None): ("Personne n’a été débité", "Nobody was charged"),
    ("card_expiring", None): ("expire en novembre 2026, avant la fin de la campagne le 15 décembre 2026",
                              "expires in November 2026, before the campaign ends on December 15, 2026"),
    ("survey", None): ("Lina prépare les contreparties de Premier album de Lina. Avant tout envoi",
                       "Lina is getting the rewards of Lina's first album ready. Before anything ships"),
    ("reminder_confirm", None): ("nous vous écrirons une seule fois", "we will write to you once"),
    ("comment_confirm", None): ("Confirmez-le, et il apparaît sur la page de la campagne",
                                "Confirm it, and it appears on the campaign page"),
    ("launch", AON): ("Tout ou rien : vous n’êtes débité que si l’objectif est atteint d’ici le 15 décembre 2026.",
                      "All or nothing: you are charged only if the goal is reached by December 15, 2026."),
    ("launch", FLEX): ("Financement flexible : vous êtes débité dès votre contribution",
                       "Flexible funding: you are charged when you pledge"),
    ("digest", AON): (f"Promis à ce jour : 4{NNBSP}250,25{NBSP}€ sur 8{NNBSP}500,50{NBSP}€",
                      "Pledged so far: €4,250.25 of €8,500.50"),
    ("digest", FLEX): (f"Collecté à ce jour : 4{NNBSP}250,25{NBSP}€ sur 8{NNBSP}500,50{NBSP}€",
                       "Raised so far: €4,250.25 of €8,500.50"),
    ("digest", None): ("Votre première contribution !\nLa moitié de l’objectif est atteinte.",
                       "Your first backer!\nHalf of the goal is reached."),
}
# The links each kind must carry (in both parts).
LINKS = {
    "confirmation": (MANAGE, REFERRAL), "changed": (MANAGE,), "cancelled": ("campaign",),
    "receipt": (MANAGE, "campaign"), "payment_failed": (FIX,), "fix_reminder": (FIX,), "unfunded": ("campaign",),
    "card_expiring": (MANAGE,), "survey": (SURVEY, MANAGE), "reminder_confirm": (CONFIRM,), "comment_confirm": (CONFIRM,), "comment_reply": ("campaign#comments",), "launch": ("campaign", UNSUBSCRIBE),
    "update": ("campaign", UNSUBSCRIBE),
    "digest": ("campaign",),
}


def hrefs(document: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]*)"', document)]


def test_every_kind_has_compiled_texts_in_both_languages(templates):
    assert set(mailtext.PLACEHOLDERS) == set(KINDS)
    for lang in ("fr", "en"):
        assert set(templates.data["languages"][lang]["kinds"]) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("funding", [AON, FLEX])
def test_every_kind_in_both_languages_and_funding_models(templates, kind, lang, funding):
    message = render(mail(kind, lang, funding), templates)
    index = 0 if lang == "fr" else 1
    assert message.to == "ana@example.org"
    assert message.subject == SUBJECTS[kind][index]
    assert message.headers["X-Cagnotte-Kind"] == kind
    for key in ((kind, funding), (kind, None)):
        if key in SENTENCES:
            sentence = SENTENCES[key][index]
            assert sentence in message.text
            assert html.escape(sentence).replace("\n", "<br>\n") in message.html
    # nothing left to fill, nothing of the compiler's markers
    for part in (message.subject, message.text, message.html):
        assert "${" not in part and "\ue000" not in part and "\ue001" not in part
    # the HTML part: one document in the message's language, no external asset, absolute links only
    assert message.html.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in message.html
    assert "max-width:600px" in message.html
    assert not re.search(r"<(img|link|script)\b|src=", message.html)
    links = hrefs(message.html)
    assert links and all(link.startswith("https://") for link in links), links
    assert all(url.startswith("https://") for url in re.findall(r"\w+://\S+", message.text))
    campaign = "https://fund.example.org/campaigns/premier-album/" if lang == "fr" else \
        "https://fund.example.org/en/campaigns/premier-album/"
    for link in LINKS[kind]:
        link = campaign if link == "campaign" else campaign + "#comments" if link == "campaign#comments" else link
        assert link in links and link in message.text.split(), (kind, link)
    # the site's home, in the message's language, heads every message
    assert links[0] == ("https://fund.example.org/" if lang == "fr" else "https://fund.example.org/en/")


def test_the_pledge_is_the_amount_and_the_reward_in_the_campaign_language(templates):
    text = render(mail("confirmation", "fr"), templates).text
    assert f"Votre contribution : 37,50{NBSP}€ — Vinyle dédicacé" in text
    english = render(mail("confirmation", "en"), templates).text
    assert "Your pledge: €37.50 — Signed vinyl" in english
    without = render(mail("confirmation", "fr", reward_id=""), templates).text
    assert f"Votre contribution : 37,50{NBSP}€, sans contrepartie" in without


@pytest.mark.parametrize("lang, minor, currency, expected", [
    ("fr", 3750, "EUR", f"37,50{NBSP}€"),
    ("en", 3750, "EUR", "€37.50"),
    ("fr", 800000, "EUR", f"8{NNBSP}000{NBSP}€"),  # whole amounts without decimals, as on the pages
    ("en", 123456789, "EUR", "€1,234,567.89"),
    ("en", 2300, "JPY", "¥2,300"),
    ("fr", 2300, "JPY", f"2{NNBSP}300{NBSP}JPY"),
])
def test_money_is_formatted_from_minor_units(templates, lang, minor, currency, expected):
    assert mailtext.format_money(minor, currency, templates.language(lang)) == expected


def test_a_yen_pledge(templates):
    message = render(mail("confirmation", "en", FLEX, campaign="tokyo-zine", amount_minor="2300", currency="JPY",
                          reward_id="zine"), templates)
    assert "Your card was charged ¥2,300." in message.text
    assert "Your pledge: ¥2,300 — The zine" in message.text


def test_money_and_dates_match_babel_for_many_currencies_and_months():
    from generator.render.formats import Formatters, patterns

    currencies = ["BHD", "CHF", "EUR", "GBP", "JPY", "USD"]
    for lang in ("fr", "en"):
        spec = patterns(lang, currencies, "Europe/Paris")
        babel = Formatters(lang, "Europe/Paris", NOW)
        for currency in currencies:
            for minor in (0, 1, 5, 99, 100, 1050, 3750, 100000, 123456789, 10 ** 12 + 7):
                assert mailtext.format_money(minor, currency, spec) == babel.money(minor, currency), (lang, currency)
        for month in range(1, 13):
            day = dt.date(2027, month, 9)
            assert mailtext.format_date(day.isoformat(), spec) == babel.date(day)
            assert mailtext.format_month(day.isoformat()[:7], spec) == babel.month(day)


def test_values_are_escaped_in_html_and_plain_in_text(templates):
    # tokyo-zine's title is "A Tokyo <zine> & notes", its creator "Aiko & Tom"
    message = render(mail("launch", "en", FLEX, campaign="tokyo-zine"), templates)
    assert message.subject == "A Tokyo <zine> & notes: the campaign is open"
    assert "The campaign A Tokyo <zine> & notes by Aiko & Tom is open" in message.text
    assert "The campaign A Tokyo &lt;zine&gt; &amp; notes by Aiko &amp; Tom is open" in message.html
    assert "<zine>" not in message.html
    hostile = 'https://fund.example.org/api/x?"><script>alert(1)</script>'
    confirm = render(mail("reminder_confirm", "en", campaign="tokyo-zine", confirm_url=hostile), templates)
    assert "<script>" not in confirm.html and hostile in hrefs(confirm.html)
    assert hostile in confirm.text


def test_a_hostile_campaign_title_in_a_built_site(site):
    index = site / "content" / "campaigns" / "premier-album" / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace(
        'title: "Premier album de Lina"', 'title: "<img src=x onerror=alert(1)> \\"Lina\\" & ${title} $5"'),
        encoding="utf-8")
    build(site, now=NOW, jobs=1)
    templates = Templates.from_json((site / "_site" / "mail.json").read_text(encoding="utf-8"))
    message = render(mail("confirmation", "fr"), templates)
    title = '<img src=x onerror=alert(1)> "Lina" & ${title} $5'
    assert message.subject == f"Merci pour votre soutien à {title}"
    assert f"Votre contribution à {title}, de Lina" in message.text
    assert "&lt;img src=x onerror=alert(1)&gt; &quot;Lina&quot; &amp; ${title} $5" in message.html
    assert "<img" not in message.html


def test_a_subject_is_one_line_whatever_a_value_holds(templates):
    message = render(mail("confirmation", "en", reward_id="vinyl"), templates)
    assert "\n" not in message.subject
    data = json.loads(json.dumps(templates.data))
    data["campaigns"]["premier-album"]["translations"]["en"]["title"] = "Two\nlines\r\nBcc: x@example.org"
    sneaky = render(mail("confirmation", "en"), Templates(data))
    assert sneaky.subject == "Thank you for backing Two lines Bcc: x@example.org"


def test_list_unsubscribe_headers_where_there_is_an_unsubscribe_link(templates):
    for kind in ("launch", "reminder_confirm"):
        headers = render(mail(kind, "fr"), templates).headers
        assert headers["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "List-Unsubscribe" not in render(mail("confirmation", "fr"), templates).headers


def test_a_missing_value_or_an_unknown_placeholder_is_an_error(templates):
    values = values_for("payment_failed", AON)
    del values["fix_url"]
    with pytest.raises(MailTextError, match="fix_url"):
        render(Mail(id="x", kind="payment_failed", campaign="premier-album", lang="fr", to="a@example.org",
                    values=values), templates)
    with pytest.raises(MailTextError, match="no campaign"):
        render(mail("confirmation", "fr", campaign="gone"), templates)
    data = json.loads(json.dumps(templates.data))
    variants = data["languages"]["en"]["kinds"]["launch"]
    next(iter(variants.values()))["text"] += "${manage_url}"  # a launch message knows no pledge
    with pytest.raises(MailTextError, match=r"launch\.text .*manage_url"):
        Templates.from_json(json.dumps(data))
    data["format"] = 99
    with pytest.raises(MailTextError, match="rebuild"):
        Templates.from_json(json.dumps(data))


def test_an_unknown_language_falls_back_to_the_site_language(templates):
    assert render(mail("confirmation", "de"), templates).subject == SUBJECTS["confirmation"][0]


def test_the_creator_digest_lists_milestones(templates):
    message = render(mail("digest", "en", milestones="first_backer,goal,stretch:1200000"), templates)
    assert "Your first backer!\nThe goal is reached!\nStretch goal reached: €12,000." in message.text
    assert "New pledges: 3" in message.text and "Backers: 1,204" in message.text
    quiet = render(mail("digest", "en", milestones=""), templates)
    assert "\n\n\n" not in quiet.text
    projected = render(mail("digest", "en", trend_minor="810000", trend_low_minor="620000",
                            trend_high_minor="1000000", ends="2026-12-15"), templates)
    assert ("the campaign would reach about €8,100 by December 15, 2026, likely between €6,200 and €10,000"
            in " ".join(projected.text.split()))
    assert "€8,100" in projected.html and "would reach" not in quiet.text


def test_the_rows_the_functions_queue_render(built, templates):
    """What functions.core queues (pledge changes, reminders, digests) is what the templates read."""
    from types import SimpleNamespace

    from functions.core import notify, reminders
    from functions.core.catalog import Catalog
    from functions.core.pledge import CANCELLED, PAYMENT_FAILED, PLEDGED, UNFUNDED, Pledge

    catalog = Catalog.from_json((built / "_site" / "catalog.json").read_text(encoding="utf-8"))
    links = notify.Links(catalog=catalog, api_base="https://fund.example.org/api", secret="s3cret")
    pending = Pledge(id="pl_1", campaign="premier-album", reward="vinyl", amount=3750, currency="EUR", mode="setup",
                     status="pending", created_at=NOW, expires_at=NOW, ref_code="ana42", email="ana@example.org")
    pledged = pending.replace(status=PLEDGED, version=1)
    failed = pledged.replace(status=PAYMENT_FAILED, version=2, fix_deadline=dt.datetime(2026, 12, 22, 12, tzinfo=dt.timezone.utc))
    rows = [*notify.mails_for(pending, pledged, links, NOW), *notify.mails_for(pledged, failed, links, NOW),
            *notify.mails_for(pledged, pledged.replace(status=CANCELLED, cancel_reason=UNFUNDED), links, NOW),
            notify.fix_reminder(failed, links, NOW), notify.card_expiring(pledged, links, (11, 2026), NOW)]
    reminder = reminders.Reminder(campaign="premier-album", id=reminders.reminder_id("ana@example.org"),
                                  email="ana@example.org", status=reminders.PENDING, created_at=NOW)
    campaign = catalog.campaigns["premier-album"]
    rows += [reminders.confirm_mail(reminder, campaign, links.api_base, "s3cret", NOW),
             reminders.launch_mail(reminder, campaign, links.api_base, "s3cret", NOW),
             notify.digest(campaign, "lina@example.org", SimpleNamespace(days={"2026-11-26": (425025, 3)}),
                           dt.date(2026, 11, 26), NOW)]
    kinds = [row.kind for row in rows]
    assert kinds == ["confirmation", "payment_failed", "unfunded", "fix_reminder", "card_expiring",
                     "reminder_confirm", "launch", "digest"]
    for row in rows:
        message = render(row, templates)
        assert message.subject == SUBJECTS[row.kind][0], row.kind
        assert all(link.startswith("https://") for link in hrefs(message.html))
    digest = render(rows[-1], templates).text
    assert "Votre première contribution !\nLa moitié de l’objectif est atteinte." in digest


def test_mail_json_is_deterministic_and_sorted(built, tmp_path):
    first = (built / "_site" / "mail.json").read_bytes()
    again = tmp_path / "again"
    shutil.copytree(built, again, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    build(again, now=NOW, jobs=2, clean=True)
    assert (again / "_site" / "mail.json").read_bytes() == first
    data = json.loads(first)
    assert json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n" == first.decode()
    # beside the catalog, where the functions look for it
    from functions.runtime import Runtime

    runtime = Runtime(catalog_path=built / "_site" / "catalog.json")
    assert isinstance(runtime.mail_templates(), Templates)


def test_a_site_theme_overrides_one_template_and_keeps_dollars(site):
    write(site, "themes/default/mail/launch.txt",
          '{% extends "layout.txt" %}{% block body %}{{ title }} is open. Pledge $5 or more: {{ campaign_url }}'
          "{% endblock %}")
    build(site, now=NOW, jobs=1)
    templates = Templates.from_json((site / "_site" / "mail.json").read_text(encoding="utf-8"))
    message = render(mail("launch", "en"), templates)
    assert message.text.startswith("Lina's first album is open. Pledge $5 or more: "
                                   "https://fund.example.org/en/campaigns/premier-album/")
    assert "Lina's first album: the campaign is open" == message.subject  # the rest from the default theme


def test_editing_a_mail_template_rewrites_mail_json_and_renders_no_page(site):
    build(site, now=NOW, jobs=1)
    catalog = (site / "_site" / "catalog.json").read_bytes()
    write(site, "themes/default/mail/launch.subject.txt", "{{ title }} opens today\n")
    report = build(site, now=NOW, jobs=1)
    assert (report.rendered, report.changed) == (0, True)
    templates = Templates.from_json((site / "_site" / "mail.json").read_text(encoding="utf-8"))
    assert render(mail("launch", "fr"), templates).subject == "Premier album de Lina opens today"
    assert (site / "_site" / "catalog.json").read_bytes() == catalog


@pytest.mark.parametrize("template, expected", [
    ("{{ fix_url }}", "shows 'fix_url', which a 'confirmation' e-mail does not carry"),
    ("{% if reward %}x{% endif %}", "'reward' is only known when the e-mail is sent"),
    ("{{ nope }}", "'nope' is undefined"),
    ("{% if %}", "template error"),
])
def test_a_template_mistake_is_reported_with_its_file_and_line(site, template, expected):
    write(site, "themes/default/mail/confirmation.txt", "line one\n" + template + "\n")
    with pytest.raises(ContentError) as error:
        build(site, now=NOW, jobs=1)
    [problem] = error.value.problems
    assert problem.path == "themes/default/mail/confirmation.txt" and problem.line == 2, problem
    assert expected in problem.message


# -- the outbox in `cagnotte serve` ------------------------------------------------------------

@pytest.fixture
def served(site, monkeypatch, tmp_path):
    from generator.serve import serve

    outbox = tmp_path / "outbox"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(NOW.timestamp())))
    monkeypatch.setenv("CAGNOTTE_MAIL", f"outbox:///{outbox}")
    monkeypatch.setenv("CAGNOTTE_STORE", f"sqlite:///{tmp_path / 'pledges.sqlite3'}")
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=serve, args=(site, "127.0.0.1", 0),
                              kwargs={"ready": ready, "stop": stop, "interval": 0.1}, daemon=True)
    thread.start()
    assert ready.wait(60)
    yield f"http://127.0.0.1:{ready.port}", outbox, site
    stop.set()
    thread.join(10)


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_the_outbox_lists_and_shows_messages_escaped(served):
    base, outbox, site = served
    status, headers, body = get(base + "/_cagnotte/outbox/")
    assert status == 200 and "No message yet" in body
    assert "script-src" not in headers["Content-Security-Policy"] and "default-src 'none'" in \
        headers["Content-Security-Policy"]
    outbox.mkdir(parents=True, exist_ok=True)
    # an old message written with the standard library, hostile everywhere
    old = EmailMessage()
    old["From"], old["To"] = "Cagnotte <fund@example.org>", '"<b>Ana</b>" <ana@example.org>'
    old["Subject"] = "Hello <script>alert(1)</script> & you"
    old["Date"] = format_datetime(dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.timezone.utc))
    old["X-Cagnotte-Kind"] = "launch"
    old.set_content("Plain <text> & a link: https://fund.example.org/campaigns/premier-album/?a=1&b=2\n")
    old.add_alternative('<p onclick="x()">Bonjour <b>vous</b> & <a href="https://fund.example.org/">site</a></p>',
                        subtype="html")
    (outbox / "20261125T093000000000Z-launch-0a1b2c3d.eml").write_bytes(bytes(old))
    # a newer one through the real pipeline: built site's templates, the outbox adapter
    from functions.mailers.outbox import Outbox

    templates = Templates.from_json((site / "_site" / "mail.json").read_text(encoding="utf-8"))
    sent = Outbox(outbox, sender="Cagnotte <fund@example.org>").send(
        render(mail("confirmation", "fr"), templates))
    (outbox / ".half-written.eml.tmp").write_bytes(b"partial")

    status, _, body = get(base + "/_cagnotte/outbox/")
    assert status == 200
    assert body.index(sent) < body.index("20261125T093000000000Z-launch-0a1b2c3d.eml")  # newest first
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt; &amp; you" in body and "<script>" not in body
    assert "&lt;b&gt;Ana&lt;/b&gt;" in body and "<b>" not in body and "2026-11-25 09:30:00 UTC" in body
    assert "Merci pour votre soutien à Premier album de Lina" in body and "<code>confirmation</code>" in body
    assert "half-written" not in body

    status, _, page = get(f"{base}/_cagnotte/outbox/20261125T093000000000Z-launch-0a1b2c3d.eml")
    assert status == 200
    assert "<script>" not in page and "Hello &lt;script&gt;" in page
    frame = re.search(r'<iframe [^>]*sandbox="([^"]*)"[^>]*srcdoc="([^"]*)"', page)
    assert frame and "allow-scripts" not in frame.group(1) and "allow-same-origin" not in frame.group(1)
    assert html.unescape(frame.group(2)).endswith(
        '<p onclick="x()">Bonjour <b>vous</b> & <a href="https://fund.example.org/">site</a></p>\n')
    assert "Plain &lt;text&gt; &amp; a link:" in page
    assert '<a href="https://fund.example.org/campaigns/premier-album/?a=1&amp;b=2"' in page

    status, _, page = get(f"{base}/_cagnotte/outbox/{sent}")
    assert status == 200 and "Votre contribution : 37,50" in page
    assert "List-Unsubscribe" not in page and "X-Cagnotte-Kind" in page
    status, headers, raw = get(f"{base}/_cagnotte/outbox/{sent}?raw")
    assert status == 200 and headers["Content-Type"] == "text/plain; charset=utf-8"
    assert raw.startswith("From: Cagnotte <fund@example.org>")

    for bad in ("nope.eml", "..%2Fsecret.eml", "%2Fetc%2Fpasswd", ".half-written.eml.tmp"):
        assert get(f"{base}/_cagnotte/outbox/{bad}")[0] == 404, bad
    status, headers, _ = get(base + "/_cagnotte/outbox")
    assert status == 200  # redirected to the slash URL


STRETCH = """stretch_goals:"""
POSTER_FR = """addons:
  - { id: poster, title: "Affiche", amount: 15, requires: [vinyl] }
  - { id: sticker, title: "Autocollant", amount: 2, requires: [vinyl] }
stretch_goals:"""
POSTER_EN = """addons:
  - { id: poster, title: "Poster" }
  - { id: sticker, title: "Sticker" }
stretch_goals:"""


@pytest.mark.parametrize("kind", ["confirmation", "changed", "receipt", "cancelled", "unfunded", "payment_failed",
                                  "fix_reminder", "card_expiring", "survey"])
def test_a_pledge_mail_names_the_units_and_the_addons_in_its_language(site, kind):
    folder = site / "content" / "campaigns" / "premier-album"
    for name, addons in (("index.md", POSTER_FR), ("index.en.md", POSTER_EN)):
        page = folder / name
        page.write_text(page.read_text(encoding="utf-8").replace(STRETCH, addons, 1), encoding="utf-8")
    build(site, now=NOW, jobs=1)
    templates = Templates.from_json((site / "_site" / "mail.json").read_text(encoding="utf-8"))
    for lang, items in (("fr", "Vinyle dédicacé × 2 + Affiche + Autocollant × 3"),
                        ("en", "Signed vinyl × 2 + Poster + Sticker × 3")):
        message = render(mail(kind, lang, quantity="2", addons="poster:1,sticker:3"), templates)
        assert items in message.text and html.escape(items) in message.html, (kind, lang)
        # A row queued before quantities and add-ons were recorded reads as it did.
        old = render(mail(kind, lang), templates)
        assert items.split(" × ")[0] in old.text and " × " not in old.text, (kind, lang)
        # One unit and no add-on: the reward alone, as before.
        assert render(mail(kind, lang, quantity="1", addons=""), templates).text == old.text


def test_the_queued_values_carry_the_units_and_addons():
    from functions.core.model import Pledge
    from functions.core.notify import items

    pledge = Pledge(id="pl_1", campaign="premier-album", reward="vinyl", amount=7800, currency="EUR",
                    mode="setup", status="pledged", created_at=NOW, updated_at=NOW, expires_at=NOW, ref_code="ana42",
                    quantity=2,
                    addons=(("poster", 1), ("sticker", 3)))
    assert items(pledge) == {"quantity": "2", "addons": "poster:1,sticker:3"}
