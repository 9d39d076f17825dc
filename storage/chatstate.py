"""Where each person is in a conversation (flow, step and a small JSON payload)."""

from __future__ import annotations

from datetime import datetime

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
        now: datetime) -> ChatState:
    state = session.get(ChatState, telegram_id)
    if state is None:
        state = ChatState(telegram_id=telegram_id, flow=flow, step=step, data=dict(data or {}), updated_at=now)
    else:
        state.flow = flow
        state.step = step
        state.data = dict(data or {})  # a new dict so the JSON column sees the change
        state.updated_at = now
    session.add(state)
    return state


def clear(session: Session, telegram_id: int, *, now: datetime) -> None:
    put(session, telegram_id, flow=IDLE, step="", data={}, now=now)
