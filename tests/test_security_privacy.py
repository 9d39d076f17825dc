"""Secrets and privacy.

- The bot token never appears in a log record (at DEBUG, including tracebacks of network failures and of a
  failing handler) nor in the text of an exception PTB raises, nor in the process's own output.
- Webhook mode: ``python -m bot run --webhook-url`` refuses to start without WEBHOOK_SECRET; its server
  answers 403 to a request without the secret header (or with a wrong one) and handles the right one.
- /hapus removes the person's names, Telegram ids and anything they typed; the family's answers stay only
  as anonymous research rows, and only if research use was allowed.
- Exports are pseudonymous unless names are asked for explicitly.
- Every midwife command and button, from anyone who is not an active midwife, gets a polite refusal and
  nothing else — checked for every handler registered by the midwife module, so a new one is covered too.
- No SQL is built by string formatting (a scan of the source, and ruff's S608).
"""

from __future__ import annotations

import ast
import asyncio
import io
import logging
import socket
import subprocess
import sys
import zipfile

import pytest
from sqlmodel import select
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.devtools import fake_telegram as ft
from bot.devtools.demo import add_midwife
from storage import facilities
from storage import families as family_store
from storage.models import Alert, Answer, AuditLog, ChatState, Family, MassageSession, Measurement, Staff
from tests.test_reliability_support import (
    ROOT,
    all_rows_text,
    child_env,
    family_id_of,
    join,
    link_code,
    register,
    restore_state,
    say,
)

# -- the token ------------------------------------------------------------------------------------------

async def test_the_token_is_in_no_log_record_and_no_exception_at_debug(bot, db, fake_tg, mother, caplog):
    caplog.set_level(logging.DEBUG)
    token, secret_part = fake_tg.token, fake_tg.token.split(":", 1)[1]
    await register(mother, db)
    for fault in (ft.ServerError(502), ft.Drop(), ft.RetryAfter(seconds=0), ft.Blocked(), ft.BadRequest("nope")):
        fake_tg.inject("sendMessage", fault, chat_id=mother.id)
        await mother.send("/menu")
    fake_tg.inject("getUpdates", ft.Drop())
    await mother.send("/bantuan")
    # A handler that fails, with a traceback (the stored conversation names a time zone that does not exist).
    restore_state(db, ChatState(telegram_id=mother.id, flow="registration", step="birth",
                                data={"role": "mother", "name": "Siti", "tz": "Bulan/Purnama"},
                                updated_at=bot.runtime.clock.now()), mother.id)
    await mother.send("kemarin")
    assert mother.last_reply.text == say("common.error_try_again")
    assert any(r.levelno >= logging.ERROR and r.exc_text for r in caplog.records)
    # The exceptions the bot's own HTTP client raises when Telegram cannot be reached at all.
    from telegram.error import TelegramError

    from bot.core.app import build_application

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    cut_off = build_application(bot.settings.with_(api_url=f"http://127.0.0.1:{closed_port}/bot"), db=db,
                                clock=bot.runtime.clock)
    try:
        with pytest.raises(TelegramError) as raised:
            await cut_off.bot.initialize()  # getMe
    finally:
        await cut_off.bot.shutdown()
    error = raised.value
    messages = [repr(error), str(error), repr(error.__cause__), str(error.__cause__)]
    logged = caplog.text + "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert len(caplog.records) > 100
    for where, text in (("logs", logged), ("exceptions", "\n".join(messages))):
        assert token not in text and secret_part not in text, f"the token leaked into the {where}"


def as_read(text: str) -> set[str]:
    """A text as each reader may get it: a text written for "Ibu/Bapak" reaches the mother as "Ibu" and
    the husband as "Bapak" (Turn.addressed); someone outside a family reads it as written."""
    return {text, text.replace("Ibu/Bapak", "Ibu"), text.replace("Ibu/Bapak", "Bapak")}


