"""`cagnotte build`: read everything, plan, render what changed, swap the output in.

The stages follow Pelican: read and model the whole site first (any problem
stops the build before a byte is written), then plan the outputs, render the
ones whose inputs changed (in parallel), and let the writer replace the output
folder in one step.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from functions.core.catalog import FILENAME as CATALOG
from functions.core.mailtext import FILENAME as MAIL
from generator import parallel
from generator.catalog import pieces, write_private
from generator.config import SiteConfig, load_config
from generator.content import loader
from generator.content.lint import site_warnings
from generator.content.documents import Context
from generator.output.state import State, digest
from generator.output.writer import Conflict, Staging
from generator.problems import ContentError, Problem, Warned
from generator.render import workers
from generator.render.plan import plan
from generator.render.theme import Theme

# Part of every page's fingerprint: bump when rendering changes for all pages.
RENDER_VERSION = "render-1"


class Timings:
    """Seconds spent per stage (printed by ``CAGNOTTE_TIMINGS=1``, read by the benchmark)."""

    def __init__(self) -> None:
        self.stages: list[tuple[str, float]] = []
        self.last = time.perf_counter()

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages.append((stage, now - self.last))
        self.last = now

    def __str__(self) -> str:
        return " ".join(f"{stage}={seconds:.3f}" for stage, seconds in self.stages)


@dataclass
class BuildReport:
    rendered: int  # pages rendered this time
    reused: int  # outputs kept from the previous build
    total: int  # files in the output
    pages: int  # HTML pages in the output
    removed: int  # files of the previous output that are gone
    parsed: int  # source files parsed this time (not from the cache)
    seconds: float
    out: Path
    timings: Timings | None = None
    encoded: int = 0  # image variants and share cards encoded this time (not from the cache)
    warnings: list[Problem] = field(default_factory=list)  # see generator.content.lint

    @property
    def changed(self) -> bool:
        return self.rendered > 0 or self.removed > 0 or self.reused != self.total


def now_from_environment() -> dt.datetime:
    """The build's moment: ``SOURCE_DATE_EPOCH`` (reproducible builds) or the clock."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc)
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def locate_theme(root: Path, config: SiteConfig) -> Theme:
    """The theme chain, with site.yml's look on it (the accent's tokens, the logo)."""
    from generator.render.colours import tokens

    try:
        theme = Theme.locate(root, config.theme, look=tokens(config.accent) if config.accent else "")
    except FileNotFoundError:
        raise ContentError([Problem("site.yml", 1, f"theme '{config.theme}' not found (a folder under themes/ or a path)")])
    return theme


def load_site(root: Path, now: dt.datetime, jobs: int, state: State | None = None,
              tree: loader.Tree | None = None, progress: bool = False, preview: bool = False):
    """Read, validate and assemble the site; raise ContentError with every problem.

    ``preview`` keeps the drafts (``serve``, ``check``); a production build drops them.

    A campaign folder whose files are all unchanged is taken whole from the
    state (already localised); the others are parsed (each file cached by its
    content hash), checked and localised.
    """
    from generator.site import assemble, fingerprints_of

    config = load_config(root)
    theme = locate_theme(root, config)
    if config.logo:  # read here, not in locate_theme: a build with nothing to do decodes no image
        from generator.output.images import read_logo

        theme.logo = read_logo(root, config.logo)
    ctx = Context(config.language, config.languages, config.currency, config.timezone)
    if tree is None:
        tree = loader.scan(root, state.files() if state else None)

    parsed = 0

    def cached(keyed: list[tuple[loader.Source, str]]) -> dict:
        """Parsed documents by key: from the state, or parsed now (in parallel)."""
        nonlocal parsed
        keys = [key for _, key in keyed]
        found = state.docs(keys) if state else {}
        missing = [(source, key) for source, key in keyed if key not in found]
        show = parallel.progress(len(missing), "Reading") if progress and len(missing) >= parallel.PROGRESS_MIN else None
        results = parallel.ordered(_parse_one, [(root, source, ctx) for source, _ in missing], jobs, show)
        fresh = {key: doc for (_, key), doc in zip(missing, results)}
        if state is not None and fresh:
            state.save_docs(fresh)
        found.update(fresh)
        parsed = len(fresh)
        return found

    digests = {s.path: s.digest for s in tree.sources} | tree.asset_digests
    fingerprints = fingerprints_of(tree.folders, digests)
    keys = {slug: loader.campaign_key(fingerprints[slug], ctx) for slug in tree.folders}
    known = state.campaigns(keys) if state else {}
    entries, campaigns, fresh, problems = loader.load(root, ctx, tree, cached, known, config.languages)
    from generator.content.pages import load_pages

    pages = load_pages(root, config.language, config.languages, problems)
    if problems:
        raise ContentError(problems)
    if state is not None:
        state.save_campaigns({slug: (keys[slug], value) for slug, value in fresh.items()}, set(keys))
        if state.doc_count() > 2 * len(tree.sources) + 16:  # edits pile up old versions: prune
            state.forget_docs({source.key(ctx) for source in tree.sources})
    site = assemble(config, entries, campaigns, now, digests, fingerprints, preview=preview)
    site.pages = pages
    site.strays = tuple(path for path in tree.strays if path != config.logo)  # the logo is read by the header
    return config, theme, site, parsed


