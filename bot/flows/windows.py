"""Measurement windows: was a checklist taken when the protocol wanted it, and may it still be offered?

Each protocol measurement has a window (content/protocols.py: ``opens`` / ``closes`` / ``grace_hours``). A
finished measurement gets a ``window`` status, stored on the row:

- ``on_time`` — inside the window (the only ones in the primary analysis);
- ``early`` — begun before the window opened (e.g. the day-2 "before" checklist on day 1, or an "after"
  checklist begun before the massage it follows: see :func:`after_opens`); it does not count as done, so the
  bot asks for it again once the window opens;
- ``late`` — finished after the window closed (the end of the day plus the grace hours);
- ``after_massage`` — a "before" checklist begun after that day's first massage was done;
- ``skipped`` — the family chose to start the massage without the "before" checklist (a row with no score).

:func:`offerable` is the other side: the bot never offers a "before" checklist once a massage it should precede
has been done, nor an "after" checklist once its window has closed. :func:`pre_first` says whether /pijat should
ask for the "before" checklist first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlmodel import Session, col, select

from bot.flows import dates
from bot.flows.checklist import Due, slot_for_label, slots
from content.protocols import Measurement as ProtocolMeasurement
from content.protocols import Protocol
from storage.models import Family, MassageSession, Measurement

ON_TIME = "on_time"
EARLY = "early"
LATE = "late"
AFTER_MASSAGE = "after_massage"
SKIPPED = "skipped"
STATUSES = (ON_TIME, EARLY, LATE, AFTER_MASSAGE, SKIPPED)
DONE = ("completed", "logged")


@dataclass(frozen=True)
class DoneSession:
    day: int | None
    started_at: datetime
    ended_at: datetime | None


def done_sessions(session: Session, family_id: int) -> list[DoneSession]:
    rows = session.exec(
        select(MassageSession).where(MassageSession.family_id == family_id, col(MassageSession.status).in_(DONE))
        .order_by(MassageSession.started_at, MassageSession.id)
    ).all()
    return [DoneSession(r.postpartum_day, r.started_at, r.ended_at) for r in rows]


def protocol_measurement(protocol: Protocol, occasion: str, day: int) -> ProtocolMeasurement | None:
    for m in protocol.measurements:
        if m.occasion == occasion and m.day == day:
            return m
    return None


SLOT_EARLY = timedelta(minutes=45)  # a session begun this long before the day's last time counts as the last
LAST_SESSION_MISSED = timedelta(hours=3)  # no session by then after the day's last time: it was missed


def after_opens(protocol: Protocol, day: int, family: Family, times: Sequence[time],
                sessions: Sequence[DoneSession]) -> datetime | None:
    """When the day's "after" measurement opens: once the massage it follows is done, never before.

    That massage is the day's last planned session (the ``sessions_per_day``-th done that day), or, with
    several a day, a session begun from shortly before the day's last time (the afternoon one done, the
    morning one skipped). A day with fewer sessions done opens :data:`LAST_SESSION_MISSED` after the day's last
    time (its session was missed; the "after" follows the ones done), at the latest at the day's end; a day with
    no session done never opens. None: not open (yet)."""
    if family.birth_date is None:
        return None
    that_day = [s for s in sessions if s.day == day]
    if not that_day:
        return None
    if len(that_day) >= protocol.sessions_per_day:
        last = that_day[protocol.sessions_per_day - 1]
        return last.ended_at or last.started_at
    last_time = dates.day_sessions(family.birth_date, family.timezone, day, times, family.birth_time)[-1].at
    for s in that_day:
        if s.started_at >= last_time - SLOT_EARLY:
            return s.ended_at or s.started_at
    missed = min(last_time + LAST_SESSION_MISSED,
                 dates.day_start(family.birth_date, family.timezone, day + 1, family.birth_time))
    last_done = that_day[-1].ended_at or that_day[-1].started_at
    return max(missed, last_done)


@dataclass(frozen=True)
class Bounds:
    opens_at: datetime | None  # None: open since registration (unless ``never_opened``)
    closes_at: datetime | None  # after this it is ``late`` (the end of the day plus the grace hours)
    closes_at_massage: bool  # a "before": also closed by that day's first massage (``after_massage``)
    never_opened: bool = False  # an "after" whose massage is not done: anything begun now is ``early``


def bounds(protocol: Protocol, m: ProtocolMeasurement, family: Family, times: Sequence[time],
           sessions: Sequence[DoneSession]) -> Bounds | None:
    """The window of ``m`` for this family, in instants; None without a birth date."""
    if family.birth_date is None:
        return None
    w = m.the_window
    start = dates.day_start(family.birth_date, family.timezone, m.day, family.birth_time)
    end = dates.day_start(family.birth_date, family.timezone, m.day + 1, family.birth_time)
    opens_at: datetime | None = None
    if w.opens == "day_start":
        opens_at = start
    elif w.opens == "last_session":
        opens_at = after_opens(protocol, m.day, family, times, sessions)
        if opens_at is None:
            return Bounds(None, end + timedelta(hours=w.grace_hours), False, never_opened=True)
    return Bounds(opens_at, end + timedelta(hours=w.grace_hours), w.closes == "first_session")


def _massage_before(m: ProtocolMeasurement, sessions: Sequence[DoneSession], instant: datetime) -> bool:
    first_pre = m.the_window.opens == "registration"
    for s in sessions:
        if s.started_at > instant:
            continue
        if s.day == m.day or (first_pre and (s.day is None or s.day <= m.day)):
            return True
    return False


def classify(protocol: Protocol, occasion: str, day: int, family: Family, times: Sequence[time],
             sessions: Sequence[DoneSession], *, started_at: datetime, completed_at: datetime) -> str | None:
    """The window status of a measurement begun at ``started_at`` and finished at ``completed_at``."""
    m = protocol_measurement(protocol, occasion, day)
    if m is None:
        return None
    b = bounds(protocol, m, family, times, sessions)
    if b is None:
        return None
    if b.closes_at_massage and _massage_before(m, sessions, started_at):
        return AFTER_MASSAGE
    if b.never_opened or (b.opens_at is not None and started_at < b.opens_at):
        return EARLY
    if b.closes_at is not None and completed_at > b.closes_at:
        return LATE
    return ON_TIME


def offerable(protocol: Protocol, occasion: str, day: int, family: Family, times: Sequence[time],
              sessions: Sequence[DoneSession], *, now: datetime) -> bool:
    """May this measurement still be offered now? No "before" after its massage, no "after" before its massage
    (nor once its day is over without one), nothing after its window."""
    m = protocol_measurement(protocol, occasion, day)
    if m is None:
        return True
    b = bounds(protocol, m, family, times, sessions)
    if b is None:
        return True
    if b.closes_at_massage:  # a "before" stays open until the massage (filled in later, it is stored ``late``)
        return not _massage_before(m, sessions, now)
    if b.never_opened or (b.opens_at is not None and now < b.opens_at):
        return False
    return b.closes_at is None or now <= b.closes_at


def waiting_for_massage(protocol: Protocol, occasion: str, day: int, family: Family, times: Sequence[time],
                        sessions: Sequence[DoneSession], *, now: datetime) -> bool:
    """An "after" whose massage may still come today: not offered yet, not missed either."""
    m = protocol_measurement(protocol, occasion, day)
    if m is None or m.the_window.opens != "last_session" or family.birth_date is None:
        return False
    opens = after_opens(protocol, day, family, times, sessions)
    day_end = dates.day_start(family.birth_date, family.timezone, day + 1, family.birth_time)
    return (opens is None or now < opens) and now < day_end


def pre_first(protocol: Protocol, occasion: str | None, slot: str | None, day: int | None, family: Family,
              times: Sequence[time], sessions: Sequence[DoneSession], *, now: datetime) -> bool:
    """Should /pijat ask for the "before" checklist first? Yes when one is due now and still offerable."""
    if occasion != "pre" or slot != "before_first_session" or day is None:
        return False
    return offerable(protocol, occasion, day, family, times, sessions, now=now)


def record_skip(session: Session, *, family_id: int, instrument_id: str, instrument_version: int, occasion: str,
                user_id: int | None, now: datetime) -> Measurement:
    """The family chose to start the massage without the "before" checklist: a finished row with no score."""
    row = Measurement(family_id=family_id, instrument_id=instrument_id, instrument_version=instrument_version,
                      occasion=occasion[:16], started_by=user_id, started_at=now, completed_at=now, window=SKIPPED)
    session.add(row)
    session.flush()
    return row


def stamp(session: Session, protocol: Protocol, family: Family, measurement: Measurement,
          times: Sequence[time]) -> str | None:
    """Store the window status of a just-finished measurement (None when the protocol has no such slot)."""
    slot = slot_for_label(protocol, measurement.occasion)
    if slot is None or measurement.completed_at is None:
        return None
    status = classify(protocol, slot.occasion, slot.day, family, times, done_sessions(session, family.id),
                      started_at=measurement.started_at, completed_at=measurement.completed_at)
    measurement.window = status
    session.add(measurement)
    session.flush()
    return status


def screen(session: Session, protocol: Protocol, family: Family, times: Sequence[time], due, *, now: datetime):
    """The checklist rule's answer (bot/flows/checklist.Due), without a slot whose window has passed."""
    slot = due.slot
    if slot is None:
        return due
    sessions = done_sessions(session, family.id)
    if offerable(protocol, slot.occasion, slot.day, family, times, sessions, now=now):
        return due
    if waiting_for_massage(protocol, slot.occasion, slot.day, family, times, sessions, now=now):
        return Due(None, slot)
    later = [s for s in slots(protocol) if s.index > slot.index]
    return Due(None, later[0] if later else None, missed=slot)
