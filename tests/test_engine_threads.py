"""The update path off the event loop: handler bodies in the database thread pool (bot/runtime.py).

- Within a chat the updates still run one at a time and in order, while another chat's update runs and is
  answered meanwhile (the loop is free while a body waits in its thread; PostgreSQL).
- A failing body is rolled back whole: what it wrote, and the record of its update id (one transaction per
  update, bot/turn.py), and the person is asked kindly to try again.
- SIGTERM while a body is waiting on PostgreSQL: the update finishes (stored, answered) and the process
  exits 0.

The probe handler below is a test-only ``turn_handler`` body; everything around it (the update processor,
the thread pool, the session, the commit, the replies) is the bot's own.
"""

from __future__ import annotations

import asyncio
import signal
import threading

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select
from telegram.ext import CommandHandler

from bot.core.turn import Turn, turn_handler
from storage import chatstate
from storage.db import Database
from storage.models import ProcessedUpdate
from tests.test_reliability_support import bot_process, bot_settings, say
from tests.test_reminders_support import until


class Probe:
    """Records when each probe body starts and ends, in which thread; ``hold`` bodies wait for release."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.events: list[tuple[str, str, str]] = []  # (event, label, thread name)
        self.release = threading.Event()
        self.changed = asyncio.Event()
        self.lock = threading.Lock()

    def note(self, event: str, label: str) -> None:
        with self.lock:
            self.events.append((event, label, threading.current_thread().name))
        self.loop.call_soon_threadsafe(self.changed.set)

    def labels(self, event: str) -> list[str]:
        return [label for e, label, _ in self.events if e == event]

    async def until(self, predicate, timeout: float = 20.0) -> None:
        async def wait():
            while not predicate():
                self.changed.clear()
                await self.changed.wait()
        await asyncio.wait_for(wait(), timeout)

    def body(self, turn: Turn) -> None:
        label = " ".join(turn.args)
        self.note("start", label)
        chatstate.put(turn.session, turn.user_id, flow="probe", step=label, data={}, now=turn.now)
        if label.startswith("hold"):
            assert self.release.wait(20), "never released"
        if label.startswith("fail"):
            raise RuntimeError("probe failure")
        turn.reply(f"probe {label}")
        self.note("end", label)


def add_probe(running) -> Probe:
    probe = Probe(asyncio.get_running_loop())

    def probe_body(turn: Turn) -> None:  # a named function: turn_handler logs the body's name
        probe.body(turn)

    running.app.add_handler(CommandHandler("probe", turn_handler(probe_body)))
    group = running.app.handlers[0]
    group.insert(0, group.pop())  # first in its group: ahead of the bot's "unknown command" fallback
    return probe


@pytest.fixture
def threaded_settings(settings):
    return settings.with_(db_threads=4)  # off the loop on SQLite as well as on PostgreSQL


@pytest.mark.postgres
async def test_one_chat_in_order_while_another_chat_goes_ahead(postgres_url, clock, fake_tg):
    """PostgreSQL only: on SQLite one writer holds the whole file, so a body that waits inside its
    transaction holds every other chat whatever thread it runs in (and SQLite runs on the loop)."""
    from bot.devtools.harness import RunningBot

    db = Database(postgres_url)
    db.upgrade()
    threaded_settings = bot_settings(fake_tg, db, db_threads=4)

    ani, budi = fake_tg.user(user_id=91_001, first_name="Ani"), fake_tg.user(user_id=91_002, first_name="Budi")
    async with RunningBot(settings=threaded_settings, db=db, clock=clock, fake=fake_tg) as running:
        assert running.runtime.db_threads == 4
        probe = add_probe(running)
        await ani.send("/probe hold", wait=False)
        await probe.until(lambda: "hold" in probe.labels("start"))
        await ani.send("/probe second", wait=False)
        await budi.send("/probe other", wait=False)
        await probe.until(lambda: "other" in probe.labels("end"))
        # Budi was answered while Ani's first body still waits in its thread, and her second has not begun.
        assert probe.labels("start") == ["hold", "other"]
        await until(lambda: any(m.text == "probe other" for m in budi.messages), what="Budi's answer")
        assert probe.labels("start") == ["hold", "other"]
        assert not any((m.text or "").startswith("probe") for m in ani.messages)
        probe.release.set()
        await probe.until(lambda: "second" in probe.labels("end"))
        await fake_tg.wait_idle(timeout=20)
    assert [(e, label) for e, label, _ in probe.events if label != "other"] == [
        ("start", "hold"), ("end", "hold"), ("start", "second"), ("end", "second")]
    assert all(name.startswith("db") for _, _, name in probe.events)  # never on the event loop's thread
    assert [m.text for m in ani.messages if (m.text or "").startswith("probe")] == ["probe hold", "probe second"]
    with db.session() as s:
        assert chatstate.get(s, ani.id).step == "second"
    db.dispose()


async def test_a_failing_body_is_rolled_back_with_its_update_id(threaded_settings, db, clock, fake_tg, caplog):
    from bot.devtools.harness import RunningBot

    ani = fake_tg.user(user_id=91_011, first_name="Ani")
    async with RunningBot(settings=threaded_settings, db=db, clock=clock, fake=fake_tg) as running:
        probe = add_probe(running)
        await ani.send("/probe fine")
        with db.session() as s:
            seen_before = set(s.exec(select(ProcessedUpdate.update_id)).all())
        await ani.send("/probe fail")
        await fake_tg.wait_idle(timeout=20)
    assert probe.labels("start") == ["fine", "fail"] and probe.labels("end") == ["fine"]
    assert say("common.error_try_again") in [m.text for m in ani.messages]
    with db.session() as s:
        assert chatstate.get(s, ani.id).step == "fine"  # the failed body's write is gone
        seen_after = set(s.exec(select(ProcessedUpdate.update_id)).all())
    assert seen_after == seen_before  # the failed update's id was rolled back with the rest
    assert any("handler probe_body failed" in r.getMessage() for r in caplog.records)


@pytest.mark.postgres
async def test_sigterm_while_a_body_waits_on_postgresql_finishes_it_and_exits_0(fake_tg, postgres_url, tmp_path):
    db = Database(postgres_url)
    db.upgrade()
    user = fake_tg.user(user_id=91_021, first_name="Sari")
    proc = await bot_process(fake_tg, postgres_url, tmp_path, DB_THREADS="4")
    blocker = create_engine(postgres_url)
    try:
        with blocker.connect() as conn:
            conn.execute(text("LOCK TABLE processed_updates IN ACCESS EXCLUSIVE MODE"))  # held until rollback
            me = conn.execute(text("select pg_backend_pid()")).scalar()
            await user.send("/bantuan", wait=False)

            def waiting() -> bool:  # a session of the bot waits for this connection's lock
                with db.session() as s:
                    return bool(s.exec(text(  # type: ignore[call-overload]
                        "select count(*) from pg_stat_activity where :me = any(pg_blocking_pids(pid))"
                    ).bindparams(me=me)).one()[0])

            await until(waiting, timeout=30, what="the turn's first statement waiting for the lock")
            proc.send_signal(signal.SIGTERM)
            seen = b""
            while b"Application is stopping" not in seen:  # the process is shutting down, the body still waits
                line = await asyncio.wait_for(proc.stderr.readline(), 30)
                assert line, f"the process ended early:\n{seen.decode(errors='replace')[-3000:]}"
                seen += line
            assert not user.messages
            conn.rollback()  # release the lock: the waiting turn goes on
        _, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        blocker.dispose()
    assert proc.returncode == 0, err.decode(errors="replace")[-3000:]
    assert [m.text for m in user.messages] == [say("help.text")]
    with db.session() as s:
        assert s.exec(select(ProcessedUpdate)).first() is not None
    db.dispose()


def test_the_database_threads_follow_the_round_trip_to_the_database(db):
    """Little's law: as many threads as the measured round trip and commit call for, at least 4 for a server on
    this host, more when every commit waits for a slow flush to disk, up to the connection pool's size far away;
    DB_THREADS overrides; none on SQLite."""
    from bot.core.config import Settings
    from bot.core.runtime import Runtime, threads_for_round_trip

    threads = Runtime(settings=Settings(), db=db).db_threads
    if db.is_sqlite:
        assert threads == 0
    else:
        assert 4 <= threads <= db.pool_size
        commit = db.commit_seconds()
        assert commit is not None and commit > 0  # a commit that wrote, timed on the server
        assert 4 <= threads_for_round_trip(db.round_trip_seconds(), db.pool_size, commit) <= db.pool_size
    assert Runtime(settings=Settings(db_threads=3), db=db).db_threads == 3
    assert threads_for_round_trip(0.00015, 20) == 4  # the same host, fast commits: the floor
    assert threads_for_round_trip(0.00019, 20, 0.0036) == 4  # the same host, a 3.6 ms flush at every commit
    assert threads_for_round_trip(0.00019, 20, 0.008) == 6  # a slow disk
    assert threads_for_round_trip(0.0023, 20) == 11  # 1 ms each way
    assert threads_for_round_trip(0.0044, 20) == 19  # 2 ms each way
    assert threads_for_round_trip(0.05, 20) == 20  # never more than the pooled connections
    if db.is_sqlite:
        assert db.commit_seconds() is None  # SQLite: no server, no pool
