"""What the per-protocol report adds beside the pairs (issue 24): each measurement's class against the baby's day
norm, who gave each massage, and the health worker's vital signs. Consenting families of one protocol version
only, read-only (the report's own queries are in storage/research.py)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Select, func
from sqlmodel import Session, col, select

from storage.exports import _stream, research_consent
from storage.models import Answer, Family, MassageSession, MassageVitals, Measurement, Membership, Staff


def _of(stmt: Select, protocol_id: str, version: int | None, facility_id: int | None) -> Select:
    stmt = stmt.where(Family.protocol_id == protocol_id, research_consent().is_(True))
    if version is not None:
        stmt = stmt.where(func.coalesce(Family.protocol_version, 1) == version)
    if facility_id is not None:
        stmt = stmt.where(Family.facility_id == facility_id)
    return stmt


def norm_classes(session: Session, protocol_id: str, version: int | None, facility_id: int | None,
                 instrument_id: str) -> Iterator[dict]:
    """Finished measurements, one row per answer: family, measurement, occasion, window, the instrument's class,
    the day norm's class (None before it was stored), and the answer (item, raw value), in completion order
    (the latest per occasion is the one analysed)."""
    stmt = (select(Measurement.family_id.label("family_id"), Measurement.id.label("measurement_id"),
                   Measurement.occasion.label("occasion"), Measurement.window.label("window"),
                   Measurement.class_key.label("class_key"), Measurement.norm_class.label("norm_class"),
                   Answer.item_id.label("item"), Answer.raw_value.label("raw_value"))
            .select_from(Measurement).join(Family, col(Family.id) == Measurement.family_id)
            .outerjoin(Answer, col(Answer.measurement_id) == Measurement.id)
            .where(Measurement.instrument_id == instrument_id, col(Measurement.completed_at).is_not(None)))
    return _stream(session, _of(stmt, protocol_id, version, facility_id)
                   .order_by(Measurement.family_id, Measurement.completed_at, Measurement.id, Answer.id))


def performers(session: Session, protocol_id: str, version: int | None, facility_id: int | None) -> Iterator[dict]:
    """Done massages (completed or logged): family, day, and who gave it: the giver's family role, or "staff"
    when a health worker of any facility, else None (someone not on the bot, or erased by /hapus: see
    ``family_status``)."""
    role = (select(Membership.role).where(Membership.family_id == MassageSession.family_id,
                                          Membership.user_id == MassageSession.user_id)
            .order_by(Membership.id).limit(1).correlate(MassageSession).scalar_subquery())
    staff = (select(func.count(Staff.id)).where(Staff.user_id == MassageSession.user_id)
             .correlate(MassageSession).scalar_subquery())
    stmt = (select(MassageSession.family_id.label("family_id"), MassageSession.postpartum_day.label("day"),
                   MassageSession.status.label("status"), role.label("role"), staff.label("staff"),
                   Family.status.label("family_status"))
            .select_from(MassageSession).join(Family, col(Family.id) == MassageSession.family_id)
            .where(col(MassageSession.status).in_(("completed", "logged"))))
    return _stream(session, _of(stmt, protocol_id, version, facility_id).order_by(MassageSession.family_id))


def vitals(session: Session, protocol_id: str, version: int | None, facility_id: int | None) -> Iterator[dict]:
    """Every vital-signs reading of the protocol's consenting families."""
    stmt = (select(MassageVitals.family_id.label("family_id"), MassageVitals.systolic.label("systolic"),
                   MassageVitals.diastolic.label("diastolic"), MassageVitals.pulse.label("pulse"),
                   MassageVitals.breathing.label("breathing"), MassageVitals.normal.label("normal"),
                   MassageVitals.outside.label("outside"), MassageVitals.session_id.label("session_id"))
            .select_from(MassageVitals).join(Family, col(Family.id) == MassageVitals.family_id))
    return _stream(session, _of(stmt, protocol_id, version, facility_id).order_by(MassageVitals.family_id,
                                                                                MassageVitals.id))
