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

import dataclasses
import datetime as dt
import json
import random
import time
from typing import Any

from functions.core import comments as comment_records, survey as survey_records
from functions.core.comments import HIDDEN, PENDING as COMMENT_PENDING, VISIBLE, Comment
from functions.core.model import Change, opening_claims
from functions.core.mail import DUE, SENDING, Mail, from_record as mail_from, to_record as mail_record
from functions.core.pledge import Pledge, from_record, to_record
from functions.core.reminders import Reminder, from_record as reminder_from, to_record as reminder_record
from functions.core.errors import Unavailable
from functions.core.ports import Conflict, Counters, Duplicate, Referral, SoldOut
from functions.store.dynamodb_table import CONDITION_FAILED as _FAILED, INDEX, TableClient
from functions.store.dynamodb_table import integer as _int, key as _key, n as _n, s as _s

EVENT_TTL = dt.timedelta(days=90)  # Stripe retries for 3 days; keep ids far longer
MAX_ITEMS = 100  # in one TransactWriteItems


class DynamoDBStore(TableClient):
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

    # -- mail ---------------------------------------------------------------------------
    def queue_mail(self, mail: Mail) -> bool:
        """Queue a message not tied to a pledge change; False if that id was queued before."""
        reasons = self._transact([{"Put": self._new(_mail_item(mail))}])
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
            "TableName": self.table, "Item": _mail_item(after),
            "ConditionExpression": "#s = :s AND #a = :a", "ExpressionAttributeNames": {"#s": "status", "#a": "attempts"},
            "ExpressionAttributeValues": {":s": _s(before.status), ":a": _n(before.attempts)}}}])
        return reasons is None

    # -- launch reminders and suppressed addresses ----------------------------------------
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

    def top_referrals(self, campaign: str, limit: int) -> list[Referral]:
        items = self._query(KeyConditionExpression="pk = :pk AND begins_with(sk, :ref)", ConsistentRead=True,
                            ExpressionAttributeValues={":pk": _s(f"CAMPAIGN#{campaign}"), ":ref": _s("REF#")})
        found = [Referral(code=item["sk"]["S"][len("REF#"):], campaign=campaign, pledges=_int(item, "pledges"),
                          raised=_int(item, "raised")) for item in items]
        found = [r for r in found if r.pledges > 0]
        found.sort(key=lambda r: (-r.raised, -r.pledges, r.code))
        return found[:limit]

    def pledges(self, campaign: str) -> list[Pledge]:
        return [_load(item) for item in self._query(
            IndexName=INDEX, KeyConditionExpression="#c = :c", ExpressionAttributeNames={"#c": "campaign"},
            ExpressionAttributeValues={":c": _s(campaign)}, ScanIndexForward=True)]

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


MAIL_QUEUE = "MAILQ"  # never a campaign slug (slugs are lower case): the queue shares the by_campaign index


def _mail_item(mail: Mail) -> dict:
    item = {**_key(f"MAIL#{mail.id}", "MAIL"), "status": _s(mail.status), "attempts": _n(mail.attempts),
            "data": _s(json.dumps(mail_record(mail), sort_keys=True, separators=(",", ":")))}
    if mail.status in (DUE, SENDING):
        stamp = mail.created_at.isoformat() if mail.created_at else ""
        item["campaign"], item["created"] = _s(MAIL_QUEUE), _s(f"{stamp}#{mail.id}")
    return item


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


def _load(item: dict) -> Pledge:
    return from_record(json.loads(item["data"]["S"]))


def _mark_value(item: dict | None, now: dt.datetime) -> str | None:
    """A mark's value while its time runs (DynamoDB's TTL deletes expired items late)."""
    if not item or int(item["expires"]["N"]) <= int(now.timestamp()):
        return None
    return item["value"]["S"]
