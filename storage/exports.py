"""Streaming row queries for exports and analysis.

Every function yields one plain dict per row, fetched from the database in batches (``yield_per``: a
server-side cursor on PostgreSQL, a stepped cursor on SQLite), so an export of many thousands of families
never holds them all in memory. Consume one generator completely before starting the next.

Families that were deleted are never exported, except in the research rows (answers, measurements): those
hold only families with research consent (:func:`research_consent`), including a consenting family that used
/hapus (its answers were kept without any personal field). ``facility_id=None`` means every facility.
Names (and the alerts' words and replies, which /hapus removes) are only read when ``with_names`` is
True; Telegram ids are never exported.

The ``*_rows`` functions are the fast form of the largest sheets: plain tuples in the sheet's column order,
with the local wall-clock times already written by the database (``YYYY-MM-DD HH:MM:SS``, seconds truncated)
for families whose zone has a fixed UTC offset (``offsets``: zone name -> minutes), flags as 1/0. The wide
pre/post sheets are read per protocol version (storage/research.py, bot/export/prepost.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    null,
    or_,
    type_coerce,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.models import (
    Alert,
    AlertEvent,
    Answer,
    Facility,
    Family,
    MassageSession,
    MassageVitals,
    Measurement,
    Membership,
    Staff,
    User,
)

BATCH = 500
TUPLE_BATCH = 2000  # rows per fetch of the tuple streams
PG_STREAM_BATCH = 500  # rows per chunk of a PostgreSQL stream


def _of_sessions(stmt: Select) -> Select:
    """The massage sessions with their family and the performer's membership (both forms of the sheet)."""
    return (stmt.select_from(MassageSession)
            .join(Family, col(Family.id) == MassageSession.family_id)
            .outerjoin(Membership, and_(Membership.user_id == MassageSession.user_id,
                                        Membership.family_id == MassageSession.family_id)))


def performer_role() -> ColumnElement:
    """SQL: who gave a session: the giver's family role, or "health_worker" for a health worker (/vital, seed
    002), else NULL (someone not on the bot)."""
    staff = exists().where(Staff.user_id == MassageSession.user_id).correlate(MassageSession)
    return func.coalesce(Membership.role, case((staff, "health_worker"), else_=None))


def _live(stmt: Select, facility_id: int | None) -> Select:
    stmt = stmt.where(col(Family.deleted_at).is_(None), Family.status != "deleted")
    if facility_id is not None:
        stmt = stmt.where(Family.facility_id == facility_id)
    return stmt


def _kept(stmt: Select, facility_id: int | None) -> Select:
    """Live families, and a family that used /hapus after research consent (its study rows are kept, without any
    personal field): the families, sessions and answers sheets count the same families as the study's flow."""
    kept = or_(and_(col(Family.deleted_at).is_(None), Family.status != "deleted"), research_consent().is_(True))
    if facility_id is not None:
        stmt = stmt.where(Family.facility_id == facility_id)
    return stmt.where(kept)


def research_consent():
    """SQL: the family's research consent — the mother's, or the registering person's when no mother joined."""
    mother = (
        select(User.consent_research).join(Membership, col(Membership.user_id) == User.id)
        .where(Membership.family_id == Family.id, Membership.role == "mother")
        .order_by(Membership.id).limit(1).correlate(Family).scalar_subquery()
    )
    creator = select(User.consent_research).where(User.id == Family.created_by).correlate(Family).scalar_subquery()
    return func.coalesce(mother, creator, False)


def _research(stmt: Select, facility_id: int | None) -> Select:
    """Research rows: every family with research consent (deleted ones too: their answers were kept)."""
    stmt = stmt.where(research_consent().is_(True))
    if facility_id is not None:
        stmt = stmt.where(Family.facility_id == facility_id)
    return stmt


def _stream(session: Session, stmt: Select) -> Iterator[Mapping]:
    """Rows as read-only mappings, straight from the cursor (no ORM layer: these are plain columns)."""
    result = session.connection().execute(stmt.execution_options(yield_per=BATCH))
    try:
        yield from result.mappings()
    finally:
        result.close()


