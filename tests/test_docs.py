"""Whatever the code accepts is documented: fields, commands, the two make targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.cli import main
from generator.config import FIELDS as SITE_FIELDS
from generator.content.documents import CAMPAIGN_FIELDS, REWARD_FIELDS, TRANSLATED_FIELDS, UPDATE_FIELDS

ROOT = Path(__file__).resolve().parents[1]
FORMAT = (ROOT / "docs" / "campaign-format.md").read_text()
README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("field", sorted(set(SITE_FIELDS + CAMPAIGN_FIELDS + REWARD_FIELDS + TRANSLATED_FIELDS + UPDATE_FIELDS)))
def test_every_field_is_in_the_campaign_format_doc(field):
    assert f"`{field}`" in FORMAT or f"{{ {field}" in FORMAT or f"{field}:" in FORMAT


def test_every_command_is_in_the_readme():
    def walk(group, prefix):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from walk(command, prefix + name + " ")
            else:
                yield prefix + name

    for command in walk(main, ""):
        assert f"cagnotte {command}" in README, command


def test_readme_quick_start_is_the_two_commands():
    start = README.index("## Quick start")
    block = README[start:README.index("```", README.index("```", start) + 3)]
    assert "make demo" in block and "make test" in block


def test_every_environment_variable_read_is_documented():
    import re

    code = "\n".join(p.read_text(encoding="utf-8") for top in ("functions", "generator")
                     for p in (ROOT / top).rglob("*.py"))
    names = set(re.findall(r"\b((?:CAGNOTTE|STRIPE)_[A-Z_]+[A-Z])\b", code))
    docs = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").rglob("*.md"))
    assert names and sorted(n for n in names if f"`{n}`" not in docs) == []
