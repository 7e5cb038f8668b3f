"""A backer's private links: ``/api/manage/{token}`` (see, change or cancel a pledge),
``/api/fix/{token}`` (pay again after a failed charge, for 7 days) and
``/api/survey/{token}`` (the pledge manager's survey after settlement: :mod:`.survey`).

Pages are plain HTML forms: they work without JavaScript. Tokens are HMAC
signatures (:mod:`functions.core.tokens`); a forged or altered one gets 404.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from html import escape

from functions import http, pages
from functions.core import flows, manage, money, survey, tokens
from functions.core.errors import ApiError, Invalid, MethodNotAllowed, NotFound, PaymentProviderError, Unavailable
from functions.core.pledge import CHECKOUT_TTL, DROPPED, MAX_ADDONS, PAYMENT_FAILED, describe, local_amount
from functions.core.ports import CheckoutRequest, PaymentsError, SoldOut
from functions.runtime import current

log = logging.getLogger("cagnotte.manage")

ROUTE = re.compile(r"^/(?:api/)?(manage|fix|survey)/([A-Za-z0-9_.-]{1,200})$")


def handler(event: dict, context=None) -> dict:
    return http.guarded(route, event)


def route(request: http.Request) -> dict:
    match = ROUTE.match(request.path.rstrip("/"))
    if not match:
        raise NotFound(f"no route {request.path}")
    purpose, token = match.groups()
    runtime = current()
    if not runtime.secret:
        raise Unavailable("private links are not configured (CAGNOTTE_SECRET)")
    pledge_id = tokens.check(purpose, token, runtime.secret)
    pledge = runtime.store.get_pledge(pledge_id) if pledge_id else None
    campaign = runtime.catalog.campaigns.get(pledge.campaign) if pledge else None
    if pledge is None or campaign is None:
        raise NotFound("this link is not valid", hint=("bad_link",))
    if purpose == "survey":
        from functions.handlers import survey as survey_page

        return survey_page.route(request, pledge, campaign, runtime, token)
    if purpose == "fix":
        if request.method not in ("GET", "HEAD"):
            raise MethodNotAllowed("open the link")
        return fix(pledge, campaign, runtime)
    if request.method == "POST":
        http.same_site(request, runtime.origins)  # a page elsewhere cannot cancel or change it
        return act(request, pledge, campaign, runtime, token)
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed("use the page's buttons")
    return show(pledge, campaign, runtime, token)


def _campaign_url(campaign, runtime, lang: str | None = None) -> str:
    url = campaign.page(lang).url
    if runtime.origin and url.startswith(runtime.catalog.base_url):
        url = runtime.origin + url[len(runtime.catalog.base_url):]
    return url


def show(pledge, campaign, runtime, token: str, message: str = "", status: int = 200) -> dict:
    page = campaign.page(pledge.lang)
    t = pages.texts(page.lang)
    formatted = pages.money_formatter(runtime, page.lang)
    now = runtime.now()
    reward = campaign.reward(pledge.reward) if pledge.reward else None
    parts = [f"<h1>{escape(t['manage'])}</h1>"]
    if message:
        parts.append(f'<p role="status"><strong>{escape(message)}</strong></p>')
    parts.append(f"<p>{escape(page.title)}</p><dl>"
                 f"<dt>{escape(t['amount'])}</dt><dd>{escape(formatted(pledge.amount, pledge.currency))}</dd>"
                 f"<dt>{escape(t['reward'])}</dt><dd>{escape(reward_line(pledge, reward, page, t))}</dd>"
                 + (f"<dt>{escape(t['addons'])}</dt><dd>{escape(addons_line(pledge, campaign, page))}</dd>"
                    if pledge.addons else "")
                 + f"<dt>{escape(t['status'])}</dt><dd>{escape(shown_status(pledge, t))}</dd></dl>")
    if pledge.extra_payments:
        parts.append(f'<p role="status">{escape(extra_note(pledge, t))}</p>')
    if reward is not None and reward.download:
        parts.append(download_section(pledge, campaign, runtime, t))
    if manage.changeable(pledge, campaign, now):
        claimed = runtime.store.counters(campaign.slug).claimed
        options = [f'<label><input type="radio" name="reward" value=""{" checked" if not pledge.reward else ""}> '
                   f"{escape(t['none'])}</label>"]
        for r in campaign.rewards:
            price = formatted(r.amount + (r.shipping.cost if r.shipping else 0), campaign.currency)
            held = pledge.quantity if r.id == pledge.reward else 0
            left, disabled = _left(r.limit, claimed.get(r.id, 0) - held, t)
            checked = " checked" if r.id == pledge.reward else ""
            units = ""
            if r.max_per_backer > 1:  # how many of it, beside its own radio (read only for the reward chosen)
                units = (f' <label class="units">{escape(t["quantity_label"])} <input type="number" '
                         f'name="quantity.{escape(r.id)}" min="1" max="{r.max_per_backer}" value="{held or 1}" '
                         f'inputmode="numeric"></label>')
            options.append(f'<label><input type="radio" name="reward" value="{escape(r.id)}"{checked}{disabled}> '
                           f"{escape(page.reward_title(r))} ({escape(price)}{escape(left)})</label>{units}")
        parts.append(
            f'<form method="post"><fieldset><legend>{escape(t["change"])}</legend>'
            f'<p class="note">{escape(t["change_help"])}</p>'
            f'{"".join(options)}'
            + addons_fieldset(pledge, campaign, page, claimed, formatted, t)
            + f'<label>{escape(t["amount_label"])}<input type="text" inputmode="decimal" name="amount"></label>'
            f'<input type="hidden" name="action" value="change"><button type="submit">{escape(t["save"])}</button>'
            f"</fieldset></form>"
            f'<form method="post"><fieldset><legend>{escape(t["card"])}</legend>'
            f'<p class="note">{escape(t["card_help"])}</p><input type="hidden" name="action" value="card">'
            f'<button type="submit">{escape(t["card"])}</button></fieldset></form>'
            f'<form method="post"><fieldset><legend>{escape(t["cancel"])}</legend>'
            f'<p class="note">{escape(t["cancel_help"])}</p><input type="hidden" name="action" value="cancel">'
            f'<button class="danger" type="submit">{escape(t["cancel"])}</button></fieldset></form>')
    elif (campaign.funding == "flexible" or pledge.late) and pledge.status == "paid":
        parts.append(f'<p class="note">{escape(t["flexible_paid"])}</p>')
    elif pledge.status == "refunded":
        parts.append(f'<p class="note">{escape(t["refunded_note"])}</p>')
    elif pledge.status == PAYMENT_FAILED and pledge.fix_deadline and now < pledge.fix_deadline:
        fix_url = f"{runtime.api_base}/fix/{tokens.make('fix', pledge.id, runtime.secret)}"
        parts.append(f'<p><a href="{escape(fix_url)}">{escape(t["statuses"]["payment_failed"])}</a></p>')
    if survey.open_for(pledge, campaign, now):
        survey_url = f"{runtime.api_base}/survey/{tokens.make('survey', pledge.id, runtime.secret)}"
        parts.append(f'<p><a class="button" href="{escape(survey_url)}">{escape(t["survey_manage_link"])}</a></p>')
    if pledge.counts and campaign.comments:
        parts.append(comment_form(pledge, runtime, token, page.lang, t))
    parts.append(f'<p><a href="{escape(_campaign_url(campaign, runtime, page.lang))}">{escape(t["back"])}</a></p>')
    return pages.page(status, page.lang, t["manage"], "".join(parts))


def _left(limit: int | None, taken: int, t: dict) -> tuple[str, str]:
    """`` — 12 left`` (or sold out, and the input disabled) for a limited item; nothing otherwise."""
    if limit is None:
        return "", ""
    remaining = limit - taken
    return (f" — {remaining} {t['left']}", "") if remaining > 0 else (f" — {t['sold_out']}", " disabled")


def addons_fieldset(pledge, campaign, page, claimed: dict, formatted, t: dict) -> str:
    """A number per add-on (0 for none), the pledge's own units filled in; ``addons=form`` says the
    form lists them all, so one left at 0 is released."""
    if not campaign.addons:
        return ""
    mine = dict(pledge.addons)
    rows = []
    for a in campaign.addons:
        held = mine.get(a.id, 0)
        left, disabled = _left(a.limit, claimed.get(a.id, 0) - held, t)
        if held:
            disabled = ""  # what the backer holds can always be kept or lowered
        goes = ""
        if a.requires:
            titles = [page.reward_title(r) for r in campaign.rewards if r.id in a.requires]
            goes = f" — {t['addon_goes_with'].format(rewards=', '.join(titles))}"
        rows.append(f'<label>{escape(page.addon_title(a))} ({escape(formatted(a.amount, campaign.currency))}'
                    f'{escape(left)}{escape(goes)}) <input type="number" name="addon.{escape(a.id)}" min="0" '
                    f'max="{held if disabled else a.max_per_backer}" value="{held}" inputmode="numeric"{disabled}>'
                    "</label>")
    return (f'<fieldset><legend>{escape(t["addons_legend"])}</legend>'
            f'<p class="note">{escape(t["addons_help"])}</p>{"".join(rows)}'
            '<input type="hidden" name="addons" value="form"></fieldset>')


def comment_form(pledge, runtime, token: str, lang: str, t: dict) -> str:
    """"Comment as a backer": posts the manage token, so the comment is published at once with
    its badge (the token stays in this private page and that request, never in the comment)."""
    from functions.core.comments import MAX_NAME, MAX_TEXT

    return (f'<form method="post" action="{escape(runtime.api_base)}/comments" data-backer-comment>'
            f'<fieldset><legend>{escape(t["comment_as_backer"])}</legend>'
            f'<p class="note">{escape(t["comment_as_backer_help"])}</p>'
            f'<input type="hidden" name="campaign" value="{escape(pledge.campaign)}">'
            f'<input type="hidden" name="token" value="{escape(token)}">'
            f'<input type="hidden" name="lang" value="{escape(lang)}">'
            f'<label>{escape(t["comment_name"])}<input type="text" name="name" required maxlength="{MAX_NAME}"'
            ' autocomplete="nickname"></label>'
            f'<label>{escape(t["comment_text"])}<textarea name="text" required maxlength="{MAX_TEXT}" rows="4">'
            "</textarea></label>"
            f'<label class="check"><input type="checkbox" name="notify" value="1"> {escape(t["comment_notify"])}</label>'
            f'<button type="submit">{escape(t["comment_publish"])}</button></fieldset></form>')


def download_section(pledge, campaign, runtime, t: dict) -> str:
    """A digital reward: the backer's own code or a signed link per file, once the pledge is charged."""
    from functions.core import downloads

    head = f'<section class="download"><h2>{escape(t["download"])}</h2>'
    if not downloads.delivered(pledge):
        return head + f'<p class="note">{escape(later(pledge, campaign, t))}</p></section>'
    private = runtime.downloads
    names = downloads.files_of(private, pledge.campaign, pledge.reward)
    if names:
        now = runtime.now()
        links = "".join(f'<li><a href="{escape(runtime.api_base)}/download/'
                        f'{escape(downloads.link_token(pledge.id, name, now, runtime.secret))}" download>'
                        f"{escape(name)}</a></li>" for name in names)
        return head + f'<p class="note">{escape(t["download_files"])}</p><ul>{links}</ul></section>'
    code = downloads.code_for(runtime.store, private, pledge)
    if code is None:
        return head + f'<p role="status">{escape(t["download_no_code"])}</p></section>'
    return (head + f'<p>{escape(t["download_code"])} <code class="download-code">{escape(code)}</code></p>'
            f'<p class="note">{escape(t["download_code_help"])}</p></section>')