def count_families(session: Session, facility_id: int | None) -> int:
    return int(session.exec(_live(select(func.count()).select_from(Family), facility_id)).one())


def families(session: Session, facility_id: int | None, *, with_names: bool = False) -> Iterator[dict]:
    """One row per family: codes, protocol, birth date, status, member and session counts."""
    members = (
        select(func.count()).where(Membership.family_id == Family.id, col(Membership.active).is_(True))
        .correlate(Family).scalar_subquery()
    )
    done = (
        select(func.count())
        .where(MassageSession.family_id == Family.id, col(MassageSession.status).in_(("completed", "logged")))
        .correlate(Family).scalar_subquery()
    )
    cols = [
        Family.id.label("family_id"), Family.code.label("family"), Facility.code.label("facility"),
        Family.protocol_id.label("protocol"), Family.birth_date.label("birth_date"),
        Family.timezone.label("timezone"), Family.status.label("status"),
        Family.reminders_paused.label("reminders_paused"), Family.created_at.label("registered_at"),
        members.label("members"), done.label("sessions_done"),
        # issue 14: the protocol version enrolled under, research consent and Table 1
        Family.protocol_version.label("protocol_version"), research_consent().label("consent_research"),
        Family.birth_time.label("birth_time"), Family.mother_age.label("mother_age"), Family.parity.label("parity"),
        Family.education.label("education"), Family.work.label("work"), Family.birth_mode.label("birth_mode"),
    ]
    if with_names:
        mother = aliased(User)
        mother_name = (
            select(func.coalesce(mother.display_name, mother.first_name))
            .join(Membership, and_(Membership.user_id == mother.id, Membership.family_id == Family.id))
            .where(Membership.role == "mother")
            .order_by(Membership.id).limit(1)
            .correlate(Family).scalar_subquery()
        )
        cols.append(mother_name.label("mother_name"))
    stmt = select(*cols).select_from(Family).outerjoin(Facility, col(Facility.id) == Family.facility_id)
    # a family that used /hapus after research consent stays as a pseudonymous row (the caller blanks its
    # personal fields)
    return _stream(session, _kept(stmt, facility_id).order_by(Family.id))


def members(session: Session, facility_id: int | None, *, with_names: bool = False) -> Iterator[dict]:
    """One row per membership, ordered by family then joining order."""
    cols = [
        Family.code.label("family"), Family.timezone.label("timezone"), Membership.role.label("role"),
        Membership.active.label("active"), Membership.joined_at.label("joined_at"),
        User.reachable.label("reachable"), User.consent_research.label("consent_research"),
        User.consent_version.label("consent_version"),
    ]
    if with_names:
        cols.append(func.coalesce(User.display_name, User.first_name).label("name"))
    stmt = (
        select(*cols).select_from(Membership)
        .join(Family, col(Family.id) == Membership.family_id)
        .join(User, col(User.id) == Membership.user_id)
    )
    return _stream(session, _live(stmt, facility_id).order_by(Family.id, Membership.id))


def sessions(session: Session, facility_id: int | None) -> Iterator[dict]:
    """One row per massage session, with the role of the person who gave it."""
    stmt = (
        select(
            Family.code.label("family"), Family.timezone.label("timezone"),
            performer_role().label("performer_role"), MassageSession.protocol_id.label("protocol"),
            MassageSession.postpartum_day.label("day"), MassageSession.started_at.label("started_at"),
            MassageSession.ended_at.label("ended_at"), MassageSession.duration_seconds.label("duration_seconds"),
            MassageSession.status.label("status"), MassageSession.stop_reason.label("stop_reason"),
            MassageSession.step_reached.label("step_reached"),
            MassageSession.confirmed_by_mother_at.label("confirmed_by_mother_at"),
            MassageSession.denied_by_mother_at.label("denied_by_mother_at"),
        )
    )
    return _stream(session, _kept(_of_sessions(stmt), facility_id).order_by(Family.id, MassageSession.started_at,
                                                                            MassageSession.id))


