"""The offline simulator: the real bot against the fake Bot API, with a chat in the terminal.

Several simulated people (mother, husband, midwife) share one simulated clock. Bot messages are printed with
their buttons numbered; ``#3`` (or a bare ``3``, unless the bot is waiting for a typed number) presses the
button. Only the newest message's buttons are numbered; a message without buttons shows none, and a
button's pop-up answer is printed. ``:clock +1d`` moves time forward and runs the reminder dispatcher at
each due time (the guide's cues every few seconds included), so messages appear when they fall due, each
with the time in the speaker's family time zone.
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
        self.buttons: list[tuple[int, str, str | None]] = []  # (message_id, label, data; None: a link)
        self.buttons_newest = False  # are they on the newest message? (then a bare number presses them)
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

    def zone_of(self, person: Person) -> ZoneInfo:
        """The time zone of the person's family (Jakarta until they have one)."""
        from storage import families, users

        try:
            with self.running.db.session() as session:
                user = users.get_by_telegram_id(session, person.user_id)
                family = families.family_of(session, user.id) if user is not None else None
                return ZoneInfo(family.timezone if family is not None and family.timezone else "Asia/Jakarta")
        except Exception:  # noqa: BLE001 - the clock label must never stop the simulator
            return ZoneInfo("Asia/Jakarta")

    def time_label(self, person: Person) -> str:
        local = self.clock.now().astimezone(self.zone_of(person))
        shown = local.strftime("%d/%m %H:%M:%S" if local.second else "%d/%m %H:%M")
        return f"{shown} {local.tzname()}"

    def _print_message(self, person: Person, message, edited: bool) -> None:
        mark = f" {self.text('simulator.edited')}" if edited else ""
        self.say(f"\n🤖 → {self.labels[person.key]} [{self.time_label(person)}]{mark}")
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
        elif message.kind in ("animation", "voice"):
            self.say("  " + self.text(f"simulator.{message.kind}", keterangan=(message.text or "").replace("\n", " ")))
        elif message.text:
            self.say("  " + message.text.replace("\n", "\n  "))
        if person.key != self.current and message.buttons:
            # Numbered buttons are the current person's; switch to this person to press these.
            self.say("  " + "  ".join(f"[{label}]" for label in message.button_labels))

    def _collect_buttons(self) -> None:
        user = self.users[self.current]
        self.buttons = []
        messages = user.messages
        for message in reversed(messages):
            if message.buttons:
                for label in message.button_labels:  # a link button ("💬 Chat pelapor") has no data: None
                    self.buttons.append((message.message_id, label, message.button(label).get("callback_data")))
                break
        self.buttons_newest = bool(messages) and bool(messages[-1].buttons)

    def _number_buttons(self) -> None:
        """Print the newest message's buttons, numbered, one keyboard row per line (none if it has none)."""
        self._collect_buttons()
        user = self.users[self.current]
        message = user.messages[-1] if user.messages else None
        if message is None or not message.buttons:
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
        hashed = line.startswith("#") and line[1:].strip().isdigit()
        if hashed or (line.isdigit() and self.buttons_newest and not self.waiting_for_number()):
            index = int(line.lstrip("#").strip())
            if not 1 <= index <= len(self.buttons):
                self.say(self.text("simulator.no_button", nomor=index))
                return True
            message_id, label, data = self.buttons[index - 1]
            if data is None:  # a link opens outside the chat on a phone: show where it goes
                message = next(m for m in user.messages if m.message_id == message_id)
                self.say("  " + self.text("simulator.link", tombol=label, alamat=message.button(label).get("url", "")))
                return True
            answers = len(user.callback_answers)
            await user.press_data(data, message_id=message_id)
            popup = [a for a in user.callback_answers[answers:] if a]
            for text in popup:
                self.say("  " + self.text("simulator.popup", teks=text))
        else:
            await user.send(line)
        self.show_new()
        return True

    def waiting_for_number(self) -> bool:
        """Whether the current person's open question asks for a number (typed digits are then an answer)."""
        from bot.handlers.steps.checklist import FLOW as CHECKLIST
        from storage import chatstate
        from storage.models import Measurement

        person = next(p for p in PEOPLE if p.key == self.current)
        try:
            with self.running.db.session() as session:
                st = chatstate.get(session, person.user_id)
                if st.flow != CHECKLIST or st.step != "q":
                    return False
                m = session.get(Measurement, st.data.get("m"))
                item = get_content().instruments[m.instrument_id].item(st.data.get("item")) if m else None
                return item is not None and item.answer_type == "number"
        except Exception:  # noqa: BLE001
            return False

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
                step = self.clock.now() + CLOCK_STEP
                due = self._next_due()
                if due is not None and self.clock.now() < due < step:
                    step = due  # stop at each due message (a cue every few seconds during a massage)
                self.clock.set(min(target, step))
                await dispatch_due(self.running)
                self.show_new()
        person = next(p for p in PEOPLE if p.key == self.current)
        local = self.clock.now().astimezone(self.zone_of(person))
        self.say(self.text("simulator.clock_now", waktu=f"{local:%d/%m/%Y %H:%M:%S} {local.tzname()}"))

    def _next_due(self):
        from storage import outbox

        try:
            with self.running.db.session() as session:
                return outbox.next_due(session)
        except Exception:  # noqa: BLE001
            return None

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
    workdir, url, db, clock = simulation_database(database_url, "pijat-sim-")
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


def simulation_database(database_url: str | None, prefix: str) -> tuple[Path, str, Database, FakeClock]:
    """The simulation's folder (temporary: its files, and its SQLite database unless one is given), the
    database's URL, the database migrated, and its clock, starting now."""
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    url = database_url or f"sqlite:///{workdir / 'simulasi.db'}"
    db = Database(url)
    db.upgrade()
    return workdir, url, db, FakeClock(_start_time())


def _start_time():
    """Now, to the minute: the simulation starts at the real time so 'Hari ini' means today."""
    from datetime import UTC, datetime

    return datetime.now(UTC).replace(second=0, microsecond=0)
