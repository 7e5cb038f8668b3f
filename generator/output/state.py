"""Build state in SQLite: parsed documents by content hash, and what each output was made from.

Like Lektor, the incremental state lives beside the site (``.cagnotte/build/``)
and never inside the output. Losing it only costs a full rebuild.
"""

from __future__ import annotations

import hashlib
import pickle
import sqlite3
from pathlib import Path

SCHEMA = 10  # 10: each build keeps its warnings (a no-op build reports them again)


class State:
    def __init__(self, root: Path, out: Path):
        folder = root / ".cagnotte" / "build"
        folder.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(folder / "state.sqlite3", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version != SCHEMA:
            self.db.executescript("""
                DROP TABLE IF EXISTS docs;
                DROP TABLE IF EXISTS outputs;
                DROP TABLE IF EXISTS files;
                DROP TABLE IF EXISTS fragments;
                DROP TABLE IF EXISTS campaigns;
                DROP TABLE IF EXISTS pieces;
                CREATE TABLE campaigns (slug TEXT PRIMARY KEY, key TEXT NOT NULL, brief BLOB NOT NULL,
                                        value BLOB NOT NULL);
                CREATE TABLE pieces (slug TEXT PRIMARY KEY, key TEXT NOT NULL, value BLOB NOT NULL);
                CREATE TABLE fragments (key TEXT PRIMARY KEY, html TEXT NOT NULL);
                DROP TABLE IF EXISTS builds;
                CREATE TABLE files (id INTEGER PRIMARY KEY CHECK (id = 1), files BLOB NOT NULL);
                CREATE TABLE builds (out TEXT PRIMARY KEY, inputs TEXT NOT NULL,
                                     valid_from TEXT NOT NULL, valid_until TEXT NOT NULL,
                                     pages INTEGER NOT NULL, total INTEGER NOT NULL,
                                     warnings BLOB NOT NULL);
                CREATE TABLE docs (key TEXT PRIMARY KEY, value BLOB NOT NULL);
                CREATE TABLE outputs (out TEXT PRIMARY KEY, paths TEXT NOT NULL, fingerprints TEXT NOT NULL);
            """)
            self.db.execute(f"PRAGMA user_version={SCHEMA}")
        self.out = str(out.resolve())
        self.path = folder / "state.sqlite3"

    # -- parsed documents ---------------------------------------------------
    def docs(self, keys: list[str]) -> dict[str, object]:
        found = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = self.db.execute(
                f"SELECT key, value FROM docs WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            found.update((key, pickle.loads(value)) for key, value in rows)
        return found

    def save_docs(self, docs: dict[str, object]) -> None:
        """Store newly parsed documents."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?)",
                                [(k, pickle.dumps(v, pickle.HIGHEST_PROTOCOL)) for k, v in docs.items()])

    def forget_docs(self, keep: set[str]) -> None:
        """Forget the documents no source has any more."""
        with self.db:
            self.db.execute("BEGIN")
            stale = [k for (k,) in self.db.execute("SELECT key FROM docs") if k not in keep]
            self.db.executemany("DELETE FROM docs WHERE key = ?", [(k,) for k in stale])

    def doc_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM docs").fetchone()[0]

    # -- whole campaigns, localised ----------------------------------------------
    def campaigns(self, keys: dict[str, str]) -> dict[str, tuple]:
        """slug → ``(entry, {lang: Campaign})`` for the campaigns whose key is unchanged.

        Their long fields are read when first used (see generator.content.deferred).
        """
        from generator.content.deferred import reader, restore

        found = {}
        for slug, key, brief in self.db.execute("SELECT slug, key, brief FROM campaigns"):
            if keys.get(slug) == key:
                found[slug] = restore(brief, reader(self.path, slug, key))
        return found

    def save_campaigns(self, fresh: dict[str, tuple[str, tuple]], slugs: set[str]) -> None:
        """Store newly assembled campaigns; forget campaigns that are gone."""
        from generator.content.deferred import brief

        self._by_slug("campaigns", [(slug, key, brief(value), pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
                                    for slug, (key, value) in sorted(fresh.items())], slugs)

    # -- what each campaign adds to the catalog, mail.json and private.json -----------
    def pieces(self, keys: dict[str, str]) -> dict[str, object]:
        """slug → cached pieces, for the campaigns whose key is unchanged."""
        return {slug: pickle.loads(value) for slug, key, value in self.db.execute("SELECT slug, key, value FROM pieces")
                if keys.get(slug) == key}

    def save_pieces(self, fresh: dict[str, tuple[str, object]], slugs: set[str]) -> None:
        """Store newly made pieces; forget those of campaigns that are gone."""
        self._by_slug("pieces", [(slug, key, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
                                 for slug, (key, value) in sorted(fresh.items())], slugs)

    def _by_slug(self, table: str, rows: list[tuple], slugs: set[str]) -> None:
        """Write ``rows`` (slug first) into a per-campaign table, and drop the slugs not in ``slugs``."""
        with self.db:
            self.db.execute("BEGIN")
            if rows:
                self.db.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
            gone = [s for (s,) in self.db.execute(f"SELECT slug FROM {table}") if s not in slugs]
            self.db.executemany(f"DELETE FROM {table} WHERE slug = ?", [(s,) for s in gone])

    # -- template fragments ({% cache %}) ---------------------------------------
    def fragments(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT key, html FROM fragments"))

    def save_fragments(self, made: dict[str, str], used: set[str]) -> None:
        """Store new fragments; when those unused pile up, keep only the used ones."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO fragments VALUES (?, ?)", sorted(made.items()))
            total = self.db.execute("SELECT count(*) FROM fragments").fetchone()[0]
            if used and total > 2 * len(used):
                stale = [k for (k,) in self.db.execute("SELECT key FROM fragments") if k not in used]
                self.db.executemany("DELETE FROM fragments WHERE key = ?", [(k,) for k in stale])

    # -- source files ---------------------------------------------------------
    def files(self) -> dict[str, tuple[int, int, str]]:
        """path → (mtime_ns, size, sha256) as the last scan saw them."""
        row = self.db.execute("SELECT files FROM files WHERE id = 1").fetchone()
        self._files = pickle.loads(row[0]) if row else {}
        return self._files

    def save_files(self, files: dict[str, tuple[int, int, str]]) -> None:
        if files == getattr(self, "_files", None):
            return
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO files VALUES (1, ?)",
                            (pickle.dumps(files, pickle.HIGHEST_PROTOCOL),))

    # -- the last build of this output -----------------------------------------
    def last_build(self) -> tuple[str, str, str, int, int, list] | None:
        """(inputs fingerprint, valid from, valid until, pages, total files, warnings) or None."""
        row = self.db.execute("SELECT inputs, valid_from, valid_until, pages, total, warnings FROM builds "
                              "WHERE out = ?", (self.out,)).fetchone()
        return (*row[:5], pickle.loads(row[5])) if row else None

    def save_build(self, inputs: str, valid_from: str, valid_until: str, pages: int, total: int,
                   warnings: list) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO builds VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (self.out, inputs, valid_from, valid_until, pages, total,
                             pickle.dumps(sorted(warnings), pickle.HIGHEST_PROTOCOL)))

    # -- outputs ------------------------------------------------------------
    def outputs(self) -> dict[str, str]:
        """path → fingerprint of each file of the last build in this output folder."""
        row = self.db.execute("SELECT paths, fingerprints FROM outputs WHERE out = ?", (self.out,)).fetchone()
        return dict(zip(row[0].split("\0"), row[1].split("\0"))) if row and row[0] else {}

    def save_outputs(self, outputs: dict[str, str]) -> None:
        # One row per output folder, two NUL-separated texts (no path holds a NUL): 14,000
        # files load and save in a few milliseconds, a third of what a pickled dict took.
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?)",
                            (self.out, "\0".join(outputs), "\0".join(outputs.values())))

    def forget_outputs(self) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM outputs WHERE out = ?", (self.out,))
            self.db.execute("DELETE FROM builds WHERE out = ?", (self.out,))

    def close(self) -> None:
        self.db.close()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
