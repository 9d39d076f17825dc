"""The guided massage session as rules: safety questions first, then the SOP one step at a time.

Where a person is in a session lives in their ChatState (flow ``massage``): ``{"sid": session id,
"stage": "safety" | "step" | "reason", "i": index}``. The MassageSession row records the safety answers, the
step reached and how the session ended, so /lanjut can also rebuild the place from the row alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from content.sop import SafetyQuestion, Sop, Step
from storage import sessions as store
from storage.models import MassageSession

FLOW = "massage"
SAFETY = "safety"
STEP = "step"
REASON = "reason"

STOP_REASONS = ("mother_uncomfortable", "baby_needs", "busy", "other")
SAFETY_STOP_PREFIX = "safety:"
RESTARTED = "restarted"
STOPPED_BY_USER = "user"


def start(session: Session, *, family_id: int, user_id: int | None, protocol_id: str, postpartum_day: int | None,
          now: datetime) -> MassageSession:
    return store.start(session, family_id=family_id, user_id=user_id, protocol_id=protocol_id,
                       postpartum_day=postpartum_day, now=now)


@dataclass(frozen=True)
class SafetyOutcome:
    stop: bool
    next_index: int | None  # the next safety question, or None: the SOP begins
    danger_sign: str | None = None


def answer_safety(session: Session, row: MassageSession, questions: tuple[SafetyQuestion, ...], index: int,
                  yes: bool, *, now: datetime) -> SafetyOutcome:
    """Record one safety answer. "Yes" to any question ends the session (stopped, with the reason)."""
    question = questions[index]
    store.record_safety_answer(session, row, question.id, yes)
    if yes:
        store.stop(session, row, now=now, reason=SAFETY_STOP_PREFIX + question.id)
        return SafetyOutcome(stop=True, next_index=None, danger_sign=question.danger_sign)
    nxt = index + 1
    return SafetyOutcome(stop=False, next_index=nxt if nxt < len(questions) else None)


def safety_started_index(row: MassageSession, questions: tuple[SafetyQuestion, ...]) -> int | None:
    """The first safety question not answered yet (None: all answered)."""
    answered = row.safety_answers or {}
    for i, q in enumerate(questions):
        if q.id not in answered:
            return i
    return None


def reach(session: Session, row: MassageSession, sop: Sop, index: int) -> Step:
    step = sop.steps[index]
    store.reach_step(session, row, step.id)
    return step


def step_index(sop: Sop, step_id: str | None) -> int:
    """Where to resume from the row alone: the step reached (0 if none)."""
    ids = [s.id for s in sop.steps]
    return ids.index(step_id) if step_id in ids else 0


def is_last(sop: Sop, index: int) -> bool:
    return index >= len(sop.steps) - 1


def complete(session: Session, row: MassageSession, *, now: datetime) -> None:
    store.complete(session, row, now=now)


def stop(session: Session, row: MassageSession, *, now: datetime, reason: str = STOPPED_BY_USER) -> None:
    store.stop(session, row, now=now, reason=reason)


def remaining_seconds(ends_at: datetime, now: datetime) -> int:
    return max(0, int((ends_at - now).total_seconds() + 0.999))


def clock_text(seconds: int) -> str:
    """12:05 for 725 seconds."""
    return f"{seconds // 60:d}:{seconds % 60:02d}"


def minutes_rounded(seconds: int | None) -> int:
    return max(0, round((seconds or 0) / 60))
