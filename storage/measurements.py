"""Checklist measurements and their answers.

An answer is written the moment it is given; the row is unique per (measurement, item), so a correction
updates the same row instead of adding another.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from storage.models import Answer, Measurement


def start(session: Session, *, family_id: int, instrument_id: str, instrument_version: int, occasion: str,
          started_by: int | None, now: datetime) -> Measurement:
    row = Measurement(
        family_id=family_id, instrument_id=instrument_id, instrument_version=instrument_version,
        occasion=occasion[:16], started_by=started_by, started_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, measurement_id: int) -> Measurement | None:
    return session.get(Measurement, measurement_id)


def for_family(session: Session, family_id: int) -> Sequence[Measurement]:
    return session.exec(
        select(Measurement).where(Measurement.family_id == family_id)
        .order_by(col(Measurement.started_at), col(Measurement.id))
    ).all()


def open_for_family(session: Session, family_id: int) -> Measurement | None:
    """The family's newest unfinished measurement, or None."""
    return session.exec(
        select(Measurement)
        .where(Measurement.family_id == family_id, col(Measurement.completed_at).is_(None))
        .order_by(col(Measurement.started_at).desc(), col(Measurement.id).desc())
    ).first()


def completed_occasions(session: Session, family_id: int) -> set[str]:
    """Occasions with a finished measurement (a skipped "before" checklist does not count: it may still be
    filled in; nor does one begun before its window opened: it is asked again at the right time)."""
    return set(session.exec(
        select(Measurement.occasion)
        .where(Measurement.family_id == family_id, col(Measurement.completed_at).is_not(None),
               or_(col(Measurement.window).is_(None), col(Measurement.window).not_in(("skipped", "early"))))
    ).all())


def skipped_occasions(session: Session, family_id: int) -> set[str]:
    """Occasions whose "before" checklist the family chose to skip at the start of a massage."""
    return set(session.exec(
        select(Measurement.occasion).where(Measurement.family_id == family_id, Measurement.window == "skipped")
    ).all())


def answers(session: Session, measurement_id: int) -> dict[str, Answer]:
    """The stored answers by item id."""
    rows = session.exec(select(Answer).where(Answer.measurement_id == measurement_id)).all()
    return {a.item_id: a for a in rows}


def save_answer(session: Session, *, measurement_id: int, item_id: str, raw_value: str, value_num: float | None,
                score: int, answered_by: int | None, via: str, now: datetime) -> Answer:
    """Insert the answer, or update it if this item was answered before (a correction)."""
    row = session.exec(
        select(Answer).where(Answer.measurement_id == measurement_id, Answer.item_id == item_id)
    ).first()
    if row is None:
        row = Answer(measurement_id=measurement_id, item_id=item_id[:32])
    row.raw_value = raw_value[:64]
    row.value_num = value_num
    row.score = score
    row.answered_by = answered_by
    row.answered_at = now
    row.via = via[:8]
    session.add(row)
    session.flush()
    return row


def complete(session: Session, row: Measurement, *, score: int, class_key: str, now: datetime,
             norm_class: str | None = None) -> None:
    row.score = score
    row.class_key = class_key[:32]
    row.norm_class = norm_class[:32] if norm_class else None
    row.completed_at = now
    session.add(row)
    session.flush()


def delete_for_family(session: Session, family_id: int) -> int:
    """Remove every measurement and answer of a family (no research consent). Returns answers removed."""
    removed = 0
    for m in for_family(session, family_id):
        for a in answers(session, m.id).values():
            session.delete(a)
            removed += 1
        session.flush()
        session.delete(m)
    session.flush()
    return removed


def anonymise_for_family(session: Session, family_id: int) -> int:
    """Keep the answers as anonymous research rows: no link to the person who gave them.

    Answers never hold typed words (``raw_value`` is the canonical value: "ya", "tidak", "6", a choice id).
    """
    kept = 0
    for m in for_family(session, family_id):
        m.started_by = None
        session.add(m)
        for a in answers(session, m.id).values():
            a.answered_by = None
            session.add(a)
            kept += 1
    session.flush()
    return kept


def forget_person(session: Session, family_id: int, user_id: int) -> None:
    """A member leaves: the family's answers stay, without the link to who gave them."""
    for m in for_family(session, family_id):
        if m.started_by == user_id:
            m.started_by = None
            session.add(m)
        for a in answers(session, m.id).values():
            if a.answered_by == user_id:
                a.answered_by = None
                session.add(a)
    session.flush()
