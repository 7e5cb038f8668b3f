"""The pledge manager's page: ``/api/survey/{token}`` (the signed link of the ``survey`` mail
and of the manage page).

GET shows the creator's questions for the backer's reward and the shipping
address they gave at Checkout (or the one they confirmed since); it changes
nothing. POST checks every answer (required, one of the choices, text ≤ 1000
characters, a complete address) and saves them with the confirmed or corrected
address, in the backer's language and the site's frame, as plain forms that
work without JavaScript. Once the creator locks the addresses (``cagnotte lock``)
the page shows the answers read-only.
"""

from __future__ import annotations

from html import escape

from functions import http, pages
from functions.core import survey, tokens
from functions.core.errors import MethodNotAllowed

ADDRESS_AUTOCOMPLETE = {"name": "shipping name", "line1": "shipping address-line1",
                        "line2": "shipping address-line2", "postal_code": "shipping postal-code",
                        "city": "shipping address-level2", "state": "shipping address-level1",
                        "country": "shipping country"}


def route(request: http.Request, pledge, campaign, runtime, token: str) -> dict:
    if request.method == "POST":
        http.same_site(request, runtime.origins)  # a page elsewhere cannot answer for the backer
        return save(request, pledge, campaign, runtime, token)
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed("use the page's button")
    return show(pledge, campaign, runtime, token)


def show(pledge, campaign, runtime, token: str, *, message: str = "", status: int = 200,
         posted: dict | None = None, refusals: tuple = ()) -> dict:
    page = campaign.page(pledge.lang)
    t = pages.texts(page.lang)
    now = runtime.now()
    parts = [f"<h1>{escape(t['survey'])}</h1>", f"<p>{escape(page.title)}</p>"]
    if message:
        role = "alert" if refusals or status >= 400 else "status"
        parts.append(f'<p role="{role}"><strong>{escape(message)}</strong></p>')
    if not survey.wanted(pledge, campaign):
        parts.append(f'<p class="note">{escape(t["survey_nothing"])}</p>')
    elif not survey.settled(pledge, campaign, now):
        over = now >= campaign.ends and pledge.status in survey.NEVER_SETTLED
        note = t["survey_closed" if over else "survey_not_yet"]
        if note != message:  # a refused POST already says it
            parts.append(f'<p class="note">{escape(note)}</p>')
    else:
        stored = runtime.store.get_survey(pledge.id)
        locked = runtime.store.addresses_locked(campaign.slug)
        if locked is not None:
            if not message:
                parts.append(f'<p role="status">{escape(t["survey_locked"])}</p>')
            parts.append(answered(pledge, campaign, page, stored, t))
        else:
            parts.append(form(pledge, campaign, page, stored, t, posted, refusals))
    manage_url = f"{runtime.api_base}/manage/{tokens.make('manage', pledge.id, runtime.secret)}"
    parts.append(f'<p><a href="{escape(manage_url)}">{escape(t["survey_back"])}</a></p>')
    return pages.page(status, page.lang, t["survey"], "".join(parts))


def _refusal_text(refusal, t: dict) -> str:
    words = t["survey_errors"]
    return words[refusal.code].format(most=refusal.detail, countries=refusal.detail)


