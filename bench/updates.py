"""1. Update handling: how many updates a second the bot takes from the fake Bot API, next to a bare PTB bot.

One fake Bot API (bench/fakeproc.py, a process of its own) serves every variant in turn:

(a)  a bare PTB 22 echo bot (bench/echo_bot.py): text message → sendMessage;
(a2) a bare PTB bot answering a button press with the same three Bot API calls as our checklist
     (answerCallbackQuery, editMessageText, sendMessage) and nothing else;
(b)  our bot (the real Application from bot/core/app.py) processing checklist answers on SQLite:
     callback ``ceklis:a:<measurement>:<item>:<value>`` → duplicate check → validate → answer row written →
     the question edited to show the answer → the next question sent (every 16th answer finishes the
     checklist and sends the score);
(c)  the same on PostgreSQL.

Each variant: a warm-up, then N updates queued at once and taken as fast as the bot takes them (throughput,
and the processing time of each update under that load), then updates sent one at a time (the handler's own
latency, without queueing behind other updates). Processing time is measured inside the bot process, from the
moment the update processor starts an update until its handler and its Bot API calls are finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import select
from telegram.ext import Application, SimpleUpdateProcessor

from bench import seed
from bench.common import Report, cpu_seconds, database, percentile, section
from bench.fakeproc import FakeServer
from bot.core.intake import ALLOWED_UPDATES

INSTRUMENT = "oksitosin16"
PROTOCOL = "seed002"  # a protocol that uses the oksitosin16 checklist (16 yes/no questions)
CONCURRENCY = 64  # as bot/core/updates.PerChatUpdateProcessor


# -- measuring inside the bot ------------------------------------------------------------------------------

_api_wait: ContextVar[list[float] | None] = ContextVar("bench_api_wait", default=None)


def time_bot_api_calls() -> None:
    """Count, per update, the time spent inside Bot API requests (so the bot's own work can be told apart)."""
    from telegram.request import HTTPXRequest

    from bot.core.telegram_http import AiohttpRequest

    for cls in (HTTPXRequest, AiohttpRequest):
        if getattr(cls.do_request, "_bench_timed", False):
            continue
        cls.do_request = _timed(cls.do_request)


def _timed(original):
    async def do_request(self, *args, **kwargs):
        holder = _api_wait.get()
        if holder is None:
            return await original(self, *args, **kwargs)
        start = time.perf_counter()
        try:
            return await original(self, *args, **kwargs)
        finally:
            holder[0] += time.perf_counter() - start

    do_request._bench_timed = True  # type: ignore[attr-defined]
    return do_request


class Meter:
    def __init__(self) -> None:
        self.expect(0)

    def expect(self, n: int) -> None:
        self.target = n
        self.count = 0
        self.latencies: list[float] = []
        self.own: list[float] = []  # the same, minus the time spent waiting for Bot API answers
        self.event = asyncio.Event()
        if n == 0:
            self.event.set()

    async def measure(self, awaitable) -> None:
        holder = [0.0]
        _api_wait.set(holder)  # this update's own task: its Bot API calls add to holder
        start = time.perf_counter()
        try:
            await awaitable
        finally:
            total = time.perf_counter() - start
            self.done(total, total - holder[0])

    def done(self, seconds: float, own: float) -> None:
        self.count += 1
        self.latencies.append(seconds)
        self.own.append(own)
        if self.count >= self.target:
            self.event.set()

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.event.wait(), timeout)
        except TimeoutError:
            raise RuntimeError(f"the bot processed {self.count} of {self.target} updates in {timeout:g} s") from None


class MeteredSimple(SimpleUpdateProcessor):
    def __init__(self, meter: Meter, max_concurrent_updates: int = CONCURRENCY):
        super().__init__(max_concurrent_updates)
        self.meter = meter

    async def do_process_update(self, update, coroutine) -> None:
        await self.meter.measure(coroutine)


def metered_per_chat(meter: Meter):
    from bot.core.updates import PerChatUpdateProcessor

    class MeteredPerChat(PerChatUpdateProcessor):
        async def do_process_update(self, update, coroutine) -> None:
            await meter.measure(super().do_process_update(update, coroutine))

    return MeteredPerChat(CONCURRENCY)


