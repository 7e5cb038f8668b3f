"""The SQLite store's counters and referrals: the snapshot a campaign page shows, and
``reconcile --fix``'s reset.

A mixin of :class:`functions.store.sqlite.SQLiteStore` (``_db`` and ``_write`` are its own); the
counters move in the ledger's transaction there, :meth:`SQLiteStore.apply`.
"""

from __future__ import annotations

import datetime as dt

from functions.core.ports import Counters, Referral


class SQLiteCounters:
    """What the pledges added up to: counters, claims, days and referrals."""

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
