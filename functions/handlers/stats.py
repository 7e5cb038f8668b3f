"""``GET /api/campaigns/{slug}/stats``: public counters, cached briefly by the CDN.

Imports neither ``stripe`` nor the payments adapter: the busiest function
starts cold in the least time.
"""

from __future__ import annotations

import re

from functions import http
from functions.core import flows
from functions.core.errors import MethodNotAllowed, NotFound
from functions.runtime import current

STATS = re.compile(r"^/(?:api/)?campaigns/([a-z0-9][a-z0-9-]{0,99})/stats$")


def handler(event: dict, context=None) -> dict:
    return http.guarded(route, event)


def route(request: http.Request) -> dict:
    match = STATS.match(request.path.rstrip("/"))
    if not match:
        raise NotFound(f"no route {request.path}")
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed("use GET")
    runtime = current()
    body = flows.campaign_stats(match.group(1), catalog=runtime.catalog, store=runtime.store, now=runtime.now())
    return http.respond(200, body, {"Cache-Control": "public, max-age=5"})
