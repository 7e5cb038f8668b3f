"""Lighthouse (mobile) on the demo site served by `cagnotte serve`.

    .venv/bin/python benchmarks/lighthouse.py [--page PATH]... [--runs N] [--work DIR] [--json]

1. installs npm ``lighthouse@12.2.3`` into ``benchmarks/.work/lighthouse``
   (``npm install --prefix``, git-ignored; skipped when that version is there);
2. copies the demo site (site.yml, content/) there and starts ``cagnotte
   serve`` on it, on 127.0.0.1 and a free port, with the clock fixed at
   2026-11-26T12:00Z (``SOURCE_DATE_EPOCH``, as the tests);
3. runs Lighthouse with its default mobile settings (Moto G power screen,
   simulated slow 4G and 4× CPU slowdown) in Debian's Chromium
   (``CHROME_PATH=/usr/bin/chromium``, headless), on the home page and a
   campaign page by default, and prints the four category scores
   (performance, accessibility, best practices, SEO; the target is 100 each),
   the performance metrics, and the title of every audit that costs points.

Each page is audited ``--runs`` times (5 by default: Lighthouse's own
documentation on variability advises the median of five runs) and the run
with the median performance score is shown (Lighthouse's performance score moves by a few
points from run to run, more on a busy machine). The JSON and HTML reports
stay in ``benchmarks/.work/lighthouse/reports/``.
``--no-sandbox`` is passed to Chromium because CI runs as root, where
Chromium refuses to start with its sandbox.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LIGHTHOUSE = "lighthouse@12.2.3"
CHROME = "/usr/bin/chromium"
NOW_EPOCH = "1795694400"  # 2026-11-26T12:00Z
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
METRICS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift",
           "speed-index")
DEFAULT_PAGES = ("/", "/campaigns/lina-premier-album/")


class BenchError(Exception):
    pass


def install(work: Path) -> Path:
    """Lighthouse's CLI script, installed with npm when that version is not there yet."""
    name, _, version = LIGHTHOUSE.rpartition("@")
    package = work / "node_modules" / name / "package.json"
    if not (package.is_file() and json.loads(package.read_text())["version"] == version):
        if shutil.which("npm") is None:
            raise BenchError("npm is not installed (Debian: apt-get install nodejs npm)")
        print(f"installing {LIGHTHOUSE} into {work.relative_to(REPO)} …", file=sys.stderr)
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(work), "--save-exact", "--no-audit", "--no-fund",
                        "--loglevel=error", LIGHTHOUSE], check=True, stdout=sys.stderr)
    return work / "node_modules" / name / "cli" / "index.js"


