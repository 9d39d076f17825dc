"""A neutral inbound event: what a person did, whichever messenger carried it.

``address`` is the person's address on that channel (a Telegram user id, a WhatsApp ``wa_id`` or
business-scoped user id) as a string; a person is never keyed by a phone number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"


@dataclass(frozen=True)
class InboundContact:
    """A shared contact card (the person's own number when they share it, or someone else's)."""

    phone: str
    name: str = ""
    address: str = ""  # the contact's own address on the channel, when the channel gives it


@dataclass(frozen=True)
class InboundMedia:
    kind: str  # image, audio, video, document, sticker, voice
    media_id: str
    mime_type: str = ""
    caption: str = ""


@dataclass(frozen=True)
class InboundEvent:
    channel: Channel
    address: str
    provider_message_id: str
    time: datetime  # when the person sent it (the provider's timestamp), UTC
    text: str = ""
    choice_id: str = ""  # the id of the button or list row pressed
    contact: InboundContact | None = None
    media: InboundMedia | None = None
    name: str = ""  # the profile name the channel reports

    @property
    def is_choice(self) -> bool:
        return bool(self.choice_id)
