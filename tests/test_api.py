"""The pledge API through its handlers, with API Gateway v2 events: every status of DESIGN §6.

The catalog is the fixture site's, built by the generator; the store is SQLite;
payments go to the local test checkout and webhooks are signed for real.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from urllib.parse import urlencode

import pytest

from functions import http, router
from functions.payments.local import LocalCheckout
from functions.payments.signature import sign
from functions.runtime import Runtime, install

from conftest import NOW

SECRET = "whsec_test_secret"


@pytest.fixture(scope="module")
def catalog_path(tmp_path_factory):
    from generator.build import build

    root = tmp_path_factory.mktemp("api") / "site"
    import shutil

    from conftest import FIXTURE

    shutil.copytree(FIXTURE, root)
    build(root, now=NOW)
    return root / "_site" / "catalog.json"


class Api:
    def __init__(self, runtime: Runtime, local: LocalCheckout):
        self.runtime, self.local = runtime, local

    def call(self, method: str, path: str, body: bytes | str | dict | None = None, *,
             content_type: str | None = "application/json", headers: dict | None = None,
             query: str = "", base64_body: bool = True) -> tuple[int, dict, object]:
        if isinstance(body, dict):
            body = json.dumps(body) if content_type == "application/json" else urlencode(body)
        raw = body.encode() if isinstance(body, str) else (body or b"")
        all_headers = dict(headers or {})
        if content_type and raw:
            all_headers["Content-Type"] = content_type
        event = http.event_from(method, path, all_headers, raw, query)
        if not base64_body and raw:
            event["body"], event["isBase64Encoded"] = raw.decode(), False
        response = router.dispatch(event)
        text = response["body"]
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return response["statusCode"], response["headers"], parsed

    def pledge(self, **fields) -> dict:
        status, _, body = self.call("POST", "/api/pledges", fields)
        assert status == 201, body
        return body

    def session_of(self, checkout_url: str) -> str:
        return checkout_url.rsplit("/", 1)[1]

    def webhook(self, event: dict, secret: str = SECRET, timestamp: int | None = None):
        raw = json.dumps(event).encode()
        signature = sign(raw, secret, timestamp if timestamp is not None else int(NOW.timestamp()))
        return self.call("POST", "/api/stripe/webhook", raw, headers={"Stripe-Signature": signature})

    def complete(self, checkout_url: str, **details) -> dict:
        event = self.local.complete(self.session_of(checkout_url), {"email": "b@example.org", "name": "B",
                                                                   "country": "FR", **details}, NOW)
        assert event is not None
        return event

    def stats(self, slug: str) -> dict:
        status, _, body = self.call("GET", f"/api/campaigns/{slug}/stats")
        assert status == 200
        return body


@pytest.fixture
def api(catalog_path, store_url):
    local = LocalCheckout("http://127.0.0.1:8000", SECRET)
    runtime = Runtime(catalog_path=catalog_path, store_url=store_url,
                      webhook_secret=SECRET, origin="http://127.0.0.1:8000", clock=lambda: NOW,
                      payments_factory=lambda: local)
    install(runtime)
    yield Api(runtime, local)
    runtime.store.close()
    install(None)


# -- POST /api/pledges -------------------------------------------------------------

def test_a_json_pledge_gets_201_and_a_checkout(api):
    body = api.pledge(campaign="premier-album", reward="vinyl", ref="friend_1")
    assert set(body) == {"pledge_id", "checkout_url"}
    assert body["checkout_url"].startswith("http://127.0.0.1:8000/_cagnotte/checkout/cs_local_")
    session = api.local.session(api.session_of(body["checkout_url"]))
    request = session.request
    # Prices come from the catalog: the vinyl (32.50) plus its shipping (5.00), in cents.
    assert (request.amount, request.currency, request.mode) == (3750, "EUR", "setup")
    assert request.metadata == {"pledge_id": body["pledge_id"], "campaign": "premier-album", "reward": "vinyl",
                                "ref": "friend_1"}
    assert request.success_url == ("http://127.0.0.1:8000/campaigns/premier-album/thanks/"
                                   "?session_id={CHECKOUT_SESSION_ID}")
    assert request.cancel_url == "http://127.0.0.1:8000/campaigns/premier-album/"
    # Stripe's 30 minutes at the least, by its clock, plus a margin for the store and the network.
    assert request.expires_at == NOW + dt.timedelta(minutes=35)
    assert request.shipping_countries == ("FR", "BE", "CH")
    assert api.stats("premier-album")["rewards"][1] == {"id": "vinyl", "claimed": 1, "limit": 300, "remaining": 299,
                                                         "backers": 0}


def test_a_form_pledge_is_redirected_to_checkout(api):
    status, headers, _ = api.call("POST", "/api/pledges", {"campaign": "premier-album", "amount": "12.50"},
                                  content_type="application/x-www-form-urlencoded")
    assert status == 303
    assert headers["Location"].startswith("http://127.0.0.1:8000/_cagnotte/checkout/")


@pytest.mark.parametrize("lang, amount, minor", [
    ("fr", "12,50", 1250), ("fr", "1 250,50", 125050), ("fr", "1\u202f250", 125000), ("fr", "12.50", 1250),
    (None, "12,50", 1250),  # no language given: the campaign's own (French) page
    ("en", "1,250.50", 125050), ("en", "12.50", 1250),
])
def test_an_amount_is_read_as_the_pages_language_writes_it(api, lang, amount, minor):
    fields = {"campaign": "premier-album", "amount": amount} | ({"lang": lang} if lang else {})
    body = api.pledge(**fields)
    assert api.local.session(api.session_of(body["checkout_url"])).request.amount == minor


@pytest.mark.parametrize("lang, amount", [
    ("en", "12,50"),  # in English a comma groups thousands: 1250 or 12.50? Refused, never guessed
    ("fr", "1.250,50"), ("fr", "12,5,0"), ("fr", "1 25,50"), ("en", "1,25"),
])
def test_an_amount_the_pages_language_would_not_write_is_a_400(api, lang, amount):
    status, _, body = api.call("POST", "/api/pledges", {"campaign": "premier-album", "amount": amount, "lang": lang})
    assert (status, body["error"]["code"]) == (400, "invalid")
    assert api.runtime.store.pledges("premier-album") == []


def test_a_pledge_from_the_english_page_comes_back_to_english_pages(api):
    body = api.pledge(campaign="premier-album", reward="vinyl", lang="en")
    request = api.local.session(api.session_of(body["checkout_url"])).request
    assert request.locale == "en"
    assert request.success_url == ("http://127.0.0.1:8000/en/campaigns/premier-album/thanks/"
                                   "?session_id={CHECKOUT_SESSION_ID}")
    assert request.cancel_url == "http://127.0.0.1:8000/en/campaigns/premier-album/"
    assert request.campaign_title == "Lina's first album"
    assert api.runtime.store.get_pledge(body["pledge_id"]).lang == "en"
    # A language the campaign is not shown in, or not a language at all: its own pages.
    for lang in ("de", "<script>"):
        other = api.pledge(campaign="premier-album", reward="vinyl", lang=lang)
        request = api.local.session(api.session_of(other["checkout_url"])).request
        assert request.locale == "fr" and "/en/" not in request.success_url


def test_a_raw_body_event_works_like_a_base64_one(api):
    status, _, body = api.call("POST", "/api/pledges", {"campaign": "premier-album", "amount": "10"},
                               base64_body=False)
    assert status == 201, body


@pytest.mark.parametrize("fields, message", [
    ({}, "'campaign' is required"),
    ({"campaign": "premier-album"}, "'amount' is required when no reward is chosen"),
    ({"campaign": "premier-album", "amount": "0"}, "'amount' must be at least 0.01 EUR"),
    ({"campaign": "premier-album", "reward": "vinyl", "amount": "30"},
     "'amount' must be at least 37.50 EUR for the reward 'vinyl'"),
    ({"campaign": "premier-album", "amount": "10.005"}, "'amount': "),
    ({"campaign": "tokyo-zine", "amount": "1500.5"}, "'amount': "),
    ({"campaign": "premier-album", "amount": "ten"}, "'amount': "),
    ({"campaign": "premier-album", "amount": "10", "ref": "no spaces"}, "'ref' must be"),
    ({"campaign": ["premier-album"], "amount": "10"}, "'campaign' must be a string"),
])
def test_invalid_pledges_get_400_and_nothing_is_written(api, fields, message):
    status, _, body = api.call("POST", "/api/pledges", fields)
    assert status == 400
    assert body["error"]["code"] == "invalid"
    assert body["error"]["message"].startswith(message)
    assert api.runtime.store.pledges("premier-album") == []


def test_unknown_campaign_or_reward_is_404(api):
    assert api.call("POST", "/api/pledges", {"campaign": "nope", "amount": "5"})[0] == 404
    status, _, body = api.call("POST", "/api/pledges", {"campaign": "premier-album", "reward": "poster"})
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_a_sold_out_reward_is_409(api):
    api.pledge(campaign="tokyo-zine", reward="zine")
    api.pledge(campaign="tokyo-zine", reward="zine")
    status, _, body = api.call("POST", "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"})
    assert (status, body["error"]["code"]) == (409, "sold_out")
    assert len(api.runtime.store.pledges("tokyo-zine")) == 2


def test_an_ended_campaign_is_410(api):
    status, _, body = api.call("POST", "/api/pledges", {"campaign": "atelier-clos", "amount": "10"})
    assert (status, body["error"]["code"]) == (410, "not_live")


def test_a_large_body_is_413_and_other_types_415(api):
    big = json.dumps({"campaign": "premier-album", "amount": "10", "pad": "x" * 9000})
    assert api.call("POST", "/api/pledges", big)[0] == 413
    status, _, body = api.call("POST", "/api/pledges", "campaign=premier-album", content_type="text/plain")
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    assert api.call("POST", "/api/pledges", "[1]")[0] == 400
    assert api.call("POST", "/api/pledges", "{not json")[0] == 400


def test_wrong_methods_and_paths(api):
    assert api.call("GET", "/api/pledges")[0] == 405
    assert api.call("POST", "/api/campaigns/premier-album/stats", {})[0] == 405
    assert api.call("GET", "/api/nothing")[0] == 404


# -- the webhook ------------------------------------------------------------------------

def test_a_completed_checkout_counts_once_however_often_it_arrives(api):
    opened = api.pledge(campaign="premier-album", reward="vinyl", ref="friend")
    event = api.complete(opened["checkout_url"])
    assert api.webhook(event)[2] == {"received": True, "result": "applied"}
    assert api.webhook(event)[2] == {"received": True, "result": "duplicate"}
    stats = api.stats("premier-album")
    assert (stats["raised"], stats["backers"]) == (3750, 1)
    assert stats["history"] == [{"date": "2026-11-26", "raised": 3750, "backers": 1}]
    pledge = api.runtime.store.get_pledge(opened["pledge_id"])
    assert (pledge.status, pledge.email, pledge.customer_id is not None) == ("pledged", "b@example.org", True)
    assert api.call("GET", "/api/referrals/friend", query="campaign=premier-album")[2] == {
        "code": "friend", "campaign": "premier-album", "currency": "EUR", "pledges": 1, "raised": 3750}


def test_a_late_expiry_changes_nothing_and_an_early_one_releases(api):
    kept = api.pledge(campaign="tokyo-zine", reward="zine")
    dropped = api.pledge(campaign="tokyo-zine", reward="zine")
    api.webhook(api.complete(kept["checkout_url"]))
    late = api.local.event("checkout.session.expired", api.local.session(api.session_of(kept["checkout_url"])), NOW)
    assert api.webhook(late)[2]["result"] == "ignored"
    assert api.webhook(api.local.expire(api.session_of(dropped["checkout_url"]), NOW))[2]["result"] == "applied"
    stats = api.stats("tokyo-zine")
    assert (stats["raised"], stats["backers"], stats["rewards"][0]["remaining"]) == (2300, 1, 1)
    assert stats["currency"] == "JPY"


def test_an_async_payment_may_arrive_before_the_completion(api):
    opened = api.pledge(campaign="tokyo-zine", amount="5000")
    session = api.local.session(api.session_of(opened["checkout_url"]))
    completed = api.complete(opened["checkout_url"])
    completed["data"]["object"]["payment_status"] = "unpaid"  # a bank debit: paid later
    succeeded = api.local.event("checkout.session.async_payment_succeeded", session, NOW)
    assert api.webhook(succeeded)[2]["result"] == "applied"
    assert api.webhook(completed)[2]["result"] == "ignored"
    assert api.stats("tokyo-zine")["raised"] == 5000


def test_an_async_failure_releases_the_reward(api):
    opened = api.pledge(campaign="tokyo-zine", reward="zine")
    completed = api.complete(opened["checkout_url"])
    completed["data"]["object"]["payment_status"] = "unpaid"
    api.webhook(completed)
    assert api.stats("tokyo-zine")["raised"] == 0  # processing: not counted yet
    failed = api.local.event("checkout.session.async_payment_failed",
                             api.local.session(api.session_of(opened["checkout_url"])), NOW)
    assert api.webhook(failed)[2]["result"] == "applied"
    assert api.stats("tokyo-zine")["rewards"][0]["claimed"] == 0


def test_refunds_are_recorded_once(api):
    opened = api.pledge(campaign="tokyo-zine", amount="5000")
    api.webhook(api.complete(opened["checkout_url"]))
    charge = {"id": "ch_1", "object": "charge", "amount": 5000, "amount_refunded": 2000, "currency": "jpy",
              "metadata": {"pledge_id": opened["pledge_id"]}}
    partial = {"id": "evt_refund_1", "type": "charge.refunded", "data": {"object": charge}}
    assert api.webhook(partial)[2]["result"] == "applied"
    assert api.webhook(partial)[2]["result"] == "duplicate"
    whole = {"id": "evt_refund_2", "type": "charge.refunded",
             "data": {"object": {**charge, "amount_refunded": 5000, "refunded": True}}}
    assert api.webhook(whole)[2]["result"] == "applied"
    stats = api.stats("tokyo-zine")
    assert (stats["raised"], stats["backers"]) == (0, 0)
    assert api.runtime.store.get_pledge(opened["pledge_id"]).status == "refunded"


def test_unknown_and_foreign_events_are_200_ignored(api):
    assert api.webhook({"id": "evt_x", "type": "customer.created", "data": {"object": {}}})[2]["result"] == "ignored"
    foreign = {"id": "evt_y", "type": "checkout.session.completed",
               "data": {"object": {"object": "checkout.session", "metadata": {}}}}
    assert api.webhook(foreign)[:1] == (200,)


def test_forged_or_stale_signatures_are_400_and_write_nothing(api):
    opened = api.pledge(campaign="premier-album", amount="10")
    event = api.complete(opened["checkout_url"])
    status, _, body = api.webhook(event, secret="whsec_someone_else")
    assert (status, body["error"]["code"]) == (400, "bad_signature")
    assert api.webhook(event, timestamp=int(NOW.timestamp()) - 3600)[0] == 400
    raw = json.dumps(event).encode()
    assert api.call("POST", "/api/stripe/webhook", raw)[0] == 400  # no header at all
    # A valid signature over other bytes: the body was altered on the way.
    signature = sign(raw, SECRET, int(NOW.timestamp()))
    tampered = raw.replace(b'"evt_', b'"evX_')
    assert api.call("POST", "/api/stripe/webhook", tampered, headers={"Stripe-Signature": signature})[0] == 400
    assert api.stats("premier-album")["backers"] == 0
    assert not api.runtime.store.has_event(event["id"])
    assert api.webhook(event)[2]["result"] == "applied"


def test_no_webhook_secret_means_no_event_is_accepted(api):
    api.runtime.webhook_secret = None
    event = {"id": "evt_1", "type": "customer.created", "data": {"object": {}}}
    status, headers, body = api.webhook(event)
    assert (status, body["error"]["code"]) == (503, "unavailable")


# -- reads ---------------------------------------------------------------------------------

def test_stats_are_public_cached_briefly_and_exact(api):
    status, headers, body = api.call("GET", "/api/campaigns/premier-album/stats")
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=5"
    assert body == {"campaign": "premier-album", "currency": "EUR", "goal": 850050, "raised": 0, "collected": 0, "backers": 0,
                    "status": "live", "ends": "2026-12-15T23:59:59+01:00",
                    "rewards": [{"id": "digital", "claimed": 0, "limit": None, "remaining": None, "backers": 0},
                                {"id": "vinyl", "claimed": 0, "limit": 300, "remaining": 300, "backers": 0}],
                    "history": [], "updated_at": None}
    assert api.call("GET", "/api/campaigns/atelier-clos/stats")[2]["status"] == "ended"
    assert api.call("GET", "/api/campaigns/nope/stats")[0] == 404
    # each reward says how many backers chose it: a held unit is not a backer yet, a pledge is
    opened = api.pledge(campaign="premier-album", reward="vinyl")
    assert api.stats("premier-album")["rewards"][1]["backers"] == 0
    api.webhook(api.complete(opened["checkout_url"]))
    assert [(r["id"], r["claimed"], r["backers"]) for r in api.stats("premier-album")["rewards"]] == [
        ("digital", 0, 0), ("vinyl", 1, 1)]


def test_the_thanks_page_reads_its_pledge_without_personal_data(api):
    opened = api.pledge(campaign="premier-album", reward="digital")
    session = api.session_of(opened["checkout_url"])
    api.webhook(api.complete(opened["checkout_url"], email="secret@example.org", name="Secret Name"))
    status, _, body = api.call("GET", f"/api/pledges/{session}")
    assert status == 200
    assert body["pledge_id"] == opened["pledge_id"]
    assert (body["campaign"], body["reward"], body["amount"], body["currency"], body["status"]) == \
        ("premier-album", "digital", 1000, "EUR", "pledged")
    assert len(body["ref_code"]) == 8
    assert "secret" not in json.dumps(body).lower()
    assert api.call("GET", "/api/pledges/cs_unknown")[0] == 404
    # The backer's own code leads to what it brought.
    status, _, referral = api.call("GET", f"/api/referrals/{body['ref_code']}")
    assert (status, referral["pledges"], referral["campaign"]) == (200, 0, "premier-album")
    assert api.call("GET", "/api/referrals/unknowncode")[0] == 404
    assert api.call("GET", "/api/referrals/bad%20code")[0] == 400
    status, _, body = api.call("GET", "/api/referrals/" + "a" * 65)
    assert (status, body["error"]["code"]) == (400, "invalid")  # too long is a bad code, as documented


def test_a_browser_form_gets_its_error_as_a_page_with_the_same_status(api):
    api.pledge(campaign="tokyo-zine", reward="zine")
    api.pledge(campaign="tokyo-zine", reward="zine")
    status, headers, body = api.call(
        "POST", "/api/pledges", {"campaign": "tokyo-zine", "reward": "zine"},
        content_type="application/x-www-form-urlencoded",
        headers={"Accept": "text/html,application/xhtml+xml", "Referer": "https://fund.example.org/en/campaigns/tokyo-zine/?<x>"})
    assert status == 409
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Other backers just took the last units of this reward" in body and "&#x27;zine&#x27;" not in body
    assert 'href="https://fund.example.org/en/campaigns/tokyo-zine/?&lt;x&gt;"' in body
    assert 'class="site-header"' in body and "Fixture fund" in body  # the site's own frame and name


BROWSER = {"Accept": "text/html,application/xhtml+xml"}


@pytest.mark.parametrize("fields, lang, words", [
    ({"campaign": "premier-album", "amount": "douze"}, "fr",
     "Nous n’avons pas pu lire ce montant : écrivez-le en chiffres, par exemple 12,50\u00a0€."),
    ({"campaign": "premier-album", "reward": "vinyl", "amount": "20"}, "fr",
     "Cette contrepartie commence à 37,50\u00a0€ (livraison et suppléments compris)"),
    ({"campaign": "premier-album", "reward": "vinyl", "amount": "20", "lang": "en"}, "en",
     "This reward starts at €37.50 (shipping and add-ons included)"),
    ({"campaign": "premier-album", "amount": "12,50", "lang": "en"}, "en",
     "We could not read this amount: write it in digits, for example €12.50."),
    ({"campaign": "premier-album", "amount": "0,10"}, "fr", "Le plus petit montant qu’une carte peut payer est 0,50\u00a0€."),
    ({"campaign": "premier-album"}, "fr", "Indiquez un montant."),
    ({"campaign": "premier-album", "reward": "nope"}, "fr", "Cette campagne ou cette contrepartie n’existe pas"),
])
def test_a_refused_form_is_told_in_the_pages_language_in_plain_words(api, fields, lang, words):
    status, headers, body = api.call("POST", "/api/pledges", fields, content_type="application/x-www-form-urlencoded",
                                     headers=BROWSER)
    assert 400 <= status < 500 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert f'<html lang="{lang}">' in body and html.unescape(body).count(words) == 1, body
    assert "&#x27;amount&#x27;" not in body and "EUR" not in body  # no developer words, no code for the money
    assert ("Rien n’a été débité." if lang == "fr" else "Nothing was charged.") in html.unescape(body)
    assert 'href="/"' in body or 'href="/en/"' in body or "fund.example.org/" in body  # a way home


def test_a_mistyped_private_link_is_a_page_in_the_sites_language_not_json(api):
    api.runtime.secret = SECRET
    status, headers, body = api.call("GET", "/api/manage/pl_nope.abcdef", headers=BROWSER)
    assert (status, headers["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert '<html lang="fr">' in body and "Ce lien ne fonctionne pas" in html.unescape(body)
    assert "Ouvrez-le à nouveau depuis votre e-mail, en entier." in html.unescape(body)
    # a program asking for JSON still gets the documented error JSON
    status, headers, body = api.call("GET", "/api/manage/pl_nope.abcdef")
    assert (status, body["error"]["code"]) == (404, "not_found")


def test_a_refund_without_metadata_is_found_by_its_payment_intent(api):
    opened = api.pledge(campaign="tokyo-zine", amount="5000")
    api.webhook(api.complete(opened["checkout_url"]))
    intent = api.runtime.store.get_pledge(opened["pledge_id"]).payment_intent_id
    assert intent
    charge = {"id": "ch_2", "object": "charge", "amount": 5000, "amount_refunded": 5000, "refunded": True,
              "currency": "jpy", "metadata": {}, "payment_intent": intent}
    assert api.webhook({"id": "evt_r", "type": "charge.refunded", "data": {"object": charge}})[2]["result"] == "applied"
    assert api.stats("tokyo-zine")["raised"] == 0


def test_the_referral_leaderboard_is_shown_only_where_the_creator_opted_in(api):
    for ref, amount in (("aiko_friends", "5000"), ("aiko_friends", "2000"), ("bookshop", "9000"), (None, "100")):
        fields = {"campaign": "tokyo-zine", "amount": amount, **({"ref": ref} if ref else {})}
        api.webhook(api.complete(api.pledge(**fields)["checkout_url"]))
    status, headers, body = api.call("GET", "/api/campaigns/tokyo-zine/referrals")
    assert (status, headers["Cache-Control"]) == (200, "public, max-age=30")
    assert body == {"campaign": "tokyo-zine", "currency": "JPY", "referrals": [
        {"code": "bookshop", "pledges": 1, "raised": 9000}, {"code": "aiko_friends", "pledges": 2, "raised": 7000}]}
    assert api.call("GET", "/api/campaigns/premier-album/referrals")[0] == 404
    assert api.call("GET", "/api/campaigns/nope/referrals")[0] == 404
