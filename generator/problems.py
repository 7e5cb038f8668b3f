"""Problems in the creator's files, collected and reported together.

A problem is a mistake in content or configuration: it is printed as
``path:line: message`` and never as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass


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