class Serve:
    """`cagnotte serve` on a copy of the demo site, in a child process."""

    LINE = re.compile(r"Serving .* at (http://127\.0\.0\.1:\d+)/")

    def __init__(self, work: Path):
        self.site = work / "site"
        self.log = work / "serve.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> str:
        if self.site.exists():
            shutil.rmtree(self.site)
        self.site.mkdir(parents=True)
        shutil.copy2(REPO / "site.yml", self.site / "site.yml")
        shutil.copytree(REPO / "content", self.site / "content")
        env = {k: v for k, v in os.environ.items()
               if k not in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "CAGNOTTE_STORE")}
        env["SOURCE_DATE_EPOCH"] = NOW_EPOCH
        env["PYTHONPATH"] = str(REPO)  # the working tree, not an installed copy
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "generator", "--site", str(self.site), "serve", "--port", "0"],
                cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            found = self.LINE.search(self.log.read_text(errors="replace"))
            if found:
                return found.group(1)
            time.sleep(0.1)
        self.__exit__()
        raise BenchError(f"cagnotte serve did not start:\n{self.log.read_text(errors='replace')}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run(cli: Path, url: str, report: Path) -> dict:
    """One Lighthouse run (mobile, its defaults); the parsed JSON report."""
    report.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CHROME_PATH": CHROME}
    command = ["node", str(cli), url, "--quiet", "--output=json", "--output=html",
               f"--output-path={report}", "--only-categories=" + ",".join(CATEGORIES),
               "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    produced = report.with_suffix(".report.json")
    if proc.returncode != 0 or not produced.is_file():
        raise BenchError(f"lighthouse failed on {url} (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(produced.read_text())


def details(audit: dict, count: int = 3) -> list[str]:
    """What an audit points at: a message, a URL or an element (the first few)."""
    found = []
    items = list((audit.get("details") or {}).get("items", []))
    while items and len(found) < count:
        item = items.pop(0)
        if not isinstance(item, dict):
            continue
        if item.get("type") in ("table", "list"):  # a list of tables (the LCP element)
            items[:0] = item.get("items", [])
            continue
        where = (item.get("sourceLocation") or {}).get("url") or item.get("url")
        node = (item.get("node") or {}).get("snippet")
        took = f"{item['duration']:.0f} ms" if isinstance(item.get("duration"), (int, float)) else None
        text = " — ".join(str(x) for x in (item.get("description"), where, node, took) if x)
        if text:
            found.append(text[:200])
    return found


def summarize(lhr: dict) -> dict:
    scores = {c: (None if lhr["categories"][c]["score"] is None else round(lhr["categories"][c]["score"] * 100))
              for c in CATEGORIES}
    lost = {}
    for c in CATEGORIES:
        titles = []
        for ref in lhr["categories"][c]["auditRefs"]:
            audit = lhr["audits"][ref["id"]]
            if ref["weight"] == 0 or audit["scoreDisplayMode"] in ("notApplicable", "informative", "manual", "error"):
                continue  # costs no points
            if audit["score"] is not None and audit["score"] < 1:
                shown = audit.get("displayValue")
                # Total Blocking Time names no culprit: the long main-thread tasks do.
                why = details(lhr["audits"].get("long-tasks", {})) if ref["id"] == "total-blocking-time" else details(audit)
                titles.append({"title": f"{audit['title']} (score {audit['score']:.2f}{', ' + shown if shown else ''})",
                               "details": why})
        lost[c] = titles
    metrics = {m: lhr["audits"][m].get("displayValue") for m in METRICS if m in lhr["audits"]}
    lcp = details(lhr["audits"].get("largest-contentful-paint-element", {}), 1)
    if lcp:
        metrics["largest-contentful-paint-element"] = lcp[0]
    errors = lhr.get("runtimeError") or None
    return {"url": lhr["finalDisplayedUrl"], "scores": scores, "metrics": metrics, "lost": lost,
            "benchmark_index": lhr["environment"].get("benchmarkIndex"),
            "warnings": lhr.get("runWarnings", []), "error": errors,
            "lighthouse": lhr["lighthouseVersion"], "chrome": lhr["environment"]["hostUserAgent"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--page", action="append", help=f"a path to audit (repeatable; default: {' '.join(DEFAULT_PAGES)})")
    parser.add_argument("--runs", type=int, default=5,
                        help="audits per page; the median run is shown (default 5, as Lighthouse's docs advise)")
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks" / ".work" / "lighthouse")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if not Path(CHROME).exists():
        print(f"Chromium not found at {CHROME} (install Debian's chromium package)", file=sys.stderr)
        return 1
    try:
        cli = install(args.work.resolve())
        results = []
        with Serve(args.work.resolve()) as origin:
            for path in args.page or DEFAULT_PAGES:
                name = path.strip("/").replace("/", "-") or "home"
                runs = []
                for i in range(max(1, args.runs)):
                    print(f"lighthouse {origin}{path} (run {i + 1}) …", file=sys.stderr)
                    suffix = f"-{i + 1}" if args.runs > 1 else ""
                    runs.append(summarize(run(cli, origin + path, args.work.resolve() / "reports" / (name + suffix))))
                runs.sort(key=lambda r: r["scores"]["performance"] or 0)
                median = runs[(len(runs) - 1) // 2]
                median["performance_runs"] = [r["scores"]["performance"] for r in runs]
                results.append(median)
    except (BenchError, subprocess.CalledProcessError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1

    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"Lighthouse {results[0]['lighthouse']}, mobile (simulated throttling), {results[0]['chrome']}")
    for r in results:
        print()
        print(r["url"])
        print("  " + "  ".join(f"{c} {r['scores'][c]}" for c in CATEGORIES)
              + (f"  (performance over {len(r['performance_runs'])} runs: {r['performance_runs']})"
                 if len(r["performance_runs"]) > 1 else ""))
        print("  " + ", ".join(f"{m.replace('-', ' ')} {v}" for m, v in r["metrics"].items())
              + f"; this machine's benchmark index {r['benchmark_index']:.0f}")
        for c in CATEGORIES:
            for audit in r["lost"][c]:
                print(f"  - {c}: {audit['title']}")
                for line in audit["details"]:
                    print(f"      {line}")
        for warning in r["warnings"]:
            print(f"  warning: {warning}")
        if r["error"]:
            print(f"  error: {r['error']}")
    print()
    print(f"reports: {(args.work / 'reports').resolve().relative_to(REPO)}/*.report.html")
    return 0


if __name__ == "__main__":
    sys.exit(main())
