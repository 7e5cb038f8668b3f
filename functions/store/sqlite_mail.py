"""The SQLite store's mail queue: one row a message, sent by :mod:`functions.mailer`.

A mixin of :class:`functions.store.sqlite.SQLiteStore`; :func:`queue` also writes
the mails of a pledge change inside the ledger's transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from functions.core.mail import DUE, SENDING, Mail, from_record as mail_from, to_record as mail_record


class SQLiteMail:
    """The queue of mails to send, claimed and finished by conditional updates."""

    # -- mail -------------------------------------------------------------------------
    def queue_mail(self, mail: Mail) -> bool:
        """Queue a message not tied to a pledge change; False if that id was queued before."""
        with self._write:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                queued = queue(db, mail)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return queued

    def get_mail(self, mail_id: str) -> Mail | None:
        row = self._db().execute("SELECT data FROM mails WHERE id = ?", (mail_id,)).fetchone()
        return mail_from(json.loads(row[0])) if row else None

    def due_mails(self, now: dt.datetime, limit: int = 50) -> list[Mail]:
        """Rows to send: due, or claimed by a sender whose lease ran out."""
        rows = self._db().execute("SELECT data FROM mails WHERE due_at IS NOT NULL ORDER BY due_at LIMIT ?",
                                  (limit * 4,))
        out = []
        for (data,) in rows:
            mail = mail_from(json.loads(data))
            if mail.ready(now):
                out.append(mail)
            if len(out) >= limit:
                break
        return out

    def save_mail(self, before: Mail, after: Mail) -> bool:
        """Replace a row if it is still ``before`` (same status and attempts): claim or finish it."""
        with self._write:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                cursor = db.execute(
                    "UPDATE mails SET status = ?, attempts = ?, due_at = ?, data = ?"
                    " WHERE id = ? AND status = ? AND attempts = ?",
                    (after.status, after.attempts, _due_key(after), _mail_json(after), before.id, before.status,
                     before.attempts))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            return cursor.rowcount == 1


def queue(db: sqlite3.Connection, mail: Mail) -> bool:
    """Insert a mail row in the caller's transaction; False if that id was queued before."""
    cursor = db.execute("INSERT INTO mails (id, status, attempts, due_at, data) VALUES (?, ?, ?, ?, ?)"
                        " ON CONFLICT (id) DO NOTHING",
                        (mail.id, mail.status, mail.attempts, _due_key(mail), _mail_json(mail)))
    return cursor.rowcount == 1


def _due_key(mail: Mail) -> str | None:
    """Sort key of a row still to send (None once sent or given up)."""
    if mail.status not in (DUE, SENDING):
        return None
    return f"{mail.created_at.isoformat() if mail.created_at else ''}#{mail.id}"


def _mail_json(mail: Mail) -> str:
    return json.dumps(mail_record(mail), sort_keys=True, separators=(",", ":"))
