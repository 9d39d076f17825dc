"""Neutral outgoing messages as Cloud API request bodies (``POST /{PHONE_NUMBER_ID}/messages``).

Shapes from Meta's "Messages" reference (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages)
and its interactive and template guides:

- text: ``{"type": "text", "text": {"body": …, "preview_url": false}}``
- reply buttons: ``{"type": "interactive", "interactive": {"type": "button", "body": {"text": …},
  "action": {"buttons": [{"type": "reply", "reply": {"id": …, "title": …}}]}}}``
- list: ``{"type": "interactive", "interactive": {"type": "list", "body": {"text": …}, "action": {"button": …,
  "sections": [{"title": …, "rows": [{"id": …, "title": …, "description": …}]}]}}}``
- template: ``{"type": "template", "template": {"name": …, "language": {"code": "id"}, "components": [
  {"type": "body", "parameters": [{"type": "text", "text": …}]}, {"type": "button", "sub_type": "quick_reply",
  "index": "0", "parameters": [{"type": "payload", "payload": …}]}]}}``
- media by id: ``{"type": "image", "image": {"id": …, "caption": …}}`` (audio takes no caption)
- mark read: ``{"messaging_product": "whatsapp", "status": "read", "message_id": …}``
"""

from __future__ import annotations

from typing import Any

from bot.channels.capabilities import WHATSAPP, Style, cut, render_choices
from bot.channels.outgoing import MediaKind, OutgoingMessage

PRODUCT = {"messaging_product": "whatsapp"}
LIST_BUTTON_MAX = 20
CAPTION_MAX = 1024


def _envelope(to: str, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    return {**PRODUCT, "recipient_type": "individual", "to": to, "type": kind, kind: body}


def text_body(to: str, text: str) -> dict[str, Any]:
    return _envelope(to, "text", {"body": text, "preview_url": False})


def message_body(to: str, message: OutgoingMessage) -> dict[str, Any]:
    """The request body for ``message``; choices rendered by WhatsApp's capabilities, media by its media id."""
    if message.template is not None:
        return template_body(to, message.template.name, message.template.language, message.template.params,
                             message.template.buttons)
    if message.media is not None:
        media = message.media
        if not media.media_id:
            raise ValueError("upload the file first: WhatsApp media are sent by media id")
        part: dict[str, Any] = {"id": media.media_id}
        caption = media.caption or message.text
        if caption and media.kind is not MediaKind.AUDIO:
            if len(caption) > CAPTION_MAX:
                raise ValueError(f"a caption of {len(caption)} characters; WhatsApp allows {CAPTION_MAX}")
            part["caption"] = caption
        return _envelope(to, str(media.kind), part)
    if not message.choices:
        return text_body(to, message.text)
    shown = render_choices(message.text, message.choices, WHATSAPP)
    if shown.style is Style.NUMBERED:
        return text_body(to, shown.body)
    if shown.style is Style.BUTTONS:
        buttons = [{"type": "reply", "reply": {"id": c.id, "title": c.title}} for c in shown.choices]
        return _envelope(to, "interactive", {"type": "button", "body": {"text": shown.body},
                                             "action": {"buttons": buttons}})
    rows = []
    for c in shown.choices:
        row = {"id": c.id, "title": c.title}
        if c.description:
            row["description"] = c.description
        rows.append(row)
    if not message.list_button:
        raise ValueError("a list needs its opening button's label (list_button, from content/)")
    button = cut(message.list_button, LIST_BUTTON_MAX)
    return _envelope(to, "interactive", {"type": "list", "body": {"text": shown.body},
                                         "action": {"button": button, "sections": [{"rows": rows}]}})


def template_body(to: str, name: str, language: str, params: tuple[str, ...] | list[str] = (),
                  buttons: tuple[str, ...] | list[str] = ()) -> dict[str, Any]:
    components: list[dict[str, Any]] = []
    if params:
        components.append({"type": "body", "parameters": [{"type": "text", "text": p} for p in params]})
    for index, payload in enumerate(buttons):
        components.append({"type": "button", "sub_type": "quick_reply", "index": str(index),
                           "parameters": [{"type": "payload", "payload": payload}]})
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    if components:
        template["components"] = components
    return _envelope(to, "template", template)


def read_body(message_id: str) -> dict[str, Any]:
    return {**PRODUCT, "status": "read", "message_id": message_id}
