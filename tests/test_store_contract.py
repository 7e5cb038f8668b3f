"""One contract for every store: SQLite (a file) and DynamoDB (moto's server over HTTP).

Each test runs against both adapters; what one answers, the other must.
"""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from functions.core import events
from functions.core.pledge import EXPIRED, PAID, PENDING, PLEDGED, REFUNDED, Pledge
from functions.core.ports import Conflict, Duplicate, SoldOut

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request, tmp_path):
    if request.param == "sqlite":
        from functions.store.sqlite import SQLiteStore

        made = SQLiteStore(tmp_path / "pledges.sqlite3")
    else:
        request.getfixturevalue("moto_server")
        from functions.store.dynamodb import DynamoDBStore

        made = DynamoDBStore(request.getfixturevalue("dynamodb_table"))
    yield made
    made.close()


def pledge(n: int = 1, *, reward: str | None = "vinyl", amount: int = 2500, ref: str | None = None,
           campaign: str = "album", mode: str = "payment", at: dt.datetime = NOW) -> Pledge:
    return Pledge(id=f"pl_{n:06d}", campaign=campaign, reward=reward, amount=amount, currency="EUR",
                  mode=mode, status=PENDING, created_at=at, updated_at=at,
                  expires_at=at + dt.timedelta(minutes=30), ref_code=f"code{n:06d}", ref=ref)


def move(store, before: Pledge, event_id: str | None = None, at: dt.datetime = NOW, **fields) -> Pledge:
    change = events.change(before, before.replace(**fields), event_id=event_id, now=at)
    store.apply(change)
    return change.after


def test_a_new_pledge_reads_back_whole(store):
    p = pledge(ref="friend")
    store.open_pledge(p, limit=10)
    assert store.get_pledge(p.id) == p
    assert store.get_pledge("pl_missing") is None
    assert store.counters("album").claimed == {"vinyl": 1}
    assert store.counters("album").raised == 0


def test_the_limit_is_never_passed_and_a_refusal_writes_nothing(store):
    store.open_pledge(pledge(1), limit=2)
    store.open_pledge(pledge(2), limit=2)
    with pytest.raises(SoldOut):
        store.open_pledge(pledge(3), limit=2)
    assert store.get_pledge("pl_000003") is None
    assert store.referral("code000003") is None
    assert store.counters("album").claimed == {"vinyl": 2}


def test_an_unlimited_reward_and_no_reward_are_never_sold_out(store):
    for n in range(5):
        store.open_pledge(pledge(n), limit=None)
    store.open_pledge(pledge(9, reward=None), limit=None)
    assert store.get_pledge("pl_000009") == pledge(9, reward=None)
    assert store.counters("album").claimed == {"vinyl": 5}


def test_a_pledge_id_is_written_once(store):
    store.open_pledge(pledge(1), limit=5)
    with pytest.raises(Duplicate):
        store.open_pledge(pledge(1), limit=5)
    assert store.counters("album").claimed == {"vinyl": 1}


def test_the_session_finds_its_pledge(store):
    p = pledge()
    store.open_pledge(p, limit=None)
    p = move(store, p, checkout_session_id="cs_test_1", checkout_url="https://pay.example/cs_test_1")
    assert store.pledge_by_session("cs_test_1") == p
    assert store.pledge_by_session("cs_test_2") is None


def test_the_fix_session_and_extra_payments_read_back_whole(store):
    p = pledge(mode="setup")
    store.open_pledge(p, limit=None)
    later = NOW + dt.timedelta(minutes=35)
    p = move(store, p, fix_session_id="cs_test_fix", fix_url="https://pay.example/cs_test_fix", fix_expires_at=later,
             extra_payments=("pi_1", "pi_2"), extra_refunded=("pi_1",))
    stored = store.get_pledge(p.id)
    assert stored == p and stored.extra_to_refund == ("pi_2",)
    assert isinstance(stored.extra_payments, tuple) and stored.fix_expires_at == later


