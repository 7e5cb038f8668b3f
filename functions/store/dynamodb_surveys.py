"""The DynamoDB store's pledge manager: a backer's survey answers and address, and a campaign's
flags (addresses locked).

A mixin of :class:`functions.store.dynamodb.DynamoDBStore`, on its :class:`TableClient`; the
item layout is in :mod:`functions.store.dynamodb`'s docstring.
"""

from __future__ import annotations

import datetime as dt
import json

from functions.core import survey as survey_records
from functions.store.dynamodb_table import INDEX, TableClient
from functions.store.dynamodb_table import key as _key, s as _s


class DynamoDBSurveys(TableClient):
    """Survey answers, written in one transaction with the check that addresses are not locked."""

    # -- the pledge manager --------------------------------------------------------------
    def save_survey(self, survey: survey_records.Survey) -> bool:
        """Write a backer's answers unless the campaign's addresses are locked (False: nothing written)."""
        item = {**_key(f"SURVEY#{survey.pledge_id}", "SURVEY"), "campaign": _s(f"SURVEYS#{survey.campaign}"),
                "created": _s(survey.pledge_id),
                "data": _s(json.dumps(survey_records.to_record(survey), sort_keys=True, separators=(",", ":"),
                                      ensure_ascii=False))}
        return self._transact([
            {"ConditionCheck": {"TableName": self.table, "Key": _key(f"FLAGS#{survey.campaign}", "ADDRESSES_LOCKED"),
                                "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": self.table, "Item": item}}]) is None

    def get_survey(self, pledge_id: str) -> survey_records.Survey | None:
        item = self._get(f"SURVEY#{pledge_id}", "SURVEY")
        return survey_records.from_record(json.loads(item["data"]["S"])) if item else None

    def surveys(self, campaign: str) -> list[survey_records.Survey]:
        return [survey_records.from_record(json.loads(item["data"]["S"])) for item in self._query(
            IndexName=INDEX, KeyConditionExpression="#c = :c", ExpressionAttributeNames={"#c": "campaign"},
            ExpressionAttributeValues={":c": _s(f"SURVEYS#{campaign}")}, ScanIndexForward=True)]

    def lock_addresses(self, campaign: str, now: dt.datetime) -> bool:
        """Lock a campaign's addresses (and answers) for shipping: True when this call locked them."""
        return self._transact([{"Put": self._new({**_key(f"FLAGS#{campaign}", "ADDRESSES_LOCKED"),
                                                  "at": _s(now.isoformat())})}]) is None

    def addresses_locked(self, campaign: str) -> dt.datetime | None:
        item = self._get(f"FLAGS#{campaign}", "ADDRESSES_LOCKED")
        return dt.datetime.fromisoformat(item["at"]["S"]) if item else None
