"""How updates are processed: concurrently across chats, one at a time within a chat.

Two taps on the same keyboard, or a message sent while the previous one is still being handled, are
processed in order, so a person's conversation never races with itself. Different families do not wait
for each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def _chat_key(update: object) -> Any:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Serialises the updates of each chat; ``on_processed`` is told when each update is finished."""

    def __init__(self, max_concurrent_updates: int = 64,
                 on_processed: Callable[[object], Awaitable[None] | None] | None = None):
        super().__init__(max_concurrent_updates)
        self._locks: dict[Any, asyncio.Lock] = {}
        self._waiting: dict[Any, int] = {}
        self.on_processed = on_processed

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _chat_key(update)
        try:
            if key is None:
                await coroutine
                return
            lock = self._locks.setdefault(key, asyncio.Lock())
            self._waiting[key] = self._waiting.get(key, 0) + 1
            try:
                async with lock:
                    await coroutine
            finally:
                self._waiting[key] -= 1
                if self._waiting[key] == 0:
                    del self._waiting[key]
                    self._locks.pop(key, None)
        finally:
            if self.on_processed is not None:
                result = self.on_processed(update)
                if asyncio.iscoroutine(result):
                    await result

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
