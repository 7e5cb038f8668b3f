"""Frozen dataclasses to JSON-friendly dicts and back (what the stores keep)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, TypeVar

T = TypeVar("T")


def to_record(obj: Any, times: tuple[str, ...]) -> dict:
    """Every field but the None ones; ``times`` as ISO 8601 text."""
    data = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if value is not None:
            data[f.name] = value.isoformat() if f.name in times else value
    return data


def from_record(cls: type[T], data: dict, times: tuple[str, ...], ints: tuple[str, ...] = (),
                defaults: dict[str, Any] | None = None) -> T:
    """The inverse of :func:`to_record`; unknown keys are ignored (a newer writer's fields)."""
    names = {f.name for f in dataclasses.fields(cls)}
    values = {**(defaults or {}), **{k: v for k, v in data.items() if k in names}}
    for name in times:
        if values.get(name) is not None:
            values[name] = dt.datetime.fromisoformat(values[name])
    for name in ints:
        if name in values:
            values[name] = int(values[name])  # DynamoDB hands numbers back as Decimal
    return cls(**values)
