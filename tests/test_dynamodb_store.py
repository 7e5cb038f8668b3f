"""The DynamoDB store against moto's server (over HTTP), and against SQLite.

What the contract suite (tests/test_store_contract.py) checks for every store
is not repeated here; these tests pin what is DynamoDB's own: the table it
creates, the transactions it cancels and retries, and that a whole life of
pledges leaves exactly the counters SQLite leaves.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from functions.core import events
from functions.core.pledge import EXPIRED, FAILED, PAID, PENDING, PLEDGED, PROCESSING, REFUNDED, Pledge
from functions.core.ports import Conflict, Counters, Duplicate, Referral, SoldOut
from functions.store import dynamodb, dynamodb_table  # noqa: F401 - the module the tests reach into
from functions.store.dynamodb import DynamoDBStore
from functions.store.sqlite import SQLiteStore

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def store(moto_server, dynamodb_table):
    made = DynamoDBStore(dynamodb_table)
    yield made
    made.close()


def pledge(n: int = 1, *, reward: str | None = "vinyl", amount: int = 2500, ref: str | None = None,
           campaign: str = "album", mode: str = "payment", at: dt.datetime = NOW,
           ref_code: str | None = None) -> Pledge:
    return Pledge(id=f"pl_{n:06d}", campaign=campaign, reward=reward, amount=amount, currency="EUR",
                  mode=mode, status=PENDING, created_at=at, updated_at=at,
                  expires_at=at + dt.timedelta(minutes=30), ref_code=ref_code or f"code{n:06d}", ref=ref)


def move(store, before: Pledge, event_id: str | None = None, at: dt.datetime = NOW, limit: int | None = None,
         **fields) -> Pledge:
    change = events.change(before, before.replace(**fields), event_id=event_id, now=at, limit=limit)
    store.apply(change)
    return change.after


def items(store: DynamoDBStore) -> list[tuple[str, str]]:
    """Every key in the table, sorted: what a refused write must leave unchanged."""
    pages = store.client.get_paginator("scan").paginate(TableName=store.table, ConsistentRead=True)
    return sorted((i["pk"]["S"], i["sk"]["S"]) for page in pages for i in page["Items"])


# -- the table ------------------------------------------------------------------------

def test_the_table_is_created_on_first_use(store):
    client = store.client
    assert store.table not in client.list_tables()["TableNames"]
    assert store.get_pledge("pl_missing") is None  # the first call creates it
    table = client.describe_table(TableName=store.table)["Table"]
    assert table["TableStatus"] == "ACTIVE"
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {("pk", "HASH"), ("sk", "RANGE")}
    (index,) = table["GlobalSecondaryIndexes"]
    assert (index["IndexName"], [k["AttributeName"] for k in index["KeySchema"]]) == ("by_campaign",
                                                                                      ["campaign", "created"])
    ttl = client.describe_time_to_live(TableName=store.table)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ttl")
    # A second store on the same table (another Lambda) uses it as it is.
    other = DynamoDBStore(store.table)
    store.open_pledge(pledge(1), limit=None)
    assert other.get_pledge("pl_000001") == pledge(1)
    other.close()


def raw(store: DynamoDBStore, pk: str, sk: str) -> dict:
    key = {"pk": {"S": pk}, "sk": {"S": sk}}
    return store.client.get_item(TableName=store.table, Key=key, ConsistentRead=True)["Item"]


def test_the_item_layout(store):
    p = pledge(1, ref="friend")
    store.open_pledge(p, limit=5)
    move(store, p, "evt_1", checkout_session_id="cs_1", payment_intent_id="pi_1", status=PAID)
    assert items(store) == [
        ("CAMPAIGN#album", "CHOSEN#vinyl"), ("CAMPAIGN#album", "CLAIM#vinyl"), ("CAMPAIGN#album", "COUNTERS"), ("CAMPAIGN#album", "DAY#2026-11-26"),
        ("CAMPAIGN#album", "REF#friend"), ("EVENT#evt_1", "EVENT"), ("INTENT#pi_1", "INTENT"),
        ("PLEDGE#pl_000001", "PLEDGE"), ("REFCODE#code000001", "OWNER"), ("SESSION#cs_1", "SESSION")]
    item = raw(store, "PLEDGE#pl_000001", "PLEDGE")
    assert (item["version"], item["status"], item["campaign"]) == ({"N": "1"}, {"S": "paid"}, {"S": "album"})
    assert item["created"] == {"S": "2026-11-26T12:00:00+00:00#pl_000001"}
    assert raw(store, "CAMPAIGN#album", "COUNTERS") == {
        "pk": {"S": "CAMPAIGN#album"}, "sk": {"S": "COUNTERS"}, "raised": {"N": "2500"}, "backers": {"N": "1"},
        "collected": {"N": "2500"}, "updated_at": {"S": "2026-11-26T12:00:00+00:00"},
        "late_raised": {"N": "0"}, "late_backers": {"N": "0"}}
    assert int(raw(store, "EVENT#evt_1", "EVENT")["ttl"]["N"]) > dt.datetime.now().timestamp() + 89 * 86400


# -- refusals write nothing -----------------------------------------------------------

def test_sold_out_at_the_limit_writes_nothing(store):
    store.open_pledge(pledge(1), limit=2)
    store.open_pledge(pledge(2), limit=2)
    before = items(store)
    with pytest.raises(SoldOut):
        store.open_pledge(pledge(3), limit=2)
    with pytest.raises(SoldOut):
        store.open_pledge(pledge(4, reward="poster"), limit=0)
    assert items(store) == before
    assert store.counters("album").claimed == {"vinyl": 2}
    assert store.get_pledge("pl_000003") is None and store.referral("code000003") is None


def test_a_pledge_id_or_a_referral_code_is_written_once(store):
    store.open_pledge(pledge(1), limit=5)
    before = items(store)
    with pytest.raises(Duplicate):
        store.open_pledge(pledge(1, amount=9900), limit=5)
    with pytest.raises(Duplicate):
        store.open_pledge(pledge(2, ref_code="code000001"), limit=5)
    assert items(store) == before
    assert store.counters("album").claimed == {"vinyl": 1}
    assert store.get_pledge("pl_000001").amount == 2500


def test_an_event_applied_twice_is_a_duplicate_and_writes_nothing(store):
    p = pledge(ref="friend")
    store.open_pledge(p, limit=None)
    paid = move(store, p, "evt_1", status=PAID)
    before, counters = items(store), store.counters("album")
    with pytest.raises(Duplicate):  # even though the version is right
        store.apply(events.change(paid, paid.replace(refunded=2500, status=REFUNDED), event_id="evt_1", now=NOW))
    assert items(store) == before and store.counters("album") == counters
    assert store.get_pledge(p.id) == paid


def test_a_stale_version_is_a_conflict_and_writes_nothing(store):
    p = pledge()
    store.open_pledge(p, limit=None)
    move(store, p, "evt_1", status=PAID)
    before, counters = items(store), store.counters("album")
    with pytest.raises(Conflict):
        store.apply(events.change(p, p.replace(status=EXPIRED), event_id="evt_2", now=NOW))
    with pytest.raises(Conflict):  # a pledge that was never opened
        store.apply(events.change(pledge(7), pledge(7).replace(status=PAID), event_id="evt_3", now=NOW))
    assert items(store) == before and store.counters("album") == counters
    assert not store.has_event("evt_2") and not store.has_event("evt_3")


def test_the_session_lookup_follows_the_pledge(store):
    p = pledge()
    store.open_pledge(p, limit=None)
    p = move(store, p, checkout_session_id="cs_1")
    assert store.pledge_by_session("cs_1") == p
    p = move(store, p, checkout_session_id="cs_2")
    assert store.pledge_by_session("cs_1") is None and store.pledge_by_session("cs_2") == p
    assert ("SESSION#cs_1", "SESSION") not in items(store)
    other = pledge(2)
    store.open_pledge(other, limit=None)
    with pytest.raises(Conflict):  # a session belongs to one pledge
        move(store, other, checkout_session_id="cs_2")
    assert store.pledge_by_session("cs_2") == p


# -- the same life, two stores ----------------------------------------------------------

def life(store) -> list[str]:
    """A campaign's life over three days; returns what each step answered."""
    day1, day2, day3 = NOW, NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=2, hours=3)
    outcomes: list[str] = []

    def step(fn, *args, **kwargs):
        try:
            result = fn(*args, **kwargs)
        except (SoldOut, Duplicate, Conflict) as error:
            outcomes.append(type(error).__name__)
            return None
        outcomes.append("ok")
        return result

    opened = []
    for n, (reward, amount, ref, campaign, at) in enumerate([
            ("vinyl", 2500, "friend", "album", day1), ("vinyl", 4000, "friend", "album", day1),
            ("vinyl", 2500, None, "album", day1), ("vinyl", 2500, None, "album", day2),  # the 4th is sold out
            (None, 1000, "code000001", "album", day2), ("poster", 1500, "friend", "album", day2),
            (None, 700, None, "book", day3)]):
        p = pledge(n + 1, reward=reward, amount=amount, ref=ref, campaign=campaign, at=at)
        step(store.open_pledge, p, 3 if reward == "vinyl" else None)
        opened.append(p)
    step(store.open_pledge, opened[0], 3)  # the same id again, sold out: the limit is checked first
    step(store.open_pledge, opened[0], None)  # the same id again
    a, b, c, _, e, f, g = opened
    a = step(move, store, a, None, day1, checkout_session_id="cs_a", checkout_url="https://pay/cs_a")
    a = step(move, store, a, "evt_a", day1, status=PAID, email="a@example.org", country="FR",
             shipping={"name": "A", "address": {"country": "FR"}})
    step(move, store, a, "evt_a", day1, status=PAID)  # Stripe's retry
    b = step(move, store, b, "evt_b1", day2, status=PROCESSING)
    b = step(move, store, b, "evt_b2", day2, status=PAID)
    step(move, store, c, "evt_c", day2, status=EXPIRED)  # the unit comes back
    step(move, store, c, "evt_c2", day2, status=FAILED)  # stale: c moved on
    c2 = pledge(8, at=day2)
    step(store.open_pledge, c2, 3)  # takes the released unit
    e = step(move, store, e, "evt_e", day2, status=PAID)
    f = step(move, store, f, "evt_f", day3, status=PLEDGED)
    b = step(move, store, b, "evt_r1", day3, refunded=1500)  # partial refund
    a = step(move, store, a, "evt_r2", day3, refunded=2500, status=REFUNDED)
    g = step(move, store, g, "evt_g", day3, status=PAID, payment_intent_id="pi_g")
    f = step(move, store, f, None, day3, 1, reward="sticker", amount=1200)  # its unit moves
    step(move, store, e, None, day3, 1, reward="sticker")  # sticker is full
    step(move, store, f, None, day3, 1, reward="poster")  # back: poster's unit is free again
    return outcomes


