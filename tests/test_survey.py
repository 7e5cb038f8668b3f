"""The pledge manager: `survey:` in front matter, the survey mail after settlement, the signed
survey page (answers and address, in the backer's language), `cagnotte lock` and the export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from conftest import FIXTURE, NOW, write
from functions import http, router
from functions.core import flows, tokens
from functions.core.pledge import COLLECTED, PLEDGED, Pledge
from functions.runtime import Runtime, install
from generator.cli import main

SECRET = "survey-secret"
AFTER = dt.datetime(2026, 12, 20, 9, 0, tzinfo=dt.timezone.utc)  # premier-album ended 2026-12-15
SURVEY = """survey:
  - id: size
    question: "Votre taille de t-shirt ?"
    kind: choice
    choices: [S, M, L]
    required: true
    rewards: [vinyl]
  - id: dedication
    question: "Le prénom pour la dédicace"
    kind: text
"""
SURVEY_EN = """survey:
  - { id: size, question: "Your T-shirt size?", choices: [Small, Medium, Large] }
  - { id: dedication, question: "The first name for the dedication" }
"""
SHIPPING = {"name": "Ana Martin", "address": {"line1": "3 rue des Capucins", "line2": "", "postal_code": "69001",
                                              "city": "Lyon", "state": "", "country": "FR"}}


def with_survey(root):
    index = root / "content/campaigns/premier-album/index.md"
    index.write_text(index.read_text(encoding="utf-8").replace("risks:", SURVEY + "risks:", 1), encoding="utf-8")
    en = root / "content/campaigns/premier-album/index.en.md"
    en.write_text(en.read_text(encoding="utf-8").replace("stretch_goals:", SURVEY_EN + "stretch_goals:", 1),
                  encoding="utf-8")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from generator.build import build

    root = tmp_path_factory.mktemp("survey") / "site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    with_survey(root)
    build(root, now=NOW)
    return root


class World:
    def __init__(self, runtime: Runtime, root):
        self.runtime, self.root, self.store = runtime, root, runtime.store

    def pledge(self, n: int, *, reward: str | None = "vinyl", status: str = COLLECTED, lang: str | None = None,
               shipping: dict | None = SHIPPING) -> Pledge:
        p = Pledge(id=f"pl_survey{n:04d}", campaign="premier-album", reward=reward, amount=3750, currency="EUR",
                   mode="setup", status=status, created_at=NOW + dt.timedelta(minutes=n), expires_at=NOW,
                   ref_code=f"sv{n:06d}", email=f"backer{n}@example.org", name="Ana Martin", country="FR",
                   shipping=shipping if reward == "vinyl" else None, lang=lang)
        self.store.open_pledge(p, None)
        return p

    def call(self, method: str, path: str, fields: dict | None = None) -> tuple[int, str]:
        body = urlencode(fields or {}).encode()
        headers = {"Accept": "text/html", **({"Content-Type": "application/x-www-form-urlencoded"} if fields else {})}
        response = router.dispatch(http.event_from(method, path, headers, body))
        return response["statusCode"], response["body"]

    def survey_path(self, pledge: Pledge) -> str:
        return f"/api/survey/{tokens.make('survey', pledge.id, SECRET)}"

    def cli(self, *args: str):
        return CliRunner().invoke(main, ["--site", str(self.root), *args], catch_exceptions=False)


@pytest.fixture
def world(built, store_url, monkeypatch):
    runtime = Runtime(catalog_path=built / "_site" / "catalog.json", store_url=store_url, webhook_secret="whsec_x",
                      origin="http://127.0.0.1:8000", clock=lambda: AFTER)
    runtime.secret = SECRET
    install(runtime)
    for name, value in {"CAGNOTTE_STORE": store_url, "CAGNOTTE_SECRET": SECRET,
                        "SOURCE_DATE_EPOCH": str(int(AFTER.timestamp()))}.items():
        monkeypatch.setenv(name, value)
    yield World(runtime, built)
    runtime.store.close()
    install(None)


ANSWERS = {"q-size": "M", "q-dedication": "Pour Zoé", "address-name": "Ana Martin", "address-line1": "5 quai Saint-Vincent",
           "address-postal_code": "69001", "address-city": "Lyon", "address-country": "FR"}


# -- front matter ------------------------------------------------------------------

def test_survey_mistakes_are_reported_with_their_lines(site, cli):
    write(site, "content/campaigns/premier-album/index.md",
          (FIXTURE / "content/campaigns/premier-album/index.md").read_text(encoding="utf-8").replace("risks:", """survey:
  - id: size
    question: "Taille ?"
    kind: choise
    rewards: [poster]
  - id: size
    question: "Couleur ?"
    kind: choice
    choices: [rouge]
  - id: note
    question: "Un mot ?"
    kind: text
    choices: [a, b]
