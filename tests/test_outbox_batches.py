"""Batch operations of storage/outbox.py (the dispatcher's and the schedule's): same results as row by row."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event

from storage import outbox
from storage.models import Family, Membership, Outbox, User

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def _family(s, n: int, people: list[tuple[str, bool, bool, int | None]]) -> tuple[int, list[int]]:
    """people: (role, active, reachable, chat_id)."""
    fam = Family(code=f"P{n:05d}", link_code=f"LP{n:07d}", birth_date=date(2026, 11, 19), created_at=NOW)
    s.add(fam)
    s.flush()
    ids = []
    for k, (role, active, reachable, chat) in enumerate(people):
        user = User(telegram_id=n * 100 + k, chat_id=chat, first_name=role, reachable=reachable, created_at=NOW)
        s.add(user)
        s.flush()
        s.add(Membership(user_id=user.id, family_id=fam.id, role=role, active=active,
                         joined_at=NOW + timedelta(minutes=k)))
        ids.append(user.id)
    s.flush()
    return fam.id, ids


def _rows(s, fams: dict[int, list[int]]) -> list[Outbox]:
    rows = []
    for fid, users in fams.items():
        for uid in users:
            row = Outbox(dedupe_key=f"f{fid}:massage:d1s1:u{uid}", family_id=fid, user_id=uid, kind="massage",
                         payload={}, due_at=NOW, created_at=NOW)
            s.add(row)
            rows.append(row)
    s.flush()
    return rows


def test_preloaded_answers_match_the_queries_and_need_no_query_per_row(db):
    with db.session() as s:
        fams = dict([
            _family(s, 1, [("husband", True, True, 11), ("mother", True, True, 10)]),
            _family(s, 2, [("mother", True, False, 20), ("companion", True, True, 21), ("husband", False, True, 22)]),
            _family(s, 3, [("mother", True, True, None)]),
        ])
        rows = _rows(s, fams)
    pairs = [(r.family_id, r.user_id) for r in rows]
    with db.session() as s:
        expected = ({fid: outbox.recipients(s, fid) for fid in fams},
                    {p: (m.id, m.role, m.active) for p in pairs if (m := outbox.membership(s, *p))})
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    with db.session() as s:
        outbox.preload(s, rows)
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            got = ({fid: outbox.recipients(s, fid) for fid in fams},
                   {p: (m.id, m.role, m.active) for p in pairs if (m := outbox.membership(s, *p))})
            people = {uid: outbox.user(s, uid).first_name for _, uid in pairs}
            families = {fid: outbox.family(s, fid).code for fid in fams}
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert got == expected
    assert [r.role for r in got[0][next(iter(fams))]] == ["mother", "husband"]  # mother first
    assert [r.role for r in got[0][list(fams)[1]]] == ["companion"]  # unreachable and inactive left out
    assert got[0][list(fams)[2]] == []  # no chat: nobody to write to
    assert len(people) == 6 and len(families) == 3
    assert statements == []  # everything came from the preload


def test_families_outside_the_batch_are_still_queried(db):
    with db.session() as s:
        inside, (mother_in,) = _family(s, 4, [("mother", True, True, 40)])
        outside, (mother_out, husband_out) = _family(s, 5, [("mother", True, True, 50), ("husband", True, True, 51)])
        rows = _rows(s, {inside: [mother_in]})
    with db.session() as s:
        outbox.preload(s, rows)
        assert [r.user_id for r in outbox.recipients(s, outside)] == [mother_out, husband_out]
        assert outbox.membership(s, outside, husband_out).role == "husband"
        assert outbox.membership(s, inside, husband_out) is None
    with db.session() as s:  # a new session has no snapshot
        s.add(Membership(user_id=husband_out, family_id=inside, role="husband", active=True, joined_at=NOW))
        s.flush()
        assert [r.user_id for r in outbox.recipients(s, inside)] == [mother_in, husband_out]


def test_mark_sent_many_records_only_rows_the_worker_still_holds(db):
    with db.session() as s:
        fid, users = _family(s, 6, [("mother", True, True, 60), ("husband", True, True, 61), ("companion", True, True, 62)])
        _rows(s, {fid: users})
    with db.session() as s:
        claimed = outbox.claim(s, now=NOW, worker="w1", lease_until=NOW + timedelta(minutes=5), limit=10)
        ids = [r.id for r in claimed]
        taken = s.get(Outbox, ids[2])
        taken.claimed_by = "w2"  # its lease ran out and another worker holds it now
        s.add(taken)
    sent_at = [NOW + timedelta(seconds=k) for k in range(3)]
    with db.session() as s:
        done = outbox.mark_sent_many(s, [(ids[k], sent_at[k], 500 + k) for k in range(3)], worker="w1")
        assert outbox.mark_sent_many(s, [], worker="w1") == 0
    assert done in (2, -1)
    with db.session() as s:
        rows = [s.get(Outbox, i) for i in ids]
    assert [(r.status, r.sent_at, r.telegram_message_id, r.lease_until) for r in rows[:2]] == [
        ("sent", sent_at[0], 500, None), ("sent", sent_at[1], 501, None)]
    assert (rows[2].status, rows[2].claimed_by, rows[2].sent_at) == ("claimed", "w2", None)


def test_insert_many_adds_new_keys_once_and_counts_them(db):
    with db.session() as s:
        fid, (uid,) = _family(s, 7, [("mother", True, True, 70)])
        assert outbox.insert(s, dedupe_key="k1", kind="massage", due_at=NOW, now=NOW, family_id=fid, user_id=uid,
                             chat_id=70, payload={"slot": "a"})
    rows = [dict(dedupe_key=k, kind="massage", due_at=NOW + timedelta(hours=n), family_id=fid, user_id=uid,
                 chat_id=70, payload={"slot": k}) for n, k in enumerate(("k1", "k2", "k3"))]
    with db.session() as s:
        assert outbox.insert_many(s, rows, now=NOW) == 2
        assert outbox.insert_many(s, rows, now=NOW) == 0  # a second time adds nothing
        assert outbox.insert_many(s, [], now=NOW) == 0
    with db.session() as s:
        stored = {r.dedupe_key: r for r in outbox.rows_for_family(s, fid)}
    assert sorted(stored) == ["k1", "k2", "k3"]
    assert stored["k1"].payload == {"slot": "a"}  # the existing row is left as it was
    k3 = stored["k3"]
    assert (k3.status, k3.due_at, k3.payload, k3.chat_id, k3.attempts, k3.created_at) == (
        "pending", NOW + timedelta(hours=2), {"slot": "k3"}, 70, 0, NOW)


def test_claim_takes_the_oldest_due_rows_across_pending_and_expired_leases(db):
    with db.session() as s:
        fid, (uid,) = _family(s, 8, [("mother", True, True, 80)])
        spec = [  # (minutes before NOW it was due, status, lease ends minutes after NOW)
            (50, "claimed", -1),  # its worker died: lease over, taken again
            (40, "pending", None),
            (30, "claimed", 5),  # still held by a live worker
            (20, "pending", 3),  # waiting out a back-off
            (10, "pending", None),
            (5, "claimed", -2),
            (-5, "pending", None),  # not due yet
        ]
        ids = []
        for k, (ago, status, lease) in enumerate(spec):
            row = Outbox(dedupe_key=f"c{k}", family_id=fid, user_id=uid, kind="massage", payload={},
                         due_at=NOW - timedelta(minutes=ago), status=status, created_at=NOW,
                         lease_until=None if lease is None else NOW + timedelta(minutes=lease),
                         claimed_by="old" if status == "claimed" else None)
            s.add(row)
            s.flush()
            ids.append(row.id)
    with db.session() as s:
        first = [r.id for r in outbox.claim(s, now=NOW, worker="w", lease_until=NOW + timedelta(minutes=5), limit=3)]
    with db.session() as s:
        second = [r.id for r in outbox.claim(s, now=NOW, worker="w", lease_until=NOW + timedelta(minutes=5), limit=3)]
        held = {i: (s.get(Outbox, i).status, s.get(Outbox, i).claimed_by) for i in ids}
    assert first == [ids[0], ids[1], ids[4]]  # oldest due first, whatever the status
    assert second == [ids[5]]
    assert held[ids[2]] == ("claimed", "old") and held[ids[3]] == ("pending", None) and held[ids[6]][0] == "pending"


def test_slot_done_from_the_batch_preload_matches_the_queries_with_no_query_per_row(db):
    """The dispatcher's rendering asks, per massage reminder, whether its slot is already done (a sibling
    logged "Sudah dilakukan", or a massage done since shortly before the slot): bot/flows/reminders.py
    preloads both for the batch."""
    from bot.flows import reminders
    from storage.models import MassageSession

    with db.session() as s:
        fams = dict([
            _family(s, 6, [("mother", True, True, 60), ("husband", True, True, 61)]),  # sibling logged it
            _family(s, 7, [("mother", True, True, 70), ("husband", True, True, 71)]),  # massage done just now
            _family(s, 8, [("mother", True, True, 80), ("husband", True, True, 81)]),  # massage done yesterday
            _family(s, 9, [("mother", True, True, 90)]),  # nothing yet
        ])
        rows = _rows(s, fams)
        for r in rows:
            r.payload = {"slot": "d1s1"}
        first = next(r for r in rows if r.family_id == list(fams)[0])
        first.payload = {"slot": "d1s1", "logged_session": 1}
        for fid, at, status in ((list(fams)[1], NOW - timedelta(minutes=10), "completed"),
                                (list(fams)[2], NOW - timedelta(days=1), "completed")):
            s.add(MassageSession(family_id=fid, protocol_id="default", started_at=at, status=status))
        s.flush()
        ids = [r.id for r in rows]
    with db.session() as s:
        batch = [s.get(Outbox, i) for i in ids]
        expected = {r.id: reminders.slot_done(s, r) for r in batch}
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    with db.session() as s:
        batch = [s.get(Outbox, i) for i in ids]
        reminders.preload(s, batch)
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            got = {r.id: reminders.slot_done(s, r) for r in batch}
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert got == expected
    by_family = {fid: {got[r.id] for r in batch if r.family_id == fid} for fid in fams}
    assert list(by_family.values()) == [{True}, {True}, {False}, {False}]
    assert statements == []
