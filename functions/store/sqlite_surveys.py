"""The SQLite store's pledge manager: a backer's survey answers and address, and a campaign's
flags (addresses locked).

A mixin of :class:`functions.store.sqlite.SQLiteStore` (``_db`` and ``_write`` are its own).
"""

from __future__ import annotations

import datetime as dt
import json

from functions.core import survey as survey_records


class SQLiteSurveys:
    """Survey answers, written unless the campaign's addresses are locked."""

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


def _survey_json(survey: survey_records.Survey) -> str:
    return json.dumps(survey_records.to_record(survey), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
