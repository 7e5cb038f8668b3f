"""The pledge API and the local test checkout inside ``cagnotte serve``.

Requests to ``/api/…`` become API Gateway v2 events handed to the same
handlers Lambda runs (:mod:`functions.router`). Without ``STRIPE_SECRET_KEY``
payments go to :class:`functions.payments.local.LocalCheckout`, whose pages
live under ``/_cagnotte/checkout/``; paying there delivers a signed
``checkout.session.completed`` to the webhook route.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

from functions import http, router
from functions.core import money
from functions.payments.local import CHECKOUT_PATH, LocalCheckout
from functions.payments.signature import new_webhook_secret
from functions.runtime import Runtime, install
from generator.build import now_from_environment

SWEEP_SECONDS = 30


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class Api:
    """The functions, wired for one serve process."""

    def __init__(self, root: Path, out: Path, origin: str, environ: dict[str, str] | None = None):
        env = os.environ if environ is None else environ
        store = env.get("CAGNOTTE_STORE") or f"sqlite:///{(root / '.cagnotte' / 'pledges.sqlite3').resolve()}"
        self.stripe_key = env.get("STRIPE_SECRET_KEY") or None
        secret = env.get("STRIPE_WEBHOOK_SECRET") or None
        if self.stripe_key is None:
            # The local checkout signs its own events: a fresh secret per run is enough.
            secret = secret or new_webhook_secret()
        self.local = None if self.stripe_key else LocalCheckout(origin, secret)
        self.runtime = Runtime(catalog_path=out / "catalog.json", store_url=store, stripe_key=self.stripe_key,
                               webhook_secret=secret, secret=env.get("CAGNOTTE_SECRET") or local_secret(root), stripe_api_base=env.get("STRIPE_API_BASE") or None,
                               origin=origin, payments_factory=(lambda: self.local) if self.local else None,
                               clock=now_from_environment, private_path=root / ".cagnotte" / "private.json",
                               mail_url=env.get("CAGNOTTE_MAIL") or f"outbox:///{(root / '.cagnotte' / 'outbox').resolve()}",
                               mail_from=env.get("CAGNOTTE_MAIL_FROM") or None,
                               ses_configuration_set=env.get("CAGNOTTE_SES_CONFIGURATION_SET") or None,
                               downloads_dir=root / "content" / "campaigns")
        install(self.runtime)
        self._stop = threading.Event()
        self.language = _site_language(root)

    def describe(self) -> str:
        if self.local:
            return "pledges: local test checkout (no STRIPE_SECRET_KEY: no card is charged)"
        if not self.runtime.webhook_secret:
            return ("pledges: Stripe test mode, but STRIPE_WEBHOOK_SECRET is not set: run "
                    "`stripe listen --forward-to <this address>api/stripe/webhook` and export the secret it prints")
        return "pledges: Stripe (events from `stripe listen --forward-to …/api/stripe/webhook`)"

    # -- requests --------------------------------------------------------------------
    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Answer:
        if path.startswith(CHECKOUT_PATH) and self.local:
            return self._checkout(method, path[len(CHECKOUT_PATH):], headers, body)
        event = http.event_from(method, path, headers, body, query)
        response = router.dispatch(event)
        return _answer(response)

    def deliver(self, event: dict) -> Answer:
        """Send a local event to the webhook route, signed, as Stripe would."""
        now = self.runtime.now()
        raw, signature = self.local.signed(event, now)
        response = router.dispatch(http.event_from("POST", "/api/stripe/webhook",
                                                   {"Content-Type": "application/json",
                                                    "Stripe-Signature": signature}, raw))
        return _answer(response)

    # -- the test checkout pages ---------------------------------------------------------
    def _checkout(self, method: str, rest: str, headers: dict[str, str], body: bytes) -> Answer:
        session_id, _, action = rest.partition("/")
        session = self.local.session(session_id)
        lang = language_of(session) if session is not None else self.language
        t = TEXTS[lang]
        if session is None:
            return _page(404, t["missing_title"], f"<p>{t['missing']}</p>", lang)
        now = self.runtime.now()
        if method == "GET" and not action:
            return _page(200, t["checkout"], _form(session, now, lang), lang)
        if method != "POST" or action not in ("pay", "cancel"):
            return _page(405, t["checkout"], f"<p>{t['not_allowed']}</p>", lang)
        if action == "cancel":
            event = self.local.expire(session_id, now)
            if event:
                self.deliver(event)
            return Answer(303, {"Location": session.request.cancel_url}, b"")
        fields = dict(parse_qsl(body.decode("utf-8", "replace")))
        details = {k: fields.get(k, "").strip()[:200] for k in ("email", "name", "country", "line1", "city",
                                                                 "postal_code")}
        details["country"] = details["country"].upper() or None
        event = self.local.complete(session_id, details, now)
        if event is None:
            return _page(410, t["closed_title"], f"<p>{t['closed']}</p>", lang)
        answer = self.deliver(event)
        if answer.status != 200:
            # The backer reads a sentence; the developer reads the webhook's answer in serve's log.
            log(f"local checkout {session_id}: the webhook answered {answer.status}: "
                f"{answer.body.decode('utf-8', 'replace')[:500]}")
            return _page(502, t["refused_title"], f"<p>{t['refused']}</p>", lang)
        return Answer(303, {"Location": session.request.success_url.replace("{CHECKOUT_SESSION_ID}", session_id)},
                      b"")

    # -- expiry ------------------------------------------------------------------------------
    def start_sweeper(self) -> None:
        """Every 30 s: expire abandoned local sessions (Stripe does it after ``expires_at``) and send mail."""

        def sweep() -> None:
            while not self._stop.wait(SWEEP_SECONDS):
                self.sweep()

        threading.Thread(target=sweep, daemon=True, name="checkout-expiry").start()

    def sweep(self) -> int:
        """Expire abandoned local sessions, queue what the clock decides, send queued mail."""
        from functions.core.flows import queue_scheduled_mail

        count = 0
        if self.local:
            for event in self.local.expire_due(self.runtime.now()):
                self.deliver(event)
                count += 1
        try:
            queue_scheduled_mail(catalog=self.runtime.catalog, store=self.runtime.store, links=self.runtime.links,
                                 now=self.runtime.now(), creators=self.runtime.creators)
        except Exception as error:  # the site may not be built yet; the next sweep tries again
            log(f"mail sweep: {error}")
        self.runtime.send_due_mail()
        return count

    def close(self) -> None:
        self._stop.set()
        install(None)


def local_secret(root: Path) -> str:
    """The site's own signing secret for private links, kept in .cagnotte/ (never in the repo)."""
    import secrets

    path = root / ".cagnotte" / "secret"
    try:
        return path.read_text(encoding="ascii").strip()
    except OSError:
        path.parent.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(32)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(value + "\n")
        return value


