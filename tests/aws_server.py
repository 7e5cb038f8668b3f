"""A local AWS for the tests: moto's server in a child process, on a free port.

``with MotoServer() as server:`` starts it, waits until it answers and gives
its address as ``server.url``; leaving the block stops it (its whole process
group). The child also exits by itself when its parent dies (it watches its
stdin), so an interrupted test run leaves nothing behind.

Why not ``python -m moto.server`` or ``moto.server.ThreadedMotoServer``: both
serve requests on many threads, and moto's DynamoDB is not thread-safe. Its
``TransactWriteItems`` checks conditions, writes, and on a cancellation
restores a deep copy of the whole table, with no lock. 200 concurrent
``open_pledge`` calls through ``-m moto.server`` got HTTP 500s ("dictionary
changed size during iteration") and left more pledges than claimed units. Real
DynamoDB serializes transactions, so the child runs moto's own WSGI application
(what both of those entry points run) behind a lock: one request at a time, on
a port the child binds itself (port 0: no race for a free port) and reports
on its stdout. Being alone also lets it take moto's rollback snapshot once per
table rather than once per transaction item (the slow part of its
transactions), which halves the concurrency tests' time.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request


class MotoServerError(RuntimeError):
    """moto's server did not start (not installed, could not bind, too slow)."""


class MotoServer:
    """moto's server on ``host`` and a free port, for the length of a ``with`` block."""

    def __init__(self, host: str = "127.0.0.1", timeout: float = 30.0):
        self.host = host
        self.timeout = timeout
        self.url = ""
        self._process: subprocess.Popen | None = None
        self._log = None

    def __enter__(self) -> "MotoServer":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        self._log = tempfile.TemporaryFile(mode="w+b")
        self._process = subprocess.Popen(
            [sys.executable, __file__, "--host", self.host],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
            start_new_session=True)  # its own process group: stop() ends it and any child
        try:
            port = self._read_port()
            self.url = f"http://{self.host}:{port}"
            self._wait_until_it_answers()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(grace)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if process is not None:
            for stream in (process.stdin, process.stdout):
                if stream:
                    stream.close()
            process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    # -- start-up --------------------------------------------------------------------
    def _read_port(self) -> int:
        lines: queue.Queue[bytes] = queue.Queue()
        assert self._process is not None and self._process.stdout is not None
        stdout = self._process.stdout
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=self.timeout)
        except queue.Empty:
            raise MotoServerError(f"moto's server reported no port within {self.timeout:.0f} s"
                                  + self._tail()) from None
        if not line.startswith(b"port "):
            self._process.wait(5)
            raise MotoServerError(f"moto's server did not start (exit {self._process.returncode})" + self._tail())
        return int(line.split()[1])

    def _wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/data.json", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError as error:
                problem = error
            else:
                problem = None
            if self._process is None or self._process.poll() is not None:
                raise MotoServerError("moto's server exited" + self._tail())
            if time.monotonic() > deadline:
                raise MotoServerError(f"moto's server at {self.url} did not answer: {problem}" + self._tail())
            time.sleep(0.05)

    def _tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace").strip()
        return f":\n{text[-2000:]}" if text else ""


# -- the child ---------------------------------------------------------------------

class _OneAtATime:
    """A WSGI middleware serving one request at a time (moto is not thread-safe)."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == SES_SENT_PATH:
            with self.lock:
                return _ses_sent(start_response)
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()


SES_SENT_PATH = "/_test/ses/sent"  # what SES "sent", for tests to inspect (moto keeps it in memory only)


def _ses_sent(start_response):
    import json

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses import ses_backends

    sent = []
    for region, backend in ses_backends[DEFAULT_ACCOUNT_ID].items():
        for message in backend.sent_messages:
            sent.append({"region": region, "id": message.id, "source": getattr(message, "source", None),
                         "destinations": getattr(message, "destinations", None),
                         "raw": getattr(message, "raw_data", None)})
    body = json.dumps(sent).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _snapshot_each_table_once() -> None:
    """moto deep-copies a table once per *item* of a transaction, to roll back
    on a cancellation; all copies are taken before any write, so one per table
    is the same snapshot (3 to 7 times less work on a table of a few hundred
    items). Only sound with one request at a time: it swaps a module global."""
    import copy
    import types

    try:
        import moto.dynamodb.models as models
        from moto.dynamodb.models.table import Table

        original = models.DynamoDBBackend.transact_write_items
    except (ImportError, AttributeError):
        return  # another moto: only slower

    def transact_write_items(self, transact_items):
        snapshots: dict[int, Table] = {}

        def deepcopy(obj, memo=None):
            if isinstance(obj, Table):
                if id(obj) not in snapshots:
                    snapshots[id(obj)] = copy.deepcopy(obj)
                return snapshots[id(obj)]
            return copy.deepcopy(obj, memo)

        models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)
        try:
            return original(self, transact_items)
        finally:
            models.copy = copy

    models.DynamoDBBackend.transact_write_items = transact_write_items


def _serve(host: str) -> None:
    import logging

    from moto.moto_server.werkzeug_app import (DomainDispatcherApplication, MotoRequestHandler,
                                               create_backend_app)
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    _snapshot_each_table_once()
    app = _OneAtATime(DomainDispatcherApplication(create_backend_app))
    # threaded: connections (keep-alive) are accepted concurrently; the lock orders requests.
    server = make_server(host, 0, app, threaded=True, request_handler=MotoRequestHandler)
    port = server.server_address[1]
    os.environ["MOTO_PORT"] = str(port)  # as `python -m moto.server` sets it

    def orphaned() -> None:  # the parent closed our stdin or died
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=orphaned, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    print(f"port {port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="moto's server, one request at a time, on a free port")
    parser.add_argument("--host", default="127.0.0.1")
    _serve(parser.parse_args().host)
