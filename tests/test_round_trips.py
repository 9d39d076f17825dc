"""How many statements one update costs: on PostgreSQL each is a network round trip, and with the database
1–2 ms away they, not the CPU, set how long a person waits (BENCHMARKS.md, the engine room).

- A ``/start`` from someone new is BEGIN, at most four statements, COMMIT: the update id recorded, the person
  looked up once (the record step and the handler share it, storage/users.py), the conversation state written
  with one upsert (storage/chatstate.py). On PostgreSQL the record and the lookup are one statement (an INSERT in
  a WITH, the person joined to it: storage/updates.py), so it is BEGIN, two statements, COMMIT. No pre-ping before the unit of work (storage/db.py); a connection the server
  closed is handled by the turn's retry (tests/test_reliability_database.py).
- The conversation state: written in place when the session already holds it, by one upsert otherwise, and
  after it was deleted in the same session it is stored again.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event

from storage import chatstate, users


def _count_statements(db) -> list[str]:
    seen: list[str] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def _note(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA")):
            seen.append(statement.split()[0].upper() + " " + statement.split()[2 if statement.startswith("INSERT") else 1])

    return seen


async def test_a_start_from_someone_new_is_four_statements(bot, db, fake_tg):
    first = fake_tg.user(user_id=6001, first_name="Ani")
    await first.send("/start")  # warm-up: the statements below are those of an ordinary update
    seen = _count_statements(db)
    someone = fake_tg.user(user_id=6002, first_name="Rina")
    await someone.send("/start")
    assert someone.last_reply.text  # answered
    assert len(seen) <= 4, seen
    assert sum(s.startswith("SELECT") for s in seen) <= 1, seen  # the person is looked up once
    if not db.is_sqlite:  # the update recorded and the person looked up in one statement, then the state's upsert
        assert [s.split()[0] for s in seen] == ["WITH", "INSERT"], seen
    assert not db.engine.pool._pre_ping  # no extra round trip before each unit of work


def test_the_person_is_looked_up_once_per_session_and_a_new_one_is_found_after_creation(db):
    now = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    with db.session() as s:
        seen = _count_statements(db)
        assert users.get_by_telegram_id(s, 7001) is None
        assert users.get_by_telegram_id(s, 7001) is None
        assert len(seen) == 1
        created = users.upsert(s, telegram_id=7001, chat_id=7001, first_name="Sri", language_code="id", now=now)
        assert users.get_by_telegram_id(s, 7001) is created
        created.telegram_id = None  # what erasing a person does (storage/families.py)
        assert users.get_by_telegram_id(s, 7001) is None


def test_the_state_is_upserted_changed_in_place_and_stored_again_after_a_delete(db):
    now = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    with db.session() as s:
        chatstate.put(s, 8001, flow="onboarding", step="role", data={"a": 1}, now=now)
    with db.session() as s:
        assert (chatstate.get(s, 8001).flow, chatstate.get(s, 8001).data) == ("onboarding", {"a": 1})
    with db.session() as s:
        chatstate.put(s, 8001, flow="checklist", step="q2", data={"b": 2}, now=now)  # not held: the upsert
    with db.session() as s:
        held = chatstate.get(s, 8001)
        assert (held.flow, held.step, held.data) == ("checklist", "q2", {"b": 2})
        chatstate.put(s, 8001, flow="menu", now=now)  # held: changed in place
        assert held.flow == "menu"
        s.delete(held)
        chatstate.put(s, 8001, flow="idle", step="again", now=now)  # deleted in this session: stored again
    with db.session() as s:
        assert (chatstate.get(s, 8001).flow, chatstate.get(s, 8001).step) == ("idle", "again")


def test_the_update_is_recorded_once_and_the_person_found_with_it(db):
    from storage import updates

    now = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
    with db.session() as s:
        known = users.upsert(s, telegram_id=9001, chat_id=9001, first_name="Sri", language_code="id", now=now)
    with db.session() as s:
        seen = _count_statements(db)
        fresh, person = updates.first_time_with_person(s, 501, now, 9001)
        assert fresh and person is not None and person.id == known.id
        assert users.get_by_telegram_id(s, 9001) is person  # remembered: no second lookup
        assert len(seen) == (1 if not db.is_sqlite else 2)
    with db.session() as s:
        assert updates.first_time_with_person(s, 501, now, 9001) == (False, None)  # a duplicate delivery
        fresh, nobody = updates.first_time_with_person(s, 502, now, 9002)
        assert fresh and nobody is None
        seen = _count_statements(db)
        assert users.get_by_telegram_id(s, 9002) is None and not seen  # nobody, remembered too
    with db.session() as s:
        assert updates.recorded(s, [501, 502, 503]) == {501, 502}
