"""Add-ons and quantities: read from front matter, priced from the catalog, one line each on Checkout."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import NOW
from functions.core import pledge as pledges
from functions.core.catalog import Catalog, CatalogAddon, CatalogCampaign, CatalogPage, CatalogReward, CatalogShipping
from functions.core.errors import Invalid, NotFound
from functions.core.ports import Counters
from functions.core.stats import stats
from functions.payments.stripe_checkout import session_params
from test_validation import CAMPAIGN, GOOD, TRANSLATION, check, problems

ROOT = Path(__file__).parent.parent
SHIP = CatalogShipping(("FR", "BE", "DE"), 800)
CAMP = CatalogCampaign(
    slug="album", title="Album", currency="EUR", goal=800000, funding="all_or_nothing",
    ends=NOW + dt.timedelta(days=10), language="fr", url="https://ex.org/campaigns/album/",
    thanks_url="https://ex.org/campaigns/album/thanks/",
    rewards=(CatalogReward("cd", "CD", 2000, None, CatalogShipping(("FR", "BE"), 400)),
             CatalogReward("vinyl", "Vinyle", 3500, 300, SHIP, max_per_backer=2),
             CatalogReward("digital", "Numérique", 1000)),
    addons=(CatalogAddon("poster", "Affiche", 1500, 100, SHIP, requires=("vinyl",), max_per_backer=3),
            CatalogAddon("patch", "Écusson", 500, None, CatalogShipping(("CH",), 200)),
            CatalogAddon("sticker", "Autocollant", 300)),
    pages=(CatalogPage("fr", "Album", "https://ex.org/campaigns/album/", "https://ex.org/campaigns/album/thanks/",
                       ",", "\u202f", (("vinyl", "Vinyle"),), (("poster", "Affiche"),)),
           CatalogPage("en", "Album", "https://ex.org/en/campaigns/album/", "https://ex.org/en/campaigns/album/thanks/",
                       ".", ",", (("vinyl", "Vinyl"),), (("poster", "Poster"),))))


def opened(fields: dict, campaign: CatalogCampaign = CAMP):
    request = pledges.PledgeRequest.from_fields({"campaign": "album", **fields})
    return pledges.open_pledge(request, campaign, now=NOW, pledge_id="pl_1", ref_code="code1")


def test_the_amount_is_the_items_times_their_quantities_and_one_parcel_of_shipping():
    o = opened({"reward": "vinyl", "quantity": "2", "addon.poster": "3", "addon.sticker": "1"})
    # 2 × 35 + 3 × 15 + 1 × 3, and shipping once at the highest cost of the items (8, not 8 + 8)
    assert o.pledge.amount == 2 * 3500 + 3 * 1500 + 300 + 800
    assert (o.pledge.quantity, o.pledge.addons) == (2, (("poster", 3), ("sticker", 1)))
    assert o.limits == {"vinyl": 300, "poster": 100, "sticker": None}
    assert o.checkout.shipping_countries == ("FR", "BE", "DE")
    assert o.checkout.description == "Vinyle × 2 + Affiche × 3 + Autocollant"
    assert [(line.name, line.amount, line.quantity, line.kind) for line in o.checkout.lines] == [
        ("Vinyle", 3500, 2, "item"), ("Affiche", 1500, 3, "item"), ("Autocollant", 300, 1, "item"),
        ("shipping", 800, 1, "shipping")]


def test_json_addons_and_more_than_the_minimum_make_an_extra_line():
    o = opened({"reward": "vinyl", "addons": {"poster": 1}, "amount": "100", "lang": "en"})
    assert o.pledge.amount == 10000
    lines = o.checkout.lines
    assert [line.name for line in lines] == ["Vinyl", "Poster", "shipping", "support"]
    assert sum(line.amount * line.quantity for line in lines) == o.pledge.amount
    params = session_params(o.checkout.__class__(**{**o.checkout.__dict__, "mode": "payment"}), None)
    assert [(i["price_data"]["product_data"]["name"], i["price_data"]["unit_amount"], i["quantity"])
            for i in params["line_items"]] == [("Vinyl", 3500, 1), ("Poster", 1500, 1), ("Shipping", 800, 1),
                                               ("Extra support", 4200, 1)]


def test_a_single_reward_keeps_its_one_line_and_a_zero_addon_is_none():
    o = opened({"reward": "vinyl", "addon.poster": "0"})
    assert (o.pledge.amount, o.pledge.addons, o.checkout.lines) == (4300, (), ())


def test_shipping_goes_where_every_shipped_item_goes_or_the_pledge_is_refused():
    o = opened({"reward": "cd", "addon.sticker": "1"})
    assert o.checkout.shipping_countries == ("FR", "BE") and o.pledge.amount == 2000 + 300 + 400
    with pytest.raises(Invalid) as refused:
        opened({"reward": "cd", "addon.patch": "1"})  # CD: FR, BE; patch: CH only
    assert refused.value.hint == ("addon_shipping",)


@pytest.mark.parametrize("fields, error, hint", [
    ({"reward": "cd", "addon.poster": "1"}, Invalid, ("addon_requires", "poster")),
    ({"reward": "vinyl", "addon.ghost": "1"}, NotFound, ()),
    ({"reward": "vinyl", "quantity": "3"}, Invalid, ("quantity_range", 1, 2)),
    ({"reward": "vinyl", "quantity": "0"}, Invalid, ("quantity_range", 1, 2)),
    ({"reward": "cd", "quantity": "2"}, Invalid, ("quantity_range", 1, 1)),
    ({"reward": "vinyl", "addon.poster": "4"}, Invalid, ("quantity_range", 0, 3)),
    ({"reward": "vinyl", "addon.poster": "1.5"}, Invalid, ("quantity_unreadable",)),
    ({"reward": "vinyl", "addon.poster": "-1"}, Invalid, ("quantity_unreadable",)),
    ({"addon.sticker": "1", "amount": "20"}, Invalid, ("addon_without_reward",)),
    ({"reward": "vinyl", "addon.poster": "1", "amount": "50"}, Invalid, ("amount_min_reward", 5800, "EUR")),
])
def test_what_the_catalog_does_not_allow_is_refused(fields, error, hint):
    with pytest.raises(error) as refused:
        opened(fields)
    assert tuple(refused.value.hint) == hint


def test_json_addons_must_be_an_object_of_whole_numbers():
    with pytest.raises(Invalid):
        opened({"reward": "vinyl", "addons": ["poster"]})
    with pytest.raises(Invalid):
        opened({"reward": "vinyl", "addons": {"poster": 1.5}})
    assert opened({"reward": "vinyl", "addons": {"poster": 2}}).pledge.addons == (("poster", 2),)


def test_the_catalog_round_trips_addons_and_max_per_backer():
    catalog = Catalog("https://ex.org", {"album": CAMP})
    again = Catalog.from_json(catalog.to_json())
    assert again.campaigns["album"] == CAMP.__class__(**{**CAMP.__dict__, "pages": tuple(sorted(
        CAMP.pages, key=lambda p: p.lang))})


def test_stats_report_each_addons_remaining_units():
    counters = Counters(campaign="album", raised=0, backers=0, collected=0,
                        claimed={"vinyl": 4, "poster": 97, "patch": 5}, chosen={}, days={}, updated_at=None)
    doc = stats(CAMP, counters, NOW)
    assert doc["addons"] == [{"id": "poster", "claimed": 97, "limit": 100, "remaining": 3},
                             {"id": "patch", "claimed": 5, "limit": None, "remaining": None},
                             {"id": "sticker", "claimed": 0, "limit": None, "remaining": None}]


def test_the_stand_in_checks_quantities_as_stripe_does():
    from stripe_server import ApiError, StripeServer

    fake = StripeServer()

    def items(quantity):
        return {"line_items": [{"price_data": {"currency": "eur", "unit_amount": "1500",
                                               "product_data": {"name": "Poster"}}, "quantity": quantity}]}

    assert fake._amount(items("3")) == (4500, "eur")
    for wrong in ("0", "-1", "1.5", "two"):
        with pytest.raises(ApiError) as refused:
            fake._amount(items(wrong))
        assert refused.value.body["error"]["param"] == "line_items[0][quantity]"


# -- front matter -------------------------------------------------------------------

ADDONS = GOOD.replace("""    amount: 10
---""", """    amount: 10
  - id: vinyl
    title: "Vinyle"
    amount: 30
    limit: 50
    max_per_backer: 2
    shipping: { countries: [FR], cost: 6 }
