"""Browser tests: Playwright for Python driving Debian's Chromium against `cagnotte serve`.

A package (this file) so that its conftest and modules get their own names
(``browser.conftest``) and do not shadow ``tests/conftest.py``, which other
test modules import as ``conftest``.
"""
