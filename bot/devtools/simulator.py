"""The offline simulator: the real bot against the fake Bot API, with a chat in the terminal.

Several simulated people (mother, husband, midwife) share one simulated clock. Bot messages are printed with
their buttons numbered; a number presses the button. ``:clock +1d`` moves time forward in small steps and
runs the reminder dispatcher at each step, so reminders appear when they fall due.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.devtools.harness import RunningBot
from content import get_content
from storage import updates
from storage.db import Database

CLOCK_STEP = timedelta(minutes=5)
_DELTA = re.compile(r"^\+(\d+)([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


@dataclass(frozen=True)
class Person:
    key: str
    user_id: int
    first_name: str
    label_key: str


PEOPLE = (
    Person("ibu", 1001, "Siti", "simulator.person_mother"),
    Person("suami", 1002, "Budi", "simulator.person_husband"),
    Person("bidan", 2001, "Aminah", "simulator.person_midwife"),
)


class Simulator:
    def __init__(self, running: RunningBot, clock: FakeClock, out: TextIO = sys.stdout, files_dir: Path | None = None):
        self.running = running
        self.clock = clock
        self.out = out
        self.text = get_content().text
        self.fake = running.fake
        self.users = {p.key: self.fake.user(user_id=p.user_id, first_name=p.first_name) for p in PEOPLE}
        self.labels = {p.key: self.text(p.label_key) for p in PEOPLE}
        self.current = "ibu"
        self.seen: dict[tuple[str, int], tuple] = {}  # (person, message_id) -> what was printed
        self.buttons: list[tuple[int, str, str]] = []  # (message_id, label, data) of the current person
        self.files_dir = files_dir or Path(tempfile.mkdtemp(prefix="pijat-sim-files-"))

    # -- output ----------------------------------------------------------------------------------
    def say(self, line: str = "") -> None:
        print(line, file=self.out, flush=True)

    def show_new(self) -> None:
        """Print every bot message not yet printed (or whose text changed), for every person.

        The current person's newest buttons are numbered whenever something new reached them.
        """
        fresh_for_current = False
        for person in PEOPLE:
            user = self.users[person.key]
            for message in user.messages:
                key = (person.key, message.message_id)
                shown = (message.text or "", message.photo is not None, message.document is not None)
                if self.seen.get(key) == shown:
                    continue
                edited = key in self.seen
                self.seen[key] = shown
                self._print_message(person, message, edited)
                fresh_for_current = fresh_for_current or person.key == self.current
        if fresh_for_current:
            self._number_buttons()
        else:
            self._collect_buttons()

    def _print_message(self, person: Person, message, edited: bool) -> None:
        local = self.clock.now().astimezone(ZoneInfo("Asia/Jakarta")).strftime("%d/%m %H:%M")
        mark = f" {self.text('simulator.edited')}" if edited else ""
        self.say(f"\n🤖 → {self.labels[person.key]} [{local} WIB]{mark}")
        if message.photo is not None:
            path = self.files_dir / f"{person.key}-{message.message_id}.png"
            path.write_bytes(message.photo)
            caption = (message.text or "").replace("\n", "\n  ")
            self.say("  " + self.text("simulator.photo", keterangan=caption, path=str(path)))
        elif message.document is not None:
            name = message.filename or "berkas"
            path = self.files_dir / f"{person.key}-{message.message_id}-{name}"
            path.write_bytes(message.document)
            self.say("  " + self.text("simulator.document", nama_berkas=name, ukuran=len(message.document),
                                      path=str(path)))
            if message.text:
                self.say("  " + message.text.replace("\n", "\n  "))
        elif message.text:
            self.say("  " + message.text.replace("\n", "\n  "))
        if person.key != self.current and message.buttons:
            # Numbered buttons are the current person's; switch to this person to press these.
            self.say("  " + "  ".join(f"[{label}]" for label in message.button_labels))

    def _collect_buttons(self) -> None:
        user = self.users[self.current]
        self.buttons = []
        for message in reversed(user.messages):
            if message.buttons:
                for label in message.button_labels:
                    self.buttons.append((message.message_id, label, message.callback_data(label)))
                break

    def _number_buttons(self) -> None:
        """Print the current person's newest buttons, numbered, one keyboard row per line."""
        self._collect_buttons()
        user = self.users[self.current]
        message = next((m for m in reversed(user.messages) if m.buttons), None)
        if message is None:
            return
        number = 1
        for row in message.buttons:
            cells = []
            for label in row:
                cells.append(f"[{number}] {label}")
                number += 1
            self.say("  " + "  ".join(cells))

    # -- input -----------------------------------------------------------------------------------
    async def handle(self, line: str) -> bool:
        """Act on one line of input; False means quit."""
        line = line.strip()
        if not line:
            return True
        if line.startswith(":"):
            return await self._command(line[1:].strip())
        user = self.users[self.current]
        if line.isdigit() and self.buttons:
            index = int(line)
            if not 1 <= index <= len(self.buttons):
                self.say(self.text("simulator.no_button", nomor=index))
                return True
            message_id, _label, data = self.buttons[index - 1]
            await user.press_data(data, message_id=message_id)
        else:
            await user.send(line)
        self.show_new()
        return True

    async def _command(self, command: str) -> bool:
        word, _, rest = command.partition(" ")
        word = word.lower()
        if word in ("keluar", "quit", "exit", "q"):
            self.say(self.text("simulator.bye"))
            return False
        if word in ("bantuan", "help", "?"):
            self.say(self.text("simulator.help"))
        elif word in self.users:
            self.current = word
            self.say(self.text("simulator.now_speaking", nama=self.labels[word]))
            self._number_buttons()
        elif word == "clock":
            await self._clock(rest.strip())
        elif word == "demo":
            self._demo()
        else:
            self.say(self.text("simulator.unknown_command"))
        return True

    async def _clock(self, arg: str) -> None:
        if arg:
            match = _DELTA.match(arg.replace(" ", ""))
            if not match:
                self.say(self.text("simulator.clock_bad"))
                return
            target = self.clock.now() + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
            while self.clock.now() < target:
                self.clock.set(min(target, self.clock.now() + CLOCK_STEP))
                await dispatch_due(self.running)
                self.show_new()
        local = self.clock.now().astimezone(ZoneInfo("Asia/Jakarta"))
        self.say(self.text("simulator.clock_now", waktu=local.strftime("%d/%m/%Y %H:%M WIB")))

    def _demo(self) -> None:
        try:
            from bot.devtools.demo import seed_study_demo
        except ImportError:
            self.say(self.text("simulator.demo_missing"))
            return
        bidan = next(p for p in PEOPLE if p.key == "bidan")
        with self.running.db.session() as session:  # one facility per seed protocol; :bidan coordinates seed 001's
            seed_study_demo(session, now=self.clock.now(), settings=self.running.settings,
                            midwife_telegram_id=bidan.user_id, midwife_name=bidan.first_name)
        self.say(self.text("simulator.demo_done"))


