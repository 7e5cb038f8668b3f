"""Find the campaign files, parse them (cached, in parallel) and assemble them.

Reading is all done here, before anything is written: the build either gets a
complete model of the site or the full list of problems.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

from generator.content import documents, downloads
from generator.content.assemble import Bundle, check
from generator.content.documents import Context
from generator.content.fields import SLUG
from generator.content import markdown
from generator.problems import Problem

CAMPAIGNS = "content/campaigns"
_TRANSLATION = re.compile(r"^index\.([A-Za-z]{2,3}(?:[_-][A-Za-z0-9]+)*)\.md$")
_UPDATE = re.compile(r"^(?P<stem>[^.]+?)(?:\.(?P<lang>[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]+)*))?\.md$")


class Source(NamedTuple):
    """One Markdown file to parse (a tuple: every build lists thousands)."""

    kind: str  # campaign | translation | update
    path: str  # relative to the site root, with '/' separators
    slug: str
    language: str | None = None
    stem: str = ""
    digest: str = ""  # sha256 of the bytes

    def key(self, ctx: Context) -> str:
        """The cache key: this file's bytes, its role and everything parsing depends on."""
        return hashlib.sha256("\0".join((
            documents.VERSION, markdown.VERSION, repr(ctx), self.kind, self.path,
            self.language or "", self.stem, self.digest)).encode()).hexdigest()


@dataclass
class Tree:
    """What is on disk under content/campaigns."""

    sources: list[Source]
    assets: dict[str, list[str]]  # slug → files beside the Markdown (relative to the folder)
    asset_digests: dict[str, str]  # site-relative path → sha256
    folders: list[str]  # slugs, sorted
    problems: list[Problem]
    strays: list[str] = dataclasses.field(default_factory=list)  # files under content/ nothing reads


