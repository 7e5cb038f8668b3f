"""The DynamoDB store's short-lived keys: rate-limit windows, marks, and digital rewards' codes.

A mixin of :class:`functions.store.dynamodb.DynamoDBStore`, on its :class:`TableClient`; the
item layout is in :mod:`functions.store.dynamodb`'s docstring.
"""

from __future__ import annotations

import datetime as dt
import random
import time

from functions.core.errors import Unavailable
from functions.store.dynamodb_table import TableClient
from functions.store.dynamodb_table import integer as _int, key as _key, n as _n, s as _s


class DynamoDBLimits(TableClient):
    """Rate limits (``HIT#``), marks with an expiry (``MARK#``) and the code each pledge was given (``CODE#``)."""

    # -- rate limits ---------------------------------------------------------------------
    def hit(self, key: str, limit: int, expires_at: dt.datetime, now: dt.datetime) -> bool:
        """Count one hit on ``key``; False, writing nothing, past ``limit`` (one conditional update)."""
        from botocore.exceptions import ClientError

        try:
            self._call("update_item", Key=_key(f"HIT#{key}", "HIT"),
                       UpdateExpression="ADD #c :one SET #t = if_not_exists(#t, :ttl)",
                       ConditionExpression="attribute_not_exists(#c) OR #c < :limit",
                       ExpressionAttributeNames={"#c": "count", "#t": "ttl"},
                       ExpressionAttributeValues={":one": _n(1), ":limit": _n(limit),
                                                  ":ttl": _n(int(expires_at.timestamp()) + 60)})
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def mark(self, key: str, value: str, expires_at: dt.datetime, now: dt.datetime) -> str | None:
        """Set the mark; the value it held before (one UpdateItem returning the old item)."""
        old = self._call("update_item", Key=_key(f"MARK#{key}", "MARK"),
                         UpdateExpression="SET #v = :v, #e = :e, #t = :ttl",
                         ExpressionAttributeNames={"#v": "value", "#e": "expires", "#t": "ttl"},
                         ExpressionAttributeValues={":v": _s(value), ":e": _n(int(expires_at.timestamp())),
                                                    ":ttl": _n(int(expires_at.timestamp()) + 60)},
                         ReturnValues="ALL_OLD").get("Attributes")
        return _mark_value(old, now)

    # -- digital rewards ---------------------------------------------------------------
    def take_code(self, campaign: str, reward: str, pledge_id: str, count: int) -> int | None:
        """The pledge's code index: one transaction moves the counter from ``taken`` to ``taken + 1``
        (conditional on it still being ``taken``, below ``count``) and creates the pledge's record
        (conditional on it not existing), so an index is given once and a pledge keeps its own.
        A concurrent taker makes the counter's condition fail: read again and retry."""
        mine = _key(f"CODE#{pledge_id}", f"{campaign}#{reward}")
        counter = _key(f"CODES#{campaign}", reward)
        for attempt in range(200):  # each failed round means another pledge got a code
            held = self._call("get_item", Key=mine, ConsistentRead=True).get("Item")
            if held is not None:
                return _int(held, "index")
            taken = _int(self._call("get_item", Key=counter, ConsistentRead=True).get("Item") or {}, "taken")
            if taken >= count:
                return None
            reasons = self._transact([
                {"Update": {"TableName": self.table, "Key": counter, "UpdateExpression": "SET #t = :next",
                            "ConditionExpression": "attribute_not_exists(#t) AND :taken = :zero OR #t = :taken",
                            "ExpressionAttributeNames": {"#t": "taken"},
                            "ExpressionAttributeValues": {":next": _n(taken + 1), ":taken": _n(taken),
                                                          ":zero": _n(0)}}},
                {"Put": self._new({**mine, "index": _n(taken), "campaign_reward": _s(f"{campaign}#{reward}")})}])
            if reasons is None:
                return taken
            time.sleep(random.uniform(0, min(0.2, 0.005 * 2 ** min(attempt, 6))))
        raise Unavailable("too many backers at once took a code; try again in a moment")

    def marked(self, key: str, now: dt.datetime) -> str | None:
        return _mark_value(self._get(f"MARK#{key}", "MARK"), now)


def _mark_value(item: dict | None, now: dt.datetime) -> str | None:
    """A mark's value while its time runs (DynamoDB's TTL deletes expired items late)."""
    if not item or int(item["expires"]["N"]) <= int(now.timestamp()):
        return None
    return item["value"]["S"]
