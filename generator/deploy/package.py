"""The function package: Lambda's zip of ``functions/``, what it imports at run time, and the
catalog the build produced, beside the code where :mod:`functions.runtime` looks for it.

What goes in:

- ``functions/`` (the installed package, never ``generator``);
- the distributions in :data:`RUNTIME` and their dependencies, copied from the environment
  cagnotte runs in (no download, so a deploy works offline and matches the tested versions).
  They must be pure Python: a compiled module for this machine would not load on Lambda's
  arm64 Python 3.12, so one without a pure-Python fallback is refused;
- ``functions/catalog.json`` (and ``functions/mail.json`` when the build made one).

boto3 stays out: Lambda's Python runtime ships it (with botocore, some 20 MB unpacked), and
the functions only use long-stable DynamoDB, SSM and SES calls; bundling it would multiply
the package and every cold start's unzip for nothing.

The zip is deterministic (sorted entries, fixed timestamps and modes), so the same code and
catalog give the same bytes and hash: the stack sees no change and redeploys nothing.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata as metadata
import io
import py_compile
import re
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import functions

RUNTIME = ("stripe",)  # what the functions import besides the standard library (and boto3)
PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})  # in Lambda's runtime
SITE_FILES = ("catalog.json", "mail.json")  # from the built site, beside the code; the first is required
LAMBDA_PYTHON = (3, 12)
# Lambda's environment, for the markers of requirements ("python_version < '3.7'", "extra == 'socks'")
MARKER_ENV = {"python_version": "3.12", "python_full_version": "3.12.0", "sys_platform": "linux",
              "platform_system": "Linux", "platform_machine": "aarch64", "os_name": "posix",
              "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}
_EXTENSION = re.compile(r"^(?P<stem>[^.]+)\..*\.(so|pyd)$|^(?P<plain>[^.]+)\.(so|pyd)$")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


class PackageError(Exception):
    """The package cannot be built (one line for the user)."""


@dataclass
class Package:
    path: Path
    size: int  # bytes of the zip
    sha256: str
    catalog_sha256: str
    parts: dict[str, int] = field(default_factory=dict)  # part → uncompressed bytes
    distributions: list[str] = field(default_factory=list)  # "stripe 14.4.2", …

    @property
    def key(self) -> str:
        """A content-addressed name: the same package is uploaded once."""
        return f"functions-{self.sha256[:20]}.zip"

    def summary(self) -> str:
        parts = ", ".join(f"{name} {human(size)}" for name, size in self.parts.items())
        return f"function package: {human(self.size)} zipped ({parts} unzipped)"


def human(size: int) -> str:
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1000:.0f} KB"
    return f"{size / 1_000_000:.1f} MB"


def build_package(site_out: Path, dest: Path, compile_pyc: bool | None = None,
                  private: Path | None = None) -> Package:
    """Write the zip to ``dest`` and describe it.

    ``private`` is the build's ``.cagnotte/private.json`` (the creators' digest
    addresses): shipped with the code as ``functions/private.json``, never to
    the public bucket.
    """
    catalog = site_out / SITE_FILES[0]
    if not catalog.is_file():
        raise PackageError(f"{catalog} is missing: run `cagnotte build` first")
    if compile_pyc is None:
        compile_pyc = sys.version_info[:2] == LAMBDA_PYTHON  # .pyc only for the interpreter Lambda runs
    files: dict[str, bytes] = {}
    parts: dict[str, int] = {}

    source = Path(functions.__file__).resolve().parent
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_dir() or "__pycache__" in rel.parts or path.suffix == ".pyc" or \
                rel.as_posix() in SITE_FILES + ("private.json",):
            continue
        files[f"functions/{rel.as_posix()}"] = path.read_bytes()
    parts["functions"] = sum(len(b) for b in files.values())

    before = sum(len(b) for b in files.values())
    distributions, dependency_files = _runtime_files()
    files.update(dependency_files)
    parts[f"{' + '.join(RUNTIME)} and {len(distributions) - len(RUNTIME)} dependencies"] = \
        sum(len(b) for b in files.values()) - before

    for name in SITE_FILES:
        path = site_out / name
        if path.is_file():
            files[f"functions/{name}"] = path.read_bytes()
            parts[name] = path.stat().st_size

    for path in sorted((site_out / "_shell").glob("*.html")):  # the frame of the functions' own pages
        files[f"functions/_shell/{path.name}"] = path.read_bytes()
        parts["_shell"] = parts.get("_shell", 0) + path.stat().st_size

    if private is not None and private.is_file():
        files["functions/private.json"] = private.read_bytes()
        parts["private.json"] = private.stat().st_size

    if compile_pyc:
        files.update(_compiled(files))

    data = _zip(files)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(data)
    return Package(path=dest, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                   catalog_sha256=hashlib.sha256(catalog.read_bytes()).hexdigest(), parts=parts,
                   distributions=list(distributions))


@functools.lru_cache(maxsize=1)
def _runtime_files() -> tuple[list[str], dict[str, bytes]]:
    """The installed runtime dependencies' files (read once per process)."""
    names, files = [], {}
    for dist in _requirements(RUNTIME):
        names.append(f"{dist.metadata['Name']} {dist.version}")
        files.update(_distribution_files(dist))
    return names, files


