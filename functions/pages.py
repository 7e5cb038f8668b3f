"""Small HTML pages the functions answer themselves (manage a pledge, fix a payment, the survey).

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
        "addons": "Add-ons",
        "addons_help": "Set how many of each you want (0 for none). An add-on goes only with the rewards it names; the amount becomes the new total unless you give more.",
        "quantity_label": "How many of the reward",
        "addons_legend": "Add-ons",
        "addon_goes_with": "with: {rewards}",
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
        "updates_off_prompt": "One click, and you will receive no more of this campaign's updates by e-mail (they stay on its page).",
        "updates_off_button": "Receive no more updates",
        "updates_off": "Done: you will receive no more of this campaign's updates by e-mail.",
        "comment_sent": "Almost done: we sent you an e-mail. Open its link to publish your comment.",
        "comment_posted": "Thank you: your comment is on the campaign page, with its backer badge.",
        "comment_confirm_prompt": "One click to publish your comment on the campaign page.",
        "comment_confirm_button": "Publish my comment",
        "comment_confirmed": "Published: your comment is on the campaign page.",
        "comment_as_backer": "Comment as a backer",
        "comment_as_backer_help": "Your comment shows the name you give and a “backer” badge: never your e-mail address or your pledge.",
        "comment_name": "Your name (shown)",
        "comment_text": "Your comment",
        "comment_publish": "Publish",
        "survey": "Your survey",
        "survey_questions": "The creator's questions",
        "survey_optional": "(optional)",
        "survey_address": "Shipping address",
        "survey_address_help": "The address you gave when you paid: confirm it as it is, or correct it.",
        "address_labels": {"name": "Full name", "line1": "Address", "line2": "Address, second line (optional)",
                           "postal_code": "Postal code", "city": "City", "state": "Region or state (optional)",
                           "country": "Country (two-letter code, for example FR)"},
        "survey_save": "Save my answers",
        "survey_saved": "Thank you: your answers and your address are saved. You can change them until the creator locks the addresses for shipping.",
        "survey_fix": "Some answers need a change: see the messages below. Nothing was saved yet.",
        "survey_locked": "The creator has locked the addresses for shipping: your answers can no longer change. If something is wrong, write to the creator.",
        "survey_not_yet": "The survey opens once the campaign has ended and your pledge is collected.",
        "survey_closed": "There is no survey for this pledge: it was not collected, or it was cancelled or refunded.",
        "survey_nothing": "The creator asks nothing more about this pledge.",
        "survey_no_answer": "no answer",
        "survey_back": "Back to your pledge",
        "survey_manage_link": "Answer the creator's survey and confirm your address",
        "survey_errors": {"required": "Answer this question.", "choice": "Choose one of the answers offered.",
                          "too_long": "An answer holds at most {most} characters: shorten it.",
                          "address_missing": "Fill this in: the parcel needs it.",
                          "address_long": "At most {most} characters.",
                          "country": "Write the country as its two-letter code, for example FR or BE.",
                          "country_not_shipped": "This reward ships only to: {countries}."},
        "comment_notify": "Tell me by e-mail when the creator replies",
        "download": "Your download",
        "download_files": "Your files: each link works for 7 days (open this page again for new ones).",
        "download_code": "Your code:",
        "download_code_help": "It is yours alone: keep it, and do not share it.",
        "download_no_code": "Every code has been handed out: the creator will write to you.",
        "download_later": "Your download opens once your pledge is charged: after the deadline ({date}), if the campaign reaches its goal.",
        "download_later_paid": "Your download opens once your payment has arrived.",
        "download_later_title": "Not available yet",
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
        "addons": "Suppléments",
        "addons_help": "Indiquez combien vous en voulez (0 pour aucun). Un supplément ne va qu’avec les contreparties qu’il nomme ; le montant devient le nouveau total, sauf si vous donnez plus.",
        "quantity_label": "Nombre d’exemplaires de la contrepartie",
        "addons_legend": "Suppléments",
        "addon_goes_with": "avec : {rewards}",
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
        "updates_off_prompt": "Un clic, et vous ne recevrez plus les nouvelles de cette campagne par e-mail (elles restent sur sa page).",
        "updates_off_button": "Ne plus recevoir les nouvelles",
        "updates_off": "C’est fait : vous ne recevrez plus les nouvelles de cette campagne par e-mail.",
        "comment_sent": "Presque fini : nous vous avons envoyé un e-mail. Ouvrez son lien pour publier votre commentaire.",
        "comment_posted": "Merci : votre commentaire est sur la page de la campagne, avec son badge de contributeur.",
        "comment_confirm_prompt": "Un clic pour publier votre commentaire sur la page de la campagne.",
        "comment_confirm_button": "Publier mon commentaire",
        "comment_confirmed": "C’est publié : votre commentaire est sur la page de la campagne.",
        "comment_as_backer": "Commenter en tant que contributeur",
        "comment_as_backer_help": "Votre commentaire affiche le nom que vous indiquez et un badge « contributeur » : jamais votre adresse e-mail ni votre contribution.",
        "comment_name": "Votre nom (affiché)",
        "comment_text": "Votre commentaire",
        "comment_publish": "Publier",
        "survey": "Votre questionnaire",
        "survey_questions": "Les questions du créateur",
        "survey_optional": "(facultatif)",
        "survey_address": "Adresse de livraison",
        "survey_address_help": "L’adresse donnée lors du paiement : confirmez-la telle quelle, ou corrigez-la.",
        "address_labels": {"name": "Nom complet", "line1": "Adresse", "line2": "Complément d’adresse (facultatif)",
                           "postal_code": "Code postal", "city": "Ville", "state": "Région ou état (facultatif)",
                           "country": "Pays (code à deux lettres, par exemple FR)"},
        "survey_save": "Enregistrer mes réponses",
        "survey_saved": "Merci : vos réponses et votre adresse sont enregistrées. Vous pouvez les modifier jusqu’à ce que le créateur verrouille les adresses pour l’expédition.",
        "survey_fix": "Certaines réponses sont à revoir : voyez les messages ci-dessous. Rien n’est encore enregistré.",
        "survey_locked": "Le créateur a verrouillé les adresses pour l’expédition : vos réponses ne peuvent plus changer. En cas d’erreur, écrivez au créateur.",
        "survey_not_yet": "Le questionnaire ouvre une fois la campagne terminée et votre contribution débitée.",
        "survey_closed": "Pas de questionnaire pour cette contribution : elle n’a pas été débitée, ou elle a été annulée ou remboursée.",
        "survey_nothing": "Le créateur ne demande rien de plus pour cette contribution.",
        "survey_no_answer": "pas de réponse",
        "survey_back": "Retour à votre contribution",
        "survey_manage_link": "Répondre au questionnaire du créateur et confirmer votre adresse",
        "survey_errors": {"required": "Répondez à cette question.", "choice": "Choisissez l’une des réponses proposées.",
                          "too_long": "Une réponse compte au plus {most} caractères : raccourcissez-la.",
                          "address_missing": "Complétez ce champ : le colis en a besoin.",
                          "address_long": "Au plus {most} caractères.",
                          "country": "Écrivez le pays avec son code à deux lettres, par exemple FR ou BE.",
                          "country_not_shipped": "Cette contrepartie n’est livrée que vers : {countries}."},
        "comment_notify": "Me prévenir par e-mail quand le créateur répond",
        "download": "Votre téléchargement",
        "download_files": "Vos fichiers : chaque lien fonctionne 7 jours (rouvrez cette page pour en avoir de nouveaux).",
        "download_code": "Votre code :",
        "download_code_help": "Il n’est qu’à vous : gardez-le, et ne le partagez pas.",
        "download_no_code": "Tous les codes ont été distribués : le créateur ou la créatrice vous écrira.",
        "download_later": "Votre téléchargement s’ouvre une fois votre contribution débitée : après la date limite ({date}), si la campagne atteint son objectif.",
        "download_later_paid": "Votre téléchargement s’ouvre dès que votre paiement est arrivé.",
        "download_later_title": "Pas encore disponible",
        "statuses": {"pledged": "carte enregistrée, débitée seulement si l’objectif est atteint", "paid": "payée",
                     "collected": "débitée", "payment_failed": "paiement refusé : merci de le régulariser",
                     "dropped": "abandonnée", "cancelled": "annulée", "refunded": "remboursée",
                     "pending": "en attente de la page de paiement", "processing": "paiement en cours",
                     "expired": "expirée", "failed": "paiement refusé"},
    },
}


# What a person reads when something did not work: a plain sentence with the way forward,
# by the error's hint (functions.core.errors.ApiError.hint) or else its code.
ERRORS = {
    "en": {
        "pledge_refused": "Your pledge was not taken",
        "signup_refused": "Your sign-up was not taken",
        "link_refused": "This link does not work",
        "comment_refused": "Your comment was not published",
        "text_missing": "Write your comment.",
        "text_long": "A comment holds at most {most} characters: shorten it.",
        "name_missing": "Enter the name to show with your comment.",
        "name_long": "A name holds at most {most} characters.",
        "email_invalid": "Enter a valid e-mail address: we send it the link that publishes your comment.",
        "reply_depth": "Replies are one level deep: answer the first comment of the conversation.",
        "comment_gone": "This comment was removed (or never published).",
        "comments_off": "The creator has turned comments off on this campaign.",
        "not_a_backer": "This link names no pledge to this campaign. Open your manage link again from your e-mail, in full.",
        "nothing_charged": "Nothing was charged.",
        "back_campaign": "← Back to the campaign",
        "home": "See all campaigns",
        "amount_required": "Enter an amount.",
        "amount_unreadable": "We could not read this amount: write it in digits, for example {example}.",
        "amount_min": "The amount must be at least {amount}.",
        "amount_min_reward": "This reward starts at {amount} (shipping and add-ons included): give at least that much, or choose another reward.",
        "amount_stripe_min": "The smallest amount a card can be charged is {amount}.",
        "quantity_unreadable": "Write how many you want in digits, for example 2.",
        "quantity_range": "You can take from {minimum} to {most} of this item.",
        "addon_requires": "This add-on does not go with the reward you chose. Go back to the page: each reward lists its own add-ons.",
        "addon_without_reward": "Add-ons and quantities go with a reward: choose one first.",
        "addon_shipping": "These items do not ship to any common country. Choose others, or pledge for them separately.",
        "ships_to": "These items do not ship to the address you gave; they ship only to: {countries}. Choose others, or write to the creator.",
        "amount_stripe_max": "A card cannot be charged more than {amount} in one payment.",
        "bad_link": "This link may be incomplete or mistyped. Open it again from your e-mail, in full.",
        "invalid": "Part of the form could not be read. Go back to the page and try again.",
        "cross_origin": "This form was sent from another site. Open the campaign on its own page and try again there.",
        "not_found": "This campaign or reward does not exist (any more). The home page lists the campaigns.",
        "sold_out": "Other backers just took the last units of this reward or add-on. Choose another, or pledge without it.",
        "not_live": "This campaign is not taking pledges: it has not opened yet, or it is over.",
        "late_unfunded": "This campaign did not reach its goal by its deadline: it takes no more pledges, and nobody was charged.",
        "already_live": "The campaign is already open: you can pledge on its page now.",
        "too_large": "The form sent too much to be read. Go back to the page and try again.",
        "unsupported_media_type": "Part of the form could not be read. Go back to the page and try again.",
        "method_not_allowed": "Use the buttons on the page.",
        "rate_limited": "Many requests came from your connection in a few minutes. Wait {minutes} min and try again.",
        "payment_provider": "The payment service did not answer. Try again in a moment.",
        "unavailable": "The site cannot take this right now. Try again in a minute.",
        "internal": "Something went wrong on our side. Try again in a moment.",
    },
    "fr": {
        "pledge_refused": "Votre contribution n’a pas été prise en compte",
        "signup_refused": "Votre inscription n’a pas été prise en compte",
        "link_refused": "Ce lien ne fonctionne pas",
        "comment_refused": "Votre commentaire n’a pas été publié",
        "text_missing": "Écrivez votre commentaire.",
        "text_long": "Un commentaire compte au plus {most} caractères : raccourcissez-le.",
        "name_missing": "Indiquez le nom à afficher avec votre commentaire.",
        "name_long": "Un nom compte au plus {most} caractères.",
        "email_invalid": "Indiquez une adresse e-mail valide : nous y envoyons le lien qui publie votre commentaire.",
        "reply_depth": "Les réponses n’ont qu’un niveau : répondez au premier commentaire de la conversation.",
        "comment_gone": "Ce commentaire a été retiré (ou n’a jamais été publié).",
        "comments_off": "Le créateur a fermé les commentaires de cette campagne.",
        "not_a_backer": "Ce lien ne correspond à aucune contribution à cette campagne. Rouvrez votre lien de gestion depuis votre e-mail, en entier.",
        "nothing_charged": "Rien n’a été débité.",
        "back_campaign": "← Retour à la campagne",
        "home": "Voir toutes les campagnes",
        "amount_required": "Indiquez un montant.",
        "amount_unreadable": "Nous n’avons pas pu lire ce montant : écrivez-le en chiffres, par exemple {example}.",
        "amount_min": "Le montant doit être d’au moins {amount}.",
        "amount_min_reward": "Cette contrepartie commence à {amount} (livraison et suppléments compris) : donnez au moins ce montant, ou choisissez une autre contrepartie.",
        "amount_stripe_min": "Le plus petit montant qu’une carte peut payer est {amount}.",
        "quantity_unreadable": "Écrivez la quantité en chiffres, par exemple 2.",
        "quantity_range": "Vous pouvez en prendre de {minimum} à {most}.",
        "addon_requires": "Ce supplément ne va pas avec la contrepartie choisie. Revenez à la page : chaque contrepartie liste ses suppléments.",
        "addon_without_reward": "Les suppléments et les quantités vont avec une contrepartie : choisissez-en une d’abord.",
        "addon_shipping": "Ces articles ne sont livrés dans aucun pays commun. Choisissez-en d’autres, ou contribuez pour eux séparément.",
        "ships_to": "Ces articles ne sont pas livrés à l’adresse donnée ; ils ne le sont que vers : {countries}. Choisissez-en d’autres, ou écrivez au créateur ou à la créatrice.",
        "amount_stripe_max": "Une carte ne peut pas payer plus de {amount} en une fois.",
        "bad_link": "Ce lien est peut-être incomplet ou mal recopié. Ouvrez-le à nouveau depuis votre e-mail, en entier.",
        "invalid": "Une partie du formulaire n’a pas pu être lue. Revenez à la page et réessayez.",
        "cross_origin": "Ce formulaire a été envoyé depuis un autre site. Ouvrez la campagne sur sa propre page et réessayez depuis celle-ci.",
        "not_found": "Cette campagne ou cette contrepartie n’existe pas (ou plus). La page d’accueil liste les campagnes.",
        "sold_out": "D’autres contributeurs viennent de prendre les dernières unités de cette contrepartie ou de ce supplément. Choisissez-en un autre, ou contribuez sans.",
        "not_live": "Cette campagne ne prend pas de contributions : elle n’a pas encore commencé, ou elle est terminée.",
        "late_unfunded": "Cette campagne n’a pas atteint son objectif à l’échéance : elle ne prend plus de contributions, et personne n’a été débité.",
        "already_live": "La campagne est déjà ouverte : vous pouvez contribuer sur sa page dès maintenant.",
        "too_large": "Le formulaire a envoyé trop de données pour être lu. Revenez à la page et réessayez.",
        "unsupported_media_type": "Une partie du formulaire n’a pas pu être lue. Revenez à la page et réessayez.",
        "method_not_allowed": "Utilisez les boutons de la page.",
        "rate_limited": "Beaucoup de demandes sont venues de votre connexion en quelques minutes. Attendez {minutes} min et réessayez.",
        "payment_provider": "Le service de paiement n’a pas répondu. Réessayez dans un instant.",
        "unavailable": "Le site ne peut pas traiter cela pour le moment. Réessayez dans une minute.",
        "internal": "Quelque chose n’a pas fonctionné de notre côté. Réessayez dans un instant.",
    },
}


def explain(error, lang: str, money) -> str:
    """The sentence a person reads for ``error`` (an ApiError) in ``lang``; ``money(minor, currency)``."""
    words = ERRORS.get(lang, ERRORS["en"])
    hint = tuple(getattr(error, "hint", ()) or ())
    if hint and hint[0] in words:
        key = hint[0]
        if key == "amount_unreadable":
            currency = hint[1]
            return words[key].format(example=money(1250 if _exponent(currency) else 12, currency))
        if key.endswith("_long") and len(hint) == 2:
            return words[key].format(most=hint[1])
        if key == "ships_to" and len(hint) == 2:
            return words[key].format(countries=", ".join(hint[1]))
        if key == "quantity_range" and len(hint) == 3:
            return words[key].format(minimum=hint[1], most=hint[2])
        if key.startswith("amount_") and len(hint) == 3:
            return words[key].format(amount=money(hint[1], hint[2]))
        return words[key]
    if error.code == "rate_limited":
        return words["rate_limited"].format(minutes=max(1, -(-int(getattr(error, "retry_after", 60)) // 60)))
    return words.get(error.code, words["internal"])


def _exponent(currency: str) -> int:
    from functions.core import money

    try:
        return money.exponent(currency)
    except money.MoneyError:
        return 2


def money_formatter(runtime, lang: str):
    """Money as ``lang`` writes it (``78,00 €``, ``€78.00``): the CLDR patterns the build compiled
    into mail.json; ``78.00 EUR`` when the site has none."""
    from functions.core import mailtext, money

    templates = runtime.mail_templates() if runtime is not None else None
    spec = templates.language(lang) if templates is not None else None
    if spec is None:
        return money.format_plain
    return lambda minor, currency: mailtext.format_money(minor, currency, spec)


def error_page(error, lang: str, title_key: str, back: str | None, home: str | None, money,
               charged_note: bool) -> dict:
    """The page a person gets when a form or a private link did not work, in the site's frame."""
    words = ERRORS.get(lang, ERRORS["en"])
    title = words[title_key]
    parts = [f"<h1>{escape(title)}</h1>", f"<p>{escape(explain(error, lang, money))}</p>"]
    if charged_note:
        parts.append(f"<p>{escape(words['nothing_charged'])}</p>")
    links = []
    if back:
        links.append(f'<a class="button" href="{escape(back)}">{escape(words["back_campaign"])}</a>')
    if home:
        links.append(f'<a href="{escape(home)}">{escape(words["home"])}</a>')
    if links:
        parts.append(f"<p>{' '.join(links)}</p>")
    return page(error.status, lang, title, "".join(parts))