def test_an_event_counts_once(store):
    p = pledge(ref="friend")
    store.open_pledge(p, limit=None)
    paid = move(store, p, "evt_1", status=PAID, email="a@example.org")
    assert store.has_event("evt_1") and not store.has_event("evt_2")
    with pytest.raises(Duplicate):
        store.apply(events.change(paid, paid.replace(status=PAID), event_id="evt_1", now=NOW))
    c = store.counters("album")
    assert (c.raised, c.backers, c.claimed) == (2500, 1, {"vinyl": 1})
    assert c.days == {"2026-11-26": (2500, 1)}
    assert c.updated_at == NOW
    assert store.get_pledge(p.id).email == "a@example.org"


def test_a_stale_version_is_a_conflict_and_writes_nothing(store):
    p = pledge()
    store.open_pledge(p, limit=None)
    move(store, p, "evt_1", status=PAID)
    with pytest.raises(Conflict):
        store.apply(events.change(p, p.replace(status=EXPIRED), event_id="evt_2", now=NOW))
    assert not store.has_event("evt_2")
    assert store.get_pledge(p.id).status == PAID
    assert store.counters("album").claimed == {"vinyl": 1}


def test_counters_follow_the_ledger_through_a_life(store):
    day1, day2 = NOW, NOW + dt.timedelta(days=1)
    a, b, c = pledge(1, ref="friend"), pledge(2, ref="friend", amount=4000), pledge(3)
    for p in (a, b, c):
        store.open_pledge(p, limit=3)
    a = move(store, a, "evt_a", at=day1, status=PAID)
    b = move(store, b, "evt_b", at=day2, status=PAID)
    move(store, c, "evt_c", at=day2, status=EXPIRED)  # releases its unit, never counted
    b = move(store, b, "evt_r1", at=day2, refunded=1000)  # partial refund
    a = move(store, a, "evt_r2", at=day2, refunded=2500, status=REFUNDED)  # whole refund
    counters = store.counters("album")
    assert (counters.raised, counters.backers) == (3000, 1)
    assert counters.claimed == {"vinyl": 1}
    assert counters.days == {"2026-11-26": (2500, 1), "2026-11-27": (500, 0)}
    friend = store.referral("friend", "album")
    assert (friend.pledges, friend.raised) == (1, 3000)
    # the referral totals of each backer's own code, found without the campaign
    own = store.referral("code000001")
    assert (own.code, own.campaign, own.pledges, own.raised) == ("code000001", "album", 0, 0)
    assert store.referral("nobody") is None
    assert store.referral("nobody", "album").pledges == 0
    assert [p.id for p in store.pledges("album")] == ["pl_000001", "pl_000002", "pl_000003"]
    assert store.pledges("other") == []


def test_campaigns_are_kept_apart(store):
    store.open_pledge(pledge(1, campaign="album"), limit=1)
    store.open_pledge(pledge(2, campaign="book"), limit=1)
    move(store, store.get_pledge("pl_000002"), "evt", status=PLEDGED)
    assert store.counters("album").raised == 0
    assert store.counters("book").raised == 2500
    assert store.counters("nothing").claimed == {}


def test_concurrent_backers_never_oversell(store):
    """200 backers race for 20 units; then every session completes or expires."""
    limit, won, lost = 20, [], []
    lock = threading.Lock()

    def back(n: int) -> None:
        p = pledge(n, mode="setup")
        try:
            store.open_pledge(p, limit=limit)
        except SoldOut:
            with lock:
                lost.append(n)
            return
        with lock:
            won.append(p)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(back, range(200)))
    assert len(won) == limit and len(lost) == 180
    # Each winner completes twice at once (a Stripe retry racing the first delivery).
    def complete(p: Pledge) -> None:
        for _ in range(2):
            current = store.get_pledge(p.id)
            if current.status != PENDING:
                return
            try:
                move(store, current, f"evt_{p.id}", status=PLEDGED)
            except (Duplicate, Conflict):
                pass

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(complete, won + won))
    counters = store.counters("album")
    assert (counters.raised, counters.backers, counters.claimed) == (20 * 2500, 20, {"vinyl": 20})
    assert sum(p.net for p in store.pledges("album")) == counters.raised


