"""One mistake in index.md is one problem: its translations and updates add no follow-on errors.

The fixture's premier-album has a translation (index.en.md) naming the 'vinyl'
reward and the 12000 stretch goal, and a translated update: each case below
used to add "reward 'vinyl' does not exist in index.md" and the like.
"""

from __future__ import annotations

from conftest import write

CAMPAIGN = "content/campaigns/premier-album/index.md"
FOLDER = "content/campaigns/premier-album/"


def check_with(cli, site, old: str, new: str) -> tuple[int, list[str]]:
    path = site / CAMPAIGN
    text = path.read_text(encoding="utf-8")
    assert old in text
    write(site, CAMPAIGN, text.replace(old, new, 1))
    result = cli("--site", str(site), "check")
    prefix = str(site) + "/"
    return result.exit_code, [line.replace(prefix, "") for line in result.stderr.splitlines()]


def only(lines: list[str], problem: str) -> None:
    """``problem`` is the one line about the campaign, then the count."""
    assert [line for line in lines if FOLDER in line] == [problem]
    assert lines == [problem, "1 problem found."]


def test_yaml_syntax_error(cli, site):
    code, lines = check_with(cli, site, "category: music", "category: [music")
    assert code == 1
    only(lines, f"{CAMPAIGN}:6: invalid YAML: did not find expected ',' or ']'")


def test_bad_currency(cli, site):
    code, lines = check_with(cli, site, 'goal: "8500.50"', 'goal: "8500.50"\ncurrency: EURO')
    assert code == 1
    only(lines, f"{CAMPAIGN}:10: 'currency' must be an ISO 4217 code such as EUR, not 'EURO'")


def test_reward_without_amount(cli, site):
    # the translation translates this very reward: it must not be told the reward does not exist
    code, lines = check_with(cli, site, '    amount: "32.50"\n', "")
    assert code == 1
    only(lines, f"{CAMPAIGN}:20: missing required field 'rewards[2].amount'")


def test_duplicate_reward_id(cli, site):
    # 'vinyl' named 'digital' again: the translation's 'vinyl' is not a second mistake
    code, lines = check_with(cli, site, "  - id: vinyl", "  - id: digital")
    assert code == 1
    only(lines, f"{CAMPAIGN}:20: reward id 'digital' is used twice: ids must be unique in a campaign")


def test_the_translations_own_mistakes_are_still_reported(cli, site):
    # Its own mistakes are not follow-on errors: a field a translation cannot hold is reported beside.
    translation = site / "content/campaigns/premier-album/index.en.md"
    translation.write_text(translation.read_text().replace("---\n## Why", "goal: 1\n---\n## Why"), encoding="utf-8")
    code, lines = check_with(cli, site, "category: music", "category: [music")
    assert code == 1
    assert lines[:2] == [
        "content/campaigns/premier-album/index.en.md:9: unknown field 'goal' (set it in index.md: a translation "
        "only holds texts)",
        f"{CAMPAIGN}:6: invalid YAML: did not find expected ',' or ']'"]
    assert lines[2:] == ["2 problems found."]