def _parse_one(args):
    root, source, ctx = args
    return loader.parse(root, source, ctx)


def _inputs(config: SiteConfig, theme: Theme, tree: loader.Tree, preview: bool) -> str:
    """One hash of everything a build reads (files by content, settings, versions, preview or not)."""
    from generator.content import documents, markdown, pages
    from generator.output import images

    hasher = hashlib.sha256("\0".join((RENDER_VERSION, documents.VERSION, markdown.VERSION, images.VERSION,
                                       config.fingerprint(), theme.fingerprint(), pages.fingerprint(config.root),
                                       "preview" if preview else "production")).encode())
    for path, (_, _, sha) in sorted(tree.stats.items()):  # type: ignore[attr-defined]
        hasher.update(f"{path}\0{sha}\0".encode())
    for path in tree.strays:  # not read, but warned about
        hasher.update(f"stray\0{path}\0".encode())
    return hasher.hexdigest()


def build(site_dir: Path, out: Path | None = None, *, jobs: int | None = None, clean: bool = False,
          now: dt.datetime | None = None, progress: bool = False, preview: bool = False,
          strict: bool = False) -> BuildReport:
    """Build the site in ``site_dir`` into ``out`` (default: site.yml's ``output``).

    The report lists the warnings (see generator.content.lint), a no-op build's
    too; with ``strict`` they raise :class:`~generator.problems.Warned` before
    anything is written.

    ``preview`` (``cagnotte serve``) also renders the drafts, each with a banner,
    while keeping them off the home page, the feeds, the sitemap and the catalog.
    """
    started = time.perf_counter()
    root = Path(site_dir).resolve()
    now = now or now_from_environment()
    jobs = max(1, jobs or os.cpu_count() or 1)
    config = load_config(root)
    out = (root / config.output) if out is None else Path(out)
    out = out if out.is_absolute() else (Path.cwd() / out)
    state = State(root, out)
    timings = Timings()
    # The build makes many long-lived objects and few cycles: collecting while
    # they are created only costs time (and, after fork, copies memory pages).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        if clean or not out.is_dir():
            state.forget_outputs()
        theme = locate_theme(root, config)
        tree = loader.scan(root, state.files())
        state.save_files(tree.stats)  # type: ignore[attr-defined]
        from generator import comments as baking

        baked = baking.newest(root, sorted(tree.folders))  # read first: a new comment is a change
        inputs = _inputs(config, theme, tree, preview) + baking.digest(baked)
        timings.mark("scan")
        last = state.last_build()
        if last and last[0] == inputs and last[1] <= _iso(now) < last[2] and out.is_dir():
            # Same files, and no status, day count or warning has changed since: nothing to do.
            if strict and last[5]:
                raise Warned(last[5])
            return BuildReport(rendered=0, reused=last[4], total=last[4], pages=last[3], removed=0,
                               parsed=0, seconds=time.perf_counter() - started, out=out, warnings=last[5])
        config, theme, site, parsed = load_site(root, now, jobs, state, tree, progress, preview)
        site.comments = baked
        timings.mark("load")
        images = make_images(root, theme, site, jobs)
        timings.mark("images")
        warnings = site_warnings(site)
        if strict and warnings:
            raise Warned(warnings)
        found = pieces(site, state)
        timings.mark("pieces")
        report = _write(config, theme, site, out, state, jobs, progress, parsed, started, timings, images, found)
        report.encoded = images.encoded
        report.warnings = warnings
        write_private(root, found)
        start, end = site.window()
        state.save_build(inputs, _iso(start), _iso(end), report.pages, report.total, warnings)
        timings.mark("save")
        report.timings = timings
        if os.environ.get("CAGNOTTE_TIMINGS"):
            print(f"timings: {timings}", file=sys.stderr)
        return report
    finally:
        state.close()
        if gc_was_enabled:
            gc.enable()


def make_images(root: Path, theme: Theme, site, jobs: int, encode: bool = True):
    """Resize the images the pages show and draw the share cards (see generator.output.images).

    Sets ``site.pictures`` for the renderer; raises ContentError for an unreadable image.
    """
    from generator.output.images import prepare

    result = prepare(root, theme, site, jobs, encode)
    site.pictures = result.pictures
    return result