def test_moving_to_another_reward_moves_its_unit_within_the_limit(store):
    a, b = pledge(1, reward="vinyl", mode="setup"), pledge(2, reward="poster", mode="setup")
    store.open_pledge(a, limit=None)
    store.open_pledge(b, limit=1)
    a = move(store, a, "evt_a", status=PLEDGED)
    # poster is full (limit 1): moving there is refused and nothing changes
    with pytest.raises(SoldOut):
        store.apply(events.change(a, a.replace(reward="poster"), event_id=None, now=NOW, limit=1))
    assert store.get_pledge(a.id).reward == "vinyl"
    assert store.counters("album").claimed == {"vinyl": 1, "poster": 1}
    store.apply(events.change(a, a.replace(reward="sticker", amount=1000), event_id=None, now=NOW, limit=5))
    counters = store.counters("album")
    assert counters.claimed == {"vinyl": 0, "poster": 1, "sticker": 1}
    assert (counters.raised, counters.backers) == (1000, 1)


def test_each_reward_counts_the_backers_who_chose_it(store):
    a, b, c = pledge(1, reward="vinyl", mode="setup"), pledge(2, reward="vinyl", mode="setup"), pledge(3, reward="vinyl")
    for p in (a, b, c):
        store.open_pledge(p, limit=10)
    assert store.counters("album").chosen.get("vinyl", 0) == 0  # held units are not backers yet
    a = move(store, a, "evt_a", status=PLEDGED)
    b = move(store, b, "evt_b", status=PLEDGED)
    move(store, c, "evt_c", status=EXPIRED)
    assert store.counters("album").chosen == {"vinyl": 2}
    # a backer moving to another reward moves their count; leaving the reward for none uncounts it
    a = move(store, a, None, reward="poster")
    b = move(store, b, None, reward=None)
    counters = store.counters("album")
    assert (counters.chosen.get("vinyl", 0), counters.chosen.get("poster", 0), counters.backers) == (0, 1, 2)
    move(store, a, None, status="cancelled")
    assert store.counters("album").chosen.get("poster", 0) == 0
    # the same as the ledger says
    from functions.core.reconcile import drift

    assert drift(store.counters("album"), {}, store.pledges("album")) == []


def test_a_late_pledge_is_counted_apart_from_what_was_raised_by_the_deadline(store):
    from functions.core.ports import Counters

    on_time, late = pledge(1, ref="friend"), pledge(2, ref="friend", amount=4000).replace(late=True)
    for p in (on_time, late):
        store.open_pledge(p, limit=None)
    move(store, on_time, "evt_1", status=PAID)
    late = move(store, late, "evt_2", status=PAID)
    counters = store.counters("album")
    assert (counters.raised, counters.backers, counters.late_raised, counters.late_backers) == (2500, 1, 4000, 1)
    assert counters.days == {"2026-11-26": (2500, 1)}  # the history is the campaign's, by its deadline
    assert counters.chosen == {"vinyl": 2}
    assert store.referral("friend", "album").raised == 6500  # a code brought both
    assert store.get_pledge(late.id).late is True
    move(store, late, "evt_3", refunded=4000, status=REFUNDED)
    assert (store.counters("album").late_raised, store.counters("album").late_backers) == (0, 0)
    store.reset_counters("album", Counters(campaign="album", raised=1, backers=1, late_raised=7, late_backers=2), [])
    got = store.counters("album")
    assert (got.late_raised, got.late_backers) == (7, 2)


def test_collected_money_is_counted_apart(store):
    p = pledge(1, mode="setup", reward=None)
    store.open_pledge(p, limit=None)
    p = move(store, p, "evt_1", status=PLEDGED)
    p = move(store, p, None, status="collected", payment_intent_id="pi_123")
    assert store.pledge_by_payment_intent("pi_123").id == p.id
    assert store.pledge_by_payment_intent("pi_999") is None
    counters = store.counters("album")
    assert (counters.raised, counters.collected, counters.backers) == (2500, 2500, 1)


