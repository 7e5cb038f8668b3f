"""The only code that writes the output folder.

A build writes a complete new tree beside the output (``.<name>.new-<pid>``),
reusing unchanged files by hard link, then swaps it into place: with Linux's
``renameat2(RENAME_EXCHANGE)`` in one atomic step, elsewhere with two renames.
A failed build removes its staging tree and leaves the previous output as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
from pathlib import Path

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths; False where the system cannot."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    if ctypes.get_errno() in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(a))


class Staging:
    """A new output tree under construction."""

    def __init__(self, out: Path):
        self.out = out.resolve()
        self.path = self.out.parent / f".{self.out.name}.new-{os.getpid()}"
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True)
        self._dirs: set[str] = set()
        self.claimed: dict[str, str] = {}  # output path → what made it

    def claim(self, rel: str, owner: str) -> None:
        """Refuse two items that target the same output path."""
        if rel in self.claimed:
            raise ValueError(f"{owner} and {self.claimed[rel]} would both write {rel}")
        self.claimed[rel] = owner

    def _parent(self, rel: str) -> Path:
        target = self.path / rel
        folder = os.path.dirname(rel)
        if folder not in self._dirs:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._dirs.add(folder)
        return target

    def write(self, rel: str, data: bytes) -> None:
        with open(self._parent(rel), "wb") as handle:
            handle.write(data)

    def reuse(self, rel: str) -> bool:
        """Hard-link the previous output's file; False if it is missing."""
        previous = self.out / rel
        try:
            os.link(previous, self._parent(rel))
        except FileNotFoundError:
            return False
        except OSError:  # another file system, or no hard links: copy
            try:
                shutil.copy2(previous, self._parent(rel))
            except FileNotFoundError:
                return False
        return True

    def copy(self, rel: str, source: Path) -> None:
        # A copy, not a link: editing the output must never reach the sources.
        shutil.copyfile(source, self._parent(rel))

    def commit(self) -> None:
        """Put the new tree in place of the output, atomically where possible."""
        if self.out.exists() and _exchange(self.path, self.out):
            shutil.rmtree(self.path, ignore_errors=True)  # now the old tree
            return
        old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
        if self.out.exists():
            os.rename(self.out, old)
        os.rename(self.path, self.out)
        shutil.rmtree(old, ignore_errors=True)

    def abort(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
