"""Incoming updates: only the kinds the bot handles, read one by one, a bad one skipped and counted.

- ``ALLOWED_UPDATES`` is what the bot asks Telegram for, in polling (``getUpdates``) and webhook
  (``setWebhook``) mode: private messages and commands, button presses, and the bot being blocked or
  unblocked. Everything else (channel posts, polls, reactions, inline queries, edited messages, which are
  ignored on purpose) is never even sent to the bot.
- python-telegram-bot parses a whole ``getUpdates`` batch at once. One update it cannot parse (a malformed
  ``poll_answer``, say) makes the whole batch fail, the offset never advances, and it asks for the same
  batch again at once, forever, logging the raw batch (names, texts, phone numbers) at CRITICAL each time.
  Here each update is read on its own; one that cannot be read becomes a bare ``Update(update_id)`` that no
  handler acts on, so its id is acknowledged (the offset moves on, a webhook delivery gets 200), it is
  counted, and it is logged at WARNING with its id and kind only. A ``getUpdates`` answer that is not a list
  of updates at all raises a ``NetworkError``, which PTB's polling loop retries with back-off (1 s growing to
  30 s) instead of at once.
- Webhook mode: a body that is not a JSON object gets 400, logged once at WARNING without a traceback and
  without the body; an unreadable update inside a good body is skipped as in polling (200).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram.error import NetworkError

log = logging.getLogger(__name__)

# Every update kind a handler of bot/handlers/ acts on (plus my_chat_member: blocked / unblocked).
ALLOWED_UPDATES: tuple[str, ...] = ("message", "callback_query", "my_chat_member")


class UnreadableUpdates:
    """How many updates could not be read since start (also on the bot: ``bot.unreadable_updates``)."""

    def __init__(self) -> None:
        self.count = 0

    def note(self, raw: Any, exc: BaseException) -> None:
        self.count += 1
        kinds = sorted(k for k in raw if k != "update_id") if isinstance(raw, dict) else []
        # Id and kind only: the update itself holds names, texts and phone numbers.
        log.warning("skipping update %s (%s) that cannot be read: %s (%s skipped since start)",
                    _update_id(raw), ",".join(kinds[:3]) or "?", type(exc).__name__, self.count)


def _update_id(raw: Any) -> int | None:
    if isinstance(raw, dict):
        value = raw.get("update_id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def parsed(raw: Any, bot: Any, counter: UnreadableUpdates) -> tuple[Update, bool]:
    """``raw`` parsed, and whether it could be; an unreadable one is a bare ``Update(update_id)`` (counted).

    Raises ``ValueError`` when there is no integer ``update_id`` to acknowledge.
    """
    update_id = _update_id(raw)
    if update_id is None:
        raise ValueError("an update without an integer update_id")
    try:
        update = Update.de_json(raw, bot)
    except Exception as exc:  # any parsing failure: the update is skipped, never the batch
        counter.note(raw, exc)
        return Update(update_id), False
    if update is None:  # pragma: no cover - de_json returns None only for an empty dict
        return Update(update_id), False
    return update, True


def parsed_batch(result: Any, bot: Any, counter: UnreadableUpdates,
                 admits: Callable[[Any], bool] | None = None) -> tuple[Update, ...]:
    """The ``getUpdates`` result parsed, each update once, an unreadable one replaced by a bare one
    (:class:`bot.core.chat_privacy.GuardedBot` hands these to PTB); ``NetworkError`` if it is not a list of
    updates (PTB's polling loop then backs off). An update ``admits`` refuses (the surplus of a flooding chat,
    bot/core/updates.py) is handed on bare, unparsed."""
    if not isinstance(result, list):
        raise NetworkError("getUpdates answered something that is not a list of updates")
    try:
        return tuple(parsed(raw, bot, counter)[0] if admits is None or admits(raw) else _bare(raw)
                     for raw in result)
    except ValueError:
        raise NetworkError("getUpdates answered an update without an update_id") from None


def _bare(raw: Any) -> Update:
    update_id = _update_id(raw)
    if update_id is None:
        raise ValueError("an update without an integer update_id")
    return Update(update_id)


# -- webhook mode -------------------------------------------------------------------------------------------

def _install_webhook_handler() -> None:
    """Make PTB's webhook server use :class:`SafeTelegramHandler` (PTB 22 builds it in Updater)."""
    import tornado.web
    from telegram.ext import ExtBot, _updater
    from telegram.ext._utils import webhookhandler

    class SafeTelegramHandler(webhookhandler.TelegramHandler):
        async def post(self) -> None:
            self._validate_post()  # content type and secret token: 403 as before
            body = self.request.body
            try:
                data = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                data = None
            update_id = _update_id(data)
            if update_id is None:
                log.warning("webhook body of %s bytes is not an update: answered 400", len(body))
                self.set_status(HTTPStatus.BAD_REQUEST)
                self.write('{"ok":false}')
                return
            self.set_status(HTTPStatus.OK)
            counter = getattr(self.bot, "unreadable", None) or _fallback_counter
            update = parsed(data, self.bot, counter)[0]
            if isinstance(self.bot, ExtBot):
                self.bot.insert_callback_data(update)
            await self.update_queue.put(update)

    class SafeWebhookApp(webhookhandler.WebhookAppClass):
        def __init__(self, webhook_path: str, bot: Any, update_queue: Any, secret_token: str | None = None):
            self.shared_objects = {"bot": bot, "update_queue": update_queue, "secret_token": secret_token}
            handlers = [(rf"{webhook_path}/?", SafeTelegramHandler, self.shared_objects)]
            tornado.web.Application.__init__(self, handlers)  # type: ignore[arg-type]

    _updater.WebhookAppClass = SafeWebhookApp  # type: ignore[attr-defined,misc]


_fallback_counter = UnreadableUpdates()
_install_webhook_handler()