addons:
  - id: poster
    title: "Affiche"
    amount: 15
    limit: 100
    max_per_backer: 3
    requires: [vinyl]
    shipping: { countries: [FR], cost: 6 }
---""")


def test_addons_in_front_matter_are_clean_and_published(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, ADDONS))
    assert code == 0, lines


@pytest.mark.parametrize("change, message", [
    (("    requires: [vinyl]", "    requires: [vinyl, ghost]"),
     f"{CAMPAIGN}:25: 'addons[1].requires': reward 'ghost' does not exist in 'rewards'"),
    (("  - id: poster", "  - id: vinyl"),
     f"{CAMPAIGN}:20: add-on id 'vinyl' is a reward's id: ids must be unique in a campaign"),
    (("    amount: 15", "    amount: 15.555"), f"{CAMPAIGN}:22: 'addons[1].amount': amount '15.555' has more decimals"),
    (("    amount: 15", "    amount: 100000000"), f"{CAMPAIGN}:22: 'addons[1].amount': Stripe cannot charge more"),
    (("    max_per_backer: 3", "    max_per_backer: 300"),
     f"{CAMPAIGN}:24: 'addons[1].max_per_backer' (300) is more than its 'limit' (100)"),
    (("    max_per_backer: 2", "    max_per_backer: 0"), f"{CAMPAIGN}:17: 'rewards[2].max_per_backer' must be at least 1"),
    (("    requires: [vinyl]\n", "    requires: [vinyl]\n    colour: red\n"), f"{CAMPAIGN}:26: unknown field 'addons[1].colour'"),
    (("    shipping: { countries: [FR], cost: 6 }\n---", "    shipping: { pickup: here }\n---"),
     f"{CAMPAIGN}:26: 'addons[1].shipping': an add-on ships with its reward or not at all"),
])
def test_addon_mistakes_are_reported_with_their_line(cli, site, change, message):
    old, new = change
    assert old in ADDONS
    text = ADDONS.replace(old, new, 1) if not old.endswith("---") else ADDONS.replace(old, new)
    code, lines = check(cli, site, (CAMPAIGN, text))
    assert code == 1
    assert any(line.startswith(message) for line in problems(site, lines)), problems(site, lines)


def test_a_translation_names_only_existing_addons(cli, site):
    english = """---
