"""All routes of DESIGN §6 behind one entry point (``cagnotte serve``, or one Lambda)."""

from __future__ import annotations

import importlib

from functions import http
from functions.core.errors import NotFound

# path prefix (after /api) → handler module; each module checks its own paths and methods
ROUTES = (
    ("/pledges", "functions.handlers.pledges"),
    ("/stripe/webhook", "functions.handlers.webhook"),
    ("/campaigns/", "functions.handlers.stats"),
    ("/referrals/", "functions.handlers.referrals"),
    ("/manage/", "functions.handlers.manage"),
    ("/fix/", "functions.handlers.manage"),
    ("/reminders", "functions.handlers.reminders"),
)


def dispatch(event: dict, context=None) -> dict:
    """Route one API Gateway v2 event to its handler."""
    path = event.get("rawPath") or ""
    tail = path[len("/api"):] if path.startswith("/api/") else path
    for prefix, module in ROUTES:
        if tail.rstrip("/") == prefix.rstrip("/") or tail.startswith(prefix.rstrip("/") + "/"):
            return importlib.import_module(module).handler(event, context)
    return http.guarded(_unknown, event)


def _unknown(request: http.Request) -> dict:
    raise NotFound(f"no route {request.path}")
