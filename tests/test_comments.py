"""Public comments through the API, on both stores: a visitor's confirmed once by e-mail, a backer's
at once with its badge, replies one level deep, limits, forms without JavaScript, comments off."""

from __future__ import annotations

import email
import json
import re
from email import policy
from urllib.parse import urlencode

import pytest

from functions import http, router
from functions.core import comments, tokens
from functions.mailers.outbox import Outbox
from test_api import NOW, api, catalog_path  # noqa: F401 - fixtures

SECRET = "site-secret-for-tests"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def site(api, tmp_path):  # noqa: F811
    api.runtime.secret = SECRET
    outbox = Outbox(tmp_path / "outbox", sender="Cagnotte <fund@example.org>")
    api.runtime._mailer = outbox
    return api, outbox


def post(api, fields: dict, *, ip: str = "203.0.113.7", form: bool = False, origin: str | None = None,
         accept: str | None = None):
    body = (urlencode(fields) if form else json.dumps(fields)).encode()
    headers = {"Content-Type": FORM if form else "application/json"}
    if origin:
        headers["Origin"] = origin
    if accept:
        headers["Accept"] = accept
    response = router.dispatch(http.event_from("POST", "/api/comments", headers, body, source_ip=ip))
    try:
        parsed = json.loads(response["body"])
    except ValueError:
        parsed = response["body"]
    return response["statusCode"], response["headers"], parsed


def listed(api, slug: str = "premier-album", cursor: str | None = None) -> dict:
    status, headers, body = api.call("GET", f"/api/campaigns/{slug}/comments",
                                     query=urlencode({"cursor": cursor}) if cursor else "")
    assert status == 200, body
    assert headers["Cache-Control"] == "public, max-age=10"
    return body


def mails(outbox: Outbox) -> list:
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(outbox.folder.glob("*.eml"))] if outbox.folder.exists() else []


def confirm_link(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"https?://\S+/api/comments/confirm/\S+", text).group(0)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def altered(tail: str) -> str:
    """Other characters than ``tail``'s, always (a fixed replacement is the same one time in 4,096)."""
    return "".join("B" if c == "A" else "A" for c in tail)


def backer_token(api) -> str:
    opened = api.pledge(campaign="premier-album", reward="vinyl")
    api.webhook(api.complete(opened["checkout_url"]))
    pledge = api.runtime.store.pledge_by_session(api.session_of(opened["checkout_url"]))
    return tokens.make("manage", pledge.id, SECRET)


def test_a_visitor_comment_waits_for_its_link_and_is_published_once(site):
    api, outbox = site
    status, _, body = post(api, {"campaign": "premier-album", "name": "Ana", "text": "Bravo !",
                                 "email": "ana@example.org"})
    assert status == 202 and body["status"] == "check your inbox"
    assert listed(api)["comments"] == []  # pending: nobody sees it
    [message] = mails(outbox)
    assert message["To"] == "ana@example.org"
    link = path_of(confirm_link(message))
    # Opening the link (a mail scanner does) publishes nothing: a page with one button.
    status, _, page = api.call("GET", link, headers={"Accept": "text/html"})
    assert status == 200 and '<form method="post">' in page
    assert listed(api)["comments"] == []
    for _ in range(2):  # the second click is the same page, nothing twice
        status, _, page = api.call("POST", link, content_type=None)
        assert status == 200 and "#comments" in page
    [shown] = listed(api)["comments"]
    assert shown["name"] == "Ana" and shown["text"] == "Bravo !" and shown["backer"] is False
    assert "ana@example.org" not in json.dumps(listed(api))  # the address is never in an answer
    forged = link[:-3] + altered(link[-3:])
    assert api.call("POST", forged, content_type=None)[0] == 404


