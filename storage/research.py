"""Rows for the per-protocol study analysis: the protocol's families (deleted ones too, for the flow), their
finished measurements with item scores (research consent only), and their massage sessions.

``protocol_version`` None on an old row counts as version 1. Each function yields plain dicts, streamed.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Select, and_, exists, func
from sqlmodel import Session, col, select

from storage.exports import _stream, research_consent
from storage.models import Answer, Facility, Family, MassageSession, Measurement, Membership, User


def _version():
    return func.coalesce(Family.protocol_version, 1)


def _of_protocol(stmt: Select, protocol_id: str, version: int | None, facility_id: int | None) -> Select:
    stmt = stmt.where(Family.protocol_id == protocol_id)
    if version is not None:
        stmt = stmt.where(_version() == version)
    if facility_id is not None:
        stmt = stmt.where(Family.facility_id == facility_id)
    return stmt


def versions(session: Session, protocol_id: str, facility_id: int | None) -> list[tuple[int, int]]:
    """(version, families) of a protocol, newest version first."""
    stmt = _of_protocol(select(Family.protocol_version, func.count()).select_from(Family), protocol_id, None,
                        facility_id)
    counts: dict[int, int] = {}
    for v, n in session.exec(stmt.group_by(Family.protocol_version)).all():
        counts[int(v or 1)] = counts.get(int(v or 1), 0) + int(n)
    return sorted(counts.items(), reverse=True)


def protocols_of_facility(session: Session, facility_id: int | None) -> list[tuple[str, int]]:
    """(protocol id, families) of the facility's families (any status), most families first."""
    stmt = select(Family.protocol_id, func.count()).group_by(Family.protocol_id)
    if facility_id is not None:
        stmt = stmt.where(Family.facility_id == facility_id)
    return sorted(((p, int(n)) for p, n in session.exec(stmt).all()), key=lambda r: (-r[1], r[0]))


def families(session: Session, protocol_id: str, version: int | None, facility_id: int | None) -> Iterator[dict]:
    unreachable = exists().where(
        Membership.family_id == Family.id, col(Membership.active).is_(True), User.id == Membership.user_id,
        col(User.reachable).is_(False), col(User.deleted_at).is_(None)).correlate(Family)
    stmt = select(
        Family.id.label("family_id"), Family.code.label("family"), Facility.code.label("facility"),
        Family.protocol_id.label("protocol"), _version().label("version"), Family.status.label("status"),
        Family.reminders_paused.label("paused"), research_consent().label("consent"),
        unreachable.label("unreachable"), Family.mother_age.label("mother_age"), Family.parity.label("parity"),
        Family.education.label("education"), Family.work.label("work"), Family.birth_mode.label("birth_mode"),
        Family.characteristics_skipped.label("characteristics_skipped"),
    ).select_from(Family).outerjoin(Facility, col(Facility.id) == Family.facility_id)
    return _stream(session, _of_protocol(stmt, protocol_id, version, facility_id).order_by(Family.id))


def measurements(session: Session, protocol_id: str, version: int | None, facility_id: int | None,
                 instrument_id: str) -> Iterator[dict]:
    """Finished measurements of consenting families, one row per answer, by family then completion."""
    stmt = (
        select(Measurement.family_id.label("family_id"), Measurement.id.label("measurement_id"),
               Measurement.occasion.label("occasion"), Measurement.score.label("score"),
               Measurement.class_key.label("class_key"), Measurement.window.label("window"),
               Measurement.norm_class.label("norm_class"),
               Answer.item_id.label("item"), Answer.score.label("item_score"))
        .select_from(Measurement)
        .join(Family, col(Family.id) == Measurement.family_id)
        .outerjoin(Answer, col(Answer.measurement_id) == Measurement.id)
        .where(Measurement.instrument_id == instrument_id, col(Measurement.completed_at).is_not(None),
               research_consent().is_(True))
    )
    stmt = _of_protocol(stmt, protocol_id, version, facility_id)
    return _stream(session, stmt.order_by(Measurement.family_id, Measurement.completed_at, Measurement.id,
                                          Answer.id))


def sessions(session: Session, protocol_id: str, version: int | None, facility_id: int | None) -> Iterator[dict]:
    """Done (completed or logged) massage sessions: family, day, seconds."""
    stmt = (
        select(MassageSession.family_id.label("family_id"), MassageSession.postpartum_day.label("day"),
               MassageSession.duration_seconds.label("seconds"))
        .select_from(MassageSession)
        .join(Family, and_(col(Family.id) == MassageSession.family_id))
        .where(col(MassageSession.status).in_(("completed", "logged")))
    )
    return _stream(session, _of_protocol(stmt, protocol_id, version, facility_id).order_by(MassageSession.family_id))
