"""A protocol whose massage a health worker gives (seed 002, ``performer: petugas``): the family's reminder tells
the mother of the visit and never asks the family to massage or to start the guide (issue 26's leftover)."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot import cli
from bot.reminders.dispatcher import dispatch_once
from storage.models import Facility, Family, Outbox
from tests.test_study_design_e2e import register_through

WIB = ZoneInfo("Asia/Jakarta")


async def _family_on(protocol: str, bot, db, clock, fake_tg, monkeypatch, capsys):
    fake_tg.clock = clock
    monkeypatch.setenv("DATABASE_URL", db.url)
    assert cli.main(["midwife", "invite", "--facility", f"Puskesmas {protocol}", "--protocol", protocol]) == 0
    capsys.readouterr()
    with db.session() as s:
        registration = s.exec(select(Facility)).one().registration_code
    mother = fake_tg.user(user_id=5801, first_name="Ani")
    await register_through(mother, registration, "Ani", research=False)
    with db.session() as s:
        birth = s.exec(select(Family)).one().birth_date
        first = s.exec(select(Outbox).where(Outbox.kind == "massage").order_by(Outbox.due_at)).first()
    clock.set(first.due_at.replace(tzinfo=ZoneInfo("UTC")) + timedelta(minutes=15))
    assert clock.now().astimezone(WIB).date() == birth + timedelta(days=1)
    await dispatch_once(bot.runtime, bot.app.bot)
    return mother


async def test_the_mother_is_told_of_the_health_worker_s_visit(bot, db, clock, fake_tg, monkeypatch, capsys):
    mother = await _family_on("seed002", bot, db, clock, fake_tg, monkeypatch, capsys)
    [reminder] = [m for m in mother.replies_since_last_action if "pijat ke-1 dari" in (m.text or "")]
    expected = bot.runtime.content.text("reminders.massage.worker_visit.mother", hari=1, sesi=1, jumlah=1,
                                        jam="08:00")
    assert reminder.text == expected
    assert "Minta Bapak" not in reminder.text
    # no guide to start, no snooze of someone else's visit, no "Sudah dilakukan": the health worker logs it (/vital)
    assert reminder.button_labels == []


async def test_a_family_protocol_still_asks_the_family_to_massage(bot, db, clock, fake_tg, monkeypatch, capsys):
    mother = await _family_on("seed001", bot, db, clock, fake_tg, monkeypatch, capsys)
    [reminder] = [m for m in mother.replies_since_last_action if "pijat ke-1 dari" in (m.text or "")]
    assert re.search(r"Minta Bapak atau keluarga memijat", reminder.text)
    assert "Sudah dilakukan" in reminder.button_labels
