"""The production store: one DynamoDB table, on demand (``dynamodb://TABLE``).

It behaves as :class:`functions.store.sqlite.SQLiteStore` does: every write is
one ``TransactWriteItems`` whose operations are conditional (``claimed +
delta <= limit``, ``version = :before``, ``attribute_not_exists`` on ids), and every
counter moves by an atomic ``ADD``: nothing is ever read, modified and written
back.

Item layout (keys ``pk``/``sk``, both strings)::

    pk                   sk            attributes
    PLEDGE#<id>          PLEDGE        data (JSON), version, status, campaign, created
    SESSION#<cs_…>       SESSION       pledge_id                   (checkout session → pledge)
    INTENT#<pi_…>        INTENT        pledge_id                   (PaymentIntent → pledge)
    EVENT#<evt_…>        EVENT         pledge_id, applied_at, ttl  (each Stripe event once)
    REFCODE#<code>       OWNER         campaign, pledge_id         (a backer's own code)
    CAMPAIGN#<slug>      CLAIM#<reward>  claimed
    CAMPAIGN#<slug>      COUNTERS      raised, backers, collected, updated_at
    CAMPAIGN#<slug>      DAY#<date>    raised, backers             (history, UTC days)
    CAMPAIGN#<slug>      REF#<code>    pledges, raised             (what a code brought)
    CAMPAIGN#<slug>      CHOSEN#<reward>  backers                  (counted backers of a reward)
    CODES#<slug>         <reward>      taken                       (digital codes handed out so far)
    CODE#<pledge id>     <slug>#<reward>  index                    (the code that pledge got, for ever)
    COMMENT#<id>         COMMENT       data, status, campaign = COMMENTS#<slug>, created = thread key
    COMMENTS#<slug>      <thread key>  data                        (a visible comment, listed newest first)
    COMMENTS#<slug>      PIN#<key>     data                        (a pinned one, shown first)
    SURVEY#<pledge id>   SURVEY        data, campaign = SURVEYS#<slug>, created = pledge id  (survey answers)
    FLAGS#<slug>         ADDRESSES_LOCKED  at                      (`cagnotte lock`: no more answers)

A survey's answers (the pledge manager, functions/core/survey.py) are written
in one transaction with a check that its campaign's ``FLAGS#`` item is absent,
so no answer lands after `cagnotte lock` has returned. The flags live in a
partition of their own, out of the campaign's counters Query.

A comment is its ``COMMENT#`` item (the truth, found by id; the ``by_campaign``
index lists a campaign's whatever their status, under ``COMMENTS#<slug>``, which
no slug can be); while it is visible, a copy sits in its campaign's listing
partition under its thread key (functions/core/comments.py), so a page is one
descending Query that never reads a pending or hidden one. Publishing, hiding
and pinning move the two (three) items in one transaction, conditional on the
comment's status.

One transaction never names an item twice (DynamoDB refuses it): pledges,
sessions, intents, events and code owners have partitions of their own, and a
campaign's counters, claims (one per reward: a change of reward names two),
days and referrals differ by their ``sk`` prefix. The session and intent
lookups are written in the transaction that sets the pledge's id for them (the
old lookup deleted there when it changes); a lookup names one pledge, as
SQLite's UNIQUE columns do, and a read checks that the pledge still has it.

``CHOSEN#`` < ``CLAIM#`` < ``COUNTERS`` < ``DAY#`` < ``REF#``, so :meth:`counters` is one
strongly consistent Query ``sk < "REF#"`` on the campaign's partition, which
leaves its (possibly many) referrals out.

``pledges(campaign)`` reads the sparse global secondary index ``by_campaign``
(hash ``campaign``, range ``created`` = ``<created_at ISO>#<id>``, projection
ALL): only pledge items carry those two attributes. ISO strings sort as times
and ``#`` sorts below every character an ISO date continues with, so the index
orders pledges exactly as SQLite's ``ORDER BY created_at, id``. A GSI is
eventually consistent (moto's is immediate; AWS's lags by well under a second),
which is fine for exports and ``reconcile``, never used for a decision.

A pledge is stored as one JSON string (``data``, :func:`to_record`'s compact
form, byte for byte what SQLite keeps) plus the few attributes that a key, an
index or a condition needs. The record round-trips exactly (no Decimal, no
empty-string or nested ``None`` rules of the DynamoDB type system), and a field
added to :class:`Pledge` needs no change here. Counters are numbers (``N``,
integers only) because ``ADD`` needs them to be.

Concurrency: DynamoDB cancels a transaction that meets another one on an item
(``TransactionConflict``); under a rush on one limited reward that is common.
Those cancellations wrote nothing, so they are retried with jittered backoff
until the transaction either commits or fails a condition (``SoldOut``,
``Duplicate``, ``Conflict``): a unit is never lost nor counted twice. botocore
retries throttling, network errors and ``TransactionInProgressException`` by
itself, with the same auto-generated ``ClientRequestToken``, so a retried
commit is not applied twice; and every transaction carries a condition that
its own commit makes false (a new id, the pledge's version), so not even a
resend with a new token could count twice.

``reset_counters`` (``reconcile --fix``) overwrites the campaign's counter
items and deletes the others: one transaction when they are at most 100 (the
limit of ``TransactWriteItems``), else several, so a crash midway leaves a mix
that the next ``reconcile`` finds and fixes.

The table is created when the first call finds it missing (an emulator, a
fresh account); in AWS, template.yaml creates it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from functions.core.model import Change, opening_claims
from functions.core.pledge import Pledge, from_record, to_record
from functions.core.ports import Conflict, Duplicate, SoldOut
from functions.store.dynamodb_audience import DynamoDBAudience
from functions.store.dynamodb_counters import DynamoDBCounters
from functions.store.dynamodb_limits import DynamoDBLimits
from functions.store.dynamodb_mail import DynamoDBMail, mail_item as _mail_item
from functions.store.dynamodb_surveys import DynamoDBSurveys
from functions.store.dynamodb_table import CONDITION_FAILED as _FAILED, INDEX, TableClient
from functions.store.dynamodb_table import key as _key, n as _n, s as _s

EVENT_TTL = dt.timedelta(days=90)  # Stripe retries for 3 days; keep ids far longer


# The roles besides the ledger are mixins, a module each: dynamodb_counters, _mail, _limits,
# _audience (reminders, suppression, comments) and _surveys.
class DynamoDBStore(DynamoDBCounters, DynamoDBMail, DynamoDBLimits, DynamoDBAudience, DynamoDBSurveys, TableClient):
    """The ledger and counters in one DynamoDB table (the client is thread-safe)."""

    # -- writes --------------------------------------------------------------------
    def open_pledge(self, pledge: Pledge, limit: int | None) -> None:
        claims = opening_claims(pledge, limit)  # one per item: ids never clash, no item named twice
        items = [{"Update": self._claim(pledge.campaign, c.reward, c.delta, c.limit)} for c in claims]
        items.append({"Put": self._new(self._pledge_item(pledge))})
        items.append({"Put": self._new({**_key(f"REFCODE#{pledge.ref_code}", "OWNER"),
                                        "campaign": _s(pledge.campaign), "pledge_id": _s(pledge.id)})})
        for kind, value in _lookups(pledge):
            items.append({"Put": self._new(_lookup_item(kind, value, pledge.id))})
        reasons = self._transact(items)
        if reasons is None:
            return
        for claim, reason in zip(claims, reasons):
            if reason == _FAILED:
                raise SoldOut(f"'{claim.reward}' of '{pledge.campaign}' is sold out")
        raise Duplicate(f"pledge {pledge.id} or its referral code exists")

    def apply(self, change: Change) -> None:
        before, after = change.before, change.after
        items: list[dict] = []
        roles: list[str] = []  # what a failed condition at each index means

        def add(role: str, op: str, body: dict) -> None:
            roles.append(role)
            items.append({op: {"TableName": self.table, **body}})

        if change.event_id is not None:
            add("event", "Put", {
                "Item": {**_key(f"EVENT#{change.event_id}", "EVENT"), "pledge_id": _s(after.id),
                         "applied_at": _s(after.updated_at.isoformat()),
                         # TTL is storage housekeeping: counted from the wall clock, not `now`.
                         "ttl": _n(int(time.time() + EVENT_TTL.total_seconds()))},
                "ConditionExpression": "attribute_not_exists(pk)"})
        add("pledge", "Put", {"Item": self._pledge_item(after), "ConditionExpression": "#v = :before",
                              "ExpressionAttributeNames": {"#v": "version"},
                              "ExpressionAttributeValues": {":before": _n(before.version)}})
        old, new = dict(_lookups(before)), dict(_lookups(after))
        for kind in ("SESSION", "INTENT"):
            if new.get(kind) != old.get(kind):
                if kind in new:
                    add("lookup", "Put", {"Item": _lookup_item(kind, new[kind], after.id),
                                          "ConditionExpression": "attribute_not_exists(pk) OR pledge_id = :id",
                                          "ExpressionAttributeValues": {":id": _s(after.id)}})
                if kind in old:
                    add("old lookup", "Delete", {"Key": _key(f"{kind}#{old[kind]}", kind)})
        for mail in change.mails:
            # Unconditional: a row id names one transition, which the pledge's version lets happen once.
            add("mail", "Put", {"Item": _mail_item(mail)})
        campaign = f"CAMPAIGN#{after.campaign}"
        for claim in change.claims:
            roles.append(f"claim {claim.reward}")
            items.append({"Update": self._claim(after.campaign, claim.reward, claim.delta, claim.limit)})
        if change.touches_counters:
            # A late pledge counts apart: "raised by the deadline" stays what it was.
            raised, backers = (0, 0) if after.late else (change.raised, change.backers)
            late_raised, late_backers = (change.raised, change.backers) if after.late else (0, 0)
            add("counters", "Update", {
                "Key": _key(campaign, "COUNTERS"),
                "UpdateExpression": "ADD #r :r, #b :b, #k :k, #lr :lr, #lb :lb SET #u = :u",
                "ExpressionAttributeNames": {"#r": "raised", "#b": "backers", "#k": "collected",
                                             "#lr": "late_raised", "#lb": "late_backers", "#u": "updated_at"},
                "ExpressionAttributeValues": {":r": _n(raised), ":b": _n(backers), ":k": _n(change.collected),
                                              ":lr": _n(late_raised), ":lb": _n(late_backers),
                                              ":u": _s(after.updated_at.isoformat())}})
            if raised or backers:
                add("day", "Update", {
                    "Key": _key(campaign, f"DAY#{change.day}"),
                    "UpdateExpression": "ADD #r :r, #b :b",
                    "ExpressionAttributeNames": {"#r": "raised", "#b": "backers"},
                    "ExpressionAttributeValues": {":r": _n(change.raised), ":b": _n(change.backers)}})
            for reward, delta in change.chosen.items():
                add(f"chosen {reward}", "Update", {
                    "Key": _key(campaign, f"CHOSEN#{reward}"),
                    "UpdateExpression": "ADD #b :b",
                    "ExpressionAttributeNames": {"#b": "backers"},
                    "ExpressionAttributeValues": {":b": _n(delta)}})
            if after.ref and (change.raised or change.backers):
                add("referral", "Update", {
                    "Key": _key(campaign, f"REF#{after.ref}"),
                    "UpdateExpression": "ADD #p :b, #r :r",
                    "ExpressionAttributeNames": {"#p": "pledges", "#r": "raised"},
                    "ExpressionAttributeValues": {":b": _n(change.backers), ":r": _n(change.raised)}})
        reasons = self._transact(items)
        if reasons is None:
            return
        failed = {role for role, reason in zip(roles, reasons) if reason == _FAILED}
        if "event" in failed:  # checked first, as SQLite does
            raise Duplicate(f"event {change.event_id} was already applied")
        if "pledge" in failed:
            raise Conflict(f"pledge {after.id} changed since it was read")
        for role in roles:
            if role in failed and role.startswith("claim "):
                raise SoldOut(f"reward '{role[len('claim '):]}' of '{after.campaign}' is sold out")
        # Stripe never reuses a session or PaymentIntent id; were it to, refuse as SQLite's UNIQUE does.
        raise Conflict(f"a checkout session or PaymentIntent of pledge {after.id} belongs to another pledge")

    # -- reads -----------------------------------------------------------------------
    def get_pledge(self, pledge_id: str) -> Pledge | None:
        item = self._get(f"PLEDGE#{pledge_id}", "PLEDGE")
        return _load(item) if item else None

    def pledge_by_session(self, session_id: str) -> Pledge | None:
        item = self._get(f"SESSION#{session_id}", "SESSION")
        if item is None:
            return None
        pledge = self.get_pledge(item["pledge_id"]["S"])
        # The lookup item and the pledge move in one transaction; check anyway.
        return pledge if pledge is not None and pledge.checkout_session_id == session_id else None

    def pledge_by_payment_intent(self, payment_intent_id: str) -> Pledge | None:
        item = self._get(f"INTENT#{payment_intent_id}", "INTENT")
        if item is None:
            return None
        pledge = self.get_pledge(item["pledge_id"]["S"])
        return pledge if pledge is not None and pledge.payment_intent_id == payment_intent_id else None

    def has_event(self, event_id: str) -> bool:
        return self._get(f"EVENT#{event_id}", "EVENT") is not None

    def pledges(self, campaign: str) -> list[Pledge]:
        return [_load(item) for item in self._query(
            IndexName=INDEX, KeyConditionExpression="#c = :c", ExpressionAttributeNames={"#c": "campaign"},
            ExpressionAttributeValues={":c": _s(campaign)}, ScanIndexForward=True)]

    # -- items -----------------------------------------------------------------------
    def _pledge_item(self, pledge: Pledge) -> dict:
        return {**_key(f"PLEDGE#{pledge.id}", "PLEDGE"),
                "data": _s(json.dumps(to_record(pledge), sort_keys=True, separators=(",", ":"))),
                "version": _n(pledge.version), "status": _s(pledge.status), "campaign": _s(pledge.campaign),
                "created": _s(f"{pledge.created_at.isoformat()}#{pledge.id}")}

    def _claim(self, campaign: str, reward: str, delta: int, limit: int | None) -> dict:
        """Add ``delta`` units of a reward, only if ``claimed + delta <= limit`` (when set)."""
        claim: dict[str, Any] = {
            "TableName": self.table, "Key": _key(f"CAMPAIGN#{campaign}", f"CLAIM#{reward}"),
            "UpdateExpression": "ADD #c :d", "ExpressionAttributeNames": {"#c": "claimed"},
            "ExpressionAttributeValues": {":d": _n(delta)}}
        if limit is not None:
            # A missing count is 0, which fits when delta <= limit.
            missing = " OR attribute_not_exists(#c)" if delta <= limit else ""
            claim["ConditionExpression"] = "#c <= :max" + missing
            claim["ExpressionAttributeValues"][":max"] = _n(limit - delta)
        return claim


def _lookups(pledge: Pledge) -> list[tuple[str, str]]:
    """The ids a pledge is found by, besides its own: (kind, value)."""
    found = [("SESSION", pledge.checkout_session_id), ("INTENT", pledge.payment_intent_id)]
    return [(kind, value) for kind, value in found if value is not None]


def _lookup_item(kind: str, value: str, pledge_id: str) -> dict:
    return {**_key(f"{kind}#{value}", kind), "pledge_id": _s(pledge_id)}


def _load(item: dict) -> Pledge:
    return from_record(json.loads(item["data"]["S"]))
