"""Build state in SQLite: parsed documents by content hash, and what each output was made from.

Like Lektor, the incremental state lives beside the site (``.cagnotte/build/``)
and never inside the output. Losing it only costs a full rebuild.
"""

from __future__ import annotations

import hashlib
import pickle
import sqlite3
from pathlib import Path

SCHEMA = 1


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
                CREATE TABLE docs (key TEXT PRIMARY KEY, value BLOB NOT NULL);
                CREATE TABLE outputs (out TEXT NOT NULL, path TEXT NOT NULL,
                                      fingerprint TEXT NOT NULL, digest TEXT NOT NULL,
                                      PRIMARY KEY (out, path));
            """)
            self.db.execute(f"PRAGMA user_version={SCHEMA}")
        self.out = str(out.resolve())

    # -- parsed documents ---------------------------------------------------
    def docs(self, keys: list[str]) -> dict[str, object]:
        found = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = self.db.execute(
                f"SELECT key, value FROM docs WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            found.update((key, pickle.loads(value)) for key, value in rows)
        return found

    def save_docs(self, docs: dict[str, object], keep: set[str]) -> None:
        """Store new documents; forget those no source has any more."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany("INSERT OR REPLACE INTO docs VALUES (?, ?)",
                                [(k, pickle.dumps(v, pickle.HIGHEST_PROTOCOL)) for k, v in docs.items()])
            stale = [k for (k,) in self.db.execute("SELECT key FROM docs") if k not in keep]
            self.db.executemany("DELETE FROM docs WHERE key = ?", [(k,) for k in stale])

    # -- outputs ------------------------------------------------------------
    def outputs(self) -> dict[str, tuple[str, str]]:
        """path → (fingerprint, digest) of the last build in this output folder."""
        rows = self.db.execute("SELECT path, fingerprint, digest FROM outputs WHERE out = ?", (self.out,))
        return {path: (fp, digest) for path, fp, digest in rows}

    def save_outputs(self, outputs: dict[str, tuple[str, str]]) -> None:
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM outputs WHERE out = ?", (self.out,))
            self.db.executemany("INSERT INTO outputs VALUES (?, ?, ?, ?)",
                                [(self.out, p, fp, d) for p, (fp, d) in sorted(outputs.items())])

    def forget_outputs(self) -> None:
        with self.db:
            self.db.execute("DELETE FROM outputs WHERE out = ?", (self.out,))

    def close(self) -> None:
        self.db.close()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