def later(pledge, campaign, t: dict) -> str:
    """When a digital reward will be there: after an all-or-nothing deadline, or once the payment arrives."""
    if campaign.funding == "all_or_nothing" and pledge.mode == "setup":
        return t["download_later"].format(date=campaign.ends.date().isoformat())
    return t["download_later_paid"]


def reward_line(pledge, reward, page, t: dict) -> str:
    if reward is None:
        return t["none"]
    title = page.reward_title(reward)
    return f"{title} × {pledge.quantity}" if pledge.quantity > 1 else title


def addons_line(pledge, campaign, page) -> str:
    """``Poster × 2, Patch``: the add-ons in the page's language (one no longer in the catalog by its id)."""
    shown = []
    for addon_id, units in pledge.addons:
        addon = campaign.addon(addon_id)
        title = page.addon_title(addon) if addon else addon_id
        shown.append(f"{title} × {units}" if units > 1 else title)
    return ", ".join(shown)


def shown_status(pledge, t: dict) -> str:
    """The status the backer reads: a deadline charge the bank has not answered yet is "on its way"."""
    if pledge.status == "pledged" and pledge.payment_intent_id and pledge.charge_attempted_at:
        return t["statuses"]["processing"]
    return t["statuses"].get(pledge.status, pledge.status)


