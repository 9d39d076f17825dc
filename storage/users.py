"""Telegram people: find or create them, and remember who cannot be reached."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, bindparam
from sqlmodel import Session, select

from storage.models import User

# Within one session (one update's unit of work) a person is looked up once: the turn's record step, the
# handler and the flows all ask for the same Telegram id, and on PostgreSQL each query is a network round trip.
# The session's ``info`` keeps what was found (or that nobody was); ``upsert`` updates it when it creates.
_BY_TELEGRAM_ID = "users_by_telegram_id"


# Built once: constructing the select was a measurable part of every update's CPU (BENCHMARKS.md, issue 27).
_BY_TELEGRAM_ID_QUERY = select(User).where(User.telegram_id == bindparam("telegram_id", type_=BigInteger))


def _known(session: Session) -> dict[int, User | None]:
    return session.info.setdefault(_BY_TELEGRAM_ID, {})


def get_by_telegram_id(session: Session, telegram_id: int) -> User | None:
    known = _known(session)
    if telegram_id in known:
        user = known[telegram_id]
        if user is None or (user.telegram_id == telegram_id and user in session):
            return user
    user = session.exec(_BY_TELEGRAM_ID_QUERY, params={"telegram_id": telegram_id}).first()
    known[telegram_id] = user
    return user


def remember(session: Session, telegram_id: int, user: User | None) -> None:
    """What a query of its own found for ``telegram_id`` (storage/updates.py looks the person up with the
    update record): later lookups in this session use it."""
    _known(session)[telegram_id] = user


def _clean(text: str | None, limit: int) -> str | None:
    """At most ``limit`` characters, without NUL (PostgreSQL cannot store it); None when nothing is left."""
    return (text or "").replace("\x00", "")[:limit] or None


def upsert(
    session: Session,
    *,
    telegram_id: int,
    chat_id: int | None,
    first_name: str | None,
    language_code: str | None,
    now: datetime,
) -> User:
    """The user for this Telegram id, created on first contact. A user who writes again is reachable."""
    user = get_by_telegram_id(session, telegram_id)
    if user is None:
        user = User(
            telegram_id=telegram_id,
            chat_id=chat_id,
            first_name=_clean(first_name, 128),
            language_code=_clean(language_code, 16),
            created_at=now,
        )
        session.add(user)
        session.flush()
        _known(session)[telegram_id] = user
        return user
    if chat_id is not None and user.chat_id != chat_id:
        user.chat_id = chat_id
    if not user.reachable:
        user.reachable = True
        user.unreachable_reason = None
    name = _clean(first_name, 128)
    if name and user.first_name != name and user.deleted_at is None:
        user.first_name = name
    session.add(user)
    return user


def mark_unreachable(session: Session, *, chat_id: int, reason: str, now: datetime) -> int:  # noqa: ARG001
    """Flag every user of this private chat as unreachable (blocked the bot, deleted account)."""
    changed = 0
    for user in session.exec(select(User).where(User.chat_id == chat_id)):
        if user.reachable:
            user.reachable = False
            user.unreachable_reason = reason[:200]
            session.add(user)
            changed += 1
    return changed