def snapshot(store) -> dict:
    return {
        "counters": [store.counters(c) for c in ("album", "book", "nothing")],
        "referrals": [store.referral(code, campaign) for code, campaign in [
            ("friend", "album"), ("friend", None), ("code000001", None), ("code000001", "album"),
            ("newcomer", "album"),
            ("code000004", None), ("nobody", None), ("nobody", "book")]],
        "pledges": {c: [(p, p.shipping) for p in store.pledges(c)] for c in ("album", "book", "nothing")},
        "sessions": [store.pledge_by_session(s) for s in ("cs_a", "cs_b")],
        "intents": [store.pledge_by_payment_intent(i) for i in ("pi_g", "pi_x")],
        "events": [store.has_event(e) for e in ("evt_a", "evt_c", "evt_c2", "evt_r2", "evt_x")],
        "one": [(store.get_pledge(i), getattr(store.get_pledge(i), "shipping", None))
                for i in ("pl_000001", "pl_000004", "pl_000008")],
    }


def test_a_whole_life_leaves_the_counters_sqlite_leaves(store, tmp_path):
    sqlite = SQLiteStore(tmp_path / "pledges.sqlite3")
    try:
        outcomes = life(store)
        assert outcomes == life(sqlite)
        assert outcomes == ["ok", "ok", "ok", "SoldOut", "ok", "ok", "ok", "SoldOut", "Duplicate",
                            "ok", "ok", "Duplicate", "ok", "ok", "ok", "Conflict", "ok",
                            "ok", "ok", "ok", "ok", "ok", "ok", "SoldOut", "ok"]
        assert snapshot(store) == snapshot(sqlite)
    finally:
        sqlite.close()
    counters = store.counters("album")
    assert (counters.raised, counters.backers, counters.collected) == (4000 - 1500 + 1000 + 1200, 3, 2500 + 1000)
    # a refunded, c expired, c2 took c's unit; f went to sticker and back
    assert counters.claimed == {"vinyl": 2, "poster": 1, "sticker": 0}
    assert store.pledge_by_payment_intent("pi_g").id == "pl_000007"


