"""`cagnotte check` refuses what Stripe cannot charge (issue 12): currencies it lacks, amounts out of its rules."""

from __future__ import annotations

import pytest
from test_validation import CAMPAIGN, GOOD, check, problems


def test_a_site_currency_stripe_does_not_support(cli, site):
    config = site / "site.yml"
    config.write_text(config.read_text().replace("currency: EUR", "currency: IQD"))
    result = cli("--site", str(site), "check")
    assert result.exit_code == 1
    lines = problems(site, result.stderr.splitlines())
    assert lines == ["site.yml:6: 'currency': Stripe does not support the currency IQD"]


@pytest.mark.parametrize("currency", ["LYD", "STN", "VES", "CLF"])
def test_a_campaign_currency_stripe_does_not_support(cli, site, currency):
    code, lines = check(cli, site, (CAMPAIGN, GOOD.replace("goal: 8000", f"goal: 8000\ncurrency: {currency}")))
    assert code == 1
    assert problems(site, lines) == [f"{CAMPAIGN}:7: 'currency': Stripe does not support the currency {currency}"]


@pytest.mark.parametrize("change, expected", [
    (("amount: 10", "amount: 0.49"),
     "12: 'rewards[1].amount': Stripe cannot charge less than 0.50 EUR"),
    (("amount: 10", "amount: 1000000"),
     "12: 'rewards[1].amount': Stripe cannot charge more than 999999.99 EUR in one payment"),
    (("amount: 10", "amount: 999999\n    shipping: { countries: [FR], cost: 5 }"),
     "12: 'rewards[1].amount': Stripe cannot charge more than 999999.99 EUR in one payment "
     "(the reward with its shipping is 1000004.00 EUR)"),
    (("goal: 8000", "goal: 8000\ncurrency: BHD"), None),  # 10 BHD: fine
    (("goal: 8000", "goal: 8000.125\ncurrency: BHD"),
     "6: 'goal': Stripe charges BHD to two decimals only (the third must be 0): 8000.125 BHD cannot be charged"),
    (("goal: 8000", "goal: 0.20\ncurrency: GBP"),
     "6: 'goal': below the smallest amount Stripe charges (0.30 GBP)"),
    (("goal: 8000", "goal: 10000000"), None),  # a goal is many payments: no maximum
    (("goal: 8000\n", "goal: 80000\ncurrency: JPY\n"),
     "13: 'rewards[1].amount': Stripe cannot charge less than 50 JPY"),
    (("goal: 8000\n", "goal: 8000\ncurrency: ISK\n"),  # our conservative floor: 100 ISK
     "13: 'rewards[1].amount': Stripe cannot charge less than 100 ISK"),
])
def test_amounts_stripe_cannot_charge(cli, site, change, expected):
    text = GOOD.replace(*change)
    code, lines = check(cli, site, (CAMPAIGN, text))
    assert problems(site, lines) == ([f"{CAMPAIGN}:{expected}"] if expected else [])
    assert code == (1 if expected else 0)


def test_a_three_decimal_reward_must_end_in_zero(cli, site):
    text = GOOD.replace("goal: 8000", "goal: 8000\ncurrency: KWD").replace("amount: 10", "amount: 10.125")
    code, lines = check(cli, site, (CAMPAIGN, text))
    assert problems(site, lines) == [
        f"{CAMPAIGN}:13: 'rewards[1].amount': Stripe charges KWD to two decimals only (the third must be 0): "
        "10.125 KWD cannot be charged"]


def test_an_mga_amount_must_be_whole(cli, site):
    text = GOOD.replace("goal: 8000", "goal: 80000\ncurrency: MGA").replace("amount: 10", "amount: 10000.50")
    code, lines = check(cli, site, (CAMPAIGN, text))
    assert problems(site, lines) == [
        f"{CAMPAIGN}:13: 'rewards[1].amount': Stripe charges MGA in whole units: 10000.50 MGA cannot be sent"]
