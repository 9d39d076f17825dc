"""An "after" measurement opens only after the massage it follows (issue 24, item 3), from the outside: a
seed-001 mother on day 2, the real Application over the fake Bot API, the reminders sent by the dispatcher at
an injected clock. The afternoon reminder offers no "Isi ceklis"; the old button, /ceklis and the checklist
reminder before the massage open nothing; once the massage is logged the bot offers the "after" checklist,
stored on time, and `analyze --protocol seed001 --json` counts it once.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot import cli
from bot.flows.schedule import family_offset
from bot.reminders.dispatcher import Dispatcher
from content import get_content
from storage.models import Facility, Family, MassageSession, Measurement, Outbox
from tests.test_study_design_e2e import answer_all, register_through

WIB = ZoneInfo("Asia/Jakarta")


async def test_afternoon_reminder_never_opens_the_after_checklist_before_the_massage(
        bot, db, clock, fake_tg, monkeypatch, capsys):
    fake_tg.clock = clock
    content = get_content()
    instrument = content.instruments["skala3"]
    monkeypatch.setenv("DATABASE_URL", db.url)
    assert cli.main(["midwife", "invite", "--facility", "Puskesmas Masohi", "--protocol", "seed001"]) == 0
    with db.session() as s:
        facility = s.exec(select(Facility)).one()
        code, registration = facility.code, facility.registration_code
    mother = fake_tg.user(user_id=5100, first_name="Ani")
    await register_through(mother, registration, "Ani", research=True)
    await mother.press("Lewati semua")
    with db.session() as s:
        fam = s.exec(select(Family)).one()
        fid, birth = fam.id, fam.birth_date
    offset = family_offset(fid, bot.settings.jitter)

    def local(day: int, hh: int, mm: int = 0) -> datetime:
        return datetime.combine(birth + timedelta(days=day), time(hh, mm), tzinfo=WIB) + offset

    async def tick_at(moment: datetime):
        clock.set(moment)
        await Dispatcher(bot.runtime, bot.app.bot, per_chat_gap=0).tick()

    # Day 2, morning: the "before" checklist, then the morning massage is logged from its reminder.
    clock.set(local(2, 7, 0))
    await mother.send("/ceklis")
    assert "Pertanyaan 1" in mother.last_reply.text
    await answer_all(mother, instrument, 0)
    await tick_at(local(2, 8, 5))
    morning = next(m for m in reversed(mother.messages) if "Sudah dilakukan" in m.button_labels)
    assert "pijat ke-1" in morning.text
    await mother.press_data(f"rem:done:{_row_id(db, fid, 2, 1)}")
    assert "pijat ke-1" in mother.last_reply.text

    # 16:05: the afternoon reminder. It offers the massage, never the "after" checklist.
    seen = len(mother.messages)
    await tick_at(local(2, 16, 5))
    [afternoon] = [m for m in mother.messages[seen:] if "Sudah dilakukan" in m.button_labels]
    assert "pijat ke-2" in afternoon.text, mother.text_log()
    assert "Isi ceklis" not in afternoon.button_labels and "Mulai panduan pijat" in afternoon.button_labels
    # The old button (an earlier message, the menu) and /ceklis open nothing before the massage.
    await mother.press_data("ceklis:start")
    assert "setelah pijat hari ini selesai" in mother.last_reply.text, mother.text_log()
    await mother.send("/ceklis")
    assert "setelah pijat hari ini selesai" in mother.last_reply.text
    assert "Pertanyaan" not in mother.last_reply.text
    # 16:25: the "after" checklist's own reminder is not sent while the massage is still to come.
    seen = len(mother.messages)
    await tick_at(local(2, 16, 25))
    assert not [m for m in mother.messages[seen:] if m.button_labels], mother.text_log()
    with db.session() as s:
        assert [m.occasion for m in s.exec(select(Measurement).where(Measurement.family_id == fid))] == ["day2_pre"]

    # 16:40: the afternoon massage is logged; now the bot offers the "after" checklist.
    clock.set(local(2, 16, 40))
    await mother.press_data(f"rem:done:{_row_id(db, fid, 2, 2)}")
    texts = [m.text for m in mother.replies_since_last_action]
    assert any("pijat ke-2" in t for t in texts) and any("ceklis sesudah pijat" in t for t in texts), texts
    await mother.press("📝 Isi ceklis")
    assert "Pertanyaan 1" in mother.last_reply.text
    await answer_all(mother, instrument, -1)
    with db.session() as s:
        ms = s.exec(select(Measurement).where(Measurement.family_id == fid).order_by(Measurement.id)).all()
        assert [(m.occasion, m.window) for m in ms] == [("day2_pre", "on_time"), ("day2_post", "on_time")]
        done = s.exec(select(MassageSession).where(MassageSession.family_id == fid)).all()
        assert ms[1].started_at >= max(d.ended_at for d in done)

    capsys.readouterr()
    assert cli.main(["analyze", "--protocol", "seed001", "--facility", code, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    day2 = next(p for p in out["pairs"] if p["day"] == 2)
    assert day2["n"] == 1 and not day2["excluded"]


async def test_an_after_begun_before_its_massage_is_stored_early_and_asked_again(bot, db, clock, fake_tg,
                                                                                monkeypatch):
    """A measurement begun before the window opened (an old "after" opened before this rule, say) is
    stored ``early``, does not count as done, and the bot asks for it again after the massage."""
    fake_tg.clock = clock
    content = get_content()
    instrument = content.instruments["skala3"]
    monkeypatch.setenv("DATABASE_URL", db.url)
    assert cli.main(["midwife", "invite", "--facility", "Puskesmas Masohi", "--protocol", "seed001"]) == 0
    with db.session() as s:
        registration = s.exec(select(Facility)).one().registration_code
    mother = fake_tg.user(user_id=5200, first_name="Bina")
    await register_through(mother, registration, "Bina", research=True)
    await mother.press("Lewati semua")
    with db.session() as s:
        fam = s.exec(select(Family)).one()
        fid, birth = fam.id, fam.birth_date
        # An unfinished "after" checklist begun at 07:30, before any massage of day 2.
        s.add(Measurement(family_id=fid, instrument_id="skala3", instrument_version=instrument.version,
                          occasion="day2_post", started_at=datetime.combine(
                              birth + timedelta(days=2), time(7, 30), tzinfo=WIB)))
        s.commit()
    clock.set(datetime.combine(birth + timedelta(days=2), time(7, 40), tzinfo=WIB))
    await mother.send("/lanjut")
    await answer_all(mother, instrument, -1)
    with db.session() as s:
        [early] = s.exec(select(Measurement).where(Measurement.family_id == fid)).all()
        assert early.window == "early"
    # Both massages of day 2 are logged; the "after" checklist is offered again and stored on time.
    for session_no, hh in ((1, 8), (2, 16)):
        clock.set(datetime.combine(birth + timedelta(days=2), time(hh, 0), tzinfo=WIB)
                  + family_offset(fid, bot.settings.jitter) + timedelta(minutes=10))
        await mother.press_data(f"rem:done:{_row_id(db, fid, 2, session_no)}")
    assert any("ceklis sesudah pijat" in (m.text or "") for m in mother.replies_since_last_action)
    await mother.press("📝 Isi ceklis")
    await answer_all(mother, instrument, -1)
    with db.session() as s:
        rows = s.exec(select(Measurement).where(Measurement.family_id == fid).order_by(Measurement.id)).all()
        assert [(m.occasion, m.window) for m in rows] == [("day2_post", "early"), ("day2_post", "on_time")]


def _row_id(db, fid: int, day: int, session_no: int) -> int:
    with db.session() as s:
        rows = s.exec(select(Outbox).where(Outbox.family_id == fid, Outbox.kind == "massage")).all()
        return next(r.id for r in rows
                    if (r.payload or {}).get("day") == day and (r.payload or {}).get("session") == session_no)
