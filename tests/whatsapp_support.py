"""Fixtures for the WhatsApp end-to-end tests: the real Application (Telegram on the fake Bot API, WhatsApp on
the fake Cloud API), the webhook on the bot's own web server, one injected clock for both."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator

from bot.channels.whatsapp.config import whatsapp_config
from bot.devtools.fake_whatsapp import FakeWhatsApp
from bot.devtools.harness import RunningBot
from bot.web.server import PORT_KEY


@contextlib.asynccontextmanager
async def wa_bot(settings, db, clock, fake_tg) -> AsyncIterator[tuple[RunningBot, FakeWhatsApp]]:
    """(the running bot, the fake Cloud API whose webhooks go to it)."""
    async with FakeWhatsApp(clock=clock) as fake_wa:
        config = whatsapp_config(fake_wa.env())
        running = RunningBot(settings=dataclasses.replace(settings, web_port=0, web_listen="127.0.0.1",
                                                          whatsapp_number=config.number), db=db,
                             clock=clock, fake=fake_tg, whatsapp=config)
        await running.start()
        fake_wa.webhook_url = f"http://127.0.0.1:{running.app.bot_data[PORT_KEY]}/whatsapp/webhook"
        try:
            yield running, fake_wa
        finally:
            await running.stop()


class Person:
    """A WhatsApp person whose every act waits until the bot has fully answered it."""

    def __init__(self, fake: FakeWhatsApp, running: RunningBot, wa_id: str, name: str):
        self.user = fake.user(wa_id, name)
        self.running = running
        self.seen = 0

    async def _settle(self, status: int) -> None:
        assert status == 200, status
        await self.running.bridge.settled()

    async def type(self, text: str) -> None:
        self.seen = len(self.user.inbox)
        await self._settle(await self.user.type(text))

    async def press(self, choice_id: str) -> None:
        self.seen = len(self.user.inbox)
        await self._settle(await self.user.press(choice_id))

    async def press_earlier(self, choice_id: str) -> None:
        self.seen = len(self.user.inbox)
        await self._settle(await self.user.press_earlier(choice_id))

    async def press_title(self, title: str) -> None:
        ids = [i for _, i, t in self.user.offered() if t == title]
        assert ids, f"{title!r} not offered: {self.user.offered()}\n" + "\n=====\n".join(body_text(m) for m in self.user.inbox)
        await self.press(ids[0])

    @property
    def replies(self) -> list:
        return self.user.inbox[self.seen:]

    def texts(self) -> str:
        return "\n---\n".join(body_text(m) for m in self.replies)


def body_text(message) -> str:
    body = message.body
    if message.type == "text":
        return body["text"]["body"]
    if message.type == "interactive":
        part = body["interactive"]
        if part["type"] == "button":
            titles = [b["reply"]["title"] for b in part["action"]["buttons"]]
        else:
            titles = [r["title"] for s in part["action"]["sections"] for r in s["rows"]]
        return part["body"]["text"] + "  [" + " | ".join(titles) + "]"
    if message.type == "template":
        return f"(template {body['template']['name']})"
    return f"({message.type})"