def _iso(moment: dt.datetime) -> str:
    """A UTC timestamp that sorts as text (the window's bounds)."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _write(config: SiteConfig, theme: Theme, site, out: Path, state: State, jobs: int,
           progress: bool, parsed: int, started: float, timings: Timings, images, found) -> BuildReport:
    from generator.catalog import catalog_json
    from generator.mail import compile_mail

    pages = plan(site)
    timings.mark("plan")
    common = hashlib.sha256("\0".join((
        RENDER_VERSION, config.fingerprint(), repr(sorted(theme.assets.items())),
        site.pages.digest if site.pages else "")).encode()).hexdigest()
    wanted: dict[str, str] = {}  # output path → fingerprint
    # A page's fingerprint: what every page of its template and language shares, then its own data.
    shared: dict[tuple[str, str], str] = {}
    for page in pages:
        key = (page.template, page.lang)
        if key not in shared:
            template = theme.template_fingerprint(page.template) if page.template else ""
            shared[key] = _fingerprint(common, template, theme.locale_fingerprint(page.lang))[:32]
        wanted[page.path] = shared[key] + page.deps
    copies: dict[str, Path] = {}  # output path → source file
    data: dict[str, bytes] = {}  # output path → its bytes
    for name, url in theme.assets.items():
        source = theme.published[name]
        if isinstance(source, bytes):
            data[url.lstrip("/")] = source  # the stylesheet, put together from its parts
        else:
            copies[url.lstrip("/")] = source
            wanted[url.lstrip("/")] = "copy:" + url  # the URL carries the content hash
    for entry in site.entries:
        for rel in entry.files:
            copies[f"campaigns/{entry.slug}/{rel}"] = config.root / entry.folder / rel
            wanted[f"campaigns/{entry.slug}/{rel}"] = "copy:" + site.digests[f"{entry.folder}/{rel}"]
    for rel, cached in images.files.items():  # variants and share cards, from the image cache
        copies[rel] = cached
        wanted[rel] = "copy:" + images.keys[rel]
    timings.mark("fingerprint")
    # What the functions read, side by side: the catalog and the compiled e-mail templates.
    data[CATALOG] = catalog_json(site, found).encode()
    data[MAIL] = compile_mail(config, theme, site, {slug: p.mail for slug, p in found.items()})
    for rel, content in data.items():
        wanted[rel] = "data:" + digest(content)
    timings.mark("catalog")
    previous = state.outputs()
    report = BuildReport(rendered=0, reused=0, total=len(wanted), out=out, removed=0, parsed=parsed,
                         pages=sum(1 for p in pages if p.path.endswith(".html")), seconds=0.0)
    if out.is_dir() and previous == wanted:
        report.reused = len(wanted)
        report.seconds = time.perf_counter() - started
        return report  # nothing changed: the output stays as it is

    staging = Staging(out)
    try:
        try:
            staging.claim_all([(page.path, lambda page=page: f"the page made from {page.template or page.kind}")
                               for page in pages]
                              + [(rel, lambda rel=rel: _shown(copies[rel], config.root)) for rel in copies]
                              + [(CATALOG, lambda: "the pledge catalog"), (MAIL, lambda: "the e-mail templates")]
                              + [(rel, lambda: "the theme's stylesheet") for rel in data if rel not in (CATALOG, MAIL)])
        except Conflict as conflict:
            # A creator's file named like a page the build makes (campaigns/x/embed/index.html…).
            path, other = conflict.second, conflict.first
            if not path.startswith("content/"):
                path, other = other, path
            raise ContentError([Problem(path, 1, f"this file would be published as /{conflict.rel}, which is "
                                                 f"{other}: rename or move it")]) from None
        # Trusts the state: a file deleted by hand comes back with --clean.
        todo = [index for index, page in enumerate(pages) if previous.get(page.path) != wanted[page.path]]
        report.reused += len(pages) - len(todo)
        for rel, source in copies.items():
            if previous.get(rel) == wanted[rel]:
                report.reused += 1
            else:
                staging.copy(rel, source)
        for rel, content in data.items():
            if previous.get(rel) == wanted[rel]:
                report.reused += 1
            else:
                staging.write(rel, content)
        timings.mark("compare")
        workers.start(workers.Job(config, theme, site, pages, staging, RENDER_VERSION),
                      state.fragments() if todo else {}, todo)
        made: dict[str, str] = {}
        used: set[str] = set()
        show = parallel.progress(len(todo), "Rendering") if progress and len(todo) >= parallel.PROGRESS_MIN else None
        for results, fragments in parallel.unordered(workers.render_chunk, parallel.chunks(todo, jobs), jobs,
                                                     count=len(todo)):
            made.update(fragments[0])
            used.update(fragments[1])
            staging.add(results)
            if show:
                show(len(results))
        workers.finish()
        report.rendered = len(todo)
        if made or used:
            state.save_fragments(made, used)
        timings.mark("render")
        removed = sorted(set(previous) - set(wanted))
        report.removed = len(removed)
        staging.commit(removed)
        timings.mark("commit")
    except BaseException:
        staging.abort()
        raise
    state.save_outputs(wanted)
    report.seconds = time.perf_counter() - started
    return report


def _shown(path: Path, root: Path) -> str:
    """A file as the creator knows it: relative to the site when it is in it."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()

