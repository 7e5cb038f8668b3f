"""What cagnotte ships besides its code: the default theme, the SAM template, the publish workflow.

In this repository they live where people read them (``themes/``,
``template.yaml``, ``docs/examples/publish.yml``). The wheel carries a copy inside
the package, ``generator/shipped/`` (setup.py's ``build_py`` puts it there),
because an installed cagnotte has no repository beside it. :func:`shipped`
finds the one that exists: the wheel's, else the checkout's (a clone, or an
editable install, which imports this very folder).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent
# name in the wheel's generator/shipped/ → where it is in the repository (setup.py copies the same)
SHIPPED = {"themes": "themes", "template.yaml": "template.yaml", "publish.yml": "docs/examples/publish.yml"}


def shipped(name: str) -> Path:
    """The path of a shipped resource: ``themes``, ``template.yaml`` or ``publish.yml``."""
    if name not in SHIPPED:
        raise ValueError(f"cagnotte ships no {name!r}")
    packaged = PACKAGE / "shipped" / name
    return packaged if packaged.exists() else CHECKOUT / SHIPPED[name]