def test_a_backer_comments_at_once_with_a_badge_and_replies_are_one_level_deep(site):
    api, outbox = site
    token = backer_token(api)
    sent_before = len(mails(outbox))
    status, _, body = post(api, {"campaign": "premier-album", "name": "Béa", "text": "Hâte !\nvoir https://example.org/x.",
                                 "token": token})
    assert status == 201 and body["comment"]["backer"] is True
    assert len(mails(outbox)) == sent_before  # no confirmation for a backer
    first = body["comment"]["id"]
    status, _, reply = post(api, {"campaign": "premier-album", "name": "Cé", "text": "Moi aussi", "token": token,
                                  "parent": first})
    assert status == 201
    status, _, deeper = post(api, {"campaign": "premier-album", "name": "Dé", "text": "Et moi", "token": token,
                                   "parent": reply["comment"]["id"]})
    assert status == 400 and deeper["error"]["code"] == "invalid"
    shown = listed(api)["comments"]
    assert [(c["name"], c["parent"]) for c in shown] == [("Béa", None), ("Cé", first)]
    # a token from another purpose, altered, or for another campaign gives no badge
    for bad in (tokens.make("fix", token.split(".")[0], SECRET), token[:-2] + altered(token[-2:])):
        status, _, body = post(api, {"campaign": "premier-album", "name": "E", "text": "x", "token": bad})
        assert status == 403 and body["error"]["code"] == "not_a_backer"
    status, _, body = post(api, {"campaign": "atelier-clos", "name": "E", "text": "x", "token": token})
    assert status in (403, 409)


def test_a_backer_can_ask_to_be_told_of_the_creators_reply_and_nobody_sees_it(site):
    api, outbox = site
    token = backer_token(api)
    status, _, body = post(api, {"campaign": "premier-album", "name": "Béa", "text": "Quand ?", "token": token,
                                 "notify": "1"}, form=True, origin="http://127.0.0.1:8000")
    assert status == 201
    [stored] = api.runtime.store.all_comments("premier-album")
    assert stored.notify == tokens.check("manage", token, SECRET)  # the pledge, to find its address later
    assert "notify" not in json.dumps(listed(api))
    # a visitor cannot ask: nothing names their pledge
    post(api, {"campaign": "premier-album", "name": "V", "text": "x", "email": "v@example.org", "notify": "1"})
    assert all(c.notify in (None, stored.notify) for c in api.runtime.store.all_comments("premier-album"))
    status, _, page = api.call("GET", "/api/manage/" + token)
    assert 'name="notify"' in page and "quand le créateur répond" in page


def test_refusals_are_documented_statuses(site):
    api, _ = site
    base = {"campaign": "premier-album", "name": "Ana", "text": "ok", "email": "ana@example.org"}
    cases = [({**base, "text": " "}, 400), ({**base, "text": "x" * 2001}, 400), ({**base, "name": "n" * 61}, 400),
             ({**base, "email": "nope"}, 400), ({**base, "email": "a@b.org\nBcc: x@y.org"}, 400),
             ({**base, "campaign": "nope"}, 404), ({**base, "parent": "cm_" + "0" * 20}, 404),
             ({**base, "parent": "<x>"}, 400), ({**base, "campaign": 3}, 400)]
    for fields, wanted in cases:
        status, _, body = post(api, fields, ip="198.51.100.1")
        assert status == wanted, (fields, body)
    status, _, body = post(api, {**base, "text": "x" * 9000})
    assert status == 413
    assert api.call("GET", "/api/comments")[0] == 405
    assert api.call("GET", "/api/campaigns/premier-album/comments", query="cursor=bm9wZQ")[0] == 400
    assert api.call("GET", "/api/campaigns/nope/comments")[0] == 404


def test_a_form_without_javascript_gets_a_page_and_other_sites_cannot_post(site):
    api, _ = site
    fields = {"campaign": "premier-album", "name": "Ana", "text": "Bravo", "email": "ana@example.org", "lang": "en"}
    status, headers, page = post(api, fields, form=True, origin="http://127.0.0.1:8000", accept="text/html")
    assert status == 202 and headers["Content-Type"].startswith("text/html") and "Open its link" in page
    status, _, page = post(api, {**fields, "text": ""}, form=True, origin="http://127.0.0.1:8000",
                           accept="text/html")
    assert status == 400 and "Your comment was not published" in page and "Write your comment." in page
    status, _, page = post(api, {**fields, "lang": "fr", "name": "n" * 61}, form=True,
                           origin="http://127.0.0.1:8000", accept="text/html")
    assert status == 400 and "Un nom compte au plus 60 caractères." in page
    status, _, body = post(api, fields, form=True, origin="https://evil.example")
    assert status == 403 and body["error"]["code"] == "cross_origin"


