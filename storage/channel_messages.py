"""Inbound message ids already taken from a channel's webhook (a replayed message id is processed once), and the
status callbacks of what the bot sent (sent, delivered, read, failed)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from storage.models import ChannelMessageSeen, ChannelMessageStatus

# Meta retries an unanswered webhook for up to 7 days; an id older than that will not come back.
KEEP_FOR = timedelta(days=8)
STATUSES_KEPT_FOR = timedelta(days=90)  # enough to see why a reminder or an alert did not arrive


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


def record_status(session: Session, channel: str, *, provider_message_id: str, person_id: int | None, status: str,
                  at: datetime, error_code: int | None = None, error_title: str = "") -> None:
    session.add(ChannelMessageStatus(channel=channel, provider_message_id=provider_message_id[:255],
                                     person_id=person_id, status=status[:16], at=at, error_code=error_code,
                                     error_title=(error_title or "")[:128]))


def statuses_of(session: Session, provider_message_id: str) -> list[ChannelMessageStatus]:
    return list(session.exec(select(ChannelMessageStatus)
                             .where(ChannelMessageStatus.provider_message_id == provider_message_id)
                             .order_by(ChannelMessageStatus.at, ChannelMessageStatus.id)).all())


def prune_statuses(session: Session, now: datetime) -> int:
    result = session.exec(delete(ChannelMessageStatus).where(ChannelMessageStatus.at < now - STATUSES_KEPT_FOR))
    return result.rowcount or 0
