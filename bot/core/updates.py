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
  Once a chat is dropping, its further updates are not even parsed (:meth:`PerChatUpdateProcessor.admits`,
  asked by bot/core/intake.py for each update of a ``getUpdates`` batch): parsing is most of an update's cost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# Updates of one chat that may wait behind its running one. A person types a few messages while the bot
# answers; a script or a stuck key sends hundreds: those are not worth holding memory or time for.
MAX_QUEUE = 10
# An update let through at intake that has not reached the processor after this long never will.
INCOMING_STALE_S = 60.0


def raw_chat_key(raw: Any) -> Any:
    """:func:`_chat_key` of an update not parsed yet (a dict from ``getUpdates``); None when unknown."""
    if not isinstance(raw, dict):
        return None
    for kind, obj in raw.items():
        if kind == "update_id" or not isinstance(obj, dict):
            continue
        chat = obj.get("chat")
        if not isinstance(chat, dict) and isinstance(obj.get("message"), dict):
            chat = obj["message"].get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return chat["id"]
        sender = obj.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return ("user", sender["id"])
    return None


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
        # Intake (:meth:`admits`, before parsing): updates let through and not yet arrived here, per chat; the
        # ids dropped unparsed; the one update per burst parsed only to carry the "wait" notice.
        self._incoming: dict[Any, dict[int, float]] = {}  # per chat: update id -> when let through
        self._incoming_ids: dict[int, Any] = {}
        self._skipped: set[int] = set()
        self._carriers: set[int] = set()
        self._carrying: set[Any] = set()

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:  # type: ignore[override]
        """The chat's turn first (holding nothing shared), then one of the shared slots."""
        update_id = getattr(update, "update_id", None)
        if update_id in self._skipped:  # dropped unparsed: nothing to run
            self._skipped.discard(update_id)
            close = getattr(coroutine, "close", None)
            if close is not None:
                close()
            await self._call(self.on_processed, update)
            return
        self._arrived(update_id)
        key = _chat_key(update)
        try:
            if update_id in self._carriers and key is not None:
                self._carriers.discard(update_id)
                self._carrying.discard(key)
                await self._drop(key, update, coroutine, carrier=True)
                return
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

    async def _drop(self, key: Any, update: object, coroutine: Awaitable[Any], *, carrier: bool = False) -> None:
        close = getattr(coroutine, "close", None)
        if close is not None:
            close()  # never run: no "coroutine was never awaited" warning either
        self.dropped_total += 1
        first = carrier or key not in self._dropped  # a carrier comes after the burst's first unparsed drops
        self._dropped[key] = self._dropped.get(key, 0) + 1
        if first:
            log.warning("chat %s sends faster than it is answered: %s updates queued, dropping the surplus "
                        "(update %s first)", key, self.max_queue, getattr(update, "update_id", None))
            await self._call(self.on_dropped, update)

    def admits(self, raw: Any) -> bool:
        """Whether an update not parsed yet is worth parsing (asked for each update of a ``getUpdates`` batch,
        in order): False for the surplus of a chat whose queue is full, so a flood costs no parsing either.
        The first of a burst's surplus is let through to carry the "wait" notice; a refused update reaches
        :meth:`process_update` bare, by its id only, and is finished at once (counted as dropped)."""
        key = raw_chat_key(raw)
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if key is None or not isinstance(update_id, int):
            return True
        incoming = self._incoming.setdefault(key, {})
        now = time.monotonic()
        for stale in [u for u, at in incoming.items() if now - at > INCOMING_STALE_S]:
            del incoming[stale]  # never arrived (the Application stopping, say): it must not fill the queue
            self._incoming_ids.pop(stale, None)
        if len(incoming) + self._waiting.get(key, 0) <= self.max_queue:
            incoming[update_id] = now
            self._incoming_ids[update_id] = key
            return True
        if not incoming:
            del self._incoming[key]
        if key not in self._dropped and key not in self._carrying:
            self._carrying.add(key)
            self._carriers.add(update_id)
            return True
        self._skipped.add(update_id)
        self._dropped[key] = self._dropped.get(key, 0) + 1
        self.dropped_total += 1
        return False

    def _arrived(self, update_id: Any) -> None:
        key = self._incoming_ids.pop(update_id, None)
        incoming = self._incoming.get(key) if key is not None else None
        if incoming is not None:
            incoming.pop(update_id, None)
            if not incoming:
                del self._incoming[key]

    def _burst_over(self, key: Any) -> None:
        self._carrying.discard(key)  # a carrier lost on the way must not silence the next burst
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