def extra_note(pledge, t: dict) -> str:
    """What the backer reads about a second payment (one fix payment per pledge: the extra is refunded)."""
    return t["extra_pending"] if pledge.extra_to_refund else t["extra_refunded"]


def act(request: http.Request, pledge, campaign, runtime, token: str) -> dict:
    page = campaign.page(pledge.lang)
    t = pages.texts(page.lang)
    fields = request.fields()
    now = runtime.now()
    action = fields.get("action")
    if action == "card":
        return new_card(pledge, campaign, runtime, token)
    if action == "cancel":
        decide, limit, done = (lambda p: manage.cancel(p, campaign, now)), None, t["cancelled"]
    elif action == "change":
        reward_id = fields.get("reward") or None
        amount = (fields.get("amount") or "").strip() or None
        if amount:  # as the page's language writes it: 100,50 on a French page
            amount = local_amount(amount, page.decimal, page.group)
        try:
            quantity, addons = wanted_items(fields, reward_id)
        except Invalid as error:
            explained = pages.explain(error, page.lang, pages.money_formatter(runtime, page.lang))
            return show(pledge, campaign, runtime, token, f"{t['error']}: {explained}", 400)
        decide = lambda p: manage.move(p, campaign, reward_id, amount, now,  # noqa: E731
                                       quantity=quantity, addons=addons)[0]
        # Every item's limit: the store bounds only the units a change newly takes.
        limit = {**{r.id: r.limit for r in campaign.rewards}, **{a.id: a.limit for a in campaign.addons}}
        done = t["changed"]
    else:
        return show(pledge, campaign, runtime, token, t["error"], 400)
    try:
        flows.update(runtime.store, pledge, decide, now, links=runtime.links, limit=limit)
    except SoldOut:
        return show(pledge, campaign, runtime, token, f"{t['error']}: {t['sold_out']}", 409)
    except ApiError as error:
        explained = pages.explain(error, page.lang, pages.money_formatter(runtime, page.lang))
        return show(pledge, campaign, runtime, token, f"{t['error']}: {explained}", error.status)
    runtime.send_due_mail()
    return show(runtime.store.get_pledge(pledge.id), campaign, runtime, token, done)


