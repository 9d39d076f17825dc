"""The start-up heap set aside from the garbage collector, once the bot is up (``gc.freeze``).

A running bot holds a few hundred thousand long-lived objects from start-up: the content (every text, the
danger lexicon and model), SQLAlchemy's and python-telegram-bot's classes and tables, the handlers. Python's
full (generation 2) collection walks all of them each time, and one update's short-lived objects trigger one
every thousand updates or so: measured on /start, three full collections of ~250 ms during 2,000 updates,
about 0.35 ms of every update's CPU (BENCHMARKS.md, issue 27). Frozen after start-up, those objects are never
walked again; the per-update garbage is collected as before. Objects frozen here that later become garbage
in a reference cycle are never freed, which is why this is for the long-running bot process only (the run
command composes it, after the dashboard; the tests, which build many applications in one process, do not).
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from bot.core.services import Service

log = logging.getLogger(__name__)


async def _settle(app: Any) -> None:  # noqa: ARG001 - a Service start receives the Application
    gc.collect()
    gc.freeze()
    log.info("start-up heap set aside from the garbage collector: %s objects", gc.get_freeze_count())


async def _nothing(app: Any) -> None:  # noqa: ARG001
    return None


SETTLED_HEAP = Service("settled heap", start=_settle, stop=_nothing)
