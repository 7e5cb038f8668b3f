"""The image stage: responsive variants and share cards, encoded once per content.

Every campaign image the pages show (the hero ``image``, and the images of the
Markdown story, updates, FAQ, risks and rewards) is resized to a few widths
(never above its own) and encoded as WebP plus a fallback in the source's
format (JPEG, or PNG for images with transparency). Each campaign with a hero
also gets a 1200×630 share card per language (see :mod:`generator.output.share`).

Encoded files are kept in ``.cagnotte/build/images/``, named by a hash of the
source's bytes and of the recipe (width, format, quality, encoder versions): an
unchanged image is never decoded or encoded again, whatever the output folder.
The output names carry the start of that hash (``cover-800.1a2b3c4d5e.webp``),
so they can be cached forever, and the pages that show them change when they do.

Decoding and encoding are in :mod:`generator.output.pixels`. The work runs
in worker processes; the result is a
:class:`~generator.render.pictures.Pictures` manifest for the renderer and the
list of files for the writer. A file that cannot be read as an image is a
content problem (``path:1: message``), found before anything is written.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING

from generator.output.pixels import (JPEG, PNG, WEBP, Meta, Recipe, UnreadableImage, describe, encode_variant,
                                     encoders, open_image)

if TYPE_CHECKING:
    from generator.render.pictures import Pictures

# Part of every cache key and output name: bump when a recipe below (or how
# generator.output.pixels decodes) changes; the encoders' settings are in the keys. (The
# build reads it on every run, even a no-op one: this module imports little at the
# top, and Pillow only when there is an image to read.)
VERSION = "images-2"  # images-2: typographic share cards (no hero image)
WIDTHS = (480, 800, 1200, 1600)
AVATAR = (96, 192)  # square pixels: the page shows the creator's avatar 3rem wide (1× and 2× screens)
RESIZED = (".jpg", ".jpeg", ".png", ".webp", ".gif")  # what the stage looks at (by name)
EXTENSIONS = {"jpeg": "jpg", "png": "png", "webp": "webp"}
# From this many tasks on, a pool of worker processes pays (each task decodes an image).
_PARALLEL_MIN = 2


class Result:
    """What the stage made: the manifest, the files to put in the output, the work done."""

    def __init__(self, pictures: Pictures):
        self.pictures = pictures
        self.files: dict[str, Path] = {}  # output path → cached file
        self.keys: dict[str, str] = {}  # output path → its cache key
        self.encoded = 0  # files encoded this time (0 when everything came from the cache)


def _h(*parts: object) -> str:
    return hashlib.sha256("\0".join(map(str, parts)).encode()).hexdigest()


# -- what the pages show -----------------------------------------------------

def shown_images(site) -> tuple[dict[str, str], dict[str, str], dict[str, tuple[str, ...]], dict[str, str]]:
    """What the pages show: ``(site path → source file relative to the site,
    slug → its hero's site path, slug → the site paths its pages show,
    site path → "avatar" or "both" for the creators' avatars)``: an image that is
    only an avatar gets its squares, not the responsive widths.

    Only files of campaign folders count; a Markdown image that points elsewhere
    (another site, a file that is not there) is left to the browser.
    """
    files: dict[str, str] = {}
    by_path: dict[str, str] = {}
    for entry in site.entries:
        for rel in entry.files:
            if rel.lower().endswith(RESIZED):
                by_path[f"/campaigns/{entry.slug}/{rel}"] = f"{entry.folder}/{rel}"
    heroes: dict[str, str] = {}
    uses: dict[str, set[str]] = {}
    avatars: dict[str, str] = {}
    if not by_path:
        return files, heroes, {}, avatars
    default = site.config.language
    for slug, campaign in site.campaigns[default].items():
        if campaign.image:
            path = f"/campaigns/{slug}/{campaign.image}"
            if path in by_path:
                heroes[slug] = path
                files[path] = by_path[path]
                uses.setdefault(slug, set()).add(path)
    for campaigns in site.campaigns.values():
        for slug, campaign in campaigns.items():
            for path in html_images(campaign):  # a story may show another campaign's image
                if path in by_path:
                    files[path] = by_path[path]
                    uses.setdefault(slug, set()).add(path)
    for slug, campaign in site.campaigns[default].items():
        avatar = f"/campaigns/{slug}/{campaign.creator.image}" if campaign.creator.image else None
        if avatar in by_path:
            avatars[avatar] = "both" if avatar in files else "avatar"
            files[avatar] = by_path[avatar]
            uses.setdefault(slug, set()).add(avatar)
    return (dict(sorted(files.items())), heroes, {slug: tuple(sorted(paths)) for slug, paths in uses.items()},
            avatars)


def html_images(campaign) -> tuple[str, ...]:
    """The site paths of the ``<img>`` in a campaign's converted Markdown.

    A campaign from the build state carries them in its brief (see
    generator.content.deferred): its story and rewards are not read for this.
    """
    known = campaign.__dict__.get("_images")
    if known is not None:
        return known
    from generator.render.pictures import image_sources

    return tuple(path for html in _html_of(campaign) for path in image_sources(html))


def _html_of(campaign):
    yield campaign.story_html
    yield campaign.risks_html
    for question in campaign.faq:
        yield question.answer_html
    for reward in campaign.rewards:
        yield reward.description_html
    for update in campaign.mailings:  # a private update's images too: its mail shows them
        yield update.body_html


# -- recipes -------------------------------------------------------------------

def recipes(meta: Meta, digest: str) -> list[Recipe]:
    """The files made from a source: each width up to its own, in WebP and the fallback."""
    if not meta.fallback:
        return []
    widths = [w for w in WIDTHS if w < meta.width]
    if meta.width <= WIDTHS[-1]:
        widths.append(meta.width)
    made = []
    for width in widths:
        height = max(1, round(meta.height * width / meta.width))
        for fmt in ("webp", meta.fallback):
            recipe = {"webp": WEBP, "jpeg": JPEG, "png": PNG}[fmt]
            key = _h(VERSION, encoders(), digest, width, height, fmt, sorted(recipe.items()))
            made.append(Recipe(width, height, fmt, key))
    return made


def avatar_recipes(meta: Meta, digest: str) -> list[Recipe]:
    """The creator's avatar: the centre square of the source, at each AVATAR size up to its own."""
    if not meta.fallback:
        return []
    side = min(meta.width, meta.height)
    sizes = sorted({min(size, side) for size in AVATAR})
    made = []
    for size in sizes:
        for fmt in ("webp", meta.fallback):
            recipe = {"webp": WEBP, "jpeg": JPEG, "png": PNG}[fmt]
            key = _h(VERSION, encoders(), digest, "square", size, fmt, sorted(recipe.items()))
            made.append(Recipe(size, size, fmt, key))
    return made


def output_name(source: str, recipe: Recipe) -> str:
    """``/campaigns/x/cover.jpg`` → ``/campaigns/x/cover-800.1a2b3c4d5e.webp``."""
    folder, name = posixpath.split(source)
    stem = name.rsplit(".", 1)[0]
    return f"{folder}/{stem}-{recipe.width}.{recipe.key[:10]}.{EXTENSIONS[recipe.format]}"


def _avatars(site, metas: dict[str, Meta], digests: dict[str, str]) -> dict[str, tuple[str, list[Recipe]]]:
    """slug → (the avatar's source site path, its square recipes)."""
    found = {}
    for slug, campaign in site.campaigns[site.config.language].items():
        path = f"/campaigns/{slug}/{campaign.creator.image}" if campaign.creator.image else None
        if path in metas:
            found[slug] = (path, avatar_recipes(metas[path], digests[path]))
    return found


# -- the stage ---------------------------------------------------------------------

def prepare(root: Path, theme, site, jobs: int, encode: bool = True) -> Result:
    """Make (or find in the cache) every variant and share card of ``site``.

    With ``encode=False`` (``cagnotte check``) the sources are only read and
    checked. Raises ContentError listing every image that cannot be read.
    """
    from generator.problems import ContentError, Problem
    from generator.render.pictures import Picture, Pictures, ShareImage, Variant

    files, heroes, uses, avatars = shown_images(site)
    result = Result(Pictures(heroes=heroes, uses=uses))
    if not files and not encode:
        return result
    cache = Cache(root / ".cagnotte" / "build" / "images")
    digests = {path: site.digests[source] for path, source in files.items()}
    sources = {source: path for path, source in files.items()}
    metas: dict[str, Meta] = {}
    tasks: list[tuple] = []
    for path, source in files.items():
        meta = cache.meta(digests[path])
        square = avatars.get(path, "")
        if meta is not None:
            metas[path] = meta
            if not encode or all(cache.has(r.key, r.format) for r in _made(meta, digests[path], square)):
                continue
        tasks.append(("variants", str(root / source), source, digests[path], str(cache.folder), encode, square))
    shares: dict[tuple[str, str], tuple[str, dict]] = {}
    if encode:
        from generator.output.share import FORMAT, card_alt, card_texts, fonts

        # Every campaign gets a card: over its hero image, or typographic (its title, creator
        # and goal on the theme's colours) when it has none, so every link shared has a preview.
        faces = fonts(theme)
        for lang in site.config.languages:
            for slug in sorted(e.slug for e in site.entries):
                path = heroes.get(slug)
                texts = card_texts(site, theme, slug, lang)
                key = _h(VERSION, encoders(), digests[path] if path else "typographic", sorted(texts.items()),
                         *(f"{name}:{digest}" for name, (_, digest) in sorted(faces.items())))
                shares[(slug, lang)] = (key, card_alt(texts, site.campaigns[lang][slug].image_alt if path else ""))
                if not cache.has(key, FORMAT):
                    tasks.append(("share", str(root / files[path]) if path else "", files[path] if path else slug,
                                  key, str(cache.folder), texts, {name: file for name, (file, _) in faces.items()}))
    tasks = _unique(tasks)
    problems: list[Problem] = []
    for outcome in _run(tasks, jobs):
        kind, source, value, count = outcome
        result.encoded += count
        if kind == "problem":
            problems.append(Problem(source, 1, value))
        elif kind == "meta":
            meta = Meta(*value)
            cache.save_meta(site.digests[source], meta)
            metas[sources[source]] = meta
    if problems:
        raise ContentError(problems)
    for path in files:
        if avatars.get(path) == "avatar":
            continue
        meta = metas[path]
        made = {"webp": [], "fallback": []}
        for recipe in recipes(meta, digests[path]):
            name = output_name(path, recipe)
            result.files[name.lstrip("/")] = cache.file(recipe.key, recipe.format)
            result.keys[name.lstrip("/")] = recipe.key
            made["webp" if recipe.format == "webp" else "fallback"].append(Variant(recipe.width, recipe.height, name))
        largest = made["fallback"][-1] if made["fallback"] else None
        result.pictures.pictures[path] = Picture(
            source=path, width=largest.width if largest else meta.width,
            height=largest.height if largest else meta.height, fallback=meta.fallback or "",
            webp=tuple(made["webp"]), variants=tuple(made["fallback"]))
    for slug, (path, made_recipes) in sorted(_avatars(site, metas, digests).items()):
        made = {"webp": [], "fallback": []}
        for recipe in made_recipes:
            name = output_name(path, recipe)
            result.files[name.lstrip("/")] = cache.file(recipe.key, recipe.format)
            result.keys[name.lstrip("/")] = recipe.key
            made["webp" if recipe.format == "webp" else "fallback"].append(Variant(recipe.width, recipe.height, name))
        if made["fallback"]:
            small = made["fallback"][0]
            result.pictures.avatars[slug] = Picture(
                source=path, width=small.width, height=small.height, fallback=metas[path].fallback,
                webp=tuple(made["webp"]), variants=tuple(made["fallback"]))
    if encode:
        from generator.output.share import FORMAT, HEIGHT, WIDTH

        for (slug, lang), (key, alt) in sorted(shares.items()):
            name = f"campaigns/{slug}/share.{key[:10]}.{EXTENSIONS[FORMAT]}"
            result.files[name] = cache.file(key, FORMAT)
            result.keys[name] = key
            result.pictures.share[(slug, lang)] = ShareImage("/" + name, WIDTH, HEIGHT, alt)
        cache.prune(set(result.keys.values()) | {cache.meta_name(d) for d in digests.values()})
    return result


def _unique(tasks: list[tuple]) -> list[tuple]:
    """One task per source (variants) and per card (shares), in a stable order."""
    seen, kept = set(), []
    for task in tasks:
        key = task[:4]
        if key not in seen:
            seen.add(key)
            kept.append(task)
    return kept


def _run(tasks: list[tuple], jobs: int):
    """Each task's outcomes, from worker processes when there is more than one task."""
    from generator import parallel

    return [outcome for outcomes in parallel.unordered(_task, tasks, min(jobs, len(tasks)), minimum=_PARALLEL_MIN)
            for outcome in outcomes]


def _task(task: tuple) -> list[tuple]:
    """Run one task in a worker: ``[(kind, source, value, encoded files)]``."""
    kind, path, source = task[0], task[1], task[2]
    try:
        if kind == "variants":
            _, _, _, digest, folder, encode, square = task
            return _variants(path, source, digest, Cache(Path(folder)), encode, square)
        _, _, _, key, folder, texts, faces = task
        from generator.output.share import FORMAT, draw

        data = draw(open_image(path) if path else None, texts, faces)
        Cache(Path(folder)).write(key, FORMAT, data)
        return [("share", source, key, 1)]
    except UnreadableImage as error:
        return [("problem", source, str(error), 0)]


def _made(meta: Meta, digest: str, square: str) -> list[Recipe]:
    """The recipes of one source: its widths unless it is only an avatar, its squares if it is one."""
    return (recipes(meta, digest) if square != "avatar" else []) + (avatar_recipes(meta, digest) if square else [])


def _variants(path: str, source: str, digest: str, cache: "Cache", encode: bool, square: str = "") -> list[tuple]:
    image = open_image(path)
    meta = describe(image)
    encoded = 0
    if encode:
        for recipe in _made(meta, digest, square):
            if not cache.file(recipe.key, recipe.format).is_file():  # (a worker: no folder listing)
                cache.write(recipe.key, recipe.format, encode_variant(image, recipe))
                encoded += 1
    return [("meta", source, (meta.width, meta.height, meta.fallback), encoded)]


# -- the cache -------------------------------------------------------------------

class Cache:
    """``.cagnotte/build/images/``: encoded files by key, and what each source is."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._names: set[str] | None = None

    def _listing(self) -> set[str]:
        if self._names is None:
            self._names = {entry.name for entry in os.scandir(self.folder)}
        return self._names

    def file(self, key: str, fmt: str) -> Path:
        return self.folder / f"{key}.{EXTENSIONS[fmt]}"

    def has(self, key: str, fmt: str) -> bool:
        return f"{key}.{EXTENSIONS[fmt]}" in self._listing()

    def write(self, key: str, fmt: str, data: bytes) -> None:
        _atomic_write(self.file(key, fmt), data)
        if self._names is not None:
            self._names.add(f"{key}.{EXTENSIONS[fmt]}")

    def meta_name(self, digest: str) -> str:
        return f"{_h(VERSION, digest)}.json"

    def meta(self, digest: str) -> Meta | None:
        import json

        name = self.meta_name(digest)
        if name not in self._listing():
            return None
        try:
            value = json.loads((self.folder / name).read_text())
            return Meta(int(value["width"]), int(value["height"]), str(value["fallback"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save_meta(self, digest: str, meta: Meta) -> None:
        import json

        data = json.dumps({"width": meta.width, "height": meta.height, "fallback": meta.fallback}).encode()
        name = self.meta_name(digest)
        _atomic_write(self.folder / name, data)
        self._listing().add(name)

    def prune(self, used: set[str]) -> None:
        """When unused files pile up (edited images), keep those this build used.

        Another output folder built from the same site may still use some: it
        only pays for re-encoding them.
        """
        names = self._listing()
        encoded = {n for n in names if not n.startswith(".")}
        kept = {n for n in encoded if n in used or n.split(".", 1)[0] in used}
        if len(encoded) <= 2 * len(kept) + 32:
            return
        for name in sorted(encoded - kept):
            try:
                os.unlink(self.folder / name)
            except FileNotFoundError:
                pass
            names.discard(name)


def _atomic_write(path: Path, data: bytes) -> None:
    import tempfile

    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


# -- site.yml's logo -----------------------------------------------------------------

LOGO_HEIGHT = 96  # pixels: the header shows it 2rem high, so three times that is sharp on any screen


def read_logo(root: Path, rel: str):
    """site.yml's ``logo`` as the header shows it: a drawing (SVG) as it is; a picture no
    taller than LOGO_HEIGHT, without metadata, encoded once (kept in ``.cagnotte/build/logo/``).

    Raises ContentError (``logo:1: message``) for a file that is not an image.
    """
    from generator.problems import ContentError, Problem
    from generator.render.theme import Logo

    source = root / rel
    name = posixpath.basename(rel)
    data = source.read_bytes()
    if name.lower().endswith(".svg"):
        if b"<svg" not in data[:4096]:
            raise ContentError([Problem(rel, 1, "not an SVG drawing (no <svg> element): export the logo again")])
        return Logo(source, f"logo/{name}")
    try:
        image = open_image(str(source))
    except UnreadableImage as error:
        raise ContentError([Problem(rel, 1, str(error))]) from None
    meta = describe(image)
    if not meta.fallback or meta.height <= LOGO_HEIGHT:  # small enough, or an animation: as it is
        return Logo(source, f"logo/{name}", meta.width, meta.height)
    height = LOGO_HEIGHT
    width = max(1, round(meta.width * height / meta.height))
    key = _h(VERSION, encoders(), hashlib.sha256(data).hexdigest(), width, height, meta.fallback)
    recipe = Recipe(width, height, meta.fallback, key)
    folder = root / ".cagnotte" / "build" / "logo"
    cached = folder / f"{key}.{EXTENSIONS[meta.fallback]}"
    if not cached.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():  # one logo at a time
            old.unlink()
        _atomic_write(cached, encode_variant(image, recipe))
    stem = name.rsplit(".", 1)[0]
    return Logo(cached, f"logo/{stem}.{EXTENSIONS[meta.fallback]}", width, height)
