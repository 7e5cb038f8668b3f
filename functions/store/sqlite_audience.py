"""The SQLite store's audience: launch reminders, suppressed addresses, and public comments.

A mixin of :class:`functions.store.sqlite.SQLiteStore` (``_db`` and ``_write`` are its own).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3

from functions.core import comments as comment_records
from functions.core.comments import HIDDEN, PENDING as COMMENT_PENDING, VISIBLE, Comment
from functions.core.reminders import Reminder, from_record as reminder_from, to_record as reminder_record
from functions.core.ports import Duplicate


class SQLiteAudience:
    """Who hears from a campaign: reminder sign-ups, addresses never to mail, and comments."""

    # -- launch reminders and suppressed addresses ----------------------------------------
    def add_reminder(self, reminder: Reminder) -> Reminder:
        """Store a sign-up unless that address already signed up; the stored one."""
        with self._write:
            db = self._db()
            db.execute("INSERT INTO reminders VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                       (reminder.campaign, reminder.id, _reminder_json(reminder)))
        return self.get_reminder(reminder.campaign, reminder.id)

    def get_reminder(self, campaign: str, reminder_id: str) -> Reminder | None:
        row = self._db().execute("SELECT data FROM reminders WHERE campaign = ? AND id = ?",
                                 (campaign, reminder_id)).fetchone()
        return _reminder(row[0]) if row else None

    def save_reminder(self, reminder: Reminder) -> None:
        with self._write:
            self._db().execute("UPDATE reminders SET data = ? WHERE campaign = ? AND id = ?",
                               (_reminder_json(reminder), reminder.campaign, reminder.id))

    def delete_reminder(self, campaign: str, reminder_id: str) -> bool:
        with self._write:
            cursor = self._db().execute("DELETE FROM reminders WHERE campaign = ? AND id = ?", (campaign, reminder_id))
        return cursor.rowcount == 1

    def reminders(self, campaign: str) -> list[Reminder]:
        rows = self._db().execute("SELECT data FROM reminders WHERE campaign = ? ORDER BY id", (campaign,))
        return sorted((_reminder(data) for (data,) in rows), key=lambda r: (r.created_at, r.id))

    def suppress(self, address_hash: str, reason: str, now: dt.datetime) -> None:
        with self._write:
            self._db().execute("INSERT INTO suppressed VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                               (address_hash, reason, now.isoformat()))

    def is_suppressed(self, address_hash: str) -> bool:
        return self._db().execute("SELECT 1 FROM suppressed WHERE address_hash = ?",
                                  (address_hash,)).fetchone() is not None

    # -- comments ------------------------------------------------------------------------
    def add_comment(self, comment: Comment) -> None:
        """Store a new comment (pending or visible); :class:`Duplicate` when its id exists."""
        with self._write:
            try:
                self._db().execute("INSERT INTO comments VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   (comment.id, comment.campaign, comment.key, comment.parent, comment.status,
                                    int(comment.pinned), _comment_json(comment)))
            except sqlite3.IntegrityError:
                raise Duplicate(f"comment {comment.id} exists") from None

    def get_comment(self, campaign: str, comment_id: str) -> Comment | None:
        row = self._db().execute("SELECT data FROM comments WHERE id = ? AND campaign = ?",
                                 (comment_id, campaign)).fetchone()
        return _comment(row[0]) if row else None

    def _set_comment(self, campaign: str, comment_id: str, expected: tuple[str, ...], change) -> Comment | None:
        """Rewrite a comment whose status is one of ``expected`` (one conditional UPDATE): the new one, or None."""
        with self._write:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT data FROM comments WHERE id = ? AND campaign = ?",
                                 (comment_id, campaign)).fetchone()
                before = _comment(row[0]) if row else None
                after = change(before) if before is not None and before.status in expected else None
                if after is not None:
                    db.execute("UPDATE comments SET status = ?, pinned = ?, data = ? WHERE id = ?",
                               (after.status, int(after.pinned), _comment_json(after), comment_id))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return after

    def confirm_comment(self, campaign: str, comment_id: str) -> Comment | None:
        """Pending → visible: the comment when this call published it, None otherwise (once only)."""
        return self._set_comment(campaign, comment_id, (COMMENT_PENDING,),
                                 lambda c: dataclasses.replace(c, status=VISIBLE))

    def hide_comment(self, campaign: str, comment_id: str) -> bool:
        return self._set_comment(campaign, comment_id, (VISIBLE, COMMENT_PENDING),
                                 lambda c: dataclasses.replace(c, status=HIDDEN, pinned=False)) is not None

    def pin_comment(self, campaign: str, comment_id: str, pinned: bool = True) -> bool:
        """Pin (or unpin) a visible comment that is not a reply; False otherwise."""
        return self._set_comment(campaign, comment_id, (VISIBLE,),
                                 lambda c: dataclasses.replace(c, pinned=pinned) if c.parent is None
                                 else None) is not None

    def delete_comment(self, campaign: str, comment_id: str) -> bool:
        """Delete a comment and its replies."""
        with self._write:
            cursor = self._db().execute("DELETE FROM comments WHERE campaign = ? AND (id = ? OR parent = ?)",
                                        (campaign, comment_id, comment_id))
        return cursor.rowcount > 0

    def comment_page(self, campaign: str, before: str | None, threads: int) -> tuple[list[Comment], str | None]:
        """Visible comments of the ``threads`` newest threads older than ``before`` (newest first,
        replies included), and the key to continue from (None: no older thread)."""
        db = self._db()
        before = before or "~"  # above every key (they start with a digit)
        parents = [key for (key,) in db.execute(
            "SELECT thread FROM comments WHERE campaign = ? AND parent IS NULL AND status = ? AND thread < ?"
            " ORDER BY thread DESC LIMIT ?", (campaign, VISIBLE, before, threads + 1))]
        if not parents:
            return [], None
        lowest = parents[min(threads, len(parents)) - 1]
        rows = db.execute("SELECT data FROM comments WHERE campaign = ? AND status = ? AND thread >= ?"
                          " AND thread < ? ORDER BY thread DESC", (campaign, VISIBLE, lowest, before))
        return [_comment(data) for (data,) in rows], (lowest if len(parents) > threads else None)

    def pinned_comments(self, campaign: str) -> list[Comment]:
        """Visible pinned comments and their visible replies, newest first."""
        rows = self._db().execute(
            "SELECT c.data FROM comments c WHERE c.campaign = ? AND c.status = ? AND (c.pinned = 1 OR c.parent IN"
            " (SELECT id FROM comments WHERE campaign = ? AND pinned = 1 AND status = ?)) ORDER BY c.thread DESC",
            (campaign, VISIBLE, campaign, VISIBLE))
        return [_comment(data) for (data,) in rows]

    def all_comments(self, campaign: str) -> list[Comment]:
        """Every comment of a campaign, whatever its status, in thread order (moderation)."""
        rows = self._db().execute("SELECT data FROM comments WHERE campaign = ? ORDER BY thread", (campaign,))
        return [_comment(data) for (data,) in rows]


def _reminder_json(reminder: Reminder) -> str:
    return json.dumps(reminder_record(reminder), sort_keys=True, separators=(",", ":"))


def _reminder(data: str) -> Reminder:
    return reminder_from(json.loads(data))


def _comment_json(comment: Comment) -> str:
    return json.dumps(comment_records.to_record(comment), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _comment(data: str) -> Comment:
    return comment_records.from_record(json.loads(data))
