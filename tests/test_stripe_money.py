"""Stripe's currency table (issue 12): our ISO 4217 minor units ⇄ Stripe's, and what Stripe can charge."""

from __future__ import annotations

import pytest

from functions.core import money, stripe_money as sm


# (currency, ISO minor units, Stripe units): what each side calls the same amount.
@pytest.mark.parametrize("currency, ours, stripes", [
    ("EUR", 2500, 2500),         # two decimals on both sides
    ("USD", 50, 50),
    ("JPY", 5000, 5000),         # zero-decimal on both sides
    ("KRW", 1000, 1000),
    ("UGX", 5000, 5000),         # zero-decimal for charges (only payouts are two-decimal)
    ("HUF", 17500, 17500),       # two-decimal for charges (only payouts are whole)
    ("TWD", 2000, 2000),
    ("BHD", 1230, 1230),         # three decimals on both sides
    ("ISK", 5, 500),             # ISO 0 decimals; Stripe 2, always 00
    ("ISK", 1234, 123400),
    ("MGA", 500000, 5000),       # ISO 2 decimals; Stripe 0
])
def test_to_and_from_stripe(currency, ours, stripes):
    assert sm.to_stripe(ours, currency) == stripes
    assert sm.from_stripe(stripes, currency) == ours
    assert isinstance(sm.to_stripe(ours, currency), int) and isinstance(sm.from_stripe(stripes, currency), int)


@pytest.mark.parametrize("call, amount, currency", [
    (sm.to_stripe, 500050, "MGA"),    # 5000.50 MGA: Stripe takes whole ariary
    (sm.from_stripe, 550, "ISK"),     # 5.50 ISK does not exist
    (sm.to_stripe, 2500, "IQD"),      # ISO 4217, not Stripe
    (sm.from_stripe, 2500, "XXX"),
])
def test_conversions_that_cannot_be_exact_are_refused(call, amount, currency):
    with pytest.raises(sm.StripeMoneyError):
        call(amount, currency)


@pytest.mark.parametrize("currency, minimum, maximum", [
    ("USD", 50, 99_999_999), ("EUR", 50, 99_999_999), ("GBP", 30, 99_999_999), ("CHF", 50, 99_999_999),
    ("JPY", 50, 99_999_999), ("HUF", 17500, 99_999_999), ("CZK", 1500, 99_999_999), ("MXN", 1000, 99_999_999),
    ("ISK", 100, 999_999),              # 999,999 ISK is 99999900 at Stripe
    ("MGA", 500000, 9_999_999_900),     # 99,999,999 ariary in ISO's hundredths
    ("BHD", 500, 99_999_990),           # the largest 8-digit amount ending in 0
])
def test_limits_in_our_minor_units(currency, minimum, maximum):
    assert sm.stripe_limits(currency) == (minimum, maximum)


def test_every_supported_currency_has_a_minimum_stripe_can_take():
    assert set(sm.PUBLISHED_MINIMUMS).isdisjoint(sm.FALLBACK_MINIMUMS)
    assert set(sm.PUBLISHED_MINIMUMS) | set(sm.FALLBACK_MINIMUMS) == sm.SUPPORTED
    for currency in sorted(sm.SUPPORTED):
        minimum, maximum = sm.stripe_limits(currency)
        assert 0 < minimum < maximum
        assert sm.charge_problem(minimum, currency) is None, currency
        assert sm.charge_problem(maximum, currency) is None, currency
        assert sm.to_stripe(maximum, currency) <= sm.MAX_STRIPE_UNITS


def test_the_tables_are_stripes():
    assert sm.ZERO_DECIMAL == set("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
    assert sm.THREE_DECIMAL == {"BHD", "JOD", "KWD", "OMR", "TND"}
    assert sm.SUPPORTED <= money.CURRENCIES
    # ISO 4217 codes Stripe does not take.
    assert not {"IQD", "LYD", "STN", "VES", "GHS", "CLF", "UYI", "XXX"} & sm.SUPPORTED
    assert {"EUR", "USD", "ISK", "MGA", "BHD", "XCG", "SLE"} <= sm.SUPPORTED


@pytest.mark.parametrize("amount, currency, problem", [
    (50, "EUR", None), (49, "EUR", "Stripe cannot charge less than 0.50 EUR"),
    (30, "GBP", None), (29, "GBP", "Stripe cannot charge less than 0.30 GBP"),
    (50, "JPY", None), (49, "JPY", "Stripe cannot charge less than 50 JPY"),
    (99_999_999, "EUR", None),
    (100_000_000, "EUR", "Stripe cannot charge more than 999999.99 EUR in one payment"),
    (10**25 - 1, "EUR", "Stripe cannot charge more than 999999.99 EUR in one payment"),
    (999_999, "ISK", None), (1_000_000, "ISK", "Stripe cannot charge more than 999999 ISK in one payment"),
    (1230, "BHD", None),
    (1234, "BHD", "Stripe charges BHD to two decimals only (the third must be 0): 1.234 BHD cannot be charged"),
    (500050, "MGA", "Stripe charges MGA in whole units: 5000.50 MGA cannot be sent"),
    (2500, "IQD", "Stripe does not support the currency IQD"),
])
def test_charge_problem(amount, currency, problem):
    assert sm.charge_problem(amount, currency) == problem
