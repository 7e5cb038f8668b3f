"""The scheduled run (EventBridge, every few minutes): queued mail sent, launch and
fix-your-payment reminders queued, and ``cagnotte settle`` for every
ended all-or-nothing campaign with pledges left to charge or failed payments whose
7-day window has closed. Resumable: a run cut short by Lambda's time limit is
finished by the next one, charging nobody twice.
"""

from __future__ import annotations

import logging

from functions.core.flows import queue_scheduled_mail
from functions.core.settle import settle_due
from functions.core.errors import Unavailable
from functions.runtime import current

log = logging.getLogger("cagnotte.settle")


def handler(event: dict | None = None, context=None) -> dict:
    runtime = current()
    try:
        payments = runtime.payments
    except Unavailable:
        payments = None  # nothing can be charged; settle says so if a campaign needs it
    summaries = settle_due(list(runtime.catalog.campaigns.values()), store=runtime.store,
                           payments=payments, now=runtime.now(), links=runtime.links)
    queue_scheduled_mail(catalog=runtime.catalog, store=runtime.store, links=runtime.links, now=runtime.now(),
                         payments=payments, creators=runtime.creators)
    runtime.send_due_mail(limit=500)
    report = [{"campaign": s.campaign, "outcome": s.outcome, "charged": s.charged, "failed": s.failed,
               "cancelled": s.cancelled, "dropped": s.dropped, "refunded_extra": s.refunded_extra,
               "processing": s.processing, "retry": s.retry} for s in summaries]
    for line in report:
        log.info("settled %s", line)
        if line["refunded_extra"]:
            log.warning("%s: %d second payment(s) of a fixed pledge refunded automatically", line["campaign"],
                        line["refunded_extra"])
    return {"settled": report}
