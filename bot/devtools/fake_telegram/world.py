"""The fake Telegram's world: the bot's identity, chats, files, callback queries, settings."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .state import ChatRecord, FakeMessage, FileStore, LogEntry, MessageListener, WallClock


@dataclass(eq=False)
class CallbackRecord:
    query_id: str
    user_id: int
    chat_id: int | None
    message_id: int | None
    data: str | None
    answered: bool = False
    text: str | None = None
    show_alert: bool = False
    url: str | None = None


@dataclass
class WebhookState:
    url: str = ""
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40
    ip_address: str | None = None


@dataclass
class BotIdentity:
    id: int
    username: str
    first_name: str

    def to_api(self) -> dict[str, Any]:
        return {"id": self.id, "is_bot": True, "first_name": self.first_name, "username": self.username}


@dataclass(eq=False)
class World:
    bot: BotIdentity
    clock: Any = field(default_factory=WallClock)
    keep_bytes: bool = True

    def __post_init__(self) -> None:
        self.chats: dict[int, ChatRecord] = {}
        self.files = FileStore(keep_bytes=self.keep_bytes)
        self.callbacks: dict[str, CallbackRecord] = {}
        self.user_callbacks: dict[int, list[CallbackRecord]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.settings: dict[str, Any] = {}  # setMyDescription & co: last value per method
        self.webhook = WebhookState()
        self.listeners: list[MessageListener] = []
        self.user_profiles: dict[int, dict[str, Any]] = {}
        self._seq = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._bot_json = self.bot.to_api()

    # --- time and order ------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock.now()

    def next_seq(self) -> int:
        return next(self._seq)

    def next_callback_id(self) -> str:
        return f"{self.bot.id}{next(self._callback_ids):010d}"

    @property
    def bot_json(self) -> dict[str, Any]:
        return self._bot_json

    # --- chats ---------------------------------------------------------------------------------------
    def chat(self, chat_id: int) -> ChatRecord:
        """The chat with this id, created on first use (the bot may write to a user first)."""
        chat = self.chats.get(chat_id)
        if chat is None:
            if chat_id > 0:
                profile = self.user_profiles.get(chat_id, {})
                chat = ChatRecord(
                    id=chat_id,
                    type="private",
                    first_name=profile.get("first_name", f"User{chat_id}"),
                    last_name=profile.get("last_name"),
                    username=profile.get("username"),
                )
            else:
                kind = "supergroup" if str(chat_id).startswith("-100") else "group"
                chat = ChatRecord(id=chat_id, type=kind, title=f"Group {chat_id}")
            self.chats[chat_id] = chat
        return chat

    def find_chat(self, chat_id: Any) -> ChatRecord:
        """Resolve a ``chat_id`` parameter (int or "@username")."""
        from .wire import bad_request

        if isinstance(chat_id, bool) or chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, int):
            return self.chat(chat_id)
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            name = chat_id[1:].lower()
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == name:
                    return chat
        raise bad_request("chat not found")

    # --- messages ------------------------------------------------------------------------------------
    def new_message(
        self, chat: ChatRecord, *, from_bot: bool, sender: dict[str, Any], kind: str
    ) -> FakeMessage:
        message = FakeMessage(
            chat,
            chat.next_message_id(),
            self.now(),
            from_bot=from_bot,
            sender=sender,
            kind=kind,
            seq=self.next_seq(),
        )
        chat.messages[message.message_id] = message
        return message

    def log(self, chat: ChatRecord, actor: str, what: str, text: str, message_id: int | None = None) -> int:
        seq = self.next_seq()
        chat.log.append(LogEntry(seq, actor, what, text, message_id))
        return seq

    def notify(self, message: FakeMessage, event: str) -> None:
        for listener in self.listeners:
            listener(message, event)
