"""Storage adapters behind :class:`functions.core.ports.Store`, chosen by URL.

``sqlite:///path/file.sqlite3`` (embedded default) or ``dynamodb://TABLE``.
"""

from __future__ import annotations

from functions.core.ports import Store

DEFAULT = "sqlite:///.cagnotte/pledges.sqlite3"


class StoreURLError(ValueError):
    pass


def open_store(url: str | None = None) -> Store:
    """Open the store named by ``url`` (``CAGNOTTE_STORE``'s syntax)."""
    url = url or DEFAULT
    if url.startswith("sqlite:///"):
        from .sqlite import SQLiteStore

        return SQLiteStore(url[len("sqlite:///"):])
    if url.startswith("dynamodb://"):
        table = url[len("dynamodb://"):].strip("/")
        if not table:
            raise StoreURLError("CAGNOTTE_STORE=dynamodb:// needs a table name: dynamodb://TABLE")
        from .dynamodb import DynamoDBStore

        return DynamoDBStore(table)
    raise StoreURLError(f"CAGNOTTE_STORE={url!r}: expected sqlite:///path/file.sqlite3 or dynamodb://TABLE")
