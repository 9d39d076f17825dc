"""1b. The engine room: /start from new users, the bare echo bot beside our bot on SQLite and on PostgreSQL
with 0, 1 and 2 ms of one-way network delay between the bot and the database.

One fake Bot API (bench/fakeproc.py) and one latency proxy (bench/latency_proxy.py) run in processes of their
own; the bots run here, one at a time, rounds interleaved (the machine's load changes over time). Each
variant, each round:

- **throughput**: N updates from N new people, each ``/start``, queued at once and taken as fast as the bot
  takes them (updates/s);
- **offered load**: updates arriving at a steady ``--rate`` (100/s) for a few seconds, from new people again;
  the latency of each is measured from the moment it was due (its place in the schedule) until the bot has
  finished it (its replies sent): the delay a person would see, queueing included (p50 / p99).

Variants: (a) the bare PTB echo bot (bench/echo_bot.py, one sendMessage per update, no database); (af) the
same echo bot with our per-chat, fair update processor (bot/core/updates.py) in place of PTB's, the cost of
fairness alone; (b) our
bot on SQLite (the turn on the event loop, as configured by default); (c) our bot on PostgreSQL, direct; and
(d0/d1/d2) through the latency proxy at 0, 1 and 2 ms one way, with the database thread pool (the default on
PostgreSQL) and (l2) at 2 ms with the turn on the event loop (``DB_THREADS=0``, the path before issue 19).
The proxy's real round trip is measured too (``SELECT 1``), since a loaded machine adds to the nominal delay,
and so is a commit that writes (its log flushed to disk), which the bot's database threads are sized by.

Two fake Bot APIs can serve the run (``--fake``): the project's own (bench/fakeproc.py: the full fake of
bot/devtools/fake_telegram in a process of its own, the default) and a second, independent, minimal one
(bench/mini_bot_api.py: getUpdates/sendMessage/getMe and nothing else). ``--fake both`` runs every variant
against each, one after the other, and reports each ratio against the echo bot served by the same fake.

    python -m bench.engine [--quick] [--postgres URL] [--rate 100] [--fake project|mini|both]
    (or: python -m bench --only engine)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import json
import logging
import os
import time
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import Application, SimpleUpdateProcessor

from bench.common import DEFAULT_PG, Report, cpu_seconds, database, percentile, postgres_available, section
from bench.fakeproc import FakeServer
from bot.core.heap import SETTLED_HEAP

CONCURRENCY = 64


class Clock:
    """When each update was handed to the fake, and when the bot finished it (by update id)."""

    def __init__(self) -> None:
        self.handed: dict[int, float] = {}
        self.done: dict[int, float] = {}
        self.started = 0
        self.target = 0
        self.event = asyncio.Event()

    def expect(self, n: int) -> None:
        self.target, self.started = n, 0
        self.event.clear()
        if n == 0:
            self.event.set()

    def finished(self, update: object) -> None:
        update_id = getattr(update, "update_id", None)
        if update_id is not None:
            self.done[update_id] = time.perf_counter()
        self.started += 1
        if self.started >= self.target:
            self.event.set()

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.event.wait(), timeout)
        except TimeoutError:
            raise RuntimeError(f"the bot finished {self.started} of {self.target} updates in {timeout:g} s") from None


def simple_processor(clock: Clock) -> SimpleUpdateProcessor:
    class Timed(SimpleUpdateProcessor):
        async def do_process_update(self, update, coroutine) -> None:
            try:
                await coroutine
            finally:
                clock.finished(update)

    return Timed(CONCURRENCY)


def per_chat_processor(clock: Clock):
    from bot.core.updates import PerChatUpdateProcessor

    return PerChatUpdateProcessor(CONCURRENCY, on_processed=clock.finished)


def start_update(tg: int, message_id: int) -> dict:
    return {"message": {"message_id": message_id,
                        "from": {"id": tg, "is_bot": False, "first_name": "Siti", "language_code": "id"},
                        "chat": {"id": tg, "type": "private", "first_name": "Siti"},
                        "date": int(time.time()), "text": "/start",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}}


class People:
    """New people: every update comes from someone the bot has never seen."""

    def __init__(self, base: int):
        self.next = base

    def updates(self, n: int) -> list[dict]:
        out = [start_update(self.next + i, 1) for i in range(n)]
        self.next += n
        return out


@dataclass
class Variant:
    key: str
    label: str
    url: str | None = None  # None: the echo bot
    db_threads: int | None = None  # None: the bot's default
    as_run: bool = False  # the settings of `python -m bot run` (INFO log written, dispatcher and heartbeat on)
    fair: bool = False  # the echo bot with our per-chat, fair update processor instead of PTB's
    rates: list[float] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds, offered load
    offered: list[float] = field(default_factory=list)  # achieved offered rate per round
    cpu: list[float] = field(default_factory=list)  # bot-process CPU seconds per update, throughput phase
    fake_cpu: list[float] = field(default_factory=list)  # the fake Bot API's CPU seconds per update, same phase
    calls: list[float] = field(default_factory=list)  # Bot API calls the fake served per update, same phase
    errors: int = 0

    @property
    def rate(self) -> float:
        return sorted(self.rates)[len(self.rates) // 2] if self.rates else float("nan")

    def pct(self, p: float) -> float:
        return percentile(self.latencies, p) * 1000


def build_app(fake: FakeServer, variant: Variant, clock: Clock) -> Application:
    if variant.url is None:
        from bench import echo_bot

        return echo_bot.build(fake.token, fake.base_url,
                              per_chat_processor(clock) if variant.fair else simple_processor(clock))
    from bot.core.app import build_application
    from bot.core.config import Settings
    from storage.db import Database

    options = dict(token=fake.token, api_url=fake.base_url, database_url=variant.url, rate_limit=False,
                   run_dispatcher=False, health_file=None, log_level="WARNING")
    if variant.as_run:  # as `python -m bot run` runs it (RATE_LIMIT=false only): the dispatcher, the health file
        options.update(run_dispatcher=True, log_level="INFO")
        options.pop("health_file")
    if variant.db_threads is not None and "db_threads" in {f.name for f in dataclasses.fields(Settings)}:
        options["db_threads"] = variant.db_threads
    # As `python -m bot run` composes it: the start-up heap set aside from the garbage collector once it is up.
    return build_application(Settings(**options), db=Database(variant.url), update_processor=per_chat_processor(clock),
                             services=(SETTLED_HEAP,))


class ErrorCount(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def run_round(fake: FakeServer, variant: Variant, people: People, *, n: int, rate: float, seconds: float,
                    timeout: float = 300) -> None:
    # Every bot runs in this one process, which holds every bot's modules and the previous rounds' objects: a
    # bare echo bot in a process of its own would not walk those in its full garbage collections. Set aside
    # before every round, for every variant, so no bot pays for what the bench or another bot left.
    gc.collect()
    gc.freeze()
    clock = Clock()
    app = build_app(fake, variant, clock)
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    written = logging.FileHandler(os.devnull) if variant.as_run else None  # an INFO log, formatted and written
    root_level = logging.getLogger().level
    if written is not None:
        written.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(written)
        logging.getLogger().setLevel(logging.INFO)
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=Update.ALL_TYPES)
    try:
        clock.expect(20)  # warm-up: connections, caches
        await fake.enqueue(people.updates(20))
        await clock.wait(timeout)

        batch = people.updates(n)  # throughput
        clock.expect(n)
        before = await fake.call("cpu")
        fake_cpu0, calls0 = before["cpu"], before.get("calls", 0)
        cpu0, start = cpu_seconds(), time.perf_counter()
        await fake.enqueue(batch)
        await clock.wait(timeout)
        variant.rates.append(n / (time.perf_counter() - start))
        variant.cpu.append((cpu_seconds() - cpu0) / n)
        after = await fake.call("cpu")
        variant.fake_cpu.append((after["cpu"] - fake_cpu0) / n)
        variant.calls.append((after.get("calls", 0) - calls0) / n)

        total = int(rate * seconds)  # offered load: update i is due at start + i/rate (an absolute schedule)
        clock.expect(total)
        handed: dict[int, float] = {}
        start = time.perf_counter()
        sent = 0
        while sent < total:
            due = min(total, int((time.perf_counter() - start) * rate) + 1)
            if due > sent:  # everything due by now, in one call (a slow pipe never slows the schedule)
                answer = await fake.call("enqueue", updates=people.updates(due - sent))
                for k, update_id in enumerate(range(answer["first"], answer["last"] + 1)):
                    handed[update_id] = start + (sent + k) / rate  # latency counts from when it was due
                sent = due
            wait = start + sent / rate - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
        variant.offered.append(total / (time.perf_counter() - start))
        await clock.wait(timeout)
        variant.latencies.extend(clock.done[u] - t for u, t in handed.items())
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
        runtime = app.bot_data.get("runtime")
        if runtime is not None:  # each round's bot has its own engine: its connections go with it
            runtime.db.dispose()
        logging.getLogger().removeHandler(errors)
        if written is not None:
            logging.getLogger().removeHandler(written)
            logging.getLogger().setLevel(root_level)
            written.close()
    variant.errors += errors.count


def query_round_trip_ms(url: str, n: int = 200) -> float:
    """The median ``SELECT 1`` through this URL (the measurement the bot sizes its database threads by)."""
    from storage.db import Database

    db = Database(url)
    try:
        seconds = db.round_trip_seconds(samples=n)
        return float("nan") if seconds is None else seconds * 1000
    finally:
        db.dispose()


async def run(report: Report, *, quick: bool, pg_base: str | None, rate: float = 100.0,
              only: set[str] | None = None, rounds: int | None = None, n: int | None = None,
              seconds: float | None = None, fake_kind: str = "project") -> None:
    from bench.latency_proxy import LatencyProxy
    from bench.mini_bot_api import MiniServer

    section("1b. The engine room: /start from new users, echo bot vs SQLite vs PostgreSQL at 0/1/2 ms"
            + ("" if fake_kind == "project" else f" (the {fake_kind} fake Bot API)"))
    tag = "" if fake_kind == "project" else f"[{fake_kind} API] "
    rounds = rounds or (2 if quick else 3)
    n = n or (300 if quick else 1000)
    seconds = seconds or (4.0 if quick else 10.0)
    people = People(900_000_000)
    async with contextlib.AsyncExitStack() as stack:
        sqlite = stack.enter_context(database("sqlite", None, "engine"))
        from storage.db import Database

        Database(sqlite).upgrade()
        variants = [Variant("a", "(a) bare PTB echo bot"),
                    Variant("af", "(af) the echo bot with our fair update processor (bot/core/updates.py)", fair=True),
                    Variant("b", "(b) our bot, SQLite (on the loop)", sqlite),
                    Variant("b1", "(b1) our bot, SQLite, 1 database thread", sqlite, db_threads=1)]
        proxy = None
        round_trips: dict[str, float] = {}
        if pg_base:
            pg = stack.enter_context(database("postgres", pg_base, "engine"))
            Database(pg).upgrade()
            proxy = await stack.enter_async_context(LatencyProxy(_target(pg_base), [0, 1, 2]))
            variants.append(Variant("c", "(c) our bot, PostgreSQL direct (thread pool)", pg))
            variants.append(Variant("c0", "(c0) our bot, PostgreSQL direct, on the loop (DB_THREADS=0)", pg,
                                    db_threads=0))
            variants.append(Variant("r", "(r) our bot, PostgreSQL direct, as `python -m bot run` runs it", pg,
                                    as_run=True))
            for ms in (0, 1, 2):
                variants.append(Variant(f"d{ms}", f"(d{ms}) our bot, PostgreSQL +{ms} ms each way (thread pool)",
                                        proxy.url(pg, ms)))
            variants.append(Variant("l2", "(l2) our bot, PostgreSQL +2 ms each way, on the loop (DB_THREADS=0)",
                                    proxy.url(pg, 2), db_threads=0))
            round_trips = {"direct": query_round_trip_ms(pg)}
            probe = Database(pg)
            commit_s = probe.commit_seconds(samples=20)
            probe.dispose()
            print(f"    a commit that wrote (the WAL flushed), direct: "
                  f"{'unknown' if commit_s is None else f'{commit_s * 1000:.2f} ms'}", flush=True)
            for ms in (0, 1, 2):
                round_trips[f"{ms} ms"] = query_round_trip_ms(proxy.url(pg, ms))
            print("    SELECT 1 round trip (p50): " + ", ".join(f"{k} {v:.2f} ms" for k, v in round_trips.items()),
                  flush=True)
        if only:
            variants = [v for v in variants if v.key in only or v.key == "a"]
        print(f"    {rounds} rounds; each: {n} /start at once, then {rate:g}/s offered for {seconds:g} s",
              flush=True)
        async with (MiniServer() if fake_kind == "mini" else FakeServer()) as fake:
            for r in range(rounds):
                for v in variants:
                    await run_round(fake, v, people, n=n, rate=rate, seconds=seconds)
                    print(f"    round {r + 1} {v.label}: {v.rates[-1]:,.0f}/s", flush=True)
    for v in variants:
        spread = f"{min(v.rates):,.0f}–{max(v.rates):,.0f}"
        print(f"    {v.label}: {v.rate:,.0f}/s (rounds {spread}), CPU {1000 * sum(v.cpu) / len(v.cpu):.2f} ms/update "
              f"(the fake's {1000 * sum(v.fake_cpu) / len(v.fake_cpu):.2f} ms, {sum(v.calls) / len(v.calls):.2f} "
              f"Bot API calls); "
              f"at {rate:g}/s offered (got {min(v.offered):.0f}–{max(v.offered):.0f}/s): p50 {v.pct(50):.1f} ms, "
              f"p99 {v.pct(99):.1f} ms; errors {v.errors}", flush=True)
    by = {v.key: v for v in variants}
    a = by["a"]
    report.add("engine", f"{tag}(a) bare PTB echo bot, /start: updates/s", a.rate, "/s", note=_spread(a))
    report.add("engine", f"{tag}(a) p50 / p99 at {rate:g}/s offered", a.pct(99), "ms", text=_pcts(a))
    for key in ("af", "b", "b1", "c", "c0", "r", "d0", "d1", "d2", "l2"):
        v = by.get(key)
        if v is None:
            continue
        report.add("engine", f"{tag}{v.label}: updates/s", v.rate, "/s", note=_spread(v))
        target, met = "", None
        if key == "b":
            target, met = "≥ 0.8", v.rate / a.rate >= 0.8
        elif key in ("c", "d0"):
            target, met = "≥ 0.6", v.rate / a.rate >= 0.6
        report.add("engine", f"  {tag}{key}/(a)", v.rate / a.rate, "x", target=target, met=met)
        report.add("engine", f"  {tag}{key} p50 / p99 at {rate:g}/s offered", v.pct(99), "ms", text=_pcts(v),
                   target="p99 < 50 ms" if key == "d2" else "", met=(v.pct(99) < 50) if key == "d2" else None)
        if v.errors:
            report.note(f"{v.label}: {v.errors} errors logged")
    if "d2" in by and "d0" in by:
        ratio = by["d2"].rate / by["d0"].rate
        report.add("engine", "  d2/d0 (2 ms vs 0 ms, through the proxy)", ratio, "x", target="≥ 0.8", met=ratio >= 0.8)
    if "l2" in by and "d2" in by:
        report.add("engine", "  d2/l2 (thread pool vs on the loop, at 2 ms)", by["d2"].rate / by["l2"].rate, "x")
    for name, ms in round_trips.items():
        report.add("engine", f"  SELECT 1 round trip, {name}", ms, "ms")


def _spread(v: Variant) -> str:
    return f"rounds {', '.join(f'{r:,.0f}' for r in v.rates)}"


def _pcts(v: Variant) -> str:
    return f"{v.pct(50):.1f} / {v.pct(99):.1f} ms"


def _target(pg_base: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(pg_base)
    return f"{url.host or '127.0.0.1'}:{url.port or 5432}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engine", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--postgres", default=DEFAULT_PG, metavar="URL")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--rate", type=float, default=100.0, help="offered updates/s (default 100)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures here")
    parser.add_argument("--only", help="comma-separated variant keys (a, af, b, b1, c, c0, r, d0, d1, d2, l2); "
                                       "a always runs")
    parser.add_argument("--rounds", type=int, help="rounds (default 2 quick, 3 full)")
    parser.add_argument("--n", type=int, help="updates queued at once per round (default 300 quick, 1000 full)")
    parser.add_argument("--seconds", type=float, help="seconds of offered load per round (default 4 quick, 10 full)")
    parser.add_argument("--fake", choices=("project", "mini", "both"), default="project",
                        help="which fake Bot API serves the run (bench/mini_bot_api.py: the minimal one)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    pg = None if args.no_postgres or not postgres_available(args.postgres) else args.postgres
    report = Report(quick=args.quick)
    only = set(args.only.split(",")) if args.only else None
    for kind in ("project", "mini") if args.fake == "both" else (args.fake,):
        asyncio.run(run(report, quick=args.quick, pg_base=pg, rate=args.rate, only=only, rounds=args.rounds,
                        n=args.n, seconds=args.seconds, fake_kind=kind))
    print()
    print(report.table())
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report.as_json(), handle, indent=2, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
