"""How a reward reaches its backer: shipped, collected, lived, or digital — and said so on its card."""

from __future__ import annotations

import json

from conftest import write
from test_validation import CAMPAIGN, GOOD, TRANSLATION, check, problems

REWARDS = GOOD.replace("""    amount: 10
""", """    amount: 10
    shipping: digital
  - id: pain
    title: "Une miche"
    amount: 15
    delivery: 2027-03
    shipping: { pickup: "Boulangerie Martin, 3 place du Marché, Lyon" }
  - id: concert
    title: "Concert à la maison"
    amount: 400
    limit: 5
    delivery: 2027-06
    shipping: { experience: "Chez vous, en France métropolitaine" }
  - id: mug
    title: "Un mug"
    amount: 20
""")
ENGLISH = """---
title: "A record"
summary: "One line."
rewards:
  - id: digital
    title: "Digital album"
  - id: concert
    title: "House concert"
    place: "At your home, in mainland France"
---
Story.
"""


def card(html: str, reward: str) -> str:
    return html.split(f'id="reward-{reward}"', 1)[1].split("</article>", 1)[0]


def test_each_way_a_reward_reaches_its_backer_is_said_on_its_card(cli, site):
    write(site, CAMPAIGN, REWARDS)
    write(site, TRANSLATION, ENGLISH)
    out = site / "_site"
    result = cli("--site", str(site), "build", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    french = (out / "campaigns/essai/index.html").read_text()
    assert "Contrepartie numérique, rien à expédier" in card(french, "digital")
    pain = card(french, "pain")
    assert "À retirer : Boulangerie Martin, 3 place du Marché, Lyon" in pain and "À retirer à partir de mars 2027" in pain
    assert "Livraison" not in pain and "numérique" not in pain
    concert = card(french, "concert")
    assert "Lieu : Chez vous, en France métropolitaine" in concert and "A lieu en juin 2027" in concert
    assert "Limité à 5" in concert
    mug = card(french, "mug")  # says nothing it does not know
    assert "numérique" not in mug and "retirer" not in mug and "Expédié" not in mug
    english = (out / "en/campaigns/essai/index.html").read_text()
    assert "Where: At your home, in mainland France" in card(english, "concert")
    assert "To collect at Boulangerie Martin" in card(english, "pain")  # not translated: the creator's own words
    assert "Digital reward, nothing to ship" in card(english, "digital")
    # nothing ships: Checkout asks for no address
    rewards = {r["id"]: r for r in json.loads((out / "catalog.json").read_text())["campaigns"]["essai"]["rewards"]}
    assert rewards["pain"]["shipping"] is None and rewards["concert"]["shipping"] is None


def test_a_reward_handed_over_wrongly_is_a_problem_with_its_line(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("    amount: 10", "    amount: 10\n    shipping: pikcup")))
    assert code == 1
    assert problems(site, lines) == [
        f"{CAMPAIGN}:13: 'rewards[1].shipping' must be none, digital, {{countries: [FR], cost: 5}}, "
        "{pickup: a place} or {experience: a place}, not 'pikcup'"]
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace(
        "    amount: 10", "    amount: 10\n    shipping: { pickup: Lyon, experience: Lyon }")))
    assert code == 1 and len(problems(site, lines)) == 1 and "exclude each other" in problems(site, lines)[0]
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("    amount: 10", "    amount: 10\n    shipping: { pickup: '' }")))
    assert code == 1 and problems(site, lines)[0].startswith(f"{CAMPAIGN}:13: ")


def test_shipping_at_fulfilment_is_said_on_the_card_and_needs_a_saved_card(cli, site):
    later = GOOD.replace("    amount: 10\n", "    amount: 10\n    shipping: { countries: [FR], cost: 5, at_fulfilment: true }\n")
    write(site, CAMPAIGN, later)
    out = site / "_site"
    result = cli("--site", str(site), "build", "--out", str(out))
    assert result.exit_code == 0, result.stderr
    assert "Livraison : France (+5\u00a0€, débités à l’expédition)" in card((out / "campaigns/essai/index.html").read_text(),
                                                                          "digital")
    [reward] = json.loads((out / "catalog.json").read_text())["campaigns"]["essai"]["rewards"]
    assert reward["shipping"] == {"countries": ["FR"], "cost": 500, "at_fulfilment": True}
    code, lines = check(cli, site, (CAMPAIGN, later.replace("funding: all_or_nothing", "funding: flexible")))
    assert code == 1 and "charges its shipping at fulfilment, which needs the card" in problems(site, lines)[0]
    code, lines = check(cli, site, (CAMPAIGN, later.replace("cost: 5, ", "")))
    assert code == 1 and "'rewards[1].shipping.at_fulfilment' charges the shipping 'cost' later" in problems(site, lines)[0]
