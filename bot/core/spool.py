"""Danger reports heard while the database is down (issue 23, SAFETY.md §4).

When a turn fails because the database cannot be reached, a private text message that reads as a danger sign
(content is in memory: ``content.read_message``) still gets the emergency advice with 119 / 112, built from
memory (content/advice.py), and the report is appended to a small local spool: JSON lines in
``settings.danger_spool`` (chat id, user id, text, time, the update itself), flushed and fsynced before the
family is answered. Lines are only appended: a report ``{"update_id": …}`` and, once it is raised, a
``{"done": <update id>}`` mark.

Once the database answers again (after the next successful turn, and every :data:`REPLAY_SECONDS` from the
job queue) each pending report's update is fed again through the application's update queue, marked as a
replay: the text handler then only raises the danger alert for it (bot/handlers/fallback.py), and the turn
records the update id in the same transaction, so the report is alerted exactly once, across restarts too
(an update id already recorded is marked done and never fed again).
"""

from __future__ import annotations

import json
import logging
import os
import threading
from datetime import datetime
from pathlib import Path

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.core.runtime import Runtime, get_runtime
from content import Content, advice
from storage import updates

log = logging.getLogger(__name__)

SPOOL_KEY = "pijat_danger_spool"
REPLAY_SECONDS = 30


def database_down(exc: BaseException) -> bool:
    """The failure is the database being unreachable (refused, dropped, locked, the pool exhausted)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, (OperationalError, InterfaceError, PoolTimeout)):
            return True
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Spool:
    """The append-only file of reports kept while the database was down."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.RLock()
        self.replaying: dict[int, datetime] = {}  # update id -> when it was first heard (fed again, in flight)
        self._pending: bool | None = None  # cached: are there reports not raised yet?

    def _write(self, record: dict) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
                f.flush()
                os.fsync(f.fileno())

    def keep(self, *, update: Update, text: str, at: datetime) -> bool:
        """Append the report (once per update id). False if it was already kept."""
        with self._lock:
            if any(r["update_id"] == update.update_id for r in self.pending()):
                return False
            self._write({"update_id": update.update_id,
                         "chat_id": update.effective_chat.id if update.effective_chat else None,
                         "user_id": update.effective_user.id if update.effective_user else None,
                         "text": text, "at": at.isoformat(), "update": update.to_dict()})
            self._pending = True
            return True

    def done(self, update_id: int) -> None:
        """Mark the report raised; once none is left, the file is emptied (it holds family words)."""
        with self._lock:
            self._write({"done": update_id})
            self.replaying.pop(update_id, None)
            if not self.pending():
                self.path.write_text("", encoding="utf-8")

    def pending(self) -> list[dict]:
        """Reports not yet raised, oldest first."""
        with self._lock:
            try:
                lines = self.path.read_text(encoding="utf-8").splitlines()
            except FileNotFoundError:  # nothing was ever kept: remembered, so a turn does not open the file again
                self._pending = False
                return []
        reports: dict[int, dict] = {}
        done: set[int] = set()
        for line in lines:
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a torn last line (a crash while writing): the rest still counts
            if "done" in record:
                done.add(int(record["done"]))
            elif "update_id" in record:
                reports.setdefault(int(record["update_id"]), record)
        out = [r for uid, r in reports.items() if uid not in done]
        self._pending = bool(out)
        return out

    def has_pending(self) -> bool:
        if self._pending is None:
            self.pending()
        return bool(self._pending)


def spool_of(app_or_context) -> Spool | None:
    app = getattr(app_or_context, "application", app_or_context)
    spool = app.bot_data.get(SPOOL_KEY)
    if spool is None:
        path = get_runtime(app).settings.danger_spool
        if not path:
            return None
        spool = app.bot_data[SPOOL_KEY] = Spool(path)
    return spool


def offline_reply(content: Content, text: str, told: str = "danger.spool_kept") -> list[str]:
    """The family's replies for a danger report the database could not take: from memory, with 119 / 112."""
    if not text or text.startswith("/"):
        return []
    reading = content.read_message(text)
    if not reading.signs:
        return []
    found = advice.sign_advice(content, list(reading.sign_ids), text)
    return advice.family_messages(content, found, told=content.text(told))


def _recorded(rt: Runtime, ids: list[int]) -> set[int]:
    with rt.db.session() as session:
        return updates.recorded(session, ids)


async def replay(app: Application) -> int:
    """Feed every pending report again (see the module doc). Returns how many were fed."""
    spool = spool_of(app)
    if spool is None or not spool.has_pending():
        return 0
    pending = spool.pending()
    rt = get_runtime(app)
    try:
        seen = await rt.run_sync(_recorded, rt, [int(r["update_id"]) for r in pending])
    except Exception as exc:  # still down: the next pass tries again
        log.info("danger spool: the database is not back yet (%s)", type(exc).__name__)
        return 0
    fed = 0
    for record in pending:
        uid = int(record["update_id"])
        if uid in seen:
            spool.done(uid)  # raised before (a crash between the commit and the mark)
            continue
        if uid in spool.replaying:
            continue
        try:
            update = Update.de_json(record["update"], app.bot)
            at = datetime.fromisoformat(record["at"])
        except Exception:  # noqa: BLE001
            log.exception("danger spool: report %s cannot be read; kept", uid)
            continue
        spool.replaying[uid] = at
        await app.update_queue.put(update)
        fed += 1
    if fed:
        log.warning("danger spool: %s report(s) heard while the database was down are raised now", fed)
    return fed


async def _replay_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await replay(context.application)


def schedule_replay(app: Application) -> None:
    if get_runtime(app).settings.danger_spool and app.job_queue is not None:
        app.job_queue.run_repeating(_replay_job, interval=REPLAY_SECONDS, first=REPLAY_SECONDS,
                                    name="danger_spool")
