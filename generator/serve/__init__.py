"""`cagnotte serve`: build, serve the output on one origin, rebuild and live-reload.

A watcher polls content/, themes/ and site.yml (no extra dependency, works on
every file system); after a successful rebuild, open pages reload themselves
through a Server-Sent Events stream. A build with problems prints them and
keeps serving the previous site.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
import threading
import time
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from functions.payments.local import CHECKOUT_PATH
from generator.problems import ContentError
from generator.serve.api import Api
from generator.serve.outbox import OUTBOX_PATH, is_outbox, outbox_folder
from generator.serve.outbox import answer as outbox_answer

RELOAD_PATH = "/_cagnotte/livereload"
RELOAD_SCRIPT = (
    "(function(){var s=new EventSource('" + RELOAD_PATH + "');"
    "s.onmessage=function(e){if(e.data==='reload'){location.reload();}};})();"
)
WATCHED = ("content", "themes", "site.yml")
COMPRESSED = (".css", ".js", ".json", ".xml", ".svg", ".txt")
MAX_REQUEST = 1024 * 1024  # read no more than this; the functions refuse far less (413)


class Reloader:
    """Tells every open page to reload after a rebuild."""

    def __init__(self) -> None:
        self.generation = 0
        self.changed = threading.Condition()

    def bump(self) -> None:
        with self.changed:
            self.generation += 1
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen, timeout=timeout)
            return self.generation


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every watched file."""
    found = {}
    for name in WATCHED:
        path = root / name
        if path.is_file():
            found[str(path)] = _stat(path)
        elif path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for file in files:
                    full = os.path.join(folder, file)
                    found[full] = _stat(Path(full))
    logo = _logo(root)
    if logo is not None and logo.is_file():  # site.yml's logo may live anywhere in the site
        found[str(logo)] = _stat(logo)
    return found


