"""Load: many families chatting at once while a reminder blast goes out, against the fake Bot API on
127.0.0.1, through the real Application and dispatcher.

Two rounds of the same work (register, then the whole checklist while the day's first reminders are sent).
Proven: every update got an answer, none was lost, every family's six answers are stored, every due
reminder was sent exactly once, and the memory the bot keeps does not grow with the families it served.

Memory: the fake Bot API runs in this same process and keeps every message of every chat, so the process's
RSS grows with the test itself (it is reported, not asserted). What is asserted is the size of everything
the bot keeps alive — the objects reachable from the Application, the runtime (database engine and pool,
content) and the globals of our own modules, the fake left out — after the first round and after the second:
it must not grow by more than 1 kB per family served (≈ 60 bytes per update).

CI runs 2 × 25 families; ``pytest -m slow tests/test_load_families.py`` runs 2 × 100 (200 families).
The dispatcher's one-message-per-second-per-chat pacing is off here (it would only make the test wait).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
import types
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.util import LRUCache
from sqlmodel import func, select

from bot.devtools.fake_telegram import FakeTelegram
from bot.devtools.harness import RunningBot
from bot.reminders.dispatcher import Dispatcher
from storage import outbox
from storage.models import Answer, Measurement, Outbox
from tests.test_reliability_support import FAST_RETRIES, register


async def _press_answer(user, index: int) -> list:
    """Press answer ``index`` on the newest question (a reminder may have arrived after it meanwhile)."""
    for message in reversed(user.messages):
        answers = [message.callback_data(label) for row in message.buttons for label in row
                   if message.callback_data(label).startswith("ceklis:a:")]
        if answers:
            return await user.press_data(answers[index], message_id=message.message_id)
    raise AssertionError(f"no question with answer buttons:\n{user.text_log()[-1500:]}")


async def _checklist(user) -> list[int]:
    """The whole checklist, typed and pressed; returns how many messages answered each action."""
    answered = [len(await user.send("/ceklis"))]
    for kind, value in (("type", "4"), ("press", 0), ("type", "2"), ("press", 0), ("press", 1), ("type", "12")):
        if kind == "type":
            answered.append(len(await user.send(value)))
        else:
            answered.append(len(await _press_answer(user, value)))
    answered.append(len(await user.send("/menu")))
    return answered


async def _blast(dispatcher: Dispatcher, done: asyncio.Event) -> int:
    """Tick like the JobQueue would (every 50 ms here) until the chats are done and nothing is left due."""
    sent = 0
    while True:
        result = await dispatcher.tick()
        sent += result.sent
        if done.is_set() and result.claimed == 0:
            return sent
        await asyncio.sleep(0.05)


async def _round(running: RunningBot, fake, clock, first_id: int, n: int) -> dict:
    users = [fake.user(user_id=first_id + i, first_name=f"Ibu{i}") for i in range(n)]
    start = time.monotonic()
    await asyncio.gather(*(register(u) for u in users))
    with running.db.session() as s:
        # The day's first reminders (the checklist at 06:45, the first massage at 07:00) are all due now.
        clock.set(outbox.next_due(s) + timedelta(minutes=16))
    dispatcher = Dispatcher(running.runtime, running.app.bot, per_chat_gap=0)
    done = asyncio.Event()
    blast = asyncio.create_task(_blast(dispatcher, done))
    answered = await asyncio.gather(*(_checklist(u) for u in users))
    done.set()
    sent = await blast
    await fake.wait_idle()
    return {"users": users, "answered": [a for per in answered for a in per], "sent": sent,
            "seconds": time.monotonic() - start}


_NOT_STATE = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.CodeType,
              types.FrameType, types.MethodType, asyncio.AbstractEventLoop, threading.Thread,
              types.WrapperDescriptorType, types.MethodDescriptorType, types.GetSetDescriptorType,
              types.MemberDescriptorType)


def kept_by_the_bot(running: RunningBot) -> tuple[int, int]:
    """Bytes and objects reachable from the Application, the runtime and our modules' globals (not the fake)."""
    gc.collect()
    modules = [vars(m) for name, m in list(sys.modules.items())
               if name.split(".")[0] in ("bot", "storage", "content", "analysis")
               and not name.startswith("bot.devtools.fake_telegram")]
    seen: set[int] = set()
    stack: list[object] = [running.app, running.runtime, *modules]
    size = count = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, _NOT_STATE) or type(obj).__module__.startswith("bot.devtools.fake_telegram"):
            continue
        if isinstance(obj, LRUCache):
            # SQLAlchemy's compiled-statement cache: bounded (query_cache_size), filled by statement shapes
            # (an IN list of a new length), not by families; _load checks that it stays within its bound
            continue
        size += sys.getsizeof(obj)
        count += 1
        stack.extend(gc.get_referents(obj))
    return size, count


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


