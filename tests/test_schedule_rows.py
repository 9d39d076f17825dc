"""reschedule_family / cancel_family against a real database: rows, moves, cancellations, never doubled."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.core.config import Settings
from bot.flows import reminders as rules
from bot.flows import schedule
from bot.flows.schedule import cancel_family, reschedule_family
from content import get_content
from storage import outbox
from storage.models import Family, User
from tests.test_reminders_support import make_family, rows

BIRTH = date(2026, 11, 20)
REGISTERED = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)  # 22:00 WITA on the birth day
MOTHER, HUSBAND = 5001, 5002


@pytest.fixture
def cfg() -> Settings:
    return Settings(jitter=timedelta(0))


@pytest.fixture
def family(db):
    with db.session() as s:
        return make_family(s, now=REGISTERED, birth_date=BIRTH, tz="Asia/Makassar",
                           members=[(MOTHER, "mother"), (HUSBAND, "husband")])


def resched(db, fid, now, cfg):
    with db.session() as s:
        return reschedule_family(s, fid, now=now, settings=cfg)


def test_registration_writes_one_row_per_item_and_recipient(db, family, cfg):
    result = resched(db, family, REGISTERED, cfg)
    content = get_content()
    p = content.default_protocol
    edu_rows = sum(
        2 if content.education[e.education_id].audience == "semua" else 1 for e in p.education
    )
    # 6 massages × 2 people + 2 checklists for the mother + the education messages.
    assert result.created == 12 + 2 + edu_rows
    assert result.missed == [] and result.cancelled == 0
    all_rows = rows(db, family)
    assert len(all_rows) == result.created
    assert len({r.dedupe_key for r in all_rows}) == len(all_rows)
    massage = [r for r in all_rows if r.kind == "massage"]
    assert {(r.payload["slot"], r.due_at) for r in massage} >= {
        ("d1s1", datetime(2026, 11, 20, 23, 0, tzinfo=UTC)), ("d3s2", datetime(2026, 11, 23, 8, 0, tzinfo=UTC))}
    checklist = [r for r in all_rows if r.kind == "checklist"]
    with db.session() as s:
        mother_id = outbox.user_by_telegram_id(s, MOTHER).id
    assert {r.user_id for r in checklist} == {mother_id}
    assert all(r.payload["tz"] == "Asia/Makassar" and r.status == "pending" for r in all_rows)


def test_rescheduling_again_changes_nothing(db, family, cfg):
    first = resched(db, family, REGISTERED, cfg)
    before = [(r.id, r.due_at, r.status) for r in rows(db, family)]
    again = resched(db, family, REGISTERED + timedelta(minutes=5), cfg)
    assert (again.created, again.cancelled, again.moved) == (0, 0, 0)
    assert first.created > 0
    assert [(r.id, r.due_at, r.status) for r in rows(db, family)] == before


def test_late_registration_reports_what_was_missed(db, cfg):
    late = datetime(2026, 11, 21, 2, 0, tzinfo=UTC)  # 10:00 WITA on day 1
    with db.session() as s:
        fid = make_family(s, now=late, birth_date=BIRTH, tz="Asia/Makassar", members=[(MOTHER, "mother")])
    result = resched(db, fid, late, cfg)
    assert result.missed == ["massage", "education"]
    assert result.missed_items >= 2
    slots = {r.payload["slot"] for r in rows(db, fid)}
    assert "d1s1" not in slots and "d1s2" in slots
    # The baseline (pre) checklist is not lost: it comes before the next massage.
    [pre] = [r for r in rows(db, fid) if r.payload["slot"] == "pre_d1"]
    [next_massage] = [r for r in rows(db, fid) if r.payload["slot"] == "d1s2"]
    assert late < pre.due_at < next_massage.due_at
    note = rules.missed_note(get_content(), result)
    assert "pengingat pijat" in note and "ceklis sebelum pijat" not in note
    # Scheduling again changes nothing.
    again = resched(db, fid, late, cfg)
    assert again.created == 0 and again.moved == 0 and again.cancelled == 0
    assert rules.missed_note(get_content(), schedule.ScheduleResult()) is None


def test_too_late_for_any_massage_the_pre_checklist_is_missed(db, cfg):
    late = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # 20:00 WITA on day 3, after the last massage
    with db.session() as s:
        fid = make_family(s, now=late, birth_date=BIRTH, tz="Asia/Makassar", members=[(MOTHER, "mother")])
    result = resched(db, fid, late, cfg)
    assert "checklist_pre" in result.missed
    assert not [r for r in rows(db, fid) if r.payload["slot"] == "pre_d1"]


def test_changing_times_moves_pending_rows_and_leaves_sent_ones(db, family, cfg):
    resched(db, family, REGISTERED, cfg)
    first = rows(db, family, "massage")[0]
    with db.session() as s:  # the first reminder went out
        row = outbox.get(s, first.id)
        row.status, row.sent_at = "sent", first.due_at
        s.add(row)
    now = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)  # 09:00 WITA day 1
    with db.session() as s:
        fam = s.get(Family, family)
        result = rules.change_times(s, fam, (time(6, 30), time(15, 30)), now=now, settings=cfg,
                                    content=get_content())
    assert result.moved > 0 and result.created == 0
    after = {r.dedupe_key: r for r in rows(db, family)}
    assert after[first.dedupe_key].status == "sent" and after[first.dedupe_key].due_at == first.due_at
    d1s2 = [r for r in after.values() if r.kind == "massage" and r.payload["slot"] == "d1s2"]
    assert {r.due_at for r in d1s2} == {datetime(2026, 11, 21, 7, 30, tzinfo=UTC)}  # 15:30 WITA
    assert all(r.payload["local"] == "15:30" for r in d1s2)
    assert len(after) == len(rows(db, family))  # moved, not added


def test_birth_date_change_moves_rows_and_never_resends(db, family, cfg):
    resched(db, family, REGISTERED, cfg)
    count = len(rows(db, family))
    with db.session() as s:
        fam = s.get(Family, family)
        fam.birth_date = BIRTH + timedelta(days=1)
        s.add(fam)
        result = reschedule_family(s, family, now=REGISTERED, settings=cfg)
    assert result.moved > 0 and result.created == 0
    assert len(rows(db, family)) == count
    d1s1 = [r for r in rows(db, family, "massage") if r.payload["slot"] == "d1s1"]
    assert {r.due_at for r in d1s1} == {datetime(2026, 11, 21, 23, 0, tzinfo=UTC)}


def test_birth_date_corrected_to_an_earlier_day_does_not_double_a_morning(db, family, cfg):
    resched(db, family, REGISTERED, cfg)
    morning = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)  # 07:00 WITA on 21 Nov
    now = morning - timedelta(hours=1)
    with db.session() as s:
        fam = s.get(Family, family)
        fam.birth_date = BIRTH - timedelta(days=1)  # day 1 was yesterday, today is day 2
        s.add(fam)
        reschedule_family(s, family, now=now, settings=cfg)
    due_then = [r for r in rows(db, family, "massage") if r.status == "pending" and r.due_at == morning]
    assert sorted(r.payload["slot"] for r in due_then) == ["d2s1", "d2s1"]  # once per person, not d1s1 too
    old_day1 = [r for r in rows(db, family, "massage") if r.payload["slot"].startswith("d1")]
    assert {r.status for r in old_day1} == {"cancelled"}


def test_pause_cancels_and_resume_brings_future_rows_back(db, family, cfg):
    resched(db, family, REGISTERED, cfg)
    total = len(rows(db, family))
    with db.session() as s:
        fam = s.get(Family, family)
        fam.reminders_paused = True
        s.add(fam)
        cancelled = cancel_family(s, family, now=REGISTERED, reason="paused")
    assert cancelled == total
    assert {r.status for r in rows(db, family)} == {"cancelled"}
    resume_at = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # day 1, 20:00 WITA
    with db.session() as s:
        fam = s.get(Family, family)
        fam.reminders_paused = False
        s.add(fam)
        result = reschedule_family(s, family, now=resume_at, settings=cfg)
    pending = [r for r in rows(db, family) if r.status == "pending"]
    assert pending and all(r.due_at > resume_at for r in pending)
    assert result.created == len(pending)
    assert all(r.status == "cancelled" for r in rows(db, family) if r.due_at <= resume_at)


def test_cancel_family_leaves_other_kinds_alone(db, family, cfg):
    resched(db, family, REGISTERED, cfg)
    with db.session() as s:
        outbox.insert(s, dedupe_key="alert:1:1:9", kind="alert_repeat", due_at=REGISTERED, now=REGISTERED,
                      family_id=family, user_id=None, chat_id=9, payload={})
        cancel_family(s, family, now=REGISTERED, reason="deleted")
    alert = rows(db, family, "alert_repeat")
    assert [r.status for r in alert] == ["pending"]


def test_unreachable_member_loses_pending_rows_on_reschedule(db, family, cfg):
    resched(db, family, REGISTERED, cfg)
    with db.session() as s:
        husband = outbox.user_by_telegram_id(s, HUSBAND)
        husband.reachable = False
        s.add(husband)
        result = reschedule_family(s, family, now=REGISTERED, settings=cfg)
        husband_id = husband.id
    assert result.cancelled > 0
    assert {r.status for r in rows(db, family) if r.user_id == husband_id} == {"cancelled"}
    assert {r.status for r in rows(db, family) if r.user_id != husband_id} == {"pending"}


def test_a_member_who_joins_later_gets_only_future_rows(db, family, cfg):
    resched(db, family, REGISTERED, cfg)
    from tests.test_reminders_support import add_member

    joined = datetime(2026, 11, 21, 4, 0, tzinfo=UTC)  # day 1, 12:00 WITA
    with db.session() as s:
        uid = add_member(s, family, 5003, "companion", now=joined)
        result = reschedule_family(s, family, now=joined, settings=cfg)
    theirs = [r for r in rows(db, family) if r.user_id == uid]
    assert theirs and all(r.due_at > joined for r in theirs)
    assert result.created == len(theirs) and result.missed == []


def test_no_birth_date_or_finished_family_gets_nothing(db, cfg):
    with db.session() as s:
        fid = make_family(s, now=REGISTERED, birth_date=None, members=[(MOTHER, "mother")])
    assert resched(db, fid, REGISTERED, cfg).created == 0
    assert rows(db, fid) == []


def test_insert_is_idempotent_on_the_dedupe_key(db):
    with db.session() as s:
        assert outbox.insert(s, dedupe_key="k1", kind="massage", due_at=REGISTERED, now=REGISTERED, payload={})
        assert not outbox.insert(s, dedupe_key="k1", kind="massage", due_at=REGISTERED, now=REGISTERED, payload={})
    assert len(rows(db)) == 1


def test_claim_leases_and_an_expired_lease_is_claimed_again(db):
    with db.session() as s:
        for i in range(5):
            outbox.insert(s, dedupe_key=f"c{i}", kind="massage", due_at=REGISTERED, now=REGISTERED, payload={})
        outbox.insert(s, dedupe_key="later", kind="massage", due_at=REGISTERED + timedelta(hours=1),
                      now=REGISTERED, payload={})
    lease = REGISTERED + timedelta(seconds=30)
    with db.session() as s:
        a = outbox.claim(s, now=REGISTERED, worker="a", lease_until=lease, limit=3)
    with db.session() as s:
        b = outbox.claim(s, now=REGISTERED, worker="b", lease_until=lease, limit=10)
    assert len(a) == 3 and len(b) == 2 and not {r.id for r in a} & {r.id for r in b}
    with db.session() as s:
        assert outbox.claim(s, now=REGISTERED, worker="c", lease_until=lease, limit=10) == []
        assert outbox.mark_sent(s, a[0].id, worker="a", now=REGISTERED, message_id=1)
        assert not outbox.mark_sent(s, a[1].id, worker="b", now=REGISTERED, message_id=1)  # not b's row
    later = lease + timedelta(seconds=1)
    with db.session() as s:
        c = outbox.claim(s, now=later, worker="c", lease_until=later + timedelta(seconds=30), limit=10)
    assert {r.id for r in c} == {r.id for r in a[1:]} | {r.id for r in b}
    assert all(r.attempts == 2 for r in c)
    with db.session() as s:  # the old owner cannot overwrite the new owner's result
        assert not outbox.mark_failed(s, a[1].id, worker="a", error="late")
        assert outbox.mark_retry(s, a[1].id, worker="c", not_before=later + timedelta(seconds=20), error="x")
        assert outbox.claim(s, now=later, worker="d", lease_until=later, limit=10) == []
        again = outbox.claim(s, now=later + timedelta(seconds=20), worker="d", lease_until=later, limit=10)
    assert [r.id for r in again] == [a[1].id]


def test_users_marked_unreachable_are_not_recipients(db, family):
    with db.session() as s:
        assert [r.role for r in outbox.recipients(s, family)] == ["mother", "husband"]
        s.get(User, outbox.user_by_telegram_id(s, MOTHER).id).reachable = False
    with db.session() as s:
        assert [r.role for r in outbox.recipients(s, family)] == ["husband"]