def wanted_items(fields: dict, reward_id: str | None) -> tuple[str | None, tuple | None]:
    """The reward's quantity and the add-ons a change form asks for, as sent.

    The add-ons are None when the form does not list them (``addons=form``):
    then those that go with the new reward stay, as before this form had them.
    """
    sent = fields.get(f"quantity.{reward_id}") if reward_id else None
    if sent is None:
        sent = fields.get("quantity")
    quantity = (sent.strip() or None) if isinstance(sent, str) else None
    if fields.get("addons") != "form":
        return quantity, None
    addons = tuple((key[len("addon."):], value.strip() or "0") for key, value in fields.items()
                   if isinstance(key, str) and key.startswith("addon.") and isinstance(value, str))
    if len(addons) > MAX_ADDONS:
        raise Invalid(f"a pledge takes at most {MAX_ADDONS} add-ons")
    return quantity, addons


def described(pledge, campaign, page) -> str:
    """The pledge's items as Checkout tells them (``Vinyle × 2 + Affiche``), or the campaign's title."""
    reward = campaign.reward(pledge.reward) if pledge.reward else None
    if reward is None:
        return page.title
    addons = [(a, n) for a, n in ((campaign.addon(i), n) for i, n in pledge.addons) if a is not None]
    return describe(page, reward, pledge.quantity, addons)