def test_one_client_and_one_mailbox_are_limited(site):
    api, outbox = site
    for n in range(10):
        status, _, _ = post(api, {"campaign": "premier-album", "name": "A", "text": f"{n}",
                                  "email": f"ana+{n}@example.org"}, ip="203.0.113.9")
        assert status == 202
    status, headers, body = post(api, {"campaign": "premier-album", "name": "A", "text": "x",
                                       "email": "ana@example.org"}, ip="203.0.113.9")
    assert status == 429 and int(headers["Retry-After"]) > 0
    # ten addresses of one inbox: five confirmations, then the same answer and nothing kept
    assert len(mails(outbox)) == 5
    assert len(api.runtime.store.all_comments("premier-album")) == 5


def test_the_list_is_paged_newest_first_with_pinned_threads_on_top(site):
    api, _ = site
    token = backer_token(api)
    ids = []
    for n in range(comments.PAGE + 3):
        api.runtime.clock = lambda n=n: NOW.replace(minute=n % 60, second=n // 60)
        status, _, body = post(api, {"campaign": "premier-album", "name": f"N{n}", "text": f"t{n}", "token": token})
        assert status == 201
        ids.append(body["comment"]["id"])
    first = listed(api)
    assert [c["id"] for c in first["comments"]] == ids[::-1][:comments.PAGE]
    second = listed(api, cursor=first["next"])
    assert [c["id"] for c in second["comments"]] == ids[::-1][comments.PAGE:] and second["next"] is None
    assert api.runtime.store.pin_comment("premier-album", ids[0])
    assert listed(api)["comments"][0]["id"] == ids[0] and listed(api)["comments"][0]["pinned"] is True


def test_comments_off_answers_409(site, tmp_path):
    api, _ = site
    data = json.loads(api.runtime.catalog_path.read_text())
    data["campaigns"]["premier-album"]["comments"] = False
    off = tmp_path / "catalog.json"
    off.write_text(json.dumps(data))
    api.runtime.catalog_path = off
    status, _, body = post(api, {"campaign": "premier-album", "name": "A", "text": "x", "email": "a@example.org"})
    assert status == 409 and body["error"]["code"] == "comments_off"
    assert listed(api)["open"] is False


def test_text_is_escaped_and_only_web_addresses_become_links():
    html = comments.linkified('<b>hi</b> https://ex.org/a?b=1&c=2. javascript:alert(1) "http://x.org"\nbye')
    assert html.startswith("&lt;b&gt;hi&lt;/b&gt; ")
    assert '<a href="https://ex.org/a?b=1&amp;c=2" rel="nofollow ugc noopener">' in html
    assert "javascript:alert(1)" in html and 'href="javascript' not in html
    assert "<br>bye" in html


def test_comments_false_removes_the_section_and_reaches_the_catalog(tmp_path):
    import shutil

    from conftest import FIXTURE
    from generator.build import build

    root = tmp_path / "site"
    shutil.copytree(FIXTURE, root)
    index = root / "content" / "campaigns" / "tokyo-zine" / "index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("\n---\n", "\ncomments: false\n---\n", 1),
                     encoding="utf-8")
    build(root, now=NOW)
    off = (root / "_site" / "campaigns" / "tokyo-zine" / "index.html").read_text(encoding="utf-8")
    on = (root / "_site" / "campaigns" / "premier-album" / "index.html").read_text(encoding="utf-8")
    assert 'id="comments"' not in off and "comments." not in off
    assert 'id="comments"' in on and "/static/js/comments." in on
    catalog = json.loads((root / "_site" / "catalog.json").read_text(encoding="utf-8"))
    assert catalog["campaigns"]["tokyo-zine"]["comments"] is False
    assert "comments" not in catalog["campaigns"]["premier-album"]  # on: the catalog says nothing
