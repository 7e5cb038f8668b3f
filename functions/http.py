"""API Gateway HTTP API (payload format 2.0) events in, responses out.

The same shapes run in Lambda and behind ``cagnotte serve``, which turns each
request into such an event (:func:`event_from`) and calls the handlers in
process. Bodies arrive raw or base64; JSON and HTML form posts are accepted.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
import logging
from typing import Callable
from urllib.parse import parse_qs, parse_qsl, urlsplit

from functions.core.errors import ApiError, Forbidden, Invalid, TooLarge, UnsupportedMediaType

log = logging.getLogger("cagnotte.http")

MAX_BODY = 8 * 1024  # bytes: a pledge is a few fields; anything larger is refused (413)
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    query: dict[str, str]
    body: bytes  # raw, as sent: the webhook signature is checked on these bytes
    params: dict[str, str] = field(default_factory=dict)  # from the route pattern
    client: str = ""  # the caller's address (API Gateway's sourceIp): per-client limits

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def is_form(self) -> bool:
        return self.content_type == FORM_TYPE

    def fields(self) -> dict:
        """The body as a dict, from JSON or a form; 413/415/400 otherwise."""
        if len(self.body) > MAX_BODY:
            raise TooLarge(f"the request body is larger than {MAX_BODY // 1024} KiB")
        if self.content_type == JSON_TYPE:
            data = parse_json(self.body or b"null")
            if not isinstance(data, dict):
                raise Invalid("the body must be a JSON object")
            return data
        if self.is_form:
            try:
                text = self.body.decode("utf-8")
            except UnicodeDecodeError:
                raise Invalid("the form is not UTF-8") from None
            return dict(parse_qsl(text, keep_blank_values=False))
        raise UnsupportedMediaType(f"send {JSON_TYPE} or {FORM_TYPE}")


def same_site(request: Request, origins: set[str]) -> None:
    """Refuse a form posted from another site (CSRF): 403 ``cross_origin``, nothing written.

    Browsers send ``Origin`` with every cross-site POST; a form from the
    site's own pages carries the site's. A request without it (curl, a server)
    is not a browser's and cannot carry a visitor's session anyway.
    """
    origin = request.headers.get("origin")
    if request.is_form and origin and origin.rstrip("/") not in origins:
        raise Forbidden("this form was sent from another site: open the campaign page and try again")


def client_address(headers: dict[str, str], context: dict) -> str:
    """The backer's address: CloudFront's ``CloudFront-Viewer-Address`` (``ip:port``), which it
    sets itself in front of the API, else API Gateway's ``sourceIp``."""
    viewer = headers.get("cloudfront-viewer-address", "")
    if viewer:
        return viewer.rpartition(":")[0].strip("[]") or viewer
    return str(context.get("sourceIp") or "")


