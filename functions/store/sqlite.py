"""The embedded store: SQLite from the standard library (WAL, migrations).

Every write is one ``BEGIN IMMEDIATE`` transaction whose statements are
conditional (``claimed < limit``, ``version = ?``, a primary key on event ids):
two processes or threads can never both take the last unit of a reward or apply
the same event.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from functions.core.model import Change, opening_claims
from functions.core.pledge import Pledge, from_record, to_record
from functions.core.ports import Conflict, Duplicate, SoldOut
from functions.core.errors import Unavailable
from functions.store.sqlite_audience import SQLiteAudience
from functions.store.sqlite_counters import SQLiteCounters
from functions.store.sqlite_limits import SQLiteLimits
from functions.store.sqlite_mail import SQLiteMail, queue as _queue
from functions.store.sqlite_surveys import SQLiteSurveys

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


# The roles besides the ledger are mixins, a module each: sqlite_counters, _mail, _limits,
# _audience (reminders, suppression, comments) and _surveys.
class SQLiteStore(SQLiteCounters, SQLiteMail, SQLiteLimits, SQLiteAudience, SQLiteSurveys):
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

    def pledges(self, campaign: str) -> list[Pledge]:
        rows = self._db().execute("SELECT data FROM pledges WHERE campaign = ? ORDER BY created_at, id",
                                  (campaign,))
        return [_load(data) for (data,) in rows]


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


# The mixins' methods too: dir() sees every public name of the class and its bases.
for _name in dir(SQLiteStore):
    _method = getattr(SQLiteStore, _name)
    if callable(_method) and (not _name.startswith("_") or _name == "_migrate") and _name != "close":
        setattr(SQLiteStore, _name, _busy_is_unavailable(_method))
