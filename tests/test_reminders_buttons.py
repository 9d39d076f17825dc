"""The reminder buttons and /jadwal, pressed and typed by fake people against the running bot."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.flows.schedule import family_offset, reschedule_family
from bot.reminders.dispatcher import Dispatcher
from storage.models import Family, MassageSession
from tests.test_reminders_support import make_family, rows

BIRTH = date(2026, 11, 20)
WITA = ZoneInfo("Asia/Makassar")


@pytest.fixture
def family(bot, db, clock, fake_tg, mother, husband):
    fake_tg.clock = clock
    clock.set(datetime(2026, 11, 20, 22, 0, tzinfo=WITA))
    with db.session() as s:
        fid = make_family(s, now=clock.now(), birth_date=BIRTH, tz="Asia/Makassar",
                          members=[(mother.id, "mother"), (husband.id, "husband")])
        reschedule_family(s, fid, now=clock.now(), settings=bot.settings)
    return fid


def at(fid: int, settings, day: int, hh: int, mm: int = 0) -> datetime:
    local = datetime(BIRTH.year, BIRTH.month, BIRTH.day, hh, mm, tzinfo=WITA) + timedelta(days=day)
    return local + family_offset(fid, settings.jitter)


async def first_reminder(bot, clock, fid):
    clock.set(at(fid, bot.settings, 1, 7, 0))
    return await Dispatcher(bot.runtime, bot.app.bot, per_chat_gap=0).tick()


async def test_snooze_sends_the_reminder_again_30_minutes_later_once(bot, db, clock, family, husband):
    await first_reminder(bot, clock, family)
    await husband.press("Ingatkan 30 menit lagi")
    assert "saya ingatkan lagi pukul" in husband.callback_answers[-1]
    assert f"{(clock.now() + timedelta(minutes=30)).astimezone(WITA):%H:%M} WITA" in husband.callback_answers[-1]
    await husband.press("Ingatkan 30 menit lagi")  # a double tap
    assert "Sudah diatur" in husband.callback_answers[-1]
    snoozes = rows(db, family, "snooze")
    assert len(snoozes) == 1 and snoozes[0].due_at == clock.now() + timedelta(minutes=30)
    def repeats():
        return [m for m in husband.messages if m.text.startswith("⏰ Pengingat ulang")]

    clock.advance(timedelta(minutes=29))
    await Dispatcher(bot.runtime, bot.app.bot, per_chat_gap=0).tick()
    assert repeats() == []
    clock.advance(timedelta(minutes=1))
    await Dispatcher(bot.runtime, bot.app.bot, per_chat_gap=0).tick()
    [again] = repeats()
    assert "Mulai panduan pijat" in again.button_labels and "Sudah dilakukan" in again.button_labels


async def test_done_logs_one_session_for_the_whole_family_and_cancels_the_snooze(
    bot, db, clock, family, mother, husband
):
    await first_reminder(bot, clock, family)
    await husband.press("Ingatkan 30 menit lagi")
    await mother.press("Sudah dilakukan")
    assert mother.last_reply.text == "Siapa yang memijat Ibu tadi?"  # the record names who massaged
    await mother.press("U1002")
    assert "sudah saya catat" in mother.last_reply.text
    await husband.press("Sudah dilakukan")  # on his own copy of the same reminder
    assert "sudah tercatat" in husband.callback_answers[-1]
    with db.session() as s:
        logged = list(s.exec(select(MassageSession).where(MassageSession.family_id == family)))
    assert [(m.status, m.postpartum_day) for m in logged] == [("logged", 1)]
    assert [r.status for r in rows(db, family, "snooze")] == ["cancelled"]
    clock.advance(timedelta(minutes=31))
    await Dispatcher(bot.runtime, bot.app.bot, per_chat_gap=0).tick()
    assert not [m for m in husband.messages if m.text.startswith("⏰")]


async def test_stale_or_foreign_reminder_buttons_do_nothing(bot, db, clock, family, mother, stranger):
    await first_reminder(bot, clock, family)
    await mother.press_data("rem:snooze:999999")
    assert mother.callback_answers[-1] == "Pengingat ini sudah tidak berlaku."
    mine = rows(db, family, "massage")[0]
    await stranger.press_data(f"rem:done:{mine.id}")
    assert stranger.callback_answers[-1] == "Pengingat ini sudah tidak berlaku."
    with db.session() as s:
        assert list(s.exec(select(MassageSession))) == []


async def test_no_snooze_into_the_night(bot, db, clock, family, mother):
    clock.set(at(family, bot.settings, 1, 16, 0))
    await Dispatcher(bot.runtime, bot.app.bot, per_chat_gap=0).tick()
    clock.set(datetime(2026, 11, 21, 20, 45, tzinfo=WITA))
    await mother.press("Ingatkan 30 menit lagi")
    assert "malam" in mother.callback_answers[-1]
    assert rows(db, family, "snooze") == []


async def test_jadwal_shows_and_changes_the_times_and_moves_pending_rows(bot, db, clock, family, mother):
    clock.set(datetime(2026, 11, 21, 9, 0, tzinfo=WITA))
    await mother.send("/jadwal")
    shown = mother.last_reply
    assert "07:00" in shown.text and "16:00" in shown.text and "WITA" in shown.text
    assert shown.button_labels == ["Ubah jam"]
    await mother.press("Ubah jam")
    assert "Ketik 2 jam baru" in mother.last_reply.text
    await mother.send("jam 3 pagi")
    assert "belum bisa saya pakai" in mother.last_reply.text
    await mother.send("06:30, 15.30")
    assert "06:30, 15:30" in mother.last_reply.text and "WITA" in mother.last_reply.text
    with db.session() as s:
        assert s.get(Family, family).reminder_times == "06:30,15:30"
    d1s2 = [r for r in rows(db, family, "massage") if r.payload["slot"] == "d1s2"]
    assert len(d1s2) == 2 and {r.due_at for r in d1s2} == {at(family, bot.settings, 1, 15, 30)}
    await mother.send("halo")  # the conversation about times is over
    assert "06:30" not in mother.last_reply.text
    await mother.send("/jadwal")
    assert "Kembali ke jam awal" in mother.last_reply.button_labels
    await mother.press("Kembali ke jam awal")
    assert "07:00, 16:00" in mother.last_reply.text
    assert {r.due_at for r in rows(db, family, "massage") if r.payload["slot"] == "d1s2"} == {
        at(family, bot.settings, 1, 16, 0)}


async def test_jadwal_with_arguments_and_for_a_stranger(bot, db, clock, family, husband, stranger):
    clock.set(datetime(2026, 11, 21, 9, 0, tzinfo=WITA))
    await husband.send("/jadwal 08:00,17:00")
    assert "08:00, 17:00" in husband.last_reply.text
    ahead = [r for r in rows(db, family, "massage") if r.due_at > clock.now()]
    assert {r.payload["local"] for r in ahead} == {"08:00", "17:00"}
    await husband.send("/jadwal 08:00,08:30")  # too close together
    assert "berjarak paling sedikit 1 jam" in husband.last_reply.text
    await stranger.send("/jadwal")
    assert "belum terdaftar" in stranger.last_reply.text


async def test_the_guide_button_goes_to_the_mother_when_she_is_alone(bot, db, clock, fake_tg, mother, husband):
    fake_tg.clock = clock
    clock.set(datetime(2026, 11, 20, 22, 0, tzinfo=WITA))
    with db.session() as s:
        alone = make_family(s, now=clock.now(), birth_date=BIRTH, tz="Asia/Makassar", members=[(mother.id, "mother")])
        reschedule_family(s, alone, now=clock.now(), settings=bot.settings)
    await first_reminder(bot, clock, alone)
    massage = [m for m in mother.messages if "Mulai panduan pijat" in m.button_labels]
    assert massage, [m.button_labels for m in mother.messages]


async def test_with_a_husband_the_mother_gets_no_guide_button(bot, db, clock, family, mother, husband):
    await first_reminder(bot, clock, family)
    assert any("Mulai panduan pijat" in m.button_labels for m in husband.messages)
    assert not any("Mulai panduan pijat" in m.button_labels for m in mother.messages)
