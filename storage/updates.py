"""Telegram update ids already handled: a redelivered update is processed once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, bindparam, delete, func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage import users
from storage.models import ProcessedUpdate, User

KEEP_FOR = timedelta(days=7)


def first_time(session: Session, update_id: int, now: datetime) -> bool:
    """Record ``update_id``; False if it was already recorded (a duplicate delivery).

    One ``INSERT … ON CONFLICT DO NOTHING`` (no read first, no savepoint): it runs before every update, so
    it is kept to a single statement; a concurrent insert of the same id by another process is safe too.
    The statement is built once per dialect (:func:`_record_statement`) and run as a plain Core statement on
    the session's connection: building it and going through the ORM's bulk-insert path each time was most
    of the CPU of recording an update (BENCHMARKS.md, issue 27).
    """
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):  # pragma: no cover - only SQLite and PostgreSQL are supported
        return _first_time_portable(session, update_id, now)
    row = session.connection().execute(_record_statement(dialect), {"update_id": update_id, "seen_at": now})
    return row.first() is not None


_RECORD: dict[str, Any] = {}


def _record_statement(dialect: str) -> Any:
    stmt = _RECORD.get(dialect)
    if stmt is None:
        table = ProcessedUpdate.__table__
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = _RECORD[dialect] = (
            insert(table)
            .values(update_id=bindparam("update_id", type_=table.c.update_id.type),
                    seen_at=bindparam("seen_at", type_=table.c.seen_at.type))
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(table.c.update_id)
        )
    return stmt


def first_time_with_person(session: Session, update_id: int, now: datetime,
                           telegram_id: int) -> tuple[bool, User | None]:
    """:func:`first_time`, and the person with this Telegram id (``users.get_by_telegram_id``, remembered for
    the session) when the update is fresh: on PostgreSQL in one statement, the insert in a ``WITH`` and the
    person joined to what it returned, so a turn's first round trip does both (a /start from someone new is
    BEGIN, two statements, COMMIT). Elsewhere (SQLite has no INSERT in a WITH, and no round trip to save) the
    two statements of before. (False, None) for a duplicate delivery."""
    if session.get_bind().dialect.name != "postgresql":
        fresh = first_time(session, update_id, now)
        return fresh, (users.get_by_telegram_id(session, telegram_id) if fresh else None)
    session.flush()  # nothing is pending at a turn's first statement; elsewhere, as an autoflush would
    row = session.execute(_record_with_person_statement(),
                          {"update_id": update_id, "seen_at": now, "telegram_id": telegram_id}).first()
    if row is None:
        return False, None
    person = row[1]
    users.remember(session, telegram_id, person)
    return True, person


def _record_with_person_statement() -> Any:
    stmt = _RECORD.get("postgresql+person")
    if stmt is None:
        fresh = _record_statement("postgresql").cte("fresh")
        stmt = _RECORD["postgresql+person"] = (
            select(fresh.c.update_id, User).select_from(fresh)
            .outerjoin(User, User.telegram_id == bindparam("telegram_id", type_=BigInteger))
        )
    return stmt


def _first_time_portable(session: Session, update_id: int, now: datetime) -> bool:  # pragma: no cover
    if session.get(ProcessedUpdate, update_id) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ProcessedUpdate(update_id=update_id, seen_at=now))
            session.flush()
    except IntegrityError:
        return False
    return True


def prune(session: Session, now: datetime) -> int:
    """Forget ids older than a week (Telegram may restart ids after a long quiet spell)."""
    result = session.exec(delete(ProcessedUpdate).where(ProcessedUpdate.seen_at < now - KEEP_FOR))
    return result.rowcount or 0


def highest(session: Session) -> int:
    """The highest update id recorded (0 if none)."""
    return session.exec(select(func.max(ProcessedUpdate.update_id))).one() or 0


def recorded(session: Session, update_ids: list[int]) -> set[int]:
    """Which of these update ids are recorded (handled)."""
    if not update_ids:
        return set()
    rows = session.exec(select(ProcessedUpdate.update_id).where(ProcessedUpdate.update_id.in_(update_ids)))
    return {int(r) for r in rows}
