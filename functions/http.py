"""API Gateway HTTP API (payload format 2.0) events in, responses out.

The same shapes run in Lambda and behind ``cagnotte serve``, which turns each
request into such an event (:func:`event_from`) and calls the handlers in
process. Bodies arrive raw or base64; JSON and HTML form posts are accepted.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import parse_qs, parse_qsl

from functions.core.errors import ApiError, Forbidden, Invalid, TooLarge, UnsupportedMediaType

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
            try:
                data = json.loads(self.body or b"null")
            except (ValueError, UnicodeDecodeError):
                raise Invalid("the body is not valid JSON") from None
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
    request = request_from(event)
    try:
        return handle(request)
    except ApiError as error:
        headers = {"Retry-After": "1"} if error.status == 503 else {}
        if getattr(error, "retry_after", None):
            headers = {"Retry-After": str(error.retry_after)}
        if request.is_form and "text/html" in request.headers.get("accept", ""):
            return error_page(error, request.headers.get("referer"), headers)
        return respond(error.status, error.body(), headers)


def error_page(error: ApiError, back: str | None, headers: dict[str, str]) -> dict:
    from html import escape

    from functions import pages

    link = ""
    if back and back.startswith(("https://", "http://")):
        link = f'<p><a href="{escape(back)}">← Back to the campaign</a></p>'
    title = "Your pledge was not taken"
    response = pages.page(error.status, "en", title,
                          f"<h1>{title}</h1><p>{escape(error.message)}</p><p>Nothing was charged.</p>{link}")
    response["headers"].update(headers)
    return response
