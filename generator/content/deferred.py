"""Campaigns taken from the build state, their long parts read on first use.

An edit rebuilds one campaign; the other 999 come from the state. Most of
what the build does with those (plan the pages, group the home page, reuse
their cards and pages) reads a few fields, so a cached campaign is stored in
two parts: a *brief* (every field but the ones in :data:`LONG`) that each
build reads, and the whole localised campaign, read only when a template or
the catalog asks for one of the long fields. Unpickling rewards, FAQ and
stretch goals of 1,000 campaigns costs more than the rest of a small edit.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import sqlite3
from pathlib import Path
from typing import Callable

from generator.content.model import Campaign

# Read on first use: the fields made of many small objects or long texts.
LONG = ("rewards", "addons", "stretch_goals", "faq", "risks_html", "story_html")
_BRIEF = tuple(f.name for f in dataclasses.fields(Campaign) if f.name not in LONG)


class _Long:
    """A long field of a :class:`Deferred`: fetched on first read, then an ordinary attribute.

    (A non-data descriptor: once the value is in the instance's ``__dict__``,
    Python finds it there without calling this.)
    """

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, campaign, owner=None):
        if campaign is None:
            return self
        fields = campaign.__dict__
        whole = fields.pop("_fetch")()
        for name in LONG:
            fields[name] = getattr(whole, name)
        return fields[self.name]


class Deferred(Campaign):
    """A :class:`Campaign` whose :data:`LONG` fields are fetched when first read.

    It is a Campaign in every respect (equality, ``dataclasses.replace``,
    pickling give a plain Campaign with every field).
    """

    rewards = _Long()
    addons = _Long()
    stretch_goals = _Long()
    faq = _Long()
    risks_html = _Long()
    story_html = _Long()

    def __eq__(self, other):
        if isinstance(other, Campaign):
            return all(getattr(self, f.name) == getattr(other, f.name) for f in dataclasses.fields(Campaign))
        return NotImplemented

    __hash__ = Campaign.__hash__

    def __reduce__(self):
        return Campaign, tuple(getattr(self, f.name) for f in dataclasses.fields(Campaign))


assert {name for name, value in vars(Deferred).items() if isinstance(value, _Long)} == set(LONG)


def brief(value: tuple) -> bytes:
    """The brief of a cached ``(entry, {lang: Campaign})``, pickled.

    Besides the short fields it holds the images the long ones show (the
    image stage asks every campaign for them on every build).
    """
    from generator.output.images import html_images

    entry, localised = value
    return pickle.dumps((entry, {lang: (tuple(getattr(c, name) for name in _BRIEF), html_images(c))
                                 for lang, c in localised.items()}), pickle.HIGHEST_PROTOCOL)


def restore(data: bytes, fetch: Callable[[], tuple]) -> tuple:
    """``(entry, {lang: Deferred})`` from a brief; ``fetch()`` returns the whole value."""
    entry, briefs = pickle.loads(data)
    whole: list[tuple] = []

    def fetch_once() -> tuple:
        if not whole:
            whole.append(fetch())
        return whole[0]

    localised = {}
    for lang, (values, images) in briefs.items():
        campaign = object.__new__(Deferred)
        fields = campaign.__dict__
        fields.update(zip(_BRIEF, values))
        fields["_images"] = images  # see generator.output.images.html_images
        fields["_fetch"] = (lambda lang=lang: fetch_once()[1][lang])
        localised[lang] = campaign
    return entry, localised


_CONNECTIONS: dict[tuple[str, int], sqlite3.Connection] = {}


def reader(database: Path, slug: str, key: str) -> Callable[[], tuple]:
    """``fetch()`` for one campaign of the state's ``campaigns`` table.

    Each process opens its own connection (render workers are forked). The
    key is checked: a value written by a later build is not this campaign.
    """

    def fetch() -> tuple:
        id = (str(database), os.getpid())
        for attempt in range(2):
            db = _CONNECTIONS.get(id)
            if db is None:
                db = _CONNECTIONS[id] = sqlite3.connect(f"file:{database}?mode=ro", uri=True, isolation_level=None)
            row = db.execute("SELECT value FROM campaigns WHERE slug = ? AND key = ?", (slug, key)).fetchone()
            if row is not None:
                return pickle.loads(row[0])
            # A connection kept from an earlier build may point at a state since removed: open it again.
            _CONNECTIONS.pop(id).close()
        raise RuntimeError(f"the build state no longer holds '{slug}' as it was read: build again")

    return fetch