def scan(root: Path, known: dict[str, tuple[int, int, str]] | None = None) -> Tree:
    """List every campaign file with its content hash.

    ``known`` maps a path to ``(mtime_ns, size, sha256)`` from the last build: a
    file whose modification time and size are unchanged is not read again.
    """
    known = known or {}
    tree = Tree([], {}, {}, [], [])
    tree.stats = {}  # type: ignore[attr-defined]  # path → (mtime_ns, size, sha256), for the next scan
    tree.strays = _strays(root)
    base = os.path.join(root, CAMPAIGNS)
    if not os.path.isdir(base):
        return tree
    for entry in sorted(os.scandir(base), key=lambda e: e.name):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        slug = entry.name
        folder = f"{CAMPAIGNS}/{slug}"
        if not SLUG.match(slug):
            tree.problems.append(Problem(folder, 1, f"campaign folder name '{slug}' must be lower-case letters, digits and dashes (it is the page's address)"))
            continue
        tree.folders.append(slug)
        tree.assets[slug] = []
        for rel_in, full, info in _files(entry.path):
            rel = f"{folder}/{rel_in}"
            seen = known.get(rel)
            if seen and seen[0] == info.st_mtime_ns and seen[1] == info.st_size:
                digest = seen[2]
            else:
                with open(full, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            tree.stats[rel] = (info.st_mtime_ns, info.st_size, digest)  # type: ignore[attr-defined]
            source = _classify(rel_in, rel, slug, digest, tree.problems)
            if source is not None:
                tree.sources.append(source)
            elif not rel_in.endswith(".md"):
                tree.assets[slug].append(rel_in)
                tree.asset_digests[rel] = digest
    return tree


def _strays(root: Path) -> list[str]:
    """Files under content/ outside the campaign folders and content/pages: nothing reads them (hidden ones aside)."""
    content = os.path.join(root, "content")
    if not os.path.isdir(content):
        return []
    found = []
    for rel, _, _ in _files(content, skip=lambda rel: rel in ("campaigns", "pages")):  # pages: content/pages.py
        found.append(f"content/{rel}")
    campaigns = os.path.join(root, CAMPAIGNS)
    if os.path.isdir(campaigns):
        with os.scandir(campaigns) as entries:
            found += [f"{CAMPAIGNS}/{e.name}" for e in entries if not e.name.startswith(".") and e.is_file()]
    return sorted(found)


def _files(folder: str, prefix: str = "", skip=None) -> list[tuple[str, str, os.stat_result]]:
    """``(path relative to folder, full path, stat)`` of every visible file, sorted."""
    found = []
    with os.scandir(folder) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                if skip is None or not skip(prefix + entry.name):
                    found.extend(_files(entry.path, prefix + entry.name + "/", skip))
            elif entry.is_file():
                found.append((prefix + entry.name, entry.path, entry.stat()))
    return found


def _classify(rel_in: str, rel: str, slug: str, digest: str, problems: list[Problem]) -> Source | None:
    if rel_in == "index.md":
        return Source("campaign", rel, slug, digest=digest)
    match = _TRANSLATION.match(rel_in)
    if match:
        return Source("translation", rel, slug, language=match.group(1), digest=digest)
    if rel_in.startswith("updates/") and rel_in.count("/") == 1 and rel_in.endswith(".md"):
        match = _UPDATE.match(rel_in.removeprefix("updates/"))
        if match:
            return Source("update", rel, slug, language=match.group("lang"), stem=match.group("stem"), digest=digest)
    if rel_in.endswith(".md"):
        problems.append(Problem(rel, 1, "unexpected Markdown file: a campaign's text goes in index.md "
                                "(index.<lang>.md for a translation), its updates in updates/YYYY-MM-DD-name.md"))
    return None


def parse(root: Path, source: Source, ctx: Context):
    """Parse one source file (runs in a worker process)."""
    try:
        text = (root / source.path).read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        line = (root / source.path).read_bytes()[:error.start].count(b"\n") + 1
        return _unreadable(source, Problem(source.path, line, "not UTF-8 text: save the file as UTF-8"))
    except OSError as error:
        return _unreadable(source, Problem(source.path, 1, f"cannot be read: {error.strerror}"))
    if source.kind == "campaign":
        return documents.parse_campaign(text, source.slug, source.path, ctx)
    if source.kind == "translation":
        return documents.parse_translation(text, source.slug, source.language, source.path, ctx)
    return documents.parse_update(text, source.slug, source.stem, source.language, source.path, ctx)


def _unreadable(source: Source, problem: Problem):
    if source.kind == "campaign":
        return documents.CampaignDoc(source.slug, source.path, [problem])
    if source.kind == "translation":
        return documents.TranslationDoc(source.slug, source.language, source.path, [problem])
    return documents.UpdateDoc(source.slug, source.stem, source.language, source.path, [problem])


def bundle(tree: Tree, docs: dict[Source, object]) -> tuple[list[Bundle], list[Problem]]:
    """Group parsed documents by campaign and run the cross-file checks."""
    bundles = {slug: Bundle(slug, f"{CAMPAIGNS}/{slug}", files=tuple(tree.assets.get(slug, ())))
               for slug in tree.folders}
    problems = list(tree.problems)
    for source, doc in docs.items():
        problems.extend(doc.problems)
        b = bundles[source.slug]
        if source.kind == "campaign":
            b.campaign = doc
        elif source.kind == "translation":
            b.translations[source.language] = doc
        elif source.language is None:
            b.updates[source.stem] = doc
        else:
            b.update_translations[(source.stem, source.language)] = doc
    for b in bundles.values():
        files = set(b.files)
        problems.extend(check(b, files.__contains__))
    return [bundles[slug] for slug in sorted(bundles)], problems


def campaign_key(fingerprint: str, ctx: Context) -> str:
    """The cache key of a whole campaign folder, localised."""
    return hashlib.sha256("\0".join((
        documents.VERSION, markdown.VERSION, repr(ctx), fingerprint)).encode()).hexdigest()


def load(root: Path, ctx: Context, tree: Tree, cached: Callable[[list[tuple[Source, str]]], dict],
         known: dict[str, tuple], languages: tuple[str, ...]):
    """Every campaign, localised in every language, with the problems found.

    ``known`` holds the campaigns taken whole from the cache (slug → (entry,
    {lang: Campaign})); the others are parsed through ``cached`` (key → doc).
    Returns (entries, lang → slug → Campaign, newly assembled campaigns, problems).
    """
    from generator.content.assemble import localise
    from generator.site import Entry

    todo = [s for s in tree.sources if s.slug not in known]
    keyed = [(source, source.key(ctx)) for source in todo]
    docs = cached(keyed)
    partial = Tree(todo, tree.assets, tree.asset_digests, [f for f in tree.folders if f not in known], tree.problems)
    bundles, problems = bundle(partial, {source: docs[key] for source, key in keyed})
    for b in bundles:  # the codes files: read here, at the edge (a document is one file's text)
        if b.campaign is not None and not b.campaign.problems:
            problems.extend(downloads.check_codes(root / b.folder, b.campaign.source,
                                                  b.campaign.values.get("rewards", ()),
                                                  b.campaign.values.get("_lines", {})))
    troubled = {p.path.split("/")[2] for p in problems if p.path.startswith(CAMPAIGNS + "/") and p.path.count("/") >= 2}
    fresh = {}
    for b in bundles:
        if b.campaign is None or b.slug in troubled:
            continue
        lines = b.campaign.values.get("_lines", {})
        private = downloads.private_files(b.campaign.values.get("rewards", ()))
        entry = Entry(b.slug, b.folder, tuple(f for f in b.files if f not in private), b.campaign.language,
                      tuple(sorted(lines.items())) + tuple((f"updates/{stem}", u.date_line)
                                                          for stem, u in sorted(b.updates.items())))
        fresh[b.slug] = (entry, {lang: localise(b, lang) for lang in languages})
    everything = {**known, **fresh}
    entries, campaigns = [], {lang: {} for lang in languages}
    for slug in sorted(everything):
        entry, localised = everything[slug]
        entries.append(entry)
        for lang in languages:
            campaigns[lang][slug] = localised[lang]
    return entries, campaigns, fresh, problems
