"""What the bot does on Telegram after a turn's commit (:class:`Outgoing`: a send, an edit, an answer, a photo,
an erase), and :func:`deliver`, which performs one of them with the Bot API (bot/core/turn.py retries)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest

log = logging.getLogger(__name__)


@dataclass
class Outgoing:
    """One thing to do on Telegram after the commit."""

    kind: str  # send | edit | edit_markup | answer | photo | document | animation | voice | erase
    chat_id: int | None = None
    text: str | None = None
    keyboard: InlineKeyboardMarkup | None = None
    message_id: int | None = None
    data: bytes | str | None = None  # photo / document contents, or a file path
    filename: str | None = None
    show_alert: bool = False
    on_sent: Callable[[Any], None] | None = None  # receives the sent Message
    extra: dict[str, Any] = field(default_factory=dict)


_CONTROLS = {code: None for code in [*range(32), 127] if chr(code) not in "\n\t"}


def without_controls(text: str) -> str:
    """``text`` without control characters other than newline and tab."""
    return text.translate(_CONTROLS)


def _without_url_buttons(keyboard: InlineKeyboardMarkup) -> InlineKeyboardMarkup | None:
    rows = [[b for b in row if not b.url] for row in keyboard.inline_keyboard]
    rows = [row for row in rows if row]
    return InlineKeyboardMarkup(rows) if rows else None


async def deliver(bot, out: Outgoing) -> Any:
    """Perform one queued effect. Returns the sent Message (or where a text went: ``SentMessage``; or None)."""
    if out.kind == "send":
        send = bot.send_text  # the lean sendMessage of chat_privacy.GuardedBot, the only bot the turns use
        try:
            return await send(out.chat_id, out.text, reply_markup=out.keyboard, **out.extra)
        except BadRequest as exc:
            # A "chat with this person" (tg://user?id=) button is refused when that person's privacy settings
            # forbid it; the message itself (a danger-sign alert) must still arrive, without that button.
            if "privacy" not in str(exc).lower() or out.keyboard is None:
                raise
            return await send(out.chat_id, out.text, reply_markup=_without_url_buttons(out.keyboard), **out.extra)
    if out.kind == "edit":
        try:
            return await bot.edit_message_text(
                out.text, chat_id=out.chat_id, message_id=out.message_id, reply_markup=out.keyboard
            )
        except BadRequest as exc:
            text = str(exc).lower()
            if "not modified" in text:
                return None
            if "not found" in text or "can't be edited" in text:
                return await bot.send_message(out.chat_id, out.text, reply_markup=out.keyboard)
            raise
    if out.kind == ERASE:
        return await _erase(bot, out)
    if out.kind == "edit_markup":
        try:
            return await bot.edit_message_reply_markup(
                chat_id=out.chat_id, message_id=out.message_id, reply_markup=out.keyboard
            )
        except BadRequest as exc:
            if "not modified" in str(exc).lower() or "not found" in str(exc).lower():
                return None
            raise
    if out.kind == "photo":
        with _contents(out.data) as data:
            return await bot.send_photo(out.chat_id, data, caption=out.text, reply_markup=out.keyboard)
    if out.kind == "document":
        with _contents(out.data) as data:
            return await bot.send_document(out.chat_id, data, filename=out.filename, caption=out.text)
    if out.kind in ("animation", "voice"):
        send = bot.send_animation if out.kind == "animation" else bot.send_voice
        with _contents(out.data) as data:
            return await send(out.chat_id, data, caption=out.text, reply_markup=out.keyboard)
    raise ValueError(f"unknown outgoing kind {out.kind}")


@contextlib.contextmanager
def _contents(data: bytes | str | None) -> Iterator[Any]:
    """What to upload: a file path opened (and closed after the send), bytes as they are."""
    if not isinstance(data, str):
        yield data
        return
    with open(data, "rb") as handle:
        yield handle


ERASE = "erase"  # a message the bot sent, its text replaced (its buttons gone), or deleted where that fails


async def _erase(bot, out: Outgoing) -> None:
    """Replace a sent message's text with ``out.text`` and drop its buttons (links with a phone number go too);
    where Telegram will not edit it, delete it; where neither works, log the ids."""
    try:
        await bot.edit_message_text(out.text, chat_id=out.chat_id, message_id=out.message_id, reply_markup=None)
        return
    except BadRequest as exc:
        if "not modified" in str(exc).lower():
            return
        reason = exc
    try:
        await bot.delete_message(out.chat_id, out.message_id)
    except BadRequest as exc:
        log.warning("message %s in chat %s could be neither edited (%s) nor deleted (%s)", out.message_id,
                    out.chat_id, reason, exc)


# A transient failure (429, 5xx, a timeout, a dropped connection) is retried after these pauses (seconds), so
# a flaky network does not cost the person the reply. ``Settings.extra["send_retry_delays"]`` ("0.5,2")
# overrides them. A retry after Telegram acted but its answer was lost sends the message twice: the only
# duplicates, bounded by the messages in flight (see RELIABILITY.md).
