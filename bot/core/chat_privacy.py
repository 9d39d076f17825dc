"""Nothing private ever reaches a group, a supergroup or a channel.

Three locks, each enough on its own:

1. :func:`refuse_non_private_buttons` runs before every handler: a button pressed on a message that is not
   in a private chat (a bot message forwarded into a group, say) gets only a short "please talk to me
   privately" with the bot's t.me link, as the button's answer; no handler runs, nothing is stored.
2. :func:`private_chat_id` is the only chat id stored for a person (``users.chat_id``): a non-private chat
   never becomes the place her reminders go.
3. :class:`GuardedBot` refuses every Bot API call that would put something into a non-private chat, except
   the short "please talk to me privately" sentence itself (:func:`group_hint`). Private chats have
   positive ids (the user's id); groups, supergroups and channels negative ones, or an ``@username``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes, ExtBot

from bot.core import intake
from bot.core.runtime import get_runtime

log = logging.getLogger(__name__)

# Bot API methods with a chat_id that only read, or leave: harmless in any chat.
_READ_ONLY = frozenset({"getChat", "getChatMember", "getChatAdministrators", "getChatMemberCount", "leaveChat"})


class NotPrivateChat(BadRequest):
    """Raised instead of sending anything into a non-private chat (a permanent refusal, never retried)."""


def is_private_chat_id(chat_id: Any) -> bool:
    if isinstance(chat_id, bool):
        return False
    if isinstance(chat_id, int):
        return chat_id > 0
    if isinstance(chat_id, str):
        return chat_id.isdigit() and int(chat_id) > 0
    return False


def private_chat_id(update: Update) -> int | None:
    """The chat id to store for the person behind ``update``: their private chat, else None."""
    chat = update.effective_chat
    if chat is None or chat.type != "private" or not is_private_chat_id(chat.id):
        return None
    return chat.id


def hint_text(context: ContextTypes.DEFAULT_TYPE) -> str:
    rt = get_runtime(context)
    return rt.content.text("common.private_only_link", link=f"https://t.me/{rt.username}")


def group_hint(turn: Any) -> str:
    """The one sentence that may be sent into a group: "please talk to me privately", with the link."""
    text = hint_text(turn.context)
    bot = turn.context.bot
    if isinstance(bot, GuardedBot):
        bot.allow_in_groups(text)
    return text


async def refuse_non_private_buttons(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every handler (group -2): buttons outside a private chat get only the hint."""
    if not isinstance(update, Update) or update.callback_query is None:
        return
    query = update.callback_query
    chat = query.message.chat if query.message is not None else None
    if chat is not None and chat.type == "private" and is_private_chat_id(chat.id):
        return
    log.info("button pressed outside a private chat (update %s, chat type %s): only the hint answered",
             update.update_id, chat.type if chat is not None else "inline")
    try:
        await query.answer(hint_text(context), show_alert=True)
    except TelegramError as exc:
        log.warning("could not answer the button of update %s: %s", update.update_id, exc)
    raise ApplicationHandlerStop


@dataclass(frozen=True)
class SentMessage:
    """Where a sent message went (what :meth:`GuardedBot.send_text` answers)."""

    chat_id: int
    message_id: int | None


class GuardedBot(ExtBot):
    """The Bot API client of the bot and the reminder workers.

    - no call puts anything into a non-private chat but the hint (:class:`NotPrivateChat` instead);
    - ``getUpdates`` answers are read update by update (:mod:`bot.core.intake`): an unreadable one is skipped
      and counted in ``unreadable_updates``, never blocking the others.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._group_texts: set[str] = set()
        self._unreadable = intake.UnreadableUpdates()
        # Whether a raw update is worth parsing (the update processor's, set by bot/core/app.py): a flooding
        # chat's surplus is dropped before it costs anything (bot/core/updates.py).
        self._admits: Any = None
        self._refused = 0
        self._batch: tuple[Update, ...] = ()  # the getUpdates batch being read (get_updates / _post)
        # Another channel's people (WhatsApp, bot/bridge/delivery.py): ``owns(endpoint, data)`` and
        # ``await call(endpoint, data)``, set by whoever starts that channel; None = Telegram only.
        self._router: Any = None

    def route_with(self, router: Any) -> None:
        """Calls ``router.owns`` go to ``router.call`` instead of Telegram (a WhatsApp person's chat id)."""
        self._router = router

    def admit_with(self, admits: Any) -> None:
        """``admits(raw) -> bool``: whether a raw update of a ``getUpdates`` batch is worth parsing."""
        self._admits = admits

    @property
    def unreadable(self) -> intake.UnreadableUpdates:
        return self._unreadable

    @property
    def unreadable_updates(self) -> int:
        """Updates skipped since start because they could not be read."""
        return self._unreadable.count

    @property
    def refused_non_private(self) -> int:
        """Calls refused since start because they would have put something into a non-private chat."""
        return self._refused

    def allow_in_groups(self, text: str) -> None:
        if len(self._group_texts) < 16:
            self._group_texts.add(text)

    async def send_text(self, chat_id: int, text: str, reply_markup: Any = None, **extra: Any) -> SentMessage:
        """``sendMessage``, answered with where the message went instead of a python-telegram-bot ``Message``:
        building one from Telegram's answer costs about a tenth of a reply's CPU, and a turn needs only the
        chat and message ids (``Outgoing.on_sent``). Same request, same guards and rate limiter."""
        result = await self._post("sendMessage", {"chat_id": chat_id, "text": text, "reply_markup": reply_markup,
                                                  **extra})
        chat = result.get("chat") if isinstance(result, dict) else None
        return SentMessage(chat_id=chat.get("id", chat_id) if isinstance(chat, dict) else chat_id,
                           message_id=result.get("message_id") if isinstance(result, dict) else None)

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        # PTB would parse the whole batch at once (one bad update fails them all); ``_post`` reads each update
        # once, keeps the parsed batch and hands PTB an empty list, so nothing is parsed twice.
        self._batch = ()
        await super().get_updates(*args, **kwargs)
        batch, self._batch = self._batch, ()
        for update in batch:
            self.insert_callback_data(update)
        return batch

    async def _post(self, endpoint: str, data: dict | None = None, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, **kwargs)
        if endpoint == "getUpdates":
            self._batch = intake.parsed_batch(result, self, self._unreadable, self._admits)
            return []
        return result

    async def _do_post(self, endpoint: str, data: dict, **kwargs: Any) -> Any:
        if self._router is not None and self._router.owns(endpoint, data):
            return await self._router.call(endpoint, data)
        chat_id = data.get("chat_id")
        if chat_id is not None and endpoint not in _READ_ONLY and not is_private_chat_id(chat_id):
            allowed = endpoint == "sendMessage" and data.get("text") in self._group_texts
            if not allowed:
                self._refused += 1
                log.warning("refused %s to chat %s: not a private chat", endpoint, chat_id)
                raise NotPrivateChat("refused: not a private chat")
        return await super()._do_post(endpoint, data, **kwargs)