def _of_vitals(stmt: Select) -> Select:
    return stmt.select_from(MassageVitals).join(Family, col(Family.id) == MassageVitals.family_id)


def has_vitals(session: Session, facility_id: int | None) -> bool:
    """Whether any family of the export has a health worker's readings (the vitals sheet is shown only then)."""
    stmt = _research(_of_vitals(select(MassageVitals.id)), facility_id).limit(1)
    return session.exec(stmt).first() is not None


def vitals(session: Session, facility_id: int | None) -> Iterator[dict]:
    """The health worker's readings before each massage (a protocol with vitals), research families only, like
    the answers: they are measurements of the mother."""
    stmt = select(
        Family.code.label("family"), Family.timezone.label("timezone"), MassageVitals.measured_at.label("measured_at"),
        MassageVitals.systolic.label("systolic"), MassageVitals.diastolic.label("diastolic"),
        MassageVitals.pulse.label("pulse"), MassageVitals.breathing.label("breathing"),
        MassageVitals.normal.label("normal"), MassageVitals.outside.label("outside"),
        col(MassageVitals.session_id).is_not(None).label("massage_logged"),
    )
    return _stream(session, _research(_of_vitals(stmt), facility_id).order_by(Family.id, MassageVitals.measured_at,
                                                                                MassageVitals.id))


def answers(session: Session, facility_id: int | None) -> Iterator[dict]:
    """Every checklist answer in long form: one row per family, measurement and item."""
    stmt = (
        select(
            Family.code.label("family"), Family.timezone.label("timezone"),
            Measurement.instrument_id.label("instrument"), Measurement.instrument_version.label("version"),
            Measurement.occasion.label("occasion"), Measurement.id.label("measurement_id"),
            col(Measurement.completed_at).is_not(None).label("completed"), Answer.item_id.label("item"),
            Answer.raw_value.label("raw_value"), Answer.value_num.label("value_num"), Answer.score.label("score"),
            Answer.answered_at.label("answered_at"), Answer.via.label("via"),
            Membership.role.label("answered_by_role"), Measurement.window.label("window"),
        )
        .select_from(Answer)
        .join(Measurement, col(Measurement.id) == Answer.measurement_id)
        .join(Family, col(Family.id) == Measurement.family_id)
        .outerjoin(Membership, and_(Membership.user_id == Answer.answered_by,
                                    Membership.family_id == Measurement.family_id))
    )
    return _stream(session, _research(stmt, facility_id).order_by(Family.id, Measurement.id, Answer.id))


def instruments_used(session: Session, facility_id: int | None) -> list[str]:
    stmt = _research(
        select(Measurement.instrument_id).distinct().join(Family, col(Family.id) == Measurement.family_id)
        .where(col(Measurement.completed_at).is_not(None)),
        facility_id,
    )
    return sorted(session.exec(stmt))


def occasions_used(session: Session, instrument_id: str, facility_id: int | None) -> list[str]:
    stmt = _research(
        select(Measurement.occasion).distinct().join(Family, col(Family.id) == Measurement.family_id)
        .where(Measurement.instrument_id == instrument_id, col(Measurement.completed_at).is_not(None)),
        facility_id,
    )
    return sorted(session.exec(stmt))