def _logo(root: Path) -> Path | None:
    """site.yml's ``logo`` file, read loosely (a broken site.yml is the build's to report)."""
    import re

    try:
        text = (root / "site.yml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    match = re.search(r"^logo:\s*[\"']?([^\"'#\n]+?)[\"']?\s*(?:#.*)?$", text, re.M)
    return root / match.group(1).strip() if match else None


def _stat(path: Path) -> tuple[int, int]:
    try:
        info = path.stat()
    except FileNotFoundError:
        return (0, -1)
    return (info.st_mtime_ns, info.st_size)


class Server(ThreadingHTTPServer):
    # A launch-day spike of backers, locally: the default backlog of 5 resets connections.
    request_queue_size = 256
    daemon_threads = True


class Handler(SimpleHTTPRequestHandler):
    """Static files from the output, 404.html for the missing, live reload for HTML."""

    reloader: Reloader
    api: "Api"
    server_version = "cagnotte"

    def log_message(self, format: str, *args) -> None:  # quieter than the default
        if os.environ.get("CAGNOTTE_SERVE_LOG"):
            super().log_message(format, *args)

    def do_GET(self) -> None:  # noqa: N802 - http.server's API
        path = self.path.split("?")[0]
        if path == RELOAD_PATH:
            return self._events()
        if path == RELOAD_PATH + ".js":
            return self._script()
        if self._is_api(path):
            return self._api("GET")
        if is_outbox(path):
            return self._outbox(path)
        return super().do_GET()

    def do_POST(self) -> None:  # noqa: N802
        if self._is_api(self.path.split("?")[0]):
            return self._api("POST")
        self.send_error(HTTPStatus.METHOD_NOT_ALLOWED)

    def do_PUT(self) -> None:  # noqa: N802
        return self._api("PUT") if self._is_api(self.path.split("?")[0]) else self.send_error(405)

    def do_DELETE(self) -> None:  # noqa: N802
        return self._api("DELETE") if self._is_api(self.path.split("?")[0]) else self.send_error(405)

    @staticmethod
    def _is_api(path: str) -> bool:
        return path.startswith("/api/") or path.startswith(CHECKOUT_PATH)

    def _api(self, method: str) -> None:
        """Hand the request to the pledge functions (as an API Gateway v2 event)."""
        path, _, query = self.path.partition("?")
        raw_length = (self.headers.get("Content-Length") or "0").strip()
        if not (raw_length.isascii() and raw_length.isdigit()):  # "-1", "1e3", "１２": not a length
            self.close_connection = True
            return self._send(400, {"Content-Type": "application/json"},
                              b'{"error":{"code":"invalid","message":"the Content-Length header is not a length"}}')
        length = int(raw_length[:12])
        if length > MAX_REQUEST:
            self.close_connection = True
            return self._send(413, {"Content-Type": "application/json"},
                              b'{"error":{"code":"too_large","message":"the request body is too large"}}')
        body = self.rfile.read(length) if length else b""
        answer = self.api.handle(method, path, query, dict(self.headers.items()), body)
        self._send(answer.status, answer.headers, answer.body)

    def _outbox(self, path: str) -> None:
        """The local outbox: the messages the functions sent, to read as a backer would."""
        url = self.api.runtime.mail_url
        self._send(*outbox_answer(path, self.path.partition("?")[2], outbox_folder(url), url))

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_head(self):
        path = self.translate_path(self.path)
        if os.path.isdir(path) and not self.path.split("?")[0].endswith("/"):
            return super().send_head()  # the redirect to the slash URL
        if os.path.isdir(path):
            path = os.path.join(path, "index.html")
        if not os.path.isfile(path):
            return self._not_found()
        if path.endswith(".html"):
            return self._html(path, HTTPStatus.OK)
        if path.endswith(COMPRESSED) and self._gzip_ok():
            return self._file_gzip(path)
        return super().send_head()

    def _gzip_ok(self) -> bool:
        return "gzip" in (self.headers.get("Accept-Encoding") or "")

    def _file_gzip(self, path: str):
        """Text assets gzipped, as the CDN serves them (so page-weight checks on serve are honest)."""
        with open(path, "rb") as handle:
            body = gzip.compress(handle.read(), compresslevel=6, mtime=0)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def _not_found(self):
        page = os.path.join(self.directory, "404.html")
        if os.path.isfile(page):
            return self._html(page, HTTPStatus.NOT_FOUND)
        self.send_error(HTTPStatus.NOT_FOUND)
        return None

    def _html(self, path: str, status: HTTPStatus):
        with open(path, "rb") as handle:
            body = handle.read()
        tag = f'<script src="{RELOAD_PATH}.js"></script>'.encode()
        body = body.replace(b"</body>", tag + b"</body>", 1)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Vary", "Accept-Encoding")
        if self._gzip_ok():
            body = gzip.compress(body, compresslevel=6, mtime=0)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        return io.BytesIO(body)

    def _script(self) -> None:
        body = RELOAD_SCRIPT.encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/javascript; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        seen = self.reloader.generation
        try:
            while True:
                now = self.reloader.wait(seen, timeout=15)
                message = b"data: reload\n\n" if now != seen else b": keep-alive\n\n"
                seen = now
                self.wfile.write(message)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return None


def _make_handler(out: Path, reloader: Reloader):
    class Bound(Handler):
        pass

    Bound.reloader = reloader
    return partial(Bound, directory=str(out))


def rebuild(root: Path, out: Path | None = None) -> bool:
    """Build once; print problems instead of raising. True when the site changed."""
    from generator.build import build

    try:
        report = build(root, out, preview=True)  # drafts shown, with a banner
    except ContentError as error:
        from generator.problems import report_problems

        report_problems(root, error)
        print("The previous site is still served; fix the problems above and save.", file=sys.stderr)
        return False
    if report.changed:
        from generator.problems import report_warnings

        report_warnings(root, report.warnings)
        print(f"rebuilt: {report.rendered} rendered, {report.reused} reused in {report.seconds:.2f}s", file=sys.stderr)
    return report.changed


class PortInUse(Exception):
    """The address ``serve`` was asked to listen on is taken (or not allowed)."""


def bind(host: str, port: int, handler) -> Server:
    """The listening server, or :class:`PortInUse` with a sentence saying what to do."""
    import errno

    try:
        return Server((host, port), handler)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(f"port {port} on {host} is in use (another cagnotte serve?): "
                            f"choose another with --port, e.g. --port {port + 1} "
                            f"(make demo PORT={port + 1})") from None
        if error.errno in (errno.EACCES, errno.EADDRNOTAVAIL):
            raise PortInUse(f"cannot listen on {host}:{port} ({error.strerror}): "
                            f"choose another address with --host or --port") from None
        raise


def serve(root: Path, host: str = "127.0.0.1", port: int = 8000, out: Path | None = None,
          ready: threading.Event | None = None, stop: threading.Event | None = None,
          interval: float = 0.5) -> None:
    """Serve until Ctrl-C (or ``stop`` is set, for tests)."""
    from generator.config import load_config

    config = load_config(root)
    out = out or (root / config.output)
    reloader = Reloader()
    handler = _make_handler(out, reloader)
    server = bind(host, port, handler)  # before building: a busy port is told at once
    seen = snapshot(root)  # before building: a change made during the build is not missed
    rebuild(root, out)
    server.daemon_threads = True
    address = f"http://{host}:{server.server_address[1]}/"
    api = Api(root, out, address.rstrip("/"))
    handler.func.api = api
    api.start_sweeper()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(f"Serving {root.name or root} at {address} (Ctrl-C to stop)", file=sys.stderr)
    print(api.describe(), file=sys.stderr)
    if outbox_folder(api.runtime.mail_url) is not None:
        print(f"e-mail: {address.rstrip('/')}{OUTBOX_PATH} (the local outbox)", file=sys.stderr)
    if ready is not None:
        ready.port = server.server_address[1]  # type: ignore[attr-defined]
        ready.set()
    try:
        while not (stop and stop.is_set()):
            time.sleep(interval)
            current = snapshot(root)
            if current != seen:
                seen = current
                if rebuild(root, out):
                    reloader.bump()
    except KeyboardInterrupt:
        print("\nStopped.", file=sys.stderr)
    finally:
        server.shutdown()
        server.server_close()
        api.close()
