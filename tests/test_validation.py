"""`cagnotte check`: one test per kind of mistake, each with its exact output."""

from __future__ import annotations

import pytest

from conftest import write

CAMPAIGN = "content/campaigns/essai/index.md"
TRANSLATION = "content/campaigns/essai/index.en.md"

GOOD = """\
---
title: "Un disque"
summary: "Une ligne."
creator: { name: "Lina" }
category: music
goal: 8000
ends: 2026-12-15T23:59:59+01:00
funding: all_or_nothing
rewards:
  - id: digital
    title: "Album numérique"
    amount: 10
---
Story.
"""


def check(cli, site, *files: tuple[str, str]):
    for rel, text in files:
        write(site, rel, text)
    result = cli("--site", str(site), "check")
    return result.exit_code, result.stderr.splitlines()


def problems(site, lines):
    """Problem lines with the site's folder made relative, without the count lines nor warnings.

    (The fixture's hero is a 64×36 image: every check of it warns, see the next test.)
    """
    prefix = str(site) + "/"
    return [line.replace(prefix, "") for line in lines if not line.endswith("found.") and ": warning: " not in line]


def test_the_fixture_is_clean(cli, site):
    result = cli("--site", str(site), "check")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "ok: 3 campaigns, languages fr, en\n"
    # its one warning: a tiny hero keeps the golden files small (tests/test_warnings.py has the others)
    assert result.stderr.replace(str(site) + "/", "").splitlines() == [
        "content/campaigns/premier-album/index.md:7: warning: 'image' cover.png is 64×36 px, narrower than the "
        "1200 px the share card and a sharp screen show it: it will look blurred", "1 warning found."]


def test_unknown_field_suggests_the_close_one(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("summary:", "sumary:")))
    assert code == 1
    assert problems(site, lines) == [
        f"{CAMPAIGN}:1: missing required field 'summary'",
        f"{CAMPAIGN}:3: unknown field 'sumary' (did you mean 'summary'?)",
    ]


def test_nested_unknown_field_names_its_path(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("    amount: 10", "    amount: 10\n    limt: 5")))
    assert problems(site, lines) == [f"{CAMPAIGN}:13: unknown field 'rewards[1].limt' (did you mean 'rewards[1].limit'?)"]


def test_missing_field_points_at_the_front_matter(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("ends: 2026-12-15T23:59:59+01:00\n", "")))
    assert code == 1
    assert problems(site, lines) == [f"{CAMPAIGN}:1: missing required field 'ends'"]


def test_amount_with_too_many_decimals(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("amount: 10", "amount: 10.005")))
    assert problems(site, lines) == [
        f"{CAMPAIGN}:12: 'rewards[1].amount': amount '10.005' has more decimals than EUR allows (at most 2 decimals)"]


def test_yen_has_no_decimals(cli, site):
    # A 1000 JPY reward: 10 JPY would be below Stripe's minimum charge (50 JPY), another problem.
    text = GOOD.replace("goal: 8000", "goal: 8000.5\ncurrency: JPY").replace("amount: 10", "amount: 1000")
    code, lines = check(cli, site, (CAMPAIGN, text))
    assert problems(site, lines) == [
        f"{CAMPAIGN}:6: 'goal': amount '8000.5' has more decimals than JPY allows (no decimals)"]


def test_amount_that_is_not_a_number(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("goal: 8000", "goal: huit mille")))
    assert problems(site, lines) == [f"{CAMPAIGN}:6: 'goal': amount 'huit mille' is not a decimal number"]


def test_unknown_currency(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("goal: 8000", "goal: 8000\ncurrency: EURO")))
    assert problems(site, lines) == [f"{CAMPAIGN}:7: 'currency' must be an ISO 4217 code such as EUR, not 'EURO'"]


def test_invalid_yaml_gives_its_line(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace('summary: "Une ligne."', 'summary: "Une ligne.')))
    assert code == 1
    [line] = problems(site, lines)
    assert line.startswith(f"{CAMPAIGN}:4: invalid YAML: ")


