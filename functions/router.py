"""All routes of DESIGN §6 behind one entry point (``cagnotte serve``, or one Lambda)."""

from __future__ import annotations

import importlib
import logging

from functions import http
from functions.core.errors import NotFound

log = logging.getLogger("cagnotte.router")

# path prefix (after /api) → handler module; each module checks its own paths and methods
ROUTES = (
    ("/pledges", "functions.handlers.pledges"),
    ("/stripe/webhook", "functions.handlers.webhook"),
    ("/campaigns/", "functions.handlers.stats"),
    ("/referrals/", "functions.handlers.referrals"),
    ("/manage/", "functions.handlers.manage"),
    ("/fix/", "functions.handlers.manage"),
    ("/survey/", "functions.handlers.manage"),  # the pledge manager's survey (functions/handlers/survey.py)
    ("/download/", "functions.handlers.download"),
    ("/reminders", "functions.handlers.reminders"),
    ("/updates/", "functions.handlers.reminders"),  # a campaign's updates: the unsubscribe link
    ("/comments", "functions.handlers.comments"),
)


def dispatch(event: dict, context=None) -> dict:
    """Route one API Gateway v2 event to its handler.

    A failure no handler foresaw is logged and answered 500 with the error JSON
    (rather than a dropped connection in serve, or API Gateway's bare 500).
    """
    try:
        path = event.get("rawPath") or ""
        path = path if isinstance(path, str) else ""
        tail = path[len("/api"):] if path.startswith("/api/") else path
        for prefix, module in ROUTES:
            if tail.rstrip("/") == prefix.rstrip("/") or tail.startswith(prefix.rstrip("/") + "/"):
                return importlib.import_module(module).handler(event, context)
        return http.guarded(_unknown, event)
    except Exception:
        log.exception("unexpected failure answering %s", type(event).__name__)
        return http.respond(500, {"error": {"code": "internal",
                                            "message": "something went wrong on our side; nothing was charged"}})


def _unknown(request: http.Request) -> dict:
    raise NotFound(f"no route {request.path}")
