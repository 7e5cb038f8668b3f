"""Where a theme's templates, static files and catalogs are, and what they hash to.

The site's theme sits on top of the built-in default theme: a file missing from
it is taken from the default (Pelican's loader chain), template by template and
static file by static file.

The stylesheet is published as one file, ``css/site.css``, made of the chain's
``css/tokens.css`` (colours, font), site.yml's accent, ``css/site.css`` (the
layout) and ``css/extra.css`` when a theme has one: a theme can change only the
tokens, or add a few rules, and keep the rest. One file, one request: the page
weighs what it did.
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
STYLESHEET = "css/site.css"
TOKENS, EXTRA = "css/tokens.css", "css/extra.css"  # parts of STYLESHEET, not published alone
_DYNAMIC = re.compile(r"""{%-?\s*(?:extends|include|import|from)\s+[^"'\s]""")


@dataclass(frozen=True)
class Logo:
    """site.yml's ``logo``: its file and size (None for a drawing, which scales)."""

    path: Path
    name: str  # under static/: ``logo.png``
    width: int | None = None
    height: int | None = None


@dataclass
class Theme:
    name: str
    dirs: list[Path]  # the site's theme first, then the default theme
    _digests: dict = field(default_factory=dict)
    cache: Path | None = None  # where compiled catalogs are kept between builds (.cagnotte/build)
    look: str = ""  # CSS from site.yml (the accent's tokens), between tokens.css and site.css
    logo: "Logo | None" = None  # site.yml's logo, published beside the theme's static files

    @classmethod
    def locate(cls, root: Path, name: str, look: str = "") -> "Theme":
        candidates = [root / "themes" / name, root / name, BUILTIN / name]
        chosen = next((c for c in candidates if c.is_dir()), None)
        if chosen is None:
            raise FileNotFoundError(name)
        dirs = [chosen.resolve()]
        default = (BUILTIN / "default").resolve()
        if default not in dirs:
            dirs.append(default)
        return cls(name, dirs, cache=root / ".cagnotte" / "build", look=look)

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
    def stylesheet(self) -> bytes:
        """The published ``css/site.css``: tokens, site.yml's look, the layout, the extra rules."""
        parts = [self.static[name].read_bytes() for name in (TOKENS,) if name in self.static]
        if self.look:
            parts.append(self.look.encode())
        parts += [self.static[name].read_bytes() for name in (STYLESHEET, EXTRA) if name in self.static]
        return b"\n".join(part if part.endswith(b"\n") else part + b"\n" for part in parts)

    @cached_property
    def published(self) -> dict[str, Path | bytes]:
        """What goes under /static/: name → its file, or its bytes (the stylesheet, the logo's place)."""
        found: dict[str, Path | bytes] = {name: path for name, path in self.static.items()
                                          if name not in (TOKENS, EXTRA)}
        found[STYLESHEET] = self.stylesheet
        if self.logo is not None:
            found[self.logo.name] = self.logo.path
        return found

    @cached_property
    def assets(self) -> dict[str, str]:
        """Static file → its fingerprinted URL (``css/site.css`` → ``/static/css/site.1a2b3c4d.css``)."""
        urls = {}
        for name, source in self.published.items():
            data = source if isinstance(source, bytes) else source.read_bytes()
            digest = hashlib.sha256(data).hexdigest()[:10]
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
