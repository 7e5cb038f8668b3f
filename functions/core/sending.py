"""Draining the mail queue: claim, render, send, mark — at most once per row.

A row is claimed by a conditional write (``due`` → ``sending`` with a lease);
only the claimer sends it. After the transport accepts it the row is marked
``sent`` and its address cleared. A transport failure puts it back ``due``
(after :data:`~functions.core.mail.MAX_ATTEMPTS` it is ``failed``, kept for the
operator). A sender that dies between the transport's acceptance and the mark
leaves a ``sending`` row whose lease expires: that narrow window is the only
way a message could go twice, and it needs a crash at that exact point.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from typing import Callable

from .mail import DUE, FAILED, LEASE, MAX_ATTEMPTS, SENDING, SENT, Mail, MailError, Mailer, Message, valid_address

log = logging.getLogger("cagnotte.mail")


@dataclass
class Sent:
    sent: int = 0
    retry: int = 0
    failed: int = 0


def send_due(store, mailer: Mailer, render: Callable[[Mail], Message], now: dt.datetime,
             limit: int = 50, suppressed: Callable[[str], bool] | None = None) -> Sent:
    """Send what is due (up to ``limit`` rows)."""
    tally = Sent()
    for mail in store.due_mails(now, limit):
        claimed = replace(mail, status=SENDING, attempts=mail.attempts + 1, lease_until=now + LEASE)
        if not store.save_mail(mail, claimed):
            continue  # another sender took it
        if not valid_address(claimed.to):
            # A row no transport can send (a line break in the address, written before the
            # door refused them): failed at once, so it neither stays "sending" nor stops the batch.
            log.warning("mail %s: its address cannot be sent to; marked failed", claimed.id)
            store.save_mail(claimed, replace(claimed, status=FAILED, to="", lease_until=None))
            tally.failed += 1
            continue
        if suppressed is not None and (suppressed(claimed.to) or (
                claimed.kind == "update" and _updates_off(store, claimed))):
            store.save_mail(claimed, replace(claimed, status=FAILED, to="", lease_until=None))
            tally.failed += 1
            continue
        try:
            message = render(claimed)
        except Exception:  # a template or data problem: the operator must look; retry later
            log.exception("mail %s could not be rendered", claimed.id)
            final = claimed.attempts >= MAX_ATTEMPTS
            store.save_mail(claimed, replace(claimed, status=FAILED if final else DUE, lease_until=None))
            tally.failed += final
            tally.retry += not final
            continue
        try:
            message_id = mailer.send(message)
        except MailError as error:
            final = claimed.attempts >= MAX_ATTEMPTS
            store.save_mail(claimed, replace(claimed, status=FAILED if final else DUE, lease_until=None))
            log.warning("mail %s not sent (attempt %d): %s", claimed.id, claimed.attempts, error)
            tally.failed += final
            tally.retry += not final
            continue
        except Exception:  # the message cannot be written at all (a transport's ValueError): not retried
            log.exception("mail %s could not be sent; marked failed", claimed.id)
            store.save_mail(claimed, replace(claimed, status=FAILED, lease_until=None))
            tally.failed += 1
            continue
        # Sent: forget the address (privacy), keep the fact and the transport's id.
        store.save_mail(claimed, replace(claimed, status=SENT, to="", lease_until=None, sent_at=now,
                                         message_id=message_id))
        tally.sent += 1
    return tally


def _updates_off(store, mail: Mail) -> bool:
    """The recipient asked for no more of this campaign's updates after the row was queued."""
    from .updates import unsubscribed_key

    return store.is_suppressed(unsubscribed_key(mail.campaign, mail.to))
