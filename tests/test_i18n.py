"""The interface is translated: every string of the default theme (pages and e-mails) has a French translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]


def test_every_template_string_is_translated_into_french(tmp_path):
    pot = tmp_path / "messages.pot"
    script = ("import sys; from babel.messages.frontend import CommandLineInterface as C; "
              "C().run(['pybabel', '-q', 'extract', '-F', 'babel.cfg', '-o', sys.argv[1], 'themes/default/templates', 'themes/default/mail'])")
    subprocess.run([sys.executable, "-c", script, str(pot)], cwd=ROOT, check=True)
    with pot.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    with (ROOT / "themes/default/locales/fr/LC_MESSAGES/messages.po").open("rb") as handle:
        french = read_po(handle, locale="fr")
    assert len(extracted) > 50
    assert "Fix my payment" in extracted  # the e-mail templates are extracted too
    def translated(msgid) -> bool:
        message = french.get(msgid)
        strings = message.string if message and isinstance(message.string, tuple) else (message and message.string,)
        return bool(message) and all(strings)

    missing = sorted(str(i) for i in extracted if not translated(i))
    assert missing == []
    assert not [m.id for m in french if m.fuzzy and m.id]
