"""Helpers shared by the reminder tests (no tests here): families written straight into the database."""

from __future__ import annotations

import asyncio
import itertools
import time as _time
from collections.abc import Callable
from datetime import date, datetime

from storage.models import Family, Membership, Outbox, User

_codes = itertools.count(1)


def make_family(
    session,
    *,
    now: datetime,
    birth_date: date | None,
    tz: str = "Asia/Jakarta",
    members: list[tuple[int, str]] = (),
    protocol_id: str = "default",
    reminder_times: str | None = None,
) -> int:
    """A family with members ``(telegram id, role)``; the user row is reused if it exists. Returns its id."""
    n = next(_codes)
    fam = Family(code=f"T{n:05d}", link_code=f"L{n:05d}{id(session) % 9999}", birth_date=birth_date, timezone=tz,
                 protocol_id=protocol_id, reminder_times=reminder_times, created_at=now)
    session.add(fam)
    session.flush()
    for telegram_id, role in members:
        add_member(session, fam.id, telegram_id, role, now=now)
    return fam.id


def add_member(session, family_id: int, telegram_id: int, role: str, *, now: datetime) -> int:
    from sqlmodel import select

    person = session.exec(select(User).where(User.telegram_id == telegram_id)).first()
    if person is None:
        person = User(telegram_id=telegram_id, chat_id=telegram_id, first_name=f"U{telegram_id}", created_at=now,
                      consent_at=now)
        session.add(person)
        session.flush()
    session.add(Membership(user_id=person.id, family_id=family_id, role=role, joined_at=now))
    session.flush()
    return person.id


def rows(db, family_id: int | None = None, kind: str | None = None) -> list[Outbox]:
    from sqlmodel import select

    with db.session() as session:
        stmt = select(Outbox).order_by(Outbox.due_at, Outbox.id)
        if family_id is not None:
            stmt = stmt.where(Outbox.family_id == family_id)
        if kind is not None:
            stmt = stmt.where(Outbox.kind == kind)
        return list(session.exec(stmt))


async def until(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    """Wait until ``condition()`` holds (checked every 20 ms), failing after ``timeout`` seconds."""
    deadline = _time.monotonic() + timeout
    while not condition():
        if _time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
