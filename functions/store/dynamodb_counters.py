"""The DynamoDB store's counters and referrals: the snapshot a campaign page shows, and
``reconcile --fix``'s reset.

A mixin of :class:`functions.store.dynamodb.DynamoDBStore`, on its :class:`TableClient`; the
item layout is in :mod:`functions.store.dynamodb`'s docstring.
The counters move by ``ADD`` in the ledger's transaction, :meth:`DynamoDBStore.apply`.
"""

from __future__ import annotations

import datetime as dt

from functions.core.ports import Counters, Referral
from functions.store.dynamodb_table import MAX_ITEMS, TableClient
from functions.store.dynamodb_table import integer as _int, key as _key, n as _n, s as _s


class DynamoDBCounters(TableClient):
    """What the pledges added up to: the items of a campaign's partition."""

    def counters(self, campaign: str) -> Counters:
        raised = backers = collected = late_raised = late_backers = 0
        updated = None
        claimed: dict[str, int] = {}
        chosen: dict[str, int] = {}
        days: dict[str, tuple[int, int]] = {}
        for item in self._query(KeyConditionExpression="pk = :pk AND sk < :refs", ConsistentRead=True,
                                ExpressionAttributeValues={":pk": _s(f"CAMPAIGN#{campaign}"),
                                                           ":refs": _s("REF#")}):
            sk = item["sk"]["S"]
            if sk == "COUNTERS":
                raised, backers, collected = _int(item, "raised"), _int(item, "backers"), _int(item, "collected")
                late_raised, late_backers = _int(item, "late_raised"), _int(item, "late_backers")
                updated = item["updated_at"]["S"] if "updated_at" in item else None
            elif sk.startswith("CLAIM#"):
                claimed[sk[len("CLAIM#"):]] = _int(item, "claimed")
            elif sk.startswith("CHOSEN#"):
                chosen[sk[len("CHOSEN#"):]] = _int(item, "backers")
            elif sk.startswith("DAY#"):
                days[sk[len("DAY#"):]] = (_int(item, "raised"), _int(item, "backers"))
        return Counters(campaign=campaign, raised=raised, backers=backers, collected=collected, claimed=claimed,
                        chosen=chosen, days=days, late_raised=late_raised, late_backers=late_backers, updated_at=dt.datetime.fromisoformat(updated) if updated else None)

    def referral(self, code: str, campaign: str | None = None) -> Referral | None:
        if campaign is None:
            owner = self._get(f"REFCODE#{code}", "OWNER")
            if owner is None:
                return None
            campaign = owner["campaign"]["S"]
        item = self._get(f"CAMPAIGN#{campaign}", f"REF#{code}") or {}
        return Referral(code=code, campaign=campaign, pledges=_int(item, "pledges"), raised=_int(item, "raised"))

    def top_referrals(self, campaign: str, limit: int) -> list[Referral]:
        items = self._query(KeyConditionExpression="pk = :pk AND begins_with(sk, :ref)", ConsistentRead=True,
                            ExpressionAttributeValues={":pk": _s(f"CAMPAIGN#{campaign}"), ":ref": _s("REF#")})
        found = [Referral(code=item["sk"]["S"][len("REF#"):], campaign=campaign, pledges=_int(item, "pledges"),
                          raised=_int(item, "raised")) for item in items]
        found = [r for r in found if r.pledges > 0]
        found.sort(key=lambda r: (-r.raised, -r.pledges, r.code))
        return found[:limit]


    def reset_counters(self, campaign: str, counters: Counters, referrals: list[Referral]) -> None:
        partition = f"CAMPAIGN#{campaign}"
        totals = {**_key(partition, "COUNTERS"), "raised": _n(counters.raised), "backers": _n(counters.backers),
                  "collected": _n(counters.collected), "late_raised": _n(counters.late_raised),
                  "late_backers": _n(counters.late_backers)}
        if counters.updated_at is not None:
            totals["updated_at"] = _s(counters.updated_at.isoformat())
        wanted = [totals]
        wanted += [{**_key(partition, f"CLAIM#{reward}"), "claimed": _n(n)}
                   for reward, n in sorted(counters.claimed.items())]
        wanted += [{**_key(partition, f"CHOSEN#{reward}"), "backers": _n(n)}
                   for reward, n in sorted(counters.chosen.items())]
        wanted += [{**_key(partition, f"DAY#{day}"), "raised": _n(r), "backers": _n(b)}
                   for day, (r, b) in sorted(counters.days.items())]
        wanted += [{**_key(partition, f"REF#{r.code}"), "pledges": _n(r.pledges), "raised": _n(r.raised)}
                   for r in referrals]
        keep = {item["sk"]["S"] for item in wanted}
        existing = [item["sk"]["S"] for item in self._query(
            KeyConditionExpression="pk = :pk", ConsistentRead=True, ProjectionExpression="sk",
            ExpressionAttributeValues={":pk": _s(partition)})]
        ops = [{"Put": {"TableName": self.table, "Item": item}} for item in wanted]
        ops += [{"Delete": {"TableName": self.table, "Key": _key(partition, sk)}}
                for sk in existing if sk not in keep and sk.startswith(("COUNTERS", "CHOSEN#", "CLAIM#", "DAY#", "REF#"))]
        for start in range(0, len(ops), MAX_ITEMS):
            if self._transact(ops[start:start + MAX_ITEMS]) is not None:
                raise AssertionError("an unconditional write failed a condition")
