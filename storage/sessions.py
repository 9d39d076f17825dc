"""Massage sessions: one row per guided (or self-reported) massage of a family."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_
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


def deny_by_mother(session: Session, row: MassageSession, *, now: datetime) -> bool:
    """The mother answered "Belum": she was not massaged. False if she had already answered."""
    if row.confirmed_by_mother_at is not None or row.denied_by_mother_at is not None:
        return False
    row.denied_by_mother_at = now
    session.add(row)
    return True


def confirm_by_mother(session: Session, row: MassageSession, *, now: datetime) -> bool:
    """Mark the session confirmed by the mother; False if she had already answered."""
    if row.confirmed_by_mother_at is not None or row.denied_by_mother_at is not None:
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


# -- the guide's hands-free sessions (issue 17) ----------------------------------------------------------

def since(session: Session, family_id: int, start: datetime) -> Sequence[MassageSession]:
    """The family's sessions started at or after ``start``, oldest first."""
    return session.exec(
        select(MassageSession)
        .where(MassageSession.family_id == family_id, col(MassageSession.started_at) >= start)
        .order_by(col(MassageSession.started_at), col(MassageSession.id))
    ).all()


def _done():
    """A massage that counts as done: completed, logged, or timed hands-free and not stopped."""
    return or_(col(MassageSession.status).in_((COMPLETED, LOGGED)),
               and_(MassageSession.status == IN_PROGRESS, col(MassageSession.paced_until).is_not(None)))


def done_since(session: Session, family_id: int, start: datetime) -> bool:
    """Whether a massage was done (completed, logged, or timed hands-free and not stopped) since ``start``."""
    known = session.info.get(_DONE_KEY)
    if known is not None and family_id in known.family_ids and start >= known.since:
        return any(t >= start for t in known.started.get(family_id, ()))
    stmt = select(MassageSession.id).where(
        MassageSession.family_id == family_id, col(MassageSession.started_at) >= start, _done())
    return session.exec(stmt).first() is not None


_DONE_KEY = "storage.sessions.done_since"
_IN_CHUNK = 500


@dataclass
class _DoneSnapshot:
    family_ids: set[int]
    since: datetime
    started: dict[int, list[datetime]]


def preload_done(session: Session, family_ids: Iterable[int], since: datetime) -> None:
    """Read, for these families, when each massage that counts as done started (from ``since`` on), in one
    query per 500 families: :func:`done_since` answers from it for the rest of this session, for any start at
    or after ``since``. Only for a session that records no massage meanwhile (the dispatcher's rendering)."""
    ids = sorted(set(family_ids))
    started: dict[int, list[datetime]] = {}
    for i in range(0, len(ids), _IN_CHUNK):
        stmt = select(MassageSession.family_id, MassageSession.started_at).where(
            col(MassageSession.family_id).in_(ids[i:i + _IN_CHUNK]), col(MassageSession.started_at) >= since,
            _done())
        for family_id, at in session.exec(stmt):
            started.setdefault(family_id, []).append(at)
    session.info[_DONE_KEY] = _DoneSnapshot(set(ids), since, started)


def completed_by_user(session: Session, user_id: int) -> bool:
    """Whether this person has finished a guided session before (then the short reminder is enough)."""
    stmt = select(MassageSession.id).where(MassageSession.user_id == user_id, MassageSession.status == COMPLETED,
                                           col(MassageSession.paced_until).is_not(None))
    return session.exec(stmt).first() is not None


def set_paced(session: Session, row: MassageSession, until: datetime) -> None:
    row.paced_until = until
    session.add(row)


def finish_paced(session: Session, row: MassageSession, *, now: datetime, comfortable: bool | None) -> None:
    """Complete a hands-free session: it ended when its timing ended (or now, if stopped earlier)."""
    end = min(now, row.paced_until) if row.paced_until is not None else now
    _end(session, row, status=COMPLETED, now=end, reason=None)
    if comfortable is not None:
        row.comfortable = comfortable
        session.add(row)
