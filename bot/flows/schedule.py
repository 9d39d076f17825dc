"""The reminder schedule of a family, computed from its protocol and written as Outbox rows.

CONTRACT (called by the conversation flows; filled in by the reminders work):
- ``reschedule_family(session, family_id, *, now, settings) -> ScheduleResult`` — (re)compute every future
  reminder of the family after registration or a change of birth date, time zone, protocol or times;
  pending rows that no longer fit are cancelled, in the same transaction as the change.
- ``cancel_family(session, family_id, *, now, reason) -> int`` — cancel every pending row (pause, deletion).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.config import Settings


@dataclass(frozen=True)
class ScheduleResult:
    created: int = 0
    cancelled: int = 0
    missed: list[str] = field(default_factory=list)  # kinds of items already past at registration


def reschedule_family(session: Session, family_id: int, *, now: datetime, settings: Settings) -> ScheduleResult:
    return ScheduleResult()


def cancel_family(session: Session, family_id: int, *, now: datetime, reason: str) -> int:
    return 0
