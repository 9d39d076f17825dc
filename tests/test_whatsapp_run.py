"""The outside check of issue 28: ``python -m bot run`` as a subprocess with ONLY the WhatsApp variables (no
Telegram token), pointed at its own fake Cloud API: the webhook's verification, unsigned and mis-signed bodies
refused, a family registering from the facility's wa.me text with the buttons and lists it receives (every
send within WhatsApp's limits, as the fake enforces them), a replayed message id answered once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
from sqlmodel import select

from bot import cli
from bot.devtools.fake_whatsapp import FakeWhatsApp
from storage.db import Database
from storage.models import ChannelIdentity, Facility, Family, Membership

ROOT = Path(__file__).resolve().parents[1]
MOTHER = "6281234567001"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _until(condition, timeout: float = 30.0) -> None:
    """Wait for an event the bot causes in another process (never for a time of its own)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise TimeoutError("the bot did not answer")
        await asyncio.sleep(0.05)


async def test_bot_run_with_only_whatsapp(sqlite_url, tmp_path, monkeypatch):
    db = Database(sqlite_url)
    db.upgrade()
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert cli.main(["midwife", "invite", "--facility", "Puskesmas Masohi", "--protocol", "seed001"]) == 0
    with db.session() as s:
        code = s.exec(select(Facility)).one().registration_code
    port = _free_port()
    async with FakeWhatsApp() as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WHATSAPP_", "DATABASE_URL"))}
        env.update(fake.env(), PYTHONPATH=str(ROOT), DATABASE_URL=sqlite_url, WEB_PORT=str(port),
                   WEB_LISTEN="127.0.0.1", HEALTH_FILE=str(tmp_path / "heartbeat"),
                   DANGER_SPOOL=str(tmp_path / "spool.jsonl"), LOG_LEVEL="INFO")
        log = open(tmp_path / "bot.log", "wb")  # noqa: SIM115 - closed below
        proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", cwd=str(tmp_path), env=env,
                                                    stdout=log, stderr=asyncio.subprocess.STDOUT)
        hook = f"http://127.0.0.1:{port}/whatsapp/webhook"
        fake.webhook_url = hook
        try:
            async with aiohttp.ClientSession() as http:
                async def verify(token: str) -> tuple[int, str]:
                    params = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"}
                    async with http.get(hook, params=params) as r:
                        return r.status, await r.text()

                async def up() -> None:
                    while True:
                        try:
                            await verify("x")
                            return
                        except aiohttp.ClientConnectionError:
                            assert proc.returncode is None, (tmp_path / "bot.log").read_text()
                            await asyncio.sleep(0.1)

                await asyncio.wait_for(up(), 60)
                assert await verify("test-verify-token") == (200, "1158201444")
                assert (await verify("wrong"))[0] == 403
                body = json.dumps(fake.change({"messages": []})).encode()
                assert await fake.post_webhook(body, signed=False) == 401
                assert await fake.post_webhook(body, signature="sha256=" + "0" * 64) == 403

            mother = fake.user(MOTHER, "Siti")

            async def say(act) -> None:
                before = len(mother.inbox)
                assert await act == 200
                await _until(lambda: len(mother.inbox) > before)
                await asyncio.sleep(0)  # the rest of the answer follows in the same turn

            async def settle() -> None:  # the turn's last message has arrived: nothing more for a moment
                count = -1
                while count != len(mother.inbox):
                    count = len(mother.inbox)
                    await asyncio.sleep(0.3)

            await say(mother.type(f"DAFTAR {code}"))
            await settle()
            for choice in ("wa_optin_yes",):
                await say(mother.press(choice))
                await settle()
            for title in ("Setuju", "Boleh", "Ibu"):
                ids = [i for _, i, t in mother.offered() if t == title]
                await say(mother.press(ids[0]))
                await settle()
            await say(mother.type("Siti"))
            await settle()
            await say(mother.press([i for _, i, t in mother.offered() if t == "Kemarin"][0]))
            await settle()
            await say(mother.press(mother.offered()[0][1]))  # the time zone, from the buttons
            await settle()
            await say(mother.press([i for _, i, t in mother.offered() if t == "Benar, simpan"][0]))
            await settle()
            texts = [m.body.get("text", {}).get("body", "") or m.body.get("interactive", {}).get("body", {}).get("text", "")
                     for m in mother.inbox]
            assert any("Pendaftaran selesai" in t for t in texts), texts
            assert all(c.ok for c in fake.calls if c.path.endswith("/messages")), [c.response for c in fake.calls if not c.ok]
            # a replayed message id gets no second answer
            before = len(mother.inbox)
            assert await mother.replay() == 200
            await settle()
            assert len(mother.inbox) == before
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()
            log.close()
    with db.session() as s:
        person = s.exec(select(ChannelIdentity)).one()
        assert person.address == MOTHER and person.opted_in_at is not None
        member = s.exec(select(Membership)).one()
        family = s.get(Family, member.family_id)
        assert family is not None and family.facility_id is not None
    assert "Traceback" not in (tmp_path / "bot.log").read_text(), (tmp_path / "bot.log").read_text()[-3000:]
