"""Small HTML pages the functions answer themselves (manage a pledge, fix a payment).

No template engine in the Lambda package: a handful of strings in the
campaign's language (fr or en), every value escaped.
"""

from __future__ import annotations

from html import escape

TEXTS = {
    "en": {
        "manage": "Your pledge",
        "amount": "Amount",
        "reward": "Reward",
        "none": "No reward",
        "status": "Status",
        "change": "Change my pledge",
        "change_help": "Choose another reward or amount. Your card is charged only if the campaign reaches its goal by the deadline.",
        "amount_label": "Amount (optional with a reward)",
        "save": "Save the change",
        "card": "Update my card",
        "card_help": "Save another card for the deadline (for instance when yours expires before it). Nothing is charged now.",
        "cancel": "Cancel my pledge",
        "cancel_help": "Your card will not be charged and your reward goes back to other backers.",
        "cancelled": "Your pledge is cancelled. Nothing will be charged.",
        "changed": "Your pledge is changed.",
        "back": "Back to the campaign",
        "left": "left",
        "sold_out": "sold out",
        "fixed": "Nothing to fix: this pledge is {status}.",
        "window_closed": "The time to fix this payment has passed: the pledge was dropped.",
        "extra_pending": "This pledge was paid more than once: the extra payment will be refunded to you automatically, shortly.",
        "extra_refunded": "This pledge was paid more than once: the extra payment was refunded to you automatically (your bank shows it within 5 to 10 days).",
        "not_changeable": "This pledge can no longer change.",
        "flexible_paid": "Flexible funding: your payment went to the creator when you pledged, so it cannot be changed or cancelled here. Only the creator can refund it: ask them, and the refund comes back to your card.",
        "refunded_note": "This pledge was refunded: the money is back on your card (allow 5 to 10 days).",
        "error": "That did not work",
        "remind_sent": "Almost done: we sent you an e-mail. Open its link to confirm, and we will write once when the campaign opens.",
        "remind_confirmed": "Confirmed: you will get one e-mail when the campaign opens.",
        "remind_confirm_prompt": "One click to confirm that you want one e-mail when the campaign opens.",
        "remind_confirm_button": "Confirm my reminder",
        "unsubscribed": "Done: you will not receive this reminder.",
        "unsubscribe_button": "Unsubscribe",
        "statuses": {"pledged": "card saved, charged only if the goal is reached", "paid": "paid",
                     "collected": "charged", "payment_failed": "payment failed: please fix it",
                     "dropped": "dropped", "cancelled": "cancelled", "refunded": "refunded",
                     "pending": "waiting for the payment page", "processing": "payment on its way",
                     "expired": "expired", "failed": "payment failed"},
    },
    "fr": {
        "manage": "Votre contribution",
        "amount": "Montant",
        "reward": "Contrepartie",
        "none": "Sans contrepartie",
        "status": "État",
        "change": "Modifier ma contribution",
        "change_help": "Choisissez une autre contrepartie ou un autre montant. Votre carte n’est débitée que si la campagne atteint son objectif à la date limite.",
        "amount_label": "Montant (facultatif avec une contrepartie)",
        "save": "Enregistrer la modification",
        "card": "Changer de carte",
        "card_help": "Enregistrez une autre carte pour la date limite (par exemple si la vôtre expire avant). Rien n’est débité maintenant.",
        "cancel": "Annuler ma contribution",
        "cancel_help": "Votre carte ne sera pas débitée et votre contrepartie revient aux autres contributeurs.",
        "cancelled": "Votre contribution est annulée. Rien ne sera débité.",
        "changed": "Votre contribution est modifiée.",
        "back": "Retour à la campagne",
        "left": "restants",
        "sold_out": "épuisé",
        "fixed": "Rien à régulariser : cette contribution est {status}.",
        "window_closed": "Le délai pour régulariser ce paiement est passé : la contribution a été abandonnée.",
        "extra_pending": "Cette contribution a été payée plus d’une fois : le paiement en trop vous sera remboursé automatiquement, sous peu.",
        "extra_refunded": "Cette contribution a été payée plus d’une fois : le paiement en trop vous a été remboursé automatiquement (votre banque l’affiche sous 5 à 10 jours).",
        "not_changeable": "Cette contribution ne peut plus être modifiée.",
        "flexible_paid": "Financement flexible : votre paiement est allé au créateur dès votre contribution, il ne peut donc pas être modifié ni annulé ici. Seul le créateur peut la rembourser : demandez-le-lui, le remboursement revient sur votre carte.",
        "refunded_note": "Cette contribution a été remboursée : l’argent revient sur votre carte (comptez 5 à 10 jours).",
        "error": "Cela n’a pas fonctionné",
        "remind_sent": "Presque fini : nous vous avons envoyé un e-mail. Ouvrez son lien pour confirmer ; nous vous écrirons une fois, à l’ouverture de la campagne.",
        "remind_confirmed": "C’est confirmé : vous recevrez un e-mail à l’ouverture de la campagne.",
        "remind_confirm_prompt": "Un clic pour confirmer que vous voulez un e-mail à l’ouverture de la campagne.",
        "remind_confirm_button": "Confirmer mon rappel",
        "unsubscribed": "C’est fait : vous ne recevrez pas ce rappel.",
        "unsubscribe_button": "Se désabonner",
        "statuses": {"pledged": "carte enregistrée, débitée seulement si l’objectif est atteint", "paid": "payée",
                     "collected": "débitée", "payment_failed": "paiement refusé : merci de le régulariser",
                     "dropped": "abandonnée", "cancelled": "annulée", "refunded": "remboursée",
                     "pending": "en attente de la page de paiement", "processing": "paiement en cours",
                     "expired": "expirée", "failed": "paiement refusé"},
    },
}


def texts(lang: str) -> dict:
    return TEXTS.get(lang, TEXTS["en"])


def page(status: int, lang: str, title: str, body_html: str) -> dict:
    """An API Gateway v2 response holding a whole HTML page (``body_html`` already escaped).

    ``strict-origin``: a link from the page tells only the site's origin, never the private
    link's token; ``no-referrer`` would also make the browser send ``Origin: null`` with the
    page's own forms, which the form routes refuse as cross-site.
    """
    document = (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow"><meta name="referrer" content="strict-origin">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body><main>{body_html}</main></body></html>")
    return {"statusCode": status,
            "headers": {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                        "X-Robots-Tag": "noindex"},
            "body": document, "isBase64Encoded": False}


STYLE = ("body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}"
         "fieldset{border:1px solid #ccc;border-radius:.5rem;margin:1rem 0}label{display:block;margin:.4rem 0}"
         "input[type=text],input[type=number]{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}"
         "button{font:inherit;padding:.6rem 1rem;border:0;border-radius:.5rem;background:#0a58ca;color:#fff;cursor:pointer}"
         ".danger{background:#b02a37}dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}"
         "dt{font-weight:600}.note{color:#444}")
