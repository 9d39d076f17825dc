"""Inbound message ids already taken from a channel's webhook: a replayed message id is processed once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.models import ChannelMessageSeen

# Meta retries an unanswered webhook for up to 7 days; an id older than that will not come back.
KEEP_FOR = timedelta(days=8)


def first_time(session: Session, channel: str, provider_id: str, now: datetime) -> bool:
    """Record (channel, provider_id); False if it was already recorded. One INSERT … ON CONFLICT DO NOTHING."""
    dialect = session.get_bind().dialect.name
    if dialect not in ("sqlite", "postgresql"):  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(dialect)
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(ChannelMessageSeen)
        .values(channel=channel, provider_id=provider_id, seen_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "provider_id"])
        .returning(ChannelMessageSeen.provider_id)
    )
    return session.exec(stmt).first() is not None


def prune(session: Session, now: datetime) -> int:
    result = session.exec(delete(ChannelMessageSeen).where(ChannelMessageSeen.seen_at < now - KEEP_FOR))
    return result.rowcount or 0
