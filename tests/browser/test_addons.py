"""Add-ons in a real browser, on the demo site: chosen in the reward card's form, without JavaScript,
priced by the server; with JavaScript the units left show and a sold-out add-on cannot be ticked."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import expect

from .conftest import NOW_EPOCH, REPO, Served
from .test_pledging import pay

LINA = "/campaigns/lina-premier-album/"


class DemoServed(Served):
    """`cagnotte serve` on a copy of the repository's own demo site."""

    def __init__(self, work: Path):
        self.site = work / "site"
        self.log = work / "serve.log"
        self.site.mkdir()
        shutil.copytree(REPO / "content", self.site / "content")
        shutil.copy(REPO / "site.yml", self.site / "site.yml")
        self.process = None
        self.url = ""
        self.epoch = NOW_EPOCH


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServed]:
    server = DemoServed(tmp_path_factory.mktemp("demo"))
    server.start()
    yield server
    server.stop()


def test_a_backer_adds_posters_and_a_second_vinyl_without_javascript(new_context, demo):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(demo.url + LINA)
    expect(page.locator("#reward-cd input[name='addon.affiche']")).to_have_count(0)
    card = page.locator("#reward-vinyle-signe")
    card.get_by_label("Quantité").fill("2")
    card.get_by_label("Affiche sérigraphiée").fill("3")
    card.get_by_role("button").click()
    page.wait_for_url("**/_cagnotte/checkout/*")
    session = pay(page)
    pledge = context.request.get(f"{demo.url}/api/pledges/{session}").json()
    assert (pledge["reward"], pledge["quantity"], pledge["addons"]) == ("vinyle-signe", 2, {"affiche": 3})
    assert pledge["amount"] == 2 * 3500 + 3 * 1500 + 800  # from the catalog: shipping once


def test_the_units_left_of_an_addon_show_in_every_card_it_goes_with(page, demo):
    page.goto(demo.url + LINA)
    for reward in ("vinyle-signe", "paroles-manuscrites"):
        left = page.locator(f"#reward-{reward} [data-stat='remaining'][data-addon='affiche']")
        expect(left).to_have_text(re.compile(r"^\d+ restants? sur 100$"))


def test_the_button_says_what_the_items_come_to_as_the_backer_picks_them(page, demo):
    page.goto(demo.url + LINA)
    card = page.locator("#reward-vinyle-signe")
    button = card.get_by_role("button")
    expect(button).to_have_text(re.compile(r"^Soutenir pour 35\s€$"))
    card.get_by_label("Quantité").fill("2")
    card.get_by_label("Affiche sérigraphiée").fill("1")
    expect(button).to_have_text(re.compile(r"^Soutenir pour 85\s€$"))  # 2 × 35 + 15, shipping apart
    card.get_by_label("Affiche sérigraphiée").fill("9")  # above its max_per_backer: counted at 3
    expect(button).to_have_text(re.compile(r"^Soutenir pour 115\s€$"))


def test_the_backer_changes_the_addons_and_the_quantity_on_the_manage_page_without_javascript(new_context, demo):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(demo.url + LINA)
    card = page.locator("#reward-vinyle-signe")
    card.get_by_label("Affiche sérigraphiée").fill("1")
    card.get_by_role("button").click()
    page.wait_for_url("**/_cagnotte/checkout/*")
    session = pay(page)
    manage = context.request.get(f"{demo.url}/api/pledges/{session}").json()["manage_url"]
    page.goto(demo.url + "/api/manage/" + manage.rsplit("/", 1)[1])
    form = page.locator("form", has=page.locator("input[name='addons']"))
    expect(form.get_by_label("Affiche sérigraphiée")).to_have_value("1")
    form.get_by_label("Nombre d’exemplaires").first.fill("2")
    form.get_by_label("Affiche sérigraphiée").fill("2")
    form.get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("modifiée")
    expect(page.get_by_text("Vinyle dédicacé × 2")).to_be_visible()
    pledge = context.request.get(f"{demo.url}/api/pledges/{session}").json()
    assert (pledge["quantity"], pledge["addons"], pledge["amount"]) == (2, {"affiche": 2}, 2 * 3500 + 2 * 1500 + 800)
