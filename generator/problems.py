"""Problems in the creator's files, collected and reported together.

A problem is a mistake in content or configuration: it is printed as
``path:line: message`` and never as a traceback, and the command exits 1.
A warning (see :mod:`generator.content.lint`) has the same shape, is printed
``path:line: warning: message`` and does not stop anything, unless ``--strict``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    path: str  # as shown to the user (relative to the site folder)
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


class ContentError(Exception):
    """Raised when the site's files hold one or more problems."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=_natural)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):  # cross process boundaries intact
        return (ContentError, (self.problems,))


def _natural(problem: Problem) -> tuple:
    return (problem.path, problem.line, problem.message)


def shown_path(root: Path, path: str) -> str:
    """A problem's path as the user can open it from the current folder."""
    full = (root / path).resolve()
    try:
        rel = os.path.relpath(full)
    except ValueError:
        return str(full)
    return str(full) if rel.startswith("..") else rel


def report_problems(root: Path, error: ContentError) -> None:
    """Print each problem as ``path:line: message`` (paths as the user can open them), then the count."""
    import click  # here, not at the top: the build's worker processes import this module

    for problem in error.problems:
        click.echo(f"{shown_path(root, problem.path)}:{problem.line}: {problem.message}", err=True)
    count = len(error.problems)
    click.echo(f"{count} problem{'s' if count != 1 else ''} found.", err=True)


class Warned(Exception):
    """``--strict``: the site holds warnings, and they count as problems (nothing was written)."""

    def __init__(self, warnings: list[Problem]):
        self.warnings = sorted(set(warnings), key=_natural)
        super().__init__("\n".join(str(w) for w in self.warnings))

    def __reduce__(self):
        return (Warned, (self.warnings,))


def report_warnings(root: Path, warnings: list[Problem], strict: bool = False) -> None:
    """Print each warning as ``path:line: warning: message``, then the count (nothing when there is none)."""
    import click

    for warning in sorted(set(warnings), key=_natural):
        click.echo(f"{shown_path(root, warning.path)}:{warning.line}: warning: {warning.message}", err=True)
    count = len(set(warnings))
    if count:
        click.echo(f"{count} warning{'s' if count != 1 else ''} found"
                   f"{' (--strict: they count as problems)' if strict else ''}.", err=True)


def template_problem(error: Exception, root: Path) -> Problem | None:
    """A theme's mistake as ``template:line: message`` (the innermost template frame)."""
    import jinja2

    if not isinstance(error, (jinja2.TemplateError, TypeError, AttributeError, KeyError, ValueError)):
        return None
    filename, line = getattr(error, "filename", None), getattr(error, "lineno", None)
    tb = error.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith((".html", ".xml", ".txt")):
            filename, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
        tb = tb.tb_next
    if filename is None:
        return None
    try:
        shown = Path(filename).resolve().relative_to(root).as_posix()
    except ValueError:
        shown = filename
    message = getattr(error, "message", None) or str(error)
    return Problem(shown, line or 1, f"template error: {message}")
