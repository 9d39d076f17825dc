"""FakeUser: a person chatting with the bot, for tests and the simulator.

Every action (``send``, ``press``, ...) queues an update and, by default, returns only once the bot has
finished processing it (the Application must be built with ``TrackingUpdateProcessor(fake)``). The return
value is the list of bot messages sent or edited meanwhile.
"""

from __future__ import annotations

from typing import Any, Protocol

from .media import SAMPLE_STICKER, SAMPLE_VOICE, media_json, tiny_png
from .state import ChatRecord, FakeMessage, Revision, timestamp
from .updates import UpdateTicket
from .wire import utf16_len
from .world import CallbackRecord, World


class FakeServer(Protocol):
    """What a user needs of the fake server (bot/devtools/fake_telegram/server.py builds the users)."""

    world: World

    def block(self, user_id: int) -> None: ...

    def unblock(self, user_id: int) -> None: ...

    def enqueue_update(self, update: dict[str, Any], *, unfiltered: bool = False) -> UpdateTicket: ...

    async def wait_processed(self, ticket: UpdateTicket, timeout: float | None = None) -> UpdateTicket: ...

DEFAULT_GROUP_ID = -1001234567890


def command_entities(text: str) -> list[dict[str, Any]]:
    """A bot_command entity for a leading "/command" (as Telegram adds it)."""
    if not text.startswith("/") or len(text) < 2 or text[1].isspace():
        return []
    token = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(token)}]


