"""Typed reading of YAML with the file's own line numbers.

YAML is *composed* (not constructed) so that every value keeps its position and
its raw text: amounts are read from the text the creator wrote, never from a
float, and each problem points at the line of the offending key.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

import yaml

from functions.core import money
from generator.problems import Problem

try:  # libyaml's composer is several times faster
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader

STR = "tag:yaml.org,2002:str"
NULL = "tag:yaml.org,2002:null"
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def compose(text: str, path: str, first_line: int, problems: list[Problem]) -> yaml.Node | None:
    """Compose ``text`` into a node tree; syntax errors become problems.

    ``first_line`` is the file line of the text's first line (1 for a YAML
    file, 2 for front matter after its opening ``---``).
    """
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        problems.append(Problem(path, line, f"invalid YAML: {exc.problem or exc.context}"))
    except yaml.YAMLError as exc:
        problems.append(Problem(path, first_line, f"invalid YAML: {exc}"))
    return None


class Fields:
    """The fields of one YAML mapping, read by type, each problem collected.

    Every reader returns ``None`` (or the default) when the field is missing or
    wrong, after recording a problem, so one pass reports everything.
    """

    def __init__(self, node: yaml.Node | None, path: str, first_line: int,
                 problems: list[Problem], where: str = "", line: int | None = None):
        self.path = path
        self.first_line = first_line
        self.problems = problems
        self.where = where  # "rewards[2]." for nested mappings, in messages
        self.line = line if line is not None else first_line
        self.nodes: dict[str, yaml.Node] = {}
        self.key_lines: dict[str, int] = {}
        if node is None or (node.tag == NULL and isinstance(node, yaml.ScalarNode)):
            return
        if not isinstance(node, yaml.MappingNode):
            self.error(self.line_of(node), f"{where.rstrip('.') or 'front matter'} must be a mapping of fields")
            return
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            line = self.line_of(key_node)
            if key in self.nodes:
                self.error(line, f"field '{where}{key}' is set twice")
            self.nodes[key] = value_node
            self.key_lines[key] = line

    # -- positions and problems -------------------------------------------
    def line_of(self, node: yaml.Node) -> int:
        return self.first_line + node.start_mark.line

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.path, line, message))

    def at(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def __contains__(self, key: str) -> bool:
        return key in self.nodes and not _is_null(self.nodes[key])

    def allow(self, known: Iterable[str], hint: dict[str, str] | None = None) -> None:
        """Report every field that is not in ``known``, with a suggestion."""
        known = list(known)
        for key in self.nodes:
            if key in known:
                continue
            message = f"unknown field '{self.where}{key}'"
            if hint and key in hint:
                message += f" ({hint[key]})"
            else:
                close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                if close:
                    message += f" (did you mean '{self.where}{close[0]}'?)"
            self.error(self.key_lines[key], message)

    def _missing(self, key: str, required: bool) -> bool:
        if key in self:
            return False
        if required:
            self.error(self.line, f"missing required field '{self.where}{key}'")
        return True

    def _scalar(self, key: str, what: str) -> yaml.ScalarNode | None:
        node = self.nodes[key]
        if not isinstance(node, yaml.ScalarNode):
            self.error(self.at(key), f"'{self.where}{key}' must be {what}")
            return None
        return node

    # -- readers ------------------------------------------------------------
    def text(self, key: str, required: bool = False, default: str = "",
             one_line: bool = False) -> str:
        if self._missing(key, required):
            return default
        node = self._scalar(key, "text")
        if node is None:
            return default
        value = node.value.strip()
        if required and not value:
            self.error(self.at(key), f"'{self.where}{key}' must not be empty")
        if one_line and "\n" in value:
            self.error(self.at(key), f"'{self.where}{key}' must fit on one line")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str | None = None,
               required: bool = False) -> str | None:
        if self._missing(key, required):
            return default
        node = self._scalar(key, f"one of {', '.join(choices)}")
        if node is None:
            return default
        if node.value not in choices:
            close = difflib.get_close_matches(node.value, choices, n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.error(self.at(key), f"'{self.where}{key}' must be one of {', '.join(choices)}, not '{node.value}'{hint}")
            return default
        return node.value

    def slug(self, key: str, required: bool = False) -> str | None:
        value = self.text(key, required=required)
        if value and not SLUG.match(value):
            self.error(self.at(key), f"'{self.where}{key}' must be lower-case letters, digits and dashes, not '{value}'")
            return None
        return value or None

    def url(self, key: str) -> str | None:
        value = self.text(key)
        if value and not re.match(r"^https?://[^\s/$.?#][^\s]*$", value):
            self.error(self.at(key), f"'{self.where}{key}' must be an absolute http(s) address")
            return None
        return value or None

    def integer(self, key: str, required: bool = False, minimum: int = 0) -> int | None:
        if self._missing(key, required):
            return None
        node = self._scalar(key, "a whole number")
        if node is None:
            return None
        if not re.match(r"^[+-]?\d+$", node.value):
            self.error(self.at(key), f"'{self.where}{key}' must be a whole number, not '{node.value}'")
            return None
        value = int(node.value)
        if value < minimum:
            self.error(self.at(key), f"'{self.where}{key}' must be at least {minimum}")
            return None
        return value

    def boolean(self, key: str, default: bool = False) -> bool:
        """``true`` or ``false`` (YAML's other spellings such as ``yes`` are refused: ambiguous)."""
        if self._missing(key, False):
            return default
        node = self._scalar(key, "true or false")
        if node is None:
            return default
        if node.value not in ("true", "false"):
            self.error(self.at(key), f"'{self.where}{key}' must be true or false, not '{node.value}'")
            return default
        return node.value == "true"

    def amount(self, key: str, currency: str | None, required: bool = False,
               positive: bool = True) -> int | None:
        """Major units as written (``8000``, ``"12.50"``) → integer minor units."""
        if self._missing(key, required):
            return None
        node = self._scalar(key, "an amount such as 8000 or 12.50")
        if node is None or currency is None:
            return None
        try:
            minor = money.to_minor(node.value, currency)
        except money.MoneyError as exc:
            self.error(self.at(key), f"'{self.where}{key}': {exc}")
            return None
        if positive and minor <= 0:
            self.error(self.at(key), f"'{self.where}{key}' must be more than zero")
            return None
        return minor

    def moment(self, key: str, tz: ZoneInfo, required: bool = False,
               end_of_day: bool = False) -> dt.datetime | None:
        """A date-time; without an offset it is in the site's timezone.

        A bare date means the start of that day (or its last second, for
        deadlines: ``end_of_day``).
        """
        if self._missing(key, required):
            return None
        node = self._scalar(key, "a date and time such as 2026-12-15T23:59:59+01:00")
        if node is None:
            return None
        raw = node.value.strip()
        try:
            if _DATE.match(raw):
                day = dt.date.fromisoformat(raw)
                clock = dt.time(23, 59, 59) if end_of_day else dt.time(0, 0)
                return dt.datetime.combine(day, clock, tzinfo=tz)
            value = dt.datetime.fromisoformat(raw.replace(" ", "T", 1) if "T" not in raw else raw)
        except ValueError:
            self.error(self.at(key), f"'{self.where}{key}' must be a date and time such as 2026-12-15T23:59:59+01:00, not '{raw}'")
            return None
        return value if value.tzinfo else value.replace(tzinfo=tz)

    def month(self, key: str) -> dt.date | None:
        if self._missing(key, False):
            return None
        node = self._scalar(key, "a month such as 2027-03")
        match = _MONTH.match(node.value.strip()) if node is not None else None
        if node is not None and (not match or not 1 <= int(match.group(2)) <= 12):
            self.error(self.at(key), f"'{self.where}{key}' must be a month such as 2027-03, not '{node.value}'")
            return None
        return dt.date(int(match.group(1)), int(match.group(2)), 1) if match else None

    def strings(self, key: str, check: Callable[[str], str | None] | None = None) -> tuple[str, ...]:
        """A list of short texts (``[vinyle, folk]``); ``check`` returns an error or None."""
        if self._missing(key, False):
            return ()
        node = self.nodes[key]
        if isinstance(node, yaml.ScalarNode):
            self.error(self.at(key), f"'{self.where}{key}' must be a list, such as [a, b]")
            return ()
        values = []
        for item in node.value if isinstance(node, yaml.SequenceNode) else []:
            if not isinstance(item, yaml.ScalarNode) or not item.value.strip():
                self.error(self.line_of(item), f"'{self.where}{key}' must hold short texts")
                continue
            problem = check(item.value.strip()) if check else None
            if problem:
                self.error(self.line_of(item), f"'{self.where}{key}': {problem}")
                continue
            values.append(item.value.strip())
        if not isinstance(node, (yaml.SequenceNode, yaml.ScalarNode)):
            self.error(self.at(key), f"'{self.where}{key}' must be a list, such as [a, b]")
        return tuple(values)

    def mapping(self, key: str, required: bool = False) -> Fields | None:
        if self._missing(key, required):
            return None
        node = self.nodes[key]
        if not isinstance(node, yaml.MappingNode):
            self.error(self.at(key), f"'{self.where}{key}' must be a mapping of fields")
            return None
        return Fields(node, self.path, self.first_line, self.problems, f"{self.where}{key}.", self.at(key))

    def items(self, key: str) -> list[Fields]:
        """A list of mappings (rewards, FAQ…), each read as Fields."""
        if self._missing(key, False):
            return []
        node = self.nodes[key]
        if not isinstance(node, yaml.SequenceNode):
            self.error(self.at(key), f"'{self.where}{key}' must be a list")
            return []
        out = []
        for index, item in enumerate(node.value, start=1):
            line = self.line_of(item)
            where = f"{self.where}{key}[{index}]."
            if not isinstance(item, yaml.MappingNode):
                self.error(line, f"'{where.rstrip('.')}' must be a mapping of fields")
                continue
            out.append(Fields(item, self.path, self.first_line, self.problems, where, line))
        return out

    def raw(self, key: str) -> Any:
        """The scalar text of a field, or None (for fields of several shapes)."""
        node = self.nodes.get(key)
        return node.value if isinstance(node, yaml.ScalarNode) else None


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == NULL and node.value in ("", "~", "null", "Null", "NULL")
