"""A backer's private manage link: see, change, cancel before the deadline; forged tokens refused."""

from __future__ import annotations

import re

import pytest

from functions.core import tokens
from test_api import NOW, api, catalog_path  # noqa: F401 - fixtures

SECRET = "site-secret-for-tests"


@pytest.fixture
def backer(api):  # noqa: F811
    api.runtime.secret = SECRET
    opened = api.pledge(campaign="premier-album", reward="vinyl")
    session = api.session_of(opened["checkout_url"])
    api.webhook(api.complete(opened["checkout_url"]))
    view = api.call("GET", f"/api/pledges/{session}")[2]
    return api, view


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_the_thanks_page_gets_a_private_manage_link(backer):
    api, view = backer
    assert view["manage_url"].startswith("http://127.0.0.1:8000/api/manage/" + view["pledge_id"] + ".")
    status, headers, page = api.call("GET", path_of(view["manage_url"]))
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Vinyle dédicacé" in page and "37,50\u00a0€" in page  # CLDR French, from mail.json's patterns
    assert "carte enregistrée" in page  # the campaign's language


def test_forged_altered_or_misused_tokens_open_nothing(backer):
    api, view = backer
    good = path_of(view["manage_url"]).rsplit("/", 1)[1]
    pledge_id = view["pledge_id"]
    for token in (f"{pledge_id}.AAAA", tokens.make("manage", pledge_id, "another-secret"),
                  tokens.make("fix", pledge_id, SECRET), good[:-1] + ("A" if good[-1] != "A" else "B"),
                  "pl_other." + good.split(".")[1]):
        status, _, body = api.call("GET", f"/api/manage/{token}")
        assert status == 404, token
        status, _, _ = api.call("POST", f"/api/manage/{token}", {"action": "cancel"},
                                content_type="application/x-www-form-urlencoded")
        assert status == 404
    assert api.stats("premier-album")["backers"] == 1


def test_cancel_releases_the_unit_and_uncounts(backer):
    api, view = backer
    status, _, page = api.call("POST", path_of(view["manage_url"]), {"action": "cancel"},
                               content_type="application/x-www-form-urlencoded")
    assert status == 200 and "Votre contribution est annulée" in page
    stats = api.stats("premier-album")
    assert (stats["raised"], stats["backers"], stats["rewards"][1]["claimed"]) == (0, 0, 0)
    # Cancelling twice changes nothing more.
    status, _, page = api.call("POST", path_of(view["manage_url"]), {"action": "cancel"},
                               content_type="application/x-www-form-urlencoded")
    assert status == 409
    assert api.stats("premier-album")["backers"] == 0


def test_moving_to_another_reward_moves_units_and_money(backer):
    api, view = backer
    status, _, page = api.call("POST", path_of(view["manage_url"]), {"action": "change", "reward": "digital"},
                               content_type="application/x-www-form-urlencoded")
    assert status == 200 and "modifiée" in page
    stats = api.stats("premier-album")
    assert (stats["raised"], stats["backers"]) == (1000, 1)
    assert [r["claimed"] for r in stats["rewards"]] == [1, 0]
    status, _, page = api.call("POST", path_of(view["manage_url"]), {"action": "change", "reward": "digital",
                                                                      "amount": "5"},
                               content_type="application/x-www-form-urlencoded")
    assert status == 400
    assert api.stats("premier-album")["raised"] == 1000


def test_a_paid_flexible_pledge_cannot_change(api):  # noqa: F811
    api.runtime.secret = SECRET
    first = api.pledge(campaign="tokyo-zine", amount="5000")
    api.webhook(api.complete(first["checkout_url"]))
    # tokyo-zine is flexible: its pledges are paid, so they cannot change at all.
    view = api.call("GET", f"/api/pledges/{api.session_of(first['checkout_url'])}")[2]
    status, _, page = api.call("POST", path_of(view["manage_url"]), {"action": "change", "reward": "zine"},
                               content_type="application/x-www-form-urlencoded")
    assert status == 409 and "refund" in page
    # the page says why and what is possible, in the campaign's language, before anyone tries
    status, _, page = api.call("GET", path_of(view["manage_url"]))
    assert status == 200 and "Flexible funding" in page and 'name="action"' not in page


def test_the_thanks_page_offers_what_each_funding_model_allows(out_site):
    flexible = (out_site / "en/campaigns/tokyo-zine/thanks/index.html").read_text()
    kept = (out_site / "en/campaigns/premier-album/thanks/index.html").read_text()
    assert "See your pledge" in flexible and "Change or cancel" not in flexible
    assert "See your pledge" not in kept and "Change or cancel your pledge" in kept
    french = (out_site / "campaigns/tokyo-zine/thanks/index.html").read_text()
    assert "Voir votre contribution" in french


def test_nothing_changes_after_the_deadline(backer):
    api, view = backer
    import datetime as dt

    api.runtime.clock = lambda: dt.datetime(2026, 12, 16, tzinfo=dt.timezone.utc)
    status, _, page = api.call("POST", path_of(view["manage_url"]), {"action": "cancel"},
                               content_type="application/x-www-form-urlencoded")
    assert status == 410
    assert api.stats("premier-album")["backers"] == 1


def test_without_a_secret_no_link_is_made_or_accepted(api):  # noqa: F811
    api.runtime.secret = None
    opened = api.pledge(campaign="premier-album", amount="10")
    api.webhook(api.complete(opened["checkout_url"]))
    view = api.call("GET", f"/api/pledges/{api.session_of(opened['checkout_url'])}")[2]
    assert view["manage_url"] is None
    token = tokens.make("manage", opened["pledge_id"], "")
    assert api.call("GET", f"/api/manage/{token}")[0] == 503


@pytest.fixture(scope="module")
def out_site(catalog_path):  # noqa: F811 - the site test_api built
    return catalog_path.parent


def test_an_english_pledge_is_managed_in_english_and_amounts_read_as_each_language_writes_them(api):  # noqa: F811
    api.runtime.secret = SECRET
    opened = api.pledge(campaign="premier-album", reward="vinyl", lang="en")
    api.webhook(api.complete(opened["checkout_url"]))
    view = api.call("GET", f"/api/pledges/{api.session_of(opened['checkout_url'])}")[2]
    status, _, page = api.call("GET", path_of(view["manage_url"]))
    assert status == 200 and '<html lang="en">' in page
    assert "Lina&#x27;s first album" in page and "€37.50" in page and "Vinyle" not in page
    assert 'href="http://127.0.0.1:8000/en/campaigns/premier-album/"' in page
    status, _, page = api.call("POST", path_of(view["manage_url"]), {"action": "change", "reward": "", "amount": "1,040.50"},
                               content_type="application/x-www-form-urlencoded")
    assert status == 200 and "€1,040.50" in page
    assert api.stats("premier-album")["raised"] == 104050


def test_a_french_backer_changes_the_amount_with_a_decimal_comma(backer):
    api, view = backer
    status, _, page = api.call("POST", path_of(view["manage_url"]), {"action": "change", "reward": "", "amount": "100,50"},
                               content_type="application/x-www-form-urlencoded")
    assert status == 200 and "100,50\u00a0€" in page
    assert api.stats("premier-album")["raised"] == 10050
