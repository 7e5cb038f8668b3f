"""Checkout's ``locale``: a site language (any BCP 47 tag ``check`` accepts) as one Stripe accepts.

Stripe refuses a session whose ``locale`` is not in its list ("Invalid locale:
must be one of auto, bg, …"), so a site in ``fr-BE`` or ``pt-PT`` could take no
pledge. :func:`checkout_locale` picks the exact tag when Stripe has it (``fr-CA``,
``pt-BR``, ``en-GB``), else Stripe's locale for that language (``fr-BE`` → ``fr``,
``pt-PT`` → ``pt``, ``en-US`` → ``en``), else ``auto`` (the browser's language).
A few tags need more than their base language:

* ``es-419`` is Stripe's Latin American Spanish: Spanish of a region in the
  Americas (``es-MX``, ``es-AR``, ``es-US``, …) goes there, Spain's to ``es``;
* Chinese by script: Traditional (``zh-Hant``, ``zh-TW``) → ``zh-TW``, and
  ``zh-HK``/``zh-MO`` (also ``zh-Hant-HK``) → ``zh-HK``; Simplified (``zh-Hans``,
  ``zh-CN``, ``zh-SG``) → ``zh``;
* Norwegian (``no``, ``nn``) → ``nb``; Tagalog (``tl``) → ``fil``; a language
  Stripe only has with a region (``hi`` → ``hi-IN``) → that one.
"""

from __future__ import annotations

# Stripe's list (API 2026-10-28, stripe-python 16's SessionCreateParams.locale);
# tests/test_stripe_adapter.py fails when the installed SDK's list differs.
LOCALES = (
    "auto", "bg", "cs", "da", "de", "el", "en", "en-GB", "es", "es-419", "et", "fi", "fil", "fr", "fr-CA",
    "hi-IN", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt", "nb", "nl", "pl", "pt", "pt-BR", "ro",
    "ru", "sk", "sl", "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW",
)
_BY_LOWER = {locale.lower(): locale for locale in LOCALES}
# The Americas (UN M49 019) where Spanish is written: what Stripe's es-419 stands for.
_LATIN_AMERICA = frozenset(
    "419 AR BO BR BZ CL CO CR CU DO EC GT HN MX NI PA PE PR PY SV US UY VE".split()
)
_LANGUAGE = {"no": "nb", "nn": "nb", "tl": "fil"}


def checkout_locale(tag: str | None) -> str | None:
    """Stripe's Checkout locale for the BCP 47 ``tag`` (None: send none, Stripe then uses ``auto``)."""
    if not tag:
        return None
    parts = [part for part in tag.replace("_", "-").split("-") if part]
    if not parts:
        return "auto"
    exact = _BY_LOWER.get("-".join(parts).lower())
    if exact:
        return exact
    language = _LANGUAGE.get(parts[0].lower(), parts[0].lower())
    script = next((p.title() for p in parts[1:] if len(p) == 4 and p.isalpha()), None)
    region = next((p.upper() for p in parts[1:] if (len(p) == 2 and p.isalpha()) or (len(p) == 3 and p.isdigit())),
                  None)
    if language == "zh":
        if script == "Hans":
            return "zh"
        if region in ("HK", "MO"):
            return "zh-HK"
        return "zh-TW" if script == "Hant" or region == "TW" else "zh"
    if language == "es" and region in _LATIN_AMERICA:
        return "es-419"
    if region and f"{language}-{region}".lower() in _BY_LOWER:
        return _BY_LOWER[f"{language}-{region}".lower()]
    if language in _BY_LOWER:
        return _BY_LOWER[language]
    regional = [locale for locale in LOCALES if locale.split("-")[0] == language]
    return regional[0] if len(regional) == 1 else "auto"
