"""People on the fake: they type, press buttons and list rows, share a contact; each act is a signed webhook."""

from __future__ import annotations

from typing import Any

# The fake (server.FakeWhatsApp) and its SentMessage are typed Any here: importing them would close an import
# cycle with server.py, which makes these people.
FakeWhatsApp = Any
SentMessage = Any


class WaUser:
    def __init__(self, fake: FakeWhatsApp, wa_id: str, name: str = ""):
        self.fake = fake
        self.wa_id = wa_id
        self.name = name or f"User {wa_id[-4:]}"
        self.last_body: dict[str, Any] | None = None  # the last webhook body sent for this person (for replays)

    @property
    def inbox(self) -> list[SentMessage]:
        return self.fake.to(self.wa_id)

    def last(self) -> SentMessage:
        inbox = self.inbox
        if not inbox:
            raise LookupError(f"{self.wa_id} has received nothing")
        return inbox[-1]

    async def _say(self, message: dict[str, Any]) -> int:
        now = self.fake.clock.now()
        message = {"from": self.wa_id, "id": self.fake.new_id("wamid.IN"),
                   "timestamp": str(int(now.timestamp())), **message}
        body = self.fake.change({"contacts": [{"profile": {"name": self.name}, "wa_id": self.wa_id}],
                                 "messages": [message]})
        # the window opens when the person writes, whatever the bot then answers
        previous = self.fake.last_inbound.get(self.wa_id)
        if previous is None or now > previous:
            self.fake.last_inbound[self.wa_id] = now
        self.last_body = body
        return await self.fake.post_webhook(body)

    async def type(self, text: str) -> int:
        return await self._say({"type": "text", "text": {"body": text}})

    async def share_contact(self, phone: str, name: str = "") -> int:
        card = {"name": {"formatted_name": name or self.name}, "phones": [{"phone": phone, "wa_id": self.wa_id}]}
        return await self._say({"type": "contacts", "contacts": [card]})

    async def replay(self) -> int:
        """POST the last webhook again, unchanged (a redelivery or a replay attack)."""
        if self.last_body is None:
            raise LookupError("nothing to replay")
        return await self.fake.post_webhook(self.last_body)

    def offered(self) -> list[tuple[str, str, str]]:
        """(kind, id, title) of what the latest message with choices offers: reply buttons, list rows or a
        template's quick replies."""
        for message in reversed(self.inbox):
            choices = _choices(message)
            if choices:
                return choices
        return []

    async def press_earlier(self, choice_id: str) -> int:
        """Press ``choice_id`` on an older message (WhatsApp keeps earlier buttons and list rows tappable)."""
        for message in reversed(self.inbox):
            for kind, ident, title in _choices(message):
                if ident == choice_id:
                    return await self._tap(kind, ident, title)
        raise LookupError(f"{choice_id!r} was never offered to {self.wa_id}")

    async def _tap(self, kind: str, ident: str, title: str) -> int:
        if kind == "button":
            return await self._say({"type": "button", "button": {"payload": ident, "text": title}})
        return await self._say({"type": "interactive", "interactive": {"type": kind, kind: {"id": ident, "title": title}}})

    async def press(self, choice_id: str) -> int:
        """Press the button or list row ``choice_id`` of the latest message that offers choices."""
        for kind, ident, title in self.offered():
            if ident == choice_id:
                return await self._tap(kind, ident, title)
        raise LookupError(f"{choice_id!r} is not offered to {self.wa_id}: {self.offered()}")


def _choices(message) -> list[tuple[str, str, str]]:
    """(kind, id, title) of what one message offers (none for a message without choices)."""
    body = message.body
    if message.type == "interactive":
        part = body["interactive"]
        if part["type"] == "button":
            return [("button_reply", b["reply"]["id"], b["reply"]["title"]) for b in part["action"]["buttons"]]
        return [("list_reply", r["id"], r["title"]) for s in part["action"]["sections"] for r in s["rows"]]
    if message.type == "template":
        payloads = [p["payload"] for c in body["template"].get("components", [])
                    if c.get("type") == "button" for p in c.get("parameters", [])]
        return [("button", p, p) for p in payloads]
    return []