def test_counters_can_be_reset_from_the_ledger(store):
    from functions.core.ports import Counters, Referral

    p = pledge(1, ref="friend")
    store.open_pledge(p, limit=None)
    move(store, p, "evt_1", status=PAID)
    fixed = Counters(campaign="album", raised=100, backers=7, collected=50, claimed={"vinyl": 3},
                     chosen={"vinyl": 2}, days={"2026-11-20": (100, 7)}, updated_at=NOW)
    store.reset_counters("album", fixed, [Referral("friend", "album", 2, 100)])
    got = store.counters("album")
    assert (got.raised, got.backers, got.collected, got.claimed, got.days) == (100, 7, 50, {"vinyl": 3},
                                                                                {"2026-11-20": (100, 7)})
    assert got.chosen == {"vinyl": 2}
    assert (store.referral("friend", "album").pledges, store.referral("friend", "album").raised) == (2, 100)


def test_mail_is_queued_with_its_change_and_claimed_once(store):
    from dataclasses import replace as copy

    from functions.core.mail import DUE, SENDING, SENT, Mail

    p = pledge(1)
    store.open_pledge(p, limit=None)
    mail = Mail(id=f"confirmation:{p.id}", kind="confirmation", campaign="album", lang="fr", to="a@example.org",
                values={"amount_minor": "2500"}, pledge_id=p.id, created_at=NOW)
    change = events.change(p, p.replace(status=PAID), event_id="evt_1", now=NOW)
    store.apply(copy(change, mails=(mail,)))
    assert store.get_mail(mail.id) == mail
    assert store.due_mails(NOW) == [mail]
    claimed = copy(mail, status=SENDING, attempts=1, lease_until=NOW + dt.timedelta(minutes=5))
    assert store.save_mail(mail, claimed) is True
    assert store.save_mail(mail, claimed) is False  # a second sender loses
    assert store.due_mails(NOW) == []  # leased
    assert store.due_mails(NOW + dt.timedelta(minutes=6)) == [claimed]  # the lease ran out
    sent = copy(claimed, status=SENT, to="", lease_until=None, sent_at=NOW, message_id="m1")
    assert store.save_mail(claimed, sent) is True
    assert store.due_mails(NOW + dt.timedelta(days=1)) == []
    assert store.get_mail(mail.id).to == ""
    other = Mail(id="launch:album:x", kind="launch", campaign="album", lang="fr", to="b@example.org", created_at=NOW)
    assert store.queue_mail(other) is True
    assert store.queue_mail(other) is False
    assert [m.id for m in store.due_mails(NOW)] == ["launch:album:x"]
    assert store.get_mail("nothing") is None
    assert DUE == "due"


def test_a_mark_returns_what_it_held_once_and_forgets_when_over(store):
    ends = NOW + dt.timedelta(minutes=30)
    assert store.marked("hold:a", NOW) is None
    assert store.mark("hold:a", "pl_1", ends, NOW) is None
    assert store.marked("hold:a", NOW) == "pl_1"
    assert store.mark("hold:a", "pl_2", ends, NOW) == "pl_1"
    assert store.mark("hold:b", "pl_9", ends, NOW) is None  # keys are apart
    assert store.marked("hold:a", NOW) == "pl_2"
    over = ends + dt.timedelta(seconds=1)
    assert store.marked("hold:a", over) is None
    assert store.mark("hold:a", "pl_3", over + dt.timedelta(minutes=30), over) is None  # pl_2's time was over


def test_concurrent_marks_each_take_a_different_previous_value(store):
    ends = NOW + dt.timedelta(minutes=30)
    store.mark("race", "start", ends, NOW)
    with ThreadPoolExecutor(max_workers=16) as pool:
        previous = list(pool.map(lambda n: store.mark("race", f"v{n}", ends, NOW), range(40)))
    # A chain: every value but the last was handed on exactly once.
    assert len(set(previous)) == 40 and "start" in previous
    assert set(previous) - {"start"} | {store.marked("race", NOW)} == {f"v{n}" for n in range(40)}


# -- digital rewards' codes -------------------------------------------------------------------

