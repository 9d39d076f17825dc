"""Every Bot API call for a WhatsApp person, done on WhatsApp (``GuardedBot.route_with``, bot/core/chat_privacy.py).

The handlers and the reminder dispatcher keep calling the bot object as they do for Telegram; a chat id in the
WhatsApp range (storage/identities.py) comes here instead: converted (bot/bridge/convert.py), sent within the
24-hour window (outside it: the matching approved template, the message itself held durably and sent right
after the person's next message or tap), and answered like the Bot API would (a message with a ``message_id``;
the provider's wamid beside it). WhatsApp's errors become the ones callers already handle: unreachable →
``Forbidden``, retry later → ``RetryAfter``, a refused parameter → ``BadRequest``, a network failure →
``NetworkError``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from bot.bridge.convert import Converted, Part, convert
from bot.channels.outgoing import Choice, Media, MediaKind, OutgoingMessage, Template
from bot.channels.whatsapp.client import WhatsAppClient
from bot.channels.whatsapp.errors import (
    InvalidParameter,
    RetryLater,
    TemplateRequired,
    Unreachable,
    WhatsAppError,
)
from bot.channels.whatsapp.media import MediaIds
from bot.channels.whatsapp.window import needs_template
from bot.core.runtime import Runtime
from content.whatsapp import WhatsAppTemplates, sanitize_param
from storage import identities

log = logging.getLogger(__name__)

PAIR_RATE_LIMIT = 131056  # Meta: too many messages to one recipient in a short time

HINT = "wa_hint"  # the dispatcher's outbox kind beside a send to a WhatsApp person (reminders/dispatcher.py)
OPEN = "wa_open"  # a template button that only opens the window (the held messages follow)
EDUCATION = "education"
# outbox kind → template (None: decided by the message's buttons)
TEMPLATE_BY_KIND = {"massage": None, "snooze": None, "checklist": "pengingat_ceklis", "reply": "balasan_bidan",
                    "alert_family": "tanda_bahaya_diterima", "alert_note": "tanda_bahaya_diterima"}
GENERIC = "pesan_tertunda"
# a template button → the Telegram button it stands for (its callback data's start), else what it does
BUTTON_CALLBACK = {"wa_start_massage": ("pijat:start", "/pijat"), "wa_snooze": ("rem:snooze", OPEN),
                   "wa_done": ("rem:done", OPEN), "wa_checklist": ("ceklis:start", "/ceklis"),
                   "wa_open_reply": (None, OPEN)}
_DAY = re.compile(r"hari ke-?\s*(\d+)", re.IGNORECASE)
_SESSION = re.compile(r"pijat ke-?\s*(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Person:
    person_id: int
    address: str
    name: str
    last_inbound: datetime | None
    paused: bool
    opted_in: bool
    role: str | None = None
    own_name: str = ""
    mother_name: str = ""
    facility: str = ""


def _person(rt: Runtime, person_id: int) -> Person | None:
    with rt.db.session() as session:
        row = identities.by_person(session, person_id)
        if row is None:
            return None
        role, own, mother_name, facility = identities.family_words(session, person_id)
        return Person(person_id, row.address, row.profile_name, row.last_inbound_at, row.paused_at is not None,
                      row.opted_in_at is not None, role, own, mother_name, facility)


class WhatsAppDelivery:
    """The router ``GuardedBot`` hands WhatsApp calls to. ``telegram=False``: this process has no Telegram
    (WhatsApp only), so every call is answered here (Telegram's own chats get a refusal)."""

    def __init__(self, rt: Runtime, client: WhatsAppClient, media: MediaIds, templates: WhatsAppTemplates,
                 *, telegram: bool, username: str = "pijat_oksitosin_bot"):
        self.rt = rt
        self.client = client
        self.media = media
        self.templates = templates
        self.telegram = telegram
        self.username = username
        self.sent = 0
        self.templates_sent = 0
        self.held = 0

    # -- routing -----------------------------------------------------------------------------------
    def owns(self, endpoint: str, data: dict[str, Any]) -> bool:
        if not self.telegram:
            return True
        if endpoint == "answerCallbackQuery":
            return str(data.get("callback_query_id", "")).startswith("wa:")
        return identities.is_whatsapp_id(_int(data.get("chat_id")))

    async def call(self, endpoint: str, data: dict[str, Any]) -> Any:
        data = dict(data)
        hint = data.pop(HINT, None)
        if endpoint == "getMe":
            return {"id": 1, "is_bot": True, "first_name": "Pijat Oksitosin", "username": self.username}
        if endpoint == "getUpdates":
            return []
        chat_id = _int(data.get("chat_id"))
        if endpoint == "answerCallbackQuery":  # a bridged button's query id: "wa:<person id>:<update id>"
            parts = str(data.get("callback_query_id", "")).split(":")
            chat_id = _int(parts[1]) if len(parts) > 1 else None
        if not identities.is_whatsapp_id(chat_id):
            if endpoint.startswith(("set", "delete", "get")) and "chat_id" not in data:
                return True  # the command menu, the webhook: nothing to do without Telegram
            raise BadRequest("Chat not found: this process runs WhatsApp only")
        converted = convert(endpoint, data, choose=self.rt.content.text("whatsapp.choose"))
        return await self.deliver(chat_id, converted, hint=hint)

    # -- sending -----------------------------------------------------------------------------------
    async def deliver(self, chat_id: int, converted: Converted, *, hint: Any = None) -> Any:
        if not converted.parts:
            return converted.answer
        person = await self.rt.run_sync(_person, self.rt, chat_id)
        if person is None:
            raise Forbidden("Forbidden: no WhatsApp identity for this chat")
        kind = str(hint) if hint else None
        if kind and person.paused:  # BERHENTI: nothing the bot would send on its own
            log.info("whatsapp person %s paused: %s not sent", chat_id, kind)
            return _message(chat_id, None, "", self.rt.clock.now())
        if needs_template(self.rt.clock.now(), person.last_inbound):
            return await self._outside_window(person, converted.parts, kind)
        try:
            return await self._send_parts(person, converted.parts)
        except TemplateRequired:  # another process saw the window close, or the clocks disagree
            return await self._outside_window(person, converted.parts, kind)

    async def _send_parts(self, person: Person, parts: list[Part]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for part in parts:
            message = await self._neutral(part)
            sent = await self._send(person, message)
            choices = [(c.id, c.title) for c in part.choices]
            message_id = await self.rt.run_sync(self._record, person.person_id, choices)
            result = _message(person.person_id, message_id, part.text, self.rt.clock.now(), sent)
        return result

    async def _neutral(self, part: Part) -> OutgoingMessage:
        if part.media is not None:
            kind, data, name = part.media
            media_id = await self.media.media_id_of(data, name)
            caption = "" if kind is MediaKind.AUDIO else part.text
            return OutgoingMessage(media=Media(kind, media_id=media_id, caption=caption))
        return OutgoingMessage(text=part.text, choices=part.choices,
                               list_button=self.rt.content.text("whatsapp.list_button"))

    async def _send(self, person: Person, message: OutgoingMessage) -> str:
        try:
            sent = await self.client.send(person.address, message)
        except Unreachable as exc:
            raise Forbidden(f"Forbidden: WhatsApp {exc.code}: {exc.message}") from exc
        except RetryLater as exc:
            if exc.code in (0, PAIR_RATE_LIMIT):
                # a dropped connection, or too many messages to this one person: this message is retried later
                # on its own, the others keep going (RetryAfter would hold every family's reminders)
                raise NetworkError(str(exc)) from exc
            raise RetryAfter(int(exc.retry_after or 30)) from exc
        except InvalidParameter as exc:
            raise BadRequest(str(exc)) from exc
        except TemplateRequired:
            raise
        except WhatsAppError as exc:
            raise NetworkError(str(exc)) from exc
        self.sent += 1
        return sent.message_id

    def _record(self, person_id: int, choices: list[tuple[str, str]] | None) -> int:
        with self.rt.db.session() as session:
            message_id = identities.sent(session, person_id, choices)
            session.commit()
            return message_id

    # -- outside the window --------------------------------------------------------------------------
    async def _outside_window(self, person: Person, parts: list[Part], kind: str | None) -> dict[str, Any]:
        held = [await self._held_form(part) for part in parts]
        await self.rt.run_sync(self._hold, person.person_id, held)
        self.held += len(held)
        now = self.rt.clock.now()
        if kind == EDUCATION:  # education only inside the window: it waits for the person's next message
            return _message(person.person_id, None, "", now)
        template = self._template(person, parts, kind)
        sent = await self._send(person, OutgoingMessage(template=template))
        self.templates_sent += 1
        await self.rt.run_sync(self._accept, person.person_id, list(template.buttons))
        message_id = await self.rt.run_sync(self._record, person.person_id, None)
        return _message(person.person_id, message_id, "", now, sent)

    async def _held_form(self, part: Part) -> dict[str, Any]:
        form: dict[str, Any] = {"text": part.text, "choices": [[c.id, c.title] for c in part.choices]}
        if part.media is not None:
            kind, data, name = part.media
            form["media"] = [str(kind), await self.media.media_id_of(data, name)]
        return form

    def _hold(self, person_id: int, held: list[dict[str, Any]]) -> None:
        with self.rt.db.session() as session:
            for form in held:
                identities.hold(session, person_id, form)
            session.commit()

    def _accept(self, person_id: int, payloads: list[str]) -> None:
        with self.rt.db.session() as session:
            identities.accept_payloads(session, person_id, payloads)
            session.commit()

    def _template(self, person: Person, parts: list[Part], kind: str | None) -> Template:
        ids = [c.id for part in parts for c in part.choices]
        text = "\n".join(part.text for part in parts)
        name = TEMPLATE_BY_KIND.get(kind or "", GENERIC)
        if name is None:  # a massage reminder: the mother's or the companion's; without one, a checklist's
            if not (any(i.startswith("rem:done") for i in ids) or _SESSION.search(text)):
                name = "pengingat_ceklis"
            elif person.role == "mother":
                name = "pengingat_pijat_ibu"
            else:
                name = "pengingat_pijat_pendamping"
        template = self.templates.templates.get(name) or self.templates.templates[GENERIC]
        day, session = _DAY.search(text), _SESSION.search(text)
        values = {"nama": person.own_name or person.name or "-", "nama_ibu": person.mother_name or "-",
                  "hari": day.group(1) if day else "-", "sesi": session.group(1) if session else "-",
                  "fasilitas": person.facility or self.rt.content.text("whatsapp.facility_fallback")}
        params = tuple(sanitize_param(values.get(p.name, "-")) for p in template.params)
        payloads = []
        for button in template.buttons:
            prefix, fallback = BUTTON_CALLBACK.get(button.id, (None, OPEN))
            found = next((i for i in ids if prefix and i.startswith(prefix)), None)
            payloads.append(found or fallback)
        return Template(template.name, template.language, params, tuple(payloads))

    # -- the held messages ---------------------------------------------------------------------------
    async def send_held(self, person_id: int) -> int:
        """Send what waited for the window to open, in order; returns how many."""
        held = await self.rt.run_sync(self._take_held, person_id)
        if not held:
            return 0
        person = await self.rt.run_sync(_person, self.rt, person_id)
        if person is None:
            return 0
        list_button = self.rt.content.text("whatsapp.list_button")
        for form in held:
            choices = tuple(Choice(i, t) for i, t in form.get("choices") or [])
            if form.get("media"):
                kind, media_id = form["media"]
                message = OutgoingMessage(media=Media(MediaKind(kind), media_id=media_id,
                                                      caption="" if kind == "audio" else form.get("text", "")))
            else:
                message = OutgoingMessage(text=form.get("text") or self.rt.content.text("whatsapp.choose"),
                                          choices=choices, list_button=list_button)
            try:
                await self._send(person, message)
            except Exception:
                log.exception("a held message to whatsapp person %s could not be sent", person_id)
                continue
            await self.rt.run_sync(self._record, person_id, [(c.id, c.title) for c in choices])
        return len(held)

    def _take_held(self, person_id: int) -> list[dict[str, Any]]:
        with self.rt.db.session() as session:
            held = identities.take_held(session, person_id)
            session.commit()
            return held

    async def say(self, person_id: int, text: str, choices: tuple[Choice, ...] = ()) -> None:
        """Send the bridge's own words (the opt-in, BERHENTI's answer) straight away."""
        person = await self.rt.run_sync(_person, self.rt, person_id)
        if person is None:
            return
        message = OutgoingMessage(text=text, choices=choices, list_button=self.rt.content.text("whatsapp.list_button"))
        await self._send(person, message)
        await self.rt.run_sync(self._record, person_id, [(c.id, c.title) for c in choices])


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _message(chat_id: int, message_id: int | None, text: str, now: datetime, wamid: str = "") -> dict[str, Any]:
    """What the Bot API would answer: a message in a private chat (``wamid``: the provider's id, kept beside)."""
    return {"message_id": message_id or 0, "date": int(now.timestamp()), "text": text or "",
            "chat": {"id": chat_id, "type": "private"}, "wamid": wamid}
