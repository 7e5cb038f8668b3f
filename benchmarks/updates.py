"""An update mailed to N backers: how fast rows are queued and sent, through the outbox and SES on moto.

    .venv/bin/python benchmarks/updates.py [--backers 10000] [--work DIR] [--json]

1. builds the test fixture site with one more update, dated after the backers pledged;
2. writes N counted pledges (each with its own address) straight into a SQLite store
   (what Checkout and the webhook would have left);
3. queues the update's rows with the scheduled run's own code (``functions.core.updates.queue``,
   in its batches of 2,000, run after run as the schedule would) and times it;
4. sends them all with ``functions.core.sending.send_due`` and the real templates: once into an
   outbox folder (one .eml per message), once through the SES adapter against moto's server
   (``python -m moto.server`` on 127.0.0.1; the identity verified there first).

Prints rows queued per second and mails sent per second for each transport. SES's
own sending rate (14 a second by default in production, 1 in the sandbox) bounds a
real account far below these figures: the sender keeps to what SES answers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import common

common.measure_working_tree()

from pledges import MotoServer, environ  # noqa: E402

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)
UPDATE = "content/campaigns/premier-album/updates/2026-11-27-pressage.md"


def build_site(work: Path) -> Path:
    from generator.build import build

    root = work / "site"
    shutil.copytree(common.REPO / "tests" / "fixtures" / "site", root,
                    ignore=shutil.ignore_patterns(".cagnotte", "_site"))
    path = root / UPDATE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\ntitle: \"Le pressage\"\ndate: 2026-11-27T09:00:00+01:00\n---\n"
                    "Les vinyles sont **pressés**. [La photo](https://example.org/p).\n", encoding="utf-8")
    build(root, now=NOW)
    return root / "_site" / "catalog.json"


def fill(store, n: int) -> float:
    from functions.core import events
    from functions.core.pledge import PENDING, PLEDGED, Pledge

    started = time.perf_counter()
    for i in range(n):
        p = Pledge(id=f"pl_bench{i:08d}", campaign="premier-album", reward=None, amount=1000, currency="EUR",
                   mode="setup", status=PENDING, created_at=NOW, updated_at=NOW,
                   expires_at=NOW + dt.timedelta(minutes=35), ref_code=f"b{i:07d}")
        store.open_pledge(p, limit=None)
        store.apply(events.change(p, p.replace(status=PLEDGED, email=f"backer{i}@example.org"), event_id=None,
                                  now=NOW))
    return time.perf_counter() - started


def queue_all(runtime, now: dt.datetime) -> tuple[int, float, int]:
    from functions.core import updates

    started, total, runs = time.perf_counter(), 0, 0
    while True:
        runs += 1
        queued = updates.queue(catalog=runtime.catalog, store=runtime.store, links=runtime.links, now=now)
        total += queued
        if queued < updates.BATCH:
            break
    return total, time.perf_counter() - started, runs


def send_all(runtime, mailer, now: dt.datetime) -> tuple[int, int, float]:
    from functions.core import mailtext
    from functions.core.sending import send_due

    templates = runtime.mail_templates()
    sent = failed = 0
    started = time.perf_counter()
    while True:
        tally = send_due(runtime.store, mailer, lambda mail: mailtext.render(mail, templates), now, limit=500)
        sent, failed = sent + tally.sent, failed + tally.failed
        if tally.sent + tally.failed + tally.retry == 0:
            break
    return sent, failed, time.perf_counter() - started


def one_run(catalog: Path, work: Path, n: int, transport: str, log) -> dict:
    from functions.mailers.outbox import Outbox
    from functions.runtime import Runtime

    store_path = work / f"{transport}.sqlite3"
    runtime = Runtime(catalog_path=catalog, store_url=f"sqlite:///{store_path}", secret="bench-secret",
                      clock=lambda: NOW)
    log(f"{transport}: writing {n} backers …")
    fill_s = fill(runtime.store, n)
    later = NOW + dt.timedelta(days=1, hours=2)
    queued, queue_s, runs = queue_all(runtime, later)
    log(f"{transport}: {queued} rows queued in {queue_s:.1f} s ({runs} runs); sending …")
    if transport == "outbox":
        mailer = Outbox(work / "outbox", sender="Lina <fund@example.org>")
        sent, failed, send_s = send_all(runtime, mailer, later)
    else:
        import boto3

        from functions.mailers.ses import SES

        client = boto3.client("sesv2")
        client.create_email_identity(EmailIdentity="fund@example.org")
        # Not paced: moto says MaxSendRate 1 (the sandbox); this measures the sender itself.
        sent, failed, send_s = send_all(runtime, SES("Lina <fund@example.org>", client=client, max_rate=None), later)
    runtime.store.close()
    return {"transport": transport, "backers": n, "fill_s": round(fill_s, 2), "queued": queued,
            "queue_runs": runs, "queue_s": round(queue_s, 2), "rows_per_s": round(queued / queue_s, 1),
            "sent": sent, "failed": failed, "send_s": round(send_s, 2), "mails_per_s": round(sent / send_s, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backers", type=int, default=10_000)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="cagnotte-updates-"))
    work.mkdir(parents=True, exist_ok=True)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    catalog = build_site(work)
    results = [one_run(catalog, work, args.backers, "outbox", log)]
    with MotoServer(work) as moto:
        aws = {"AWS_ENDPOINT_URL": moto.url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1"}
        with environ(aws, remove=("AWS_PROFILE", "AWS_SESSION_TOKEN")):
            results.append(one_run(catalog, work, args.backers, "ses-on-moto", log))
    report = {"commit": common.git_commit(), "results": results}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"update mailed to {args.backers} backers (commit {report['commit']})")
    print(f"{'transport':<12} {'queued':>7} {'rows/s':>8} {'runs':>5} {'sent':>7} {'failed':>6} {'mails/s':>8}")
    for r in results:
        print(f"{r['transport']:<12} {r['queued']:>7} {r['rows_per_s']:>8} {r['queue_runs']:>5} {r['sent']:>7} "
              f"{r['failed']:>6} {r['mails_per_s']:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
