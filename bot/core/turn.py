"""One update, one unit of work: the ``Turn``.

A handler body is a plain synchronous function ``body(turn)``. It reads and writes through
``turn.session`` (one database session for the whole update) and *queues* what the bot should say
(``turn.reply``, ``turn.edit``, ``turn.send`` …). When the body returns, the session commits, and only
then are the queued messages sent. So an answer the user sees is an answer that is stored, and a failure
anywhere rolls everything back and the user is asked, kindly, to try again. No exception escapes.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ContextTypes

from bot.core import reply_delivery
from bot.core.outgoing import ERASE, Outgoing, deliver, without_controls  # noqa: F401 - Outgoing: many callers
from bot.core.runtime import Runtime, get_runtime
from bot.core.spool import database_down, offline_reply, replay, spool_of
from bot.core.update_record import RECORDED, record_update, update_recorded
from storage import users
from storage.db import stale_connection

log = logging.getLogger(__name__)


class Turn:
    """The current update, its database session and the replies it queues."""

    def __init__(self, update: Update, context: ContextTypes.DEFAULT_TYPE, runtime: Runtime):
        self.update = update
        self.context = context
        self.rt = runtime
        self.content = runtime.content
        self.settings = runtime.settings
        self.now: datetime = runtime.clock.now()
        self.session: Session | None = None
        self.outgoing: list[Outgoing] = []
        self.after: list[Callable[[], Awaitable[None]]] = []
        self.callback_answered = False
        # {chat id: (the generic address, that reader's own)}: filled after the handler (Runtime.reader), so a
        # text written for "Ibu/Bapak" reaches the husband as "Bapak" and the mother as "Ibu" (:meth:`addressed`).
        self.readers: dict[int, tuple[str, str]] = {}
        self.notes: dict[str, Any] = {}  # what one handler body tells another within this update
        # When this update is a danger report kept while the database was down, fed again (bot/core/spool.py):
        # when it was first heard.
        self.replayed_from: datetime | None = None

    # -- who and what -------------------------------------------------------------------------
    @property
    def telegram_user(self):
        return self.update.effective_user

    @property
    def user_id(self) -> int | None:
        user = self.update.effective_user
        return user.id if user else None

    @property
    def chat_id(self) -> int | None:
        chat = self.update.effective_chat
        return chat.id if chat else None

    @property
    def text(self) -> str:
        """The typed text, trimmed, without control characters (PostgreSQL cannot even store a NUL)."""
        msg = self.update.effective_message
        return without_controls(msg.text).strip() if msg and msg.text else ""

    @property
    def callback_data(self) -> str | None:
        q = self.update.callback_query
        return q.data if q else None

    @property
    def callback_message_id(self) -> int | None:
        q = self.update.callback_query
        return q.message.message_id if q and q.message else None

    @property
    def args(self) -> list[str]:
        return [clean for arg in (self.context.args or []) if (clean := without_controls(arg))]

    def t(self, key: str, /, **params: object) -> str:
        return self.content.text(key, **params)

    # -- queued effects -----------------------------------------------------------------------
    def reply(self, text: str, keyboard: InlineKeyboardMarkup | None = None, **extra: Any) -> Outgoing:
        out = Outgoing("send", chat_id=self.chat_id, text=text, keyboard=keyboard, extra=extra)
        self.outgoing.append(out)
        return out

    def send(self, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None = None, **extra: Any) -> Outgoing:
        out = Outgoing("send", chat_id=chat_id, text=text, keyboard=keyboard, extra=extra)
        self.outgoing.append(out)
        return out

    def edit(self, text: str, keyboard: InlineKeyboardMarkup | None = None, message_id: int | None = None) -> Outgoing:
        """Replace the text of the message whose button was pressed (or ``message_id``)."""
        out = Outgoing(
            "edit", chat_id=self.chat_id, text=text, keyboard=keyboard,
            message_id=message_id or self.callback_message_id,
        )
        self.outgoing.append(out)
        return out

    def edit_markup(self, keyboard: InlineKeyboardMarkup | None = None, message_id: int | None = None) -> Outgoing:
        out = Outgoing(
            "edit_markup", chat_id=self.chat_id, keyboard=keyboard,
            message_id=message_id or self.callback_message_id,
        )
        self.outgoing.append(out)
        return out

    def answer(self, text: str | None = None, alert: bool = False) -> None:
        """Answer the pressed button (the small toast). Done once; every callback gets one."""
        if self.update.callback_query is None or self.callback_answered:
            return
        self.callback_answered = True
        self.outgoing.insert(0, Outgoing("answer", text=text, show_alert=alert))

    def photo(self, data: bytes | str, caption: str | None = None, keyboard: InlineKeyboardMarkup | None = None,
              chat_id: int | None = None) -> Outgoing:
        out = Outgoing("photo", chat_id=chat_id or self.chat_id, text=caption, keyboard=keyboard, data=data)
        self.outgoing.append(out)
        return out

    def document(self, data: bytes | str, filename: str, caption: str | None = None,
                 chat_id: int | None = None) -> Outgoing:
        out = Outgoing("document", chat_id=chat_id or self.chat_id, text=caption, data=data, filename=filename)
        self.outgoing.append(out)
        return out

    def media(self, kind: str, data: bytes | str, caption: str | None = None,
              keyboard: InlineKeyboardMarkup | None = None, chat_id: int | None = None) -> Outgoing:
        """An animation (MP4, ``sendAnimation``) or a voice note (OGG/Opus, ``sendVoice``)."""
        if kind not in ("animation", "voice"):
            raise ValueError(f"unknown media kind {kind}")
        out = Outgoing(kind, chat_id=chat_id or self.chat_id, text=caption, keyboard=keyboard, data=data)
        self.outgoing.append(out)
        return out

    def addressed(self) -> None:
        """Address each reader as who they are in every message queued for their chat."""
        for out in self.outgoing:
            reader = self.readers.get(out.chat_id or self.chat_id) if out.text else None
            if reader is not None and reader[0] in out.text:
                out.text = out.text.replace(*reader)

    def later(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run an async action after the commit (after the queued messages)."""
        self.after.append(action)

    def discard(self) -> None:
        self.outgoing.clear()
        self.after.clear()
        self.callback_answered = False


