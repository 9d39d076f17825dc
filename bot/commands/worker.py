"""``python -m bot worker``: only the reminder dispatcher, no Telegram updates.

Run as many as you like beside ``python -m bot run`` on PostgreSQL: they share the due reminders through
``FOR UPDATE SKIP LOCKED`` and leases, so each reminder is sent once. On SQLite one dispatching process is
enough (the bot itself dispatches unless told otherwise). Stops cleanly on SIGTERM / Ctrl-C; a hard kill
is recovered by the next process when the lease of the rows it held runs out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from telegram.ext import AIORateLimiter, ExtBot

from bot.core.chat_privacy import GuardedBot
from bot.core.config import Settings, settings_from_env
from bot.core.logs import setup_logging
from bot.core.runtime import Runtime
from bot.core.telegram_http import AiohttpRequest
from bot.reminders.dispatcher import Dispatcher
from storage.db import Database

log = logging.getLogger(__name__)


def build_bot(settings: Settings, connections: int | None = None, read_timeout: float = 15.0) -> ExtBot:
    """A Bot API client like the Application's (same limits), without update handling. PTB's limiter keeps
    paid-broadcast sends (PAID_BROADCAST) to Telegram's 1,000/s and everything else to 30/s."""
    connections = connections or max(16, settings.sends_in_flight)
    limiter = (AIORateLimiter(overall_max_rate=settings.process_rate, overall_time_period=1, max_retries=3)
               if settings.rate_limit else None)
    request = AiohttpRequest(connection_pool_size=connections, connect_timeout=10, read_timeout=read_timeout,
                             write_timeout=30)
    return GuardedBot(  # never anything into a non-private chat (bot/core/chat_privacy.py)
        settings.require_token(),
        base_url=settings.api_url,
        base_file_url=settings.api_file_url,
        request=request,
        rate_limiter=limiter,
    )


async def serve(runtime: Runtime, bot: ExtBot, *, once: bool = False, stop: asyncio.Event | None = None) -> int:
    """Tick every ``dispatch_interval`` seconds until ``stop`` is set (or once)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with bot:
        dispatcher = Dispatcher(runtime, bot)
        log.info("reminder worker %s started (every %ss, batch %s)", runtime.worker_id,
                 runtime.settings.dispatch_interval, runtime.settings.dispatch_batch)
        while True:
            await dispatcher.tick()
            if once or stop.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=runtime.settings.dispatch_interval)
            if stop.is_set():
                break
    runtime.close()
    log.info("reminder worker %s stopped", runtime.worker_id)
    return 0


def run(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    token = settings.require_token()
    setup_logging(settings.log_level, secrets=(token, settings.webhook_secret))
    db = Database(settings.database_url)
    db.upgrade()
    runtime = Runtime(settings=settings, db=db)
    try:
        return asyncio.run(serve(runtime, build_bot(settings), once=args.once))
    finally:
        db.dispose()


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("worker", help="only send due reminders (run several beside `run` on PostgreSQL)")
    parser.add_argument("--once", action="store_true", help="send what is due now, then exit")
    parser.set_defaults(func=run)