def test_missing_front_matter(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, "Just a story.\n"))
    assert problems(site, lines) == [f"{CAMPAIGN}:1: missing front matter: the file must start with a line '---'"]


def test_wrong_shape(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace('creator: { name: "Lina" }', 'creator: "Lina"')))
    assert problems(site, lines) == [f"{CAMPAIGN}:4: 'creator' must be a mapping of fields"]


def test_bad_choice_suggests(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("funding: all_or_nothing", "funding: flexibel")))
    assert problems(site, lines) == [
        f"{CAMPAIGN}:8: 'funding' must be one of all_or_nothing, flexible, not 'flexibel' (did you mean 'flexible'?)"]


def test_bad_date(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("ends: 2026-12-15T23:59:59+01:00", "ends: 15/12/2026")))
    assert problems(site, lines) == [
        f"{CAMPAIGN}:7: 'ends' must be a date and time such as 2026-12-15T23:59:59+01:00, not '15/12/2026'"]


def test_ends_before_starts(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("ends:", "starts: 2027-01-01\nends:")))
    assert problems(site, lines) == [f"{CAMPAIGN}:8: 'ends' must come after 'starts'"]


def test_duplicate_reward_id(cli, site):
    text = GOOD + ""
    text = text.replace("---\nStory.", "  - id: digital\n    title: \"Encore\"\n    amount: 20\n---\nStory.")
    code, lines = check(cli, site, (CAMPAIGN, text))
    assert problems(site, lines) == [
        f"{CAMPAIGN}:13: reward id 'digital' is used twice: ids must be unique in a campaign"]


def test_bad_reward_id_and_delivery_and_country(cli, site):
    text = GOOD.replace("  - id: digital", "  - id: Digital Album").replace(
        "    amount: 10", "    amount: 10\n    delivery: March 2027\n    shipping: { countries: [FR, XX], cost: 5 }")
    code, lines = check(cli, site, (CAMPAIGN, text))
    assert problems(site, lines) == [
        f"{CAMPAIGN}:10: 'rewards[1].id' must be lower-case letters, digits and dashes, not 'Digital Album'",
        f"{CAMPAIGN}:13: 'rewards[1].delivery' must be a month such as 2027-03, not 'March 2027'",
        f"{CAMPAIGN}:14: 'rewards[1].shipping.countries': 'XX' is not an ISO 3166 country code such as FR",
    ]


def test_stretch_goal_below_the_goal(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("---\nStory.", "stretch_goals:\n  - { amount: 5000, title: \"Moins\" }\n---\nStory.")))
    assert problems(site, lines) == [f"{CAMPAIGN}:14: 'stretch_goals[1].amount' must be above the goal"]


def test_image_that_does_not_exist(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("goal: 8000", "goal: 8000\nimage: missing.jpg")))
    assert problems(site, lines) == [f"{CAMPAIGN}:7: image 'missing.jpg' not found beside index.md"]


def test_translation_refuses_untranslatable_fields(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD), (TRANSLATION, '---\ntitle: "Album"\ngoal: 9000\n---\n'))
    assert problems(site, lines) == [
        f"{TRANSLATION}:3: unknown field 'goal' (set it in index.md: a translation only holds texts)"]


def test_translation_of_a_reward_that_does_not_exist(cli, site):
    code, lines = check(cli, site, (CAMPAIGN, GOOD), (TRANSLATION, '---\nrewards:\n  - { id: poster, title: "Poster" }\n---\n'))
    assert problems(site, lines) == [f"{TRANSLATION}:3: reward 'poster' does not exist in index.md"]


def test_translation_in_a_language_the_site_does_not_have(cli, site):
    rel = "content/campaigns/essai/index.de.md"
    code, lines = check(cli, site, (CAMPAIGN, GOOD), (rel, '---\ntitle: "Album"\n---\n'))
    assert problems(site, lines) == [f"{rel}:1: 'de' is not one of the site's languages (fr, en) in site.yml"]