def completed_measurements(session: Session, instrument_id: str, facility_id: int | None, *,
                           with_items: bool = True) -> Iterator[dict]:
    """Completed measurements of one instrument, ordered by family then completion (the latest last).

    With ``with_items`` every row also carries one answer (``item``, ``item_score``); a measurement then
    spans several consecutive rows. Without, one row per measurement (``item`` is None).
    """
    base = [
        Family.id.label("family_id"), Family.code.label("family"), Facility.code.label("facility"),
        Family.protocol_id.label("protocol"), Measurement.id.label("measurement_id"),
        Measurement.occasion.label("occasion"), Measurement.score.label("score"),
        Measurement.class_key.label("class_key"), Measurement.completed_at.label("completed_at"),
    ]
    if with_items:
        base += [Answer.item_id.label("item"), Answer.score.label("item_score")]
    else:
        base += [literal(None).label("item"), literal(None).label("item_score")]
    stmt = (
        select(*base).select_from(Measurement)
        .join(Family, col(Family.id) == Measurement.family_id)
        .outerjoin(Facility, col(Facility.id) == Family.facility_id)
        .where(Measurement.instrument_id == instrument_id, col(Measurement.completed_at).is_not(None))
    )
    order = [Family.id, Measurement.completed_at, Measurement.id]
    if with_items:
        stmt = stmt.outerjoin(Answer, col(Answer.measurement_id) == Measurement.id)
        order.append(Answer.id)
    return _stream(session, _research(stmt, facility_id).order_by(*order))


def alerts(session: Session, facility_id: int | None, *, with_names: bool = False) -> Iterator[dict]:
    """Every danger-sign alert: its episode, how far it escalated, why it closed, who handled it.

    ``events`` and ``coordinator_told`` come from one grouped subquery over the alert events (joined in, not
    one query per alert). The staff name, the family's words and the midwife's reply only with names.
    """
    handler = aliased(User)
    logged = select(AlertEvent.alert_id.label("alert_id"), func.count().label("events"),
                    func.max(_one_zero(AlertEvent.event == "coordinator")).label("coordinator_told"))
    if facility_id is not None:
        logged = logged.join(Alert, col(Alert.id) == AlertEvent.alert_id).where(Alert.facility_id == facility_id)
    logged = logged.group_by(AlertEvent.alert_id).subquery("logged")
    cols = [
        Family.code.label("family"), Family.timezone.label("timezone"),
        func.coalesce(Alert.episode_id, Alert.id).label("episode"), Alert.sign_id.label("sign"),
        Alert.source.label("source"), Alert.raised_at.label("raised_at"), Alert.repeats.label("repeats"),
        Alert.step.label("step"), func.coalesce(logged.c.coordinator_told, 0).label("coordinator_told"),
        func.coalesce(logged.c.events, 0).label("events"),
        Alert.handled_at.label("handled_at"), (col(Alert.handled_by).is_not(None)).label("handled"),
        Alert.closed_reason.label("closed_reason"),
    ]
    if with_names:
        cols += [func.coalesce(handler.display_name, handler.first_name).label("handled_by_name"),
                 Alert.words.label("words"), Alert.reply.label("reply")]
    stmt = (
        select(*cols).select_from(Alert)
        .join(Family, col(Family.id) == Alert.family_id)
        .outerjoin(handler, handler.id == Alert.handled_by)
        .outerjoin(logged, logged.c.alert_id == Alert.id)
    )
    stmt = _live(stmt, None)
    if facility_id is not None:
        stmt = stmt.where(Alert.facility_id == facility_id)
    return _stream(session, stmt.order_by(Alert.raised_at, Alert.id))


# -- the fast form of the large sheets: tuples ready for the writers ---------------------------------------

def _research_families(facility_id: int | None) -> Select:
    """SQL: ids of the families whose rows go in the research sheets (one consent check per family)."""
    return _research(select(Family.id), facility_id).correlate(None)


