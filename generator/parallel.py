"""Work spread over the machine's cores: forked worker processes when it pays, this process otherwise.

Workers are forked, so they inherit what the parent made before the pool
(the site, the compiled templates) instead of receiving it pickled.
"""

from __future__ import annotations

import sys
from typing import Callable, Iterator

# Below this many items, a worker pool costs more than it saves.
PARALLEL_MIN = 24
# A progress bar for stages with at least this many items (on a terminal).
PROGRESS_MIN = 100


def _serial(jobs: int, count: int, minimum: int) -> bool:
    return jobs <= 1 or count < minimum or sys.platform == "win32"


def ordered(function: Callable, items: list, jobs: int, show: Callable[[int], None] | None = None) -> list:
    """``map`` over worker processes when it pays, in this process otherwise (order kept)."""
    if _serial(jobs, len(items), PARALLEL_MIN):
        results = []
        for item in items:
            results.append(function(item))
            if show:
                show(1)
        return results
    import multiprocessing

    results = []
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for result in pool.imap(function, items, chunksize=max(1, min(32, len(items) // (jobs * 8)))):
            results.append(result)
            if show:
                show(1)
    return results


def unordered(function: Callable, items: list, jobs: int, count: int | None = None,
              minimum: int = PARALLEL_MIN) -> Iterator:
    """Each item's result as soon as it is done (``count``: the work the items stand for)."""
    if _serial(jobs, len(items) if count is None else count, minimum):
        yield from map(function, items)
        return
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        yield from pool.imap_unordered(function, items)


def chunks(items: list[int], jobs: int) -> list[list[int]]:
    """``items`` cut in pieces small enough to keep every worker busy to the end."""
    if not items:
        return []
    size = max(1, min(64, len(items) // (jobs * 4) or 1))
    return [items[i:i + size] for i in range(0, len(items), size)]


def progress(total: int, label: str) -> Callable[[int], None]:
    """A progress bar on stderr; returns ``advance(count)``."""
    import click

    bar = click.progressbar(length=total, label=label.ljust(9), file=sys.stderr)
    bar.__enter__()
    state = {"done": 0}

    def advance(count: int) -> None:
        bar.update(count)
        state["done"] += count
        if state["done"] >= total:
            bar.__exit__(None, None, None)

    return advance

