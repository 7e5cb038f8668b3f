"""``GET /api/campaigns/{slug}/stats``: public counters, cached briefly by the CDN; and
``GET /api/campaigns/{slug}/referrals``: the referral leaderboard, where the creator shows it; and
``GET /api/campaigns/{slug}/comments``: the public comments, a page at a time (read only).

Imports neither ``stripe`` nor the payments adapter: the busiest function
starts cold in the least time.
"""

from __future__ import annotations

import re

from functions import http
from functions.core import flows
from functions.core.errors import MethodNotAllowed, NotFound
from functions.runtime import current

STATS = re.compile(r"^/(?:api/)?campaigns/([a-z0-9][a-z0-9-]{0,99})/(stats|referrals|comments)$")


def handler(event: dict, context=None) -> dict:
    return http.guarded(route, event)


def route(request: http.Request) -> dict:
    match = STATS.match(request.path.rstrip("/"))
    if not match:
        raise NotFound(f"no route {request.path}")
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed("use GET")
    runtime = current()
    slug, what = match.groups()
    if what == "comments":
        from functions.handlers.comments import listing

        return listing(request, slug, runtime)
    if what == "referrals":
        body = flows.leaderboard(slug, catalog=runtime.catalog, store=runtime.store)
        return http.respond(200, body, {"Cache-Control": "public, max-age=30"})
    body = flows.campaign_stats(slug, catalog=runtime.catalog, store=runtime.store, now=runtime.now())
    return http.respond(200, body, {"Cache-Control": "public, max-age=5"})
