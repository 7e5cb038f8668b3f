"""The scheduled settlement (EventBridge, a few times a day): ``cagnotte settle`` for every
ended all-or-nothing campaign with pledges left to charge or failed payments whose
7-day window has closed. Resumable: a run cut short by Lambda's time limit is
finished by the next one, charging nobody twice.
"""

from __future__ import annotations

import logging

from functions.core.settle import settle_due
from functions.runtime import current

log = logging.getLogger("cagnotte.settle")


def handler(event: dict | None = None, context=None) -> dict:
    runtime = current()
    summaries = settle_due(list(runtime.catalog.campaigns.values()), store=runtime.store,
                           payments=runtime.payments, now=runtime.now(), links=runtime.links)
    runtime.send_due_mail()
    report = [{"campaign": s.campaign, "outcome": s.outcome, "charged": s.charged, "failed": s.failed,
               "cancelled": s.cancelled, "dropped": s.dropped, "retry": s.retry} for s in summaries]
    for line in report:
        log.info("settled %s", line)
    return {"settled": report}