def new_card(pledge, campaign, runtime, token: str) -> dict:
    """A Checkout session in setup mode on the pledge's Customer: the new card replaces the old one."""
    page = campaign.page(pledge.lang)
    t = pages.texts(page.lang)
    now = runtime.now()
    if not manage.changeable(pledge, campaign, now) or not pledge.customer_id:
        return show(pledge, campaign, runtime, token, t["not_changeable"], 409)
    manage_url = f"{runtime.api_base}/manage/{token}"
    request = CheckoutRequest(
        pledge_id=pledge.id, campaign=campaign.slug, campaign_title=page.title, reward=pledge.reward,
        description=described(pledge, campaign, page), amount=pledge.amount, currency=pledge.currency,
        mode="setup", success_url=manage_url, cancel_url=manage_url, expires_at=now + CHECKOUT_TTL, locale=page.lang,
        kind="card", customer_id=pledge.customer_id, attempt=pledge.version, deadline=campaign.ends)
    try:
        checkout = runtime.payments.create_checkout(request)
    except PaymentsError as error:
        log.warning("manage %s: the payment service failed: %s", pledge.id, error)
        raise PaymentProviderError("the payment service did not answer; nothing was charged: "
                                   "try again in a few minutes") from None
    return http.redirect(checkout.url)


FIX_REUSE_MARGIN = dt.timedelta(minutes=10)  # time left to pay on a reused session (Stripe's form takes minutes)


def fix(pledge, campaign, runtime) -> dict:
    """Send the backer to pay the pledge's amount again: one fix payment per pledge.

    The open fix session is reused while it has time left to pay (a second tab,
    the e-mail's link and the manage page's all land on the same one); only
    then is a new one opened. A second payment that still arrives is refunded
    by the next settle run (docs/operations.md).
    """
    page = campaign.page(pledge.lang)
    t = pages.texts(page.lang)
    now = runtime.now()
    if pledge.status == DROPPED or (pledge.status == PAYMENT_FAILED and pledge.fix_deadline
                                    and now >= pledge.fix_deadline):
        return pages.page(410, page.lang, t["manage"], f"<p>{escape(t['window_closed'])}</p>")
    if pledge.status != PAYMENT_FAILED:
        status = t["statuses"].get(pledge.status, pledge.status)
        extra = f'<p role="status">{escape(extra_note(pledge, t))}</p>' if pledge.extra_payments else ""
        return pages.page(200, page.lang, t["manage"],
                          f"<p>{escape(t['fixed'].format(status=status))}</p>{extra}")
    if pledge.fix_url and pledge.fix_expires_at and now + FIX_REUSE_MARGIN <= pledge.fix_expires_at:
        return http.redirect(pledge.fix_url)
    # Count the attempt first: each new session gets its own idempotency key.
    result, after = flows.update(runtime.store, pledge, lambda p: p.replace(fix_attempts=p.fix_attempts + 1)
                                 if p.status == PAYMENT_FAILED else None, now)
    if result != "applied":  # paid meanwhile (another tab): nothing left to fix
        return fix(after, campaign, runtime) if after else pages.page(404, page.lang, t["manage"], "")
    thanks = page.thanks_url
    expires = now + CHECKOUT_TTL
    request = CheckoutRequest(
        pledge_id=pledge.id, campaign=campaign.slug, campaign_title=page.title, reward=pledge.reward,
        description=page.title, amount=pledge.amount - pledge.refunded, currency=pledge.currency, mode="payment",
        success_url=f"{thanks}?session_id={{CHECKOUT_SESSION_ID}}", cancel_url=page.url,
        expires_at=expires, ref=pledge.ref, locale=page.lang, kind="fix",
        customer_id=pledge.customer_id, attempt=after.fix_attempts)
    request = flows.rebased(request, runtime.catalog.base_url, runtime.origin)
    try:
        checkout = runtime.payments.create_checkout(request)
    except PaymentsError as error:
        log.warning("manage %s: the payment service failed: %s", pledge.id, error)
        raise PaymentProviderError("the payment service did not answer; nothing was charged: "
                                   "try again in a few minutes") from None
    # Remembered for the next visit; a pledge paid meanwhile keeps no session to reuse.
    flows.update(runtime.store, after, lambda p: p.replace(fix_session_id=checkout.session_id, fix_url=checkout.url,
                                                          fix_expires_at=expires)
                 if p.status == PAYMENT_FAILED else None, now)
    return http.redirect(checkout.url)