risks:""", 1))
    write(site, "content/campaigns/premier-album/index.en.md",
          (FIXTURE / "content/campaigns/premier-album/index.en.md").read_text(encoding="utf-8").replace(
              "stretch_goals:", "survey:\n  - { id: colour, question: \"Colour?\" }\nstretch_goals:", 1))
    result = cli("--site", str(site), "check")
    assert result.exit_code == 1
    source = f"{site}/content/campaigns/premier-album/index.md"
    lines = [line for line in result.output.splitlines() if "survey" in line]
    assert lines == [
        f"{source}:34: 'survey[1].kind' must be one of choice, text, not 'choise' (did you mean 'choice'?)",
        f"{source}:35: 'survey[1].rewards': reward 'poster' does not exist in 'rewards'",
        f"{source}:36: survey question id 'size' is used twice: ids must be unique in a campaign",
        f"{source}:39: 'survey[2].choices' must list at least two answers for a choice question",
        f"{source}:43: 'survey[3].choices' is only for kind: choice",
    ]


def test_a_translation_names_existing_questions_and_translates_every_choice(site, cli):
    with_survey(site)
    en = site / "content/campaigns/premier-album/index.en.md"
    en.write_text(en.read_text(encoding="utf-8").replace("[Small, Medium, Large]", "[Small, Medium]")
                  .replace("id: dedication", "id: dedicace").replace(
                      "stretch_goals:", "  - { id: dedication, choices: [a, b] }\nstretch_goals:", 1), encoding="utf-8")
    result = cli("--site", str(site), "check")
    assert result.exit_code == 1
    source = f"{site}/content/campaigns/premier-album/index.en.md"
    assert f"{source}:8: survey question 'size' has 3 choices in index.md: translate each of them, in the same order" \
        in result.output
    assert f"{source}:9: survey question 'dedicace' does not exist in index.md" in result.output
    assert f"{source}:10: survey question 'dedication' is a text question: it has no choices to translate" \
        in result.output


def test_the_catalog_carries_the_questions_and_their_translations(built):
    from functions.core.catalog import Catalog

    campaign = Catalog.from_json((built / "_site" / "catalog.json").read_text()).campaigns["premier-album"]
    assert [(q.id, q.kind, q.choices, q.required, q.rewards) for q in campaign.survey] == [
        ("size", "choice", ("S", "M", "L"), True, ("vinyl",)), ("dedication", "text", (), False, ())]
    assert [q.id for q in campaign.questions_for("digital")] == ["dedication"]
    assert campaign.page("en").question_text(campaign.survey[0]) == ("Your T-shirt size?", ("Small", "Medium", "Large"))
    assert campaign.page("fr").question_text(campaign.survey[0]) == ("Votre taille de t-shirt ?", ("S", "M", "L"))


# -- the mail -----------------------------------------------------------------------

def test_the_scheduled_run_invites_each_settled_backer_once(world):
    settled = world.pledge(1)
    digital = world.pledge(2, reward="digital")
    waiting = world.pledge(3, status=PLEDGED)  # not collected: no survey yet
    runtime = world.runtime
    early = flows.queue_scheduled_mail(catalog=runtime.catalog, store=world.store, links=runtime.links,
                                       now=NOW)
    assert early == 0 and world.store.get_mail(f"survey:{settled.id}") is None  # before the deadline: nothing
    queued = flows.queue_scheduled_mail(catalog=runtime.catalog, store=world.store, links=runtime.links, now=AFTER)
    assert queued == 2
    mail = world.store.get_mail(f"survey:{settled.id}")
    assert mail.kind == "survey" and mail.to == "backer1@example.org"
    assert mail.values["survey_url"] == "http://127.0.0.1:8000" + world.survey_path(settled)
    assert world.store.get_mail(f"survey:{digital.id}") is not None  # asked the question of every reward
    assert world.store.get_mail(f"survey:{waiting.id}") is None
    assert flows.queue_scheduled_mail(catalog=runtime.catalog, store=world.store, links=runtime.links,
                                      now=AFTER + dt.timedelta(hours=1)) == 0
    runtime.send_due_mail()
    sent = world.store.get_mail(f"survey:{settled.id}")
    assert sent.status == "sent"


# -- the page -----------------------------------------------------------------------

def test_the_page_shows_the_rewards_questions_and_the_checkout_address_and_get_changes_nothing(world):
    p = world.pledge(1)
    status, page = world.call("GET", world.survey_path(p))
    assert status == 200
    assert "Votre questionnaire" in page and "Votre taille de t-shirt ?" in page and "Le prénom pour la dédicace" in page
    assert 'name="q-size" value="M"' in page and 'value="3 rue des Capucins"' in page
    assert '<option value="CH">' in page  # the countries the vinyl ships to
    assert world.store.get_survey(p.id) is None
    digital = world.pledge(2, reward="digital")
    status, page = world.call("GET", world.survey_path(digital))
    assert status == 200 and "Le prénom pour la dédicace" in page
    assert "Votre taille" not in page and "address-line1" not in page  # not its reward's question; nothing ships


def test_answers_are_checked_in_the_backers_language_and_nothing_is_saved_until_they_are_right(world):
    p = world.pledge(1)
    path = world.survey_path(p)
    status, page = world.call("POST", path, {**ANSWERS, "q-size": ""})
    assert status == 400 and "Répondez à cette question." in page and 'aria-invalid="true"' in page
    assert 'value="5 quai Saint-Vincent"' in page  # what was typed stays in the form
    status, page = world.call("POST", path, {**ANSWERS, "q-size": "XXL"})
    assert status == 400 and "Choisissez l’une des réponses proposées." in page
    status, page = world.call("POST", path, {**ANSWERS, "q-dedication": "x" * 1001})
    assert status == 400 and "au plus 1000 caractères" in page
    status, page = world.call("POST", path, {**ANSWERS, "address-country": "US", "address-city": ""})
    assert status == 400 and "n’est livrée que vers : FR, BE, CH" in page and "le colis en a besoin" in page
    assert world.store.get_survey(p.id) is None
    status, page = world.call("POST", path, ANSWERS)
    assert status == 200 and "vos réponses et votre adresse sont enregistrées" in page
    saved = world.store.get_survey(p.id)
    assert saved.answers == {"size": "M", "dedication": "Pour Zoé"}
    assert saved.address["line1"] == "5 quai Saint-Vincent" and saved.answered_at == AFTER
    status, page = world.call("GET", path)
    assert 'value="M" checked' in page and 'value="5 quai Saint-Vincent"' in page


def test_an_english_backer_reads_the_survey_in_english(world):
    p = world.pledge(1, lang="en")
    status, page = world.call("GET", world.survey_path(p))
    assert status == 200 and "Your survey" in page and "Your T-shirt size?" in page and "> Medium</label>" in page
    status, page = world.call("POST", world.survey_path(p), {**ANSWERS, "q-size": ""})
    assert status == 400 and "Answer this question." in page
    world.call("POST", world.survey_path(p), ANSWERS)
    assert world.store.get_survey(p.id).answers["size"] == "M"  # stored as index.md writes it


def test_before_settlement_the_page_answers_nothing_and_other_tokens_open_nothing(world):
    waiting = world.pledge(1, status=PLEDGED)
    status, page = world.call("GET", world.survey_path(waiting))
    assert status == 200 and "ouvre une fois la campagne terminée" in page
    status, _ = world.call("POST", world.survey_path(waiting), ANSWERS)
    assert status == 409 and world.store.get_survey(waiting.id) is None
    refunded = world.pledge(3, status="refunded")
    status, page = world.call("GET", world.survey_path(refunded))
    assert status == 200 and "Pas de questionnaire pour cette contribution" in page and 'name="q-size"' not in page
    settled = world.pledge(2)
    for token in (tokens.make("manage", settled.id, SECRET), tokens.make("survey", settled.id, "other-secret")):
        status, _ = world.call("GET", f"/api/survey/{token}")
        assert status == 404


def test_the_manage_page_links_to_the_survey_after_settlement(world):
    p = world.pledge(1)
    status, page = world.call("GET", f"/api/manage/{tokens.make('manage', p.id, SECRET)}")
    assert status == 200 and world.survey_path(p) in page and "Répondre au questionnaire du créateur" in page
    waiting = world.pledge(2, status=PLEDGED)
    _, page = world.call("GET", f"/api/manage/{tokens.make('manage', waiting.id, SECRET)}")
    assert "/api/survey/" not in page


# -- lock and export ------------------------------------------------------------------

def test_locked_addresses_show_the_answers_read_only(world):
    p = world.pledge(1)
    world.call("POST", world.survey_path(p), ANSWERS)
    world.pledge(2)
    result = world.cli("lock", "premier-album")
    assert result.exit_code == 0, result.output
    assert result.output == ("addresses of 'premier-album' locked for shipping (since 2026-12-20T09:00:00+00:00): "
                             "1 of 2 settled backer(s) answered the survey; `cagnotte backers premier-album` "
                             "exports their answers and addresses\n")
    assert "already locked" in world.cli("lock", "premier-album").output
    status, page = world.call("GET", world.survey_path(p))
    assert status == 200 and "verrouillé les adresses pour l’expédition" in page
    assert 'name="q-size"' not in page and 'name="address-line1"' not in page  # read-only
    assert "<dd>M</dd>" in page and "5 quai Saint-Vincent" in page
    status, page = world.call("POST", world.survey_path(p), {**ANSWERS, "q-size": "L"})
    assert status == 409 and world.store.get_survey(p.id).answers["size"] == "M"
    assert flows.queue_scheduled_mail(catalog=world.runtime.catalog, store=world.store, links=world.runtime.links,
                                      now=AFTER) == 0  # no invitation once locked


def test_lock_refuses_a_campaign_without_a_survey(world):
    result = world.cli("lock", "tokyo-zine")
    assert result.exit_code == 1
    assert "'tokyo-zine' has no survey: there are no addresses to lock" in result.output
    assert world.store.addresses_locked("tokyo-zine") is None


def test_a_survey_answer_appears_in_the_export(world):
    p = world.pledge(1)
    world.pledge(2)
    world.call("POST", world.survey_path(p), ANSWERS)
    result = world.cli("backers", "premier-album")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    header = result.output.splitlines()[0].split(",")
    assert header[-10:] == ["survey_answered_at", "confirmed_name", "confirmed_line1", "confirmed_line2",
                            "confirmed_postal_code", "confirmed_city", "confirmed_state", "confirmed_country",
                            "survey_size", "survey_dedication"]
    answered = next(r for r in rows if r["pledge_id"] == p.id)
    assert (answered["survey_size"], answered["survey_dedication"]) == ("M", "Pour Zoé")
    assert answered["confirmed_line1"] == "5 quai Saint-Vincent" and answered["shipping_line1"] == "3 rue des Capucins"
    other = next(r for r in rows if r["pledge_id"] != p.id)
    assert other["survey_size"] == "" and other["confirmed_line1"] == ""
    records = json.loads(world.cli("backers", "premier-album", "--format", "json").output)
    assert next(r for r in records if r["pledge_id"] == p.id)["survey_size"] == "M"


def test_a_backers_answer_is_shown_escaped_and_a_json_post_is_checked_the_same(world):
    p = world.pledge(1)
    hostile = '"><script>alert(1)</script>'
    status, page = world.call("POST", world.survey_path(p), {**ANSWERS, "q-dedication": hostile,
                                                             "address-line2": hostile})
    assert status == 200 and "<script>alert" not in page and "&lt;script&gt;" in page
    response = router.dispatch(http.event_from("POST", world.survey_path(p), {"Content-Type": "application/json"},
                                               json.dumps({"q-size": ["M"], "q-dedication": 7}).encode()))
    assert response["statusCode"] == 400  # not text: unanswered, and the size is required
    assert world.store.get_survey(p.id).answers["dedication"] == hostile  # the earlier answers stand
