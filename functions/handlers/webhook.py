"""``POST /api/stripe/webhook``: Stripe's events, verified on the raw body, applied once."""

from __future__ import annotations

import logging

from functions import http
from functions.core import events, flows
from functions.core.errors import BadSignature, MethodNotAllowed, NotFound, TooLarge, Unavailable
from functions.payments.signature import SignatureError, verify
from functions.runtime import current

log = logging.getLogger("cagnotte.webhook")
MAX_EVENT = 512 * 1024  # Stripe's events are a few KiB; a megabyte is not one of them


def handler(event: dict, context=None) -> dict:
    return http.guarded(route, event)


def route(request: http.Request) -> dict:
    if request.path.rstrip("/") not in ("/api/stripe/webhook", "/stripe/webhook"):
        raise NotFound(f"no route {request.path}")
    if request.method != "POST":
        raise MethodNotAllowed("Stripe POSTs its events")
    if len(request.body) > MAX_EVENT:
        raise TooLarge("this is not a Stripe event (too large)")
    runtime = current()
    if not runtime.webhook_secret:
        # Never accept an unverified event, even if the secret was forgotten.
        raise Unavailable("the webhook secret is not configured (STRIPE_WEBHOOK_SECRET)")
    try:
        verify(request.body, request.headers.get("stripe-signature", ""), runtime.webhook_secret,
               now=int(runtime.now().timestamp()))
    except SignatureError as error:
        raise BadSignature(f"the Stripe-Signature header does not match this body ({error})") from None
    event = http.parse_json(request.body)
    problem = events.malformed(event)
    if problem is not None:
        # Signed by Stripe's secret but not Stripe's shape: never applied, never retried.
        log.warning("event ignored: %s", problem)
        return http.respond(200, {"received": True, "result": "ignored"})
    result = flows.apply_event(event, store=runtime.store, now=runtime.now(), links=runtime.links)
    if result == "applied":
        runtime.send_due_mail()
    log.info("event %s %s: %s", event.get("id"), event.get("type"), result)
    return http.respond(200, {"received": True, "result": result})
