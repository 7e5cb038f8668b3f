"""The newest comments of each campaign, baked into its page at build for readers without JavaScript.

The build reads them from the store it can reach: ``CAGNOTTE_STORE`` when set (the
publish workflow can give it the deployed table), else the site's own SQLite file
when ``cagnotte serve`` made one (``.cagnotte/pledges.sqlite3``). Without either,
or when the store cannot be read, nothing is baked and the page's script shows
the comments as it always does. What was read is part of the build's inputs: a
new comment makes the next build render its campaign's pages again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

BAKED = 5  # the newest conversations shown without JavaScript

log = logging.getLogger("cagnotte.build")


def store_url(root: Path) -> str | None:
    url = os.environ.get("CAGNOTTE_STORE")
    if url:
        return url
    local = root / ".cagnotte" / "pledges.sqlite3"
    return f"sqlite:///{local}" if local.is_file() else None


def newest(root: Path, slugs: list[str]) -> dict[str, list[dict]]:
    """Each campaign's newest visible conversations (public fields, with ``html``), or {} when none can be read."""
    url = store_url(root)
    if not url or not slugs:
        return {}
    from functions.core import comments
    from functions.store import open_store

    try:
        store = open_store(url)
    except Exception as error:  # noqa: BLE001 - a build never fails for want of comments
        log.warning("comments not baked into the pages: the store %s cannot be opened (%s)", url.split("?")[0], error)
        return {}
    found: dict[str, list[dict]] = {}
    try:
        for slug in slugs:
            page, _ = store.comment_page(slug, None, BAKED)
            found[slug] = [{**comments.public(c), "html": comments.linkified(c.text), "when": c.created_at}
                           for c in comments.threads(page)]
    except Exception as error:  # noqa: BLE001
        log.warning("comments not baked into the pages: the store could not be read (%s)", error)
        return {}
    finally:
        store.close()
    return {slug: items for slug, items in found.items() if items}


def digest(baked: dict[str, list[dict]], slug: str | None = None) -> str:
    """What changes when the baked comments (of one campaign, or all) do."""
    data = baked.get(slug, []) if slug is not None else baked
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16] if data else ""
