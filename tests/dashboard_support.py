"""Shared set-up for the dashboard tests: the real bot with its web server on a free port of 127.0.0.1,
and correctly signed (or forged) Mini App initData. No tests here."""

from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import timedelta

from bot.devtools.harness import RunningBot
from bot.web.auth import sign
from bot.web.server import PORT_KEY


@asynccontextmanager
async def dashboard_bot(settings, db, clock, fake_tg):
    running = RunningBot(settings=settings.with_(web_port=0, web_listen="127.0.0.1",
                                                  web_app_url="https://bidan.example.org/app/"),
                         db=db, clock=clock, fake=fake_tg)
    await running.start()
    try:
        yield running, f"http://127.0.0.1:{running.app.bot_data[PORT_KEY]}"
    finally:
        await running.stop()


def init_data(running, telegram_id: int, *, first_name: str = "Aminah", age: timedelta = timedelta(minutes=1),
              token: str | None = None) -> str:
    return sign(token or running.settings.token, user={"id": telegram_id, "first_name": first_name},
                auth_date=running.clock.now() - age, query_id="AAH-test")


def forged(running, telegram_id: int) -> dict[str, str]:
    """Each way a forged initData can come: name -> the header value."""
    good = init_data(running, telegram_id)
    return {
        "no header": "",
        "wrong scheme": "Bearer " + good,
        "tma without data": "tma ",
        "garbage": "tma hello=world",
        "signed with another token": "tma " + init_data(running, telegram_id, token="999:OTHER-TOKEN"),
        "user changed after signing": "tma " + good.replace(f"%3A{telegram_id}", f"%3A{telegram_id + 1}", 1),
        "hash removed": "tma " + "&".join(p for p in good.split("&") if not p.startswith("hash=")),
        "expired (25 h old)": "tma " + init_data(running, telegram_id, age=timedelta(hours=25)),
        "from the future (1 h)": "tma " + init_data(running, telegram_id, age=-timedelta(hours=1)),
    }