def test_a_pledge_keeps_its_code_and_codes_run_out(store):
    assert store.take_code("album", "bandcamp", "pl_000001", 2) == 0
    assert store.take_code("album", "bandcamp", "pl_000002", 2) == 1
    assert store.take_code("album", "bandcamp", "pl_000001", 2) == 0  # the same one, again
    assert store.take_code("album", "bandcamp", "pl_000003", 2) is None  # all taken: nothing written
    assert store.take_code("album", "bandcamp", "pl_000002", 2) == 1
    # Each reward and campaign counts its own codes.
    assert store.take_code("album", "other", "pl_000003", 2) == 0
    assert store.take_code("book", "bandcamp", "pl_000003", 2) == 0
    assert store.take_code("album", "bandcamp", "pl_000003", 3) == 2  # a codes file that grew


def test_50_concurrent_pledges_on_the_last_codes_each_index_once(store):
    for n in range(10):
        store.take_code("album", "bandcamp", f"pl_{n:06d}", 30)
    barrier = threading.Barrier(16)

    def take(n: int) -> int | None:
        if n < 16:
            barrier.wait()  # the first 16 start together
        return store.take_code("album", "bandcamp", f"pl_{100 + n:06d}", 30)

    with ThreadPoolExecutor(max_workers=16) as pool:
        given = list(pool.map(take, range(50)))
    indexes = [i for i in given if i is not None]
    assert sorted(indexes) == list(range(10, 30))  # the 20 codes left, each to one pledge
    assert given.count(None) == 30
    with ThreadPoolExecutor(max_workers=16) as pool:  # and each pledge that got one keeps it
        again = list(pool.map(lambda n: store.take_code("album", "bandcamp", f"pl_{100 + n:06d}", 30), range(50)))
    assert again == given


# -- comments ------------------------------------------------------------------------------

def comment(n: int, *, parent=None, status: str = "visible", campaign: str = "album", minutes: int = 0, **fields):
    from functions.core.comments import Comment

    return Comment(id=f"cm_{n:020x}", campaign=campaign, text=f"text {n}", name=f"name {n}",
                   created_at=NOW + dt.timedelta(minutes=minutes or n), parent=parent.id if parent else None,
                   parent_key=parent.key if parent else None, status=status, **fields)


def test_a_comment_reads_back_whole_and_its_id_is_written_once(store):
    c = comment(1, status="pending", backer=True, lang="fr")
    store.add_comment(c)
    assert store.get_comment("album", c.id) == c
    assert store.get_comment("other", c.id) is None  # a comment belongs to its campaign
    with pytest.raises(Duplicate):
        store.add_comment(c)
    assert store.all_comments("album") == [c]


def test_a_pending_comment_is_confirmed_once_and_only_then_listed(store):
    c = comment(1, status="pending")
    store.add_comment(c)
    assert store.comment_page("album", None, 10) == ([], None)
    shown = store.confirm_comment("album", c.id)
    assert shown is not None and shown.status == "visible"
    assert store.confirm_comment("album", c.id) is None  # the second click publishes nothing
    assert store.confirm_comment("album", "cm_" + "f" * 20) is None
    assert store.comment_page("album", None, 10) == ([shown], None)


def test_pages_are_newest_threads_first_with_their_replies_and_a_cursor(store):
    from functions.core.comments import threads

    tops = [comment(n) for n in range(1, 6)]
    for c in tops:
        store.add_comment(c)
    replies = [comment(10, parent=tops[1], minutes=30), comment(11, parent=tops[1], minutes=40),
               comment(12, parent=tops[3], minutes=50), comment(13, parent=tops[3], minutes=60, status="pending")]
    for r in replies:
        store.add_comment(r)
    first, cursor = store.comment_page("album", None, 2)
    assert [c.id for c in threads(first)] == [tops[4].id, tops[3].id, replies[2].id]
    second, cursor2 = store.comment_page("album", cursor, 2)
    assert [c.id for c in threads(second)] == [tops[2].id, tops[1].id, replies[0].id, replies[1].id]
    third, end = store.comment_page("album", cursor2, 2)
    assert [c.id for c in threads(third)] == [tops[0].id] and end is None
    assert store.comment_page("other", None, 2) == ([], None)


