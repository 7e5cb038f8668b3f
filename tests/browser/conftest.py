"""Fixtures for the browser tests: Debian's Chromium, `cagnotte serve`, axe-core.

* Chromium: Playwright for Python (``pytest-playwright``'s fixtures) launches
  Debian's ``/usr/bin/chromium`` through ``executable_path``; Playwright's own
  browser builds are never downloaded. Playwright starts Chromium with
  ``--no-sandbox`` by default (``chromium_sandbox=False``), which is what lets
  it run as root in CI, so no extra flag is passed here.
* Without Chromium the browser tests are skipped with one reason; with
  ``CI=true`` they fail instead: CI never skips them.
* One ``cagnotte serve`` for the whole session, in a child process (its own
  ``SOURCE_DATE_EPOCH``: the clock is 2026-11-26T12:00Z there and nowhere
  else), on a free port, with a copy of tests/fixtures/site.
* axe-core comes from the ``axe-playwright-python`` wheel (it ships
  ``axe.min.js``), installed with the test extras: nothing is fetched at test time.
* Screenshots go to tests/artifacts/ (git-ignored), listed at the end of the run.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from conftest import FIXTURE, NOW_EPOCH

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
ARTIFACTS = REPO / "tests" / "artifacts"
# serve injects a live-reload script (an open EventSource) into every page; pages
# in production have none, and an open stream would keep "networkidle" from coming.
RELOAD_SCRIPT = "**/_cagnotte/livereload.js"


def missing_packages() -> str | None:
    for module, package in (("playwright", "playwright"), ("pytest_playwright", "pytest-playwright"),
                            ("axe_playwright_python", "axe-playwright-python")):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed (pip install -e '.[test]', or make test)"
    return None


def missing_chromium() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (install Debian's chromium package)"
    return None


IN_CI = os.environ.get("CI") == "true"
PACKAGES = missing_packages()
if PACKAGES and not IN_CI:
    # The test modules import Playwright: leave them out and say why in the header.
    # (In CI they are collected, and the import error fails the run.)
    collect_ignore_glob = ["test_*.py"]


def pytest_report_header(config: pytest.Config) -> str | None:
    if PACKAGES and not IN_CI:
        return f"browser tests: not collected, {PACKAGES}"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Every test of this folder is a browser test: `-m browser` selects them, `-m "not browser"` leaves them out.
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Without Chromium, skip (one line in the summary, from here) or, in CI, fail."""
    if HERE not in Path(item.path).parents:
        return
    reason = missing_chromium()
    if reason and IN_CI:
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/run installs it)", pytrace=False)
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's launch options (--headed, --slowmo…) plus Debian's Chromium."""
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM)}


# -- cagnotte serve ------------------------------------------------------------------

class Served:
    """`cagnotte serve` on a copy of the fixture site, in a child process."""

    LINE = re.compile(r"Serving .* at (http://127\.0\.0\.1:\d+)/")

    def __init__(self, work: Path):
        self.site = work / "site"
        self.log = work / "serve.log"
        shutil.copytree(FIXTURE, self.site, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.epoch = NOW_EPOCH  # serve's clock (a subclass may move it, after a deadline)

    def start(self, timeout: float = 60) -> str:
        env = {k: v for k, v in os.environ.items()
               if k not in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "CAGNOTTE_STORE",
                            "CAGNOTTE_SERVE_LOG")}
        env["SOURCE_DATE_EPOCH"] = self.epoch
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "generator", "--site", str(self.site), "serve", "--host", "127.0.0.1",
                 "--port", "0"], cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.LINE.search(self.log.read_text(errors="replace"))
            if found:
                self.url = found.group(1)
                return self.url
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"cagnotte serve did not start:\n{self.log.read_text(errors='replace')}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)  # serve's own Ctrl-C path: the server closes cleanly
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    server = Served(tmp_path_factory.mktemp("browser"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def base_url(served: Served) -> str:
    """pytest-playwright gives it to every context: page.goto("/campaigns/…") goes to serve."""
    return served.url


@pytest.fixture
def new_context(new_context: Callable) -> Callable:
    """pytest-playwright's contexts, without serve's live-reload stream."""

    def make(**kwargs):
        context = new_context(**kwargs)
        context.route(RELOAD_SCRIPT, lambda route: route.fulfill(status=200, content_type="text/javascript",
                                                                 body="/* live reload: off in tests */"))
        return context

    return make


# -- screenshots ---------------------------------------------------------------------

SAVED: list[Path] = []


@pytest.fixture(scope="session")
def artifacts() -> Callable[[str], Path]:
    """A path in tests/artifacts/ (git-ignored); the files are listed at the end of the run."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def path(name: str) -> Path:
        target = ARTIFACTS / name
        SAVED.append(target)
        return target

    return path


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    shown = [p for p in SAVED if p.exists()]
    if shown:
        terminalreporter.section("browser screenshots")
        for path in shown:
            terminalreporter.write_line(f"{path.relative_to(REPO)}  ({path.stat().st_size // 1024} KiB)")
