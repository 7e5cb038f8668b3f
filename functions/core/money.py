"""Money as integer minor units, by the currency's ISO 4217 exponent.

Nothing here ever builds a float: amounts are parsed from their decimal text
with :class:`decimal.Decimal` and stored as ``int`` counts of the currency's
minor unit (cents for EUR, yen for JPY, fils for BHD).
"""

from __future__ import annotations

import re
from decimal import Decimal

# ISO 4217 minor units (the "exponent") of the active currencies; every code
# not listed here has 2. Source: the ISO 4217 list maintained by SIX.
_EXPONENT_0 = {
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
    "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
}
_EXPONENT_3 = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
_EXPONENT_4 = {"CLF", "UYW"}

CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB
    BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP
    CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ
    GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
    KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
    MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
    PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC
    SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS
    VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()
)

# ASCII digits only: ``\d`` (and int()) would take "１２" or "١٢" too, which no page of ours sends.
_DECIMAL = re.compile(r"[+-]?([0-9]+)(?:\.([0-9]+))?")
MAX_DIGITS = 30  # far above any amount (10^12 minor units is the pledge cap); int() refuses 4,301 digits


class MoneyError(ValueError):
    """An amount or currency that cannot be represented exactly."""


def is_currency(code: str) -> bool:
    """True for an active ISO 4217 alphabetic code (upper case)."""
    return code in CURRENCIES


def exponent(currency: str) -> int:
    """The number of decimal places of ``currency``'s minor unit."""
    if currency not in CURRENCIES:
        raise MoneyError(f"unknown currency {currency!r} (expected an ISO 4217 code such as EUR)")
    if currency in _EXPONENT_0:
        return 0
    if currency in _EXPONENT_3:
        return 3
    if currency in _EXPONENT_4:
        return 4
    return 2


def to_minor(text: str | int, currency: str) -> int:
    """Parse a decimal amount in major units (``"8000"``, ``"12.50"``) to minor units.

    Refuses floats, negative amounts, exponents, and more decimals than the
    currency allows: ``to_minor("10.005", "EUR")`` is an error, not a rounding.
    """
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise MoneyError(f"amount must be written as a decimal number, not {type(text).__name__}")
    digits = exponent(currency)
    raw = str(text).strip()
    if len(raw) > MAX_DIGITS + 2:  # before the regex and int(): neither should see a megabyte of digits
        raise MoneyError(f"amount {raw[:12]!r}… has more than {MAX_DIGITS} digits")
    match = _DECIMAL.fullmatch(raw)
    if not match:
        raise MoneyError(f"amount {raw!r} is not a decimal number")
    if raw.startswith("-"):
        raise MoneyError(f"amount {raw!r} must not be negative")
    fraction = match.group(2) or ""
    significant = fraction.rstrip("0")
    if len(significant) > digits:
        allowed = "no decimals" if digits == 0 else f"at most {digits} decimal{'s' if digits > 1 else ''}"
        raise MoneyError(f"amount {raw!r} has more decimals than {currency} allows ({allowed})")
    return int(match.group(1)) * 10**digits + int((significant or "0").ljust(digits, "0")[:digits] or "0")


def to_decimal(minor: int, currency: str) -> Decimal:
    """The exact major-unit value of ``minor`` (for display libraries that take Decimal)."""
    return Decimal(minor).scaleb(-exponent(currency))


def format_plain(minor: int, currency: str) -> str:
    """A locale-free rendering such as ``"8000.50 EUR"`` (logs, CSV, error messages)."""
    digits = exponent(currency)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d} {currency}" if digits else f"{sign}{whole} {currency}"

