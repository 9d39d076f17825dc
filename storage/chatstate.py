"""Where each person is in a conversation (flow, step and a small JSON payload)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session

from storage.models import ChatState

IDLE = "idle"


def get(session: Session, telegram_id: int) -> ChatState:
    """The state of this person; an idle state (not yet stored) if there is none."""
    state = session.get(ChatState, telegram_id)
    if state is None:
        return ChatState(telegram_id=telegram_id, flow=IDLE, step="", data={}, updated_at=datetime.min)
    return state


def put(session: Session, telegram_id: int, *, flow: str, step: str = "", data: dict | None = None,
        now: datetime) -> None:
    """Store where this person is. A state this session already holds is changed in place; otherwise one
    ``INSERT … ON CONFLICT DO UPDATE`` writes it, without reading it first (one round trip, not two). The
    upsert is built once per dialect and run as a plain Core statement (after the session's pending changes,
    as the ORM would have flushed them), not built and sent through the ORM's bulk path for every update."""
    values = {"flow": flow, "step": step, "data": dict(data or {}), "updated_at": now}  # a new dict: JSON sees it
    state = session.identity_map.get(identity_key(ChatState, telegram_id))
    if state is not None and state not in session.deleted:
        for name, value in values.items():
            setattr(state, name, value)
        session.add(state)
        return
    session.flush()  # a pending delete of this row (or anything else pending) goes first, as an autoflush would
    session.connection().execute(_upsert_statement(session.get_bind().dialect.name),
                                 {"telegram_id": telegram_id, **values})


_UPSERT: dict[str, Any] = {}


def _upsert_statement(dialect: str) -> Any:
    stmt = _UPSERT.get(dialect)
    if stmt is None:
        table = ChatState.__table__
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        columns = ("telegram_id", "flow", "step", "data", "updated_at")
        base = insert(table).values({name: bindparam(name, type_=table.c[name].type) for name in columns})
        stmt = _UPSERT[dialect] = base.on_conflict_do_update(
            index_elements=["telegram_id"], set_={name: base.excluded[name] for name in columns[1:]})
    return stmt


def clear(session: Session, telegram_id: int, *, now: datetime) -> None:
    put(session, telegram_id, flow=IDLE, step="", data={}, now=now)
