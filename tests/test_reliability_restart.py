"""Restarts of the real process: ``python -m bot run`` as a child, against the fake Bot API, on a SQLite file.

- SIGKILL in the middle of the checklist (the answer to question 4 committed, its reply still on the way):
  after a restart, /lanjut asks question 5, every saved answer is there, and the checklist finishes.
- SIGTERM while a reply and a reminder are being sent: both finish, nothing new is claimed, exit code 0.
- Telegram failing at start (getMe answering 502, setMyCommands dropped): the process retries and comes up.

Nothing sleeps: the test waits on the fake's events (a message sent, a request arriving).
"""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.devtools import fake_telegram as ft
from storage.db import Database
from storage.models import Answer, Measurement, Outbox
from tests.test_reliability_support import Hold, bot_process, chat_state, say


class Chat:
    """One person talking to a bot in another process: act, then wait for what the bot says."""

    def __init__(self, fake, user):
        self.fake, self.user = fake, user
        self._changed = asyncio.Event()
        fake.on_message(self._seen)

    def _seen(self, message, event) -> None:  # noqa: ARG002
        if message.chat_id == self.user.id:
            self._changed.set()

    async def until(self, predicate, timeout: float = 30.0):
        """Wait until ``predicate(last bot message)`` holds; returns that message."""
        async def loop():
            while True:
                messages = self.user.messages
                if messages and predicate(messages[-1]):
                    return messages[-1]
                self._changed.clear()
                await self._changed.wait()
        try:
            return await asyncio.wait_for(loop(), timeout)
        except TimeoutError:
            raise AssertionError(f"the bot did not answer as expected:\n{self.user.text_log()[-1500:]}") from None

    async def send(self, text: str, expect) -> object:
        await self.user.send(text, wait=False)
        return await self.until(expect)

    async def press(self, label: str, expect) -> object:
        await self.user.press(label, wait=False)
        return await self.until(expect)


def has_button(label: str):
    return lambda m: label in m.button_labels


def says(fragment: str):
    return lambda m: fragment in (m.text or "")


def question(no: int):
    return says(say("checklist.question", no=no, total=6, teks="").strip())


async def _register(chat: Chat) -> None:
    await chat.send("/start", has_button(say("onboarding.button_agree")))
    await chat.press(say("onboarding.button_agree"), has_button(say("family.button_research_yes")))
    await chat.press(say("family.button_research_yes"), has_button(say("onboarding.role_ibu")))
    await chat.press(say("onboarding.role_ibu"), says(say("onboarding.ask_name")))
    await chat.send("Ratna", has_button(say("onboarding.button_today")))
    await chat.press(say("onboarding.button_today"), has_button(say("onboarding.tz_wib")))
    await chat.press(say("onboarding.tz_wib"), has_button(say("onboarding.button_skip")))
    await chat.press(say("onboarding.button_skip"), has_button(say("onboarding.button_confirm")))
    await chat.press(say("onboarding.button_confirm"), says(say("family.next_steps")))


def _answers(db: Database) -> dict[str, str]:
    with db.session() as s:
        return {a.item_id: a.raw_value for a in s.exec(select(Answer))}


