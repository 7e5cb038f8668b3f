"""``POST /api/pledges`` (open a pledge) and ``GET /api/pledges/{checkout_session_id}``."""

from __future__ import annotations

import dataclasses
import re
from urllib.parse import parse_qs, urlsplit

from functions import http
from functions.core import flows, limits
from functions.core.errors import MethodNotAllowed, NotFound
from functions.core.pledge import REF, PledgeRequest
from functions.runtime import current

SESSION = re.compile(r"^/(?:api/)?pledges/([A-Za-z0-9_]{1,255})$")


def handler(event: dict, context=None) -> dict:
    return http.guarded(route, event)


def route(request: http.Request) -> dict:
    path = request.path.rstrip("/")
    if path in ("/api/pledges", "/pledges"):
        if request.method != "POST":
            raise MethodNotAllowed("use POST to open a pledge")
        return create(request)
    match = SESSION.match(path)
    if match:
        if request.method != "GET":
            raise MethodNotAllowed("use GET to read a pledge")
        runtime = current()
        return http.respond(200, flows.pledge_view(match.group(1), catalog=runtime.catalog, store=runtime.store,
                                                   manage_base=runtime.api_base, secret=runtime.secret))
    raise NotFound(f"no route {request.path}")


def create(request: http.Request) -> dict:
    runtime = current()
    http.same_site(request, runtime.origins)
    fields = request.fields()
    # Each Checkout session holds a limited unit for 30 minutes: one client cannot hold them all.
    limits.check(runtime.store, limits.PLEDGES_PER_CLIENT, request.client, runtime.now())
    wanted = PledgeRequest.from_fields(fields)
    if wanted.ref is None:
        wanted = dataclasses.replace(wanted, ref=referred(request, runtime.origins))
    opened = flows.create_pledge(wanted, catalog=runtime.catalog,
                                 store=runtime.store, payments=runtime.payments, now=runtime.now(),
                                 origin=runtime.origin, client=limits.subject(request.client))
    if request.is_form:
        return http.redirect(opened.checkout_url)
    return http.respond(201, {"pledge_id": opened.pledge_id, "checkout_url": opened.checkout_url})


def referred(request: http.Request, origins: set[str]) -> str | None:
    """The ``?ref=`` of the campaign page a no-JavaScript form was posted from.

    The page is static and the same for everyone, so its form cannot carry
    the code of the link a backer followed; the browser's ``Referer`` does.
    Only the site's own pages count, and only a well-formed code.
    """
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if not referer or f"{parts.scheme}://{parts.netloc}" not in origins:
        return None
    code = (parse_qs(parts.query).get("ref") or [""])[-1].strip()
    return code if REF.match(code) else None
