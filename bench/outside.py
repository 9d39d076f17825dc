"""Throughput as the outside attack measured it: every bot in a process of its own, as it is run.

1,000 new people send ``/start`` at once; how many updates a second does each bot answer? The bots are a bare
python-telegram-bot echo bot (``python -m bench.echo_bot``, PTB's defaults: httpx, 256 concurrent updates; and
``echo64``, the same bot running 64 updates at once as ours does) and our
bot as ``python -m bot run`` runs it (its settings from the environment: ``RATE_LIMIT=false`` only, the dashboard
off, everything else the default: INFO log, the dispatcher, the heartbeat, the database threads it sizes
itself), on SQLite and on PostgreSQL, each started fresh for every round, the rounds interleaved. The fake Bot
API is the second, independent one (bench/mini_bot_api.py, its own process); the driver only enqueues updates and
asks the fake how many messages it has been sent. Unlike bench/engine.py, no bot shares a process with the bench
or with another bot, and nothing inside a bot is timed: the rate is 1,000 divided by the time from the enqueue to
the fake's 1,000th sendMessage, and each process's CPU is read from /proc.

    python -m bench.outside [--rounds 3] [--n 1000] [--postgres URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import sys
import tempfile
import time

from bench.common import DEFAULT_PG, database, postgres_available
from bench.engine import People
from bench.mini_bot_api import MiniServer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _cpu_of(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _sent(fake: MiniServer) -> int:
    return int((await fake.call("stats"))["sent"])


async def _until_sent(fake: MiniServer, target: int, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while await _sent(fake) < target:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"the bot sent {await _sent(fake)} of {target} messages in {timeout:g} s")
        await asyncio.sleep(0.01)


async def one_round(fake: MiniServer, kind: str, url: str | None, people: People, n: int, tmp: str) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TELEGRAM_", "DATABASE_URL", "BOT_", "WEBHOOK_", "LOG_LEVEL", "DB_THREADS"))}
    env.update(PYTHONPATH=ROOT, PYTHONUNBUFFERED="1")
    if kind.startswith("echo"):  # "echo": PTB's defaults; "echo64": 64 updates at once, as our bot runs them
        argv = [sys.executable, "-m", "bench.echo_bot", fake.token, fake.base_url, *kind[4:].split()]
    else:
        argv = [sys.executable, "-m", "bot", "run"]
        env.update(TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_API_URL=fake.base_url, DATABASE_URL=url or "",
                   RATE_LIMIT="false", WEB_PORT="off", HEALTH_FILE=os.path.join(tmp, "heartbeat"),
                   DANGER_SPOOL=os.path.join(tmp, "spool.jsonl"), LOG_LEVEL="INFO")
    with open(os.path.join(tmp, f"{kind}.log"), "ab") as log:
        proc = await asyncio.create_subprocess_exec(*argv, cwd=tmp, env=env, stdout=log, stderr=log)
    try:
        base = await _sent(fake)
        await fake.enqueue(people.updates(20))  # warm-up, and the wait for start-up
        await _until_sent(fake, base + 20, 120)
        base = await _sent(fake)
        cpu0 = _cpu_of(proc.pid)
        start = time.perf_counter()
        await fake.enqueue(people.updates(n))
        await _until_sent(fake, base + n, 300)
        elapsed = time.perf_counter() - start
        return n / elapsed, (_cpu_of(proc.pid) - cpu0) / n
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


async def run(rounds: int, n: int, pg: str | None) -> None:
    load = os.getloadavg()
    print(f"outside: {rounds} rounds of {n} /start, each bot a fresh process; load average "
          f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    people = People(300_000_000)
    rates: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    with contextlib.ExitStack() as stack, tempfile.TemporaryDirectory(prefix="bench-outside-") as tmp:
        kinds: list[tuple[str, str | None]] = [("echo", None), ("echo64", None), ("sqlite", stack.enter_context(
            database("sqlite", None, "outside")))]
        if pg:
            kinds.append(("postgres", stack.enter_context(database("postgres", pg, "outside"))))
        async with MiniServer() as fake:
            for r in range(rounds):
                for kind, url in kinds:
                    rate, cpu = await one_round(fake, kind, url, people, n, tmp)
                    rates.setdefault(kind, []).append(rate)
                    cpus.setdefault(kind, []).append(cpu)
                    print(f"    round {r + 1} {kind}: {rate:,.0f}/s, CPU {cpu * 1000:.2f} ms/update", flush=True)
    # Each ratio is against the faster of the two echo bots, round by round and of the medians.
    echoes = [max(a, b) for a, b in zip(rates["echo"], rates["echo64"], strict=True)]
    echo = max(statistics.median(rates["echo"]), statistics.median(rates["echo64"]))
    for kind, values in rates.items():
        med = statistics.median(values)
        per_round = ", ".join(f"{v / e:.2f}" for v, e in zip(values, echoes, strict=True))
        print(f"  {kind:9s} median {med:,.0f}/s (rounds {min(values):,.0f}–{max(values):,.0f}), "
              f"CPU {statistics.median(cpus[kind]) * 1000:.2f} ms/update; × the faster echo: {med / echo:.2f} "
              f"(per round {per_round})", flush=True)
    load = os.getloadavg()
    print(f"  load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.outside", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--postgres", default=DEFAULT_PG, metavar="URL")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args(argv)
    pg = None if args.no_postgres or not postgres_available(args.postgres) else args.postgres
    asyncio.run(run(args.rounds, args.n, pg))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
