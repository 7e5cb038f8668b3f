"""The only code that writes the output folder.

A build renders every new or changed file into a staging folder beside the
output (``.<name>.new-<pid>``); nothing in the output is touched until every
page has rendered. Then the staging folder is committed:

- with no previous output, the staging folder is renamed into place (one
  atomic step);
- otherwise each staged file replaces its old version by ``rename`` (atomic per
  file: a reader never sees a half-written page) and the files that no longer
  exist are removed. Unchanged files are not touched at all, which is what makes
  an incremental build cost what changed rather than what exists.

A failed build removes its staging folder and leaves the previous output as it
was. A build interrupted during the commit is repaired by the next one: the
build state is only saved after the commit.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable


class Conflict(ValueError):
    """Two items would write the same output path."""

    def __init__(self, rel: str, first: str, second: str):
        super().__init__(f"{second} and {first} would both write {rel}")
        self.rel, self.first, self.second = rel, first, second


class Staging:
    """New and changed output files, waiting for the commit."""

    def __init__(self, out: Path):
        self.out = out.resolve()
        self.path = self.out.parent / f".{self.out.name}.new-{os.getpid()}"
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        self.staged: list[str] = []
        self.claimed: dict[str, str] = {}  # output path → what makes it

    def claim(self, rel: str, owner: str) -> None:
        """Refuse two items that target the same output path."""
        if rel in self.claimed:
            first = self.claimed[rel]
            raise Conflict(rel, first() if callable(first) else first, owner)
        self.claimed[rel] = owner

    def claim_all(self, items: list[tuple[str, Callable[[], str]]]) -> None:
        """:meth:`claim` every ``(path, owner)``; an owner is only asked for its name on a conflict."""
        rels = [rel for rel, _ in items]
        if len(set(rels)) == len(rels) and not self.claimed.keys() & set(rels):
            self.claimed.update((rel, owner) for rel, owner in items)  # names asked only on a conflict
            return
        for rel, owner in items:
            self.claim(rel, owner())

    def target(self, rel: str) -> str:
        """Where to write ``rel`` in the staging folder (its folder is created)."""
        path = os.path.join(self.path, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def write(self, rel: str, data: bytes) -> None:
        with open(self.target(rel), "wb") as handle:
            handle.write(data)
        self.staged.append(rel)

    def copy(self, rel: str, source: Path) -> None:
        # A copy, not a link: editing the output must never reach the sources.
        shutil.copyfile(source, self.target(rel))
        self.staged.append(rel)

    def add(self, rels: list[str]) -> None:
        """Record files written into ``target()`` by worker processes."""
        self.staged.extend(rels)

    def commit(self, removed: list[str]) -> None:
        """Put the staged files in the output and delete ``removed``."""
        if not self.out.exists():
            os.makedirs(self.out.parent, exist_ok=True)
            os.rename(self.path, self.out)
            return
        made: set[str] = set()
        for rel in self.staged:
            folder = os.path.dirname(rel)
            if folder and folder not in made:
                os.makedirs(os.path.join(self.out, folder), exist_ok=True)
                made.add(folder)
            os.replace(os.path.join(self.path, rel), os.path.join(self.out, rel))
        folders = set()
        for rel in removed:
            try:
                os.unlink(os.path.join(self.out, rel))
            except FileNotFoundError:
                pass
            folders.add(os.path.dirname(rel))
        for folder in sorted(folders, key=len, reverse=True):  # prune emptied folders, deepest first
            while folder:
                try:
                    os.rmdir(os.path.join(self.out, folder))
                except OSError:
                    break
                folder = os.path.dirname(folder)
        shutil.rmtree(self.path, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
