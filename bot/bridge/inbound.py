"""A WhatsApp message as the Telegram update the handlers already understand.

- a button or list row pressed (or a template's quick reply, or a typed number or title naming one of the
  choices last shown) → a ``CallbackQuery`` whose data is the choice id; a reply keyboard's button → its text;
- a typed "/menu" stays a command; the plain words "menu", "lanjut", "tanya", "bantuan", … become their
  commands (WhatsApp has no slash commands); a wa.me prefilled text ("DAFTAR <code>", "GABUNG <code>") becomes
  the /start payload the t.me links carry;
- a shared contact card → ``Message.contact``.
"""

from __future__ import annotations

from typing import Any

from bot.bridge.convert import TYPED
from bot.channels.capabilities import choice_from_text
from bot.channels.inbound import InboundEvent
from bot.channels.outgoing import Choice
from bot.channels.whatsapp.links import start_payload

KEYWORDS = {"menu": "menu", "lanjut": "lanjut", "tanya": "tanya", "bantuan": "bantuan", "pijat": "pijat",
            "ceklis": "ceklis", "jadwal": "jadwal", "privasi": "privasi", "hapus": "hapus", "start": "start",
            "mulai daftar": "start"}
STOP_WORDS = ("berhenti", "stop")
RESUME_WORDS = ("mulai",)


def command_text(text: str) -> str:
    """The text the handlers should see for ``text``: a keyword as its command, a prefilled text as /start."""
    stripped = text.strip()
    if stripped.startswith("/"):
        return stripped
    payload = start_payload(stripped)
    if payload is not None:
        return f"/start {payload}"
    command = KEYWORDS.get(" ".join(stripped.casefold().split()).strip(".!"))
    return f"/{command}" if command else text


def latest_choice(text: str, memory: dict[str, Any]) -> str | None:
    """The id of the choice a typed reply names among the latest shown, or None."""
    latest = [Choice(i, t) for i, t in memory.get("latest") or [] if i and t]
    if not latest or not text.strip():
        return None
    try:
        found = choice_from_text(text, latest)
    except ValueError:
        return None
    return found.id if found is not None else None


def known_choice(choice_id: str, memory: dict[str, Any]) -> bool:
    return choice_id in {i for i, _ in memory.get("latest") or []} or choice_id in (memory.get("recent") or [])


def _people(person_id: int, name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    user = {"id": person_id, "is_bot": False, "first_name": name or "WhatsApp"}
    chat = {"id": person_id, "type": "private", "first_name": name or "WhatsApp"}
    return user, chat


def message_update(update_id: int, person_id: int, name: str, event: InboundEvent, text: str,
                   message_id: int) -> dict[str, Any]:
    user, chat = _people(person_id, name)
    message: dict[str, Any] = {"message_id": message_id, "date": int(event.time.timestamp()), "chat": chat,
                               "from": user}
    if event.contact is not None:
        message["contact"] = {"phone_number": event.contact.phone, "first_name": event.contact.name or name or "-",
                              "user_id": person_id if event.contact.address == event.address else None}
    else:
        message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return {"update_id": update_id, "message": message}


def callback_update(update_id: int, person_id: int, name: str, event: InboundEvent, data: str,
                    message_id: int) -> dict[str, Any]:
    user, chat = _people(person_id, name)
    return {"update_id": update_id, "callback_query": {
        "id": f"wa:{person_id}:{update_id}", "from": user, "chat_instance": str(person_id), "data": data,
        "message": {"message_id": message_id, "date": int(event.time.timestamp()), "chat": chat, "text": ""}}}


def typed_of(choice_id: str) -> str | None:
    """A reply keyboard's button pressed: the text it types."""
    return choice_id[len(TYPED):] if choice_id.startswith(TYPED) else None