def form(pledge, campaign, page, stored, t: dict, posted: dict | None, refusals) -> str:
    """The questions and the address, filled with what was posted, else saved, else Checkout's."""
    errors = {r.field: _refusal_text(r, t) for r in refusals}
    saved = stored.answers if stored else {}

    def current(name: str, qid: str) -> str:
        if posted is not None:
            value = posted.get(name)
            return value.strip() if isinstance(value, str) else ""
        return saved.get(qid, "")

    def error_of(name: str) -> tuple[str, str]:
        if name not in errors:
            return "", ""
        return (f' aria-invalid="true" aria-describedby="error-{escape(name)}"',
                f'<p class="error" id="error-{escape(name)}"><strong>{escape(errors[name])}</strong></p>')

    parts = ['<form method="post">']
    questions = campaign.questions_for(pledge.reward)
    if questions:
        parts.append(f'<fieldset><legend>{escape(t["survey_questions"])}</legend>')
        for q in questions:
            name = f"q-{q.id}"
            text, shown = page.question_text(q)
            label = escape(text) + ("" if q.required else f' <span class="note">{escape(t["survey_optional"])}</span>')
            value = current(name, q.id)
            invalid, error = error_of(name)
            required = " required" if q.required else ""
            if q.kind == "choice":
                options = "".join(
                    f'<label><input type="radio" name="{escape(name)}" value="{escape(choice)}"'
                    f'{" checked" if value == choice else ""}{required}{invalid}> {escape(label_text)}</label>'
                    for choice, label_text in zip(q.choices, shown))
                parts.append(f"<fieldset><legend>{label}</legend>{error}{options}</fieldset>")
            else:
                parts.append(f'<label>{label}{error}<textarea name="{escape(name)}" rows="3" '
                             f'maxlength="{survey.MAX_TEXT}"{required}{invalid}>{escape(value)}</textarea></label>')
        parts.append("</fieldset>")
    if survey.ships(pledge, campaign):
        address = survey.shown_address(pledge, stored)
        if posted is not None:
            address = {n: (posted.get(f"address-{n}") or "").strip() if isinstance(posted.get(f"address-{n}"), str)
                       else "" for n in survey.ADDRESS_FIELDS}
        reward = campaign.reward(pledge.reward) if pledge.reward else None
        countries = reward.shipping.countries if reward and reward.shipping else ()
        parts.append(f'<fieldset><legend>{escape(t["survey_address"])}</legend>'
                     f'<p class="note">{escape(t["survey_address_help"])}</p>')
        for field in survey.ADDRESS_FIELDS:
            name = f"address-{field}"
            invalid, error = error_of(name)
            required = " required" if field in survey.REQUIRED_ADDRESS else ""
            label = escape(t["address_labels"][field])
            auto = ADDRESS_AUTOCOMPLETE[field]
            if field == "country" and countries:
                options = "".join(f'<option value="{escape(c)}"{" selected" if c == address["country"] else ""}>'
                                  f"{escape(c)}</option>" for c in countries)
                parts.append(f'<label>{label}{error}<select name="{name}" autocomplete="{auto}"{required}{invalid}>'
                             f"{options}</select></label>")
            else:
                size = ' maxlength="2"' if field == "country" else f' maxlength="{survey.MAX_ADDRESS_FIELD}"'
                parts.append(f'<label>{label}{error}<input type="text" name="{name}" autocomplete="{auto}" '
                             f'value="{escape(address.get(field, ""))}"{size}{required}{invalid}></label>')
        parts.append("</fieldset>")
    parts.append(f'<button type="submit">{escape(t["survey_save"])}</button></form>')
    return "".join(parts)


def answered(pledge, campaign, page, stored, t: dict) -> str:
    """What the backer answered, read-only (the addresses are locked for shipping)."""
    saved = stored.answers if stored else {}
    rows = []
    for q in campaign.questions_for(pledge.reward):
        text, shown = page.question_text(q)
        value = saved.get(q.id, "")
        if q.kind == "choice" and value in q.choices:
            value = shown[q.choices.index(value)]
        rows.append(f"<dt>{escape(text)}</dt><dd>{escape(value or t['survey_no_answer'])}</dd>")
    if survey.ships(pledge, campaign):
        address = survey.shown_address(pledge, stored)
        lines = [address["name"], address["line1"], address["line2"],
                 " ".join(v for v in (address["postal_code"], address["city"]) if v), address["state"],
                 address["country"]]
        rows.append(f"<dt>{escape(t['survey_address'])}</dt>"
                    f"<dd>{'<br>'.join(escape(line) for line in lines if line)}</dd>")
    return f"<dl>{''.join(rows)}</dl>"


def save(request: http.Request, pledge, campaign, runtime, token: str) -> dict:
    page = campaign.page(pledge.lang)
    t = pages.texts(page.lang)
    now = runtime.now()
    fields = request.fields()
    if not survey.open_for(pledge, campaign, now):
        later = survey.wanted(pledge, campaign) and not (now >= campaign.ends and pledge.status in survey.NEVER_SETTLED)
        return show(pledge, campaign, runtime, token, message=t["survey_not_yet" if later else "survey_closed"],
                    status=409)
    if runtime.store.addresses_locked(campaign.slug) is not None:
        return show(pledge, campaign, runtime, token, message=t["survey_locked"], status=409)
    reward = campaign.reward(pledge.reward) if pledge.reward else None
    countries = reward.shipping.countries if reward and reward.shipping else ()
    answers, address, refusals = survey.read(fields, campaign.questions_for(pledge.reward),
                                             survey.ships(pledge, campaign), countries)
    if refusals:
        return show(pledge, campaign, runtime, token, message=t["survey_fix"], status=400, posted=fields,
                    refusals=tuple(refusals))
    record = survey.Survey(pledge.id, campaign.slug, answers, address, now)
    if not runtime.store.save_survey(record):  # locked between the check and the write
        return show(pledge, campaign, runtime, token, message=t["survey_locked"], status=409)
    return show(pledge, campaign, runtime, token, message=t["survey_saved"])