async def _stop(proc: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> tuple[int, str]:
    if proc.returncode is None:
        proc.send_signal(sig)
    _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode, err.decode(errors="replace")


async def test_sigkill_mid_checklist_then_restart_resumes_at_the_same_question(fake_tg, tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    user = fake_tg.user(user_id=81_001, first_name="Ratna")
    chat = Chat(fake_tg, user)
    proc = await bot_process(fake_tg, url, tmp_path)
    try:
        await _register(chat)
        await chat.send("/ceklis", question(1))
        await chat.send("3", question(2))
        q2 = user.last_reply
        await chat.press(q2.buttons[0][0], question(3))
        await chat.send("2", question(4))
        q4 = user.last_reply
        hold = Hold(seconds=60)
        fake_tg.inject("sendMessage", hold, chat_id=user.id)  # the reply to answer 4 never gets through
        await user.press(q4.buttons[0][0], wait=False)
        await asyncio.wait_for(hold.arrived.wait(), 30)
        code, _ = await _stop(proc, signal.SIGKILL)
        assert code == -signal.SIGKILL
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    fake_tg.clear_faults()
    db = Database(url)
    try:
        saved = _answers(db)
        assert len(saved) == 4, saved  # answers 1–4 were committed before the kill
        state = chat_state(db, user.id)
        assert state.flow == "checklist"
        waiting_for = state.data["item"]
        assert waiting_for not in saved
        proc = await bot_process(fake_tg, url, tmp_path)
        try:
            await chat.send("/lanjut", question(5))
            assert chat_state(db, user.id).data["item"] == waiting_for  # the same question
            await chat.press(user.last_reply.buttons[0][0], question(6))
            await chat.send("12", says(say("checklist.summary", kapan="", jumlah="", hasil="").split("\n")[0][:12]))
        finally:
            code, err = await _stop(proc)
        assert code == 0, err[-2000:]
        final = _answers(db)
        assert len(final) == 6 and {k: final[k] for k in saved} == saved
        with db.session() as s:
            assert s.exec(select(Measurement)).one().completed_at is not None
    finally:
        db.dispose()
    assert fake_tg.token not in err


def _one_reminder(db: Database, telegram_id: int, due: datetime) -> int:
    """A family of one with its reminder schedule; one massage reminder due at ``due``, the rest far away.

    The row carries no time zone, so the night rule (nothing 21:00–06:00) does not hold it back whenever
    this test runs.
    """
    from bot.core.config import Settings
    from bot.flows.schedule import reschedule_family
    from tests.test_reminders_support import make_family

    now = datetime.now(UTC)
    with db.session() as s:
        fid = make_family(s, now=now, birth_date=now.date() - timedelta(days=1), members=[(telegram_id, "mother")])
        reschedule_family(s, fid, now=now, settings=Settings(jitter=timedelta(0)))
        rows = sorted(s.exec(select(Outbox).where(Outbox.family_id == fid, Outbox.status == "pending")),
                      key=lambda r: r.id)
        chosen = next(r for r in rows if r.kind == "massage")
        for row in rows:
            row.due_at = due if row is chosen else now + timedelta(days=30)
            if row is chosen:
                row.payload = {k: v for k, v in row.payload.items() if k != "tz"}
            s.add(row)
        return chosen.id


async def test_sigterm_finishes_in_flight_work_claims_nothing_new_and_exits_0(fake_tg, tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    db = Database(url)
    db.upgrade()
    mother = fake_tg.user(user_id=82_001, first_name="Yuni")
    other = fake_tg.user(user_id=82_002, first_name="Eka")
    in_flight = _one_reminder(db, mother.id, datetime.now(UTC))
    later = _one_reminder(db, other.id, datetime.now(UTC) + timedelta(days=1))
    reply_hold, reminder_hold = Hold(seconds=2.0), Hold(seconds=2.0)
    fake_tg.inject("sendMessage", reminder_hold, chat_id=mother.id)
    proc = await bot_process(fake_tg, url, tmp_path, DISPATCH_INTERVAL_SECONDS="0.2")
    try:
        await asyncio.wait_for(reminder_hold.arrived.wait(), 30)  # the reminder is being sent
        fake_tg.inject("sendMessage", reply_hold, chat_id=other.id)
        await other.send("/bantuan", wait=False)
        await asyncio.wait_for(reply_hold.arrived.wait(), 30)  # and a reply
        with db.session() as s:  # due while the process stops: must not be claimed
            row = s.get(Outbox, later)
            row.due_at = datetime.now(UTC) + timedelta(milliseconds=300)
            row.payload = {k: v for k, v in row.payload.items() if k != "tz"}
            s.add(row)
        code, err = await _stop(proc, signal.SIGTERM)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert code == 0, err[-3000:]
    assert len(mother.messages) == 1  # the in-flight reminder was delivered
    assert [m.text for m in other.messages] == [say("help.text")]  # and the in-flight reply, nothing else
    with db.session() as s:
        assert s.get(Outbox, in_flight).status == "sent"
        untouched = s.get(Outbox, later)
        assert (untouched.status, untouched.claimed_by, untouched.attempts) == ("pending", None, 0)
    db.dispose()


async def test_the_process_comes_up_although_telegram_fails_at_start(fake_tg, tmp_path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    fake_tg.inject("getMe", ft.ServerError(502))
    fake_tg.inject("setMyCommands", ft.Drop())
    proc = await bot_process(fake_tg, url, tmp_path)
    try:
        user = fake_tg.user(user_id=83_001, first_name="Maya")
        await Chat(fake_tg, user).send("/start", has_button(say("onboarding.button_agree")))
    finally:
        code, err = await _stop(proc)
    assert code == 0, err[-2000:]
