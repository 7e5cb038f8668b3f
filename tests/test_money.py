"""Money: integer minor units by ISO 4217 exponent, never a float."""

from __future__ import annotations

import pytest

from functions.core import money


@pytest.mark.parametrize("text, currency, minor", [
    ("8000", "EUR", 800000), ("8000.5", "EUR", 800050), ("12.50", "EUR", 1250), ("0.01", "EUR", 1),
    ("12.500", "EUR", 1250),  # trailing zeros are not extra precision
    (8000, "EUR", 800000), ("900000", "JPY", 900000), ("1.000", "JPY", 1),
    ("1.234", "BHD", 1234), ("1.2345", "CLF", 12345), ("0", "EUR", 0),
])
def test_to_minor(text, currency, minor):
    assert money.to_minor(text, currency) == minor
    assert isinstance(money.to_minor(text, currency), int)


@pytest.mark.parametrize("text, currency, message", [
    ("10.005", "EUR", "amount '10.005' has more decimals than EUR allows (at most 2 decimals)"),
    ("1.5", "JPY", "amount '1.5' has more decimals than JPY allows (no decimals)"),
    ("-5", "EUR", "amount '-5' must not be negative"),
    ("1e3", "EUR", "amount '1e3' is not a decimal number"),
    ("8 000", "EUR", "amount '8 000' is not a decimal number"),
    ("5", "EURO", "unknown currency 'EURO' (expected an ISO 4217 code such as EUR)"),
])
def test_to_minor_refuses(text, currency, message):
    with pytest.raises(money.MoneyError) as caught:
        money.to_minor(text, currency)
    assert str(caught.value) == message


def test_floats_are_refused():
    with pytest.raises(money.MoneyError):
        money.to_minor(0.1, "EUR")  # type: ignore[arg-type]


def test_exponents_follow_iso_4217():
    assert [money.exponent(c) for c in ("EUR", "USD", "JPY", "KRW", "BHD", "KWD", "CLF", "ISK")] == [2, 2, 0, 0, 3, 3, 4, 0]


def test_decimal_and_plain_formatting():
    assert str(money.to_decimal(850050, "EUR")) == "8500.50"
    assert str(money.to_decimal(900000, "JPY")) == "900000"
    assert money.format_plain(850050, "EUR") == "8500.50 EUR"
    assert money.format_plain(900000, "JPY") == "900000 JPY"
