"""How updates are processed: concurrently across chats, one at a time within a chat, fairly.

Two taps on the same keyboard, or a message sent while the previous one is still being handled, are
processed in order, so a person's conversation never races with itself. Different families do not wait
for each other, and one family cannot slow the others down:

- a chat whose update waits for its turn (an earlier update of the same chat is still running) holds none of
  the shared capacity: the per-chat lock is taken *before* one of the ``max_concurrent_updates`` slots, so
  a chat uses at most one slot at a time, however many messages it sends (python-telegram-bot's own
  ``process_update`` takes the slot first, so one chat's backlog could fill every slot);
- each chat's queue is bounded (``max_queue`` updates waiting behind the running one). Past it, the surplus
  is dropped (the update's coroutine is closed, never run), the chat is told once per burst to wait a moment
  (``on_dropped``, wired by bot/core/app.py to the ``common.busy_wait`` text), and the drops are counted in
  the log: one WARNING when a burst starts dropping and one when the chat's queue drains, with the count.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# Updates of one chat that may wait behind its running one. A person types a few messages while the bot
# answers; a script or a stuck key sends hundreds: those are not worth holding memory or time for.
MAX_QUEUE = 20


def _chat_key(update: object) -> Any:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Serialises the updates of each chat; ``on_processed`` is told when each update is finished
    (a dropped one too); ``on_dropped`` is called once per burst of dropped updates of a chat."""

    def __init__(self, max_concurrent_updates: int = 64,
                 on_processed: Callable[[object], Awaitable[None] | None] | None = None,
                 *, max_queue: int = MAX_QUEUE,
                 on_dropped: Callable[[object], Awaitable[None] | None] | None = None):
        super().__init__(max_concurrent_updates)
        self._locks: dict[Any, asyncio.Lock] = {}
        self._waiting: dict[Any, int] = {}  # per chat: updates running or waiting
        self._dropped: dict[Any, int] = {}  # per chat: updates dropped in the current burst
        self.max_queue = max(0, max_queue)
        self.on_processed = on_processed
        self.on_dropped = on_dropped
        self.dropped_total = 0

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:  # type: ignore[override]
        """The chat's turn first (holding nothing shared), then one of the shared slots."""
        key = _chat_key(update)
        try:
            if key is None:
                async with self._semaphore:
                    await self.do_process_update(update, coroutine)
                return
            pending = self._waiting.get(key, 0)
            if pending > self.max_queue:  # the running one plus max_queue waiting
                await self._drop(key, update, coroutine)
                return
            lock = self._locks.setdefault(key, asyncio.Lock())
            self._waiting[key] = pending + 1
            try:
                async with lock:
                    async with self._semaphore:
                        await self.do_process_update(update, coroutine)
            finally:
                self._waiting[key] -= 1
                if self._waiting[key] == 0:
                    del self._waiting[key]
                    self._locks.pop(key, None)
                    self._burst_over(key)
        finally:
            await self._call(self.on_processed, update)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Runs inside the chat's turn and one shared slot."""
        await coroutine

    async def _drop(self, key: Any, update: object, coroutine: Awaitable[Any]) -> None:
        close = getattr(coroutine, "close", None)
        if close is not None:
            close()  # never run: no "coroutine was never awaited" warning either
        self.dropped_total += 1
        first = key not in self._dropped
        self._dropped[key] = self._dropped.get(key, 0) + 1
        if first:
            log.warning("chat %s sends faster than it is answered: %s updates queued, dropping the surplus "
                        "(update %s first)", key, self.max_queue, getattr(update, "update_id", None))
            await self._call(self.on_dropped, update)

    def _burst_over(self, key: Any) -> None:
        count = self._dropped.pop(key, 0)
        if count:
            log.warning("chat %s: %s updates dropped in one burst (%s since start)", key, count,
                        self.dropped_total)

    @staticmethod
    async def _call(hook: Callable[[object], Awaitable[None] | None] | None, update: object) -> None:
        if hook is None:
            return
        try:
            result = hook(update)
            if asyncio.iscoroutine(result):
                await result
        except Exception:
            log.exception("update processor hook failed for update %s", getattr(update, "update_id", None))

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
