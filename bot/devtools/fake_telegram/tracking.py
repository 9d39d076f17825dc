"""An update processor that tells the fake Telegram when the bot has finished each update."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

from telegram.ext import BaseUpdateProcessor


class ProcessedSink(Protocol):
    def mark_processed(self, update_id: int, error: BaseException | None = None) -> None: ...


class TrackingUpdateProcessor(BaseUpdateProcessor):
    """Build the bot with ``ApplicationBuilder().concurrent_updates(TrackingUpdateProcessor(fake))``.

    After each update's handlers have run (successfully or not) it calls
    ``fake.mark_processed(update.update_id)``, which wakes the test or simulator waiting on that update.
    """

    def __init__(self, fake: ProcessedSink, max_concurrent_updates: int = 1):
        super().__init__(max_concurrent_updates)
        self.fake = fake
        self.processed = 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        error: BaseException | None = None
        try:
            await coroutine
        except BaseException as exc:
            error = exc
            raise
        finally:
            update_id = getattr(update, "update_id", None)
            if isinstance(update_id, int):
                self.processed += 1
                self.fake.mark_processed(update_id, error)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""
