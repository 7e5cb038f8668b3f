"""The embedded store: SQLite from the standard library (WAL, migrations).

Every write is one ``BEGIN IMMEDIATE`` transaction whose statements are
conditional (``claimed < limit``, ``version = ?``, a primary key on event ids):
two processes or threads can never both take the last unit of a reward or apply
the same event.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path

from functions.core import comments as comment_records, survey as survey_records
from functions.core.comments import HIDDEN, PENDING as COMMENT_PENDING, VISIBLE, Comment
from functions.core.model import Change, opening_claims
from functions.core.mail import DUE, SENDING, Mail, from_record as mail_from, to_record as mail_record
from functions.core.pledge import Pledge, from_record, to_record
from functions.core.reminders import Reminder, from_record as reminder_from, to_record as reminder_record
from functions.core.ports import Conflict, Counters, Duplicate, Referral, SoldOut
from functions.core.errors import Unavailable

# Each entry takes the schema from its index to the next; never edit a shipped one.
MIGRATIONS = (
    """
    CREATE TABLE pledges (
        id TEXT PRIMARY KEY,
        campaign TEXT NOT NULL,
        session_id TEXT UNIQUE,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX pledges_campaign ON pledges (campaign, created_at);
    CREATE TABLE events (id TEXT PRIMARY KEY, pledge_id TEXT NOT NULL, applied_at TEXT NOT NULL);
    CREATE TABLE counters (
        campaign TEXT PRIMARY KEY,
        raised INTEGER NOT NULL DEFAULT 0,
        backers INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT
    );
    CREATE TABLE claims (
        campaign TEXT NOT NULL, reward TEXT NOT NULL, claimed INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (campaign, reward)
    );
    CREATE TABLE days (
        campaign TEXT NOT NULL, day TEXT NOT NULL,
        raised INTEGER NOT NULL DEFAULT 0, backers INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (campaign, day)
    );
    CREATE TABLE referrals (
        campaign TEXT NOT NULL, code TEXT NOT NULL,
        pledges INTEGER NOT NULL DEFAULT 0, raised INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (campaign, code)
    );
    CREATE TABLE ref_codes (code TEXT PRIMARY KEY, campaign TEXT NOT NULL, pledge_id TEXT NOT NULL);
    """,
    """
    ALTER TABLE counters ADD COLUMN collected INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE pledges ADD COLUMN payment_intent_id TEXT;
    CREATE UNIQUE INDEX pledges_payment_intent ON pledges (payment_intent_id);
    """,
    """
    CREATE TABLE mails (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        due_at TEXT,
        data TEXT NOT NULL
    );
    CREATE INDEX mails_due ON mails (due_at) WHERE due_at IS NOT NULL;
    CREATE TABLE reminders (campaign TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (campaign, id));
    CREATE TABLE suppressed (address_hash TEXT PRIMARY KEY, reason TEXT NOT NULL, at TEXT NOT NULL);
    """,
    """
    CREATE TABLE hits (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires TEXT NOT NULL);
    CREATE INDEX hits_expires ON hits (expires);
    """,
    """
    CREATE TABLE marks (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires TEXT NOT NULL);
    """,
    # backers per reward, for the reward cards
    """
    CREATE TABLE chosen (campaign TEXT NOT NULL, reward TEXT NOT NULL, backers INTEGER NOT NULL DEFAULT 0,
                         PRIMARY KEY (campaign, reward));
    """,
    # public comments: `thread` sorts a reply right after its comment (functions/core/comments.py)
    """
    CREATE TABLE comments (id TEXT PRIMARY KEY, campaign TEXT NOT NULL, thread TEXT NOT NULL, parent TEXT,
                           status TEXT NOT NULL, pinned INTEGER NOT NULL DEFAULT 0, data TEXT NOT NULL);
    CREATE INDEX comments_thread ON comments (campaign, thread);
    """,
    # late pledges, counted apart from what was raised by the deadline
    """
    ALTER TABLE counters ADD COLUMN late_raised INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE counters ADD COLUMN late_backers INTEGER NOT NULL DEFAULT 0;
    """,
    # the pledge manager: a backer's survey answers and address, and a campaign's flags (addresses locked)
    """
    CREATE TABLE surveys (pledge_id TEXT PRIMARY KEY, campaign TEXT NOT NULL, data TEXT NOT NULL);
    CREATE INDEX surveys_campaign ON surveys (campaign, pledge_id);
    CREATE TABLE flags (campaign TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
                        PRIMARY KEY (campaign, name));
    """,
    # digital rewards: the code each pledge was given (its index in the codes file), once
    """
    CREATE TABLE codes (campaign TEXT NOT NULL, reward TEXT NOT NULL, pledge_id TEXT NOT NULL, idx INTEGER NOT NULL,
                        PRIMARY KEY (campaign, reward, pledge_id), UNIQUE (campaign, reward, idx));
    """,
)


_WRITERS: dict[str, threading.Lock] = {}
_WRITERS_LOCK = threading.Lock()


# How long a write waits for another process's (a `cagnotte settle` beside `serve`):
# past it the request is a 503 the backer can retry, not a 30 s hang.
BUSY_TIMEOUT = 5.0


def _writer(path: Path) -> threading.Lock:
    """One lock per database file in this process.

    SQLite lets one writer in at a time anyway; queueing the threads of a
    process here (instead of in SQLite's busy handler, which sleeps in steps of
    up to 100 ms) took `serve` from about 160 to 250 pledges/s with 50 clients
    and its p99 from 1.9 s to 0.4 s (benchmarks/pledges.py). Other processes
    still wait in SQLite's busy handler.
    """
    key = str(path.resolve())
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(key, threading.Lock())


class SQLiteStore:
    """The ledger and counters in one SQLite file (one connection per thread)."""

    def __init__(self, path: str | Path, busy_timeout: float = BUSY_TIMEOUT):
        self.busy_timeout = busy_timeout
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._write = _writer(self.path)
        self._migrate()

    # -- connections -------------------------------------------------------------
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE).
            db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            self._local.db = db
        return db

    def _migrate(self) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for index in range(version, len(MIGRATIONS)):
                for statement in MIGRATIONS[index].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version = {index + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- writes --------------------------------------------------------------------
    def open_pledge(self, pledge: Pledge, limit: int | None) -> None:
        with self._write:
            self._open_pledge(pledge, limit)

    def _open_pledge(self, pledge: Pledge, limit: int | None) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            for claim in opening_claims(pledge, limit):  # every item or none: the ROLLBACK below
                db.execute("INSERT INTO claims (campaign, reward) VALUES (?, ?) ON CONFLICT DO NOTHING",
                           (pledge.campaign, claim.reward))
                cursor = db.execute(
                    "UPDATE claims SET claimed = claimed + ? WHERE campaign = ? AND reward = ?"
                    " AND (? IS NULL OR claimed + ? <= ?)",
                    (claim.delta, pledge.campaign, claim.reward, claim.limit, claim.delta, claim.limit))
                if cursor.rowcount != 1:
                    raise SoldOut(f"'{claim.reward}' of '{pledge.campaign}' is sold out")
            try:
                db.execute("INSERT INTO pledges (id, campaign, session_id, status, version, created_at, data)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (pledge.id, pledge.campaign, pledge.checkout_session_id, pledge.status,
                            pledge.version, pledge.created_at.isoformat(), _dump(pledge)))
                db.execute("INSERT INTO ref_codes VALUES (?, ?, ?)", (pledge.ref_code, pledge.campaign, pledge.id))
            except sqlite3.IntegrityError:
                raise Duplicate(f"pledge {pledge.id} or its referral code exists") from None
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def apply(self, change: Change) -> None:
        with self._write:
            self._apply(change)

    def _apply(self, change: Change) -> None:
        before, after = change.before, change.after
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            if change.event_id is not None:
                try:
                    db.execute("INSERT INTO events VALUES (?, ?, ?)",
                               (change.event_id, after.id, after.updated_at.isoformat()))
                except sqlite3.IntegrityError:
                    raise Duplicate(f"event {change.event_id} was already applied") from None
            cursor = db.execute(
                "UPDATE pledges SET status = ?, version = ?, session_id = ?, payment_intent_id = ?, data = ?"
                " WHERE id = ? AND version = ?",
                (after.status, after.version, after.checkout_session_id, after.payment_intent_id, _dump(after),
                 after.id, before.version))
            if cursor.rowcount != 1:
                raise Conflict(f"pledge {after.id} changed since it was read")
            for claim in change.claims:
                db.execute("INSERT INTO claims (campaign, reward) VALUES (?, ?) ON CONFLICT DO NOTHING",
                           (after.campaign, claim.reward))
                cursor = db.execute(
                    "UPDATE claims SET claimed = claimed + ? WHERE campaign = ? AND reward = ?"
                    " AND (? IS NULL OR claimed + ? <= ?)",
                    (claim.delta, after.campaign, claim.reward, claim.limit, claim.delta, claim.limit))
                if cursor.rowcount != 1:
                    raise SoldOut(f"reward '{claim.reward}' of '{after.campaign}' is sold out")
            for mail in change.mails:
                _queue(db, mail)
            if change.touches_counters:
                stamp = after.updated_at.isoformat()
                # A late pledge counts apart: "raised by the deadline" stays what it was.
                raised, backers = (0, 0) if after.late else (change.raised, change.backers)
                late_raised, late_backers = (change.raised, change.backers) if after.late else (0, 0)
                db.execute("INSERT INTO counters (campaign, raised, backers, collected, updated_at, late_raised,"
                           " late_backers) VALUES (?, ?, ?, ?, ?, ?, ?)"
                           " ON CONFLICT (campaign) DO UPDATE SET raised = raised + excluded.raised,"
                           " backers = backers + excluded.backers, collected = collected + excluded.collected,"
                           " updated_at = excluded.updated_at, late_raised = late_raised + excluded.late_raised,"
                           " late_backers = late_backers + excluded.late_backers",
                           (after.campaign, raised, backers, change.collected, stamp, late_raised, late_backers))
                if raised or backers:
                    db.execute("INSERT INTO days VALUES (?, ?, ?, ?) ON CONFLICT (campaign, day) DO UPDATE"
                               " SET raised = raised + excluded.raised, backers = backers + excluded.backers",
                               (after.campaign, change.day, change.raised, change.backers))
                for reward, delta in change.chosen.items():
                    db.execute("INSERT INTO chosen VALUES (?, ?, ?) ON CONFLICT (campaign, reward) DO UPDATE"
                               " SET backers = backers + excluded.backers", (after.campaign, reward, delta))
                if after.ref and (change.raised or change.backers):
                    db.execute("INSERT INTO referrals VALUES (?, ?, ?, ?) ON CONFLICT (campaign, code) DO UPDATE"
                               " SET pledges = pledges + excluded.pledges, raised = raised + excluded.raised",
                               (after.campaign, after.ref, change.backers, change.raised))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- reads -----------------------------------------------------------------------
    def get_pledge(self, pledge_id: str) -> Pledge | None:
        row = self._db().execute("SELECT data FROM pledges WHERE id = ?", (pledge_id,)).fetchone()
        return _load(row[0]) if row else None

    def pledge_by_session(self, session_id: str) -> Pledge | None:
        row = self._db().execute("SELECT data FROM pledges WHERE session_id = ?", (session_id,)).fetchone()
        return _load(row[0]) if row else None

    def pledge_by_payment_intent(self, payment_intent_id: str) -> Pledge | None:
        row = self._db().execute("SELECT data FROM pledges WHERE payment_intent_id = ?",
                                 (payment_intent_id,)).fetchone()
        return _load(row[0]) if row else None

    def has_event(self, event_id: str) -> bool:
        return self._db().execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone() is not None

    def counters(self, campaign: str) -> Counters:
        db = self._db()
        # One read transaction: a consistent snapshot of the three tables.
        db.execute("BEGIN")
        try:
            row = db.execute("SELECT raised, backers, collected, updated_at, late_raised, late_backers FROM counters"
                             " WHERE campaign = ?",
                             (campaign,)).fetchone()
            claimed = dict(db.execute("SELECT reward, claimed FROM claims WHERE campaign = ?", (campaign,)))
            chosen = dict(db.execute("SELECT reward, backers FROM chosen WHERE campaign = ?", (campaign,)))
            days = {day: (raised, backers) for day, raised, backers in
                    db.execute("SELECT day, raised, backers FROM days WHERE campaign = ?", (campaign,))}
        finally:
            db.execute("COMMIT")
        raised, backers, collected, updated, late_raised, late_backers = row if row else (0, 0, 0, None, 0, 0)
        return Counters(campaign=campaign, raised=raised, backers=backers, collected=collected,
                        late_raised=late_raised, late_backers=late_backers,
                        claimed=claimed, chosen=chosen, days=days,
                        updated_at=dt.datetime.fromisoformat(updated) if updated else None)

    def referral(self, code: str, campaign: str | None = None) -> Referral | None:
        db = self._db()
        if campaign is None:
            owner = db.execute("SELECT campaign FROM ref_codes WHERE code = ?", (code,)).fetchone()
            if owner is None:
                return None
            campaign = owner[0]
        row = db.execute("SELECT pledges, raised FROM referrals WHERE campaign = ? AND code = ?",
                         (campaign, code)).fetchone()
        pledges, raised = row if row else (0, 0)
        return Referral(code=code, campaign=campaign, pledges=pledges, raised=raised)

    # -- mail -------------------------------------------------------------------------
    def queue_mail(self, mail: Mail) -> bool:
        """Queue a message not tied to a pledge change; False if that id was queued before."""
        with self._write:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                queued = _queue(db, mail)
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

    def top_referrals(self, campaign: str, limit: int) -> list[Referral]:
        rows = self._db().execute("SELECT code, pledges, raised FROM referrals WHERE campaign = ? AND pledges > 0"
                                  " ORDER BY raised DESC, pledges DESC, code LIMIT ?", (campaign, limit))
        return [Referral(code=code, campaign=campaign, pledges=n, raised=r) for code, n, r in rows]

    def reset_counters(self, campaign: str, counters: Counters, referrals: list[Referral]) -> None:
        with self._write:
            self._reset_counters(campaign, counters, referrals)

    def _reset_counters(self, campaign: str, counters: Counters, referrals: list[Referral]) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            for table in ("counters", "claims", "chosen", "days", "referrals"):
                db.execute(f"DELETE FROM {table} WHERE campaign = ?", (campaign,))
            stamp = counters.updated_at.isoformat() if counters.updated_at else None
            db.execute("INSERT INTO counters (campaign, raised, backers, collected, updated_at, late_raised, late_backers)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (campaign, counters.raised, counters.backers, counters.collected, stamp, counters.late_raised,
                        counters.late_backers))
            db.executemany("INSERT INTO claims VALUES (?, ?, ?)",
                           [(campaign, reward, n) for reward, n in sorted(counters.claimed.items())])
            db.executemany("INSERT INTO chosen VALUES (?, ?, ?)",
                           [(campaign, reward, n) for reward, n in sorted(counters.chosen.items())])
            db.executemany("INSERT INTO days VALUES (?, ?, ?, ?)",
                           [(campaign, day, r, b) for day, (r, b) in sorted(counters.days.items())])
            db.executemany("INSERT INTO referrals VALUES (?, ?, ?, ?)",
                           [(campaign, r.code, r.pledges, r.raised) for r in referrals])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

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

    # -- the pledge manager ------------------------------------------------------------
    def save_survey(self, survey: survey_records.Survey) -> bool:
        """Write a backer's answers (replacing earlier ones) unless the campaign's addresses are
        locked: False then, and nothing is written (the check and the write are one transaction)."""
        with self._write:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                locked = db.execute("SELECT 1 FROM flags WHERE campaign = ? AND name = ?",
                                    (survey.campaign, survey_records.LOCKED)).fetchone()
                if locked is None:
                    db.execute("INSERT INTO surveys VALUES (?, ?, ?) ON CONFLICT (pledge_id) DO UPDATE"
                               " SET data = excluded.data", (survey.pledge_id, survey.campaign, _survey_json(survey)))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return locked is None

    def get_survey(self, pledge_id: str) -> survey_records.Survey | None:
        row = self._db().execute("SELECT data FROM surveys WHERE pledge_id = ?", (pledge_id,)).fetchone()
        return survey_records.from_record(json.loads(row[0])) if row else None

    def surveys(self, campaign: str) -> list[survey_records.Survey]:
        rows = self._db().execute("SELECT data FROM surveys WHERE campaign = ? ORDER BY pledge_id", (campaign,))
        return [survey_records.from_record(json.loads(data)) for (data,) in rows]

    def lock_addresses(self, campaign: str, now: dt.datetime) -> bool:
        """Lock a campaign's addresses (and answers) for shipping: True when this call locked them."""
        with self._write:
            cursor = self._db().execute("INSERT INTO flags VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                                        (campaign, survey_records.LOCKED, now.isoformat()))
        return cursor.rowcount == 1

    def addresses_locked(self, campaign: str) -> dt.datetime | None:
        row = self._db().execute("SELECT value FROM flags WHERE campaign = ? AND name = ?",
                                 (campaign, survey_records.LOCKED)).fetchone()
        return dt.datetime.fromisoformat(row[0]) if row else None

    def pledges(self, campaign: str) -> list[Pledge]:
        rows = self._db().execute("SELECT data FROM pledges WHERE campaign = ? ORDER BY created_at, id",
                                  (campaign,))
        return [_load(data) for (data,) in rows]


def _queue(db: sqlite3.Connection, mail: Mail) -> bool:
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


def _reminder_json(reminder: Reminder) -> str:
    return json.dumps(reminder_record(reminder), sort_keys=True, separators=(",", ":"))


def _reminder(data: str) -> Reminder:
    return reminder_from(json.loads(data))


def _comment_json(comment: Comment) -> str:
    return json.dumps(comment_records.to_record(comment), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _comment(data: str) -> Comment:
    return comment_records.from_record(json.loads(data))


def _survey_json(survey: survey_records.Survey) -> str:
    return json.dumps(survey_records.to_record(survey), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _dump(pledge: Pledge) -> str:
    return json.dumps(to_record(pledge), sort_keys=True, separators=(",", ":"))


def _load(data: str) -> Pledge:
    return from_record(json.loads(data))


def _busy_is_unavailable(method):
    """SQLite's "database is locked" (another process kept it past the busy timeout) → 503."""
    import functools

    @functools.wraps(method)
    def wrapped(*args, **kwargs):
        try:
            return method(*args, **kwargs)
        except sqlite3.OperationalError as error:
            text = str(error)
            if "locked" in text or "busy" in text or "unable to open" in text:
                raise Unavailable("the pledge store is busy; try again in a moment") from None
            raise

    return wrapped


for _name, _method in list(vars(SQLiteStore).items()):
    if callable(_method) and (not _name.startswith("_") or _name == "_migrate") and _name != "close":
        setattr(SQLiteStore, _name, _busy_is_unavailable(_method))
