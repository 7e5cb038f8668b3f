"""Rendering pages, in this process or in forked workers.

The build calls :func:`start` with everything a page needs; the workers it
forks then inherit that, the Jinja environments and the compiled templates.
Each worker writes its pages into the staging folder and reports the
``{% cache %}`` fragments it made and used.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from generator.problems import ContentError, template_problem


@dataclass
class Job:
    config: object  # SiteConfig
    theme: object  # Theme
    site: object  # Site
    pages: list  # [Page]
    staging: object  # Staging
    version: str  # the build's RENDER_VERSION: part of every fragment's key


_JOB: Job | None = None  # inherited by forked workers
_ENVS: dict = {}
_FRAGMENTS: dict[str, str] = {}  # {% cache %} fragments of earlier builds, by key


def start(job: Job, fragments: dict[str, str], todo: list[int]) -> None:
    """Set the job; make the environments and compile the templates ``todo``'s pages use.

    Made once, here, and inherited by the forked workers instead of being
    made again in each.
    """
    global _JOB
    _JOB = job
    _ENVS.clear()
    _FRAGMENTS.clear()
    _FRAGMENTS.update(fragments)
    pages = job.pages
    for lang, template in sorted({(pages[i].lang, pages[i].template) for i in todo if pages[i].template}):
        _environment(lang).get_template(template)


def finish() -> None:
    global _JOB
    _JOB = None


def _environment(lang: str):
    """One Jinja environment per language and process (compiled templates are kept)."""
    from generator.render.env import environment

    if lang not in _ENVS:
        from generator.content.model import Campaign
        from generator.render.fragments import Store

        config, theme, site = _JOB.config, _JOB.theme, _JOB.site
        env = environment(theme, config, lang, site.now, site.pictures, site.pages)

        def identity(value):
            if isinstance(value, Campaign):
                slug = value.slug
                pictures = site.pictures.digest(slug) if site.pictures else ""
                return ("campaign", slug, site.fingerprints[slug], site.status(slug), site.days_left(slug), pictures)
            return value

        salt = hashlib.sha256("\0".join((_JOB.version, lang, config.fingerprint(), repr(sorted(theme.assets.items())),
                                         theme.locale_fingerprint(lang))).encode()).hexdigest()
        env.fragment_store = Store(_FRAGMENTS, salt, identity, theme.template_fingerprint)
        _ENVS[lang] = env
    return _ENVS[lang]


def render_chunk(indices: list[int]) -> tuple[list[str], tuple[dict, set]]:
    """Render and write pages; return their paths and the fragments made and used."""
    from generator.render.plan import context, sitemap

    site, pages, staging = _JOB.site, _JOB.pages, _JOB.staging
    results = []
    for index in indices:
        page = pages[index]
        if page.kind == "sitemap":
            text = sitemap(site, pages)
        else:
            try:
                text = _environment(page.lang).get_template(page.template).render(**context(site, page, pages))
            except Exception as error:
                problem = template_problem(error, _JOB.config.root)
                if problem is None:
                    raise
                raise ContentError([problem]) from None
        with open(staging.target(page.path), "wb") as handle:
            handle.write(text.encode("utf-8"))
        results.append(page.path)
    made: dict[str, str] = {}
    used: set[str] = set()
    for env in _ENVS.values():
        made.update(env.fragment_store.made)
        used.update(env.fragment_store.used)
        env.fragment_store.made, env.fragment_store.used = {}, set()
    return results, (made, used)
