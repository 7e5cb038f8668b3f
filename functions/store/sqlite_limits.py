"""The SQLite store's short-lived keys: rate-limit windows, marks, and digital rewards' codes.

A mixin of :class:`functions.store.sqlite.SQLiteStore` (``_db`` and ``_write`` are its own).
"""

from __future__ import annotations

import datetime as dt


class SQLiteLimits:
    """Rate limits (``hits``), marks with an expiry (``marks``) and the code each pledge was given (``codes``)."""

    # -- rate limits ---------------------------------------------------------------------
    def hit(self, key: str, limit: int, expires_at: dt.datetime, now: dt.datetime) -> bool:
        """Count one hit on ``key`` (a window's counter); False, writing nothing, past ``limit``."""
        with self._write:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM hits WHERE expires < ?", (now.isoformat(),))  # windows that are over
                cursor = db.execute("INSERT INTO hits VALUES (?, 1, ?) ON CONFLICT(key) DO UPDATE "
                                    "SET count = count + 1 WHERE count < ?", (key, expires_at.isoformat(), limit))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return cursor.rowcount == 1

    def mark(self, key: str, value: str, expires_at: dt.datetime, now: dt.datetime) -> str | None:
        """Set ``key`` to ``value`` until ``expires_at``; the value it held (None if none or over)."""
        with self._write:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT value FROM marks WHERE key = ? AND expires > ?",
                                 (key, now.isoformat())).fetchone()
                db.execute("INSERT INTO marks VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE "
                           "SET value = excluded.value, expires = excluded.expires",
                           (key, value, expires_at.isoformat()))
                db.execute("DELETE FROM marks WHERE expires <= ?", (now.isoformat(),))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return row[0] if row else None

    # -- digital rewards ---------------------------------------------------------------
    def take_code(self, campaign: str, reward: str, pledge_id: str, count: int) -> int | None:
        """The pledge's code index: its own if it has one, else the next (rows taken = the counter)."""
        row = self._db().execute("SELECT idx FROM codes WHERE campaign = ? AND reward = ? AND pledge_id = ?",
                                 (campaign, reward, pledge_id)).fetchone()
        if row:
            return row[0]
        with self._write:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")  # one writer: the count and the insert see the same rows
            try:
                row = db.execute("SELECT idx FROM codes WHERE campaign = ? AND reward = ? AND pledge_id = ?",
                                 (campaign, reward, pledge_id)).fetchone()
                if row is None:
                    taken = db.execute("SELECT COUNT(*) FROM codes WHERE campaign = ? AND reward = ?",
                                       (campaign, reward)).fetchone()[0]
                    if taken < count:
                        db.execute("INSERT INTO codes VALUES (?, ?, ?, ?)", (campaign, reward, pledge_id, taken))
                        row = (taken,)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return row[0] if row else None

    def marked(self, key: str, now: dt.datetime) -> str | None:
        row = self._db().execute("SELECT value FROM marks WHERE key = ? AND expires > ?",
                                 (key, now.isoformat())).fetchone()
        return row[0] if row else None
