"""Faults at home: the database locked or unavailable for a while.

- SQLite locked by another writer holding ``BEGIN IMMEDIATE``: the update fails cleanly, the person is asked
  (kindly) to try again, nothing is half-written; once the lock is gone the same answer goes through.
- PostgreSQL: the bot's connections terminated between updates (``pg_terminate_backend``) are replaced
  without the person noticing; a connection terminated *inside* the transaction that stores an answer rolls
  the whole update back (no answer, the conversation still at the same question) and the person is asked to
  try again; the server unreachable for a while (a proxy in between refuses connections) is the same.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import sqlite3
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import select

import storage.db
from bot.devtools.harness import RunningBot
from storage.db import Database
from storage.models import Answer
from tests.conftest import POSTGRES_URL, _postgres_schema_url, needs_postgres
from tests.test_reliability_support import bot_settings, chat_state, register, say


def _answers(db) -> list[tuple[str, str]]:
    with db.session() as s:
        return sorted((a.item_id, a.raw_value) for a in s.exec(select(Answer)))


async def _at_question_one(running, fake, db, user_id: int):
    mother = fake.user(user_id=user_id, first_name="Fitri")
    await register(mother, db)
    await mother.send("/ceklis")
    state = chat_state(db, mother.id)
    assert state.flow == "checklist"
    return mother, state


async def _fails_cleanly(mother, db, state) -> None:
    """The answer "5" is refused kindly and leaves no trace; the conversation is where it was."""
    before = _answers(db)
    replies = await mother.send("5")
    assert [m.text for m in replies] == [say("common.error_try_again")]
    assert _answers(db) == before
    assert chat_state(db, mother.id).data == state.data


async def _goes_through(mother, db, state) -> None:
    await mother.send("5")
    assert (state.data["item"], "5") in _answers(db)
    assert chat_state(db, mother.id).data["item"] != state.data["item"]  # the next question


# -- SQLite -------------------------------------------------------------------------------------------------

async def test_sqlite_locked_by_another_writer_fails_cleanly_and_recovers(fake_tg, clock, tmp_path, monkeypatch,
                                                                        caplog):
    monkeypatch.setattr(storage.db, "SQLITE_BUSY_TIMEOUT_MS", 200)  # wait 0.2 s for the lock, not 5 s
    path = tmp_path / "bot.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    running = RunningBot(settings=bot_settings(fake_tg, db), db=db, clock=clock, fake=fake_tg)
    await running.start()
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        mother, state = await _at_question_one(running, fake_tg, db, 71_001)
        before = _answers(db)
        other.execute("BEGIN IMMEDIATE")  # another process writing (a long export, a migration, …)
        other.execute("UPDATE bot_meta SET value = value")
        caplog.set_level(logging.ERROR)
        replies = await mother.send("5")
        assert [m.text for m in replies] == [say("common.error_try_again")]
        other.execute("ROLLBACK")
        assert _answers(db) == before and chat_state(db, mother.id).data == state.data  # nothing half-written
        await _goes_through(mother, db, state)
        # A button pressed while locked: the toast says to try again, nothing is stored.
        choice = mother.last_reply.buttons[0][0]
        before = _answers(db)
        other.execute("BEGIN IMMEDIATE")
        await mother.press(choice)
        assert mother.callback_answers[-1] == say("common.error_try_again")
        other.execute("ROLLBACK")
        assert _answers(db) == before
        await mother.press(choice)
        assert len(_answers(db)) == len(before) + 1
        assert any("failed for update" in r.getMessage() for r in caplog.records)  # logged, with the update
    finally:
        other.close()
        await running.stop()
        db.dispose()


# -- PostgreSQL ---------------------------------------------------------------------------------------------

@pytest.fixture
def pg_url() -> Iterator[str]:
    if not POSTGRES_URL:
        pytest.skip("TEST_POSTGRES_URL is not set")
    yield from _postgres_schema_url()


def _tagged(url: str, name: str) -> str:
    return f"{url}&application_name={name}"


def _terminate(name: str) -> int:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = :n"
            ), {"n": name}).all())
    finally:
        admin.dispose()


@needs_postgres
async def test_postgres_connections_terminated_between_updates_are_replaced_unnoticed(fake_tg, clock, pg_url):
    name = f"pijat_{uuid.uuid4().hex[:8]}"
    db = Database(_tagged(pg_url, name))
    db.upgrade()
    running = RunningBot(settings=bot_settings(fake_tg, db), db=db, clock=clock, fake=fake_tg)
    await running.start()
    try:
        mother, state = await _at_question_one(running, fake_tg, db, 72_001)
        assert _terminate(name) >= 1
        await _goes_through(mother, db, state)
    finally:
        await running.stop()
        db.dispose()


@needs_postgres
async def test_postgres_connection_terminated_inside_the_answer_transaction_rolls_it_all_back(
        fake_tg, clock, pg_url, caplog):
    name = f"pijat_{uuid.uuid4().hex[:8]}"
    db = Database(_tagged(pg_url, name))
    db.upgrade()
    armed = {"on": False, "fired": 0}

    @event.listens_for(db.engine, "before_cursor_execute")
    def _kill_mid_transaction(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        if armed["on"] and statement.lstrip().upper().startswith(("INSERT INTO ANSWERS", "UPDATE ANSWERS")):
            armed["on"] = False
            armed["fired"] += 1
            _terminate(name)  # the server ends this very connection, mid-transaction

    running = RunningBot(settings=bot_settings(fake_tg, db), db=db, clock=clock, fake=fake_tg)
    await running.start()
    try:
        mother, state = await _at_question_one(running, fake_tg, db, 73_001)
        caplog.set_level(logging.ERROR)
        armed["on"] = True
        await _fails_cleanly(mother, db, state)
        assert armed["fired"] == 1
        await _goes_through(mother, db, state)
    finally:
        await running.stop()
        db.dispose()


class TcpProxy:
    """127.0.0.1:<port> → PostgreSQL, in threads; ``cut()`` drops every connection and refuses new ones."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.up = True
        self.sockets: set[socket.socket] = set()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets |= {client, upstream}
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        with self.lock:
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            self.sockets.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self.server.close()


@needs_postgres
async def test_postgres_unreachable_for_a_while_fails_cleanly_and_recovers(fake_tg, clock, pg_url, caplog):
    url = make_url(pg_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    db = Database(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    db.upgrade()
    running = RunningBot(settings=bot_settings(fake_tg, db), db=db, clock=clock, fake=fake_tg)
    await running.start()
    try:
        mother, state = await _at_question_one(running, fake_tg, db, 74_001)
        before = _answers(db)
        caplog.set_level(logging.ERROR)
        proxy.cut()
        await _fails_cleanly_unreachable(mother, state)
        proxy.restore()
        assert _answers(db) == before and chat_state(db, mother.id).data == state.data  # nothing half-written
        await _goes_through(mother, db, state)
    finally:
        await running.stop()
        db.dispose()
        proxy.close()


async def _fails_cleanly_unreachable(mother, state) -> None:
    """Like :func:`_fails_cleanly`, checked after the database is back (it cannot be read meanwhile)."""
    replies = await mother.send("5")
    assert [m.text for m in replies] == [say("common.error_try_again")]
    replies = await mother.send("/ceklis")
    assert [m.text for m in replies] == [say("common.error_try_again")]