def _requirements(names: tuple[str, ...]) -> list[metadata.Distribution]:
    """The installed distributions ``names`` need at run time, dependencies first found first."""
    seen: dict[str, metadata.Distribution] = {}
    queue = list(names)
    while queue:
        name = _normalise(queue.pop(0))
        if name in seen or name in PROVIDED:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise PackageError(f"{name} is not installed here, and the functions need it: "
                               f"pip install 'cagnotte' again") from None
        seen[name] = dist
        for requirement in dist.requires or []:
            wanted = _wanted(requirement)
            if wanted:
                queue.append(wanted)
    return [seen[n] for n in sorted(seen)]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wanted(requirement: str) -> str | None:
    """The requirement's name if Lambda's Python needs it (extras and other platforms left out)."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # packaging is almost always there; without it, skip only the extras
        spec, _, marker = requirement.partition(";")
        return None if "extra" in marker else re.split(r"[\s<>=!~\[(;]", spec.strip(), maxsplit=1)[0]
    parsed = Requirement(requirement)
    if parsed.marker is not None and not parsed.marker.evaluate(MARKER_ENV):
        return None
    return parsed.name


def _distribution_files(dist: metadata.Distribution) -> dict[str, bytes]:
    out = {}
    files = dist.files or []
    present = {str(f) for f in files}
    for entry in files:
        rel = PurePosixPath(str(entry))
        if rel.parts[0] == ".." or "__pycache__" in rel.parts or rel.suffix == ".pyc":
            continue  # console scripts live outside site-packages; caches are rebuilt
        if rel.parts[0].endswith(".dist-info") and not _kept_metadata(rel):
            continue
        match = _EXTENSION.match(rel.name)
        if match:
            stem = match.group("stem") or match.group("plain")
            if str(rel.with_name(stem + ".py")) not in present:
                raise PackageError(f"{dist.metadata['Name']} {dist.version} ships compiled code for this machine "
                                   f"({rel.name}) and no pure-Python fallback: Lambda's arm64 Python cannot load it")
            continue  # the pure-Python module beside it is used on Lambda
        path = Path(dist.locate_file(entry))
        if path.is_file():
            out[rel.as_posix()] = path.read_bytes()
    return out


def _kept_metadata(rel: PurePosixPath) -> bool:
    """METADATA keeps importlib.metadata.version() working; licences go wherever the code goes."""
    return rel.name in ("METADATA", "top_level.txt") or "licenses" in rel.parts \
        or rel.name.upper().startswith(("LICENSE", "LICENCE", "NOTICE", "COPYING"))


def _compiled(files: dict[str, bytes]) -> dict[str, bytes]:
    """Unchecked hash-based .pyc for every module: Lambda's /var/task is read-only, so without them
    each cold start compiles every module it imports again."""
    tag = sys.implementation.cache_tag
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "m.py", Path(tmp) / "m.pyc"
        for name, data in files.items():
            if not name.endswith(".py"):
                continue
            src.write_bytes(data)
            try:
                py_compile.compile(str(src), cfile=str(dst), dfile=name, doraise=True,
                                   invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
            except py_compile.PyCompileError:
                continue  # a module for another Python version: left to import time, as pip does
            path = PurePosixPath(name)
            out[str(path.parent / "__pycache__" / f"{path.stem}.{tag}.pyc")] = dst.read_bytes()
    return out


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()
