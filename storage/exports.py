"""Streaming row queries for exports and analysis.

Every function yields one plain dict per row, fetched from the database in batches (``yield_per``: a
server-side cursor on PostgreSQL, a stepped cursor on SQLite), so an export of many thousands of families
never holds them all in memory. Consume one generator completely before starting the next.

Families that were deleted are never exported, except in the research rows (answers, measurements): those
hold only families with research consent (:func:`research_consent`), including a consenting family that used
/hapus (its answers were kept without any personal field). ``facility_id=None`` means every facility.
Names are only read when ``with_names`` is True; Telegram ids are never exported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sqlalchemy import Select, and_, func, literal
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.models import (
    Alert,
    Answer,
    Facility,
    Family,
    MassageSession,
    Measurement,
    Membership,
    User,
)

BATCH = 500


def _live(stmt: Select, facility_id: int | None) -> Select:
    stmt = stmt.where(col(Family.deleted_at).is_(None), Family.status != "deleted")
    if facility_id is not None:
        stmt = stmt.where(Family.facility_id == facility_id)
    return stmt


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
    return _stream(session, _live(stmt, facility_id).order_by(Family.id))


def members(session: Session, facility_id: int | None, *, with_names: bool = False) -> Iterator[dict]:
    """One row per membership, ordered by family then joining order."""
    cols = [
        Family.code.label("family"), Family.timezone.label("timezone"), Membership.role.label("role"),
        Membership.active.label("active"), Membership.joined_at.label("joined_at"),
        User.reachable.label("reachable"), User.consent_research.label("consent_research"),
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
            Membership.role.label("performer_role"), MassageSession.protocol_id.label("protocol"),
            MassageSession.postpartum_day.label("day"), MassageSession.started_at.label("started_at"),
            MassageSession.ended_at.label("ended_at"), MassageSession.duration_seconds.label("duration_seconds"),
            MassageSession.status.label("status"), MassageSession.stop_reason.label("stop_reason"),
            MassageSession.step_reached.label("step_reached"),
            MassageSession.confirmed_by_mother_at.label("confirmed_by_mother_at"),
        )
        .select_from(MassageSession)
        .join(Family, col(Family.id) == MassageSession.family_id)
        .outerjoin(Membership, and_(Membership.user_id == MassageSession.user_id,
                                    Membership.family_id == MassageSession.family_id))
    )
    return _stream(session, _live(stmt, facility_id).order_by(Family.id, MassageSession.started_at,
                                                              MassageSession.id))


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
    """Every danger-sign alert and who handled it (a staff name only with names)."""
    handler = aliased(User)
    cols = [
        Family.code.label("family"), Family.timezone.label("timezone"), Alert.sign_id.label("sign"),
        Alert.source.label("source"), Alert.raised_at.label("raised_at"), Alert.repeats.label("repeats"),
        Alert.handled_at.label("handled_at"), (col(Alert.handled_by).is_not(None)).label("handled"),
    ]
    if with_names:
        cols.append(func.coalesce(handler.display_name, handler.first_name).label("handled_by_name"))
    stmt = (
        select(*cols).select_from(Alert)
        .join(Family, col(Family.id) == Alert.family_id)
        .outerjoin(handler, handler.id == Alert.handled_by)
    )
    stmt = _live(stmt, None)
    if facility_id is not None:
        stmt = stmt.where(Alert.facility_id == facility_id)
    return _stream(session, stmt.order_by(Alert.raised_at, Alert.id))

