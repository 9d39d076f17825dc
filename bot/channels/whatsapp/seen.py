"""Which inbound message ids were already taken: WhatsApp redelivers a webhook until it gets a 200, and an attacker
may replay a signed body, so each (channel, provider message id) is processed once.

Two stores behind one interface: :class:`MemorySeen` (a bounded set, for tests and a bot without a database)
and :class:`DatabaseSeen` (the ``channel_messages_seen`` table, shared by every process of the bot).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable
from datetime import datetime
from typing import Protocol

from storage import channel_messages
from storage.db import Database


class SeenStore(Protocol):
    def first_time(self, channel: str, provider_id: str, now: datetime) -> bool | Awaitable[bool]:
        """Record the id; False when it was recorded before."""


class MemorySeen:
    def __init__(self, capacity: int = 100_000):
        self._ids: OrderedDict[tuple[str, str], datetime] = OrderedDict()
        self._capacity = capacity

    def first_time(self, channel: str, provider_id: str, now: datetime) -> bool:
        key = (channel, provider_id)
        if key in self._ids:
            return False
        self._ids[key] = now
        while len(self._ids) > self._capacity:
            self._ids.popitem(last=False)
        return True


class DatabaseSeen:
    """Blocking: fine on SQLite, where the bot runs queries on the loop; on PostgreSQL wrap it so the query runs
    in the runtime's thread pool (the webhook awaits a store whose ``first_time`` returns an awaitable)."""

    def __init__(self, database: Database):
        self._db = database

    def first_time(self, channel: str, provider_id: str, now: datetime) -> bool:
        with self._db.session() as session:
            return channel_messages.first_time(session, channel, provider_id, now)
