"""What a setup-mode Checkout page says about the pledge: ``custom_text[submit][message]``.

In ``mode=setup`` Stripe takes no line items, so Checkout would show nothing of
the pledge. The message beside the confirmation button names the items (each
with its quantity), the amount that will be charged, and when: the card is
saved now and charged only if the campaign reaches its goal. Money and dates
use the number and date patterns the build compiled into ``mail.json`` (CLDR,
no Babel in the Lambda package); without them, ``78.00 EUR`` and an ISO date.
Stripe's reference gives 1,200 characters, but its OpenAPI schema still says
500 (the limit before 2023): the message stays within 500, so either holds, and
the item list is cut at a whole item (``…``) to fit.
"""

from __future__ import annotations

from typing import Any

from functions.core import mailtext, money
from functions.core.model import CheckoutRequest

DOCUMENTED_LIMIT = 1200  # Stripe's documented limit on custom_text[…][message] (the stand-in's rule)
LIMIT = 500  # what we send at most: the older limit, still the OpenAPI schema's maxLength
ELLIPSIS = "…"

WORDS = {
    "fr": {"pledge": "Votre contribution : {items} — {amount} au total.",
           "deadline": "Votre carte est enregistrée, pas débitée maintenant : elle ne le sera que si la "
                       "campagne atteint son objectif d'ici le {date}. Sinon, rien n'est débité.",
           "no_deadline": "Votre carte est enregistrée, pas débitée maintenant : elle ne le sera que si la "
                          "campagne atteint son objectif. Sinon, rien n'est débité.",
           "shipping": "Livraison", "extra": "Soutien en plus"},
    "en": {"pledge": "Your pledge: {items} — {amount} in total.",
           "deadline": "Your card is saved, not charged now: it is charged only if the campaign reaches "
                       "its goal by {date}. If it does not, nothing is charged.",
           "no_deadline": "Your card is saved, not charged now: it is charged only if the campaign reaches "
                          "its goal. If it does not, nothing is charged.",
           "shipping": "Shipping", "extra": "Extra support"},
}


def words(locale: str | None) -> dict[str, str]:
    """The phrases in the backer's language (``fr-CA`` → French); English for any other."""
    return WORDS.get((locale or "en").replace("_", "-").split("-")[0].lower(), WORDS["en"])


def language_spec(templates: mailtext.Templates | None, locale: str | None) -> dict[str, Any] | None:
    """mail.json's patterns for ``locale`` (exact tag, then its language), None when it has none."""
    if templates is None or not locale:
        return None
    languages = templates.data.get("languages", {})
    return languages.get(locale) or languages.get(locale.replace("_", "-").split("-")[0])


def _length(text: str) -> int:
    # Counted in UTF-16 units: never fewer than the characters Stripe may count (an emoji is two).
    return len(text.encode("utf-16-le")) // 2


def submit_message(request: CheckoutRequest, spec: dict[str, Any] | None, limit: int = LIMIT) -> str:
    """The pledge as the backer's Checkout shows it beside the button (``limit`` characters at most)."""
    said = words(request.locale)

    def amount(minor: int) -> str:
        return mailtext.format_money(minor, request.currency, spec) if spec else \
            money.format_plain(minor, request.currency)

    if request.lines:
        items = [line.name if line.quantity == 1 else f"{line.name} × {line.quantity}"
                 for line in request.lines if line.kind == "item"]
        items += [f"{said[line.kind]} ({amount(line.amount * line.quantity)})"
                  for line in request.lines if line.kind != "item"]
    else:
        items = [request.description or request.campaign_title]
    if request.deadline is not None:
        day = request.deadline.date().isoformat()
        charged = said["deadline"].format(date=mailtext.format_date(day, spec) if spec else day)
    else:
        charged = said["no_deadline"]
    text = said["pledge"].replace("{amount}", amount(request.amount)) + " " + charged
    room = limit - _length(text.replace("{items}", ""))
    return text.replace("{items}", fit(items, room))


def fit(items: list[str], room: int) -> str:
    """``items`` joined by `` + ``, cut at a whole item (then ``+ …``) to stay within ``room`` characters."""
    joined = " + ".join(items)
    if _length(joined) <= room:
        return joined
    kept: list[str] = []
    for item in items:
        if _length(" + ".join(kept + [item, ELLIPSIS])) > room:
            break
        kept.append(item)
    if kept:
        return " + ".join(kept + [ELLIPSIS])
    # Not even the first item fits whole: its beginning, cut on a character.
    first = items[0]
    while first and _length(first + ELLIPSIS) > room:
        first = first[:-1]
    return first.rstrip() + ELLIPSIS
