"""Page weight of the demo site: what a phone downloads before images, gzipped.

    .venv/bin/python benchmarks/pages.py [--budget-kb 30] [--work DIR] [--json] [--strict]

Builds the demo site (site.yml and content/ of this repository, copied into
``benchmarks/.work/pages``) at a fixed clock (2026-11-26T12:00Z, as the tests),
then, for the home page and each campaign page in every language, adds up the
HTML and the CSS and JavaScript it links to (``<link rel=stylesheet>``,
``<script src>``, ``<link rel=preload|modulepreload>`` of styles and scripts).
Images, fonts, the share image and the stats JSON are left out. Each file is
gzipped on its own (level 6, the usual server default), as it travels.

Budget (issue 5): a campaign page's HTML + CSS + JS ≤ 30 kB gzipped (30,000
bytes); a page over it is flagged. The home page is shown for reference.
The figures are printed; ``--strict`` also exits 1 when a page is over budget.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from common import REPO, measure_working_tree

measure_working_tree()  # the working tree, not an installed copy

NOW_EPOCH = "1795694400"  # 2026-11-26T12:00Z: the demo's campaigns are live, upcoming and ended
GZIP_LEVEL = 6


class Assets(HTMLParser):
    """The stylesheets and scripts a page loads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.css: list[str] = []
        self.js: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        rel = set(a.get("rel", "").lower().split())
        if tag == "link" and "stylesheet" in rel and a.get("href"):
            self.css.append(a["href"])
        elif tag == "link" and rel & {"preload", "modulepreload"} and a.get("href"):
            kind = a.get("as", "script" if "modulepreload" in rel else "")
            (self.css if kind == "style" else self.js if kind == "script" else []).append(a["href"])
        elif tag == "script" and a.get("src"):
            self.js.append(a["src"])


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))


def local_file(out: Path, page: Path, href: str) -> Path | None:
    """The output file an href points to, or None for another origin."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None
    path = parts.path
    target = (out / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
    return target.resolve()


def measure(out: Path, page: Path) -> dict:
    html = page.read_bytes()
    parser = Assets()
    parser.feed(html.decode("utf-8", "replace"))
    row = {"page": "/" + page.relative_to(out).parent.as_posix().strip(".").strip("/") + "/",
           "html": gz(html), "css": 0, "js": 0, "files": [], "external": []}
    row["page"] = row["page"].replace("//", "/")
    for kind, hrefs in (("css", parser.css), ("js", parser.js)):
        for href in dict.fromkeys(hrefs):  # a file linked twice downloads once
            target = local_file(out, page, href)
            if target is None:
                row["external"].append(href)
                continue
            if not target.is_file():
                row["external"].append(f"{href} (missing)")
                continue
            size = gz(target.read_bytes())
            row[kind] += size
            row["files"].append({"href": href, "gzip": size})
    row["total"] = row["html"] + row["css"] + row["js"]
    return row


def pages(out: Path) -> list[tuple[str, Path]]:
    """(kind, file) for the home pages and the campaign pages, default language first."""
    found: list[tuple[str, Path]] = []
    prefixes = [out] + sorted(p for p in out.iterdir() if p.is_dir() and (p / "campaigns").is_dir())
    for prefix in prefixes:
        if (prefix / "index.html").is_file():
            found.append(("home", prefix / "index.html"))
        for page in sorted((prefix / "campaigns").glob("*/index.html")):
            found.append(("campaign", page))
    return found


def build_demo(work: Path) -> Path:
    """Copy the demo site into ``work`` and build it; returns the output folder."""
    site = work / "site"
    if site.exists():
        shutil.rmtree(site)
    site.mkdir(parents=True)
    shutil.copy2(REPO / "site.yml", site / "site.yml")
    shutil.copytree(REPO / "content", site / "content")
    os.environ["SOURCE_DATE_EPOCH"] = NOW_EPOCH
    from generator.build import build

    out = site / "_site"
    build(site, out, clean=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget-kb", type=float, default=30.0, help="campaign page budget in kB (1000 bytes)")
    parser.add_argument("--work", type=Path, default=REPO / "benchmarks" / ".work" / "pages")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a campaign page is over budget")
    args = parser.parse_args(argv)

    print("building the demo site …", file=sys.stderr)
    out = build_demo(args.work)
    budget = int(args.budget_kb * 1000)
    rows = []
    for kind, page in pages(out):
        row = measure(out, page)
        row["kind"] = kind
        row["budget"] = budget if kind == "campaign" else None
        row["over"] = kind == "campaign" and row["total"] > budget
        rows.append(row)

    if args.json:
        print(json.dumps({"gzip_level": GZIP_LEVEL, "budget_bytes": budget, "pages": rows}, indent=2))
    else:
        print(f"HTML + CSS + JS, each file gzipped (level {GZIP_LEVEL}), images excluded; "
              f"budget: campaign page ≤ {budget / 1000:g} kB")
        print(f"{'page':<42} {'html':>8} {'css':>8} {'js':>8} {'total':>8}  budget")
        for row in rows:
            mark = "" if row["budget"] is None else ("OVER BUDGET" if row["over"] else
                                                     f"ok ({row['total'] * 100 // row['budget']}%)")
            print(f"{row['page']:<42} {row['html'] / 1000:>7.1f}k {row['css'] / 1000:>7.1f}k "
                  f"{row['js'] / 1000:>7.1f}k {row['total'] / 1000:>7.1f}k  {mark}")
            if row["external"]:
                print(f"{'':<42} not counted (another origin or missing): {', '.join(row['external'])}")
        assets = {f["href"]: f["gzip"] for row in rows for f in row["files"]}
        print("linked files: " + ", ".join(f"{href} {size / 1000:.1f}k" for href, size in sorted(assets.items())))
        over = [row["page"] for row in rows if row["over"]]
        print(f"over budget: {', '.join(over)}" if over else "every campaign page is within budget")
    return 1 if args.strict and any(row["over"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
