"""A neutral outgoing message: what the bot wants to say, before any channel's wire format.

One message holds text and at most one of: choices (the person picks one), media (a picture, animation,
voice note or document) or a template (an approved message sent outside a channel's service window, e.g.
WhatsApp's 24-hour window). A channel renders it with its :class:`~bot.channels.capabilities.Capabilities`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class MediaKind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"  # the guide's animation (MP4 H.264/AAC on WhatsApp)
    AUDIO = "audio"  # the paced voice notes (OGG Opus)
    DOCUMENT = "document"


@dataclass(frozen=True)
class Choice:
    """One option: ``id`` comes back when it is picked; ``title`` is shown; ``description`` only in lists."""

    id: str
    title: str
    description: str = ""

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise ValueError("a choice needs an id")
        if not self.title.strip():
            raise ValueError(f"choice {self.id!r} needs a title")


@dataclass(frozen=True)
class Media:
    """A file to send: ``file`` on disk, or ``media_id`` once uploaded to the channel (reused, not resent)."""

    kind: MediaKind
    file: Path | None = None
    media_id: str | None = None
    caption: str = ""

    def __post_init__(self) -> None:
        if self.file is None and not self.media_id:
            raise ValueError("media needs a file or a media id")


@dataclass(frozen=True)
class Template:
    """An approved template by name and language, its body parameters in order ({{1}}, {{2}}, …) and the
    payloads of its quick-reply buttons (what comes back when one is pressed), in button order."""

    name: str
    language: str
    params: tuple[str, ...] = ()
    buttons: tuple[str, ...] = ()


@dataclass(frozen=True)
class OutgoingMessage:
    text: str = ""
    choices: tuple[Choice, ...] = ()
    media: Media | None = None
    template: Template | None = None
    # the list's opening button, where choices become a list (a label, looked up from content/ by the caller)
    list_button: str = ""

    def __post_init__(self) -> None:
        kinds = sum(1 for part in (self.choices, self.media, self.template) if part)
        if kinds > 1:
            raise ValueError("a message carries at most one of choices, media and template")
        if not (self.text or kinds):
            raise ValueError("an empty message")
        if self.choices and not self.text.strip():
            raise ValueError("choices need a text that asks the question")
        ids = [c.id for c in self.choices]
        if len(set(ids)) != len(ids):
            raise ValueError(f"choice ids are not unique: {ids}")