def test_reset_counters_overwrites_them_as_sqlite_does(store, tmp_path):
    """More items than one transaction holds: days of a long campaign."""
    sqlite = SQLiteStore(tmp_path / "pledges.sqlite3")
    first = NOW.date() - dt.timedelta(days=150)
    fixed = Counters(campaign="album", raised=123456, backers=77, collected=1000, claimed={"vinyl": 9},
                     days={(first + dt.timedelta(days=n)).isoformat(): (n * 10, n) for n in range(150)},
                     updated_at=NOW)
    referrals = [Referral("friend", "album", 5, 500), Referral("newcomer", "album", 1, 10)]
    try:
        for each in (store, sqlite):
            life(each)
            each.reset_counters("album", fixed, referrals)
        assert snapshot(store) == snapshot(sqlite)
    finally:
        sqlite.close()
    assert store.counters("album") == fixed
    assert store.referral("code000001", "album") == Referral("code000001", "album", 0, 0)
    assert store.counters("book").raised == 700  # other campaigns untouched
    campaign = [sk for pk, sk in items(store) if pk == "CAMPAIGN#album"]
    assert len(campaign) == 1 + 1 + 150 + 2 and "CLAIM#poster" not in campaign


# -- concurrency --------------------------------------------------------------------

def test_concurrent_backers_take_exactly_the_limit(store):
    won, lost = [], []
    lock = threading.Lock()

    def back(n: int) -> None:
        try:
            store.open_pledge(pledge(n), limit=20)
        except SoldOut:
            with lock:
                lost.append(n)
            return
        with lock:
            won.append(n)

    store.counters("album")  # create the table before the rush
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(back, range(200)))
    assert (len(won), len(lost)) == (20, 180)
    assert store.counters("album").claimed == {"vinyl": 20}
    assert sorted(p.id for p in store.pledges("album")) == sorted(f"pl_{n:06d}" for n in won)


