"""Small key/value facts the bot keeps about itself."""

from __future__ import annotations

from sqlmodel import Session

from storage.models import BotMeta

BOT_USERNAME = "bot_username"


def get(session: Session, key: str) -> str | None:
    row = session.get(BotMeta, key)
    return row.value if row else None


def put(session: Session, key: str, value: str) -> None:
    row = session.get(BotMeta, key)
    if row is None:
        row = BotMeta(key=key, value=value)
    else:
        row.value = value
    session.add(row)
