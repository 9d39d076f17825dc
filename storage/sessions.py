"""Massage sessions: one row per guided (or self-reported) massage of a family."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import MassageSession

IN_PROGRESS = "in_progress"
COMPLETED = "completed"
STOPPED = "stopped"
LOGGED = "logged"


def start(session: Session, *, family_id: int, user_id: int | None, protocol_id: str, postpartum_day: int | None,
          now: datetime) -> MassageSession:
    row = MassageSession(
        family_id=family_id, user_id=user_id, protocol_id=protocol_id, postpartum_day=postpartum_day,
        started_at=now, status=IN_PROGRESS, safety_answers={},
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, session_id: int) -> MassageSession | None:
    return session.get(MassageSession, session_id)


def open_for_family(session: Session, family_id: int) -> MassageSession | None:
    """The family's newest session still in progress, or None."""
    return session.exec(
        select(MassageSession)
        .where(MassageSession.family_id == family_id, MassageSession.status == IN_PROGRESS)
        .order_by(col(MassageSession.started_at).desc(), col(MassageSession.id).desc())
    ).first()


def record_safety_answer(session: Session, row: MassageSession, question_id: str, answer: bool) -> None:
    answers = dict(row.safety_answers or {})
    answers[question_id] = answer
    row.safety_answers = answers  # a new dict so the JSON column sees the change
    session.add(row)


def reach_step(session: Session, row: MassageSession, step_id: str) -> None:
    row.step_reached = step_id[:64]
    session.add(row)


def _end(session: Session, row: MassageSession, *, status: str, now: datetime, reason: str | None) -> None:
    row.status = status
    row.ended_at = now
    row.duration_seconds = max(0, int((now - row.started_at).total_seconds()))
    row.stop_reason = reason[:64] if reason else None
    session.add(row)
    session.flush()


def complete(session: Session, row: MassageSession, *, now: datetime) -> None:
    _end(session, row, status=COMPLETED, now=now, reason=None)


def stop(session: Session, row: MassageSession, *, now: datetime, reason: str) -> None:
    _end(session, row, status=STOPPED, now=now, reason=reason)


def set_stop_reason(session: Session, row: MassageSession, reason: str) -> None:
    row.stop_reason = reason[:64]
    session.add(row)


def confirm_by_mother(session: Session, row: MassageSession, *, now: datetime) -> bool:
    """Mark the session confirmed by the mother; False if it already was."""
    if row.confirmed_by_mother_at is not None:
        return False
    row.confirmed_by_mother_at = now
    session.add(row)
    return True


def for_family(session: Session, family_id: int) -> Sequence[MassageSession]:
    return session.exec(
        select(MassageSession).where(MassageSession.family_id == family_id)
        .order_by(col(MassageSession.started_at), col(MassageSession.id))
    ).all()


def completed_count(session: Session, family_id: int, *, postpartum_day: int | None = None) -> int:
    stmt = select(MassageSession.id).where(
        MassageSession.family_id == family_id, col(MassageSession.status).in_((COMPLETED, LOGGED))
    )
    if postpartum_day is not None:
        stmt = stmt.where(MassageSession.postpartum_day == postpartum_day)
    return len(session.exec(stmt).all())


def delete_for_family(session: Session, family_id: int) -> int:
    rows = list(for_family(session, family_id))
    for row in rows:
        session.delete(row)
    session.flush()
    return len(rows)


def chat_states_in_flow(session: Session, flow: str) -> list:
    """Every stored conversation currently in ``flow`` (e.g. running massage timers after a restart)."""
    from storage.models import ChatState

    return list(session.exec(select(ChatState).where(ChatState.flow == flow)).all())