# -- cancellations moto never makes: a stubbed client -------------------------------------

def reasons(*codes: str) -> dict:
    return {"CancellationReasons": [{"Code": code} for code in codes]}


@pytest.fixture
def stubbed(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(dynamodb_table, "_sleep", slept.append)
    client = boto3.client("dynamodb", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield DynamoDBStore("t", client=client), stubber, slept
        stubber.assert_no_pending_responses()


def test_a_transaction_conflict_is_retried_until_it_commits(stubbed):
    store, stubber, slept = stubbed
    for _ in range(3):
        stubber.add_client_error("transact_write_items", "TransactionCanceledException",
                                 modeled_fields=reasons("TransactionConflict", "None", "None"))
    stubber.add_response("transact_write_items", {})
    store.open_pledge(pledge(), limit=20)
    assert len(slept) == 3 and all(0 <= s <= 1.0 for s in slept)


def test_a_conflict_then_a_failed_condition_is_sold_out(stubbed):
    store, stubber, _ = stubbed
    stubber.add_client_error("transact_write_items", "TransactionCanceledException",
                             modeled_fields=reasons("TransactionConflict", "None", "None"))
    stubber.add_client_error("transact_write_items", "TransactionCanceledException",
                             modeled_fields=reasons("ConditionalCheckFailed", "None", "None"))
    with pytest.raises(SoldOut):
        store.open_pledge(pledge(), limit=20)


def test_throttling_is_retried_and_a_lasting_conflict_is_an_error(stubbed):
    store, stubber, slept = stubbed
    stubber.add_client_error("transact_write_items", "ThrottlingException")
    stubber.add_client_error("transact_write_items", "TransactionCanceledException",
                             modeled_fields=reasons("None", "ThrottlingError", "None"))
    for _ in range(dynamodb_table.ATTEMPTS - 2):
        stubber.add_client_error("transact_write_items", "TransactionCanceledException",
                                 modeled_fields=reasons("TransactionConflict", "None", "None"))
    with pytest.raises(ClientError, match="TransactionCanceled"):
        store.open_pledge(pledge(), limit=20)
    assert len(slept) == dynamodb_table.ATTEMPTS - 1


def test_an_unexpected_cancellation_is_not_retried(stubbed):
    store, stubber, slept = stubbed
    stubber.add_client_error("transact_write_items", "TransactionCanceledException",
                             modeled_fields=reasons("None", "ValidationError", "None"))
    with pytest.raises(ClientError):
        store.open_pledge(pledge(), limit=20)
    assert slept == []
