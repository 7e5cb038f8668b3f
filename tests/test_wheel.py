"""Cagnotte installed the way a creator installs it: the wheel, in a clean venv outside the repository.

An editable install reads the theme, template.yaml and the workflow from the
checkout and so hides any file the package forgets. Here the sdist and the
wheel are built as the publish workflow builds them, the wheel is installed
into a new venv in a temporary folder, and the installed `cagnotte` starts a
site, checks, builds and serves it with a local pledge end to end, and plans
a deploy against moto's server.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from urllib.parse import urlencode

import pytest

from generator import resources

ROOT = Path(__file__).resolve().parents[1]
CLEAN = ("SOURCE_DATE_EPOCH", "PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(url: str, form: dict | None = None, origin: str | None = None):
    """(status, headers, text), redirects not followed."""
    body = urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(url, data=body)
    if body is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        if origin:
            request.add_header("Origin", origin)
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def clean_env(**extra: str) -> dict[str, str]:
    """The user's environment: nothing of the repository's, no Stripe key, no cagnotte setting."""
    env = {k: v for k, v in os.environ.items()
           if k not in CLEAN and not k.startswith(("STRIPE_", "CAGNOTTE_", "PYTEST"))}
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    """The sdist and the wheel, the wheel built from the sdist (so MANIFEST.in is tested too)."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                            capture_output=True, text=True, env=clean_env())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


@pytest.fixture(scope="session")
def installed(dist, tmp_path_factory) -> tuple[Path, float]:
    """(the venv's bin folder, seconds the install took) for the wheel in a venv outside the repository."""
    venv = tmp_path_factory.mktemp("user") / "venv"
    assert not str(venv).startswith(str(ROOT))
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    wheel = next(dist.glob("*.whl"))
    result = subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", str(wheel)],
                            capture_output=True, text=True, env=clean_env())
    assert result.returncode == 0, result.stderr[-3000:]
    return venv / "bin", time.perf_counter() - started


def test_the_wheel_holds_everything_cagnotte_reads(dist):
    names = set(zipfile.ZipFile(next(dist.glob("*.whl"))).namelist())
    shipped = "generator/shipped/"
    for path in ("template.yaml", "publish.yml",
                 "themes/default/templates/base.html", "themes/default/templates/campaign.html",
                 "themes/default/static/css/site.css", "themes/default/locales/fr/LC_MESSAGES/messages.po",
                 "themes/default/locales/en/LC_MESSAGES/messages.po"):
        assert shipped + path in names, path
    assert any(n.startswith(shipped + "themes/default/mail/") for n in names), "the mail templates"
    # every file of the theme in the checkout is in the wheel
    theme = ROOT / "themes"
    missing = [str(p.relative_to(ROOT)) for p in theme.rglob("*")
               if p.is_file() and "__pycache__" not in p.parts and f"{shipped}{p.relative_to(ROOT)}" not in names]
    assert missing == []
    assert not any(n.startswith(("tests/", "content/", "benchmarks/")) for n in names)


def test_the_sdist_rebuilds_the_same_package(dist):
    with tarfile.open(next(dist.glob("*.tar.gz"))) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    for path in ("setup.py", "pyproject.toml", "template.yaml", "docs/examples/publish.yml",
                 "themes/default/templates/base.html", "generator/resources.py"):
        assert path in names, path


def test_setup_ships_what_the_code_looks_for():
    """setup.py cannot import the package it builds: its copy of SHIPPED must stay the same."""
    text = (ROOT / "setup.py").read_text()
    found = re.search(r"^SHIPPED = (\{.*\})$", text, re.M)
    assert found and eval(found.group(1), {}) == resources.SHIPPED  # noqa: S307 (our own literal)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_creator_starts_builds_serves_and_takes_a_pledge_from_the_wheel(installed, tmp_path, capsys):
    bin_dir, install_seconds = installed
    cagnotte = str(bin_dir / "cagnotte")
    env = clean_env()
    started = time.perf_counter()

    where = subprocess.run([str(bin_dir / "python"), "-c", "import generator; print(generator.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=env, check=True).stdout
    assert str(bin_dir.parent) in where  # the installed package, not the checkout

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([cagnotte, *args], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)

    made = run("new", "site", "mon-site", "--language", "fr", "--currency", "EUR")
    assert made.returncode == 0, made.stderr
    site = tmp_path / "mon-site"
    checked = run("--site", str(site), "check")
    assert (checked.returncode, checked.stdout) == (0, "ok: 1 campaign, language fr\n"), checked.stderr
    built = run("--site", str(site), "build")
    assert built.returncode == 0, built.stderr
    assert (site / "_site/static").is_dir() and (site / "_site/catalog.json").is_file()

    port = free_port()
    server = subprocess.Popen([cagnotte, "--site", str(site), "serve", "--port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    local = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                status, _, home = fetch(local + "/")
                break
            except (ConnectionError, urllib.error.URLError):
                assert server.poll() is None, server.communicate()[1]
                time.sleep(0.1)
        served = time.perf_counter() - started
        assert status == 200 and "<html" in home
        slug = "mon-premier-projet"
        status, _, page = fetch(f"{local}/campaigns/{slug}/")
        assert status == 200, page
        assert "/static/css/site." in page  # the shipped theme's stylesheet

        status, headers, _ = fetch(local + "/api/pledges", {"campaign": slug, "reward": "thanks"}, origin=local)
        assert status == 303
        checkout = headers["Location"]
        assert checkout.startswith(local + "/_cagnotte/checkout/cs_local_")
        status, _, pay_page = fetch(checkout)
        assert status == 200 and f'action="/_cagnotte/checkout/{checkout.rsplit("/", 1)[1]}/pay"' in pay_page
        assert '<html lang="fr">' in pay_page and "Mode test" in pay_page  # the campaign's language
        session = checkout.rsplit("/", 1)[1]
        status, headers, _ = fetch(checkout + "/pay", {"name": "Ana", "email": "ana@example.org", "country": "FR",
                                                      "line1": "1 rue Haute", "city": "Lyon", "postal_code": "69001"},
                                   origin=local)
        assert status == 303
        assert headers["Location"] == f"{local}/campaigns/{slug}/thanks/?session_id={session}"
        stats = json.loads(fetch(f"{local}/api/campaigns/{slug}/stats")[2])
        assert (stats["raised"], stats["backers"]) == (500, 1)
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert "Traceback" not in errors
    with capsys.disabled():
        print(f"\n  wheel: venv + pip install {install_seconds:.1f}s; new site → check → build → served {served:.1f}s")


def test_deploy_plans_from_the_wheel(installed, tmp_path, moto_server):
    bin_dir, _ = installed
    cagnotte = str(bin_dir / "cagnotte")
    env = clean_env()
    for step in (("new", "site", "s", "--language", "en", "--currency", "USD"), ("--site", "s", "build")):
        done = subprocess.run([cagnotte, *step], capture_output=True, text=True, cwd=tmp_path, env=env)
        assert done.returncode == 0, done.stderr
    plan = subprocess.run([cagnotte, "--site", "s", "deploy", "--dry-run"], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=300)
    assert plan.returncode == 0, plan.stderr
    out = plan.stdout + plan.stderr
    assert "Traceback" not in out
    assert re.search(r"function package: [\d.]+ MB zipped", out)
    # the packaged template.yaml, read and planned as a change set against the (moto) account
    for resource in ("AWS::DynamoDB::Table", "AWS::Serverless::Function", "AWS::CloudFront::Distribution"):
        assert resource in out, resource
    assert re.search(r"site: \d+ files to upload", out)
