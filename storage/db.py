"""Engine and sessions built from ``DATABASE_URL``; migrations run through Alembic.

SQLite (the default) runs in WAL mode with a busy timeout, so the bot and the command line can use the
same file at once. PostgreSQL is used as given (``postgresql+psycopg://…``).
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
# PostgreSQL connections kept open (opened as they are first needed): one for each thread of the bot's database
# pool (bot/core/runtime.py), and up to POOL_OVERFLOW more for short work on the event loop (a chat marked
# unreachable, start-up). With the database 2 ms away a /start holds its thread for six round trips (~26 ms),
# so 10 threads capped the bot near 300 updates/s; 20 keep it CPU-bound there (BENCHMARKS.md, the engine room).
POOL_SIZE = 20
POOL_OVERFLOW = 5
POOL_RECYCLE_S = 20 * 60


def normalise_url(url: str) -> str:
    """Accept the URLs people paste: ``postgres://`` and ``postgresql://`` use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


_READING: contextvars.ContextVar[bool] = contextvars.ContextVar("sqlite_reading", default=False)


@contextmanager
def reading() -> Iterator[None]:
    """Transactions begun inside this block only read (SQLite: a plain BEGIN, which takes no write lock, so
    seconds of export queries never hold a family's turn). End the transaction (commit) before writing:
    a transaction that read here and then writes may find the file changed and fail."""
    token = _READING.set(True)
    try:
        yield
    finally:
        _READING.reset(token)


def _make_engine(url: str, pool_size: int = POOL_SIZE) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            hide_parameters=True,  # an error's text never carries the values (a question, a name): logs are private
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every SQLite test
            # Let SQLAlchemy, not the driver, decide when a transaction begins (BEGIN IMMEDIATE below).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - exercised by every SQLite test
            # Take the write lock at the start: no deadlock-prone lock upgrades between processes.
            # Long reads apart from a turn (the dashboard's table, exports, analysis: ``reading()``) take no lock.
            conn.exec_driver_sql("BEGIN" if _READING.get() else "BEGIN IMMEDIATE")

        return engine
    # No pre-ping: it would cost every unit of work one more round trip (1 of about 7 for a /start). A pooled
    # connection the server has closed fails on its first statement instead; SQLAlchemy then replaces every
    # connection of the pool, and the bot's turn retries a unit of work that failed so before it did anything
    # (bot/core/turn.py: ``_run_body``). Connections older than POOL_RECYCLE_S are replaced before use, ahead
    # of the idle time-outs of managed servers and proxies.
    return create_engine(url, pool_size=pool_size, max_overflow=POOL_OVERFLOW, pool_recycle=POOL_RECYCLE_S,
                         hide_parameters=True)


def stale_connection(exc: BaseException) -> bool:
    """``exc`` says the pooled connection was already dead (the server closed it): the pool has been renewed."""
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class Database:
    """One database: its engine, its sessions and its migrations."""

    def __init__(self, url: str, pool_size: int = POOL_SIZE):
        self.url = normalise_url(url)
        self.pool_size = pool_size
        self.engine = _make_engine(self.url, pool_size)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back if it raises."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def round_trip_seconds(self, samples: int = 5) -> float | None:
        """The median time of a ``SELECT 1`` on one pooled connection (after a first one that may connect);
        None if the database cannot be reached now."""
        from sqlalchemy import text

        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                times = []
                for _ in range(samples):
                    start = time.perf_counter()
                    conn.execute(text("SELECT 1"))
                    times.append(time.perf_counter() - start)
        except Exception:  # noqa: BLE001 - the caller falls back to a default
            log.warning("could not time a round trip to the database", exc_info=True)
            return None
        return sorted(times)[len(times) // 2]

    def commit_seconds(self, samples: int = 5) -> float | None:
        """The median time PostgreSQL takes to commit a transaction that wrote (its WAL flushed to disk before
        COMMIT returns, as every turn's commit is): a transactional ``pg_logical_emit_message``, which writes to
        the WAL and to no table. Often far longer than a round trip (3.6 ms against 0.19 ms on this project's
        machine): a thread waits that long at the end of every turn. None on SQLite, or if it cannot be timed."""
        from sqlalchemy import text

        if self.is_sqlite:
            return None
        try:
            with self.engine.connect() as conn:
                times = []
                for _ in range(samples + 1):
                    conn.execute(text("SELECT pg_logical_emit_message(true, 'pijat', '')"))
                    start = time.perf_counter()
                    conn.commit()
                    times.append(time.perf_counter() - start)
        except Exception:  # noqa: BLE001 - the caller sizes by the round trip alone
            log.warning("could not time a commit on the database", exc_info=True)
            return None
        times = sorted(times[1:])  # the first may have paid for something else
        return times[len(times) // 2]

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to ``revision`` with Alembic (creates the database if it is new)."""
        from alembic import command

        command.upgrade(alembic_config(self.url), revision)

    def dispose(self) -> None:
        self.engine.dispose()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg
