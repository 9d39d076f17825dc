"""Shared set-up for the reliability, security, fuzz and load tests (no tests in this module).

- conversation helpers that drive the real bot the way a family does (``register``, ``join``,
  ``start_checklist``);
- :class:`LiveBot`: one fake Bot API and one running Application in a private event loop, kept alive across
  many hypothesis examples of a *synchronous* test, so thousands of updates run in seconds;
- :class:`Hold`: a fault that tells the test the moment a request reaches the fake, then keeps it waiting;
- :func:`handler_errors`: the ERROR records a handler (or PTB's error handler) logged;
- :func:`bot_process`: ``python -m bot run`` as a child process against the fake Bot API.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlmodel import select

from bot.core.clock import FakeClock
from bot.core.config import Settings
from bot.devtools.fake_telegram import FakeTelegram, Fault
from bot.devtools.harness import RunningBot
from content import get_content
from storage.db import Database
from storage.models import ChatState, Family, Membership, User

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


def say(key: str, **params: object) -> str:
    """A sentence of the bot, from content (tests never hard-code wording that content may change)."""
    return get_content().text(key, **params)


FAST_RETRIES = {"send_retry_delays": "0.05,0.2"}  # the bot's own pauses before resending, kept short in tests


def bot_settings(fake: FakeTelegram, db: Database, **changes: Any) -> Settings:
    base = Settings(
        token=fake.token,
        api_url=fake.base_url,
        database_url=db.url,
        bot_username=None,
        rate_limit=False,
        run_dispatcher=False,
        health_file=None,
        danger_spool=None,  # tests of the danger spool pass their own file
        log_level="DEBUG",
        extra=dict(FAST_RETRIES),
    )
    return base.with_(**changes) if changes else base


# -- conversations ---------------------------------------------------------------------------------------

async def register(user, db: Database | None = None, *, name: str | None = None,
                   birth_key: str = "onboarding.button_today", research: bool = True) -> None:
    """/start → consent → research → mother → name → birth → WIB → no facility → save."""
    await user.send("/start")
    await user.press(say("onboarding.button_agree"))
    await user.press(say("family.button_research_yes" if research else "family.button_research_no"))
    await user.press(say("onboarding.role_ibu"))
    await user.send(name or user.first_name)
    await user.press(say(birth_key))
    await user.press(say("onboarding.tz_wib"))
    await user.press(say("onboarding.button_skip"))
    await user.press(say("onboarding.button_confirm"))
    if db is not None:
        assert family_id_of(db, user.id) is not None, user.text_log()


def family_id_of(db: Database, telegram_id: int) -> int | None:
    with db.session() as s:
        row = s.exec(
            select(Membership.family_id)
            .join(User, User.id == Membership.user_id)
            .where(User.telegram_id == telegram_id, Membership.active == True)  # noqa: E712
        ).first()
        return row


def link_code(db: Database, family_id: int) -> str:
    with db.session() as s:
        return s.get(Family, family_id).link_code


async def join(user, code: str, *, name: str | None = None, approve: bool = True) -> None:
    """A husband opens the family link, consents, gives his name when asked; the mother approves him."""
    await user.send(f"/start fam_{code}")
    await user.press(say("onboarding.button_agree"))
    await user.press(say("family.button_research_yes"))
    if say("onboarding.ask_name_suami") in user.last_reply.text:
        await user.send(name or user.first_name)
    if approve:
        await approve_request(user)


async def approve_request(joiner, label: str | None = None) -> None:
    """The family's approver presses "Setujui" (or ``label``) on the request ``joiner`` just sent."""
    label = label or say("family.button_approve")
    for person in joiner.fake.users:
        if person is joiner:
            continue
        for message in reversed(person.chat.bot_messages()[-5:]):
            if label in message.button_labels and message.callback_data(label).startswith("adm:"):
                await person.press_data(message.callback_data(label), message.message_id)
                return
    raise AssertionError(f"nobody was asked to approve {joiner!r}")


async def start_checklist(user, db: Database | None = None) -> None:
    await user.send("/ceklis")
    if db is not None:
        st = chat_state(db, user.id)
        assert st is not None and st.flow == "checklist", user.text_log()


def chat_state(db: Database, telegram_id: int) -> ChatState | None:
    with db.session() as s:
        st = s.get(ChatState, telegram_id)
        if st is None:
            return None
        return ChatState(telegram_id=st.telegram_id, flow=st.flow, step=st.step, data=dict(st.data),
                         updated_at=st.updated_at)


def restore_state(db: Database, snapshot: ChatState | None, telegram_id: int) -> None:
    """Put a person back where a snapshot of their conversation was (as a restart would find it)."""
    with db.session() as s:
        current = s.get(ChatState, telegram_id)
        if snapshot is None:
            if current is not None:
                s.delete(current)
            return
        if current is None:
            current = ChatState(telegram_id=telegram_id, updated_at=snapshot.updated_at)
        current.flow, current.step, current.data = snapshot.flow, snapshot.step, dict(snapshot.data)
        current.updated_at = snapshot.updated_at
        s.add(current)


# -- faults ----------------------------------------------------------------------------------------------

class Hold(Fault):
    """Keep a request waiting for ``seconds``; :attr:`arrived` is set the moment it reaches the fake."""

    def __init__(self, seconds: float = 60.0):
        self.seconds = seconds
        self.arrived = asyncio.Event()

    @property
    def delay(self) -> float:  # type: ignore[override]
        self.arrived.set()
        return self.seconds


# -- logs ------------------------------------------------------------------------------------------------

# PTB's Updater logs a failed getUpdates at ERROR and simply polls again: that is Telegram's fault, not ours,
# and the polling tests prove no update is lost by it.
NOT_OURS = ("bot.devtools.fake_telegram", "telegram.ext.Updater")


def handler_errors(records: Iterable[logging.LogRecord]) -> list[str]:
    """ERROR records from the bot (a handler's exception, the global error handler, the dispatcher)."""
    return [f"{r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in records
            if r.levelno >= logging.ERROR and not r.name.startswith(NOT_OURS)]


# -- one bot for many examples ---------------------------------------------------------------------------

@dataclass
class LiveBot:
    """A fake Bot API and the real Application in one private event loop, for synchronous tests.

    ``with LiveBot(db, clock) as live: live.run(user.send("x"))`` — the loop (and the bot polling in it)
    lives across every ``run`` call, so a hypothesis test starts the bot once, not once per example.
    """

    db: Database
    clock: FakeClock
    settings_changes: dict | None = None
    fake: FakeTelegram | None = None
    bot: RunningBot | None = None

    def __enter__(self) -> LiveBot:
        self._runner = asyncio.Runner()
        self._runner.__enter__()
        self.run(self._start())
        return self

    async def _start(self) -> None:
        self.fake = FakeTelegram()
        await self.fake.start()
        settings = bot_settings(self.fake, self.db, **(self.settings_changes or {}))
        self.bot = RunningBot(settings=settings, db=self.db, clock=self.clock, fake=self.fake)
        await self.bot.start()

    def run(self, coro: Awaitable[T]) -> T:
        return self._runner.run(coro)

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self._stop())
        finally:
            self._runner.__exit__(None, None, None)

    async def _stop(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
        if self.fake is not None:
            await self.fake.stop()


# -- the bot as a child process -----------------------------------------------------------------------------

def child_env(fake: FakeTelegram, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "DATABASE_URL", "BOT_", "WEBHOOK_", "LOG_LEVEL"))}
    env.update(PYTHONPATH=str(ROOT), TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.base_url,
               DATABASE_URL=database_url, LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


async def bot_process(fake: FakeTelegram, database_url: str, cwd: Path, **extra: str) -> asyncio.subprocess.Process:
    """Start ``python -m bot run`` and return once it is long-polling the fake."""
    fake.api.poll_waiting.clear()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=str(cwd), env=child_env(fake, database_url, **extra),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_polling(timeout=60)
    except AssertionError:
        if proc.returncode is None:
            proc.kill()
        _, err = await proc.communicate()
        raise AssertionError(f"the bot process never polled:\n{err.decode(errors='replace')[-3000:]}") from None
    return proc


class Replies:
    """Waits for the bot's messages in one chat (events from the fake, never sleeps)."""

    def __init__(self, fake: FakeTelegram, chat_id: int):
        self.chat_id = chat_id
        self.seen: list[Any] = []
        self._event = asyncio.Event()
        fake.on_message(self._on_message)

    def _on_message(self, message, event) -> None:
        if message.chat_id == self.chat_id and event == "sent":
            self.seen.append(message)
            self._event.set()

    async def next(self, after: int, timeout: float = 30.0) -> Any:
        """The first message sent after ``after`` messages had been seen."""
        while len(self.seen) <= after:
            self._event.clear()
            await asyncio.wait_for(self._event.wait(), timeout)
        return self.seen[after]


def all_rows_text(db: Database) -> str:
    """Every value of every table, as one big string (to search for what must not be stored)."""
    from sqlalchemy import MetaData
    from sqlalchemy import select as sa_select

    meta = MetaData()
    meta.reflect(bind=db.engine)
    parts: list[str] = []
    with db.engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(sa_select(table)):
                parts.append(f"{table.name}: " + " | ".join(repr(v) for v in row))
    return "\n".join(parts)
