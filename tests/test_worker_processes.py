"""Real processes against the fake Bot API: kill -9 in the middle of dispatching, and two workers on PostgreSQL.

These use the real clock (a separate process cannot share a FakeClock), so the reminders are due one minute
ago, well inside the grace window, and each family lives in a time zone where it is daytime right now, so
quiet hours do not apply.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert
from sqlmodel import func, select

from bot.flows.schedule import dedupe_key
from storage.db import Database
from storage.models import Family, Membership, Outbox, User
from tests.test_reminders_support import until

ROOT = Path(__file__).resolve().parents[1]
FIRST_CHAT = 700_000
BATCH = 25

# Zones spread over the globe: for any instant at least one has local time between 07:00 and 19:00.
_ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Europe/London", "America/Sao_Paulo",
          "America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Asia/Kolkata")


def daytime_zone(now: datetime) -> str:
    for name in _ZONES:
        if 7 <= now.astimezone(ZoneInfo(name)).hour < 19:
            return name
    raise AssertionError("no zone in daytime")  # pragma: no cover - the zones cover every hour


def seed_due_reminders(db: Database, n: int) -> None:
    """``n`` one-mother families, each with one massage reminder due a minute ago (bulk insert)."""
    now = datetime.now(UTC)
    tz = daytime_zone(now)
    payload = {"slot": "d1s1", "day": 1, "session": 1, "sessions": 2, "tz": tz, "local": "07:00",
               "protocol": "default"}
    users, families, members, reminders = [], [], [], []
    for i in range(1, n + 1):
        chat = FIRST_CHAT + i
        users.append(dict(id=i, telegram_id=chat, chat_id=chat, first_name=f"Ibu {i}", reachable=True,
                          consent_research=False, created_at=now))
        families.append(dict(id=i, code=f"P{i:06d}", link_code=f"K{i:06d}", timezone=tz, protocol_id="default",
                             status="active", reminders_paused=False, created_at=now,
                             birth_date=(now - timedelta(days=1)).date()))
        members.append(dict(id=i, user_id=i, family_id=i, role="mother", active=True, joined_at=now))
        reminders.append(dict(dedupe_key=dedupe_key(i, "massage", "d1s1", i), family_id=i, user_id=i, chat_id=chat,
                              kind="massage", payload=payload, due_at=now - timedelta(minutes=1), status="pending",
                              attempts=0, created_at=now))
    with db.session() as s:
        for model, values in ((User, users), (Family, families), (Membership, members), (Outbox, reminders)):
            s.execute(insert(model), values)
    if not db.is_sqlite:  # explicit ids: move the sequences past them
        with db.session() as s:
            for table in ("users", "families", "memberships"):
                s.execute(
                    select(func.setval(func.pg_get_serial_sequence(table, "id"), n))  # type: ignore[arg-type]
                )


def sent_count(db: Database) -> int:
    with db.session() as s:
        return s.exec(select(func.count()).select_from(Outbox).where(Outbox.status == "sent")).one()


def env_for(fake, database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "DATABASE_URL", "BOT_", "DISPATCH_", "REMINDER_"))}
    env.update(
        PYTHONPATH=str(ROOT), TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.base_url,
        DATABASE_URL=database_url, DISPATCH_INTERVAL_SECONDS="0.2", DISPATCH_BATCH=str(BATCH), RATE_LIMIT="false",
        HEALTH_FILE=str(tmp_path / "heartbeat"), LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


async def start(args: list[str], env: dict[str, str], tmp_path: Path, name: str) -> asyncio.subprocess.Process:
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", *args, cwd=str(tmp_path), env=env,
                                                stdout=log, stderr=asyncio.subprocess.STDOUT)
    proc._log_file = log  # type: ignore[attr-defined]
    return proc


async def stop(proc: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> None:
    if proc.returncode is None:
        proc.send_signal(sig)
        try:
            await asyncio.wait_for(proc.wait(), timeout=15)
        except TimeoutError:
            proc.kill()
            await proc.wait()
    proc._log_file.close()  # type: ignore[attr-defined]


def logs(tmp_path: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in sorted(tmp_path.glob("*.log")))


def deliveries(fake) -> Counter:
    return Counter(int(c.chat_id) for c in fake.calls_to("sendMessage") if c.ok and int(c.chat_id) > FIRST_CHAT)


async def test_kill_9_during_dispatch_loses_nothing_and_repeats_at_most_one_batch(fake_tg, tmp_path):
    n = 1000
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    db = Database(url)
    db.upgrade()
    seed_due_reminders(db, n)
    env = env_for(fake_tg, url, tmp_path)

    reached = asyncio.Event()
    count = 0

    def on_message(message, event):
        nonlocal count
        if event == "sent" and message.chat.id > FIRST_CHAT:
            count += 1
            if count >= 300:
                reached.set()

    fake_tg.on_message(on_message)
    first = await start(["run"], env, tmp_path, "first")
    second = None
    try:
        await asyncio.wait_for(reached.wait(), timeout=60)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        at_kill = count
        assert at_kill < n, "everything was sent before the kill; seed more reminders"
        second = await start(["run"], env, tmp_path, "second")
        await until(lambda: sent_count(db) == n, timeout=90, what="every reminder recorded as sent")
        got = deliveries(fake_tg)
        duplicates = sum(got.values()) - n
        print(f"\nkill -9 after {at_kill} deliveries: {len(got)}/{n} reminders delivered, "
              f"{duplicates} duplicates (in-flight batch at most {BATCH})")
        assert len(got) == n and set(got) == {FIRST_CHAT + i for i in range(1, n + 1)}
        assert 0 <= duplicates <= BATCH
        assert max(got.values()) <= 2
    except BaseException:
        print(logs(tmp_path))
        raise
    finally:
        await stop(first, signal.SIGKILL)
        if second is not None:
            await stop(second)
        db.dispose()


async def test_two_workers_on_postgresql_deliver_each_reminder_exactly_once(fake_tg, postgres_url, tmp_path):
    n = 2000
    db = Database(postgres_url)
    db.upgrade()
    seed_due_reminders(db, n)
    env = env_for(fake_tg, postgres_url, tmp_path)
    workers = [await start(["worker"], env, tmp_path, f"worker{i}") for i in (1, 2)]
    try:
        await until(lambda: sent_count(db) == n, timeout=90, what="every reminder recorded as sent")
        got = deliveries(fake_tg)
        with db.session() as s:
            by_worker = dict(s.exec(select(Outbox.claimed_by, func.count()).group_by(Outbox.claimed_by)).all())
        print(f"\ntwo workers: {len(got)}/{n} delivered, {sum(got.values()) - n} duplicates, by worker {by_worker}")
        assert len(got) == n and set(got.values()) == {1}
        assert len(by_worker) == 2, by_worker  # both processes took a share
    except BaseException:
        print(logs(tmp_path))
        raise
    finally:
        for proc in workers:
            await stop(proc)
        db.dispose()


@pytest.mark.parametrize("in_flight", [1, 8])
async def test_sigkill_of_one_of_two_postgresql_workers_with_slow_sends_doubles_at_most_its_sends_in_flight(
        fake_tg, postgres_url, tmp_path, in_flight):
    """Each sendMessage takes 0.5 s at the fake; one worker is killed mid-blast. Every result is committed
    within 50 ms of Telegram's answer (at once when ``DISPATCH_CONCURRENCY`` results wait), so the killed
    worker doubles only what it had in flight (the fake finishes a request whose sender died, as Telegram
    may) and the few results not yet committed: 1 with one send in flight, at most 2 × 8 − 1 with eight;
    never the batch. (Recorded once per batch, this doubled the whole batch: 16 of 16.)"""
    from bot.devtools import fake_telegram as ft

    n = 40 if in_flight == 1 else 160
    db = Database(postgres_url)
    db.upgrade()
    seed_due_reminders(db, n)
    fake_tg.inject("sendMessage", ft.Slow(0.5), times=None)
    env = env_for(fake_tg, postgres_url, tmp_path, DISPATCH_CONCURRENCY=str(in_flight), DISPATCH_BATCH="16",
                  DISPATCH_INTERVAL_SECONDS="1")  # a 20 s lease: a batch (16 × 0.5 s at most) fits in it

    killed: dict[str, int] = {}
    reached = asyncio.Event()
    count = 0

    def on_message(message, event):
        """At the n/4-th delivery, kill the worker whose message the fake just accepted, at once: that
        worker has this send (and its other ones of the round) in flight, and none of them answered yet."""
        nonlocal count
        if event != "sent" or message.chat.id <= FIRST_CHAT:
            return
        count += 1
        if count >= n // 4 and not killed:
            with db.session() as s:
                owner = s.exec(select(Outbox.claimed_by).where(Outbox.chat_id == message.chat.id)).one()
            pid = int(owner.rsplit(":", 1)[1])
            os.kill(pid, signal.SIGKILL)
            killed.update(pid=pid, at=count)
            reached.set()

    fake_tg.on_message(on_message)
    workers = [await start(["worker"], env, tmp_path, f"worker{i}") for i in (1, 2)]
    try:
        await asyncio.wait_for(reached.wait(), timeout=60)
        victim = next(p for p in workers if p.pid == killed["pid"])
        await victim.wait()
        assert killed["at"] < n, "everything was sent before the kill; seed more reminders"
        await until(lambda: sent_count(db) == n, timeout=90, what="every reminder recorded as sent")
        got = deliveries(fake_tg)
        duplicates = sum(got.values()) - n
        print(f"\nSIGKILL of 1 of 2 workers after {killed['at']} deliveries, {in_flight} in flight: {len(got)}/{n} "
              f"delivered, {duplicates} duplicates")
        assert len(got) == n and set(got) == {FIRST_CHAT + i for i in range(1, n + 1)}
        # The sends in flight, and the results not yet committed (fewer than in_flight, at most 50 ms old).
        assert 0 <= duplicates <= 2 * in_flight - 1
    except BaseException:
        print(logs(tmp_path))
        raise
    finally:
        for proc in workers:
            await stop(proc, signal.SIGKILL if proc.pid == killed.get("pid") else signal.SIGTERM)
        db.dispose()
