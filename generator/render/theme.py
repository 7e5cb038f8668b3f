"""Where a theme's templates, static files and catalogs are, and what they hash to.

The site's theme sits on top of the built-in default theme: a file missing from
it is taken from the default (Pelican's loader chain).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from generator.resources import shipped

BUILTIN = shipped("themes")
_REFERENCE = re.compile(r"""{%-?\s*(?:extends|include|import|from)\s+(?P<q>["'])(?P<name>[^"']+)(?P=q)""")
_DYNAMIC = re.compile(r"""{%-?\s*(?:extends|include|import|from)\s+[^"'\s]""")


@dataclass
class Theme:
    name: str
    dirs: list[Path]  # the site's theme first, then the default theme
    _digests: dict = field(default_factory=dict)
    cache: Path | None = None  # where compiled catalogs are kept between builds (.cagnotte/build)

    @classmethod
    def locate(cls, root: Path, name: str) -> "Theme":
        candidates = [root / "themes" / name, root / name, BUILTIN / name]
        chosen = next((c for c in candidates if c.is_dir()), None)
        if chosen is None:
            raise FileNotFoundError(name)
        dirs = [chosen.resolve()]
        default = (BUILTIN / "default").resolve()
        if default not in dirs:
            dirs.append(default)
        return cls(name, dirs, cache=root / ".cagnotte" / "build")

    @property
    def template_dirs(self) -> list[Path]:
        return [d / "templates" for d in self.dirs]

    def catalogs(self, lang: str) -> list[Path]:
        """The .po files for ``lang``, the site's theme first."""
        found = []
        for d in self.dirs:
            for code in (lang, lang.replace("-", "_"), lang.split("-")[0].split("_")[0]):
                po = d / "locales" / code / "LC_MESSAGES" / "messages.po"
                if po.is_file():
                    found.append(po)
                    break
        return found

    @cached_property
    def templates(self) -> dict[str, Path]:
        """Template name → the file that wins in the chain."""
        found: dict[str, Path] = {}
        for d in reversed(self.template_dirs):
            if d.is_dir():
                for path in sorted(d.rglob("*")):
                    if path.is_file():
                        found[path.relative_to(d).as_posix()] = path
        return found

    @cached_property
    def static(self) -> dict[str, Path]:
        """Static file (relative to static/) → its file, the site's theme winning."""
        found: dict[str, Path] = {}
        for d in reversed(self.dirs):
            base = d / "static"
            if base.is_dir():
                for path in sorted(base.rglob("*")):
                    if path.is_file() and not path.name.startswith("."):
                        found[path.relative_to(base).as_posix()] = path
        return found

    @cached_property
    def assets(self) -> dict[str, str]:
        """Static file → its fingerprinted URL (``css/site.css`` → ``/static/css/site.1a2b3c4d.css``)."""
        urls = {}
        for name, path in self.static.items():
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
            stem, dot, ext = name.rpartition(".")
            urls[name] = f"/static/{stem}.{digest}.{ext}" if dot else f"/static/{name}.{digest}"
        return urls

    def template_fingerprint(self, name: str) -> str:
        """A hash of a template and of every template it reaches."""
        if name not in self._digests:
            seen: set[str] = set()
            pending = [name]
            hasher = hashlib.sha256()
            while pending:
                current = pending.pop()
                if current in seen:
                    continue
                seen.add(current)
                path = self.templates.get(current)
                if path is None:
                    continue
                text = path.read_bytes()
                hasher.update(current.encode() + b"\0" + text + b"\0")
                source = text.decode("utf-8", "replace")
                if _DYNAMIC.search(source):  # a computed name could reach any template
                    pending.extend(self.templates)
                pending.extend(m.group("name") for m in _REFERENCE.finditer(source))
            self._digests[name] = hasher.hexdigest()
        return self._digests[name]

    def fingerprint(self) -> str:
        """A hash of every file of the theme chain (templates, static files, catalogs)."""
        hasher = hashlib.sha256()
        for d in self.dirs:
            for path in sorted(d.rglob("*")):
                if path.is_file():
                    hasher.update(f"{path.relative_to(d).as_posix()}\0".encode() + path.read_bytes())
        return hasher.hexdigest()

    def locale_fingerprint(self, lang: str) -> str:
        key = "locale:" + lang
        if key not in self._digests:
            hasher = hashlib.sha256(lang.encode())
            for po in self.catalogs(lang):
                hasher.update(po.read_bytes())
            self._digests[key] = hasher.hexdigest()
        return self._digests[key]