async def _load(settings, db, clock, n: int) -> None:
    async with FakeTelegram(record_calls=False, keep_bytes=False, clock=clock) as fake:
        cfg = settings.with_(token=fake.token, api_url=fake.base_url, jitter=timedelta(0), extra=dict(FAST_RETRIES))
        running = RunningBot(settings=cfg, db=db, clock=clock, fake=fake)
        await running.start()
        try:
            rss_before = rss_bytes()
            first = await _round(running, fake, clock, 100_000, n)
            kept_before, objects_before = kept_by_the_bot(running)
            second = await _round(running, fake, clock, 200_000, n)
            kept_after, objects_after = kept_by_the_bot(running)
            compiled = running.runtime.db.engine._compiled_cache  # left out of kept_by_the_bot: its own bound
            assert len(compiled) <= compiled.capacity * (1 + compiled.threshold)
            rss_after = rss_bytes()
        finally:
            await running.stop()
        await _check(db, clock, fake, n, first, second)
    growth = kept_after - kept_before
    # ~17 updates per family: keeping as little as 60 bytes per update would break this. What does grow is
    # python-telegram-bot's own record of every chat and user id seen (two sets of ints, ~100 B a family).
    assert growth < 1000 * n, f"the bot kept {growth} more bytes after serving {n} more families"
    print(f"\nFIGURES memory: kept_by_bot={kept_before}->{kept_after} bytes ({objects_before}->{objects_after} "
          f"objects, {growth / n:+.0f} B per family) rss={rss_before // 2**20}->{rss_after // 2**20} MiB "
          f"(includes the fake's record of every chat)")


async def _check(db, clock, fake, n: int, first: dict, second: dict) -> None:
    updates = len(first["answered"]) + len(second["answered"]) + 2 * n * 9  # 9 actions to register
    unanswered = sum(1 for a in first["answered"] + second["answered"] if a == 0)
    assert unanswered == 0, f"{unanswered} updates got no answer"
    assert fake.updates.outstanding == 0  # nothing lost in between
    with db.session() as s:
        complete = s.exec(select(func.count()).select_from(Measurement)
                          .where(Measurement.completed_at.is_not(None))).one()
        answers = s.exec(select(func.count()).select_from(Answer)).one()
        rows = list(s.exec(select(Outbox)))
    assert complete == 2 * n and answers == 12 * n
    now = clock.now()
    left = [r for r in rows if r.due_at <= now and r.status in ("pending", "claimed")]
    assert left == [], f"{len(left)} due reminders were never sent"
    sent_rows = [r for r in rows if r.status == "sent"]
    assert sent_rows and len(sent_rows) == first["sent"] + second["sent"]
    duplicates = 0
    for row in sent_rows:
        messages = fake.bot_messages(row.chat_id)
        text = next(m.text for m in messages if m.message_id == row.telegram_message_id)
        duplicates += sum(1 for m in messages if m.text == text) - 1
    assert duplicates == 0
    print(f"\nFIGURES load: families={2 * n} updates={updates} unanswered={unanswered} lost=0 "
          f"reminders_sent={len(sent_rows)} lost_reminders=0 duplicates={duplicates} "
          f"round_seconds={first['seconds']:.1f}/{second['seconds']:.1f}")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_families_chatting_at_once_during_a_reminder_blast(settings, db, clock):
    await _load(settings, db, clock, 25)


@pytest.mark.slow
async def test_slow_200_families_chatting_at_once_during_a_reminder_blast(settings, db, clock):
    await _load(settings, db, clock, 100)
