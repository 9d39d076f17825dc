"""Liveness: the running bot touches a heartbeat file; ``python -m bot health`` checks it and the database."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from telegram.ext import Application, ContextTypes

from bot.core.runtime import get_runtime

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 30
STALE_AFTER_SECONDS = 180


async def beat(context: ContextTypes.DEFAULT_TYPE) -> None:
    path = get_runtime(context).settings.health_file
    if path:
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(str(int(time.time())))
        except OSError as exc:
            log.warning("cannot write heartbeat %s: %s", path, exc)


def schedule_heartbeat(app: Application) -> None:
    if get_runtime(app).settings.health_file and app.job_queue is not None:
        app.job_queue.run_repeating(beat, interval=HEARTBEAT_SECONDS, first=0, name="heartbeat")


def heartbeat_age(path: str, now: float | None = None) -> float | None:
    """Seconds since the last heartbeat, or None if there is none."""
    try:
        stamp = float(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None
    return (now if now is not None else time.time()) - stamp
