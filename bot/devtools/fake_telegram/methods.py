"""The Bot API methods the fake implements, with Telegram's answers and error texts."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from .formatting import plain_text
from .markup import is_inline, validate_reply_markup
from .media import media_json
from .settings import BotSettings, Handler
from .state import ChatRecord, FakeMessage, Revision, StoredFile
from .updates import UpdateQueue
from .wire import ApiError, Upload, bad_request, utf16_len
from .world import World

MAX_TEXT = 4096
MAX_CAPTION = 1024
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
SEND_MEDIA = {
    "sendphoto": "photo",
    "senddocument": "document",
    "sendaudio": "audio",
    "sendvideo": "video",
    "sendvoice": "voice",
    "sendanimation": "animation",
    "sendsticker": "sticker",
    "sendvideonote": "video_note",
}

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same as a "
    "current content and reply markup of the message"
)


class BotApi:
    """Synchronous method handlers (getUpdates, which waits, is :meth:`get_updates`)."""

    def __init__(self, world: World, updates: UpdateQueue, is_closing: Callable[[], bool]):
        self.world = world
        self.updates = updates
        self._is_closing = is_closing
        self.settings = BotSettings(world, updates)
        self.polls_waiting = 0
        self.poll_waiting = asyncio.Event()  # set while a getUpdates long poll is waiting
        self.handlers: dict[str, Handler] = {
            **self.settings.handlers(),
            "sendmessage": self.send_message,
            "editmessagetext": self.edit_message_text,
            "editmessagecaption": self.edit_message_caption,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "deletemessages": self.delete_messages,
            "answercallbackquery": self.answer_callback_query,
            "sendchataction": self.send_chat_action,
            "sendmediagroup": self.send_media_group,
            "getchat": self.get_chat,
            "getfile": self.get_file,
        }
        for name in SEND_MEDIA:
            self.handlers[name] = self._media_sender(name)

    # --- helpers -------------------------------------------------------------------------------------
    def _target(self, params: dict[str, Any]) -> ChatRecord:
        chat = self.world.find_chat(params.get("chat_id"))
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _text(self, value: Any, parse_mode: str | None, *, caption: bool) -> str:
        text = plain_text(str(value), parse_mode)
        if caption:
            if utf16_len(text) > MAX_CAPTION:
                raise bad_request("message caption is too long")
        else:
            if not text.strip():
                raise bad_request("message text is empty")
            if utf16_len(text) > MAX_TEXT:
                raise bad_request("message is too long")
        return text

    def _reply_target(self, chat: ChatRecord, params: dict[str, Any]) -> FakeMessage | None:
        reply = params.get("reply_parameters")
        allow = bool(params.get("allow_sending_without_reply"))
        message_id = params.get("reply_to_message_id")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = allow or bool(reply.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        target = chat.messages.get(int(message_id))
        if target is None or target.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return target

    def _apply_markup(self, message: FakeMessage, markup: Any) -> None:
        validate_reply_markup(markup)
        if markup is None:
            return
        if is_inline(markup):
            message.reply_markup = markup
        else:
            message.keyboard_markup = markup
            if "keyboard" in markup:
                message.chat.reply_keyboard = markup
            elif markup.get("remove_keyboard"):
                message.chat.reply_keyboard = None

    def _new_bot_message(self, chat: ChatRecord, kind: str, params: dict[str, Any]) -> FakeMessage:
        reply_to = self._reply_target(chat, params)
        message = self.world.new_message(chat, from_bot=True, sender=self.world.bot_json, kind=kind)
        message.reply_to = reply_to
        return message

    def _sent(self, message: FakeMessage) -> dict[str, Any]:
        self.world.log(message.chat, "bot", "message", message.describe(), message.message_id)
        self.world.notify(message, "sent")
        return message.to_api()

    def _find_message(self, params: dict[str, Any], missing: str) -> FakeMessage:
        if params.get("inline_message_id"):
            raise bad_request(missing)  # inline mode is not used by this bot
        chat = self._target(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.messages.get(int(message_id))
        if message is None or message.deleted:
            raise bad_request(missing)
        return message

    def _editable(self, params: dict[str, Any]) -> FakeMessage:
        message = self._find_message(params, "message to edit not found")
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return message

    def _edited(
        self, message: FakeMessage, text: str | None, markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        world = self.world
        message.history.append(
            Revision(message.edit_date or message.date, message.text, message.reply_markup)
        )
        if message.kind == "text":
            message.plain_text = text
        else:
            message.caption = text
        message.reply_markup = markup
        message.edit_date = world.now()
        message.edit_seq = world.next_seq()
        world.log(message.chat, "bot", "edit", message.describe(), message.message_id)
        world.notify(message, "edited")
        return message.to_api()

    def _stored_file(self, kind: str, value: Any, uploads: dict[str, Upload]) -> StoredFile:
        files = self.world.files
        if isinstance(value, Upload):
            return files.add(kind, value.data, filename=value.filename, mime_type=value.content_type)
        if not isinstance(value, str) or not value:
            raise bad_request(f"there is no {kind} in the request")
        if value.startswith("attach://"):
            upload = uploads.get(value[len("attach://") :])
            if upload is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            return files.add(kind, upload.data, filename=upload.filename, mime_type=upload.content_type)
        if value.startswith(("http://", "https://")):
            return files.add(kind, None, filename=value.rsplit("/", 1)[-1] or None, url=value)
        stored = files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind and not (kind == "document" and stored.kind != "photo"):
            raise bad_request(f"can't use file of type {stored.kind.title()} as {kind.title()}")
        return stored

    # --- identity, webhook, commands -----------------------------------------------------------------
    # --- messages ------------------------------------------------------------------------------------
    def send_message(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        chat = self._target(params)
        if params.get("text") in (None, ""):
            raise bad_request("message text is empty")
        parse_mode = params.get("parse_mode") or None
        text = self._text(params["text"], parse_mode, caption=False)
        markup = params.get("reply_markup")
        validate_reply_markup(markup)
        message = self._new_bot_message(chat, "text", params)
        message.plain_text = text
        message.raw_text = str(params["text"])
        message.parse_mode = parse_mode
        self._apply_markup(message, markup)
        if params.get("link_preview_options") is not None:
            message.extra["link_preview_options"] = params["link_preview_options"]
        return self._sent(message)

    def _media_sender(self, method: str) -> Handler:
        kind = SEND_MEDIA[method]

        def send(params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
            chat = self._target(params)
            value = uploads.get(kind) or params.get(kind)
            if value is None:
                raise bad_request(f"there is no {kind} in the request")
            parse_mode = params.get("parse_mode") or None
            caption = params.get("caption")
            caption_text = (
                self._text(caption, parse_mode, caption=True) if caption not in (None, "") else None
            )
            markup = params.get("reply_markup")
            validate_reply_markup(markup)
            stored = self._stored_file(kind, value, uploads)
            message = self._new_bot_message(chat, kind, params)
            message.file = stored
            message.caption = caption_text
            message.raw_text = None if caption is None else str(caption)
            message.parse_mode = parse_mode
            message.media_json = media_json(stored, kind, params)
            self._apply_markup(message, markup)
            return self._sent(message)

        return send

    def send_media_group(self, params: dict[str, Any], uploads: dict[str, Upload]) -> list[dict[str, Any]]:
        chat = self._target(params)
        media = params.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("media group must include 2-10 items")
        prepared = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in ("photo", "video", "document", "audio"):
                raise bad_request("unsupported media type in the media group")
            kind = item["type"]
            parse_mode = item.get("parse_mode") or None
            caption = item.get("caption")
            caption_text = (
                self._text(caption, parse_mode, caption=True) if caption not in (None, "") else None
            )
            stored = self._stored_file(kind, item.get("media"), uploads)
            prepared.append((kind, stored, caption_text, item))
        group_id = f"{self.world.next_seq():012d}"
        results = []
        for kind, stored, caption_text, item in prepared:
            message = self._new_bot_message(chat, kind, params)
            message.file = stored
            message.caption = caption_text
            message.media_json = media_json(stored, kind, item)
            message.media_group_id = group_id
            results.append(self._sent(message))
        return results

    def edit_message_text(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        message = self._editable(params)
        if message.kind != "text":
            raise bad_request("there is no text in the message to edit")
        if params.get("text") in (None, ""):
            raise bad_request("message text is empty")
        parse_mode = params.get("parse_mode") or None
        text = self._text(params["text"], parse_mode, caption=False)
        markup = self._edit_markup(params)
        raw = str(params["text"])
        same_format = (message.raw_text, message.parse_mode) == (raw, parse_mode) or not (
            parse_mode or message.parse_mode
        )
        if text == message.plain_text and same_format and markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        message.raw_text = raw
        message.parse_mode = parse_mode
        return self._edited(message, text, markup)

    def edit_message_caption(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        message = self._editable(params)
        if message.kind == "text":
            raise bad_request("there is no caption in the message to edit")
        parse_mode = params.get("parse_mode") or None
        caption = params.get("caption")
        text = self._text(caption, parse_mode, caption=True) if caption not in (None, "") else None
        markup = self._edit_markup(params)
        if text == message.caption and markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        message.raw_text = None if caption is None else str(caption)
        message.parse_mode = parse_mode
        return self._edited(message, text, markup)

    def edit_message_reply_markup(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        message = self._editable(params)
        markup = self._edit_markup(params)
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        return self._edited(message, message.text, markup)

    @staticmethod
    def _edit_markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        validate_reply_markup(markup)
        if markup is not None and not is_inline(markup):
            raise bad_request("inline keyboard expected")
        if markup is not None and not markup.get("inline_keyboard"):
            return None  # an empty inline keyboard removes it
        return markup

    def delete_message(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        message = self._find_message(params, "message to delete not found")
        self._delete(message)
        return True

    def delete_messages(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        chat = self._target(params)
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must contain 1-100 identifiers")
        for message_id in ids:
            message = chat.messages.get(int(message_id))
            if message is not None and not message.deleted:
                self._delete(message)
        return True

    def _delete(self, message: FakeMessage) -> None:
        message.deleted = True
        self.world.log(message.chat, "bot", "delete", f"#{message.message_id}", message.message_id)
        self.world.notify(message, "deleted")

    def answer_callback_query(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        record = self.world.callbacks.get(str(params.get("callback_query_id", "")))
        if record is None or record.answered:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        record.answered = True
        record.text = None if text is None else str(text)
        record.show_alert = bool(params.get("show_alert"))
        record.url = params.get("url")
        if record.chat_id is not None and record.chat_id in self.world.chats:
            shown = record.text if record.text is not None else ""
            self.world.log(self.world.chats[record.chat_id], "bot", "answer", shown, record.message_id)
        return True

    def send_chat_action(self, params: dict[str, Any], uploads: dict[str, Upload]) -> bool:
        chat = self._target(params)
        action = params.get("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        chat.actions.append(action)
        return True

    def get_chat(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if isinstance(chat_id, int) and chat_id not in self.world.chats:
            raise bad_request("chat not found")
        return self.world.find_chat(chat_id).to_full_info()

    def get_file(self, params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
        stored = self.world.files.get(str(params.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": self.world.files.path_for(stored),
        }

    # --- getUpdates ----------------------------------------------------------------------------------
    async def get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.world.webhook.url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
                "the webhook first",
            )
        updates = self.updates
        limit = int(params.get("limit") or 100)
        limit = min(max(limit, 1), 100)
        timeout = max(0, int(params.get("timeout") or 0))
        offset = params.get("offset")
        updates.confirm(None if offset is None else int(offset))
        updates.set_allowed(params.get("allowed_updates"))
        self.settings.poll_generation += 1
        generation = self.settings.poll_generation
        updates.wake()  # an older long poll now answers 409, like Telegram
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = updates.take(limit)
            if batch:
                return [ticket.payload for ticket in batch]
            if generation != self.settings.poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot "
                    "instance is running",
                )
            remaining = deadline - loop.time()
            if remaining <= 0 or self._is_closing():
                return []
            wake = updates.wake_event
            self.polls_waiting += 1
            self.poll_waiting.set()
            try:
                await asyncio.wait_for(wake.wait(), remaining)
            except TimeoutError:
                pass
            finally:
                self.polls_waiting -= 1
                if not self.polls_waiting:
                    self.poll_waiting.clear()
