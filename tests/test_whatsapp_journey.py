"""A family on WhatsApp, from the outside: the real Application, the webhook on its own web server, the fake
Cloud API (its limits, its window on the injected clock), the Telegram midwife on the fake Bot API."""

from __future__ import annotations

from sqlmodel import select

from bot import cli
from storage.models import ChannelIdentity, Facility
from tests.whatsapp_support import Person, wa_bot

MOTHER = "6281234560001"


def _invite(db, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", db.url)
    assert cli.main(["midwife", "invite", "--facility", "Puskesmas Masohi", "--protocol", "seed001"]) == 0
    with db.session() as s:
        return s.exec(select(Facility)).one().registration_code


async def test_a_family_on_whatsapp(settings, db, clock, fake_tg, monkeypatch):
    code = _invite(db, monkeypatch)
    async with wa_bot(settings, db, clock, fake_tg) as (running, fake_wa):
        mother = Person(fake_wa, running, MOTHER, "Siti")
        log = []

        async def act(how, what):
            await (mother.type(what) if how == "type" else mother.press_title(what))
            log.append(f"> {what}\n{mother.texts()}")

        await act("type", f"DAFTAR {code}")
        assert [k for k, *_ in mother.user.offered()] == ["button_reply", "button_reply"]
        await act("press", "Setuju")
        await act("press", "Setuju")
        await act("press", "Boleh")
        await act("press", "Ibu")
        await act("type", "Siti")
        await act("press", "Kemarin")
        await act("press", mother.user.offered()[0][2])
        await act("press", "Benar, simpan")
        print("\n".join(log))
        with db.session() as s:
            row = s.exec(select(ChannelIdentity)).one()
            assert row.opt_in_version and row.person_id > 6_000_000_000_000_000