SEND_RETRY_DELAYS = (0.5, 2.0)
MAX_RETRY_AFTER = 10.0  # a longer 429 wait is not worth holding the chat for: give up and log


def retry_delays(settings) -> tuple[float, ...]:
    raw = (getattr(settings, "extra", None) or {}).get("send_retry_delays")
    if not raw:
        return SEND_RETRY_DELAYS
    try:
        return tuple(max(0.0, float(part)) for part in raw.split(",") if part.strip())
    except ValueError:
        return SEND_RETRY_DELAYS


def _retry_after(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _perform(turn: Turn, out: Outgoing) -> Any:
    if out.kind == "answer":
        query = turn.update.callback_query
        if query is not None:
            await query.answer(out.text, show_alert=out.show_alert)
        return None
    return await deliver(turn.context.bot, out)


async def _send_with_retries(turn: Turn, out: Outgoing, delays: tuple[float, ...]) -> None:
    """Perform ``out``; retry transient failures; log each failure once, with the update and the chat."""
    what = "the button answer" if out.kind == "answer" else out.kind
    for attempt in range(len(delays) + 1):
        try:
            message = await _perform(turn, out)
        except Forbidden as exc:
            log.warning("chat %s cannot be reached (%s, update %s): %s", out.chat_id or turn.chat_id, what,
                        turn.update.update_id, exc)
            if out.chat_id is not None:
                await turn.rt.run_sync(_mark_unreachable, turn.rt, out.chat_id, str(exc), turn.now)
            return
        except RetryAfter as exc:
            wait = _retry_after(exc)
            last = attempt >= len(delays) or wait > MAX_RETRY_AFTER
            log.warning("Telegram asks to wait %ss before %s to chat %s (update %s, attempt %s)%s", wait, what,
                        out.chat_id or turn.chat_id, turn.update.update_id, attempt + 1,
                        "; giving up" if last else "; retrying")
            if last:
                await turn.rt.run_sync(reply_delivery.keep, turn, out, "429", turn.rt.clock.now() + timedelta(seconds=wait))
                return
            await asyncio.sleep(wait)
            continue
        except BadRequest as exc:  # permanent: retrying cannot help
            if out.kind == "answer" and attempt > 0 and "query" in str(exc).lower():
                log.debug("the button answer of update %s had arrived before all", turn.update.update_id)
                return
            log.warning("Telegram refused %s to chat %s (update %s): %s", what, out.chat_id or turn.chat_id,
                        turn.update.update_id, exc)
            if "chat not found" in str(exc).lower() and out.chat_id is not None:
                await turn.rt.run_sync(reply_delivery.unreachable, turn, out.chat_id, str(exc))
                await turn.rt.run_sync(reply_delivery.keep, turn, out, "chat not found")
            return
        except NetworkError as exc:  # 5xx, timeouts, dropped connections
            last = attempt >= len(delays)
            log.warning("sending %s to chat %s failed (update %s, attempt %s)%s: %s", what,
                        out.chat_id or turn.chat_id, turn.update.update_id, attempt + 1,
                        "; giving up" if last else "; retrying", exc)
            if last:
                await turn.rt.run_sync(reply_delivery.keep, turn, out, "network")
                return
            await asyncio.sleep(delays[attempt])
            continue
        except TelegramError as exc:
            log.warning("sending %s to chat %s failed (update %s): %s", what, out.chat_id or turn.chat_id,
                        turn.update.update_id, exc)
            await turn.rt.run_sync(reply_delivery.keep, turn, out, type(exc).__name__)
            return
        if out.on_sent is not None and message is not None:
            await turn.rt.run_sync(out.on_sent, message)  # it may write (family_contacts.remember_on_send)
        return


async def flush(turn: Turn) -> None:
    """Send what the turn queued. A failed message is logged once and does not stop the others."""
    delays = retry_delays(turn.settings)
    turn.addressed()
    try:
        kept = turn.rt.kept_chats
        if kept is None:
            kept = await turn.rt.run_sync(reply_delivery.kept_chats, turn.rt)
    except Exception:  # the database is down (a danger report's advice from memory): send as queued
        log.warning("kept replies unknown (database unreachable): sending update %s's replies as queued",
                    turn.update.update_id)
        kept = set()
    for out in turn.outgoing:
        try:
            if await _kept_behind_earlier(turn, out, kept):
                continue
        except Exception:  # the database went away between the commit and the send: the reply still goes
            log.warning("could not check the outbox for chat %s; sending", out.chat_id)
        await _send_with_retries(turn, out, delays)
    if turn.update.callback_query is not None and not turn.callback_answered:
        await _send_with_retries(turn, Outgoing("answer"), delays)
    for action in turn.after:
        try:
            await action()
        except Exception:
            log.exception("after-commit action failed")


async def _kept_behind_earlier(turn: Turn, out: Outgoing, kept: set[int]) -> bool:
    """Keep ``out`` in the outbox behind an earlier reply of its chat that waits there (order per chat)."""
    if reply_delivery.already_kept(turn, out):  # an earlier reply to this chat waits in the outbox: follow it
        await turn.rt.run_sync(reply_delivery.keep, turn, out, "after an earlier kept reply")
        return True
    if out.chat_id in kept and reply_delivery.keepable(out):  # an earlier turn's reply waits for its retry
        until = await turn.rt.run_sync(reply_delivery.kept_until, turn, out)
        if until is not None:
            await turn.rt.run_sync(reply_delivery.keep, turn, out, "after an earlier kept reply",
                                   max(until, turn.rt.clock.now()))
            return True
    return False


def _mark_unreachable(rt: Runtime, chat_id: int, reason: str, now: datetime) -> None:
    try:
        with rt.db.session() as session:
            users.mark_unreachable(session, chat_id=chat_id, reason=reason[:200], now=now)
    except Exception:
        log.exception("could not mark chat %s unreachable", chat_id)


class _StaleAtFirstStatement(Exception):
    """Recording the update met a pooled connection the server had closed: nothing was done yet."""


def _run_body(turn: Turn, body: Callable[[Turn], None], record: bool) -> bool:
    """One session, one transaction: the update recorded, the person reachable again, the body.

    Runs in the database thread pool on PostgreSQL (``Runtime.run_sync``). False for a duplicate update
    (nothing done). Raises when anything fails; the session is rolled back then, the update id too.
    The pool does not ping a connection before each use (storage/db.py): when recording the update (the
    turn's first statements, before the handler body) meets a connection the server has closed (a restart,
    an idle time-out), the pool is renewed and the turn runs once more from the start, so the person notices
    nothing. A connection lost later in the turn is a failure like any other: all of it is rolled back and
    the person is asked to try again.
    """
    try:
        return _attempt(turn, body, record)
    except _StaleAtFirstStatement:
        log.info("update %s met a closed database connection first; running it again", turn.update.update_id)
        turn.discard()
        turn.notes.clear()
        return _attempt(turn, body, record)


def _attempt(turn: Turn, body: Callable[[Turn], None], record: bool) -> bool:
    with turn.rt.db.session() as session:
        turn.session = session
        if record:
            try:
                fresh = record_update(session, turn.rt, turn.update)
            except Exception as exc:
                if stale_connection(exc):
                    raise _StaleAtFirstStatement from exc
                raise
            if not fresh:
                return False
        body(turn)
        if turn.rt.reader is not None:
            turn.readers = turn.rt.reader(turn)
    return True


def _keep_danger_report(turn: Turn, spool) -> bool:
    """The database is down: a private text that reads as a danger sign still gets the advice (from memory,
    119 / 112) and is kept in the spool, raised once the database is back (bot/core/spool.py)."""
    msg = turn.update.effective_message
    chat = turn.update.effective_chat
    if msg is None or chat is None or chat.type != "private" or not msg.text or turn.update.callback_query:
        return False
    try:
        replies = offline_reply(turn.content, turn.text)
    except Exception:
        log.exception("reading update %s while the database is down failed", turn.update.update_id)
        return False
    if not replies:
        return False
    try:
        spool.keep(update=turn.update, text=turn.text, at=turn.now)
    except OSError:
        log.exception("danger spool: could not keep the report of update %s", turn.update.update_id)
        replies = offline_reply(turn.content, turn.text, told="danger.spool_failed")
    for text in replies:
        turn.reply(text)
    return True


def turn_handler(body: Callable[[Turn], None]):
    """Wrap a synchronous handler body into a PTB callback with one committed session per update.

    The body runs off the event loop when the runtime has a database thread pool; its replies are sent
    on the loop after the commit. Updates of one chat still come one at a time (bot/core/updates.py), so a
    chat's turns run in order whichever thread takes them.
    """

    @functools.wraps(body)
    async def callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        rt = get_runtime(context)
        turn = Turn(update, context, rt)
        spool = spool_of(context)
        turn.replayed_from = spool.replaying.get(update.update_id) if spool is not None else None
        record = not update_recorded(context)
        setattr(context, RECORDED, True)
        try:
            fresh = await rt.run_sync(_run_body, turn, body, record)
        except Exception as exc:  # rolled back, the update id too: a redelivery would be handled afresh
            log.exception(
                "handler %s failed for update %s (user %s)", body.__name__, update.update_id, turn.user_id
            )
            turn.discard()
            if turn.replayed_from is not None:  # a kept report, the database down again: the next pass
                spool.replaying.pop(update.update_id, None)
                return
            if spool is not None and database_down(exc) and _keep_danger_report(turn, spool):
                await flush(turn)
                return
            message = rt.content.text("common.error_try_again")
            if update.callback_query is not None:
                turn.answer(message, alert=True)
            elif turn.chat_id is not None:
                turn.reply(message)
            await flush(turn)
            return
        if not fresh:
            log.info("dropping duplicate update %s", update.update_id)
            if turn.replayed_from is not None:
                spool.done(update.update_id)
            return
        await flush(turn)
        if turn.replayed_from is not None:
            spool.done(update.update_id)
        elif spool is not None and spool.has_pending():
            context.application.create_task(replay(context.application))  # the database answers again

    callback.turn_body = body  # type: ignore[attr-defined]
    return callback
