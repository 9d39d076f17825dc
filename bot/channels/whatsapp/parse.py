"""Webhook bodies as neutral events.

The ``messages`` webhook (Meta, https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/
reference/messages)::

    {"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "…", "phone_number_id": "…"},
        "contacts": [{"profile": {"name": "…"}, "wa_id": "…"}],
        "messages": [{"from": "…", "id": "wamid.…", "timestamp": "1749416383", "type": "text",
                      "text": {"body": "…"}}],
        "statuses": [{"id": "wamid.…", "status": "sent|delivered|read|failed", "timestamp": "…",
                      "recipient_id": "…", "errors": [{"code": 131026, "title": "…"}]}]}}]}]}

Message types read here: ``text``; ``interactive`` with ``button_reply`` or ``list_reply`` ({id, title});
``button`` (a template's quick reply: {payload, text}); ``contacts``; and media (``image``, ``audio``,
``video``, ``document``, ``sticker``: {id, mime_type, caption}). Anything else becomes an event with no text, so
the bot can still answer kindly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.channels.inbound import Channel, InboundContact, InboundEvent, InboundMedia
from bot.channels.whatsapp.window import from_webhook_timestamp

MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")


@dataclass(frozen=True)
class StatusUpdate:
    provider_message_id: str
    status: str  # sent, delivered, read, failed
    recipient: str
    time: datetime
    error_code: int | None = None
    error_title: str = ""


@dataclass(frozen=True)
class Parsed:
    events: tuple[InboundEvent, ...]
    statuses: tuple[StatusUpdate, ...]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def parse_body(body: Any, phone_number_id: str | None = None) -> Parsed:
    """Events and statuses in a webhook body; changes for another phone number id are skipped."""
    events: list[InboundEvent] = []
    statuses: list[StatusUpdate] = []
    for entry in _list(_dict(body).get("entry")):
        for change in _list(_dict(entry).get("changes")):
            value = _dict(_dict(change).get("value"))
            number = str(_dict(value.get("metadata")).get("phone_number_id", ""))
            if phone_number_id and number and number != phone_number_id:
                continue
            names = {str(c.get("wa_id", "")): str(_dict(c.get("profile")).get("name", ""))
                     for c in map(_dict, _list(value.get("contacts")))}
            for message in map(_dict, _list(value.get("messages"))):
                event = _message(message, names)
                if event is not None:
                    events.append(event)
            for status in map(_dict, _list(value.get("statuses"))):
                parsed = _status(status)
                if parsed is not None:
                    statuses.append(parsed)
    return Parsed(tuple(events), tuple(statuses))


def _message(m: dict[str, Any], names: dict[str, str]) -> InboundEvent | None:
    address = str(m.get("from") or m.get("from_user_id") or "")
    message_id = str(m.get("id") or "")
    if not address or not message_id:
        return None
    try:
        sent = from_webhook_timestamp(m.get("timestamp", ""))
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    kind = m.get("type")
    base = {"channel": Channel.WHATSAPP, "address": address, "provider_message_id": message_id, "time": sent,
            "name": names.get(address, "")}
    if kind == "text":
        return InboundEvent(**base, text=str(_dict(m.get("text")).get("body", "")))
    if kind == "interactive":
        interactive = _dict(m.get("interactive"))
        reply = _dict(interactive.get("button_reply") or interactive.get("list_reply"))
        return InboundEvent(**base, choice_id=str(reply.get("id", "")), text=str(reply.get("title", "")))
    if kind == "button":  # a template's quick-reply button
        button = _dict(m.get("button"))
        return InboundEvent(**base, choice_id=str(button.get("payload", "")), text=str(button.get("text", "")))
    if kind == "contacts":
        card = _dict((_list(m.get("contacts")) or [{}])[0])
        phone = _dict((_list(card.get("phones")) or [{}])[0])
        contact = InboundContact(phone=str(phone.get("phone", "")),
                                 name=str(_dict(card.get("name")).get("formatted_name", "")),
                                 address=str(phone.get("wa_id", "")))
        return InboundEvent(**base, contact=contact)
    if kind in MEDIA_TYPES:
        part = _dict(m.get(kind))
        media = InboundMedia(kind=str(kind), media_id=str(part.get("id", "")),
                             mime_type=str(part.get("mime_type", "")), caption=str(part.get("caption", "")))
        return InboundEvent(**base, media=media, text=media.caption)
    return InboundEvent(**base)


def _status(s: dict[str, Any]) -> StatusUpdate | None:
    try:
        when = from_webhook_timestamp(s.get("timestamp", ""))
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    error = _dict((_list(s.get("errors")) or [{}])[0])
    code = error.get("code")
    return StatusUpdate(
        provider_message_id=str(s.get("id", "")), status=str(s.get("status", "")),
        recipient=str(s.get("recipient_id", "")), time=when,
        error_code=int(code) if isinstance(code, int) or (isinstance(code, str) and code.isdigit()) else None,
        error_title=str(error.get("title", "")),
    )
