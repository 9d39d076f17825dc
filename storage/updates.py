"""Telegram update ids already handled: a redelivered update is processed once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import ProcessedUpdate

KEEP_FOR = timedelta(days=7)


def first_time(session: Session, update_id: int, now: datetime) -> bool:
    """Record ``update_id``; False if it was already recorded (a duplicate delivery)."""
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