def _site_language(root: Path) -> str:
    """The site's default language, for a checkout page that has no session to say it."""
    try:
        from generator.config import load_config

        base = load_config(root).language.split("-")[0].lower()
    except Exception:  # a broken site.yml is `serve`'s rebuild to report, not this page's
        return "en"
    return base if base in TEXTS else "en"


def _answer(response: dict) -> Answer:
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):  # a download's bytes
        import base64

        return Answer(int(response["statusCode"]), dict(response.get("headers") or {}), base64.b64decode(body))
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return Answer(int(response["statusCode"]), dict(response.get("headers") or {}), raw)


# The local checkout speaks the campaign's language (the locale its Checkout
# session asks for), as Stripe's own page does; other languages read English.
TEXTS = {
    "en": {
        "test": "Test mode — no card is charged.", "stands_in": "This page stands in for Stripe Checkout on your machine.",
        "setup": "Your card is saved now and charged only if the campaign reaches its goal.",
        "payment": "You are charged now.", "ship_country": "Shipping country", "address": "Address", "city": "City",
        "postal_code": "Postal code", "country": "Country", "name": "Name", "email": "E-mail",
        "pay": "Pay {amount} (test)", "cancel": "Cancel and go back", "expires": "This session expires in {minutes} min.",
        "checkout": "Test checkout", "missing_title": "Checkout session not found",
        "missing": "This test checkout session does not exist (serve was restarted?). Go back to the campaign and pledge again.",
        "closed_title": "Checkout session closed",
        "closed": "This checkout session has already been paid, cancelled or has expired.",
        "refused_title": "The payment was not recorded",
        "refused": "Your pledge could not be recorded. Nothing was charged: go back to the campaign and try again.",
        "not_allowed": "Use the buttons of the checkout page.",
    },
    "fr": {
        "test": "Mode test — aucune carte n’est débitée.",
        "stands_in": "Cette page remplace Stripe Checkout sur votre machine.",
        "setup": "Votre carte est enregistrée maintenant et débitée seulement si la campagne atteint son objectif.",
        "payment": "Vous êtes débité maintenant.", "ship_country": "Pays de livraison", "address": "Adresse",
        "city": "Ville", "postal_code": "Code postal", "country": "Pays", "name": "Nom", "email": "E-mail",
        "pay": "Payer {amount} (test)", "cancel": "Annuler et revenir", "expires": "Cette session expire dans {minutes} min.",
        "checkout": "Paiement de test", "missing_title": "Session de paiement introuvable",
        "missing": "Cette session de paiement de test n’existe pas (serve a redémarré ?). Revenez à la campagne et contribuez à nouveau.",
        "closed_title": "Session de paiement terminée",
        "closed": "Cette session de paiement a déjà été payée, annulée ou a expiré.",
        "refused_title": "Le paiement n’a pas été enregistré",
        "refused": "Votre contribution n’a pas pu être enregistrée. Rien n’a été débité : revenez à la campagne et réessayez.",
        "not_allowed": "Utilisez les boutons de la page de paiement.",
    },
}


