"""What the fake Telegram remembers: chats, the messages in them (with edit history), and files."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .markup import inline_labels, inline_rows, is_inline, reply_keyboard_labels

MEDIA_KINDS = ("photo", "document", "audio", "video", "voice", "animation", "sticker", "video_note")


class WallClock:
    """Default clock for the fake when none is injected (the standalone server)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def timestamp(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(eq=False, slots=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    size: int
    data: bytes | None = None
    filename: str | None = None
    mime_type: str | None = None
    url: str | None = None  # sent by HTTP URL: the fake never fetches it
    file_path: str | None = None


class FileStore:
    """Files the bot uploaded or users sent; ``file_id`` → bytes, for getFile and downloads."""

    def __init__(self, keep_bytes: bool = True):
        self.keep_bytes = keep_bytes
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def add(
        self,
        kind: str,
        data: bytes | None,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
        url: str | None = None,
    ) -> StoredFile:
        n = next(self._counter)
        stored = StoredFile(
            file_id=f"FAKE{kind[:3].upper()}{n:08d}",
            file_unique_id=f"U{n:08d}",
            kind=kind,
            size=len(data) if data is not None else 0,
            data=data if self.keep_bytes else None,
            filename=filename,
            mime_type=mime_type,
            url=url,
        )
        self._by_id[stored.file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def path_for(self, stored: StoredFile) -> str:
        if stored.file_path is None:
            suffix = ""
            if stored.filename and "." in stored.filename:
                suffix = "." + stored.filename.rsplit(".", 1)[1]
            elif stored.kind == "photo":
                suffix = ".jpg"
            stored.file_path = f"{stored.kind}s/file_{stored.file_unique_id}{suffix}"
            self._by_path[stored.file_path] = stored
        return stored.file_path

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)


@dataclass(eq=False, slots=True)
class Revision:
    """One earlier state of an edited message."""

    at: datetime
    text: str | None
    reply_markup: dict[str, Any] | None


class FakeMessage:
    """A message in a fake chat, sent by the bot or by a user. Mutable: edits change it in place."""

    __slots__ = (
        "chat",
        "message_id",
        "date",
        "from_bot",
        "sender",
        "kind",
        "plain_text",
        "caption",
        "raw_text",
        "parse_mode",
        "reply_markup",
        "keyboard_markup",
        "file",
        "media_json",
        "extra",
        "history",
        "edit_date",
        "deleted",
        "seq",
        "edit_seq",
        "media_group_id",
        "reply_to",
    )

    def __init__(
        self,
        chat: ChatRecord,
        message_id: int,
        date: datetime,
        *,
        from_bot: bool,
        sender: dict[str, Any],
        kind: str = "text",
        seq: int = 0,
    ):
        self.chat = chat
        self.message_id = message_id
        self.date = date
        self.from_bot = from_bot
        self.sender = sender
        self.kind = kind
        self.plain_text: str | None = None
        self.caption: str | None = None
        self.raw_text: str | None = None
        self.parse_mode: str | None = None
        self.reply_markup: dict[str, Any] | None = None  # inline keyboard attached to the message
        self.keyboard_markup: dict[str, Any] | None = (
            None  # reply keyboard / remove / force_reply sent with it
        )
        self.file: StoredFile | None = None
        self.media_json: Any = None  # the JSON value of the media field ("photo", "document", ...)
        self.extra: dict[str, Any] = {}
        self.history: list[Revision] = []
        self.edit_date: datetime | None = None
        self.deleted = False
        self.seq = seq
        self.edit_seq = seq
        self.media_group_id: str | None = None
        self.reply_to: FakeMessage | None = None

    # --- reading, for tests -------------------------------------------------------------------------
    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def text(self) -> str | None:
        """The text, or the caption of a media message (after parse_mode, as the user sees it)."""
        return self.plain_text if self.plain_text is not None else self.caption

    @property
    def buttons(self) -> list[list[str]]:
        """Inline keyboard labels, as rows."""
        return inline_labels(self.reply_markup)

    @property
    def button_labels(self) -> list[str]:
        return [label for row in self.buttons for label in row]

    def button(self, label: str) -> dict[str, Any]:
        for row in inline_rows(self.reply_markup):
            for button in row:
                if button.get("text") == label:
                    return button
        raise AssertionError(
            f"message {self.message_id} has no inline button {label!r}; buttons: {self.button_labels}"
        )

    def callback_data(self, label: str) -> str:
        button = self.button(label)
        if "callback_data" not in button:
            raise AssertionError(
                f"button {label!r} of message {self.message_id} has no callback_data: {button}"
            )
        return button["callback_data"]

    @property
    def photo(self) -> bytes | None:
        return self.file.data if self.kind == "photo" and self.file else None

    @property
    def document(self) -> bytes | None:
        return self.file.data if self.kind == "document" and self.file else None

    @property
    def file_bytes(self) -> bytes | None:
        return self.file.data if self.file else None

    @property
    def filename(self) -> str | None:
        return self.file.filename if self.file else None

    @property
    def edits(self) -> int:
        return len(self.history)

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """Labels of the reply keyboard sent with this message, if any."""
        return reply_keyboard_labels(self.keyboard_markup)

    @property
    def removes_reply_keyboard(self) -> bool:
        return bool(self.keyboard_markup and self.keyboard_markup.get("remove_keyboard"))

    # --- wire ----------------------------------------------------------------------------------------
    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat.to_api(),
            "date": timestamp(self.date),
        }
        if self.plain_text is not None:
            data["text"] = self.plain_text
        if self.kind != "text" and self.media_json is not None:
            data[self.kind] = self.media_json
        if self.caption is not None:
            data["caption"] = self.caption
        if self.media_group_id is not None:
            data["media_group_id"] = self.media_group_id
        if self.edit_date is not None:
            data["edit_date"] = timestamp(self.edit_date)
        if self.reply_to is not None:
            replied = self.reply_to.to_api()
            replied.pop("reply_to_message", None)
            data["reply_to_message"] = replied
        if is_inline(self.reply_markup):
            data["reply_markup"] = self.reply_markup
        if self.extra:
            data.update(self.extra)
        return data

    def describe(self) -> str:
        """One line for transcripts and assertion messages."""
        head = self.text or ""
        if self.kind != "text":
            label = self.filename or self.kind
            head = f"[{self.kind} {label}] {head}".rstrip()
        if self.buttons:
            head += "  " + " ".join(f"[{label}]" for label in self.button_labels)
        return head

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else "user"
        return f"<FakeMessage {who} chat={self.chat.id} id={self.message_id} {self.describe()[:60]!r}>"


@dataclass(eq=False)
class LogEntry:
    seq: int
    actor: str  # "user" | "bot"
    what: str  # "message" | "edit" | "press" | "delete" | "answer" | "action"
    text: str
    message_id: int | None = None


@dataclass(eq=False)
class ChatRecord:
    id: int
    type: str = "private"
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    blocked: bool = False
    messages: dict[int, FakeMessage] = field(default_factory=dict)
    log: list[LogEntry] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    reply_keyboard: dict[str, Any] | None = None
    last_message_id: int = 0
    _api: dict[str, Any] | None = field(default=None, repr=False)

    def next_message_id(self) -> int:
        self.last_message_id += 1
        return self.last_message_id

    def to_api(self) -> dict[str, Any]:
        if self._api is None:
            data: dict[str, Any] = {"id": self.id, "type": self.type}
            for key in ("title", "first_name", "last_name", "username"):
                value = getattr(self, key)
                if value is not None:
                    data[key] = value
            self._api = data
        return self._api

    def refresh(self) -> None:
        self._api = None

    def to_full_info(self) -> dict[str, Any]:
        data = dict(self.to_api())
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return data

    def bot_messages(self, include_deleted: bool = False) -> list[FakeMessage]:
        return [m for m in self.messages.values() if m.from_bot and (include_deleted or not m.deleted)]

    def user_messages(self) -> list[FakeMessage]:
        return [m for m in self.messages.values() if not m.from_bot and not m.deleted]


MessageListener = Callable[[FakeMessage, str], None]
