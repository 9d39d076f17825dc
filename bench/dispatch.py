"""2. Reminder dispatch: a morning's due reminders drained from the outbox through the fake Bot API.

N reminder rows (100,000 in the full run), one per person (N people in N/2 families, mother and husband), all
due within the last minutes, are sent by the real dispatcher (bot/reminders/dispatcher.py) with the Bot API client of
``python -m bot worker``. Each worker is a process of its own (``python -m bench.dispatch worker``), started
and warmed up first, then released together. Afterwards the database must say every row was sent and the fake
must hold exactly one message in each of the N chats: each reminder sent exactly once.

- rate limiter off (the fake answers at once): msgs/s with 1 and 2 workers, on SQLite and PostgreSQL;
- rate limiter on (PTB's AIORateLimiter at Telegram's 30 msg/s, as in production): the sustained rate after
  the first seconds, with 1 worker.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import select

from bench import seed
from bench.common import Report, cpu_seconds, database, section
from bench.fakeproc import FakeServer, _repo_root

# 07:05 WIB; the reminders were due from 06:55 to 07:05 (inside the 2 h grace, outside the quiet hours).
NOW = datetime(2026, 11, 23, 0, 5, tzinfo=UTC)
PAID_BURST = 1000  # PTB's limiter for allow_paid_broadcast: a bucket of 1,000, refilled at 1,000 a second


def seed_reminders(url: str, n: int) -> None:
    """``n`` due massage reminders, one per person, in the shape bot/flows/schedule.py writes them."""
    from storage.db import Database

    db = Database(url)
    db.upgrade()
    fams = seed.families(db, n // 2, now=NOW - timedelta(days=2), birth_date=(NOW - timedelta(days=2)).date(),
                         telegram_base=800_000_000)
    rows = []
    for f in fams:
        for person in f.members:
            due = NOW - timedelta(seconds=(person.user_id * 7919) % 600)
            local = due + timedelta(hours=7)
            rows.append(dict(
                dedupe_key=f"f{f.family_id}:massage:d1s1:u{person.user_id}", family_id=f.family_id,
                user_id=person.user_id, chat_id=person.telegram_id, kind="massage",
                payload={"slot": "d1s1", "day": 1, "session": 1, "sessions": 2, "tz": "Asia/Jakarta",
                         "local": local.strftime("%H:%M"), "protocol": "default"},
                due_at=due, status="pending", attempts=0, created_at=NOW - timedelta(days=1)))
    seed.outbox_rows(db, rows)
    seed.analyze(db)
    db.dispose()


def reset(url: str) -> None:
    from storage.db import Database
    from storage.models import Outbox

    db = Database(url)
    with db.session() as session:
        session.exec(update(Outbox).values(status="pending", lease_until=None, claimed_by=None, attempts=0,
                                           sent_at=None, telegram_message_id=None, last_error=None))
    db.dispose()


def status_counts(url: str) -> dict[str, int]:
    from storage.db import Database
    from storage.models import Outbox

    db = Database(url)
    try:
        with db.session() as session:
            return {s: n for s, n in session.exec(select(Outbox.status, func.count()).group_by(Outbox.status))}
    finally:
        db.dispose()


# -- the worker process --------------------------------------------------------------------------------------

async def _worker(args: argparse.Namespace) -> None:
    from bot.commands.worker import build_bot
    from bot.core.clock import FakeClock
    from bot.core.config import Settings
    from bot.core.runtime import Runtime
    from bot.reminders.dispatcher import Dispatcher
    from storage.db import Database

    settings = Settings(token=args.token, api_url=args.api, database_url=args.url, rate_limit=args.rate_limit,
                        run_dispatcher=False, health_file=None, log_level="WARNING",
                        sending_processes=args.senders, **({"paid_broadcast": True} if args.paid_broadcast else {}))
    db = Database(args.url)
    runtime = Runtime(settings=settings, db=db, clock=FakeClock(NOW), worker_id=f"bench-{args.name}")
    bot = build_bot(settings)
    async with bot:
        # A timed run ends after the tick in progress: keep ticks short (50 rows) so it ends on time.
        dispatcher = Dispatcher(runtime, bot, max_batches=1) if args.seconds else Dispatcher(runtime, bot)
        print(json.dumps({"ready": True}), flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "go"
        cpu0, start = cpu_seconds(), time.perf_counter()
        sent = 0
        deadline = start + args.seconds if args.seconds else None
        while True:
            result = await dispatcher.tick()
            sent += result.sent
            if deadline is not None and time.perf_counter() >= deadline:
                break
            if deadline is None and result.claimed == 0:
                break
        print(json.dumps({"sent": sent, "seconds": time.perf_counter() - start, "cpu": cpu_seconds() - cpu0}),
              flush=True)
    db.dispose()


async def drain(fake: FakeServer, url: str, workers: int, *, rate_limit: bool = False, seconds: float = 0,
                on_tick=None, paid_broadcast: bool = False, senders: int = 1) -> dict:
    """Start ``workers`` worker processes, release them together, wait until they are done."""
    procs = []
    for k in range(workers):
        cmd = [sys.executable, "-m", "bench.dispatch", "worker", "--url", url, "--api", fake.base_url,
               "--token", fake.token, "--name", str(k)]
        if rate_limit:
            cmd.append("--rate-limit")
        if paid_broadcast:
            cmd.append("--paid-broadcast")
        if seconds:
            cmd += ["--seconds", str(seconds)]
        cmd += ["--senders", str(senders)]
        procs.append(await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.PIPE,
                                                          stdout=asyncio.subprocess.PIPE, cwd=_repo_root()))
    for p in procs:
        json.loads(await p.stdout.readline())
    before = await fake.call("stats")
    start = time.perf_counter()
    for p in procs:
        p.stdin.write(b"go\n")
        await p.stdin.drain()
    watcher = asyncio.create_task(on_tick(start)) if on_tick else None
    results = [json.loads(await p.stdout.readline()) for p in procs]
    wall = time.perf_counter() - start
    if watcher:
        watcher.cancel()
    for p in procs:
        await p.wait()
    after = await fake.call("stats")
    return {"wall": wall, "sent": sum(r["sent"] for r in results), "cpu": [r["cpu"] for r in results],
            "fake_cpu": after["cpu"] - before["cpu"], "fake": after}


async def run(report: Report, *, quick: bool, pg_base: str | None) -> None:
    section("2. Reminder dispatch (fake Bot API in its own process, workers in their own processes)")
    n = 3_000 if quick else 100_000
    kinds = ["sqlite"] + (["postgres"] if pg_base else [])
    async with FakeServer() as fake:
        for kind in kinds:
            db_name = "SQLite" if kind == "sqlite" else "PostgreSQL"
            with database(kind, pg_base, "dispatch") as url:
                t = time.perf_counter()
                seed_reminders(url, n)
                print(f"    {db_name}: seeded {n:,} due reminders in {time.perf_counter() - t:.0f} s", flush=True)
                for workers in (1, 2):
                    reset(url)
                    await fake.call("clear")
                    out = await drain(fake, url, workers)
                    counts = status_counts(url)
                    per_chat = out["fake"]["messages_per_chat"]
                    once = counts.get("sent", 0) == n and per_chat == {"1": n} and out["sent"] == n
                    rate = n / out["wall"]
                    cpu = " + ".join(f"{c:.0f}" for c in out["cpu"])
                    print(f"    {db_name}, {workers} worker(s): {n:,} in {out['wall']:.1f} s; worker CPU {cpu} s, "
                          f"fake CPU {out['fake_cpu']:.0f} s; rows {counts}; messages per chat {per_chat}",
                          flush=True)
                    report.add("dispatch", f"dispatch, limiter off, {db_name}, {workers} worker(s): msgs/s", rate,
                               "/s", target="≥ 1,000/s", met=rate >= 1000)
                    report.add("dispatch", f"  each of {n:,} sent exactly once ({db_name}, {workers} worker(s))",
                               None, "", target="yes", met=once, text="yes" if once else "NO")
                if kind == "sqlite":
                    await rate_limited(report, fake, url, quick=quick)
                await paid_broadcast(report, fake, url, db_name, n)


async def paid_broadcast(report: Report, fake: FakeServer, url: str, db_name: str, n: int) -> None:
    """The national morning with PAID_BROADCAST: PTB's limiter at Telegram's 1,000/s for paid sends, 1 worker,
    the dispatcher sending 100 at once in batches of 200."""
    reset(url)
    await fake.call("clear")
    marks: list[tuple[float, int]] = []

    async def watch(start: float) -> None:
        while True:
            await asyncio.sleep(0.25)
            marks.append((time.perf_counter() - start, status_counts(url).get("sent", 0)))

    out = await drain(fake, url, 1, rate_limit=True, paid_broadcast=True, on_tick=watch)
    counts = status_counts(url)
    once = counts.get("sent", 0) == n and out["fake"]["messages_per_chat"] == {"1": n}
    overall = n / out["wall"]
    # The limiter (PTB's, a leaky bucket of 1,000) lets a burst of 1,000 through and then 1,000 a second: in
    # T seconds at most 1,000 + 1,000 T. A worker that sends little faster than the cap takes many seconds to
    # spend the burst, so a short run is judged on that bound, not on its average rate.
    window = [(t, sent) for t, sent in marks if t >= 1.0 and sent < n]
    rate = (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0]) if len(window) >= 2 else overall
    bound = PAID_BURST + PAID_BURST * out["wall"]
    print(f"    {db_name}, limiter on, paid broadcast, 1 worker: {n:,} in {out['wall']:.1f} s ({overall:,.0f}/s "
          f"overall, {rate:,.0f}/s after the first second; the limiter allows {bound:,.0f} in that time); "
          f"rows {counts}", flush=True)
    report.add("dispatch", f"dispatch, paid broadcast (limiter at 1,000/s), {db_name}, 1 worker: msgs/s", overall,
               "/s", target="≤ 1,000 + 1,000/s × time", met=n <= bound * 1.01,
               note=("each sent exactly once" if once else "NOT each once") + f"; {rate:,.0f}/s after the first second")


async def rate_limited(report: Report, fake: FakeServer, url: str, *, quick: bool) -> None:
    seconds = 7 if quick else 20
    skip = 2.0 if quick else 5.0  # the limiter lets a first burst through; measure what follows
    for workers, senders in ((1, 1), (2, 1), (2, 2)):
        reset(url)
        await fake.call("clear")
        marks: list[tuple[float, int]] = []

        async def watch(start: float, marks=marks) -> None:
            while True:
                await asyncio.sleep(0.5)
                marks.append((time.perf_counter() - start, status_counts(url).get("sent", 0)))

        out = await drain(fake, url, workers, rate_limit=True, seconds=seconds, on_tick=watch, senders=senders)
        window = [(t, s) for t, s in marks if t >= skip]
        if len(window) >= 2:
            (t0, s0), (t1, s1) = window[0], window[-1]
            rate = (s1 - s0) / (t1 - t0)
        else:
            rate = out["sent"] / out["wall"]
        per_chat = out["fake"]["messages_per_chat"]
        print(f"    SQLite, limiter on, {workers} worker(s), SENDING_PROCESSES={senders}: {out['sent']:,} sent in {out['wall']:.0f} s; {rate:.1f}/s "
              f"after the first {skip:.0f} s; messages per chat {per_chat}", flush=True)
        if workers == 1:
            report.add("dispatch", "dispatch, limiter on (30/s cap), SQLite, 1 worker, sustained: msgs/s", rate, "/s",
                       target="≥ 28/s, ≤ 30/s", met=28 <= rate <= 30.5)
        elif senders == 1:
            report.add("dispatch", "dispatch, limiter on, 2 worker processes on one token, SENDING_PROCESSES "
                       "not set: msgs/s", rate, "/s", note="each process has its own 30/s limiter: over Telegram's cap")
        else:
            report.add("dispatch", "dispatch, limiter on, 2 worker processes on one token, SENDING_PROCESSES=2: "
                       "msgs/s", rate, "/s", target="≥ 28/s, ≤ 30/s", met=28 <= rate <= 30.5,
                       note="each process limited to 15/s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.dispatch")
    sub = parser.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worker")
    w.add_argument("--url", required=True)
    w.add_argument("--api", required=True)
    w.add_argument("--token", required=True)
    w.add_argument("--name", default="0")
    w.add_argument("--rate-limit", action="store_true")
    w.add_argument("--seconds", type=float, default=0)
    w.add_argument("--paid-broadcast", action="store_true", help="PAID_BROADCAST=true (the 1,000/s paid limiter)")
    w.add_argument("--senders", type=int, default=1, help="SENDING_PROCESSES: processes sharing the token's 30/s")
    args = parser.parse_args(argv)
    asyncio.run(_worker(args))


if __name__ == "__main__":
    main()