def texts(lang: str) -> dict:
    return TEXTS.get(lang, TEXTS["en"])


TITLE_MARK, MAIN_MARK = "<!--cagnotte:title-->", "<!--cagnotte:main-->"


def _shell(lang: str) -> str | None:
    """The site's own frame (header, footer, stylesheet) for ``lang``, when the build made one."""
    try:
        from functions.runtime import current

        shell = current().page_shell(lang)
    except Exception:  # no runtime or no built site: the plain page below
        return None
    return shell if shell and TITLE_MARK in shell and MAIN_MARK in shell else None


def page(status: int, lang: str, title: str, body_html: str) -> dict:
    """An API Gateway v2 response holding a whole HTML page (``body_html`` already escaped).

    ``strict-origin``: a link from the page tells only the site's origin, never the private
    link's token; ``no-referrer`` would also make the browser send ``Origin: null`` with the
    page's own forms, which the form routes refuse as cross-site.
    """
    shell = _shell(lang)
    if shell is not None:
        document = shell.replace(TITLE_MARK, escape(title), 1).replace(MAIN_MARK, body_html, 1)
    else:
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
         "input[type=text],input[type=number],textarea{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}"
         "button{font:inherit;padding:.6rem 1rem;border:0;border-radius:.5rem;background:#0a58ca;color:#fff;cursor:pointer}"
         ".danger{background:#b02a37}dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}"
         "dt{font-weight:600}.note{color:#444}")
