"""5. Memory: the resident memory of a running bot holding N active families (10,000 in the full run).

The database holds N families (mother and husband, consenting, on their first postpartum day) with their whole
reminder schedule (about 33 rows each). The real bot (bot/core/app.py, with its dispatcher job) runs in a process of
its own against the fake Bot API, with the clock at 07:20 WIB on day 1: the morning massage reminders (mother and
husband) are due and go out, while every mother asks /jadwal. RSS is read from /proc for the bot
process alone, before the traffic and once every family has been served.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from bench import seed
from bench.common import Report, database, peak_rss_mb, rss_mb, section
from bench.fakeproc import FakeServer, _repo_root
from bench.updates import text_update
from bot.core.intake import ALLOWED_UPDATES

NOW = datetime(2026, 11, 21, 0, 20, tzinfo=UTC)  # 07:20 WIB on day 1 (births on 20 November)
REGISTERED = NOW - timedelta(hours=20)


def seed_active(url: str, n: int) -> list[seed.SeededFamily]:
    """``n`` families and their reminder rows, as bot/flows/schedule.py computes them."""
    from bot.core.config import Settings
    from bot.flows import schedule
    from content import get_content
    from storage.db import Database
    from storage.outbox import Recipient

    content = get_content()
    settings = Settings(health_file=None)
    db = Database(url)
    db.upgrade()
    fams = seed.families(db, n, now=REGISTERED, birth_date=(NOW + timedelta(hours=7)).date() - timedelta(days=1),
                         telegram_base=40_000_000)
    protocol = content.default_protocol
    times = schedule.resolve_times(protocol, None, settings.reminder_times)
    rows = []
    for f in fams:
        members = [Recipient(p.user_id, p.telegram_id, p.role) for p in f.members]
        items = schedule.compute_schedule(protocol, (NOW + timedelta(hours=7)).date() - timedelta(days=1),
                                          "Asia/Jakarta", times, jitter=settings.jitter, family_key=f.family_id,
                                          education=content.education)
        for item in items:
            payload = item.payload(tz="Asia/Jakarta", protocol_id=protocol.id,
                                   sessions_per_day=protocol.sessions_per_day)
            # The morning's checklist and education went out earlier; the massage reminders are going out now
            # (one due message per person: the per-chat pacing of 1 s then never holds a send back).
            sent = item.due <= NOW and item.kind != schedule.MASSAGE
            for m in schedule.recipients_for(item, members):
                rows.append(dict(dedupe_key=schedule.dedupe_key(f.family_id, item.kind, item.slot, m.user_id),
                                 family_id=f.family_id, user_id=m.user_id, chat_id=m.chat_id, kind=item.kind,
                                 payload=payload, due_at=item.due, status="sent" if sent else "pending",
                                 sent_at=item.due if sent else None, attempts=1 if sent else 0,
                                 created_at=REGISTERED))
    seed.outbox_rows(db, rows)
    seed.analyze(db)
    db.dispose()
    return fams


def _counts(url: str) -> tuple[int, int]:
    """(updates processed, reminders still due and unsent)."""
    from storage.db import Database
    from storage.models import Outbox, ProcessedUpdate

    db = Database(url)
    try:
        with db.session() as s:
            done = int(s.exec(select(func.count()).select_from(ProcessedUpdate)).one())
            due = int(s.exec(select(func.count()).select_from(Outbox).where(
                Outbox.due_at <= NOW, Outbox.status.in_(("pending", "claimed")))).one())
        return done, due
    finally:
        db.dispose()


# -- the bot process ---------------------------------------------------------------------------------------

async def _bot(args: argparse.Namespace) -> None:

    from bot.core.app import build_application
    from bot.core.clock import FakeClock
    from bot.core.config import Settings
    from storage.db import Database

    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # "skipped: previous tick still running" is expected
    settings = Settings(token=args.token, api_url=args.api, database_url=args.url, rate_limit=False,
                        run_dispatcher=True, dispatch_interval=1.0, health_file=None, log_level="WARNING")
    app = build_application(settings, db=Database(args.url), clock=FakeClock(NOW))
    await app.initialize()
    await app.post_init(app)
    await app.start()
    await app.updater.start_polling(poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES)
    print(json.dumps({"ready": True}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await app.updater.stop()
    await app.stop()
    await app.shutdown()


async def run(report: Report, *, quick: bool, pg_base: str | None) -> None:
    section("5. Memory of a running bot holding active families (bot in its own process)")
    n = 500 if quick else 10_000
    with database("sqlite", None, "memory") as url:
        t = time.perf_counter()
        fams = seed_active(url, n)
        print(f"    seeded {n:,} families and their schedules in {time.perf_counter() - t:.0f} s", flush=True)
        async with FakeServer() as fake:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bench.memory", "bot", "--url", url, "--api", fake.base_url, "--token",
                fake.token, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=_repo_root())
            try:
                json.loads(await proc.stdout.readline())
                await asyncio.sleep(1.0)
                start_rss = rss_mb(proc.pid)
                _, due_before = _counts(url)
                updates = [text_update(f.mother.telegram_id, 1, "/jadwal") for f in fams]
                for u in updates:
                    u["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": 7}]
                t = time.perf_counter()
                await fake.enqueue(updates)
                samples = []
                while True:
                    await asyncio.sleep(1.0)
                    done, due = _counts(url)
                    samples.append(rss_mb(proc.pid))
                    if done >= n and due == 0:
                        break
                    if time.perf_counter() - t > 900:
                        raise RuntimeError(f"the bot answered {done} of {n} and has {due} reminders left")
                seconds = time.perf_counter() - t
                await asyncio.sleep(1.0)
                end_rss, peak = rss_mb(proc.pid), peak_rss_mb(proc.pid)
                stats = await fake.call("stats")
            finally:
                proc.stdin.write(b"stop\n")
                await proc.stdin.drain()
                await asyncio.wait_for(proc.wait(), 60)
    print(f"    {n:,} /jadwal answered and {due_before:,} due reminders sent in {seconds:.0f} s "
          f"({stats['bot_messages']:,} bot messages); bot RSS {start_rss:.0f} MB at start, {end_rss:.0f} MB after, "
          f"peak {peak:.0f} MB", flush=True)
    report.add("memory", f"RSS of the running bot holding {n:,} active families", end_rss, "MB", target="< 200 MB",
               met=end_rss < 200 and peak < 200,
               note=f"{start_rss:.0f} MB at start, peak {peak:.0f} MB; {n:,} /jadwal and {due_before:,} reminders")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory")
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bot")
    b.add_argument("--url", required=True)
    b.add_argument("--api", required=True)
    b.add_argument("--token", required=True)
    args = parser.parse_args(argv)
    asyncio.run(_bot(args))


if __name__ == "__main__":
    main()