title: "A record"
summary: "One line."
addons:
  - id: poster
    title: "Poster"
  - id: ghost
    title: "Ghost"
---
Story.
"""
    code, lines = check(cli, site, (CAMPAIGN, ADDONS), (TRANSLATION, english))
    assert code == 1
    assert problems(site, lines) == [f"{TRANSLATION}:7: add-on 'ghost' does not exist in index.md"]


# -- the demo, end to end ---------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from generator.build import build

    root = tmp_path_factory.mktemp("demo") / "site"
    root.mkdir()
    shutil.copytree(ROOT / "content", root / "content")
    shutil.copy(ROOT / "site.yml", root / "site.yml")
    build(root, now=NOW)
    return root / "_site"


def test_the_demo_offers_the_poster_with_the_vinyls_only_in_both_languages(demo):
    catalog = Catalog.from_json((demo / "catalog.json").read_text())
    lina = catalog.campaigns["lina-premier-album"]
    poster = lina.addon("affiche")
    assert (poster.limit, poster.requires) == (100, ("vinyle-signe", "paroles-manuscrites"))
    assert lina.page("en").addon_title(poster) == "Screen-printed poster"
    french = (demo / "campaigns/lina-premier-album/index.html").read_text()
    english = (demo / "en/campaigns/lina-premier-album/index.html").read_text()
    for page, legend in ((french, "Ajouter à votre contribution"), (english, "Add to your pledge")):
        cards = {rid: page.split(f'id="reward-{rid}"', 1)[1].split("</article>", 1)[0]
                 for rid in ("cd", "vinyle-signe", "paroles-manuscrites")}
        assert 'name="addon.affiche"' not in cards["cd"] and legend not in cards["cd"]
        for rid in ("vinyle-signe", "paroles-manuscrites"):
            assert 'name="addon.affiche" type="number"' in cards[rid] and legend in cards[rid]
        assert 'name="quantity"' in cards["vinyle-signe"] and 'name="quantity"' not in cards["paroles-manuscrites"]
    assert "Screen-printed poster" in english and "Affiche sérigraphiée" in french


@pytest.fixture
def demo_api(demo, store_url):
    from functions.payments.local import LocalCheckout
    from functions.runtime import Runtime, install
    from test_api import SECRET, Api

    local = LocalCheckout("http://127.0.0.1:8000", SECRET)
    runtime = Runtime(catalog_path=demo / "catalog.json", store_url=store_url, webhook_secret=SECRET,
                      origin="http://127.0.0.1:8000", clock=lambda: NOW, payments_factory=lambda: local)
    install(runtime)
    yield Api(runtime, local)
    runtime.store.close()
    install(None)


def test_a_form_pledge_with_addons_is_priced_held_and_shown(demo_api):
    status, headers, _ = demo_api.call(
        "POST", "/api/pledges", {"campaign": "lina-premier-album", "reward": "vinyle-signe", "quantity": "2",
                                 "addon.affiche": "3", "lang": "en"},
        content_type="application/x-www-form-urlencoded")
    assert status == 303
    session = demo_api.local.session(demo_api.session_of(headers["Location"]))
    assert session.request.amount == 2 * 3500 + 3 * 1500 + 800
    assert session.request.description == "Signed vinyl × 2 + Screen-printed poster × 3"
    doc = demo_api.stats("lina-premier-album")
    assert doc["addons"] == [{"id": "affiche", "claimed": 3, "limit": 100, "remaining": 97}]
    assert next(r for r in doc["rewards"] if r["id"] == "vinyle-signe")["remaining"] == 298
    # JSON too, and a poster with a CD is refused with the reason, in the page's language
    status, _, body = demo_api.call("POST", "/api/pledges", {"campaign": "lina-premier-album", "reward": "cd",
                                                            "addons": {"affiche": 1}})
    assert status == 400 and "affiche" in json.dumps(body)


def test_the_manage_page_shows_the_addons_and_a_move_keeps_those_that_go_with_the_new_reward(demo_api):
    demo_api.runtime.secret = "site-secret-for-tests"
    opened = demo_api.pledge(campaign="lina-premier-album", reward="vinyle-signe", quantity="2",
                             addons={"affiche": 2}, lang="en")
    session = demo_api.session_of(opened["checkout_url"])
    demo_api.webhook(demo_api.complete(opened["checkout_url"]))
    view = demo_api.call("GET", f"/api/pledges/{session}")[2]
    assert (view["status"], view["quantity"], view["addons"]) == ("pledged", 2, {"affiche": 2})
    manage = "/api/manage/" + view["manage_url"].rsplit("/", 1)[1]
    status, _, page = demo_api.call("GET", manage)
    assert status == 200
    assert "<dd>Signed vinyl × 2</dd>" in page and "<dt>Add-ons</dt><dd>Screen-printed poster × 2</dd>" in page
    assert 'name="addon.affiche"' in page and 'value="2"' in page and 'name="quantity.vinyle-signe"' in page
    # To the other vinyl: the posters go with it and stay held; the reward goes back to one unit.
    status, _, page = demo_api.call("POST", manage, {"action": "change", "reward": "paroles-manuscrites"},
                                    content_type="application/x-www-form-urlencoded")
    assert status == 200, page
    doc = demo_api.stats("lina-premier-album")
    claimed = {r["id"]: r["claimed"] for r in doc["rewards"] + doc["addons"]}
    assert (claimed["vinyle-signe"], claimed["paroles-manuscrites"], claimed["affiche"]) == (0, 1, 2)
    assert doc["raised"] == 7000 + 2 * 1500 + 800
    # To the CD: the posters do not go with it and are released.
    demo_api.call("POST", manage, {"action": "change", "reward": "cd"},
                  content_type="application/x-www-form-urlencoded")
    doc = demo_api.stats("lina-premier-album")
    assert (doc["addons"][0]["claimed"], doc["raised"]) == (0, 2000 + 400)


FORM = "application/x-www-form-urlencoded"


def _managed(demo_api, **wanted):
    demo_api.runtime.secret = "site-secret-for-tests"
    opened = demo_api.pledge(campaign="lina-premier-album", **wanted)
    session = demo_api.session_of(opened["checkout_url"])
    demo_api.webhook(demo_api.complete(opened["checkout_url"]))
    view = demo_api.call("GET", f"/api/pledges/{session}")[2]
    return session, "/api/manage/" + view["manage_url"].rsplit("/", 1)[1]


def _claimed(demo_api) -> dict:
    doc = demo_api.stats("lina-premier-album")
    return {item["id"]: item["claimed"] for item in doc["rewards"] + doc["addons"]} | {"raised": doc["raised"]}


def test_the_manage_page_changes_the_addons_and_the_quantity_before_the_deadline(demo_api):
    session, manage = _managed(demo_api, reward="vinyle-signe", addons={"affiche": 1}, lang="en")
    assert _claimed(demo_api) == {**_claimed(demo_api), "vinyle-signe": 1, "affiche": 1, "raised": 3500 + 1500 + 800}
    change = {"action": "change", "reward": "vinyle-signe", "quantity.vinyle-signe": "2", "addon.affiche": "3",
              "addons": "form"}
    status, _, page = demo_api.call("POST", manage, change, content_type=FORM)
    assert status == 200 and "Your pledge is changed." in page, page
    assert "<dd>Signed vinyl × 2</dd>" in page and "<dd>Screen-printed poster × 3</dd>" in page
    view = demo_api.call("GET", f"/api/pledges/{session}")[2]
    assert (view["quantity"], view["addons"], view["amount"]) == (2, {"affiche": 3}, 2 * 3500 + 3 * 1500 + 800)
    claimed = _claimed(demo_api)
    assert (claimed["vinyle-signe"], claimed["affiche"], claimed["raised"]) == (2, 3, 2 * 3500 + 3 * 1500 + 800)
    # Down to none of the add-on (0, as the form sends it): its units go back at once.
    status, _, page = demo_api.call("POST", manage, {**change, "quantity.vinyle-signe": "1", "addon.affiche": "0"},
                                    content_type=FORM)
    assert status == 200 and "<dt>Add-ons</dt>" not in page
    claimed = _claimed(demo_api)
    assert (claimed["vinyle-signe"], claimed["affiche"], claimed["raised"]) == (1, 0, 3500 + 800)
    # An amount above the new total is kept (written as this English page writes it).
    status, _, page = demo_api.call("POST", manage, {**change, "addon.affiche": "1", "amount": "100.50"},
                                    content_type=FORM)
    assert status == 200, re.findall(r"<strong>[^<]*", page)
    assert demo_api.call("GET", f"/api/pledges/{session}")[2]["amount"] == 10050


def test_a_manage_change_past_a_rule_or_a_limit_changes_nothing_and_says_why(demo_api):
    session, manage = _managed(demo_api, reward="vinyle-signe", addons={"affiche": 1})
    before = _claimed(demo_api)
    change = {"action": "change", "reward": "vinyle-signe", "addon.affiche": "1", "addons": "form"}
    refusals = [
        ({**change, "addon.affiche": "4"}, 400, "de 0 à 3"),  # its max_per_backer
        ({**change, "quantity.vinyle-signe": "3"}, 400, "de 1 à 2"),
        ({**change, "reward": "cd"}, 400, "ne va pas avec"),  # the poster goes only with the vinyls
        ({**change, "addon.affiche": "deux"}, 400, "en chiffres"),
        ({**change, "amount": "10"}, 400, "commence à 58"),
        ({**change, "reward": "", "amount": "50"}, 400, "vont avec une contrepartie"),  # an add-on needs a reward
    ]
    for fields, status, said in refusals:
        got, _, page = demo_api.call("POST", manage, fields, content_type=FORM)
        assert got == status and said in page, (fields, page[-2000:])
        assert _claimed(demo_api) == before
    # The last units of a limited add-on: taken by others, a raise is refused whole (the vinyl stays 1 too).
    store = demo_api.runtime.store
    taken = 100 - before["affiche"]
    for n in range(taken // 3 + 1):
        units = min(3, 100 - _claimed(demo_api)["affiche"])
        if units:
            demo_api.webhook(demo_api.complete(demo_api.pledge(campaign="lina-premier-album", reward="vinyle-signe",
                                                               addons={"affiche": units})["checkout_url"]))
    assert _claimed(demo_api)["affiche"] == 100
    got, _, page = demo_api.call("POST", manage, {**change, "quantity.vinyle-signe": "2", "addon.affiche": "2"},
                                 content_type=FORM)
    assert got == 409
    mine = store.pledge_by_session(session)
    assert (mine.quantity, mine.addons) == (1, (("affiche", 1),)) and _claimed(demo_api)["affiche"] == 100
    # Keeping what one holds stays possible on a sold-out add-on.
    got, _, page = demo_api.call("POST", manage, {**change, "quantity.vinyle-signe": "2"}, content_type=FORM)
    assert got == 200 and store.pledge_by_session(session).quantity == 2


def test_the_fulfilment_export_lists_the_quantity_and_addons():
    from functions.core import export

    p = pledges.open_pledge(pledges.PledgeRequest.from_fields(
        {"campaign": "album", "reward": "vinyl", "quantity": "2", "addons": {"poster": 3, "sticker": 1}}),
        CAMP, now=NOW, pledge_id="pl_1", ref_code="code1").pledge
    row = export.rows(CAMP, [p])[0]
    assert (row["quantity"], row["addons"]) == (2, "poster=3; sticker=1")
    assert list(row)[-2:] == ["quantity", "addons"]  # new columns only ever at the end


def test_a_change_keeps_the_parcel_where_the_backer_said_it_goes():
    from functions.core import manage

    pledge = opened({"reward": "vinyl", "addon.poster": "1"}).pledge.replace(status="pledged", country="DE")
    moved, limits = manage.move(pledge, CAMP, "vinyl", None, NOW, quantity="2", addons=(("poster", "2"),))
    assert (moved.quantity, moved.addons, moved.amount) == (2, (("poster", 2),), 2 * 3500 + 2 * 1500 + 800)
    assert limits == {"vinyl": 300, "poster": 100}
    with pytest.raises(Invalid) as refused:  # the CD ships to FR and BE only, and the card's address is in DE
        manage.move(pledge, CAMP, "cd", None, NOW, addons=())
    assert refused.value.hint == ("ships_to", ("FR", "BE"))
    assert manage.move(pledge.replace(country="BE"), CAMP, "cd", None, NOW, addons=())[0].amount == 2000 + 400
    # To no reward with the form's zeros: fine, and no add-on is left.
    bare, _ = manage.move(pledge, CAMP, None, "20", NOW, addons=(("poster", "0"), ("sticker", "")))
    assert (bare.reward, bare.addons, bare.amount) == (None, (), 2000)
