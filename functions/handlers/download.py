"""``GET /api/download/{token}``: one file of a digital reward, for the pledge the token names.

The token (from the backer's manage page) names the pledge, the file and when
it expires, signed with ``CAGNOTTE_SECRET``. A forged, altered, expired or
other-pledge token is a 404 page; a pledge not charged yet is a 403 page that
says when the download opens. ``cagnotte serve`` answers the file itself from
the campaign's folder; on AWS (``CAGNOTTE_DOWNLOADS``: a private S3 bucket) the
answer is a 302 to a presigned URL that works for a few minutes.
"""

from __future__ import annotations

import base64
import mimetypes
import re
from html import escape

from functions import http, pages
from functions.core import downloads
from functions.core.errors import MethodNotAllowed, NotFound, Unavailable
from functions.runtime import current

ROUTE = re.compile(r"^/(?:api/)?download/([A-Za-z0-9_.-]{1,400})$")
PRESIGNED_TTL = 300  # seconds: the browser follows the redirect at once


def handler(event: dict, context=None) -> dict:
    return http.guarded(route, event)


def route(request: http.Request) -> dict:
    match = ROUTE.match(request.path.rstrip("/"))
    if not match:
        raise NotFound(f"no route {request.path}")
    if request.method not in ("GET", "HEAD"):
        raise MethodNotAllowed("open the link")
    runtime = current()
    if not runtime.secret:
        raise Unavailable("private links are not configured (CAGNOTTE_SECRET)")
    found = downloads.read_token(match.group(1), runtime.now(), runtime.secret)
    pledge = runtime.store.get_pledge(found[0]) if found else None
    campaign = runtime.catalog.campaigns.get(pledge.campaign) if pledge else None
    if pledge is None or campaign is None or found[1] not in downloads.files_of(
            runtime.downloads, pledge.campaign, pledge.reward):
        raise NotFound("this link is not valid", hint=("bad_link",))
    name = found[1]
    if not downloads.delivered(pledge):
        from functions.handlers.manage import later

        page = campaign.page(pledge.lang)
        t = pages.texts(page.lang)
        return pages.page(403, page.lang, t["download_later_title"],
                          f"<h1>{escape(t['download_later_title'])}</h1><p>{escape(later(pledge, campaign, t))}</p>")
    if runtime.downloads_bucket:
        return {"statusCode": 302, "headers": {"Location": presigned(runtime.downloads_bucket, pledge.campaign, name),
                                               "Cache-Control": "no-store"}, "body": "", "isBase64Encoded": False}
    if runtime.downloads_dir is None:
        raise Unavailable("downloads are not configured (CAGNOTTE_DOWNLOADS)")
    try:
        data = (runtime.downloads_dir / pledge.campaign / name).read_bytes()
    except OSError:
        raise NotFound("this file is no longer there", hint=("bad_link",)) from None
    return {"statusCode": 200,
            "headers": {"Content-Type": mimetypes.guess_type(name)[0] or "application/octet-stream",
                        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
                        "X-Robots-Tag": "noindex"},
            "body": "" if request.method == "HEAD" else base64.b64encode(data).decode(), "isBase64Encoded": True}


def presigned(bucket: str, campaign: str, name: str) -> str:
    """A short-lived GET of ``<campaign>/<name>`` in the private downloads bucket, as an attachment."""
    import boto3

    session = boto3.session.Session()
    client = session.client("s3", region_name=session.region_name or "us-east-1")
    return client.generate_presigned_url(
        "get_object", ExpiresIn=PRESIGNED_TTL,
        Params={"Bucket": bucket, "Key": f"{campaign}/{name}",
                "ResponseContentDisposition": f'attachment; filename="{name}"'})
