"""The slice end to end: the real Application over real HTTP against the fake Bot API, a real database."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import select

from storage import meta
from storage.models import ProcessedUpdate, User

ROOT = Path(__file__).resolve().parents[1]


async def test_start_answers_in_indonesian_with_a_keyboard_and_stores_the_user_who_agrees(bot, mother):
    await mother.send("/start")
    reply = mother.last_reply
    assert "Selamat datang" in reply.text
    assert "Setuju" in reply.button_labels
    assert "Tidak setuju" in reply.button_labels
    await mother.press("Setuju")
    with bot.runtime.db.session() as session:
        user = session.exec(select(User).where(User.telegram_id == 1001)).one()
        assert user.first_name == "Siti"
        assert user.consent_at is not None
        assert session.exec(select(ProcessedUpdate)).first() is not None
        assert meta.get(session, meta.BOT_USERNAME) == bot.fake.bot_username


async def test_command_menu_is_published_at_start(bot, fake_tg):
    calls = fake_tg.calls_to("setMyCommands")
    if bot.runtime.content.has_text("help.command_menu"):
        assert calls, "setMyCommands was not called"
        names = [c["command"] for c in calls[-1].params["commands"]]
        assert "menu" in names and "pijat" in names


async def test_token_never_appears_in_logs_at_debug(bot, mother, fake_tg, caplog):
    caplog.set_level(logging.DEBUG)
    await mother.send("/start")
    await mother.send("halo")
    assert caplog.records, "nothing was logged at DEBUG"
    logged = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    assert fake_tg.token not in logged
    assert fake_tg.token.split(":", 1)[1] not in logged


async def test_the_same_update_delivered_twice_is_handled_once(bot, mother, fake_tg):
    await mother.send("/start")
    before = len(fake_tg.calls_to("sendMessage"))
    await fake_tg.deliver(mother.last_update.payload)
    assert len(fake_tg.calls_to("sendMessage")) == before


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_URL", "BOT_"))}
    env.update(extra)
    return env


def test_run_without_token_is_one_line_and_non_zero(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=_env(PYTHONPATH=str(ROOT)),
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode != 0
    assert "TELEGRAM_BOT_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


async def test_python_m_bot_run_against_a_bot_api_server_answers_start(fake_tg, tmp_path):
    """The bot needs nothing but a token and an API URL: it creates its own database."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=str(tmp_path),
        env=_env(
            PYTHONPATH=str(ROOT), TELEGRAM_BOT_TOKEN=fake_tg.token, TELEGRAM_API_URL=fake_tg.base_url,
            LOG_LEVEL="DEBUG",
        ),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        user = fake_tg.user(user_id=4242, first_name="Rina")
        replied = asyncio.Event()
        fake_tg.on_message(lambda message, event: replied.set() if message.chat_id == 4242 else None)
        await fake_tg.wait_polling(timeout=60)
        await user.send("/start", wait=False)
        await asyncio.wait_for(replied.wait(), timeout=60)
        assert "Selamat datang" in user.last_reply.text
    finally:
        proc.terminate()
        _, err = await asyncio.wait_for(proc.communicate(), timeout=30)
    assert (tmp_path / "data" / "pijat.db").exists()
    assert fake_tg.token.encode() not in err
