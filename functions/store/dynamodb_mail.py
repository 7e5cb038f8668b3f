"""The DynamoDB store's mail queue: one ``MAIL#`` item a message, listed while due.

A mixin of :class:`functions.store.dynamodb.DynamoDBStore`, on its :class:`TableClient`; the
item layout is in :mod:`functions.store.dynamodb`'s docstring.
:func:`mail_item` is also what :meth:`DynamoDBStore.apply` writes a pledge change's mails as.
"""

from __future__ import annotations

import datetime as dt
import json

from functions.core.mail import DUE, SENDING, Mail, from_record as mail_from, to_record as mail_record
from functions.store.dynamodb_table import INDEX, TableClient
from functions.store.dynamodb_table import key as _key, n as _n, s as _s

MAIL_QUEUE = "MAILQ"  # never a campaign slug (slugs are lower case): the queue shares the by_campaign index


class DynamoDBMail(TableClient):
    """The queue of mails to send, claimed and finished by conditional Puts."""

    # -- mail ---------------------------------------------------------------------------
    def queue_mail(self, mail: Mail) -> bool:
        """Queue a message not tied to a pledge change; False if that id was queued before."""
        reasons = self._transact([{"Put": self._new(mail_item(mail))}])
        return reasons is None

    def get_mail(self, mail_id: str) -> Mail | None:
        item = self._get(f"MAIL#{mail_id}", "MAIL")
        return mail_from(json.loads(item["data"]["S"])) if item else None

    def due_mails(self, now: dt.datetime, limit: int = 50) -> list[Mail]:
        """Rows to send (the queue is the sparse index entries under ``campaign = MAILQ``)."""
        items = self._query(IndexName=INDEX, KeyConditionExpression="#c = :q", ExpressionAttributeNames={"#c": "campaign"},
                            ExpressionAttributeValues={":q": _s(MAIL_QUEUE)}, Limit=limit * 4)
        out = []
        for item in items:
            mail = mail_from(json.loads(item["data"]["S"]))
            if mail.ready(now):
                out.append(mail)
            if len(out) >= limit:
                break
        return out

    def save_mail(self, before: Mail, after: Mail) -> bool:
        """Replace a row if it is still ``before`` (same status and attempts): claim or finish it."""
        reasons = self._transact([{"Put": {
            "TableName": self.table, "Item": mail_item(after),
            "ConditionExpression": "#s = :s AND #a = :a", "ExpressionAttributeNames": {"#s": "status", "#a": "attempts"},
            "ExpressionAttributeValues": {":s": _s(before.status), ":a": _n(before.attempts)}}}])
        return reasons is None


def mail_item(mail: Mail) -> dict:
    """A mail's item; one still to send carries the sparse index's ``campaign = MAILQ``."""
    item = {**_key(f"MAIL#{mail.id}", "MAIL"), "status": _s(mail.status), "attempts": _n(mail.attempts),
            "data": _s(json.dumps(mail_record(mail), sort_keys=True, separators=(",", ":")))}
    if mail.status in (DUE, SENDING):
        stamp = mail.created_at.isoformat() if mail.created_at else ""
        item["campaign"], item["created"] = _s(MAIL_QUEUE), _s(f"{stamp}#{mail.id}")
    return item