def parse_json(raw: bytes):
    """JSON text → Python values, or 400: not JSON, nested past Python's stack, or a lone surrogate.

    ``json.loads`` raises RecursionError (not ValueError) on a few thousand nested
    brackets, and accepts ``"\\ud800"``, a string no UTF-8 encoder (the store, the
    response) can write.
    """
    try:
        data = json.loads(raw)
    except RecursionError:
        raise Invalid("the body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError):
        raise Invalid("the body is not valid JSON") from None
    if not encodable(data):
        raise Invalid("the body holds text that is not valid Unicode (a lone surrogate)")
    return data


def encodable(value) -> bool:
    """True when every string in ``value`` (keys too, at any depth) encodes as UTF-8."""
    stack = [value]
    while stack:  # iterative: the depth was already bounded by the parser, the stack is not ours
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return True


def request_from(event: dict) -> Request:
    """A :class:`Request` from an API Gateway v2 event."""
    http = (event.get("requestContext") or {}).get("http") or {}
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raw = base64.b64decode(body)
    else:
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    query = {k: v[-1] for k, v in parse_qs(event.get("rawQueryString") or "").items()}
    return Request(method=http.get("method", "GET").upper(), path=event.get("rawPath") or http.get("path", "/"),
                   headers=headers, query=query, body=raw, params=dict(event.get("pathParameters") or {}),
                   client=client_address(headers, http))


def event_from(method: str, path: str, headers: dict[str, str], body: bytes, query: str = "",
               source_ip: str = "127.0.0.1") -> dict:
    """The API Gateway v2 event for one HTTP request (what ``serve`` hands the handlers)."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {"http": {"method": method.upper(), "path": path, "sourceIp": source_ip,
                                    "protocol": "HTTP/1.1"}},
        "body": base64.b64encode(body).decode("ascii") if body else None,
        "isBase64Encoded": bool(body),
    }


def respond(status: int, body: dict | None = None, headers: dict[str, str] | None = None) -> dict:
    """An API Gateway v2 response with a JSON body."""
    out = {"Content-Type": "application/json", "Cache-Control": "no-store"}
    out.update(headers or {})
    return {"statusCode": status, "headers": out,
            "body": json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body is not None else "",
            "isBase64Encoded": False}


def redirect(location: str) -> dict:
    """303 See Other: where a form post lands (a browser follows it with GET)."""
    return {"statusCode": 303, "headers": {"Location": location, "Cache-Control": "no-store",
                                           "Content-Type": "text/plain; charset=utf-8"},
            "body": f"See {location}\n", "isBase64Encoded": False}


def guarded(handle: Callable[[Request], dict], event: dict) -> dict:
    """Run ``handle``; an :class:`ApiError` becomes its documented status and error JSON.

    A browser's form post (no JavaScript) gets the same status with a short
    HTML page instead, so a backer reads "sold out" rather than raw JSON.
    """
    try:
        request = request_from(event)
    except (ValueError, TypeError, AttributeError):  # binascii.Error is a ValueError
        return respond(400, Invalid("the request is malformed").body())
    if not encodable([request.path, request.query, request.headers, request.params]):
        return respond(400, Invalid("the request holds text that is not valid Unicode").body())
    try:
        return handle(request)
    except ApiError as error:
        headers = {"Retry-After": "1"} if error.status == 503 else {}
        if getattr(error, "retry_after", None):
            headers = {"Retry-After": str(error.retry_after)}
        browser = "text/html" in request.headers.get("accept", "")
        link = request.method in ("GET", "HEAD") and _route(request.path).startswith(LINK_ROUTES)
        if browser and (request.is_form or link):
            back = None if link else same_site_referer(request.headers.get("referer"), request.headers.get("host"),
                                                       our_sites())
            return error_page(error, request, back, headers)
        return respond(error.status, error.body(), headers)


# The private links of e-mails (manage, fix, survey, reminder confirm and unsubscribe, comment confirm): opened in a
# browser, a bad one is a page, not JSON.
LINK_ROUTES = ("/manage/", "/fix/", "/survey/", "/download/", "/reminders/", "/updates/", "/comments/")


def _route(path: str) -> str:
    """``/api/pledges`` or ``/pledges`` (API Gateway's stage path): the route without the prefix."""
    return path[4:] if path.startswith("/api/") else path


def our_sites() -> tuple[str, ...]:
    """The site's public address and serve's own (on AWS the Host header is API Gateway's, not the site's)."""
    from functions.runtime import current

    try:
        runtime = current()
        origins = runtime.origins
    except Exception:  # no runtime, or no catalog yet: only the request's own host counts
        return ()
    return tuple(sorted(origins))


def same_site_referer(referer: str | None, host: str | None, sites: tuple[str, ...] = ()) -> str | None:
    """``referer`` when it is a page of this site (the request's own host, or one of ``sites``), else None.

    The error page links back to it: any other site's address would make our
    page a springboard to it.
    """
    if not referer:
        return None
    try:
        parts = urlsplit(referer)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    ours = {(host or "").lower()} | {urlsplit(site).netloc.lower() for site in sites}
    ours.discard("")
    return referer if parts.netloc.lower() in ours else None


def error_page(error: ApiError, request: Request, back: str | None, headers: dict[str, str]) -> dict:
    """The page a browser gets for an error (``back`` already same-site): the site's frame and
    language, a plain sentence and the way forward, never the developer's message."""
    from functions import pages

    runtime = catalog = None
    try:
        from functions.runtime import current

        runtime = current()
        catalog = runtime.catalog
    except Exception:  # no runtime or no catalog: English, the plain frame
        pass
    lang, home = _page_language(request, catalog, runtime)
    route = _route(request.path)
    if route.startswith("/pledges"):
        title, charged = "pledge_refused", True
    elif route.startswith("/reminders") and request.method == "POST":
        title, charged = "signup_refused", False
    elif route.rstrip("/") == "/comments" and request.method == "POST":
        title, charged = "comment_refused", False
    else:
        title, charged = "link_refused", False
    response = pages.error_page(error, lang, title, back, home, pages.money_formatter(runtime, lang), charged)
    response["headers"].update(headers)
    return response


def _page_language(request: Request, catalog, runtime) -> tuple[str, str | None]:
    """The language of the page a form came from (its ``lang``, else its campaign's, else the
    site's) and that language's home page."""
    if catalog is None:
        return "en", None
    fields: dict = {}
    if request.is_form:
        try:
            fields = request.fields()
        except ApiError:
            fields = {}
    slug, asked = fields.get("campaign"), fields.get("lang")
    campaign = catalog.campaigns.get(slug) if isinstance(slug, str) else None
    if campaign is None and catalog.campaigns:
        campaign = next(iter(catalog.campaigns.values()))
        asked = asked if isinstance(asked, str) else (catalog.language or None)
    if campaign is None:
        return catalog.language or "en", None
    page = campaign.page(asked if isinstance(asked, str) else None)
    base = catalog.base_url.rstrip("/")
    prefix = page.url[len(base):].split("/campaigns/", 1)[0] if page.url.startswith(base) else ""
    origin = (runtime.origin if runtime is not None and runtime.origin else base).rstrip("/")
    return page.lang, f"{origin}{prefix}/"
