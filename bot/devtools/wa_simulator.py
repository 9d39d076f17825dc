"""``python -m bot simulate --channel whatsapp``: a family on WhatsApp, in the terminal.

The real bot with WhatsApp attached, the fake Cloud API (its limits and its 24-hour window on the simulated
clock) and the fake Bot API for the Telegram side. Lines are typed as the mother on WhatsApp; ``#2`` presses the
second choice of the newest message with choices (reply buttons, list rows or a template's quick replies);
``:clock +1d`` moves time and sends the reminders that fall due; ``:daftar`` types the demo facility's wa.me
text; ``:keluar`` ends.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sys
from datetime import timedelta
from typing import TextIO

from sqlmodel import select

from bot.channels.whatsapp.config import whatsapp_config
from bot.channels.whatsapp.links import start_text
from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.devtools.demo import seed_study_demo
from bot.devtools.fake_telegram import FakeTelegram
from bot.devtools.fake_whatsapp import FakeWhatsApp
from bot.devtools.harness import RunningBot
from bot.devtools.simulator import _DELTA, _UNITS, CLOCK_STEP, dispatch_due, interactive, simulation_database
from bot.flows.midwife import REGISTRATION_PREFIX
from bot.web.server import PORT_KEY
from content import get_content
from storage.models import Facility

MOTHER = "6281200000001"


def shown(message) -> tuple[str, list[str]]:
    """(the text, the choices' titles) of a message the fake sent."""
    body = message.body
    if message.type == "text":
        return body["text"]["body"], []
    if message.type == "interactive":
        part = body["interactive"]
        if part["type"] == "button":
            return part["body"]["text"], [b["reply"]["title"] for b in part["action"]["buttons"]]
        return part["body"]["text"], [r["title"] for s in part["action"]["sections"] for r in s["rows"]]
    if message.type == "template":
        template = body["template"]
        params = [p["text"] for c in template.get("components", []) if c["type"] == "body" for p in c["parameters"]]
        return f"[template {template['name']}: {', '.join(params)}]", []
    caption = (body.get(message.type) or {}).get("caption", "")
    return f"[{message.type}] {caption}".strip(), []


class WaSimulator:
    def __init__(self, running: RunningBot, fake: FakeWhatsApp, clock: FakeClock, out: TextIO):
        self.running = running
        self.fake = fake
        self.clock = clock
        self.out = out
        self.mother = fake.user(MOTHER, "Siti")
        self.printed = 0

    def say(self, line: str) -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def show_new(self) -> None:
        for message in self.mother.inbox[self.printed:]:
            text, choices = shown(message)
            self.say(text)
            for n, title in enumerate(choices, 1):
                self.say(f"  #{n} {title}")
        self.printed = len(self.mother.inbox)

    async def settle(self) -> None:
        await self.running.bridge.settled()
        self.show_new()

    async def handle(self, line: str) -> bool:
        line = line.strip()
        if not line:
            return True
        if line in (":keluar", ":quit"):
            return False
        if line == ":daftar":
            with self.running.db.session() as session:
                facility = session.exec(select(Facility).order_by(Facility.id)).first()
                code = facility.registration_code if facility else ""
            line = start_text(REGISTRATION_PREFIX + code)
            self.say(f"> {line}")
        if line.startswith(":clock"):
            match = _DELTA.match(line[len(":clock"):].strip())
            if match:
                end = self.clock.now() + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
                while self.clock.now() < end:
                    self.clock.advance(min(CLOCK_STEP, end - self.clock.now()))
                    await dispatch_due(self.running)
            self.say(self.clock.now().isoformat(timespec="minutes"))
            self.show_new()
            return True
        number = re.fullmatch(r"#(\d+)", line)
        if number:
            offered = self.mother.offered()
            n = int(number.group(1))
            if 1 <= n <= len(offered):
                await self.mother.press(offered[n - 1][1])
                await self.settle()
                return True
        await self.mother.type(line)
        await self.settle()
        return True


async def simulate_whatsapp(database_url: str | None = None, stdin: TextIO = sys.stdin,
                            out: TextIO = sys.stdout) -> int:
    text = get_content().text
    workdir, url, db, clock = simulation_database(database_url, "pijat-wa-sim-")
    with db.session() as session:
        seed_study_demo(session, now=clock.now(), settings=Settings(), midwife_telegram_id=2001,
                        midwife_name="Aminah")
    async with FakeTelegram() as fake_tg, FakeWhatsApp(clock=clock) as fake:
        settings = Settings(token=fake_tg.token, api_url=fake_tg.base_url, database_url=url, rate_limit=False,
                            run_dispatcher=False, health_file=None, log_level="WARNING", web_port=0,
                            web_listen="127.0.0.1", danger_spool=str(workdir / "spool.jsonl"))
        running = RunningBot(settings=dataclasses.replace(settings), db=db, clock=clock, fake=fake_tg,
                             whatsapp=whatsapp_config(fake.env()))
        await running.start()
        fake.webhook_url = f"http://127.0.0.1:{running.app.bot_data[PORT_KEY]}/whatsapp/webhook"
        sim = WaSimulator(running, fake, clock, out)
        try:
            sim.say(text("simulator.wa_intro"))
            loop = asyncio.get_running_loop()
            tty = interactive(stdin)
            while True:
                if tty:
                    out.write("WA> ")
                    out.flush()
                line = await loop.run_in_executor(None, stdin.readline)
                if not line or not await sim.handle(line):
                    break
        finally:
            await running.stop()
            db.dispose()
    return 0
