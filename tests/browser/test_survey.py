"""The pledge manager's survey in a real browser, through its own `cagnotte serve` after the deadline:
a settled backer answers on plain forms (no axe violation), is told in plain words what to fix, confirms a
corrected address, and once the creator runs `cagnotte lock` reads the answers read-only."""

from __future__ import annotations

import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from functions.core import tokens
from functions.core.pledge import COLLECTED, Pledge
from test_survey import AFTER, SURVEY  # the same survey and day as the API tests

from .conftest import Served


class SurveyServed(Served):
    """serve on the fixture site with a survey, its clock after the deadline."""

    def __init__(self, work):
        super().__init__(work)
        self.epoch = str(int(AFTER.timestamp()))
        index = self.site / "content/campaigns/premier-album/index.md"
        index.write_text(index.read_text(encoding="utf-8").replace("risks:", SURVEY + "risks:", 1), encoding="utf-8")


@pytest.fixture(scope="module")
def after_deadline(tmp_path_factory):
    server = SurveyServed(tmp_path_factory.mktemp("survey-browser"))
    server.start()
    yield server
    server.stop()


def settled_pledge(served: Served) -> str:
    """A pledge collected at the deadline, written in serve's store; its survey link's path."""
    from functions.store.sqlite import SQLiteStore

    store = SQLiteStore(served.site / ".cagnotte" / "pledges.sqlite3")
    pledge_id = f"pl_browser{int(time.time() * 1000) % 10**9:09d}"
    store.open_pledge(Pledge(
        id=pledge_id, campaign="premier-album", reward="vinyl", amount=3750, currency="EUR", mode="setup",
        status=COLLECTED, created_at=AFTER, expires_at=AFTER, ref_code="b" + pledge_id[-9:], email="ana@example.org",
        name="Ana Martin", country="FR",
        shipping={"name": "Ana Martin", "address": {"line1": "3 rue des Capucins", "postal_code": "69001",
                                                    "city": "Lyon", "country": "FR"}}), None)
    store.close()
    for _ in range(100):  # serve writes its secret as it starts
        secret_file = served.site / ".cagnotte" / "secret"
        if secret_file.exists() and secret_file.read_text().strip():
            break
        time.sleep(0.05)
    return f"/api/survey/{tokens.make('survey', pledge_id, secret_file.read_text().strip())}"


def test_a_settled_backer_answers_the_survey_then_reads_it_locked(new_context, after_deadline):
    context = new_context()  # its base_url is the other serve's: this one's addresses are absolute
    page: Page = context.new_page()
    path = after_deadline.url + settled_pledge(after_deadline)
    page.goto(path)
    expect(page.get_by_role("heading", name="Votre questionnaire")).to_be_visible()
    expect(page.get_by_label("Adresse", exact=True)).to_have_value("3 rue des Capucins")
    assert Axe().run(page).violations_count == 0

    # A wrong choice (as a form without the browser's own checks sends it): said beside the question.
    refused = page.request.post(path, form={"q-size": "XXL", "address-name": "Ana Martin", "address-line1": "x",
                                            "address-city": "Lyon", "address-country": "FR"},
                                headers={"Origin": after_deadline.url, "Accept": "text/html"})
    assert refused.status == 400 and "Choisissez l’une des réponses proposées." in refused.text()

    page.get_by_label("Adresse", exact=True).fill("5 quai Saint-Vincent")
    page.get_by_label("M", exact=True).check()
    page.get_by_label("Le prénom pour la dédicace").fill("Pour Zoé")
    page.get_by_role("button", name="Enregistrer mes réponses").click()
    expect(page.get_by_text("Merci : vos réponses et votre adresse sont enregistrées.")).to_be_visible()
    expect(page.get_by_label("M", exact=True)).to_be_checked()
    expect(page.get_by_label("Adresse", exact=True)).to_have_value("5 quai Saint-Vincent")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()

    from click.testing import CliRunner

    from generator.cli import main

    result = CliRunner().invoke(main, ["--site", str(after_deadline.site), "lock", "premier-album"],
                                env={"SOURCE_DATE_EPOCH": after_deadline.epoch, "CAGNOTTE_STORE": None},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    page.goto(path)
    expect(page.get_by_text("Le créateur a verrouillé les adresses pour l’expédition")).to_be_visible()
    expect(page.get_by_text("5 quai Saint-Vincent")).to_be_visible()
    expect(page.get_by_role("button", name="Enregistrer mes réponses")).to_have_count(0)
    context.close()
