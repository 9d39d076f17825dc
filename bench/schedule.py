"""3. Scheduling: registering families and writing their reminder schedules.

Each family goes through the real storage and schedule code in two transactions, as in the bot: the mother
registers (person, family, membership, ``reschedule_family``), then the husband joins (person, membership,
``reschedule_family`` again, which adds his reminders and leaves hers as they are). The default protocol
gives about 30 outbox rows per family of two.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from bench.common import Report, cpu_seconds, database, section

# 10:00 WIB on the birth day: every reminder of days 1–3 is still ahead.
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def register(url: str, n: int, telegram_base: int = 20_000_000) -> tuple[float, float, int]:
    """Register ``n`` families; returns (seconds, CPU seconds, outbox rows written)."""
    from bot.core.config import Settings
    from bot.flows.schedule import reschedule_family
    from content import get_content
    from storage import families, users
    from storage.db import Database
    from storage.models import Outbox

    db = Database(url)
    db.upgrade()
    settings = Settings(database_url=url, health_file=None)
    content = get_content()
    birth = (NOW + timedelta(hours=7)).date()
    cpu0, start = cpu_seconds(), time.perf_counter()
    for k in range(n):
        with db.session() as s:
            mother = users.upsert(s, telegram_id=telegram_base + 2 * k, chat_id=telegram_base + 2 * k,
                                  first_name="Siti", language_code="id", now=NOW)
            mother.consent_at = NOW
            fam = families.create(s, created_by=mother.id, role="mother", now=NOW, birth_date=birth,
                                  timezone="Asia/Jakarta")
            reschedule_family(s, fam.id, now=NOW, settings=settings, content=content)
        with db.session() as s:
            husband = users.upsert(s, telegram_id=telegram_base + 2 * k + 1, chat_id=telegram_base + 2 * k + 1,
                                   first_name="Budi", language_code="id", now=NOW)
            husband.consent_at = NOW
            families.add_member(s, family_id=fam.id, user_id=husband.id, role="husband", now=NOW)
            reschedule_family(s, fam.id, now=NOW, settings=settings, content=content)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu0
    with db.session() as s:
        rows = int(s.exec(select(func.count()).select_from(Outbox)).one())
    db.dispose()
    return seconds, cpu, rows


async def run(report: Report, *, quick: bool, pg_base: str | None) -> None:
    section("3. Scheduling: registering families (mother, then husband joins) with their reminder rows")
    kinds = [("sqlite", "SQLite")] + ([("postgres", "PostgreSQL")] if pg_base else [])
    for kind, name in kinds:
        # PostgreSQL registers fewer in the full run (about 20 ms a family here): the rate is the figure.
        n = (200 if quick else 10_000) if kind == "sqlite" else (100 if quick else 1000)
        with database(kind, pg_base, "schedule") as url:
            seconds, cpu, rows = register(url, n)
        rate = n / seconds
        print(f"    {name}: {n:,} families in {seconds:.1f} s ({cpu:.1f} s CPU), {rows:,} outbox rows "
              f"({rows / n:.0f} per family, {rows / seconds:,.0f} rows/s)", flush=True)
        report.add("schedule", f"registering families with their schedules, {name}: families/s", rate, "/s",
                   note=f"{n:,} families, {rows:,} reminder rows, 2 transactions per family")
