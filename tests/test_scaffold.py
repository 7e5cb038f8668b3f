"""`cagnotte new site` as a creator starts: every language and currency gives a site that checks and builds."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# Actions still on Node 20 are deprecated by GitHub: the majors that run on Node 24.
LEAST_MAJOR = {"actions/checkout": 6, "actions/setup-python": 6, "actions/upload-artifact": 6,
               "aws-actions/configure-aws-credentials": 6, "actions/cache": 5}


@pytest.mark.parametrize("language,currency,title", [
    ("fr", "EUR", "ok: 1 campaign, language fr\n"),
    ("en", "USD", "ok: 1 campaign, language en\n"),
    ("ja", "JPY", "ok: 1 campaign, language ja\n"),  # no words for ja: English placeholders, said in the file
    ("de", "CHF", "ok: 1 campaign, language de\n"),
])
def test_a_new_site_checks_and_builds(cli, tmp_path, language, currency, title):
    folder = tmp_path / "mon-site"
    made = cli("new", "site", str(folder), "--language", language, "--currency", currency)
    assert made.exit_code == 0, made.stderr
    for name in ("site.yml", ".gitignore", "README.md", "requirements.txt", ".github/workflows/publish.yml"):
        assert (folder / name).is_file(), name
    config = yaml.safe_load((folder / "site.yml").read_text())
    assert config["language"] == language and config["currency"] == currency
    checked = cli("--site", str(folder), "check")
    assert checked.exit_code == 0, checked.stderr
    assert checked.stdout == title
    built = cli("--site", str(folder), "build")
    assert built.exit_code == 0, built.stderr
    pages = list((folder / "_site").rglob("index.html"))
    assert len(pages) >= 2  # the home page and the first campaign
    campaign = next(p for p in pages if "campaigns" in p.parts).read_text()
    assert f'lang="{language}"' in campaign


def test_a_new_site_in_another_language_says_its_placeholders_are_english(cli, tmp_path):
    folder = tmp_path / "site-ja"
    assert cli("new", "site", str(folder), "--language", "ja", "--currency", "JPY").exit_code == 0
    index = next((folder / "content/campaigns").glob("*/index.md")).read_text()
    assert "English" in index
    assert "currency: JPY" in index or "JPY" in (folder / "site.yml").read_text()


def test_a_new_site_refuses_a_folder_that_is_not_empty(cli, tmp_path):
    folder = tmp_path / "taken"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine\n")
    result = cli("new", "site", str(folder))
    assert result.exit_code == 1
    assert "is not empty" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]  # nothing written


def test_a_new_site_refuses_an_unknown_currency(cli, tmp_path):
    result = cli("new", "site", str(tmp_path / "x"), "--currency", "EURO")
    assert result.exit_code != 0
    assert not (tmp_path / "x" / "site.yml").exists()


def workflows(tmp_path: Path, cli) -> list[Path]:
    folder = tmp_path / "wf"
    assert cli("new", "site", str(folder)).exit_code == 0
    return [ROOT / "docs/examples/publish.yml", folder / ".github/workflows/publish.yml"]


def test_the_publish_workflow_is_valid_and_current(cli, tmp_path):
    """GitHub's workflow schema, actions off Node 20, the build cache kept between runs."""
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    assert checker, "check-jsonschema comes with the test extras"
    files = workflows(tmp_path, cli)
    result = subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", *map(str, files)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert files[0].read_text() == files[1].read_text()  # what a new site gets is the documented one
    flow = yaml.safe_load(files[0].read_text())
    steps = [step for job in flow["jobs"].values() for step in job["steps"]]
    used = {}
    for step in steps:
        if "uses" in step:
            name, _, ref = step["uses"].partition("@")
            used[name] = int(re.match(r"v(\d+)", ref).group(1))
    for name, major in used.items():
        assert name in LEAST_MAJOR, f"{name}: not a known action"
        assert major >= LEAST_MAJOR[name], f"{name}@v{major} runs on Node 20: use v{LEAST_MAJOR[name]}"
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    assert ".cagnotte/build" in cache["with"]["path"]


def test_serve_on_a_busy_port_says_so_in_one_line(site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "generator", "--site", str(site), "serve", "--port", str(port)],
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr == (f"Error: port {port} on 127.0.0.1 is in use (another cagnotte serve?): choose another "
                             f"with --port, e.g. --port {port + 1} (make demo PORT={port + 1})\n")


def test_a_site_without_description_or_images_still_has_previews(cli, tmp_path):
    """No site description, no hero image: every page still has a description and a share card."""
    from PIL import Image

    folder = tmp_path / "bare"
    assert cli("new", "site", str(folder), "--language", "de", "--currency", "CHF").exit_code == 0
    config = folder / "site.yml"
    config.write_text("\n".join(line for line in config.read_text().splitlines()
                                if not line.startswith("description:")) + "\n")
    built = cli("--site", str(folder), "build")
    assert built.exit_code == 0, built.stderr
    out = folder / "_site"
    home = (out / "index.html").read_text()
    [campaign_page] = [p for p in out.glob("campaigns/*/index.html")]
    campaign = campaign_page.read_text()
    for html in (home, campaign):
        description = re.search(r'<meta name="description" content="([^"]+)">', html)
        assert description and len(description.group(1)) <= 160
        image = re.search(r'<meta property="og:image" content="[^"]+/(campaigns/[^"]+/share\.[0-9a-f]+\.jpg)">', html)
        assert image, "a typographic share card"
        with Image.open(out / image.group(1)) as card:
            assert card.size == (1200, 630)
    assert 'property="og:image:alt"' in campaign
