"""One family floods the bot; do the others still get their answers at once? (issue 27, bot/core/updates.py)

One chat sends ``--flood`` messages (2,000) at once while ``--chats`` other chats (20) each send a message every
``--interval`` seconds (0.5) for ``--seconds`` (10): the real Application on SQLite (or ``--postgres``) against the project's fake
Bot API (a process of its own, bench/fakeproc.py). The reply time of each of the others' messages is measured
from the moment it was queued on the fake until the bot has finished it (its reply sent): p50 / p99 / max.

Two update processors are compared in the same run:

- ``fair``: the bot's (``PerChatUpdateProcessor``): a chat waits for its turn before it takes one of the 64 shared
  slots, its queue is bounded (the surplus dropped, the chat asked once to wait);
- ``slot-first``: the processor before issue 27, kept here to show what it did: the slot first, then the
  chat's lock, every update queued, so the flood's backlog fills every slot;
- ``quiet``: the bot's processor and the same 20 chats without any flood: what the machine gives them anyway
  (on a shared machine the baseline moves).

    python -m bench.flood [--flood 2000] [--chats 20] [--seconds 10] [--only quiet,fair,slot-first] [--postgres]
    [--fake project|mini]

Target: the others' p99 under 0.5 s with the fair processor.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import time

from telegram import Update

from bench.common import DEFAULT_PG, Report, database, percentile, section
from bench.engine import Clock
from bench.fakeproc import FakeServer

FLOOD_CHAT = 700_000_001
OTHERS = 710_000_000


def text_update(chat: int, message_id: int, text: str) -> dict:
    entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") else []
    return {"message": {"message_id": message_id,
                        "from": {"id": chat, "is_bot": False, "first_name": "Siti", "language_code": "id"},
                        "chat": {"id": chat, "type": "private", "first_name": "Siti"},
                        "date": int(time.time()), "text": text, **({"entities": entities} if entities else {})}}


def fair_processor(clock: Clock):
    from bot.core.updates import PerChatUpdateProcessor

    return PerChatUpdateProcessor(64, on_processed=clock.finished)


def slot_first_processor(clock: Clock):
    """The processor before issue 27: one of the shared slots first, then the chat's lock; no bound."""
    from bot.core.updates import PerChatUpdateProcessor, _chat_key

    class SlotFirst(PerChatUpdateProcessor):
        async def process_update(self, update, coroutine) -> None:  # type: ignore[override]
            try:
                async with self._semaphore:
                    key = _chat_key(update)
                    if key is None:
                        await coroutine
                        return
                    lock = self._locks.setdefault(key, asyncio.Lock())
                    async with lock:
                        await coroutine
            finally:
                clock.finished(update)

    return SlotFirst(64, max_queue=10**9)


PROCESSORS = {"fair": fair_processor, "slot-first": slot_first_processor, "quiet": fair_processor}


async def run_variant(fake: FakeServer, url: str, name: str, *, flood: int, chats: int, interval: float,
                      seconds: float, timeout: float, offset: int = 0) -> dict:
    from bot.core.app import build_application
    from bot.core.config import Settings
    from storage.db import Database

    clock = Clock()
    settings = Settings(token=fake.token, api_url=fake.base_url, database_url=url, rate_limit=False,
                        run_dispatcher=False, health_file=None, log_level="WARNING")
    db = Database(url)
    app = build_application(settings, db=db, update_processor=PROCESSORS[name](clock))
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)
    base, flooder = OTHERS + 1000 * offset, FLOOD_CHAT + offset
    try:
        clock.expect(chats)  # warm-up: every other chat once
        await fake.enqueue([text_update(base + c, 1, "/bantuan") for c in range(chats)])
        await clock.wait(timeout)
        clock.expect(0)
        if name == "quiet":  # the same chats without the flood: what this machine gives them anyway
            flood = 0
        answer = await fake.call("enqueue", updates=[text_update(flooder, i + 1, f"halo {i}")
                                                     for i in range(flood)])
        flood_ids = range(answer["first"], answer["last"] + 1) if flood else range(0)
        flood_start = time.perf_counter()
        handed: dict[int, float] = {}
        ticks: dict[int, int] = {}
        start = time.perf_counter()
        tick = 0
        while time.perf_counter() - start < seconds:
            tick += 1
            answer = await fake.call("enqueue", updates=[text_update(base + c, tick + 1, "/bantuan")
                                                         for c in range(chats)])
            now = time.perf_counter()
            handed.update({u: now for u in range(answer["first"], answer["last"] + 1)})
            ticks.update({u: tick for u in range(answer["first"], answer["last"] + 1)})
            await asyncio.sleep(max(0.0, start + tick * interval - time.perf_counter()))
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline and not all(u in clock.done for u in handed):
            await asyncio.sleep(0.05)
        flood_left = sum(1 for u in flood_ids if u not in clock.done)
        latencies = [clock.done[u] - t for u, t in handed.items() if u in clock.done]
        unanswered = len(handed) - len(latencies)
        flood_done = max((clock.done[u] for u in flood_ids if u in clock.done), default=flood_start)
        dropped = getattr(app.update_processor, "dropped_total", 0)
        first = [clock.done[u] - t for u, t in handed.items() if u in clock.done and ticks[u] == 1]
        later = [clock.done[u] - t for u, t in handed.items() if u in clock.done and ticks[u] > 1]
        return {"name": name, "p50": percentile(latencies, 50), "p99": percentile(latencies, 99),
                "max": max(latencies, default=float("nan")), "n": len(latencies), "unanswered": unanswered,
                "flood_seconds": flood_done - flood_start, "flood_left": flood_left, "dropped": dropped,
                "first_max": max(first, default=float("nan")), "later_p99": percentile(later, 99)}
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
        db.dispose()