def language_of(session) -> str:
    """The checkout's language: its session's locale ("fr", "fr-BE" → fr), English otherwise."""
    locale = (session.request.locale if session is not None else None) or "en"
    base = locale.replace("_", "-").split("-")[0].lower()
    return base if base in TEXTS else "en"


def _local_money(minor: int, currency: str, locale: str) -> str:
    """The amount as Stripe's page writes it for the session's locale: ``€37.50``, ``37,50 €`` (CLDR)."""
    from decimal import Decimal

    from babel import Locale, UnknownLocaleError
    from babel.numbers import format_currency

    try:
        where = Locale.parse(locale.replace("-", "_")) if locale and locale != "auto" else Locale.parse("en")
    except (ValueError, UnknownLocaleError):
        where = Locale.parse("en")
    value = Decimal(minor).scaleb(-money.exponent(currency))
    return format_currency(value, currency, locale=where, currency_digits=True)


def _form(session, now: dt.datetime, lang: str) -> str:
    t = TEXTS[lang]
    r = session.request
    amount = html.escape(_local_money(r.amount, r.currency, r.locale or lang))
    what = html.escape(r.description)
    title = html.escape(r.campaign_title)
    when = t["setup"] if r.mode == "setup" else t["payment"]
    countries = ""
    if r.shipping_countries:
        options = "".join(f'<option value="{html.escape(c)}">{html.escape(c)}</option>' for c in r.shipping_countries)
        countries = (f'<label>{t["ship_country"]}<select name="country" required>{options}</select></label>'
                     f'<label>{t["address"]}<input name="line1" autocomplete="address-line1" required></label>'
                     f'<label>{t["city"]}<input name="city" autocomplete="address-level2" required></label>'
                     f'<label>{t["postal_code"]}<input name="postal_code" autocomplete="postal-code" required></label>')
    else:
        countries = f'<label>{t["country"]}<input name="country" value="FR" maxlength="2" autocomplete="country"></label>'
    minutes = max(int((r.expires_at - now).total_seconds() // 60), 0)
    return f"""
<p class="banner" role="note"><strong>{t["test"]}</strong>
{t["stands_in"]}</p>
<h1>{title}</h1>
<p class="what">{what}</p>
<p class="amount">{amount}</p>
<p>{when}</p>
<form method="post" action="{CHECKOUT_PATH}{html.escape(session.id)}/pay">
  <label>{t["name"]}<input name="name" autocomplete="name" required value="Test Backer"></label>
  <label>{t["email"]}<input name="email" type="email" autocomplete="email" required value="backer@example.org"></label>
  {countries}
  <button type="submit">{t["pay"].format(amount=amount)}</button>
</form>
<form method="post" action="{CHECKOUT_PATH}{html.escape(session.id)}/cancel">
  <button type="submit" class="secondary">{t["cancel"]}</button>
</form>
<p class="small">{t["expires"].format(minutes=minutes)}</p>"""


_STYLE = """body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
.banner{background:#fff4cc;border:2px solid #c99a00;padding:.75rem;border-radius:.5rem}
.amount{font-size:2rem;font-weight:700;margin:.5rem 0}label{display:block;margin:.75rem 0}
input,select{display:block;width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
button{font:inherit;padding:.75rem 1.25rem;border:0;border-radius:.5rem;background:#0a58ca;color:#fff;
margin:.5rem 0;cursor:pointer}.secondary{background:#e9ecef;color:#1d1d1f}.small{color:#555;font-size:.875rem}"""


def _page(status: int, title: str, content: str, lang: str = "en") -> Answer:
    page = (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="robots" content="noindex"><title>{html.escape(title)} · Cagnotte</title>'
            f"<style>{_STYLE}</style></head><body><main>{content}</main></body></html>")
    return Answer(status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
                  page.encode("utf-8"))


def log(message: str) -> None:
    print(message, file=sys.stderr)
