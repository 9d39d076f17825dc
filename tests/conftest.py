"""Shared fixtures: a real database (SQLite file, or PostgreSQL schema), an injected clock, the project's
fake Telegram Bot API on 127.0.0.1, and the real Application running against it.

Tests read like a conversation::

    async def test_hello(bot, mother):
        await mother.send("/start")
        assert "Selamat datang" in mother.last_reply.text
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from bot.core.clock import FakeClock
from bot.core.config import Settings
from storage.db import Database

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL")
needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="TEST_POSTGRES_URL is not set")

# 08:00 WIB on 20 November 2026.
CLOCK_START = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def _postgres_schema_url() -> Iterator[str]:
    """A fresh schema in the test database; the URL pins search_path to it. Dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=[needs_postgres, pytest.mark.postgres])])
def db_url(request, tmp_path) -> Iterator[str]:
    """Every test using this runs once on SQLite and once on PostgreSQL (when available)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'bot.db'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL is not set")
    yield from _postgres_schema_url()


@pytest.fixture
def db(db_url) -> Iterator[Database]:
    database = Database(db_url)
    database.upgrade()
    yield database
    database.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(CLOCK_START)


@pytest.fixture
async def fake_tg() -> AsyncIterator[object]:
    from bot.devtools.fake_telegram import FakeTelegram

    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def settings(fake_tg, db, tmp_path) -> Settings:
    return Settings(
        danger_spool=str(tmp_path / "danger_spool.jsonl"),  # never the working copy's data/
        token=fake_tg.token,
        api_url=fake_tg.base_url,
        database_url=db.url,
        bot_username=None,
        rate_limit=False,
        run_dispatcher=False,
        health_file=None,
        log_level="DEBUG",
    )


@pytest.fixture
async def bot(settings, db, clock, fake_tg) -> AsyncIterator[object]:
    """The real Application, polling the fake Bot API over HTTP."""
    from bot.devtools.harness import RunningBot

    running = RunningBot(settings=settings, db=db, clock=clock, fake=fake_tg)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
def mother(fake_tg):
    return fake_tg.user(user_id=1001, first_name="Siti")


@pytest.fixture
def husband(fake_tg):
    return fake_tg.user(user_id=1002, first_name="Budi")


@pytest.fixture
def midwife(fake_tg):
    return fake_tg.user(user_id=2001, first_name="Aminah")


@pytest.fixture
def stranger(fake_tg):
    return fake_tg.user(user_id=9001, first_name="Orang")