# -- webhook mode -------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_webhook_mode_will_not_start_without_a_secret(tmp_path):
    class Nowhere:  # the process stops before it would contact anything
        token, base_url = ft.DEFAULT_TOKEN, "http://127.0.0.1:9/bot"

    proc = subprocess.run([sys.executable, "-m", "bot", "run", "--webhook-url", "https://bot.example/hook"],
                          cwd=tmp_path, env=child_env(Nowhere, f"sqlite:///{tmp_path / 'x.db'}"),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "WEBHOOK_SECRET" in proc.stderr and "Traceback" not in proc.stderr


async def test_webhook_server_rejects_requests_without_the_secret_and_handles_the_right_one(fake_tg, tmp_path):
    secret = "Rahasia_webhook-123"
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--webhook-url", "https://bot.example/telegram", "--listen",
        "127.0.0.1", "--port", str(port), cwd=str(tmp_path),
        env=child_env(fake_tg, f"sqlite:///{tmp_path / 'bot.db'}", WEBHOOK_SECRET=secret, LOG_LEVEL="DEBUG"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    output: list[str] = []
    listening = asyncio.Event()

    async def read_stderr() -> None:
        while line := await proc.stderr.readline():
            output.append(line.decode(errors="replace"))
            if "Webhook Server started" in output[-1]:
                listening.set()

    reader = asyncio.create_task(read_stderr())
    try:
        await asyncio.wait_for(listening.wait(), 60)
        assert fake_tg.webhook.url == "https://bot.example/telegram"
        assert fake_tg.webhook.secret_token == secret
        hook = f"http://127.0.0.1:{port}/telegram"
        user = fake_tg.user(user_id=91_001, first_name="Rina")
        answered = asyncio.Event()
        fake_tg.on_message(lambda message, event: answered.set() if message.chat_id == user.id else None)

        def start(update_id: int) -> dict:
            return {"update_id": update_id, "message": {
                "message_id": update_id, "date": 0, "chat": {"id": user.id, "type": "private"},
                "from": user.to_api(), "text": "/start", "entities": ft.command_entities("/start")}}

        assert await fake_tg.post_webhook(hook, start(1)) == 403
        assert await fake_tg.post_webhook(hook, start(2), secret_token="salah") == 403
        assert not user.messages  # neither was handled
        assert await fake_tg.post_webhook(hook, start(3), secret_token=secret) == 200
        await asyncio.wait_for(answered.wait(), 30)
        assert say("onboarding.welcome") in user.last_reply.text
    finally:
        if proc.returncode is None:
            proc.terminate()
        await asyncio.wait_for(proc.wait(), 60)
        await reader
    assert proc.returncode == 0
    text = "".join(output)
    assert fake_tg.token not in text and fake_tg.token.split(":", 1)[1] not in text
    assert secret not in text


# -- /hapus ---------------------------------------------------------------------------------------------

MOTHER_ID, HUSBAND_ID = 7_123_456_789, 7_987_654_321
MOTHER_NAME, HUSBAND_NAME = "Zulaikha", "Bagaskara"
TYPED = "Rumah kami di Jalan Kenanga nomor dua belas"


async def _family_with_everything(db, fake_tg, *, research: bool):
    mother = fake_tg.user(user_id=MOTHER_ID, first_name=MOTHER_NAME, username="zulaikha_r", last_name="Rahma")
    husband = fake_tg.user(user_id=HUSBAND_ID, first_name=HUSBAND_NAME)
    await register(mother, db, research=research)
    fid = family_id_of(db, mother.id)
    await join(husband, link_code(db, fid))
    await mother.send(TYPED)
    await mother.send("/ceklis")
    await mother.send("4")
    await mother.press(mother.last_reply.buttons[0][0])
    await mother.send("bayi kuning dan kejang")  # a danger sign, typed freely
    await husband.send("/pijat")
    if "Lewati, mulai pijat" in husband.last_reply.button_labels:  # the "before" checklist is asked first
        await husband.press("Lewati, mulai pijat")
    return mother, husband, fid


@pytest.mark.parametrize("research", [True, False], ids=["research_allowed", "research_refused"])
async def test_hapus_removes_names_ids_and_typed_text_and_keeps_research_rows_only_with_consent(
        bot, db, fake_tg, research):
    mother, husband, fid = await _family_with_everything(db, fake_tg, research=research)
    stored = all_rows_text(db)
    assert MOTHER_NAME in stored and str(MOTHER_ID) in stored  # what there was to delete
    # Free text no conversation waited for is kept only as the family message for its midwife (issue 23:
    # forwarded, or kept until the family links a facility), in the questions table and nowhere else.
    assert TYPED in stored
    assert all(TYPED not in line or line.startswith("questions:") for line in stored.splitlines())
    with db.session() as s:
        answers_before = len(list(s.exec(select(Answer))))
    assert answers_before >= 2
    await mother.send("/hapus")
    await mother.press(say("menu.button_delete_yes"))
    stored = all_rows_text(db)
    for trace in (MOTHER_NAME, str(MOTHER_ID), "zulaikha_r", "Rahma", TYPED):
        assert trace not in stored, f"{trace!r} is still stored after /hapus"
    with db.session() as s:
        family = s.get(Family, fid)
        assert family.status != family_store.ACTIVE and family.birth_date is None
        answers = list(s.exec(select(Answer)))
        measurements = list(s.exec(select(Measurement).where(Measurement.family_id == fid)))
        sessions = list(s.exec(select(MassageSession).where(MassageSession.family_id == fid)))
        if research:
            assert len(answers) == answers_before, "research rows were dropped although allowed"
            assert all(a.answered_by is None for a in answers) and all(m.started_by is None for m in measurements)
            assert all(x.user_id is None for x in sessions)
        else:
            assert answers == [] and measurements == [] and sessions == []
        audit = s.exec(select(AuditLog).where(AuditLog.action == "delete_personal_data")).one()
        assert str(MOTHER_ID) not in str(audit.detail)
    assert HUSBAND_NAME in stored  # he did not ask to be deleted; he was told the family is closed
    assert husband.messages[-1].text == say("menu.deleted_family_notice")


async def test_hapus_by_the_husband_removes_only_him(bot, db, fake_tg):
    mother, husband, fid = await _family_with_everything(db, fake_tg, research=True)
    await husband.send("/hapus")
    await husband.press(say("menu.button_delete_yes"))
    stored = all_rows_text(db)
    assert HUSBAND_NAME not in stored and str(HUSBAND_ID) not in stored
    assert MOTHER_NAME in stored
    with db.session() as s:
        assert s.get(Family, fid).status == family_store.ACTIVE


# -- exports -------------------------------------------------------------------------------------------

def _export_text(document: bytes, filename: str) -> str:
    if filename.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(document)) as z:
            return "\n".join(z.read(name).decode("utf-8-sig") for name in z.namelist())
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(document), read_only=True)
    return "\n".join(" ".join(str(c) for c in row if c is not None) for sheet in book.worksheets
                     for row in sheet.iter_rows(values_only=True))