async def run(report: Report, *, flood: int, chats: int, interval: float, seconds: float, only: list[str],
              timeout: float, postgres: str | None = None, fake_kind: str = "project") -> None:
    from bench.mini_bot_api import MiniServer

    section(f"1c. A flood: one chat sends {flood:,} messages while {chats} others send one every {interval:g} s"
            f" ({'PostgreSQL' if postgres else 'SQLite'}, the {fake_kind} fake Bot API)")
    load = os.getloadavg()[0]
    from storage.db import Database

    with contextlib.ExitStack() as stack:
        async with (MiniServer() if fake_kind == "mini" else FakeServer()) as fake:
            for offset, name in enumerate(only):
                url = stack.enter_context(database("postgres" if postgres else "sqlite", postgres, f"flood-{name}"))
                Database(url).upgrade()
                r = await run_variant(fake, url, name, flood=flood, chats=chats, interval=interval,
                                      seconds=seconds, timeout=timeout, offset=offset)
                met = r["p99"] < 0.5 if name == "fair" else None
                load = os.getloadavg()[0]
                report.add("flood", f"({name}) the others' reply time p50 / p99 / max", r["p99"] * 1000, "ms",
                           text=f"{r['p50'] * 1000:.0f} / {r['p99'] * 1000:.0f} / {r['max'] * 1000:.0f} ms",
                           target="p99 < 500 ms" if name == "fair" else "", met=met,
                           note=f"{r['n']} replies, {r['unanswered']} unanswered in time; load average {load:.1f}")
                report.add("flood", f"({name}) the others: the first round's slowest / p99 of the later rounds",
                           r["later_p99"] * 1000, "ms",
                           text=f"{r['first_max'] * 1000:.0f} / {r['later_p99'] * 1000:.0f} ms",
                           note="the first round is queued on the fake behind the whole flood")
                report.add("flood", f"({name}) the flood: dropped / still queued at the end", r["dropped"], "",
                           text=f"{r['dropped']} dropped, {r['flood_left']} left, last one done after "
                                f"{r['flood_seconds']:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.flood", description=__doc__.split("\n")[0])
    parser.add_argument("--flood", type=int, default=2000)
    parser.add_argument("--chats", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--only", default="quiet,fair,slot-first", help="quiet, fair, slot-first")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG, default=None, metavar="URL",
                        help="run the bot on PostgreSQL (default URL: the bench's) instead of SQLite")
    parser.add_argument("--fake", choices=("project", "mini"), default="project",
                        help="the fake Bot API: the project's (default) or bench/mini_bot_api.py")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")
    report = Report(quick=False)
    asyncio.run(run(report, flood=args.flood, chats=args.chats, interval=args.interval, seconds=args.seconds,
                    only=[n.strip() for n in args.only.split(",") if n.strip()], timeout=args.timeout,
                    postgres=args.postgres, fake_kind=args.fake))
    print()
    print(report.table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
