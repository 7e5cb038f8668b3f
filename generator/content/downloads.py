"""Digital rewards' private files: the download files and the codes beside a campaign's index.md.

They are read here and checked (the build refuses a missing file, a duplicate or
empty code, fewer codes than the reward's limit), never published in the site:
the codes go to ``.cagnotte/private.json`` beside the functions, the files to
the private downloads store (see docs/operations.md).
"""

from __future__ import annotations

from pathlib import Path

from generator.problems import Problem

MAX_CODE = 200  # characters: a code is something a backer types or pastes


def private_files(rewards) -> set[str]:
    """The files of a campaign's folder that rewards deliver: kept out of the published site."""
    found: set[str] = set()
    for r in rewards:
        found.update(r.files)
        if r.codes:
            found.add(r.codes)
    return found


def read_codes(path: Path) -> list[tuple[int, str]]:
    """``(line, code)`` of every line of a codes file (blank ones too, as ``""``); raises OSError, ValueError."""
    text = path.read_bytes().decode("utf-8")
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1)]


def codes_of(path: Path) -> tuple[str, ...]:
    """The codes of a checked codes file, in its order (trailing blank lines aside)."""
    return tuple(code for _, code in read_codes(path) if code)


def check_codes(folder: Path, source: str, rewards, lines: dict) -> list[Problem]:
    """The problems of each reward's codes file (``source`` is index.md's path, ``folder`` the campaign's)."""
    problems: list[Problem] = []
    for r in rewards:
        if not r.codes:
            continue
        rel = f"{source.rsplit('/', 1)[0]}/{r.codes}"
        try:
            numbered = read_codes(folder / r.codes)
        except FileNotFoundError:
            problems.append(Problem(source, lines.get(f"rewards.{r.id}.codes", 1),
                                    f"codes file '{r.codes}' not found beside index.md"))
            continue
        except UnicodeDecodeError:
            problems.append(Problem(rel, 1, "not UTF-8 text: save the codes file as UTF-8"))
            continue
        except OSError as error:
            problems.append(Problem(rel, 1, f"cannot be read: {error.strerror}"))
            continue
        while numbered and not numbered[-1][1]:  # a final newline or two
            numbered.pop()
        seen: dict[str, int] = {}
        for number, code in numbered:
            if not code:
                problems.append(Problem(rel, number, "empty line: one code per line, none blank"))
            elif len(code) > MAX_CODE:
                problems.append(Problem(rel, number, f"a code is at most {MAX_CODE} characters"))
            elif code in seen:
                problems.append(Problem(rel, number, f"code '{code}' is already on line {seen[code]}: "
                                                     "each backer gets their own"))
            else:
                seen[code] = number
        if r.limit is not None and len(seen) < r.limit:
            problems.append(Problem(source, lines.get(f"rewards.{r.id}.codes", 1),
                                    f"reward '{r.id}' has a limit of {r.limit} but '{r.codes}' holds "
                                    f"{len(seen)} code{'s' if len(seen) != 1 else ''}: add codes or lower the limit"))
    return problems