def _tuples(session: Session, stmt: Select) -> Iterator[tuple]:
    """Rows as plain tuples straight from the cursor, fetched ``TUPLE_BATCH`` at a time.

    On PostgreSQL (psycopg) the rows are streamed (``Cursor.stream``): the server sends them while this
    process writes the previous ones, instead of waiting for each FETCH of a named cursor; memory stays one
    batch. These statements bind only plain strings and integers, which need no SQLAlchemy bind processing.
    """
    conn = session.connection()
    if conn.dialect.driver == "psycopg":
        compiled = stmt.compile(dialect=conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            yield from cursor.stream(str(compiled), compiled.params, size=PG_STREAM_BATCH)
        finally:
            cursor.close()
        return
    result = conn.execute(stmt.execution_options(yield_per=TUPLE_BATCH))
    try:
        for batch in result.partitions():
            yield from batch
    finally:
        result.close()


def timezones(session: Session, facility_id: int | None) -> list[str | None]:
    """Every time zone of the families that could be exported (deleted ones too)."""
    stmt = select(Family.timezone).distinct()
    if facility_id is not None:
        stmt = stmt.where(Family.facility_id == facility_id)
    return list(session.exec(stmt))


def _local_text(session: Session, instant, offsets: Mapping[str, int]) -> ColumnElement:
    """SQL: a stored (naive UTC) instant as the family's local ``YYYY-MM-DD HH:MM:SS``, fractions dropped."""
    sqlite = session.get_bind().dialect.name == "sqlite"

    def shifted(minutes: int) -> ColumnElement:
        if sqlite:  # stored as "YYYY-MM-DD HH:MM:SS.ffffff": drop the fraction first, datetime() would round it
            return func.datetime(func.substr(instant, 1, 19), literal_column(f"'{int(minutes):+d} minutes'"))
        return func.to_char(func.date_trunc(literal_column("'second'"), instant)
                            + literal_column(f"interval '{int(minutes)} minutes'"),
                            literal_column("'YYYY-MM-DD HH24:MI:SS'"))

    if not offsets:  # no family (a new facility): a CASE needs at least one WHEN
        return type_coerce(null(), String)
    return type_coerce(case({tz: shifted(m) for tz, m in offsets.items()}, value=Family.timezone), String)


def _one_zero(condition: ColumnElement) -> ColumnElement:
    return case((condition, 1), else_=0)


def answer_rows(session: Session, facility_id: int | None, offsets: Mapping[str, int]) -> Iterator[tuple]:
    """The answers sheet: family, instrument, version, occasion, item, raw_value, value_num, score, answered_at
    (local text), via, answered_by_role, window, measurement_completed (1/0)."""
    stmt = (
        select(
            Family.code, Measurement.instrument_id, Measurement.instrument_version, Measurement.occasion,
            Answer.item_id, Answer.raw_value, Answer.value_num, Answer.score,
            _local_text(session, Answer.answered_at, offsets), Answer.via, Membership.role, Measurement.window,
            _one_zero(col(Measurement.completed_at).is_not(None)),
        )
        .select_from(Family)
        .join(Measurement, col(Measurement.family_id) == Family.id)
        .join(Answer, col(Answer.measurement_id) == Measurement.id)
        .outerjoin(Membership, and_(Membership.user_id == Answer.answered_by,
                                    Membership.family_id == Measurement.family_id))
        # the consent is checked once per family (not per answer), and the rows come in index order
        .where(col(Family.id).in_(_research_families(facility_id)))
        .order_by(Family.id, Measurement.id, Answer.id)
    )
    return _tuples(session, stmt)


def session_rows(session: Session, facility_id: int | None, offsets: Mapping[str, int]) -> Iterator[tuple]:
    """The sessions sheet: family, performer_role, protocol, day, started_at, ended_at (local text),
    duration_seconds, status, stop_reason, step_reached, confirmed_by_mother (1/0),
    denied_by_mother (1/0)."""
    stmt = (
        select(
            Family.code, performer_role(), MassageSession.protocol_id, MassageSession.postpartum_day,
            _local_text(session, MassageSession.started_at, offsets),
            _local_text(session, MassageSession.ended_at, offsets), MassageSession.duration_seconds,
            MassageSession.status, MassageSession.stop_reason, MassageSession.step_reached,
            _one_zero(col(MassageSession.confirmed_by_mother_at).is_not(None)),
            _one_zero(col(MassageSession.denied_by_mother_at).is_not(None)),
        )
    )
    return _tuples(session, _kept(_of_sessions(stmt), facility_id).order_by(Family.id, MassageSession.started_at,
                                                                            MassageSession.id))