class FakeUser:
    def __init__(
        self,
        fake: FakeServer,
        user_id: int,
        first_name: str = "Siti",
        *,
        username: str | None = None,
        language_code: str | None = "id",
        last_name: str | None = None,
    ):
        if user_id <= 0:
            raise ValueError("a user id is a positive integer")
        self.fake = fake
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.last_update: UpdateTicket | None = None
        self._last_action_seq = 0
        world = fake.world
        world.user_profiles[user_id] = {
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
        }
        chat = world.chats.get(user_id)
        if chat is not None:  # the bot wrote first: now we know who it is
            chat.first_name, chat.last_name, chat.username = first_name, last_name, username
            chat.refresh()
        self._json: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            self._json["last_name"] = last_name
        if username:
            self._json["username"] = username
        if language_code:
            self._json["language_code"] = language_code

    # --- identity ------------------------------------------------------------------------------------
    @property
    def chat_id(self) -> int:
        return self.id

    @property
    def chat(self) -> ChatRecord:
        return self.fake.world.chat(self.id)

    def to_api(self) -> dict[str, Any]:
        return dict(self._json)

    @property
    def name(self) -> str:
        return self.first_name

    # --- acting --------------------------------------------------------------------------------------
    async def _act(self, update: dict[str, Any], wait: bool, timeout: float | None) -> list[FakeMessage]:
        self._last_action_seq = self.fake.world.next_seq()
        ticket = self.fake.enqueue_update(update)
        self.last_update = ticket
        if not wait:
            return []
        await self.fake.wait_processed(ticket, timeout)
        return self.replies_since_last_action

    def _user_message(self, chat: ChatRecord, fields: dict[str, Any], shown: str) -> FakeMessage:
        world = self.fake.world
        message = world.new_message(chat, from_bot=False, sender=self._json, kind="text")
        message.extra.update(fields)
        if "text" in fields:
            message.plain_text = fields["text"]
            message.extra.pop("text")
        if "caption" in fields:
            message.caption = fields["caption"]
            message.extra.pop("caption")
        world.log(chat, "user", "message", shown, message.message_id)
        return message

    async def send(
        self,
        text: str,
        *,
        reply_to: int | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> list[FakeMessage]:
        """Send a private text message ("/start fam_ABC" arrives as a deep link with a command entity)."""
        fields: dict[str, Any] = {"text": text}
        entities = command_entities(text)
        if entities:
            fields["entities"] = entities
        message = self._user_message(self.chat, fields, text)
        if reply_to is not None:
            target = self.chat.messages.get(reply_to)
            if target is None:
                raise AssertionError(f"no message {reply_to} in chat {self.id} to reply to")
            message.reply_to = target
        return await self._act({"message": message.to_api()}, wait, timeout)

    async def send_message_fields(
        self,
        fields: dict[str, Any],
        *,
        shown: str = "[message]",
        wait: bool = True,
        timeout: float | None = None,
    ) -> list[FakeMessage]:
        """Send a private message with any Message fields (e.g. ``{"contact": {...}}``)."""
        message = self._user_message(self.chat, dict(fields), shown)
        return await self._act({"message": message.to_api()}, wait, timeout)

    async def _send_file(
        self,
        kind: str,
        data: bytes,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
        caption: str | None = None,
        media_params: dict[str, Any] | None = None,
        wait: bool,
        timeout: float | None,
    ) -> list[FakeMessage]:
        stored = self.fake.world.files.add(kind, data, filename=filename, mime_type=mime_type)
        shown = f"[{kind}{' ' + filename if filename else ''}]" + (f" {caption}" if caption else "")
        fields: dict[str, Any] = {} if caption is None else {"caption": caption}
        message = self._user_message(self.chat, fields, shown)
        message.kind = kind
        message.file = stored
        message.media_json = media_json(stored, kind, media_params or {})
        return await self._act({"message": message.to_api()}, wait, timeout)

    async def send_photo(
        self,
        data: bytes | None = None,
        *,
        caption: str | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> list[FakeMessage]:
        """Send a photo (a tiny valid PNG unless ``data`` is given); the bot can getFile and download it."""
        return await self._send_file(
            "photo", data or tiny_png(), mime_type="image/png", caption=caption, wait=wait, timeout=timeout
        )

    async def send_document(
        self,
        data: bytes = b"%PDF-1.4\n%fake\n",
        filename: str = "dokumen.pdf",
        mime_type: str = "application/pdf",
        *,
        caption: str | None = None,
        wait: bool = True,
        timeout: float | None = None,
    ) -> list[FakeMessage]:
        return await self._send_file(
            "document",
            data,
            filename=filename,
            mime_type=mime_type,
            caption=caption,
            wait=wait,
            timeout=timeout,
        )

    async def send_voice(
        self,
        data: bytes = SAMPLE_VOICE,
        duration: int = 3,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> list[FakeMessage]:
        return await self._send_file(
            "voice",
            data,
            mime_type="audio/ogg",
            media_params={"duration": duration},
            wait=wait,
            timeout=timeout,
        )

    async def send_sticker(
        self, emoji: str = "\N{THUMBS UP SIGN}", *, wait: bool = True, timeout: float | None = None
    ) -> list[FakeMessage]:
        return await self._send_file(
            "sticker",
            SAMPLE_STICKER,
            mime_type="image/webp",
            media_params={"emoji": emoji},
            wait=wait,
            timeout=timeout,
        )

    async def send_location(
        self,
        latitude: float = -6.2,
        longitude: float = 106.8,
        *,
        wait: bool = True,
        timeout: float | None = None,
    ) -> list[FakeMessage]:
        return await self.send_message_fields(
            {"location": {"latitude": latitude, "longitude": longitude}},
            shown=f"[location {latitude},{longitude}]",
            wait=wait,
            timeout=timeout,
        )

    async def send_in_group(
        self,
        text: str,
        group_id: int = DEFAULT_GROUP_ID,
        *,
        title: str = "Keluarga",
        wait: bool = True,
        timeout: float | None = None,
    ) -> list[FakeMessage]:
        """Send a text message in a group chat (negative id) the bot is in."""
        if group_id >= 0:
            raise ValueError("group chat ids are negative")
        world = self.fake.world
        chat = world.chat(group_id)
        if chat.title != title:
            chat.title = title
            chat.refresh()
        fields: dict[str, Any] = {"text": text}
        entities = command_entities(text)
        if entities:
            fields["entities"] = entities
        message = self._user_message(chat, fields, f"{self.first_name}: {text}")
        return await self._act({"message": message.to_api()}, wait, timeout)

    async def edit_last(
        self, text: str, *, wait: bool = True, timeout: float | None = None
    ) -> list[FakeMessage]:
        """Edit this user's newest text message (an edited_message update)."""
        chat = self.chat
        mine = [m for m in chat.user_messages() if m.kind == "text" and m.plain_text is not None]
        if not mine:
            raise AssertionError(f"user {self.id} has no text message to edit")
        message = mine[-1]
        world = self.fake.world
        message.history.append(_revision(message))
        message.plain_text = text
        entities = command_entities(text)
        if entities:
            message.extra["entities"] = entities
        else:
            message.extra.pop("entities", None)
        message.edit_date = world.now()
        message.edit_seq = world.next_seq()
        world.log(chat, "user", "edit", text, message.message_id)
        return await self._act({"edited_message": message.to_api()}, wait, timeout)

    async def press(
        self, label: str, *, wait: bool = True, timeout: float | None = None
    ) -> list[FakeMessage]:
        """Press the inline button labelled exactly ``label`` on the newest bot message that has it."""
        for message in reversed(self.chat.bot_messages()):
            if label in message.button_labels:
                button = message.button(label)
                if "callback_data" not in button:
                    raise AssertionError(
                        f"button {label!r} on message {message.message_id} is not a callback button: {button}"
                    )
                return await self._callback(message, button["callback_data"], f"[{label}]", wait, timeout)
        offer = [f"#{m.message_id} {m.buttons}" for m in reversed(self.chat.bot_messages()) if m.buttons]
        if not offer:
            raise AssertionError(
                f"no inline button {label!r}: the bot shows no inline buttons to user {self.id}"
            )
        raise AssertionError(
            f"no inline button {label!r} for user {self.id}; buttons on offer: " + "; ".join(offer)
        )

    async def press_data(
        self, data: str, message_id: int | None = None, *, wait: bool = True, timeout: float | None = None
    ) -> list[FakeMessage]:
        """Send a callback query with raw (possibly forged or stale) ``data``.

        The message is ``message_id`` if given, else the newest bot message with an inline keyboard,
        else the newest bot message.
        """
        chat = self.chat
        message: FakeMessage | None = None
        if message_id is not None:
            message = chat.messages.get(message_id)
            if message is None:
                return await self._callback(
                    None, data, f"[data {data!r} on #{message_id}]", wait, timeout, message_id
                )
        else:
            bot_messages = chat.bot_messages()
            with_buttons = [m for m in bot_messages if m.buttons]
            message = (with_buttons or bot_messages or [None])[-1]
        return await self._callback(message, data, f"[data {data!r}]", wait, timeout)

    async def _callback(
        self,
        message: FakeMessage | None,
        data: str,
        shown: str,
        wait: bool,
        timeout: float | None,
        missing_id: int | None = None,
    ) -> list[FakeMessage]:
        world = self.fake.world
        chat = self.chat
        query_id = world.next_callback_id()
        if message is not None:
            message_json = message.to_api()
            message_id: int | None = message.message_id
        else:  # an inaccessible message (date 0), as Telegram sends for very old or unknown ones
            message_id = missing_id if missing_id is not None else 0
            message_json = {"chat": chat.to_api(), "message_id": message_id, "date": 0}
        record = CallbackRecord(query_id, self.id, chat.id, message_id, data)
        world.callbacks[query_id] = record
        world.user_callbacks.setdefault(self.id, []).append(record)
        world.log(chat, "user", "press", shown, message_id)
        query = {
            "id": query_id,
            "from": self._json,
            "message": message_json,
            "chat_instance": str(abs(chat.id) * 7 + 3),
            "data": data,
        }
        return await self._act({"callback_query": query}, wait, timeout)

    async def block_bot(self, *, notify: bool = True, wait: bool = True) -> None:
        """Block the bot: later sends get 403; with ``notify`` the bot gets a my_chat_member update."""
        self.fake.block(self.id)
        if notify:
            await self._member_update("member", "kicked", wait)

    async def unblock_bot(self, *, notify: bool = True, wait: bool = True) -> None:
        self.fake.unblock(self.id)
        if notify:
            await self._member_update("kicked", "member", wait)

    async def _member_update(self, old: str, new: str, wait: bool) -> None:
        world = self.fake.world
        bot = world.bot_json

        def member(status: str) -> dict[str, Any]:
            data: dict[str, Any] = {"status": status, "user": bot}
            if status == "kicked":
                data["until_date"] = 0
            return data

        update = {
            "my_chat_member": {
                "chat": self.chat.to_api(),
                "from": self._json,
                "date": timestamp(world.now()),
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            }
        }
        await self._act(update, wait, None)

    # --- reading -------------------------------------------------------------------------------------
    @property
    def messages(self) -> list[FakeMessage]:
        """Every bot message in this private chat, as it is now (after edits; deleted ones left out)."""
        chat = self.fake.world.chats.get(self.id)
        return chat.bot_messages() if chat else []

    @property
    def last_reply(self) -> FakeMessage:
        """The newest bot message in this chat (AssertionError if there is none)."""
        messages = self.messages
        if not messages:
            raise AssertionError(f"the bot has sent nothing (left) to user {self.id}")
        return messages[-1]

    @property
    def replies_since_last_action(self) -> list[FakeMessage]:
        """Bot messages sent or edited since this user's last action, in message order."""
        since = self._last_action_seq
        return [m for m in self.messages if m.seq > since or m.edit_seq > since]

    @property
    def callback_answers(self) -> list[str]:
        """Texts of the bot's answerCallbackQuery for this user's presses ("" when answered without text)."""
        return [r.text or "" for r in self.fake.world.user_callbacks.get(self.id, []) if r.answered]

    @property
    def unanswered_callbacks(self) -> list[CallbackRecord]:
        return [r for r in self.fake.world.user_callbacks.get(self.id, []) if not r.answered]

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard currently shown to the user (None when there is none)."""
        chat = self.fake.world.chats.get(self.id)
        if chat is None or chat.reply_keyboard is None:
            return None
        return [
            [b if isinstance(b, str) else b.get("text", "") for b in row]
            for row in chat.reply_keyboard["keyboard"]
        ]

    @property
    def chat_actions(self) -> list[str]:
        chat = self.fake.world.chats.get(self.id)
        return list(chat.actions) if chat else []

    def text_log(self) -> str:
        """A readable transcript of this private chat."""
        chat = self.fake.world.chats.get(self.id)
        if chat is None:
            return ""
        lines = []
        name = self.first_name
        for entry in chat.log:
            if entry.actor == "user":
                if entry.what == "press":
                    lines.append(f"{name} presses {entry.text}")
                elif entry.what == "edit":
                    lines.append(f"{name} (edits #{entry.message_id}): {entry.text}")
                else:
                    lines.append(f"{name}: {entry.text}")
            elif entry.what == "message":
                lines.append(f"Bot: {entry.text}")
            elif entry.what == "edit":
                lines.append(f"Bot (edits #{entry.message_id}): {entry.text}")
            elif entry.what == "delete":
                lines.append(f"Bot (deletes {entry.text})")
            elif entry.what == "answer":
                lines.append(f"Bot (answers the button): {entry.text}".rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<FakeUser {self.id} {self.first_name!r}>"


def _revision(message: FakeMessage) -> Revision:
    return Revision(message.edit_date or message.date, message.text, message.reply_markup)