async def test_exports_are_pseudonymous_unless_names_are_asked_for(bot, db, fake_tg, clock, tmp_path):
    mother, husband, fid = await _family_with_everything(db, fake_tg, research=True)
    midwife = fake_tg.user(user_id=91_501, first_name="Bidan")
    with db.session() as s:
        facility = facilities.create(s, name="PMB Privasi", now=clock.now())
        add_midwife(s, facility, telegram_id=midwife.id, name="Bidan Privasi", now=clock.now())
        family_store.update(s, s.get(Family, fid), facility_id=facility.id)
        code = s.get(Family, fid).code
    for command in ("/export", "/export csv"):
        await midwife.send(command)
        doc = midwife.last_reply
        text = _export_text(doc.document, doc.filename)
        assert code in text, command
        for trace in (MOTHER_NAME, HUSBAND_NAME, str(MOTHER_ID), str(HUSBAND_ID), "zulaikha_r"):
            assert trace not in text, f"{command}: {trace!r} in a pseudonymous export"
    await midwife.send("/export nama")
    assert MOTHER_NAME in _export_text(midwife.last_reply.document, midwife.last_reply.filename)
    with db.session() as s:
        flags = [e.detail.get("with_names") for e in s.exec(select(AuditLog).where(AuditLog.action == "export"))]
    assert flags == [False, False, True]  # every export is in the audit log, names flagged
    out = tmp_path / "export.xlsx"
    proc = subprocess.run([sys.executable, "-m", "bot", "export", "--out", str(out)], cwd=ROOT,
                          env=child_env(fake_tg, bot.settings.database_url), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    text = _export_text(out.read_bytes(), out.name)
    assert code in text and MOTHER_NAME not in text and str(MOTHER_ID) not in text


# -- the midwife's role, checked on the server -------------------------------------------------------------

def _midwife_handlers(app) -> tuple[list[str], list[str]]:
    commands, patterns = [], []
    for group in app.handlers.values():
        for handler in group:
            module = getattr(handler.callback, "__module__", "")
            if module != "bot.handlers.midwife":
                continue
            if isinstance(handler, CommandHandler):
                commands.extend(sorted(handler.commands))
            elif isinstance(handler, CallbackQueryHandler):
                patterns.append(handler.pattern.pattern)
    return commands, patterns


async def test_every_midwife_command_and_button_is_refused_to_everyone_else(bot, db, fake_tg, clock, mother):
    commands, patterns = _midwife_handlers(bot.app)
    assert {"pasien", "export", "analisis", "qr", "undang", "bidan"} <= set(commands)
    assert patterns == ["^mw:"]
    await register(mother, db)
    fid = family_id_of(db, mother.id)
    stranger = fake_tg.user(user_id=92_001, first_name="Asing")
    former = fake_tg.user(user_id=92_002, first_name="Mantan")
    with db.session() as s:
        facility = facilities.create(s, name="PMB Peran", now=clock.now())
        staff = add_midwife(s, facility, telegram_id=former.id, name="Bidan Mantan", now=clock.now())
        family_store.update(s, s.get(Family, fid), facility_id=facility.id)
        row = s.get(Staff, staff.id)
        row.active = False  # her role was revoked
        s.add(row)
    await mother.send("bayi kejang")  # an alert exists to be pressed
    with db.session() as s:
        alert = s.exec(select(Alert)).first()
    data = ["mw:list:0", f"mw:fam:{fid}:0", f"mw:open:{fid}", f"mw:done:{alert.id}", "mw:hapus:1", "mw:"]
    refused = 0
    for person in (stranger, mother, former):
        for command in commands:
            for text in (f"/{command}", f"/{command} nama csv 1"):
                replies = await person.send(text)
                assert [m.text for m in replies] in ([variant] for variant in as_read(say("midwife.not_staff"))), \
                    (person, text)
                refused += 1
        for d in data:
            replies = await person.press_data(d)
            assert replies == [] or all(m.text in as_read(say("midwife.not_staff")) for m in replies), (person, d)
            assert person.callback_answers[-1] == say("midwife.not_allowed"), (person, d)
            refused += 1
    with db.session() as s:
        assert s.get(Alert, alert.id).handled_at is None
        assert not list(s.exec(select(AuditLog).where(AuditLog.action.in_(["export", "analysis"]))))
    print(f"\nFIGURES midwife_role: refusals={refused} leaks=0")


# -- no SQL by string formatting ---------------------------------------------------------------------------

SQL_SINKS = {"execute", "exec", "exec_driver_sql", "executescript", "executemany"}  # methods taking SQL
# ``text(...)`` as a plain name is SQLAlchemy's; ``content.text(...)`` (an attribute) is a sentence lookup.
SOURCE_DIRS = ("bot", "storage", "analysis", "content")


def _formatted(node: ast.AST) -> bool:
    """A string built at run time from something that is not a constant."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) and not (isinstance(v.value, ast.Name)
                                                              and v.value.id.isupper())
                   for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return not (isinstance(node.left, ast.Constant) and isinstance(node.right, ast.Constant))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return True
    return False


def _formatted_sql(tree: ast.AST) -> list[int]:
    """Line numbers of SQL calls whose statement is built by string formatting."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        sink = (isinstance(node.func, ast.Attribute) and node.func.attr in SQL_SINKS) or (
            isinstance(node.func, ast.Name) and node.func.id == "text")
        if sink and _formatted(node.args[0]):
            lines.append(node.lineno)
    return lines


def test_no_sql_is_built_by_string_formatting():
    planted = ast.parse(
        'session.execute(f"SELECT * FROM users WHERE first_name = \'{name}\'")\n'
        'conn.exec_driver_sql("DELETE FROM answers WHERE id = %s" % row_id)\n'
        'session.exec(text("SELECT " + column + " FROM users"))\n'
        'cur.execute("UPDATE users SET first_name = \'{}\'".format(name))\n'
        'cur.execute(f"PRAGMA busy_timeout={BUSY_MS}")\n'  # a constant: allowed
        'content.text(f"help.command_{name}")\n'  # a sentence lookup, not SQL
    )
    assert sorted(_formatted_sql(planted)) == [1, 2, 3, 4]
    files = [p for d in SOURCE_DIRS for p in (ROOT / d).rglob("*.py") if "versions" not in p.parts]
    assert len(files) > 40
    found = [f"{path.relative_to(ROOT)}:{line}" for path in files
             for line in _formatted_sql(ast.parse(path.read_text(encoding="utf-8")))]
    assert found == [], f"SQL built by string formatting: {found}"
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "S608", "--no-cache",
                           *SOURCE_DIRS], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