class ErrorCount(logging.Handler):
    """Counts ERROR records while a variant runs (a failed handler logs one)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            self.first = record.getMessage()[:300]


# -- updates ----------------------------------------------------------------------------------------------

def _user(tg: int, name: str = "Siti") -> dict:
    return {"id": tg, "is_bot": False, "first_name": name, "language_code": "id"}


def text_update(tg: int, message_id: int, text: str) -> dict:
    return {"message": {"message_id": message_id, "from": _user(tg),
                        "chat": {"id": tg, "type": "private", "first_name": "Siti"},
                        "date": int(time.time()), "text": text}}


def callback_update(tg: int, message: dict, data: str, query_id: str) -> dict:
    return {"callback_query": {"id": query_id, "from": _user(tg), "message": message,
                               "chat_instance": str(tg * 7 + 3), "data": data}}


def encode(line: list[dict]) -> bytes:
    return (json.dumps({"op": "enqueue", "updates": line}) + "\n").encode()


@dataclass
class Workload:
    warm: list[dict]
    main: list[dict]
    seq: list[dict]


def rounds_of(batches: list[list[dict]]) -> list[Workload]:
    """Consecutive (warm, main, seq) triples of update lists, one per round."""
    return [Workload(*batches[i:i + 3]) for i in range(0, len(batches), 3)]


async def _bot_messages(fake: FakeServer, chat_ids: list[int], text: str, markup: dict | None) -> dict[int, dict]:
    items = [{"chat_id": c, "text": text, "reply_markup": markup} for c in chat_ids]
    answer = await fake.call("bot_messages", items=items)
    return {m["chat"]["id"]: m for m in answer["messages"]}


async def echo_workload(fake: FakeServer, sizes: list[int], chats: int) -> list[Workload]:
    """Text messages from ``chats`` people (each batch its own people), for the echo bot."""
    base = 500_000_000
    counter = iter(range(1, 10**9))

    def batch(n: int, offset: int) -> list[dict]:
        return [text_update(base + offset + (i % chats), next(counter), f"halo {i}") for i in range(n)]

    return rounds_of([batch(n, k * chats) for k, n in enumerate(sizes)])


async def echo_callback_workload(fake: FakeServer, sizes: list[int], chats: int) -> list[Workload]:
    """Button presses on a message the bot sent, for the bare bot making the same calls as our checklist."""
    base = 600_000_000
    ids = [base + i for i in range(len(sizes) * chats)]
    markup = {"inline_keyboard": [[{"text": "Ya", "callback_data": "x:ya"}, {"text": "Tidak", "callback_data": "x:t"}]]}
    messages = await _bot_messages(fake, ids, "Pertanyaan 1", markup)
    counter = iter(range(10**9))

    def batch(n: int, offset: int) -> list[dict]:
        out = []
        for i in range(n):
            tg = ids[offset + i % chats]
            k = next(counter)
            out.append(callback_update(tg, messages[tg], f"x:{k}:ya", f"e{k}"))
        return out

    return rounds_of([batch(n, k * chats) for k, n in enumerate(sizes)])


def _token(item, value) -> str:
    if item.answer_type == "yesno":
        return "ya" if value else "tidak"
    return str(value)


async def checklist_workload(fake: FakeServer, url: str, sizes: list[int], telegram_base: int
                             ) -> tuple[list[Workload], int]:
    """Families with an open oksitosin16 checklist, and their answers as button presses (each batch its own
    families; question 1 of every family, then question 2 …; the 16th answer finishes the checklist).

    Returns the rounds and the number of answers the database must hold afterwards.
    """
    from content import get_content
    from storage.db import Database

    content = get_content()
    instrument = content.instruments[INSTRUMENT]
    items = instrument.items
    per_family = len(items)
    db = Database(url)
    db.upgrade()
    now = datetime.now(UTC)
    birth = (now.astimezone(ZoneInfo("Asia/Jakarta")) - timedelta(days=1)).date()
    rng = random.Random(7)

    groups = []
    offset = 0
    for k, n in enumerate(sizes):
        count = max(1, -(-n // per_family))
        fams = seed.families(db, count, now=now - timedelta(days=1), protocol_id=PROTOCOL, birth_date=birth,
                             telegram_base=telegram_base + offset * 2, code_prefix=f"U{k:03d}")
        offset += count
        m_ids = seed.open_measurements(db, fams, instrument, "pre", now - timedelta(minutes=5))
        groups.append((fams, m_ids))
    seed.analyze(db)
    db.dispose()
    first_item = items[0]
    markup = {"inline_keyboard": [[{"text": c.label, "callback_data": f"ceklis:a:0:1:{_token(first_item, c.value)}"}
                                   for c in first_item.choices]]}
    mothers = [f.mother.telegram_id for fams, _ in groups for f in fams]
    messages = await _bot_messages(fake, mothers, f"1/{per_family} {first_item.text}", markup)
    counter = iter(range(10**9))

    def answers(fams, m_ids, n: int) -> list[dict]:
        out = []
        for number, item in enumerate(items, start=1):
            for fam, m_id in zip(fams, m_ids, strict=True):
                value = seed.safe_value(item, rng, day=1, want_point=rng.random() < 0.6)
                tg = fam.mother.telegram_id
                data = f"ceklis:a:{m_id}:{number}:{_token(item, value)}"
                out.append(callback_update(tg, messages[tg], data, f"q{telegram_base}-{next(counter)}"))
        return out[:n]

    batches = [answers(fams, m_ids, n) for (fams, m_ids), n in zip(groups, sizes, strict=True)]
    return rounds_of(batches), sum(len(b) for b in batches)


def count_answers(url: str) -> int:
    from storage.db import Database
    from storage.models import Answer

    db = Database(url)
    try:
        with db.session() as session:
            return int(session.exec(select(func.count()).select_from(Answer)).one())
    finally:
        db.dispose()


# -- running one variant ----------------------------------------------------------------------------------

@dataclass
class RoundResult:
    n: int
    seconds: float
    bot_cpu: float
    fake_cpu: float
    loaded: list[float]  # processing time of each update under full load
    single: list[float]  # processing time of each update sent one at a time
    single_own: list[float]  # the same, minus the time spent in Bot API requests
    errors: int
    first_error: str | None

    @property
    def rate(self) -> float:
        return self.n / self.seconds


async def run_round(app: Application, meter: Meter, fake: FakeServer, work: Workload,
                    timeout: float = 600) -> RoundResult:
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    try:
        meter.expect(len(work.warm))
        await fake.enqueue(work.warm)
        await meter.wait(timeout)

        chunks = [encode(work.main[i:i + 2000]) for i in range(0, len(work.main), 2000)]
        before = await fake.call("stats")
        cpu0 = cpu_seconds()
        meter.expect(len(work.main))
        start = time.perf_counter()
        for chunk in chunks:  # encoded beforehand: nothing but the bot runs in this process meanwhile
            fake.proc.stdin.write(chunk)
            await fake.proc.stdin.drain()
            await fake.proc.stdout.readline()
        await meter.wait(timeout)
        seconds = time.perf_counter() - start
        bot_cpu = cpu_seconds() - cpu0
        after = await fake.call("stats")
        loaded = meter.latencies

        single: list[float] = []
        own: list[float] = []
        for update in work.seq:
            meter.expect(1)
            await fake.enqueue([update])
            await meter.wait(timeout)
            single.extend(meter.latencies)
            own.extend(meter.own)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        logging.getLogger().removeHandler(errors)
    return RoundResult(len(work.main), seconds, bot_cpu, after["cpu"] - before["cpu"], loaded, single, own,
                       errors.count, errors.first)


@dataclass
class Variant:
    key: str
    label: str
    rounds: list[RoundResult] = field(default_factory=list)

    @property
    def n(self) -> int:
        return sum(r.n for r in self.rounds)

    @property
    def rate(self) -> float:
        """All updates of all rounds over all their time."""
        return self.n / sum(r.seconds for r in self.rounds)

    @property
    def cpu_ms(self) -> float:
        """Bot-process CPU per update (ms): what decides capacity on a core of its own."""
        return 1000 * sum(r.bot_cpu for r in self.rounds) / self.n

    @property
    def fake_cpu_ms(self) -> float:
        return 1000 * sum(r.fake_cpu for r in self.rounds) / self.n

    def pct(self, attr: str, p: float) -> float:
        return percentile([x for r in self.rounds for x in getattr(r, attr)], p) * 1000

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.rounds)

    @property
    def first_error(self) -> str | None:
        return next((r.first_error for r in self.rounds if r.first_error), None)

    def line(self) -> str:
        rates = ", ".join(f"{r.rate:,.0f}" for r in self.rounds)
        return (f"    {self.label}: {self.n:,} updates, {self.rate:,.0f}/s (rounds: {rates}); bot CPU "
                f"{self.cpu_ms:.2f} ms/update, fake {self.fake_cpu_ms:.2f} ms/update; one at a time p50 "
                f"{self.pct('single', 50):.1f} ms p99 {self.pct('single', 99):.1f} ms (own work p50 "
                f"{self.pct('single_own', 50):.1f} p99 {self.pct('single_own', 99):.1f}); under load p50 "
                f"{self.pct('loaded', 50):.0f} ms; errors {self.errors}")


def ratio_per_round(b: Variant, a: Variant) -> float:
    """The median over rounds of rate(b)/rate(a), each pair measured back to back."""
    ratios = sorted(rb.rate / ra.rate for rb, ra in zip(b.rounds, a.rounds, strict=False))
    return ratios[len(ratios) // 2] if len(ratios) % 2 else sum(ratios[len(ratios) // 2 - 1:][:2]) / 2


def our_app(fake: FakeServer, url: str, meter: Meter) -> Application:
    from bot.core.app import build_application
    from bot.core.config import Settings
    from storage.db import Database

    settings = Settings(token=fake.token, api_url=fake.base_url, database_url=url, rate_limit=False,
                        run_dispatcher=False, health_file=None, log_level="WARNING")
    return build_application(settings, db=Database(url), update_processor=metered_per_chat(meter))


async def run(report: Report, *, quick: bool, pg_base: str | None) -> None:
    from bench import echo_bot

    section("1. Update handling (fake Bot API in its own process)")
    rounds = 2 if quick else 3
    n_main = 200 if quick else 1000
    n_warm = 48
    n_seq = 30 if quick else 120
    sizes = [n_warm, n_main, n_seq] * rounds
    chats = 400
    time_bot_api_calls()
    variants = {"a": Variant("a", "(a) bare PTB echo bot"),
                "a2": Variant("a2", "(a2) bare PTB, the checklist's 3 Bot API calls per button"),
                "b": Variant("b", "(b) our bot, checklist answers, SQLite")}
    if pg_base:
        variants["c"] = Variant("c", "(c) our bot, checklist answers, PostgreSQL")
    expected: dict[str, int] = {}
    async with FakeServer() as fake:
        meter = Meter()
        work = {"a": await echo_workload(fake, sizes, chats), "a2": await echo_callback_workload(fake, sizes, chats)}
        with contextlib.ExitStack() as stack:
            urls = {}
            for key, kind in (("b", "sqlite"), ("c", "postgres")):
                if key in variants:
                    urls[key] = stack.enter_context(database(kind, pg_base, "updates"))
                    base = 700_000_000 if key == "b" else 750_000_000
                    work[key], expected[key] = await checklist_workload(fake, urls[key], sizes, telegram_base=base)
            print(f"    {rounds} rounds of {n_main:,} updates per variant, variants interleaved "
                  f"(the machine's load changes over time)", flush=True)
            for r in range(rounds):  # interleaved: each round runs every variant back to back
                for key, variant in variants.items():
                    if key == "a":
                        app = echo_bot.build(fake.token, fake.base_url, MeteredSimple(meter))
                    elif key == "a2":
                        app = echo_bot.build(fake.token, fake.base_url, MeteredSimple(meter))
                    else:
                        app = our_app(fake, urls[key], meter)
                    variant.rounds.append(await run_round(app, meter, fake, work[key][r]))
            for key in ("b", "c"):
                if key in urls:
                    stored = count_answers(urls[key])
                    if stored != expected[key]:
                        report.note(f"WARNING {variants[key].label}: {stored} answers stored, {expected[key]} sent")
                    else:
                        report.note(f"{variants[key].label}: all {stored:,} answers stored")
    for variant in variants.values():
        print(variant.line(), flush=True)

    a, a2 = variants["a"], variants["a2"]
    report.add("updates", "(a) bare PTB echo bot: updates/s", a.rate, "/s")
    report.add("updates", "(a2) bare PTB, same 3 Bot API calls as a checklist answer: updates/s", a2.rate, "/s")
    for key in ("b", "c"):
        v = variants.get(key)
        db_name = "SQLite" if key == "b" else "PostgreSQL"
        if v is None:
            report.add("updates", f"({key}) our bot on {db_name}: skipped (no database)", None, "")
            continue
        ratio = ratio_per_round(v, a)
        report.add("updates", f"({key}) our bot, checklist answers, {db_name}: updates/s", v.rate, "/s")
        report.add("updates", f"({key})/(a) ratio", ratio, "x", target="≥ 0.8", met=ratio >= 0.8,
                   note="median of back-to-back rounds")
        report.add("updates", f"({key})/(a2) ratio, same Bot API calls", ratio_per_round(v, a2), "x")
        report.add("updates", f"({key})/(a) by CPU per update", a.cpu_ms / v.cpu_ms, "x",
                   note=f"{v.cpu_ms:.1f} vs {a.cpu_ms:.1f} ms per update")
        report.add("updates", f"({key}) handler latency p50", v.pct("single", 50), "ms")
        report.add("updates", f"({key}) handler latency p99", v.pct("single", 99), "ms", target="< 25 ms",
                   met=v.pct("single", 99) < 25, note="one update at a time, Bot API calls included")
        report.add("updates", f"({key}) own work p99 (without Bot API waits)", v.pct("single_own", 99), "ms")
        if v.errors:
            report.note(f"({key}) {v.errors} handler errors; first: {v.first_error}")