async def dispatch_due(running: RunningBot) -> None:
    """Send the reminders that are due at the simulated time (if this version has a dispatcher)."""
    try:
        from bot.reminders.dispatcher import dispatch_once
    except ImportError:
        return
    await dispatch_once(running.runtime, running.app.bot)


async def simulate(database_url: str | None = None, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout) -> int:
    from bot.devtools.fake_telegram import FakeTelegram

    text = get_content().text
    workdir = Path(tempfile.mkdtemp(prefix="pijat-sim-"))
    url = database_url or f"sqlite:///{workdir / 'simulasi.db'}"
    db = Database(url)
    db.upgrade()
    clock = FakeClock(_start_time())
    with db.session() as session:  # a kept database: new update ids must not look like ones already handled
        first_update_id = updates.highest(session) + 1
    async with FakeTelegram(first_update_id=first_update_id) as fake:
        settings = Settings(
            token=fake.token, api_url=fake.base_url, database_url=url, rate_limit=False,
            run_dispatcher=False, health_file=None, log_level="WARNING",
        )
        running = RunningBot(settings=settings, db=db, clock=clock, fake=fake)
        await running.start()
        sim = Simulator(running, clock, out=out, files_dir=workdir)
        try:
            sim.say(text("simulator.intro"))
            sim.say(text("simulator.database", url=url))
            sim.say(text("simulator.now_speaking", nama=sim.labels[sim.current]))
            loop = asyncio.get_running_loop()
            tty = interactive(stdin)
            while True:
                prompt = text("simulator.prompt", nama=sim.labels[sim.current])
                if tty:
                    out.write(prompt)
                    out.flush()
                line = await loop.run_in_executor(None, stdin.readline)
                if not line:
                    break
                if not tty:
                    sim.say(prompt + line.rstrip())
                if not await sim.handle(line):
                    break
        finally:
            await running.stop()
            db.dispose()
    return 0


def interactive(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _start_time():
    """Now, to the minute: the simulation starts at the real time so 'Hari ini' means today."""
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(second=0, microsecond=0)
