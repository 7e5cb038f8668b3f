"""The function package: only functions/ and what it needs at run time, the built catalog
beside the code, deterministic; unpacked as Lambda does and every handler imported and run
by a fresh interpreter of a clean virtual environment (no cagnotte, no dev packages).

The environment gets nothing from pip: installing stripe into it would need the network,
and the point is that the zip alone is enough. Its sys.path is the unpacked zip (Lambda's
/var/task), the standard library and the venv's own, empty site-packages. boto3 is left out
as Lambda's runtime provides it, so the run below uses the SQLite store.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile

import pytest

from generator.deploy.package import build_package

HANDLERS = ("pledges", "webhook", "stats", "referrals", "manage", "reminders", "settle")
FORBIDDEN = ("generator", "jinja2", "markdown", "yaml", "babel", "click", "PIL", "boto3", "botocore", "moto",
             "pytest")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    from click.testing import CliRunner

    from conftest import FIXTURE, NOW_EPOCH
    from generator.cli import main

    import shutil

    root = tmp_path_factory.mktemp("pkg") / "site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    result = CliRunner(env={"SOURCE_DATE_EPOCH": NOW_EPOCH}).invoke(main, ["--site", str(root), "build"])
    assert result.exit_code == 0, result.output
    return root, build_package(root / "_site", root / ".cagnotte" / "deploy" / "functions.zip", compile_pyc=False)


def test_contents_and_size(package):
    root, built = package
    names = zipfile.ZipFile(built.path).namelist()
    tops = {n.split("/")[0] for n in names}
    assert "functions" in tops and "stripe" in tops and "requests" in tops
    assert not {t.split("-")[0].split(".")[0] for t in tops} & set(FORBIDDEN), sorted(tops)
    assert not [n for n in names if n.endswith((".so", ".pyd", ".pyc"))]
    catalog = zipfile.ZipFile(built.path).read("functions/catalog.json")
    assert catalog == (root / "_site" / "catalog.json").read_bytes()
    assert built.size == built.path.stat().st_size < 10_000_000  # Lambda takes 50 MB zipped
    assert built.summary().startswith("function package: ") and "MB zipped" in built.summary()
    assert any(d.startswith("stripe ") for d in built.distributions)


def test_the_same_input_gives_the_same_bytes(package, tmp_path):
    root, built = package
    again = build_package(root / "_site", tmp_path / "again.zip", compile_pyc=False)
    assert again.sha256 == built.sha256 and again.key == built.key


def test_every_handler_runs_from_the_package_in_a_clean_venv(package, tmp_path):
    _, built = package
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)  # clean: nothing installed
    python = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    task = tmp_path / "task"  # Lambda unpacks the zip into /var/task
    zipfile.ZipFile(built.path).extractall(task)
    script = f"""
import json, sys
sys.path.insert(0, {str(task)!r})
import importlib
out = {{}}
for name in {list(HANDLERS)!r}:
    module = importlib.import_module("functions.handlers." + name)
    assert module.__file__.startswith({str(task)!r}), module.__file__
    out[name] = callable(module.handler)
from functions.http import event_from
from functions.handlers import pledges, stats, webhook
def call(handler, method, path, body=b"", headers=None):
    answer = handler(event_from(method, path, headers or {{"content-type": "application/json"}}, body))
    return answer["statusCode"], json.loads(answer["body"])["error"]["code"]
out["unknown campaign"] = call(pledges.handler, "POST", "/api/pledges", b'{{"campaign": "nope", "amount": "5"}}')
out["unknown stats"] = call(stats.handler, "GET", "/api/campaigns/nope/stats")
out["unsigned event"] = call(webhook.handler, "POST", "/api/stripe/webhook", b"{{}}",
                             {{"stripe-signature": "t=1,v1=00"}})
import stripe
out["stripe"] = stripe.__file__.startswith({str(task)!r})
out["boto3 loaded"] = "boto3" in sys.modules
print(json.dumps(out))
"""
    env = {"PATH": "/usr/bin:/bin", "STRIPE_SECRET_KEY": "sk_test_package", "STRIPE_WEBHOOK_SECRET": "whsec_package",
           "CAGNOTTE_STORE": f"sqlite:///{tmp_path / 'pledges.sqlite3'}", "HOME": str(tmp_path)}
    run = subprocess.run([str(python), "-I", "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert all(out[name] for name in HANDLERS)
    # The catalog shipped beside the code answers: an unknown campaign is a 404 (not a 503 "no catalog").
    assert out["unknown campaign"] == [404, "not_found"]
    assert out["unknown stats"] == [404, "not_found"]
    assert out["unsigned event"] == [400, "bad_signature"]
    assert out["stripe"] is True and out["boto3 loaded"] is False


def test_private_data_goes_with_the_functions_only(tmp_path):
    import json

    from generator.deploy.package import build_package as make

    site_out = tmp_path / "_site"
    site_out.mkdir()
    (site_out / "catalog.json").write_text('{"format":1,"base_url":"https://x","campaigns":{}}\n')
    private = tmp_path / "private.json"
    private.write_text(json.dumps({"format": 1, "creators": {"a": "creator@example.org"}}))
    built = make(site_out, tmp_path / "f.zip", compile_pyc=False, private=private)
    assert json.loads(zipfile.ZipFile(built.path).read("functions/private.json"))["creators"] == {
        "a": "creator@example.org"}
