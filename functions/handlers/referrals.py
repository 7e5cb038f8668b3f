"""``GET /api/referrals/{code}``: what a backer's share link has brought."""

from __future__ import annotations

import re

from functions import http
from functions.core import flows
from functions.core.errors import Invalid, MethodNotAllowed, NotFound
from functions.runtime import current

REFERRAL = re.compile(r"^/(?:api/)?referrals/([^/]{1,64})$")


def handler(event: dict, context=None) -> dict:
    return http.guarded(route, event)


def route(request: http.Request) -> dict:
    match = REFERRAL.match(request.path.rstrip("/"))
    if not match:
        if re.match(r"^/(?:api/)?referrals/[^/]{65,}$", request.path.rstrip("/")):
            raise Invalid("a referral code is 1 to 64 letters, digits, '-' or '_'")
        raise NotFound(f"no route {request.path}")
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed("use GET")
    runtime = current()
    body = flows.referral_view(match.group(1), campaign=request.query.get("campaign"),
                               catalog=runtime.catalog, store=runtime.store)
    return http.respond(200, body, {"Cache-Control": "public, max-age=5"})
