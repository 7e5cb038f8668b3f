"""The DynamoDB store's audience: launch reminders, suppressed addresses, and public comments.

A mixin of :class:`functions.store.dynamodb.DynamoDBStore`, on its :class:`TableClient`; the
item layout is in :mod:`functions.store.dynamodb`'s docstring.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from functions.core import comments as comment_records
from functions.core.comments import HIDDEN, PENDING as COMMENT_PENDING, VISIBLE, Comment
from functions.core.reminders import Reminder, from_record as reminder_from, to_record as reminder_record
from functions.core.ports import Duplicate
from functions.store.dynamodb_table import INDEX, MAX_ITEMS, TableClient
from functions.store.dynamodb_table import key as _key, s as _s


class DynamoDBAudience(TableClient):
    """Who hears from a campaign: reminder sign-ups, addresses never to mail, and comments."""

    # -- launch reminders and suppressed addresses ----------------------------------------
    def add_reminder(self, reminder: Reminder) -> Reminder:
        """Store a sign-up unless that address already signed up; the stored one."""
        self._transact([{"Put": self._new(_reminder_item(reminder))}])
        return self.get_reminder(reminder.campaign, reminder.id)

    def get_reminder(self, campaign: str, reminder_id: str) -> Reminder | None:
        item = self._get(f"CAMPAIGN#{campaign}", f"REMIND#{reminder_id}")
        return reminder_from(json.loads(item["data"]["S"])) if item else None

    def save_reminder(self, reminder: Reminder) -> None:
        self._transact([{"Put": {"TableName": self.table, "Item": _reminder_item(reminder),
                                 "ConditionExpression": "attribute_exists(pk)"}}])

    def delete_reminder(self, campaign: str, reminder_id: str) -> bool:
        reasons = self._transact([{"Delete": {"TableName": self.table,
                                              "Key": _key(f"CAMPAIGN#{campaign}", f"REMIND#{reminder_id}"),
                                              "ConditionExpression": "attribute_exists(pk)"}}])
        return reasons is None

    def reminders(self, campaign: str) -> list[Reminder]:
        items = self._query(KeyConditionExpression="pk = :pk AND begins_with(sk, :r)", ConsistentRead=True,
                            ExpressionAttributeValues={":pk": _s(f"CAMPAIGN#{campaign}"), ":r": _s("REMIND#")})
        found = [reminder_from(json.loads(item["data"]["S"])) for item in items]
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def suppress(self, address_hash: str, reason: str, now: dt.datetime) -> None:
        self._transact([{"Put": {"TableName": self.table, "Item": {
            **_key(f"SUPPRESSED#{address_hash}", "SUPPRESSED"), "reason": _s(reason), "at": _s(now.isoformat())}}}])

    def is_suppressed(self, address_hash: str) -> bool:
        return self._get(f"SUPPRESSED#{address_hash}", "SUPPRESSED") is not None

    # -- comments ----------------------------------------------------------------------
    def add_comment(self, comment: Comment) -> None:
        """Store a new comment (pending or visible); :class:`Duplicate` when its id exists."""
        items = [{"Put": self._new(_comment_item(comment))}]
        if comment.status == VISIBLE:
            items.append({"Put": {"TableName": self.table, "Item": _listed_item(comment)}})
        if self._transact(items) is not None:
            raise Duplicate(f"comment {comment.id} exists")

    def get_comment(self, campaign: str, comment_id: str) -> Comment | None:
        item = self._get(f"COMMENT#{comment_id}", "COMMENT")
        found = _comment(item) if item else None
        return found if found is not None and found.campaign == campaign else None

    def _set_comment(self, before: Comment | None, after: Comment | None) -> Comment | None:
        """Write ``after`` over ``before`` if the stored status is still ``before``'s; its listing follows."""
        if before is None or after is None:
            return None
        items = [{"Put": {"TableName": self.table, "Item": _comment_item(after), "ConditionExpression": "#s = :s",
                          "ExpressionAttributeNames": {"#s": "status"},
                          "ExpressionAttributeValues": {":s": _s(before.status)}}}]
        listing, pin = _key(f"COMMENTS#{after.campaign}", after.key), _key(f"COMMENTS#{after.campaign}",
                                                                            f"PIN#{after.key}")
        if after.status == VISIBLE:
            items.append({"Put": {"TableName": self.table, "Item": _listed_item(after)}})
        else:
            items.append({"Delete": {"TableName": self.table, "Key": listing}})
        if after.pinned and after.status == VISIBLE:
            items.append({"Put": {"TableName": self.table, "Item": {**pin, "data": _listed_item(after)["data"]}}})
        elif before.pinned:
            items.append({"Delete": {"TableName": self.table, "Key": pin}})
        return after if self._transact(items) is None else None

    def confirm_comment(self, campaign: str, comment_id: str) -> Comment | None:
        """Pending → visible: the comment when this call published it, None otherwise (once only)."""
        before = self.get_comment(campaign, comment_id)
        ok = before is not None and before.status == COMMENT_PENDING
        return self._set_comment(before, dataclasses.replace(before, status=VISIBLE) if ok else None)

    def hide_comment(self, campaign: str, comment_id: str) -> bool:
        before = self.get_comment(campaign, comment_id)
        ok = before is not None and before.status in (VISIBLE, COMMENT_PENDING)
        return self._set_comment(before, dataclasses.replace(before, status=HIDDEN, pinned=False)
                                 if ok else None) is not None

    def pin_comment(self, campaign: str, comment_id: str, pinned: bool = True) -> bool:
        """Pin (or unpin) a visible comment that is not a reply; False otherwise."""
        before = self.get_comment(campaign, comment_id)
        ok = before is not None and before.status == VISIBLE and before.parent is None
        return self._set_comment(before, dataclasses.replace(before, pinned=pinned) if ok else None) is not None

    def delete_comment(self, campaign: str, comment_id: str) -> bool:
        """Delete a comment and its replies (their items, listings and pins)."""
        found = self.get_comment(campaign, comment_id)
        if found is None:
            return False
        gone = [found] + [c for c in self.all_comments(campaign) if c.parent == comment_id]
        partition = f"COMMENTS#{campaign}"
        keys = []
        for c in gone:
            keys += [_key(f"COMMENT#{c.id}", "COMMENT"), _key(partition, c.key), _key(partition, f"PIN#{c.key}")]
        ops = [{"Delete": {"TableName": self.table, "Key": k}} for k in keys]
        for start in range(0, len(ops), MAX_ITEMS):
            self._transact(ops[start:start + MAX_ITEMS])
        return True

    def comment_page(self, campaign: str, before: str | None, threads: int) -> tuple[list[Comment], str | None]:
        """Visible comments of the ``threads`` newest threads older than ``before`` (newest first,
        replies included), and the key to continue from (None: no older thread).

        Descending, a thread's replies come just before its comment: the page ends at the
        ``threads``-th comment, and one more comment seen says that there is more.
        """
        query = {"KeyConditionExpression": "pk = :pk AND sk < :before", "ScanIndexForward": False,
                 "ConsistentRead": True, "Limit": 100,
                 # "A" is above every thread key (they start with a digit) and below "PIN#"
                 "ExpressionAttributeValues": {":pk": _s(f"COMMENTS#{campaign}"), ":before": _s(before or "A")}}
        found: list[Comment] = []
        parents, end = 0, 0  # end: just past the last whole thread
        while True:
            page = self._call("query", **query)
            for item in page.get("Items", []):
                comment = _comment(item)
                if comment.parent is None:
                    if parents == threads:  # one more thread: the page ends with the last one
                        return found[:end], found[end - 1].key
                    parents += 1
                    end = len(found) + 1
                found.append(comment)
            if "LastEvaluatedKey" not in page:
                return found, None
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def pinned_comments(self, campaign: str) -> list[Comment]:
        """Visible pinned comments and their visible replies, newest first."""
        partition = _s(f"COMMENTS#{campaign}")
        pinned = [_comment(item) for item in self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :pin)", ConsistentRead=True,
            ExpressionAttributeValues={":pk": partition, ":pin": _s("PIN#")})]
        out = []
        for comment in pinned:
            out.append(comment)
            out += [_comment(item) for item in self._query(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :thread)", ConsistentRead=True,
                ExpressionAttributeValues={":pk": partition, ":thread": _s(comment.key + "/")})]
        return sorted(out, key=lambda c: c.key, reverse=True)

    def all_comments(self, campaign: str) -> list[Comment]:
        """Every comment of a campaign, whatever its status, in thread order (moderation)."""
        return [_comment(item) for item in self._query(
            IndexName=INDEX, KeyConditionExpression="#c = :c", ExpressionAttributeNames={"#c": "campaign"},
            ExpressionAttributeValues={":c": _s(f"COMMENTS#{campaign}")}, ScanIndexForward=True)]


def _reminder_item(reminder: Reminder) -> dict:
    return {**_key(f"CAMPAIGN#{reminder.campaign}", f"REMIND#{reminder.id}"),
            "data": _s(json.dumps(reminder_record(reminder), sort_keys=True, separators=(",", ":")))}


def _comment_data(comment: Comment) -> dict:
    return _s(json.dumps(comment_records.to_record(comment), sort_keys=True, separators=(",", ":"),
                         ensure_ascii=False))


def _comment_item(comment: Comment) -> dict:
    return {**_key(f"COMMENT#{comment.id}", "COMMENT"), "data": _comment_data(comment), "status": _s(comment.status),
            "campaign": _s(f"COMMENTS#{comment.campaign}"), "created": _s(comment.key)}


def _listed_item(comment: Comment) -> dict:
    return {**_key(f"COMMENTS#{comment.campaign}", comment.key), "data": _comment_data(comment)}


def _comment(item: dict) -> Comment:
    return comment_records.from_record(json.loads(item["data"]["S"]))
