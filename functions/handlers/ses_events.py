"""Bounces and complaints from SES (configuration set → SNS → this function).

A hard bounce or a complaint puts the address on the suppression list (only
its hash is kept): it is never mailed again. Soft bounces are ignored (SES
retries them itself).
"""

from __future__ import annotations

import json
import logging

from functions.core.reminders import address_hash
from functions.runtime import current

log = logging.getLogger("cagnotte.ses")


def suppressions(notification: dict) -> list[tuple[str, str]]:
    """(address, reason) pairs a SES event notification asks to suppress."""
    kind = notification.get("eventType") or notification.get("notificationType")
    if kind == "Bounce":
        bounce = notification.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []
        return [(r["emailAddress"], "bounce") for r in bounce.get("bouncedRecipients", []) if r.get("emailAddress")]
    if kind == "Complaint":
        complaint = notification.get("complaint") or {}
        return [(r["emailAddress"], "complaint") for r in complaint.get("complainedRecipients", [])
                if r.get("emailAddress")]
    return []


def handler(event: dict, context=None) -> dict:
    runtime = current()
    count = 0
    for record in event.get("Records", []):
        try:
            notification = json.loads((record.get("Sns") or {}).get("Message") or "{}")
        except ValueError:
            continue
        for address, reason in suppressions(notification):
            runtime.store.suppress(address_hash(address), reason, runtime.now())
            count += 1
    log.info("suppressed %d address(es)", count)  # never the addresses themselves
    return {"suppressed": count}