def test_update_file_name(cli, site):
    rel = "content/campaigns/premier-album/updates/studio.md"
    code, lines = check(cli, site, (rel, '---\ntitle: "Studio"\n---\nHello.\n'))
    assert problems(site, lines) == [
        f"{rel}:1: an update's file name must be YYYY-MM-DD-name.md (lower-case name, dashes)"]


def test_stray_markdown_file(cli, site):
    rel = "content/campaigns/premier-album/notes.md"
    code, lines = check(cli, site, (rel, "notes\n"))
    assert problems(site, lines) == [
        f"{rel}:1: unexpected Markdown file: a campaign's text goes in index.md (index.<lang>.md for a "
        "translation), its updates in updates/YYYY-MM-DD-name.md"]


def test_bad_folder_name(cli, site):
    code, lines = check(cli, site, ("content/campaigns/Mon Album/index.md", GOOD))
    assert problems(site, lines) == [
        "content/campaigns/Mon Album:1: campaign folder name 'Mon Album' must be lower-case letters, digits "
        "and dashes (it is the page's address)"]


def test_every_problem_is_reported_at_once(cli, site):
    text = GOOD.replace("summary:", "sumary:").replace("goal: 8000", "goal: 8000.123").replace(
        "funding: all_or_nothing", "funding: maybe")
    code, lines = check(cli, site, (CAMPAIGN, text), (TRANSLATION, '---\ngoal: 1\n---\n'))
    assert code == 1
    assert len(problems(site, lines)) == 5
    assert lines[-1] == "5 problems found."


@pytest.mark.parametrize("secret", ["sk_live_51Habc", "sk_test_4eC39Hq", "rk_live_abc", "whsec_abc123"])
def test_secrets_in_site_yml_are_refused(cli, site, secret):
    config = site / "site.yml"
    config.write_text(config.read_text() + f"stripe_key: \"{secret}\"\n")
    result = cli("--site", str(site), "check")
    assert result.exit_code == 1
    prefix = secret.split("_")[0] + "_" + (secret.split("_")[1] + "_" if secret.startswith(("sk_", "rk_")) else "")
    assert problems(site, result.stderr.splitlines()) == [
        f"site.yml:11: this looks like a Stripe secret ({prefix}…): secrets never go in site.yml; "
        "set STRIPE_SECRET_KEY / STRIPE_WEBHOOK_SECRET in the environment",
        "site.yml:11: unknown field 'stripe_key'",
    ]


def test_site_yml_problems(cli, site):
    (site / "site.yml").write_text(
        'title: "T"\nbase_url: "fund.example.org"\nlanguage: fr\nlanguages: [en]\n'
        "currency: EUR\ntimezone: Europe/Pariss\nthem: default\n")
    result = cli("--site", str(site), "check")
    assert problems(site, result.stderr.splitlines()) == [
        "site.yml:2: 'base_url' must be an absolute address such as https://fund.example.org",
        "site.yml:4: 'languages' must include the default language 'fr'",
        "site.yml:6: 'timezone' must be an IANA time zone such as Europe/Paris, not 'Europe/Pariss'",
        "site.yml:7: unknown field 'them' (did you mean 'theme'?)",
    ]


def test_no_site_yml_is_one_clear_line(cli, tmp_path):
    result = cli("--site", str(tmp_path), "check")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[0].endswith(
        "site.yml:1: no site.yml here: run cagnotte in the site folder or pass --site DIR")


def test_a_file_that_is_not_utf8(cli, site):
    path = site / CAMPAIGN
    path.parent.mkdir(parents=True)
    path.write_bytes(GOOD.replace("Story.", "Caf\xe9.").encode("latin-1"))
    code, lines = check(cli, site)
    assert problems(site, lines) == [f"{CAMPAIGN}:11: not UTF-8 text: save the file as UTF-8"]  # the first é
