"""The vital signs a health worker took before a massage (seed 002's check), one row per reading."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import MassageVitals


def add(session: Session, *, family_id: int, recorded_by: int | None, measured_at: datetime, systolic: int,
        diastolic: int, pulse: int, breathing: int, outside: Sequence[str], session_id: int | None) -> MassageVitals:
    row = MassageVitals(family_id=family_id, recorded_by=recorded_by, measured_at=measured_at, systolic=systolic,
                        diastolic=diastolic, pulse=pulse, breathing=breathing, normal=not outside,
                        outside=",".join(outside)[:64] or None, session_id=session_id)
    session.add(row)
    session.flush()
    return row


def for_family(session: Session, family_id: int) -> Sequence[MassageVitals]:
    return session.exec(select(MassageVitals).where(MassageVitals.family_id == family_id)
                        .order_by(col(MassageVitals.measured_at), col(MassageVitals.id))).all()


def for_families(session: Session, family_ids: Sequence[int]) -> Sequence[MassageVitals]:
    if not family_ids:
        return []
    return session.exec(select(MassageVitals).where(col(MassageVitals.family_id).in_(list(family_ids)))
                        .order_by(col(MassageVitals.measured_at), col(MassageVitals.id))).all()


def delete_for_family(session: Session, family_id: int) -> int:
    rows = list(for_family(session, family_id))
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


def attach_last(session: Session, family_id: int, session_id: int) -> None:
    """Link the family's latest normal reading without a massage to the massage it cleared."""
    row = session.exec(select(MassageVitals).where(MassageVitals.family_id == family_id,
                                                   col(MassageVitals.session_id).is_(None),
                                                   col(MassageVitals.normal).is_(True))
                       .order_by(col(MassageVitals.measured_at).desc(), col(MassageVitals.id).desc())).first()
    if row is not None:
        row.session_id = session_id
        session.add(row)
        session.flush()
