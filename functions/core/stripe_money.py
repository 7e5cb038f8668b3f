"""Stripe's own currency rules, between our ISO 4217 minor units and Stripe's.

Pure: no SDK, no I/O. :mod:`functions.core.money` counts every amount in the
currency's ISO 4217 minor unit; Stripe's API counts in *its* minor unit, which
differs for a few currencies, and refuses amounts outside its limits. Sources:
Stripe's "Supported currencies" page (docs.stripe.com/currencies): the
presentment currencies for card payments, "Zero-decimal currencies",
"Three-decimal currencies", "Special cases" and "Minimum and maximum charge
amounts".

* Zero-decimal at Stripe: BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV
  XAF XOF XPF. All but MGA are zero-decimal in ISO 4217 too; MGA has 2 there,
  so an MGA amount reaches Stripe in whole ariary.
* Three-decimal: BHD JOD KWD OMR TND, as in ISO 4217, but the last digit must
  be 0 (card networks take two decimals): 5.124 BHD cannot be charged.
* ISK: zero-decimal in ISO 4217, but Stripe keeps it two-decimal for backwards
  compatibility with the decimals always 00 (5 ISK is ``amount=500``).
* HUF and TWD: two-decimal for charges (as ISO 4217); only payouts are whole.
  UGX: zero-decimal for charges; only payouts are two-decimal. Nothing to
  convert here for either.
* Limits: at most 8 digits in Stripe's minor unit (99999999: 999,999.99 USD),
  and a minimum per currency (Stripe's table, :data:`PUBLISHED_MINIMUMS`). For
  a currency not in that table Stripe asks for the equivalent of 0.50 USD at
  the day's rate (in fact of the account's settlement currency minimum), which
  no fixed table can know: :data:`FALLBACK_MINIMUMS` is a conservative round
  amount worth about 0.65 USD or more at late-2025 rates (a margin against the
  rate moving), so what is accepted here Stripe accepts.
"""

from __future__ import annotations

from . import money

# Stripe's presentment currencies (card payments) that are also active ISO 4217 codes. Stripe also
# lists STD, replaced in ISO 4217 by STN, which Stripe does not take: refused here.
SUPPORTED = frozenset(
    """
    USD AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD EGP ETB EUR FJD FKP GBP GEL GIP GMD GNF GTQ GYD
    HKD HNL HTG HUF IDR ILS INR ISK JMD JOD JPY KES KGS KHR KMF KRW KWD KYD KZT LAK LBP LKR LRD LSL MAD
    MDL MGA MKD MMK MNT MOP MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
    PYG QAR RON RSD RUB RWF SAR SBD SCR SEK SGD SHP SLE SOS SRD SZL THB TJS TND TOP TRY TTD TWD TZS UAH
    UGX UYU UZS VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW
    """.split()
) & money.CURRENCIES

ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())
# Stripe's exponent where it is not the currency's ISO 4217 one (MGA's is 2, ISK's 0).
_STRIPE_EXPONENT = {"ISK": 2, **{code: 0 for code in ZERO_DECIMAL}, **{code: 3 for code in THREE_DECIMAL}}

MAX_STRIPE_UNITS = 99_999_999  # 8 digits, in Stripe's minor unit

# Stripe's table of minimum charge amounts, in major units.
PUBLISHED_MINIMUMS = {
    "USD": "0.50", "AED": "2.00", "AUD": "0.50", "BGN": "1.00", "BRL": "0.50", "CAD": "0.50", "CHF": "0.50",
    "CZK": "15.00", "DKK": "2.50", "EUR": "0.50", "GBP": "0.30", "HKD": "4.00", "HUF": "175.00", "INR": "0.50",
    "JPY": "50", "MXN": "10", "MYR": "2", "NOK": "3.00", "NZD": "0.50", "PLN": "2.00", "RON": "2.00",
    "SEK": "3.00", "SGD": "0.50", "THB": "10",
}
# Every other supported currency: a round amount worth at least ~0.65 USD (see the module's docstring).
FALLBACK_MINIMUMS = {
    "AFN": "50", "ALL": "100", "AMD": "500", "ANG": "2", "AOA": "1000", "ARS": "2000", "AWG": "2", "AZN": "2",
    "BAM": "2", "BBD": "2", "BDT": "100", "BHD": "0.500", "BIF": "2000", "BMD": "1", "BND": "1", "BOB": "5",
    "BSD": "1", "BWP": "10", "BYN": "2", "BZD": "2", "CDF": "2000", "CLP": "1000", "CNY": "5", "COP": "5000",
    "CRC": "500", "CVE": "100", "DJF": "200", "DOP": "50", "DZD": "100", "EGP": "50", "ETB": "200", "FJD": "2",
    "FKP": "1", "GEL": "2", "GIP": "1", "GMD": "100", "GNF": "10000", "GTQ": "10", "GYD": "200", "HNL": "20",
    "HTG": "100", "IDR": "20000", "ILS": "5", "ISK": "100", "JMD": "200", "JOD": "1.000", "KES": "100",
    "KGS": "100", "KHR": "5000", "KMF": "500", "KRW": "1000", "KWD": "0.200", "KYD": "1", "KZT": "500",
    "LAK": "20000", "LBP": "100000", "LKR": "200", "LRD": "200", "LSL": "20", "MAD": "10", "MDL": "20",
    "MGA": "5000", "MKD": "50", "MMK": "2000", "MNT": "5000", "MOP": "10", "MUR": "50", "MVR": "20",
    "MWK": "2000", "MZN": "50", "NAD": "20", "NGN": "2000", "NIO": "50", "NPR": "100", "OMR": "0.500",
    "PAB": "1", "PEN": "5", "PGK": "5", "PHP": "50", "PKR": "200", "PYG": "10000", "QAR": "5", "RSD": "100",
    "RUB": "100", "RWF": "1000", "SAR": "5", "SBD": "10", "SCR": "10", "SHP": "1", "SLE": "20", "SOS": "500",
    "SRD": "50", "SZL": "20", "TJS": "10", "TND": "2.000", "TOP": "2", "TRY": "50", "TTD": "5", "TWD": "20",
    "TZS": "2000", "UAH": "50", "UGX": "5000", "UYU": "50", "UZS": "10000", "VND": "20000", "VUV": "100",
    "WST": "2", "XAF": "500", "XCD": "2", "XCG": "2", "XOF": "500", "XPF": "100", "YER": "200", "ZAR": "20",
    "ZMW": "20",
}


