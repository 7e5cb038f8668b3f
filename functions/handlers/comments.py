"""Public comments: ``POST /api/comments`` and the confirm link ``/api/comments/confirm/{token}``
(the list, ``GET /api/campaigns/{slug}/comments``, is read by the stats function: :func:`listing`).

A backer comments through their manage link's token (visible at once, badge
"backer"); anyone else gives an address and publishes the comment from the
link mailed to it, once. Opening the link (GET) changes nothing: its page has
one button, whose POST publishes, so a mail scanner that prefetches links
publishes nothing. The address is kept in the mail's row only, never in the
comment and never in an answer.
"""

from __future__ import annotations

import dataclasses

import re
import secrets
from html import escape

from functions import http, pages
from functions.core import comments, limits, tokens
from functions.core.errors import Invalid, MethodNotAllowed, NotFound, Unavailable
from functions.runtime import current

LINK = re.compile(r"^/(?:api/)?comments/confirm/([A-Za-z0-9_.-]{1,200})$")


def handler(event: dict, context=None) -> dict:
    return http.guarded(route, event)


def route(request: http.Request) -> dict:
    path = request.path.rstrip("/")
    runtime = current()
    if path in ("/api/comments", "/comments"):
        if request.method != "POST":
            raise MethodNotAllowed("use POST to comment")
        return post(request, runtime)
    match = LINK.match(path)
    if not match:
        raise NotFound(f"no route {request.path}")
    if not runtime.secret:
        raise Unavailable("comment links are not configured (CAGNOTTE_SECRET)")
    named = comments.confirmed_subject(match.group(1), runtime.secret)
    if named is None:
        raise NotFound("this link is not valid", hint=("bad_link",))
    slug, comment_id = named
    campaign = runtime.catalog.campaigns.get(slug)
    found = runtime.store.get_comment(slug, comment_id)
    lang = (found.lang if found and found.lang else campaign.language) if campaign else "en"
    t = pages.texts(lang)
    if request.method in ("GET", "HEAD"):
        # A GET publishes nothing: mail scanners open every link of a message before its reader does.
        return pages.page(200, lang, t["comment_confirm_button"],
                          f"<p>{escape(t['comment_confirm_prompt'])}</p>"
                          f'<form method="post"><button type="submit">{escape(t["comment_confirm_button"])}'
                          "</button></form>")
    if request.method != "POST":
        raise MethodNotAllowed("open the link")
    if found is None or campaign is None or found.status == comments.HIDDEN:
        raise NotFound("this comment no longer exists", hint=("comment_gone",))
    runtime.store.confirm_comment(slug, comment_id)  # None when published before: the same page
    return _done(campaign, runtime, lang, t["comment_confirmed"], 200)


def post(request: http.Request, runtime) -> dict:
    http.same_site(request, runtime.origins)
    fields = request.fields()
    slug = fields.get("campaign")
    if not isinstance(slug, str):
        raise Invalid("'campaign' must be a string")
    campaign = comments.check_open(runtime.catalog.campaigns.get(slug), slug)
    now = runtime.now()
    limits.check(runtime.store, limits.COMMENTS_PER_CLIENT, request.client, now)
    parent = None
    wanted = comments.parent_id(fields.get("parent"))
    if wanted:
        parent = runtime.store.get_comment(slug, wanted)
        if parent is None or parent.status != comments.VISIBLE:
            raise NotFound(f"no comment '{wanted}' to reply to", hint=("comment_gone",))
    token = fields.get("token")
    comment_id = "cm_" + secrets.token_hex(10)
    if token:  # a backer, through the manage link's token
        if not isinstance(token, str) or not runtime.secret:
            raise comments.NotABacker("this token names no pledge", hint=("not_a_backer",))
        pledge_id = tokens.check("manage", token, runtime.secret)
        pledge = runtime.store.get_pledge(pledge_id) if pledge_id else None
        if pledge is None or pledge.campaign != slug or not pledge.counts:
            raise comments.NotABacker("this token names no pledge to this campaign", hint=("not_a_backer",))
        comment = comments.new(campaign, {**fields, "lang": fields.get("lang") or pledge.lang}, comment_id, now,
                               parent=parent, backer=True)
        if fields.get("notify") in ("1", "on", "true", True):  # "tell me when the creator replies"
            comment = dataclasses.replace(comment, notify=pledge.id)
        runtime.store.add_comment(comment)
        if request.is_form:
            t = pages.texts(comment.lang)
            return _done(campaign, runtime, comment.lang, t["comment_posted"], 201)
        return http.respond(201, {"comment": comments.public(comment)})
    email = comments.address(fields.get("email"))
    comment = comments.new(campaign, fields, comment_id, now, parent=parent)
    if not runtime.secret:
        raise Unavailable("comments are not configured (CAGNOTTE_SECRET)")
    # One inbox is not mailed more than a few confirmations a day, whatever the +tags and
    # dots; past that the answer is the same (it tells nobody anything) and nothing is kept.
    if limits.allowed(runtime.store, limits.COMMENT_MAILS_PER_MAILBOX, limits.mailbox(email), now):
        runtime.store.add_comment(comment)
        runtime.store.queue_mail(comments.confirm_mail(comment, email, runtime.api_base, runtime.secret, now))
        runtime.send_due_mail()
    if request.is_form:
        t = pages.texts(comment.lang)
        return _done(campaign, runtime, comment.lang, t["comment_sent"], 202)
    return http.respond(202, {"comment": comment.id, "status": "check your inbox"})


def _done(campaign, runtime, lang: str, message: str, status: int) -> dict:
    t = pages.texts(lang)
    url = campaign.page(lang).url
    if runtime.origin and url.startswith(runtime.catalog.base_url):
        url = runtime.origin + url[len(runtime.catalog.base_url):]
    return pages.page(status, lang, message,
                      f'<p role="status">{escape(message)}</p>'
                      f'<p><a class="button" href="{escape(url)}#comments">{escape(t["back"])}</a></p>')


def listing(request: http.Request, slug: str, runtime) -> dict:
    """``GET /api/campaigns/{slug}/comments?cursor=``: ``{campaign, open, comments, next}``."""
    campaign = runtime.catalog.campaigns.get(slug)
    if campaign is None:
        raise NotFound(f"no campaign '{slug}'")
    before = comments.decode_cursor(request.query.get("cursor"))
    page, next_key = runtime.store.comment_page(slug, before, comments.PAGE)
    pinned = runtime.store.pinned_comments(slug) if before is None else []
    body = {"campaign": slug, "open": campaign.comments, **comments.listing(pinned, page, next_key, before is None)}
    return http.respond(200, body, {"Cache-Control": "public, max-age=10"})
