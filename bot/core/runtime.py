"""What every handler and job needs, carried on the Application: settings, database, content, clock.

It also owns the bounded thread pool that keeps synchronous database work off the event loop
(:meth:`Runtime.run_sync`): on PostgreSQL each query is a network round trip, and a handler body running on
the loop would hold every other chat for the whole of it. The pool is sized to the round trip measured at start
(:func:`threads_for_round_trip`: 4 threads for a database on the same host, up to the connection pool's size
for one a few milliseconds away; ``DB_THREADS`` overrides; 0 runs the work on the loop, the SQLite default,
where a query costs CPU only and a thread would add a hand-over but no overlap).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import math
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from telegram.ext import Application, CallbackContext

from bot.core.clock import Clock, SystemClock
from bot.core.config import Settings
from content import Content, get_content
from storage.db import Database

RUNTIME_KEY = "runtime"
log = logging.getLogger(__name__)
T = TypeVar("T")


# Sizing the pool by Little's law: threads needed = updates a second x the time each update holds a thread.
# One process handles at most about UPDATES_PER_SECOND on its CPU, and an update holds its thread for
# ROUND_TRIPS_PER_UPDATE round trips (BEGIN, ~4-6 statements, COMMIT), plus the server flushing its log to disk
# at COMMIT (measured at start, ``Database.commit_seconds``), plus TURN_CPU_S of its own work, which shares the
# GIL with the event loop. The flush was missing until issue 27: 3.6 ms on this project's machine against a
# 0.19 ms round trip, so the pool was sized at 2 threads and PostgreSQL answered /start at 241/s with 2 threads,
# 341 with 3, 466 with 4 and 443-453 with 5-6 (same run, 4 rounds; BENCHMARKS.md). The flush time moves with
# the disk's other work (0.2-3.7 ms within the hour here), so one measurement at start may catch a quiet
# moment: at least MIN_DB_THREADS, 4, which in a later run beat 2 and 3 in every round (median 519/s against
# 394 and 445, with the flush at 0.3-1.1 ms) at less CPU per update. More threads than needed buy no overlap and
# cost CPU: every extra thread contends for the GIL at each query (1 December, before this cheaper
# turn: 2 threads answered /start at 450/s, 6 at 363/s, 20 at 325/s).
UPDATES_PER_SECOND = 500
ROUND_TRIPS_PER_UPDATE = 8
TURN_CPU_S = 0.002
MIN_DB_THREADS = 4


def threads_for_round_trip(round_trip_s: float, pool_size: int, commit_s: float = 0.0) -> int:
    """Threads that keep UPDATES_PER_SECOND flowing when each query takes ``round_trip_s`` and a commit that
    wrote takes ``commit_s`` (MIN_DB_THREADS … pool size)."""
    held = ROUND_TRIPS_PER_UPDATE * round_trip_s + commit_s + TURN_CPU_S
    return max(MIN_DB_THREADS, min(pool_size, math.ceil(UPDATES_PER_SECOND * held)))


def db_threads_for(settings: Settings, db: Database) -> int:
    """How many threads run database work: ``settings.db_threads``; 0 (on the event loop) on SQLite; on
    PostgreSQL as many as the measured round trip and commit call for (the connection pool's size if the round
    trip cannot be measured now)."""
    if settings.db_threads is not None:
        return max(0, settings.db_threads)
    if db.is_sqlite:
        return 0
    round_trip = db.round_trip_seconds()
    commit = (db.commit_seconds() or 0.0) if round_trip is not None else 0.0
    threads = (db.pool_size if round_trip is None
               else threads_for_round_trip(round_trip, db.pool_size, commit))
    log.info("database round trip %s, commit %.2f ms: %d database threads", "unknown" if round_trip is None
             else f"{round_trip * 1000:.2f} ms", commit * 1000, threads)
    return threads


@dataclass
class Runtime:
    settings: Settings
    db: Database
    content: Content = field(default_factory=get_content)
    clock: Clock = field(default_factory=SystemClock)
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    bot_username: str | None = None
    db_threads: int | None = None  # None: db_threads_for(settings, db)
    # Who reads a turn's messages, {chat id: (generic address, theirs)}, asked after the handler: set by
    # bot/core/app.py to bot/handlers/context.reader_of (see Turn.addressed).
    reader: Callable[[Any], dict[int, tuple[str, str]]] | None = None
    # Chats with a reply kept in the outbox for retry (bot/core/reply_delivery.py); None until first read.
    kept_chats: set[int] | None = None
    _pool: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _side: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _side_gate: asyncio.Semaphore | None = field(default=None, init=False, repr=False)
    _pool_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.db_threads is None:
            self.db_threads = db_threads_for(self.settings, self.db)

    @property
    def username(self) -> str:
        """The bot's username for deep links: BOT_USERNAME, else what getMe said."""
        return self.settings.bot_username or self.bot_username or "PijatOksitosinBot"

    @property
    def off_loop(self) -> bool:
        return bool(self.db_threads)

    async def run_sync(self, fn: Callable[..., T], /, *args: Any) -> T:
        """``fn(*args)`` in the database thread pool (on the loop when there is none), awaited.

        The caller's context variables go with it. Ordering is the caller's business: each awaiting
        coroutine waits for its own call, so code that awaits one call at a time stays sequential.
        """
        if not self.db_threads:
            return fn(*args)
        pool = self._pool
        if pool is None:
            with self._pool_lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(self.db_threads, thread_name_prefix="db")
                pool = self._pool
        call = functools.partial(contextvars.copy_context().run, fn, *args)
        return await asyncio.get_running_loop().run_in_executor(pool, call)

    async def run_off_loop(self, fn: Callable[..., T], /, *args: Any) -> T:
        """``fn(*args)`` never on the loop: the database pool (:meth:`run_sync`) when there is one, else (SQLite)
        one side thread. For long work that is not a chat's turn (the dashboard's table, analysis and exports:
        seconds of queries and file building), so every family's reply keeps flowing meanwhile: in the pool it
        takes at most all threads but one."""
        if self.db_threads:
            # Never every thread of the pool: one always stays free for the chats' turns (an export holds
            # its thread for seconds).
            if self._side_gate is None:
                self._side_gate = asyncio.Semaphore(max(1, self.db_threads - 1))
            async with self._side_gate:
                return await self.run_sync(fn, *args)
        with self._pool_lock:
            if self._side is None:
                self._side = ThreadPoolExecutor(1, thread_name_prefix="side")
            side = self._side
        call = functools.partial(contextvars.copy_context().run, fn, *args)
        return await asyncio.get_running_loop().run_in_executor(side, call)

    def close(self) -> None:
        """Wait for the database work still running, then stop the threads (after the Application stopped)."""
        for name in ("_pool", "_side"):
            pool = getattr(self, name)
            setattr(self, name, None)
            if pool is not None:
                pool.shutdown(wait=True)


def get_runtime(context: CallbackContext | Application) -> Runtime:
    app = context if isinstance(context, Application) else context.application
    return app.bot_data[RUNTIME_KEY]
