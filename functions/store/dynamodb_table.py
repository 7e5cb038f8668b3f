"""The DynamoDB table itself: the client, calls with retries, and creating the table.

:class:`TableClient` is what :class:`functions.store.dynamodb.DynamoDBStore`
stands on: one ``TransactWriteItems`` retried while a concurrent transaction or
throttling cancels it (nothing was written), paginated queries, consistent
reads, and the table (with its ``by_campaign`` index and TTL) created on first
use where it is missing. The store decides *what* to write; this module only
how to talk to DynamoDB.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any, Callable

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError, ReadTimeoutError

from functions.core.errors import Unavailable

INDEX = "by_campaign"
ATTEMPTS = 10  # for transactions cancelled by a concurrent one (nothing was written)
_TRANSIENT_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})
# (TransactionInProgressException is botocore's to retry, with the same token.)
_TRANSIENT_ERRORS = frozenset({"TransactionConflictException", "ThrottlingException", "RequestLimitExceeded",
                               "ProvisionedThroughputExceededException"})
CONDITION_FAILED = "ConditionalCheckFailed"
MAX_ITEMS = 100  # in one TransactWriteItems

_sleep: Callable[[float], None] = time.sleep  # tests replace it


class TableClient:
    """One DynamoDB table through a thread-safe boto3 client."""

    def __init__(self, table: str, client: Any = None):
        self.table = table
        self._owns_client = client is None
        if client is None:
            session = boto3.session.Session()
            # Endpoint: boto3's own AWS_ENDPOINT_URL(_DYNAMODB); room for many threads.
            # Bounded waits: a table that cannot be reached is a 503 within the function's
            # time (Lambda's 10 s), not a 60 s hang of botocore's defaults.
            client = session.client("dynamodb", region_name=session.region_name or "us-east-1",
                                    config=Config(max_pool_connections=64, connect_timeout=2, read_timeout=4,
                                                  retries={"max_attempts": 2, "mode": "standard"}))
        self.client = client
        self._create_lock = threading.Lock()
        self._created = False

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def _new(self, item: dict) -> dict:
        """A Put that only creates."""
        return {"TableName": self.table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}

    # -- calls -----------------------------------------------------------------------
    def _transact(self, items: list[dict]) -> list[str] | None:
        """Run one transaction: None when it committed, else each item's failure code.

        Cancellations that wrote nothing and may pass next time (a concurrent
        transaction on one of the items, throttling) are retried with backoff.
        """
        for attempt in range(ATTEMPTS):
            try:
                self._call("transact_write_items", TransactItems=items)
                return None
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if code == "TransactionCanceledException":
                    reasons = [r.get("Code") or "None" for r in error.response.get("CancellationReasons", [])]
                    if CONDITION_FAILED in reasons:
                        return reasons
                    if not _TRANSIENT_REASONS.intersection(reasons):
                        raise
                elif code not in _TRANSIENT_ERRORS:
                    raise
                if attempt == ATTEMPTS - 1:
                    raise
            # Full jitter: 10 ms, 20 ms, … up to 1 s.
            _sleep(random.uniform(0, min(1.0, 0.01 * 2 ** attempt)))
        raise AssertionError("unreachable")

    def _get(self, pk: str, sk: str) -> dict | None:
        return self._call("get_item", Key=key(pk, sk), ConsistentRead=True).get("Item")

    def _query(self, **query) -> list[dict]:
        items: list[dict] = []
        while True:
            page = self._call("query", **query)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return items
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _call(self, operation: str, **params) -> dict:
        """Call the client on this table; create the table if it is missing, once."""
        if operation != "transact_write_items":
            params["TableName"] = self.table
        try:
            try:
                return getattr(self.client, operation)(**params)
            except ClientError as error:
                if self._created or not _missing_table(error):
                    raise
            self._create_table()
            return getattr(self.client, operation)(**params)
        except (BotoConnectionError, ReadTimeoutError):  # EndpointConnectionError, ConnectTimeoutError…
            raise Unavailable("the pledge store cannot be reached; try again in a moment") from None

    def _create_table(self) -> None:
        with self._create_lock:
            if self._created:
                return
            try:
                self.client.create_table(
                    TableName=self.table, BillingMode="PAY_PER_REQUEST",
                    AttributeDefinitions=[{"AttributeName": name, "AttributeType": "S"}
                                          for name in ("pk", "sk", "campaign", "created")],
                    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                               {"AttributeName": "sk", "KeyType": "RANGE"}],
                    GlobalSecondaryIndexes=[{
                        "IndexName": INDEX, "Projection": {"ProjectionType": "ALL"},
                        "KeySchema": [{"AttributeName": "campaign", "KeyType": "HASH"},
                                      {"AttributeName": "created", "KeyType": "RANGE"}]}])
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "ResourceInUseException":
                    raise  # else another process is creating it: wait for it below
            self._wait_active()
            try:
                self.client.update_time_to_live(
                    TableName=self.table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})
            except ClientError:
                pass  # already enabled, or an emulator without TTL: event ids just stay
            self._created = True

    def _wait_active(self, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            table = self.client.describe_table(TableName=self.table)["Table"]
            statuses = [table["TableStatus"]] + [i.get("IndexStatus", "ACTIVE")
                                                 for i in table.get("GlobalSecondaryIndexes", [])]
            if all(status == "ACTIVE" for status in statuses):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"DynamoDB table {self.table} is still {statuses} after {timeout:.0f} s")
            time.sleep(1.0)


def _missing_table(error: ClientError) -> bool:
    response = error.response
    if response.get("Error", {}).get("Code") == "ResourceNotFoundException":
        return True
    # moto reports a transaction on a missing table as a cancellation with that reason.
    return any(r.get("Code") == "ResourceNotFoundException" for r in response.get("CancellationReasons", []))


def key(pk: str, sk: str) -> dict:
    """An item's primary key."""
    return {"pk": s(pk), "sk": s(sk)}


def s(value: str) -> dict:
    """A string attribute."""
    return {"S": value}


def n(value: int) -> dict:
    """A number attribute (integers only: money never becomes a float)."""
    return {"N": str(int(value))}


def integer(item: dict, name: str) -> int:
    """A number attribute back as an int (0 when absent)."""
    return int(item[name]["N"]) if name in item else 0
