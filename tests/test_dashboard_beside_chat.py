"""The dashboard cannot stall the families (issue 27, failure 2): its long work — the families table, the
exports, the analysis, seconds of queries — runs off the event loop (``Runtime.run_off_loop``), reads without
the SQLite write lock (``storage.db.reading``), and on PostgreSQL never takes every database thread. Here a
dashboard read is held open, mid-transaction, while a family talks to the bot: the family is answered before
the read ends. Before the fix, the read took the write lock (SQLite) or ran on the loop, and the family's turn
waited for it (8.6 s in the outside attack).
"""

from __future__ import annotations

import asyncio
import threading

from sqlmodel import select

from storage.db import reading
from storage.models import ProcessedUpdate
from tests.test_reliability_support import say


async def test_a_family_is_answered_while_a_dashboard_read_is_held_open(bot, db, mother):
    rt = bot.runtime
    await mother.send("/start")  # the family's first turn: everything warmed up
    inside, release = threading.Event(), threading.Event()

    def dashboard_read() -> int:
        with reading(), rt.db.session() as session:
            rows = len(session.exec(select(ProcessedUpdate)).all())  # the read transaction is open from here on
            inside.set()
            if not release.wait(20):
                raise AssertionError("the family's reply never came while the read was open")
            return rows

    read = asyncio.ensure_future(rt.run_off_loop(dashboard_read))
    try:
        assert await asyncio.to_thread(inside.wait, 10)
        await mother.send("/bantuan")  # returns once the bot has finished this update
        assert mother.last_reply.text == say("help.text")
        assert not read.done()  # the dashboard's read was still open when the family was answered
    finally:
        release.set()
    assert await read >= 1


async def test_the_dashboard_never_takes_every_database_thread(bot, db, mother):
    rt = bot.runtime
    await mother.send("/start")
    holding = threading.Semaphore(0)
    release = threading.Event()

    def long_export() -> None:
        holding.release()
        release.wait(20)

    exports = [asyncio.ensure_future(rt.run_off_loop(long_export)) for _ in range(max(2, rt.db_threads or 0) + 2)]
    try:
        assert await asyncio.to_thread(holding.acquire, True, 10)  # at least one export holds a thread
        await mother.send("/bantuan")
        assert mother.last_reply.text == say("help.text")
        assert not any(e.done() for e in exports)
    finally:
        release.set()
    await asyncio.gather(*exports)