def test_hide_pin_and_delete(store):
    a, b = comment(1), comment(2)
    reply = comment(3, parent=a)
    for c in (a, b, reply):
        store.add_comment(c)
    assert store.pin_comment("album", a.id) is True
    assert store.pin_comment("album", reply.id) is False  # only a comment, not a reply
    assert [c.id for c in store.pinned_comments("album")] == [reply.id, a.id]
    assert store.get_comment("album", a.id).pinned is True
    assert store.hide_comment("album", b.id) is True
    assert store.hide_comment("album", b.id) is False
    assert [c.id for c in store.comment_page("album", None, 10)[0]] == [reply.id, a.id]
    assert store.pin_comment("album", b.id) is False  # hidden: not pinned
    assert store.delete_comment("album", a.id) is True
    assert store.get_comment("album", reply.id) is None  # its replies go with it
    assert store.pinned_comments("album") == [] and store.comment_page("album", None, 10) == ([], None)
    assert [c.status for c in store.all_comments("album")] == ["hidden"]
    assert store.delete_comment("album", a.id) is False


def test_a_page_spans_more_items_than_one_query_returns(store):
    from functions.core.comments import threads

    tops = [comment(n, minutes=2 * n) for n in range(1, 61)]
    for c in tops:
        store.add_comment(c)
        store.add_comment(comment(1000 + tops.index(c), parent=c, minutes=2 * tops.index(c) + 3))
    page, cursor = store.comment_page("album", None, 55)  # 110 items: past DynamoDB's 100 per query here
    shown = threads(page)
    assert len(shown) == 110 and [c.id for c in shown if c.parent is None] == [c.id for c in tops[::-1][:55]]
    rest, end = store.comment_page("album", cursor, 55)
    assert len(threads(rest)) == 10 and end is None


# -- the pledge manager's surveys ------------------------------------------------------

def test_a_survey_reads_back_whole_and_an_answer_replaces_the_last(store):
    from functions.core.survey import Survey

    first = Survey("pl_000001", "album", {"size": "M", "name": "Zoé « Z »"},
                   {"name": "Zoé", "line1": "1 rue X", "line2": "", "postal_code": "69001", "city": "Lyon",
                    "state": "", "country": "FR"}, NOW)
    assert store.get_survey("pl_000001") is None and store.surveys("album") == []
    assert store.save_survey(first) is True
    assert store.get_survey("pl_000001") == first
    second = Survey("pl_000001", "album", {"size": "L"}, None, NOW + dt.timedelta(hours=1))
    assert store.save_survey(second) is True
    store.save_survey(Survey("pl_000002", "album", {"size": "S"}))
    store.save_survey(Survey("pl_000003", "other", {"size": "S"}))
    assert store.get_survey("pl_000001") == second
    assert [s.pledge_id for s in store.surveys("album")] == ["pl_000001", "pl_000002"]


def test_locked_addresses_take_no_more_answers_and_the_lock_is_set_once(store):
    from functions.core.survey import Survey

    store.save_survey(Survey("pl_000001", "album", {"size": "M"}))
    assert store.addresses_locked("album") is None
    assert store.lock_addresses("album", NOW) is True
    assert store.lock_addresses("album", NOW + dt.timedelta(days=1)) is False  # the first lock stands
    assert store.addresses_locked("album") == NOW and store.addresses_locked("other") is None
    assert store.save_survey(Survey("pl_000001", "album", {"size": "L"})) is False
    assert store.save_survey(Survey("pl_000002", "album", {"size": "L"})) is False
    assert store.get_survey("pl_000001").answers == {"size": "M"} and store.get_survey("pl_000002") is None
    assert store.save_survey(Survey("pl_000003", "other", {"size": "L"})) is True  # another campaign is open
    assert store.counters("album").raised == 0  # the flag is not a counter


# -- add-ons and quantities: every item of a pledge held in its one transaction ---------------

LIMITS = {"vinyl": 30, "poster": 25, "cd": None}


