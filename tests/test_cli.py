"""The command line as a user runs it: exact output, exit codes, no tracebacks."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import write


def test_new_campaign_scaffolds_a_valid_campaign(cli, site):
    result = cli("--site", str(site), "new", "campaign", "mon-projet")
    assert result.exit_code == 0
    assert result.stdout.endswith("content/campaigns/mon-projet/index.md\n")
    text = (site / "content/campaigns/mon-projet/index.md").read_text()
    for field in ("title:", "summary:", "creator:", "category:", "goal:", "ends:", "funding:", "rewards:",
                  "stretch_goals:", "faq:", "risks:", "# image:", "currency: EUR", "starts:", "# final:",
                  "# email:", "# leaderboard:", "# video:", "limit:", "delivery:"):
        assert field in text, field
    checked = cli("--site", str(site), "check")
    assert checked.exit_code == 0, checked.stderr
    assert checked.stdout == "ok: 4 campaigns, languages fr, en\n"


def test_new_campaign_refuses_an_existing_one(cli, site):
    result = cli("--site", str(site), "new", "campaign", "premier-album")
    assert result.exit_code == 1
    assert result.stderr == "Error: content/campaigns/premier-album/index.md already exists\n"


def test_new_campaign_refuses_a_bad_name(cli, site):
    result = cli("--site", str(site), "new", "campaign", "Mon Projet")
    assert result.exit_code == 1
    assert "not a valid campaign name" in result.stderr


def test_build_reports_what_it_did(cli, site, tmp_path):
    out = tmp_path / "out"
    first = cli("--site", str(site), "build", "--out", str(out), "--jobs", "2")
    assert first.exit_code == 0, first.stderr
    # Copied: the theme's assets (comments.js among them), cover.png with its two variants (WebP, PNG), two share cards (fr, en),
    # four typographic share cards (the two campaigns without a hero, fr and en), catalog.json and mail.json;
    # lina.jpg and its four avatar squares (96 and 192 px, WebP and JPEG).
    assert re.fullmatch(r".*out: 28 pages, 38 rendered, 26 copied, 0 removed in \d+\.\d\ds\n", first.stdout), first.stdout
    second = cli("--site", str(site), "build", "--out", str(out))
    assert re.fullmatch(r".*out: up to date \(28 pages\) in \d+\.\d\ds\n", second.stdout), second.stdout


def test_build_with_problems_exits_1_and_lists_them(cli, site):
    write(site, "content/campaigns/premier-album/index.md", "---\ntitle: x\n---\n")
    result = cli("--site", str(site), "build")
    assert result.exit_code == 1
    # 5 missing fields; the translation's reward and stretch goal are not judged against a broken index.md
    assert result.stderr.splitlines()[-1] == "5 problems found."
    assert not (site / "_site").exists()


def test_console_script_runs_without_a_traceback(site):
    """The installed entry point, as a user types it."""
    result = subprocess.run([sys.executable, "-m", "generator", "--site", str(site / "nowhere"), "check"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.endswith("site.yml:1: no site.yml here: run cagnotte in the site folder or pass --site DIR\n1 problem found.\n")
