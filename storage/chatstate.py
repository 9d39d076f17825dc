"""Where each person is in a conversation (flow, step and a small JSON payload)."""

from __future__ import annotations

from datetime import datetime

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
    ``INSERT … ON CONFLICT DO UPDATE`` writes it, without reading it first (one round trip, not two)."""
    values = {"flow": flow, "step": step, "data": dict(data or {}), "updated_at": now}  # a new dict: JSON sees it
    state = session.identity_map.get(identity_key(ChatState, telegram_id))
    if state is not None and state not in session.deleted:
        for name, value in values.items():
            setattr(state, name, value)
        session.add(state)
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ChatState).values(telegram_id=telegram_id, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["telegram_id"], set_=values))


def clear(session: Session, telegram_id: int, *, now: datetime) -> None:
    put(session, telegram_id, flow=IDLE, step="", data={}, now=now)