def basket(n: int, reward: str = "vinyl", quantity: int = 1, addons: dict | None = None, **fields) -> Pledge:
    return pledge(n, reward=reward, **fields).replace(quantity=quantity, addons=tuple(sorted((addons or {}).items())))


def test_a_pledge_with_quantities_and_addons_reads_back_whole_and_holds_each_item(store):
    p = basket(1, quantity=2, addons={"poster": 3, "patch": 1})
    store.open_pledge(p, LIMITS)
    assert store.get_pledge(p.id) == p
    assert store.counters("album").claimed == {"vinyl": 2, "poster": 3, "patch": 1}


def test_one_sold_out_addon_holds_nothing_of_the_pledge(store):
    store.open_pledge(basket(1, addons={"poster": 24}), LIMITS)
    with pytest.raises(SoldOut) as refused:
        store.open_pledge(basket(2, quantity=2, addons={"poster": 2}), LIMITS)
    assert "poster" in str(refused.value)
    assert store.get_pledge("pl_000002") is None and store.referral("code000002") is None
    assert store.counters("album").claimed == {"vinyl": 1, "poster": 24}
    store.open_pledge(basket(3, quantity=2, addons={"poster": 1}), LIMITS)  # the last poster fits
    assert store.counters("album").claimed == {"vinyl": 3, "poster": 25}


def test_expiry_and_cancel_release_every_item_together(store):
    a = basket(1, quantity=2, addons={"poster": 3}, mode="setup")
    b = basket(2, reward="cd", addons={"poster": 1}, mode="setup")
    store.open_pledge(a, LIMITS)
    store.open_pledge(b, LIMITS)
    move(store, a, "evt_a", status=EXPIRED)
    b = move(store, b, "evt_b", status=PLEDGED)
    assert store.counters("album").claimed == {"vinyl": 0, "poster": 1, "cd": 1}
    move(store, b, None, status="cancelled", cancel_reason="backer")
    assert store.counters("album").claimed == {"vinyl": 0, "poster": 0, "cd": 0}
    from functions.core.reconcile import drift

    assert drift(store.counters("album"), {}, store.pledges("album")) == []


def mixed(n: int) -> Pledge:
    """Four kinds of baskets, interleaved: one vinyl; two vinyls and a poster; a vinyl and two
    posters; an unlimited CD with a poster."""
    kind = n % 4
    if kind == 0:
        return basket(n, mode="setup")
    if kind == 1:
        return basket(n, quantity=2, addons={"poster": 1}, mode="setup")
    if kind == 2:
        return basket(n, addons={"poster": 2}, mode="setup")
    return basket(n, reward="cd", addons={"poster": 1}, mode="setup")


def test_200_concurrent_baskets_on_the_last_units_never_oversell_nor_hold_in_part(store):
    won, lost = [], []
    lock = threading.Lock()

    def back(n: int) -> None:
        p = mixed(n)
        try:
            store.open_pledge(p, LIMITS)
        except SoldOut:
            with lock:
                lost.append(p)
            return
        with lock:
            won.append(p)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(back, range(200)))
    held = store.counters("album").claimed
    # Exactly the winners' units, never one more: a refused basket held nothing.
    units: dict[str, int] = {}
    for p in won:
        for item, n in p.units.items():
            units[item] = units.get(item, 0) + n
    assert held == units
    assert sorted(p.id for p in store.pledges("album")) == sorted(p.id for p in won)
    # Single-item baskets kept coming after each limited item ran out: both are sold to the last unit.
    assert (held["vinyl"], held["poster"]) == (30, 25)
    assert len(won) + len(lost) == 200 and len(lost) > 100
    # Every winner's session lapses at once with a retry racing it: all units come back, none twice.
    def expire(p: Pledge) -> None:
        current = store.get_pledge(p.id)
        if current.status != PENDING:
            return
        try:
            move(store, current, f"evt_{p.id}", status=EXPIRED)
        except (Duplicate, Conflict):
            pass

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(expire, won + won))
    assert set(store.counters("album").claimed.values()) == {0}
