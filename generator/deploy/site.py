"""The built site in its S3 bucket: what to upload, with which headers, what to delete,
and which CloudFront paths to invalidate.

The bucket's listing (each object's ETag, the MD5 of a single-part upload) says what the
bucket holds; a small manifest kept beside the function packages says which headers each
object was uploaded with. A file is uploaded when either differs, so a second deploy of
an unchanged site uploads nothing, and a change of header rules re-uploads what it
touches. Pages are uploaded after the assets they link to.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

# site.e8365699fe.css: the build names theme assets by a hash of their content
FINGERPRINTED = re.compile(r"\.[0-9a-f]{8,64}\.[A-Za-z0-9]+$")
IMMUTABLE = "public, max-age=31536000, immutable"
# Browsers ask every time (a 304 when unchanged); the CDN keeps a day, and each deploy
# invalidates exactly what changed.
REVALIDATE = "public, max-age=0, s-maxage=86400, must-revalidate"
# Images and files of a campaign keep their names when replaced: an hour in browsers.
SHORT = "public, max-age=3600, s-maxage=86400"
REVALIDATED_SUFFIXES = (".html", ".xml", ".json", ".txt", ".webmanifest")
TYPES = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json", ".map": "application/json", ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp",
    ".avif": "image/avif", ".ico": "image/x-icon", ".woff2": "font/woff2", ".woff": "font/woff",
    ".pdf": "application/pdf", ".webmanifest": "application/manifest+json", ".mp3": "audio/mpeg",
    ".mp4": "video/mp4", ".webm": "video/webm",
}
ATOM = "application/atom+xml; charset=utf-8"
MAX_INVALIDATION_PATHS = 300  # beyond, one "/*" (the first 1,000 paths a month are free, then $0.005 each)
WORKERS = 8


@dataclass(frozen=True)
class LocalFile:
    key: str
    path: Path
    md5: str
    size: int
    content_type: str
    cache_control: str

    @property
    def is_page(self) -> bool:
        return self.cache_control == REVALIDATE

    def headers(self) -> list[str]:
        return [self.md5, self.content_type, self.cache_control]


@dataclass
class SitePlan:
    files: list[LocalFile]
    upload: list[LocalFile] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)  # keys that existed and change

    @property
    def unchanged(self) -> int:
        return len(self.files) - len(self.upload)

    def invalidation_paths(self) -> list[str]:
        """The viewer paths to evict: changed and deleted objects, and the folder address of each page."""
        paths = set()
        for key in self.replaced + self.delete:
            paths.add("/" + key)
            if key == "index.html" or key.endswith("/index.html"):
                paths.add("/" + key[: -len("index.html")])  # what the viewer asked for (/campaigns/x/)
        if len(paths) > MAX_INVALIDATION_PATHS:
            return ["/*"]
        return sorted(paths)

    def manifest(self) -> dict[str, list[str]]:
        return {f.key: f.headers() for f in self.files}


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".xml":
        with path.open("rb") as handle:
            if b"<feed" in handle.read(512):
                return ATOM
    return TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def cache_control(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    if FINGERPRINTED.search(name):
        return IMMUTABLE
    if name.lower().endswith(REVALIDATED_SUFFIXES):
        return REVALIDATE
    return SHORT


def scan(out: Path) -> list[LocalFile]:
    """Every file of the built site (dotfiles left out, except .well-known/)."""
    files = []
    for path in sorted(out.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(out)
        if any(part.startswith(".") and part != ".well-known" for part in rel.parts):
            continue
        key = rel.as_posix()
        data = path.read_bytes()
        files.append(LocalFile(key=key, path=path, md5=hashlib.md5(data).hexdigest(), size=len(data),
                               content_type=content_type(path), cache_control=cache_control(key)))
    return files


def list_bucket(s3: Any, bucket: str) -> dict[str, str]:
    """Key → ETag (without quotes) of every object in the bucket."""
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["ETag"].strip('"')
    return found


def plan(files: list[LocalFile], remote: dict[str, str], manifest: dict[str, list[str]]) -> SitePlan:
    out = SitePlan(files=files)
    local = {f.key for f in files}
    for f in files:
        etag = remote.get(f.key)
        if etag == f.md5 and manifest.get(f.key) == f.headers():
            continue
        out.upload.append(f)
        if etag is not None:
            out.replaced.append(f.key)
    out.delete = sorted(k for k in remote if k not in local)
    return out


def apply(s3: Any, bucket: str, site: SitePlan, say: Callable[[str], None]) -> None:
    """Upload (assets, then pages), then delete."""
    def put(f: LocalFile) -> None:
        data = f.path.read_bytes()
        s3.put_object(Bucket=bucket, Key=f.key, Body=data, ContentType=f.content_type,
                      CacheControl=f.cache_control,
                      ContentMD5=base64.b64encode(hashlib.md5(data).digest()).decode("ascii"))

    assets = [f for f in site.upload if not f.is_page]
    pages = [f for f in site.upload if f.is_page]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for batch in (assets, pages):
            list(pool.map(put, batch))  # re-raises the first failure
    for start in range(0, len(site.delete), 1000):
        keys = site.delete[start:start + 1000]
        answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True})
        if answer.get("Errors"):
            error = answer["Errors"][0]
            raise RuntimeError(f"S3 did not delete {error['Key']}: {error.get('Code')} {error.get('Message', '')}")


def read_manifest(s3: Any, bucket: str, key: str) -> dict[str, list[str]]:
    from botocore.exceptions import ClientError

    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NoSuchBucket"):
            return {}
        raise
    try:
        data = json.loads(body)
    except ValueError:
        return {}  # unreadable: every file is uploaded again, which is always right
    return data.get("files", {}) if isinstance(data, dict) else {}


def write_manifest(s3: Any, bucket: str, key: str, site: SitePlan) -> None:
    body = json.dumps({"format": 1, "files": site.manifest()}, sort_keys=True, separators=(",", ":"))
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode("utf-8"), ContentType="application/json")


def describe(site: SitePlan, limit: int = 40) -> list[str]:
    """The plan as lines: what would be uploaded and deleted (the first ``limit`` of each)."""
    lines = []
    for verb, keys in (("upload", [f.key for f in site.upload]), ("delete", site.delete)):
        for key in keys[:limit]:
            lines.append(f"  {verb} /{key}")
        if len(keys) > limit:
            lines.append(f"  … and {len(keys) - limit} more to {verb}")
    return lines


# -- digital rewards' files: the private downloads bucket --------------------------------------

def download_files(root: Path) -> list[tuple[str, Path]]:
    """``(key, path)`` of every digital reward's file (``.cagnotte/private.json``, written by the
    build): ``<campaign>/<file>``, the key the download route presigns."""
    import json

    try:
        data = json.loads((root / ".cagnotte" / "private.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    found = []
    for slug, rewards in sorted((data.get("downloads") or {}).items()):
        for reward in rewards.values():
            for name in reward.get("files", ()):
                found.append((f"{slug}/{name}", root / "content" / "campaigns" / slug / name))
    return found


def sync_downloads(s3: Any, bucket: str, files: list[tuple[str, Path]], dry_run: bool = False) -> list[str]:
    """Upload the files the private bucket lacks or holds another version of; the keys uploaded (or,
    in a dry run, to upload). Never deletes: a backer's link to a file removed since still works
    until the creator empties the bucket."""
    import hashlib

    remote = list_bucket(s3, bucket)
    sent = []
    for key, path in files:
        data = path.read_bytes()
        if remote.get(key) == hashlib.md5(data).hexdigest():  # noqa: S324 - S3's ETag, not security
            continue
        if not dry_run:
            s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type(path),
                          ContentDisposition=f'attachment; filename="{path.name}"')
        sent.append(key)
    return sent