class StripeMoneyError(money.MoneyError):
    """An amount or currency that Stripe cannot take."""


def is_supported(currency: str) -> bool:
    """True for a currency Stripe can charge (an upper-case ISO 4217 code)."""
    return currency in SUPPORTED


def stripe_exponent(currency: str) -> int:
    """The number of decimals of Stripe's minor unit of ``currency``."""
    _supported(currency)
    return _STRIPE_EXPONENT.get(currency, money.exponent(currency))


def to_stripe(amount_minor: int, currency: str) -> int:
    """Our ISO 4217 minor units → Stripe's (``amount``, ``unit_amount``). Exact, or StripeMoneyError."""
    shift = stripe_exponent(currency) - money.exponent(currency)
    if shift >= 0:
        return amount_minor * 10**shift
    whole, rest = divmod(amount_minor, 10**-shift)
    if rest:
        raise StripeMoneyError(f"Stripe charges {currency} in whole units: "
                               f"{money.format_plain(amount_minor, currency)} cannot be sent")
    return whole


def from_stripe(stripe_units: int, currency: str) -> int:
    """Stripe's minor units (``amount_refunded``, ``amount_total``…) → ours. Exact, or StripeMoneyError."""
    shift = stripe_exponent(currency) - money.exponent(currency)
    if shift <= 0:
        return stripe_units * 10**-shift
    whole, rest = divmod(stripe_units, 10**shift)
    if rest:
        raise StripeMoneyError(f"Stripe sent {stripe_units} for {currency}, which has no such fraction")
    return whole


def stripe_limits(currency: str) -> tuple[int, int]:
    """The smallest and largest amount Stripe charges in one payment, in OUR minor units of ``currency``."""
    _supported(currency)
    minimum = money.to_minor(PUBLISHED_MINIMUMS.get(currency) or FALLBACK_MINIMUMS[currency], currency)
    shift = stripe_exponent(currency) - money.exponent(currency)
    largest = MAX_STRIPE_UNITS - MAX_STRIPE_UNITS % 10 if currency in THREE_DECIMAL else MAX_STRIPE_UNITS
    maximum = largest // 10**shift if shift >= 0 else largest * 10**-shift
    return minimum, maximum


def unit_problem(amount_minor: int, currency: str) -> str | None:
    """Why Stripe could never express ``amount_minor`` (currency, decimals), or None. Limits aside."""
    if not is_supported(currency):
        return f"Stripe does not support the currency {currency}"
    try:
        units = to_stripe(amount_minor, currency)
    except StripeMoneyError as error:
        return str(error)
    if currency in THREE_DECIMAL and units % 10:
        return (f"Stripe charges {currency} to two decimals only (the third must be 0): "
                f"{money.format_plain(amount_minor, currency)} cannot be charged")
    return None


def charge_problem(amount_minor: int, currency: str) -> str | None:
    """Why Stripe would refuse to charge ``amount_minor`` of ``currency`` in one payment, or None."""
    problem = unit_problem(amount_minor, currency)
    if problem:
        return problem
    minimum, maximum = stripe_limits(currency)
    if amount_minor < minimum:
        return f"Stripe cannot charge less than {money.format_plain(minimum, currency)}"
    if amount_minor > maximum:
        return f"Stripe cannot charge more than {money.format_plain(maximum, currency)} in one payment"
    return None


def charge_hint(amount_minor: int, currency: str) -> tuple:
    """:func:`charge_problem` for a person: ``("amount_stripe_min", minimum, currency)``, ``_max``, or unreadable."""
    minimum, maximum = stripe_limits(currency) if is_supported(currency) else (0, 0)
    if is_supported(currency) and not unit_problem(amount_minor, currency):
        if amount_minor < minimum:
            return ("amount_stripe_min", minimum, currency)
        if amount_minor > maximum:
            return ("amount_stripe_max", maximum, currency)
    return ("amount_unreadable", currency)


def _supported(currency: str) -> None:
    if currency not in SUPPORTED:
        raise StripeMoneyError(f"Stripe does not support the currency {currency!r}")


__all__ = ["SUPPORTED", "ZERO_DECIMAL", "THREE_DECIMAL", "MAX_STRIPE_UNITS", "PUBLISHED_MINIMUMS",
           "FALLBACK_MINIMUMS", "StripeMoneyError", "is_supported", "stripe_exponent", "to_stripe", "from_stripe",
           "stripe_limits", "unit_problem", "charge_problem", "charge_hint"]
