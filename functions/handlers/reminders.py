"""Launch reminders: ``POST /api/reminders`` (the "Notify me" form), its confirm link, and the
unsubscribe link (also one-click, RFC 8058, for ``List-Unsubscribe-Post``).

Opening either link (GET) changes nothing: it shows a page with one button,
whose POST confirms or unsubscribes, so a mail scanner that prefetches links
neither confirms a sign-up nobody asked for nor removes one.
"""

from __future__ import annotations

import dataclasses
import re
from html import escape

from functions import http, pages
from functions.core import limits, reminders, tokens
from functions.core.errors import Invalid, MethodNotAllowed, NotFound, Unavailable
from functions.runtime import current

LINK = re.compile(r"^/(?:api/)?reminders/(confirm|unsubscribe)/([A-Za-z0-9_.-]{1,200})$")
UPDATES_OFF = re.compile(r"^/(?:api/)?updates/unsubscribe/([A-Za-z0-9_.-]{1,200})$")


def handler(event: dict, context=None) -> dict:
    return http.guarded(route, event)


def route(request: http.Request) -> dict:
    path = request.path.rstrip("/")
    runtime = current()
    if path in ("/api/reminders", "/reminders"):
        if request.method != "POST":
            raise MethodNotAllowed("use POST to sign up")
        return sign_up(request, runtime)
    off = UPDATES_OFF.match(path)
    if off:
        return updates_off(request, runtime, off.group(1))
    match = LINK.match(path)
    if not match:
        raise NotFound(f"no route {request.path}")
    if not runtime.secret:
        raise Unavailable("reminder links are not configured (CAGNOTTE_SECRET)")
    action, token = match.groups()
    subject = tokens.check_for("remind-confirm" if action == "confirm" else "unsubscribe", token, runtime.secret)
    if subject is None:
        raise NotFound("this link is not valid", hint=("bad_link",))
    slug, reminder_id = subject.split(":", 1)
    campaign = runtime.catalog.campaigns.get(slug)
    found = runtime.store.get_reminder(slug, reminder_id)
    lang = (found.lang if found and found.lang else campaign.language) if campaign else "en"
    t = pages.texts(lang)
    if action == "confirm":
        if request.method in ("GET", "HEAD"):
            # A GET confirms nothing: mail scanners open every link of a message
            # before its reader does. The page asks for the one click.
            return pages.page(200, lang, t["remind_confirm_button"],
                              f"<p>{escape(t['remind_confirm_prompt'])}</p>"
                              f'<form method="post"><button type="submit">{escape(t["remind_confirm_button"])}'
                              "</button></form>")
        if request.method != "POST":
            raise MethodNotAllowed("open the link")
        if found is None:
            raise NotFound("this reminder no longer exists")
        if found.status != reminders.CONFIRMED:
            runtime.store.save_reminder(dataclasses.replace(found, status=reminders.CONFIRMED,
                                                            confirmed_at=runtime.now()))
        return pages.page(200, lang, t["remind_confirmed"], f"<p>{escape(t['remind_confirmed'])}</p>")
    if request.method == "POST":  # one click from the mail client, or the button below
        runtime.store.delete_reminder(slug, reminder_id)
        return pages.page(200, lang, t["unsubscribed"], f"<p>{escape(t['unsubscribed'])}</p>")
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed("open the link")
    # A GET changes nothing (mail scanners follow links): the page asks for one click.
    return pages.page(200, lang, t["unsubscribe_button"],
                      f'<form method="post"><button type="submit">{escape(t["unsubscribe_button"])}</button></form>')


def updates_off(request: http.Request, runtime, token: str) -> dict:
    """The unsubscribe link of a campaign's update mails: GET shows the button, POST (the button,
    or the mail client's one click) adds the address to the campaign's list of no more updates."""
    from functions.core import updates

    if not runtime.secret:
        raise Unavailable("update links are not configured (CAGNOTTE_SECRET)")
    subject = tokens.check_for(updates.PURPOSE, token, runtime.secret)
    if subject is None or ":" not in subject:
        raise NotFound("this link is not valid", hint=("bad_link",))
    slug, address = subject.split(":", 1)
    campaign = runtime.catalog.campaigns.get(slug)
    lang = campaign.language if campaign else (runtime.catalog.language or "en")
    t = pages.texts(lang)
    if request.method == "POST":
        runtime.store.suppress(f"updates:{slug}:{address}", "unsubscribed", runtime.now())
        return pages.page(200, lang, t["updates_off"], f"<p>{escape(t['updates_off'])}</p>")
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed("open the link")
    return pages.page(200, lang, t["updates_off_button"],
                      f"<p>{escape(t['updates_off_prompt'])}</p>"
                      f'<form method="post"><button type="submit">{escape(t["updates_off_button"])}</button></form>')


def sign_up(request: http.Request, runtime) -> dict:
    http.same_site(request, runtime.origins)
    fields = request.fields()
    slug = fields.get("campaign") or ""
    if not isinstance(slug, str):
        raise Invalid("'campaign' must be a string")
    now = runtime.now()
    limits.check(runtime.store, limits.REMINDERS_PER_CLIENT, request.client, now)
    reminder = reminders.sign_up(runtime.catalog.campaigns.get(slug), slug, fields.get("email"), now,
                                 lang=fields.get("lang"))
    if not runtime.secret:
        raise Unavailable("reminders are not configured (CAGNOTTE_SECRET)")
    campaign = runtime.catalog.campaigns[slug]
    known = runtime.store.get_reminder(reminder.campaign, reminder.id)
    if known is None and not limits.allowed(runtime.store, limits.CONFIRMATIONS_PER_MAILBOX,
                                            limits.mailbox(reminder.email), now):
        # One inbox is not mailed more than a few confirmations a day, whatever
        # the +tags and dots: the answer is the same, so it tells nobody anything.
        return _sent(request, campaign, slug, reminder.lang)
    stored = runtime.store.add_reminder(reminder)
    if stored.status != reminders.CONFIRMED:
        runtime.store.queue_mail(reminders.confirm_mail(stored, campaign, runtime.api_base, runtime.secret, now))
        runtime.send_due_mail()
    return _sent(request, campaign, slug, reminder.lang)


def _sent(request: http.Request, campaign, slug: str, lang: str | None) -> dict:
    if request.is_form:
        lang = lang or campaign.language
        t = pages.texts(lang)
        return pages.page(202, lang, t["remind_sent"], f"<p>{escape(t['remind_sent'])}</p>")
    return http.respond(202, {"campaign": slug, "status": "check your inbox"})
