"""Kept replies: a chat reply that failed is kept in the outbox for retry (kind ``reply``), and one chat's
replies leave in order: a later reply waits behind an earlier one of the same chat (bot/core/reply_delivery.py,
bot/reminders/dispatcher.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import Outbox
from storage.outbox import OPEN

REPLY = "reply"  # the kind of a chat reply kept for retry


def _open_replies(session: Session, chat_ids: Iterable[int]) -> list[Outbox]:
    chats = list(set(chat_ids))
    if not chats:
        return []
    stmt = select(Outbox).where(Outbox.kind == REPLY, col(Outbox.status).in_(OPEN), col(Outbox.chat_id).in_(chats))
    return list(session.exec(stmt))


def open_reply_chats(session: Session) -> set[int]:
    """The chats with a kept reply still to be sent."""
    stmt = select(Outbox.chat_id).where(Outbox.kind == REPLY, col(Outbox.status).in_(OPEN)).distinct()
    return {c for c in session.exec(stmt) if c is not None}


def _not_before(row: Outbox) -> datetime:
    return max(row.due_at, row.lease_until) if row.lease_until is not None else row.due_at


def kept_reply_until(session: Session, chat_id: int) -> datetime | None:
    """When the latest kept reply of ``chat_id`` still to be sent may go (None: there is none)."""
    rows = _open_replies(session, [chat_id])
    return max((_not_before(r) for r in rows), default=None)


def earlier_replies(session: Session, rows: Iterable[Outbox]) -> dict[int, datetime]:
    """For each reply row of ``rows``: when an earlier kept reply of its chat, outside ``rows``, may go.

    A reply must not overtake an earlier one of the same chat that waits for its retry."""
    rows = [r for r in rows if r.kind == REPLY and r.chat_id is not None]
    if not rows:
        return {}
    inside = {r.id for r in rows}
    others = [o for o in _open_replies(session, (r.chat_id for r in rows)) if o.id not in inside]
    held: dict[int, datetime] = {}
    for row in rows:
        before = [_not_before(o) for o in others if o.chat_id == row.chat_id and o.id < row.id]
        if before:
            held[row.id] = max(before)
    return held
