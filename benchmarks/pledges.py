"""Benchmark the pledge functions: cold imports, latency per route, pledges/s through serve.

    .venv/bin/python benchmarks/pledges.py [--requests N] [--dynamodb-requests N] [--pledges N]
                                             [--clients C] [--runs R] [--skip SECTION] [--json]

Three sections, all on 127.0.0.1 and with a fixed clock (2026-11-26T12:00Z,
``SOURCE_DATE_EPOCH=1795694400``: the fixture site's campaigns are live):

1. **cold imports**: each handler module imported in a fresh interpreter
   (median of R runs, after one untimed run that writes the ``.pyc`` files, as
   an installed package has them; and again from a copy without ``.pyc``, as
   a Lambda zip without ``__pycache__`` starts), and which heavy packages
   (``stripe``, ``boto3``, ``jinja2``, ``markdown``, ``generator``) it pulled in;
2. **latency per route** through ``functions.router.dispatch`` with API
   Gateway v2 events, in process, one request at a time, over SQLite (a
   temporary file) and over DynamoDB (``python -m moto.server``, started here
   as a child process); payments go to the local test checkout and webhooks
   are signed for real. Over DynamoDB, botocore's events count the store's
   calls and the time spent in them;
3. **pledges per second through ``cagnotte serve``**: serve runs in this
   process on a copy of tests/fixtures/site (SQLite); C concurrent clients
   POST pledges over HTTP, then pledge *and pay* in the local checkout (which
   delivers the signed ``checkout.session.completed`` to the webhook route).
   The clients run in a second interpreter so they do not share serve's GIL.

Pledges alternate an all-or-nothing EUR reward without limit
(``premier-album``/``digital``) and a flexible JPY pledge without reward
(``tokyo-zine``), so nothing sells out. Each section checks its answers (the
stats count every paid pledge once) and prints a note when they are wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from common import REPO, code_stamp, git_commit, measure_working_tree, num, rounded

FIXTURE = REPO / "tests" / "fixtures" / "site"
RESULT = "@@cagnotte-bench-result "  # prefix of a child's one result line
EPOCH = 1795694400  # 2026-11-26T12:00:00Z
ORIGIN = "http://127.0.0.1:8000"  # where the in-process checkout URLs point (never contacted)
SECRET = "whsec_bench_secret"
JSON_TYPE = "application/json"
FORM_TYPE = "application/x-www-form-urlencoded"
DETAILS = {"email": "backer@example.org", "name": "Bench Backer", "country": "FR", "line1": "1 rue du Banc",
           "city": "Lyon", "postal_code": "69001"}
SECTIONS = ("imports", "sqlite", "dynamodb", "serve", "pay")

measure_working_tree()

HANDLERS = ("functions.handlers.pledges", "functions.handlers.webhook", "functions.handlers.stats",
            "functions.handlers.referrals")
# Imported on a route's first request (functions.runtime is lazy), not with the handler.
LAZY = ("functions.store.sqlite", "functions.store.dynamodb", "functions.payments.stripe_checkout")
WATCHED = ("stripe", "boto3", "jinja2", "markdown", "generator")
NEVER = ("generator", "jinja2", "markdown")  # DESIGN: functions never import the generator
FORBIDDEN = {module: NEVER for module in HANDLERS + LAZY}
FORBIDDEN["functions.handlers.stats"] = ("stripe",) + NEVER  # the busiest function starts lightest

ROUTES = (
    ("pledge", "POST /api/pledges"),
    ("webhook", "POST /api/stripe/webhook"),
    ("stats", "GET /api/campaigns/{slug}/stats"),
    ("view", "GET /api/pledges/{session}"),
    ("referral", "GET /api/referrals/{code}"),
)

# Timed in a bare interpreter: only sys and time come before the clock starts.
IMPORT_CHILD = """\
import sys, time
sys.path.insert(0, {repo!r})
started = time.perf_counter()
import importlib
importlib.import_module({module!r})
seconds = time.perf_counter() - started
import json
packages = sorted({{name.split(".")[0] for name in sys.modules}})
print({result!r} + json.dumps({{"seconds": seconds, "modules": packages}}))
"""


class BenchError(Exception):
    """A section could not run; the message says why."""


def pledge_fields(i: int, ref: str | None = None) -> dict:
    """Alternate an all-or-nothing EUR reward with no limit and a flexible JPY pledge without reward.

    Neither can sell out, however many pledges the run makes.
    """
    fields = ({"campaign": "premier-album", "reward": "digital"} if i % 2 == 0
              else {"campaign": "tokyo-zine", "amount": "2000"})
    if ref:
        fields["ref"] = ref
    return fields


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of ``values`` (any order)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(latencies: list[float]) -> dict:
    """p50/p99/mean/max in milliseconds, from seconds."""
    ms = [v * 1000 for v in latencies]
    return {"count": len(ms), "p50_ms": percentile(ms, 50), "p99_ms": percentile(ms, 99),
            "mean_ms": statistics.fmean(ms) if ms else None, "max_ms": max(ms) if ms else None}


@contextlib.contextmanager
def environ(set_: dict[str, str], remove: tuple[str, ...] = ()):
    """Set and remove environment variables of this process for the block only."""
    names = set(set_) | set(remove)
    saved = {name: os.environ.get(name) for name in names}
    try:
        for name in remove:
            os.environ.pop(name, None)
        os.environ.update(set_)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def child_env() -> dict[str, str]:
    # An installed package has its .pyc files: let the children write them even
    # where PYTHONDONTWRITEBYTECODE is set (CI images often set it).
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fixed_now():
    import datetime as dt

    return dt.datetime.fromtimestamp(EPOCH, dt.timezone.utc)


# -- 1. cold imports ----------------------------------------------------------------

def import_once(module: str, importtime: bool = False, tree: Path = REPO, pyc: bool = True) -> dict:
    """Import ``module`` from ``tree`` in a fresh interpreter; its time and the top-level packages loaded."""
    code = IMPORT_CHILD.format(repo=str(tree), module=module, result=RESULT)
    command = [sys.executable] + (["-X", "importtime"] if importtime else []) + ["-c", code]
    env = child_env()
    if not pyc:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT)]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise BenchError(f"importing {module} failed (exit {proc.returncode}):\n{tail}")
    result = json.loads(lines[-1][len(RESULT):])
    result["process_seconds"] = wall
    if importtime:
        result["importtime"] = proc.stderr
    return result


def slowest_imports(report: str, count: int = 3) -> list[dict]:
    """The modules with the largest own (self) import time in a ``-X importtime`` report."""
    rows = []
    for line in report.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        try:
            own, cumulative, name = line[len("import time:"):].split("|", 2)
            rows.append({"module": name.strip(), "self_ms": int(own) / 1000, "cumulative_ms": int(cumulative) / 1000})
        except ValueError:
            continue
    # The interpreter's own start-up (site, encodings, …) is not the handler's.
    rows = [r for r in rows if r["module"].split(".")[0] not in ("site", "encodings", "_distutils_hack")]
    return sorted(rows, key=lambda r: -r["self_ms"])[:count]


def measure_imports(runs: int, work: Path, log) -> dict:
    # A copy of functions/ without __pycache__, never written to: a Lambda zip shipped
    # without .pyc compiles our modules on every cold start (/var/task is read-only).
    bare_tree = work / "no-pyc"
    shutil.copytree(REPO / "functions", bare_tree / "functions", ignore=shutil.ignore_patterns("__pycache__"))
    bare = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=child_env(), check=True)
        bare.append(time.perf_counter() - started)
    rows = []
    for module in HANDLERS + LAZY:
        if module == "functions.store.dynamodb" and not (REPO / "functions" / "store" / "dynamodb.py").exists():
            rows.append({"module": module, "lazy": True, "available": False,
                         "reason": "functions/store/dynamodb.py does not exist"})
            continue
        log(f"importing {module} ({runs} runs) …")
        import_once(module)  # untimed: writes the .pyc files
        timed = [import_once(module) for _ in range(runs)]
        detail = import_once(module, importtime=True)
        uncompiled = ([import_once(module, tree=bare_tree, pyc=False)["seconds"] for _ in range(runs)]
                      if module in HANDLERS else [])
        present = set(timed[-1]["modules"])
        loaded = {name: name in present for name in WATCHED}
        missed = [name for name in FORBIDDEN[module] if loaded[name]]
        rows.append({
            "module": module, "lazy": module in LAZY, "available": True,
            "import_ms": statistics.median(r["seconds"] for r in timed) * 1000,
            "process_ms": statistics.median(r["process_seconds"] for r in timed) * 1000,
            "no_pyc_import_ms": statistics.median(uncompiled) * 1000 if uncompiled else None,
            "runs_ms": [r["seconds"] * 1000 for r in timed],
            "loaded": loaded, "forbidden": list(FORBIDDEN[module]), "missed": missed,
            "slowest": slowest_imports(detail["importtime"]),
        })
    return {"runs": runs, "interpreter_ms": statistics.median(bare) * 1000, "modules": rows}


# -- 2. latency per route, in process ---------------------------------------------------

class CallMeter:
    """Counts the store's AWS calls and the time spent in them (botocore's own events)."""

    def __init__(self, client) -> None:
        self.calls: dict[str, int] = {}
        self.seconds = 0.0
        self._started = threading.local()
        client.meta.events.register("before-call.dynamodb", self._before)
        client.meta.events.register("after-call.dynamodb", self._after)

    def _before(self, model=None, **_) -> None:
        self._started.at = time.perf_counter()
        name = getattr(model, "name", "?")
        self.calls[name] = self.calls.get(name, 0) + 1

    def _after(self, **_) -> None:
        self.seconds += time.perf_counter() - self._started.at

    def take(self) -> tuple[dict[str, int], float]:
        taken = (self.calls, self.seconds)
        self.calls, self.seconds = {}, 0.0
        return taken


class Routes:
    """The functions in this process, called as Lambda calls them, one request at a time."""

    def __init__(self, catalog_path: Path, store_url: str):
        from functions.payments.local import LocalCheckout
        from functions.runtime import Runtime, install

        now = fixed_now()
        self.now = now
        self.local = LocalCheckout(ORIGIN, SECRET)
        self.runtime = Runtime(catalog_path=catalog_path, store_url=store_url, webhook_secret=SECRET,
                               origin=ORIGIN, clock=lambda: now, payments_factory=lambda: self.local)
        install(self.runtime)
        self.meter: CallMeter | None = None
        self.latencies: dict[str, list[float]] = {name: [] for name, _ in ROUTES}
        self.errors: dict[str, list[str]] = {name: [] for name, _ in ROUTES}
        self.calls: dict[str, dict[str, int]] = {name: {} for name, _ in ROUTES}
        self.in_calls: dict[str, float] = {name: 0.0 for name, _ in ROUTES}

    def close(self) -> None:
        from functions.runtime import install

        try:
            if self.runtime._store is not None:
                self.runtime.store.close()
        finally:
            install(None)

    def call(self, route: str | None, method: str, path: str, body: bytes = b"", headers: dict | None = None,
             expect: int = 200, query: str = "") -> dict | None:
        """Dispatch one event (built outside the timed part); the JSON answer, or None on a surprise."""
        from functions import http, router

        event = http.event_from(method, path, headers or {}, body, query)
        started = time.perf_counter()
        response = router.dispatch(event)
        elapsed = time.perf_counter() - started
        if self.meter is not None:
            calls, seconds = self.meter.take()
            if route is not None:
                for name, count in calls.items():
                    self.calls[route][name] = self.calls[route].get(name, 0) + count
                self.in_calls[route] += seconds
        if route is not None:
            self.latencies[route].append(elapsed)
        if response["statusCode"] != expect:
            problem = f"{method} {path}: {response['statusCode']} {str(response.get('body'))[:200]}"
            if route is None:
                raise BenchError(f"warm-up request failed: {problem}")
            self.errors[route].append(problem)
            return None
        return json.loads(response["body"]) if response.get("body") else {}

    def pledge(self, route: str | None, i: int, ref: str | None) -> str | None:
        body = json.dumps(pledge_fields(i, ref)).encode()
        answer = self.call(route, "POST", "/api/pledges", body, {"Content-Type": JSON_TYPE}, expect=201)
        return answer["checkout_url"].rsplit("/", 1)[1] if answer else None

    def pay(self, route: str | None, session: str) -> bool:
        event = self.local.complete(session, DETAILS, self.now)
        if event is None:
            raise BenchError(f"the local checkout would not complete {session}")
        raw, signature = self.local.signed(event, self.now)
        answer = self.call(route, "POST", "/api/stripe/webhook", raw,
                           {"Content-Type": JSON_TYPE, "Stripe-Signature": signature})
        if answer is not None and answer.get("result") != "applied":
            self.errors[route or "webhook"].append(f"webhook {session}: {answer}")
            return False
        return answer is not None

    def run(self, n: int) -> dict:
        # Warm-up, untimed: imports, the store's first connection (the DynamoDB table is
        # created on first use), the catalog read. Its code is the share link of every pledge below.
        seed = self.pledge(None, 0, None)
        self.pay(None, seed)
        seed_code = self.call(None, "GET", f"/api/pledges/{seed}")["ref_code"]
        self.call(None, "GET", "/api/campaigns/premier-album/stats")
        self.call(None, "GET", f"/api/referrals/{seed_code}")
        client = getattr(self.runtime.store, "client", None)
        if client is not None and hasattr(client, "meta"):
            self.meter = CallMeter(client)

        opened = [(i, s) for i, s in ((i, self.pledge("pledge", i, seed_code)) for i in range(n)) if s]
        paid = [(i, s) for i, s in opened if self.pay("webhook", s)]
        for i in range(n):
            self.call("stats", "GET", f"/api/campaigns/{pledge_fields(i)['campaign']}/stats")
        codes = []
        for _, session in opened:
            view = self.call("view", "GET", f"/api/pledges/{session}")
            if view is not None:
                if view.get("status") not in ("pledged", "paid"):
                    self.errors["view"].append(f"{session} is {view.get('status')} after its webhook")
                codes.append(view["ref_code"])
        for code in codes:
            self.call("referral", "GET", f"/api/referrals/{code}")

        # Every webhook counted once; the seed's link (a premier-album code) counts the
        # paid premier-album pledges that carried it (referrals are kept per campaign).
        self.meter = None
        backers = sum(self.call(None, "GET", f"/api/campaigns/{slug}/stats")["backers"]
                      for slug in ("premier-album", "tokyo-zine"))
        shared = self.call(None, "GET", f"/api/referrals/{seed_code}")["pledges"]
        expected_shared = sum(1 for i, _ in paid if pledge_fields(i)["campaign"] == "premier-album")
        checks = []
        if backers != len(paid) + 1:
            checks.append(f"the stats count {backers} backers, {len(paid) + 1} were paid")
        if shared != expected_shared:
            checks.append(f"the seed's share link counts {shared} pledges, {expected_shared} carried it")
        routes = {}
        for name, _ in ROUTES:
            latencies = self.latencies[name]
            tenth = max(1, len(latencies) // 10)
            row = {**summary(latencies), "errors": len(self.errors[name]),
                   "first_error": (self.errors[name] or [None])[0],
                   # Does a request get slower as the store fills up?
                   "p50_first_tenth_ms": percentile([v * 1000 for v in latencies[:tenth]], 50),
                   "p50_last_tenth_ms": percentile([v * 1000 for v in latencies[-tenth:]], 50)}
            if self.calls[name] or self.in_calls[name]:
                count = max(1, len(latencies))
                row["store_calls_per_request"] = {op: c / count for op, c in sorted(self.calls[name].items())}
                row["store_calls_mean_ms"] = self.in_calls[name] / count * 1000
            routes[name] = row
        return {"routes": routes, "checks": checks}


def measure_sqlite(catalog_path: Path, work: Path, n: int, log) -> dict:
    log(f"latency over SQLite ({n} requests per route) …")
    routes = Routes(catalog_path, f"sqlite:///{work / 'latency.sqlite3'}")
    try:
        return {"store": "sqlite", "available": True, **routes.run(n)}
    finally:
        routes.close()


class MotoServer:
    """``python -m moto.server`` on 127.0.0.1 and a free port, as a child process."""

    def __init__(self, work: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = work / "moto.log"
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "MotoServer":
        log = open(self.log_path, "wb")
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=child_env())
        finally:
            log.close()
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                raise BenchError(f"moto's server did not start on {self.url}: {self.tail()}")
            time.sleep(0.1)

    def __exit__(self, *exc) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)

    def tail(self) -> str:
        try:
            return " | ".join(self.log_path.read_text(errors="replace").strip().splitlines()[-5:]) or "no output"
        except OSError:
            return "no log"


def dynamodb_unavailable() -> str | None:
    """Why the DynamoDB rows cannot be measured, or None."""
    import importlib.util

    if not (REPO / "functions" / "store" / "dynamodb.py").exists():
        return "functions/store/dynamodb.py does not exist yet"
    if importlib.util.find_spec("moto") is None:
        return "moto is not installed (pip install 'moto[server]')"
    try:
        from functions.store.dynamodb import DynamoDBStore  # noqa: F401
    except Exception as error:  # noqa: BLE001 - reported in the table
        return f"functions.store.dynamodb does not import: {type(error).__name__}: {error}"
    return None


def measure_dynamodb(catalog_path: Path, work: Path, n: int, log) -> dict:
    reason = dynamodb_unavailable()
    if reason:
        return {"store": "dynamodb", "available": False, "reason": reason}
    log(f"latency over DynamoDB on moto's server ({n} requests per route) …")
    try:
        with MotoServer(work) as moto:
            # boto3 reads these; only this process, only for this section.
            aws = {"AWS_ENDPOINT_URL": moto.url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_DEFAULT_REGION": "us-east-1"}
            with environ(aws, remove=("AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE", "AWS_SESSION_TOKEN")):
                routes = Routes(catalog_path, "dynamodb://cagnotte-bench")
                try:
                    return {"store": "dynamodb", "available": True, "endpoint": "moto.server", **routes.run(n)}
                finally:
                    routes.close()
    except Exception as error:  # noqa: BLE001 - the other sections still report
        return {"store": "dynamodb", "available": False, "reason": f"failed: {type(error).__name__}: {error}"}


# -- 3. cagnotte serve over HTTP ---------------------------------------------------------------

def load_child(url: str, mode: str, count: int, clients: int) -> int:
    """The clients: ``count`` pledges (and payments) over HTTP on ``clients`` threads."""
    import http.client
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import urlencode, urlsplit

    address = urlsplit(url)
    paid_form = urlencode(DETAILS).encode()

    def post(path: str, body: bytes, content_type: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
        try:
            connection.request("POST", path, body=body, headers={"Content-Type": content_type})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def one(i: int) -> tuple[float, str | None]:
        started = time.perf_counter()
        try:
            status, body = post("/api/pledges", json.dumps(pledge_fields(i)).encode(), JSON_TYPE)
            if status != 201:
                return time.perf_counter() - started, f"pledge {status}"
            if mode == "pay":
                checkout = urlsplit(json.loads(body)["checkout_url"]).path
                status, _ = post(checkout + "/pay", paid_form, FORM_TYPE)
                if status != 303:
                    return time.perf_counter() - started, f"pay {status}"
        except (OSError, http.client.HTTPException) as error:
            return time.perf_counter() - started, type(error).__name__
        return time.perf_counter() - started, None

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        answers = list(pool.map(one, range(count)))
    wall = time.perf_counter() - started
    errors: dict[str, int] = {}
    for _, error in answers:
        if error:
            errors[error] = errors.get(error, 0) + 1
    print(RESULT + json.dumps({"seconds": wall, "latencies": [seconds for seconds, error in answers if not error],
                               "errors": errors}), flush=True)
    return 0


def run_load(url: str, mode: str, count: int, clients: int) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--load", url, "--mode", mode,
               "--pledges", str(count), "--clients", str(clients)]
    proc = subprocess.run(command, cwd=REPO, env=child_env(), capture_output=True, text=True, check=False,
                          timeout=1800)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT)]
    if proc.returncode != 0 or not lines:
        raise BenchError(f"the clients failed (exit {proc.returncode}): {proc.stderr.strip()[-1000:]}")
    result = json.loads(lines[-1][len(RESULT):])
    done = len(result["latencies"])
    return {"mode": mode, "count": count, "clients": clients, "completed": done, "seconds": result["seconds"],
            "per_second": done / result["seconds"] if result["seconds"] else None,
            "errors": result["errors"], **{k: v for k, v in summary(result["latencies"]).items() if k != "count"}}


def stats_over_http(url: str, slug: str) -> dict:
    with urllib.request.urlopen(f"{url}/api/campaigns/{slug}/stats", timeout=30) as response:
        return json.loads(response.read())


class WriteTimer:
    """Times the store's write transactions inside serve (how long a pledge waits for SQLite's lock)."""

    METHODS = ("open_pledge", "apply")

    def __init__(self, store) -> None:
        self.seconds: list[float] = []
        self._lock = threading.Lock()
        for name in self.METHODS:  # instance attributes shadow the methods; nothing else changes
            setattr(store, name, self._timed(getattr(store, name)))

    def _timed(self, method):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds.append(time.perf_counter() - started)
        return timed

    def take(self) -> dict:
        with self._lock:
            taken, self.seconds = self.seconds, []
        return {k: v for k, v in summary(taken).items() if k in ("count", "p50_ms", "p99_ms", "max_ms")}


def measure_serve(work: Path, count: int, clients: int, pay: bool, log) -> dict:
    from functions.runtime import current
    from generator.serve import serve

    site = work / "serve-site"
    shutil.copytree(FIXTURE, site, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    results: dict = {"store": "sqlite", "runs": [], "checks": []}
    ready, stop = threading.Event(), threading.Event()
    env = {"SOURCE_DATE_EPOCH": str(EPOCH)}
    remove = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "CAGNOTTE_STORE")
    # One client first: the service time without contention, to compare with C clients.
    plan = [("pledge", 1)] + ([("pledge", clients)] if clients != 1 else []) + ([("pay", clients)] if pay else [])
    with environ(env, remove):
        log("starting cagnotte serve on a copy of tests/fixtures/site …")
        thread = threading.Thread(target=serve, args=(site, "127.0.0.1", 0),
                                  kwargs={"ready": ready, "stop": stop}, daemon=True, name="serve")
        thread.start()
        try:
            while not ready.wait(0.2):
                if not thread.is_alive():
                    raise BenchError("cagnotte serve stopped before it was ready (see its messages above)")
            url = f"http://127.0.0.1:{ready.port}"  # type: ignore[attr-defined]
            writes = WriteTimer(current().store)  # serve's runtime, installed by serve
            for mode, n_clients in plan:
                log(f"{count} pledges{' paid in the local checkout' if mode == 'pay' else ''}, "
                    f"{n_clients} client{'s' if n_clients > 1 else ''}, over HTTP …")
                writes.take()
                run = run_load(url, mode, count, n_clients)
                run["store_writes"] = writes.take()
                results["runs"].append(run)
            album, zine = stats_over_http(url, "premier-album"), stats_over_http(url, "tokyo-zine")
            album_pledges = sum(len(range(0, r["completed"], 2)) for r in results["runs"])
            claimed = next(r["claimed"] for r in album["rewards"] if r["id"] == "digital")
            paid = sum(r["completed"] for r in results["runs"] if r["mode"] == "pay")
            if any(r["completed"] != r["count"] for r in results["runs"]):
                results["checks"].append("some pledges failed: see errors")
            elif claimed != album_pledges:
                results["checks"].append(f"{claimed} digital albums claimed, {album_pledges} pledged")
            if album["backers"] + zine["backers"] != paid:
                results["checks"].append(f"the stats count {album['backers'] + zine['backers']} backers, {paid} paid")
        finally:
            stop.set()
            thread.join(30)
    if thread.is_alive():
        results["checks"].append("cagnotte serve did not stop within 30 s")
    return results


# -- the run ------------------------------------------------------------------------------

def build_catalog(work: Path) -> Path:
    from generator.build import build

    root = work / "site"
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    build(root, now=fixed_now())
    return root / "_site" / "catalog.json"


def functions_changes() -> list[str]:
    """Uncommitted changes under functions/ (``git status --porcelain``): what the figures measured."""
    try:
        out = subprocess.run(["git", "status", "--porcelain", "--", "functions"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return [line for line in out.splitlines() if line.strip()]


def measure(args, log) -> dict:

    skip = set(args.skip or ())
    figures: dict = {
        "python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
        "load_before": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "commit": git_commit(), "functions_changes": functions_changes(), "tree": str(REPO),
        "now": "2026-11-26T12:00:00+00:00", "source_date_epoch": EPOCH,
        "requests": args.requests, "dynamodb_requests": args.dynamodb_requests, "pledges": args.pledges,
        "clients": args.clients, "skipped": sorted(skip),
    }
    stamp = code_stamp()
    with tempfile.TemporaryDirectory(prefix="cagnotte-bench-functions-") as tmp:
        work = Path(tmp)
        if "imports" not in skip:
            figures["imports"] = measure_imports(args.runs, work, log)
        stores = []
        if not {"sqlite", "dynamodb"} <= skip:
            log("building the fixture site's catalog …")
            catalog_path = build_catalog(work)
            if "sqlite" not in skip:
                stores.append(measure_sqlite(catalog_path, work, args.requests, log))
            if "dynamodb" not in skip:
                stores.append(measure_dynamodb(catalog_path, work, args.dynamodb_requests, log))
        figures["latency"] = stores
        if "serve" not in skip:
            figures["serve"] = measure_serve(work, args.pledges, args.clients, "pay" not in skip, log)
    figures["code_changed_during_run"] = code_stamp() != stamp
    figures["notes"] = notes(figures)
    return figures


def notes(figures: dict) -> list[str]:
    out = []
    if figures["code_changed_during_run"]:
        out.append("files under generator/, functions/ or themes/ changed during the run: run again")
    if figures["functions_changes"]:
        out.append("uncommitted changes under functions/ were measured: "
                   + ", ".join(line.strip() for line in figures["functions_changes"]))
    for row in figures.get("imports", {}).get("modules", []):
        if row.get("missed"):
            out.append(f"{row['module']} imports {', '.join(row['missed'])}: it must not")
    for store in figures.get("latency", []):
        for check in store.get("checks", []):
            out.append(f"{store['store']}: {check}")
        for name, route in store.get("routes", {}).items():
            if route["errors"]:
                out.append(f"{store['store']} {name}: {route['errors']} unexpected answers, "
                           f"e.g. {route['first_error']}")
    for check in figures.get("serve", {}).get("checks", []):
        out.append(f"serve: {check}")
    for run in figures.get("serve", {}).get("runs", []):
        if run["errors"]:
            out.append(f"serve {run['mode']}: errors {run['errors']}")
    return out


# -- output -------------------------------------------------------------------------------------

def table(figures: dict) -> str:
    lines = [
        (f"Cagnotte functions benchmark: Python {figures['python']}, {figures['cpus']} CPUs, {figures['platform']}, "
         f"load {num(figures['load_before'])} before the run"),
        (f"commit: {figures.get('commit') or 'unknown'}; clock: {figures['now']} "
         f"(SOURCE_DATE_EPOCH={figures['source_date_epoch']})"),
    ]
    imports = figures.get("imports")
    if imports:
        lines += ["", (f"1. cold import in a fresh interpreter, median of {imports['runs']}, ms "
                       f"(a bare interpreter starts and exits in {imports['interpreter_ms']:.0f} ms)"),
                  f"{'module':<42}{'import':>7}{'no .pyc':>8}{'process':>8}  "
                  + " ".join(f"{n:<9}" for n in WATCHED) + " check"]
        for row in imports["modules"]:
            name = row["module"] + (" (lazy)" if row["lazy"] else "")
            if not row["available"]:
                lines.append(f"{name:<42}not available: {row['reason']}")
                continue
            cells = " ".join(f"{('yes' if row['loaded'][n] else '—'):<9}" for n in WATCHED)
            check = ("MISSED: imports " + ", ".join(row["missed"])) if row["missed"] else "ok"
            lines.append(f"{name:<42}{row['import_ms']:>7.1f}{num(row['no_pyc_import_ms'], '{:.1f}'):>8}"
                         f"{row['process_ms']:>8.0f}  {cells} {check}")
        lines.append("largest own import times (-X importtime, one run), ms:")
        for row in imports["modules"]:
            if row["available"]:
                heavy = ", ".join(f"{r['module']} {r['self_ms']:.1f}" for r in row["slowest"])
                lines.append(f"  {row['module'].removeprefix('functions.')}: {heavy}")
    stores = figures.get("latency") or []
    if stores:
        counts = f"{figures['requests']} requests per route"
        if any(s["store"] == "dynamodb" and s["available"] for s in stores):
            counts += f" ({figures['dynamodb_requests']} over DynamoDB)"
        lines += ["", f"2. latency in process (router.dispatch, v2 events), {counts}, ms"]
        labels = {"sqlite": "SQLite", "dynamodb": "DynamoDB/moto"}
        header = f"{'route':<33}"
        for store in stores:
            header += f"{labels[store['store']] + ' p50':>20}{'p99':>8}"
        lines.append(header)
        for name, label in ROUTES:
            line = f"{label:<33}"
            for store in stores:
                if not store["available"]:
                    line += f"{'n/a':>20}{'':>8}"
                    continue
                route = store["routes"][name]
                flag = " !" if route["errors"] else ""
                line += f"{num(route['p50_ms']) + flag:>20}{num(route['p99_ms']):>8}"
            lines.append(line)
        for store in stores:
            if not store["available"]:
                lines.append(f"{labels[store['store']]}: not available: {store['reason']}")
                continue
            metered = [(label, store["routes"][name]) for name, label in ROUTES
                       if "store_calls_mean_ms" in store["routes"][name]]
            if metered:
                lines.append(f"{labels[store['store']]}: mean ms in store calls per request "
                             "(calls), and p50 of the first → last tenth of requests:")
                for label, route in metered:
                    calls = " + ".join(f"{c:g} {op}" for op, c in route["store_calls_per_request"].items())
                    lines.append(f"  {label:<31}{route['store_calls_mean_ms']:>6.1f} of {route['mean_ms']:.1f}"
                                 f" ({calls}); {route['p50_first_tenth_ms']:.1f} → {route['p50_last_tenth_ms']:.1f}")
    serve = figures.get("serve")
    if serve:
        lines += ["", "3. cagnotte serve over HTTP, SQLite; the clients in another interpreter",
                  (f"{'':<32}{'clients':>8}{'done':>6}{'seconds':>9}{'per second':>12}{'p50 ms':>9}{'p99 ms':>9}"
                   f"{'errors':>8}   SQLite write p50/p99 ms")]
        labels = {"pledge": "pledge (POST /api/pledges)", "pay": "pledge + pay (local checkout)"}
        for run in serve["runs"]:
            w = run.get("store_writes") or {}
            lines.append(f"{labels[run['mode']]:<32}{run['clients']:>8}{run['completed']:>6}{run['seconds']:>9.2f}"
                         f"{num(run['per_second'], '{:.0f}'):>12}{num(run['p50_ms'], '{:.1f}'):>9}"
                         f"{num(run['p99_ms'], '{:.1f}'):>9}{sum(run['errors'].values()):>8}"
                         f"   {num(w.get('p50_ms'), '{:.1f}')} / {num(w.get('p99_ms'), '{:.1f}')}")
    if figures["notes"]:
        lines += ["", "notes:"] + [f"- {note}" for note in figures["notes"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, metavar="N",
                        help="requests per route over SQLite for the latency section (default 300)")
    parser.add_argument("--dynamodb-requests", type=int, default=100, metavar="N",
                        help="requests per route over DynamoDB on moto (default 100: moto's writes slow down "
                             "as its table grows)")
    parser.add_argument("--pledges", type=int, default=1000, metavar="N",
                        help="pledges per serve run: 1 client, C clients, C clients paying (default 1000)")
    parser.add_argument("--clients", type=int, default=50, metavar="C",
                        help="concurrent HTTP clients against serve (default 50)")
    parser.add_argument("--runs", type=int, default=5, metavar="R",
                        help="fresh interpreters per module for the import times (default 5)")
    parser.add_argument("--skip", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"leave a section out (repeatable): {', '.join(SECTIONS)}")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--load", metavar="URL", help=argparse.SUPPRESS)  # the clients' process
    parser.add_argument("--mode", choices=("pledge", "pay"), default="pledge", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.load:
        return load_child(args.load, args.mode, args.pledges, args.clients)
    for name in ("requests", "dynamodb_requests", "pledges", "clients", "runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        figures = measure(args, log)
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except BenchError as exc:
        log(f"benchmark failed: {exc}")
        return 1
    print(json.dumps(rounded(figures), indent=2, ensure_ascii=False) if args.json else table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
