"""The husband's guide end to end (issue 17): taps of a first and a later session, the hands-free cues as
new messages at the protocol's rhythm, the animation, the one-message safety check and its danger path,
and the reminders that never invite a second massage for a slot already done.

Everything runs through the real Application and the fake Bot API; time moves only with the FakeClock and
the cues are sent by the real dispatcher.
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.flows.schedule import reschedule_family
from bot.reminders.dispatcher import Dispatcher, dispatch_once
from content import get_content
from storage.models import Alert, MassageSession, Outbox, User
from tests.test_reminders_support import make_family

WIB = ZoneInfo("Asia/Jakarta")
BIRTH = date(2026, 11, 19)  # the clock starts on 20/11 08:00 WIB: day 1


@pytest.fixture
def family(bot, db, clock, fake_tg, mother, husband):
    fake_tg.clock = clock
    with db.session() as s:
        fid = make_family(s, now=clock.now(), birth_date=BIRTH, members=[(mother.id, "mother"),
                                                                          (husband.id, "husband")])
        for u in s.exec(select(User)).all():
            u.display_name = {mother.id: "Siti", husband.id: "Budi"}[u.telegram_id]
            s.add(u)
    return fid


SKIP_CHECKLIST = "Lewati, mulai pijat"  # the "before" checklist is offered first, until filled in or skipped


async def start(person):
    """/pijat, skipping the "before" checklist when the bot offers it first; the taps this took."""
    await person.send("/pijat")
    if SKIP_CHECKLIST in person.last_reply.button_labels:
        await person.press(SKIP_CHECKLIST)
        return 2
    return 1


class Taps:
    """Counts what a person does (a command, a typed answer, a button) from /pijat to the end."""

    def __init__(self, person):
        self.person, self.n = person, 0

    async def pijat(self):
        self.n += await start(self.person)

    async def send(self, text: str):
        self.n += 1
        return await self.person.send(text)

    async def press(self, label: str):
        self.n += 1
        return await self.person.press(label)


async def run_timing(bot, clock, person, seconds: int) -> list[tuple[int, object]]:
    """Move the clock second by second through the session, dispatching; (offset, message) of each cue."""
    start = clock.now()
    known = {m.message_id for m in person.messages}
    got = []
    for offset in range(1, seconds + 1):
        clock.set(start + timedelta(seconds=offset))
        await dispatch_once(bot.runtime, bot.app.bot)
        for m in person.messages:
            if m.message_id not in known:
                known.add(m.message_id)
                got.append((offset, m))
    return got


def _session(db) -> MassageSession:
    with db.session() as s:
        return s.exec(select(MassageSession).order_by(MassageSession.id.desc())).first()


async def test_first_session_six_cards_then_later_session_in_four_taps(bot, db, clock, family, husband, mother):
    content = get_content()
    seconds = content.default_protocol.session_seconds
    taps = Taps(husband)

    # -- first session ------------------------------------------------------------------------------------
    await taps.pijat()
    check = husband.last_reply
    for q in content.safety_questions:  # every question is asked, in one message
        assert content.text(f"guide.item.{q.id}") in check.text
    assert "✅ Semua tidak ada" in check.button_labels
    await taps.press("✅ Semua tidak ada")
    titles = []
    for n in range(6):
        card = next(m for m in reversed(husband.messages) if "dari 6)" in (m.text or ""))
        titles.append(card.text.split(" (")[0])
        assert card.kind == "photo" and len(card.text) <= 1024  # every card comes with its picture
        if n < 5:
            await taps.press("Lanjut ▶")
    assert titles == [c.title for c in content.guide.cards]
    animations = [m for m in husband.messages if m.kind == "animation"]
    assert len(animations) == 1 and "ibu jari" in animations[0].text
    photos = [m for m in husband.messages if m.kind == "photo"]
    assert len(photos) == 7  # the six cards, and the fist (kepalan.png) before where the thumbs go
    assert sum(1 for m in photos if "dikepalkan" in (m.text or "")) == 1
    await taps.press("Mulai pijat ▶")
    assert husband.last_reply.text.startswith("▶ Mulai")
    started_ids = {m.message_id for m in husband.messages}

    cues = await run_timing(bot, clock, husband, seconds)
    plan = content.guide.pacing.plan(seconds)
    assert [offset for offset, _ in cues] == [offset for offset, _cue, _p in plan[1:]]  # the protocol's rhythm
    assert all(m.message_id not in started_ids and m.edit_seq == m.seq for _, m in cues)  # new messages, no edits
    assert "Turun sedikit" in cues[0][1].text and "kembali ke atas" in cues[2][1].text
    assert "sisa 2:00" in cues[2][1].text
    end = cues[-1][1]
    assert end.text.startswith("🔔 Selesai") and "nyaman" in end.text
    await taps.press("Ya, nyaman")
    assert taps.n <= 10, taps.n
    first = _session(db)
    assert (first.status, first.comfortable, first.duration_seconds) == ("completed", True, seconds)
    assert "Pak Budi" in "\n".join(m.text or "" for m in husband.replies_since_last_action)
    assert "Pak Budi baru saja selesai memijat" in mother.last_reply.text

    # -- a later session the same day ---------------------------------------------------------------------
    clock.advance(timedelta(hours=6))
    mark = len(husband.chat.log)
    taps = Taps(husband)
    await taps.pijat()
    assert husband.last_reply.text == "Ada keluhan baru sejak pijat tadi?"
    await taps.press("Tidak ada, lanjut")
    reminder = husband.last_reply
    assert reminder.kind == "photo" and reminder.text.startswith("Pengingat singkat")
    assert {"Mulai pijat ▶", "📖 Panduan lengkap", "🎬 Lihat gerakan"} <= set(reminder.button_labels)
    await taps.press("Mulai pijat ▶")
    cues = await run_timing(bot, clock, husband, seconds)
    assert len(cues) == len(plan) - 1
    await taps.press("Ya, nyaman")
    assert taps.n <= 4, taps.n
    later = _session(db)
    assert later.id != first.id and later.status == "completed"
    assert later.safety_answers == {"keluhan_baru": False}
    transcript = "\n".join(_log_lines(husband, mark))
    print("\n--- transcript of a later session ---\n" + transcript)
    assert "Selesai" in transcript

    # -- the next day the whole check comes back ----------------------------------------------------------
    clock.advance(timedelta(hours=14))
    await start(husband)
    assert "cek keamanan" in husband.last_reply.text.lower()


def _log_lines(person, start: int) -> list[str]:
    out = []
    for entry in person.chat.log[start:]:
        who = person.first_name if entry.actor == "user" else "Bot"
        what = {"press": " presses", "edit": " (edits)", "answer": " (answers the button)"}.get(entry.what, "")
        out.append(f"{who}{what}: {entry.text}")
    return out


async def test_full_guide_and_animation_are_one_tap_away_in_a_later_session(bot, db, clock, family, husband):
    await start(husband)
    await husband.press("✅ Semua tidak ada")
    for _ in range(5):
        await husband.press("Lanjut ▶")
    await husband.press("Mulai pijat ▶")
    await run_timing(bot, clock, husband, get_content().default_protocol.session_seconds)
    await husband.press("Kurang nyaman")
    assert "tekan lebih pelan" in husband.last_reply.text
    assert _session(db).comfortable is False
    await start(husband)
    await husband.press("Tidak ada, lanjut")
    await husband.press("🎬 Lihat gerakan")
    assert husband.last_reply.kind == "animation"
    await husband.press("📖 Panduan lengkap")
    assert "Persiapan (1 dari 6)" in husband.last_reply.text


async def test_sound_start_sends_the_audio_guide_as_a_voice_note(bot, db, clock, family, husband):
    await start(husband)
    await husband.press("✅ Semua tidak ada")
    for _ in range(5):
        await husband.press("Lanjut ▶")
    await husband.press("Mulai dengan suara 🔔")
    voice = husband.last_reply
    assert voice.kind == "voice" and "lonceng" in voice.text


async def test_a_marked_danger_sign_stops_the_massage_and_raises_the_alert(bot, db, clock, family, husband):
    await start(husband)
    await husband.press("2. Darah banyak")
    assert "☑ 2. Darah banyak" in husband.last_reply.button_labels  # the same message, marked
    await husband.press("☑ 2. Darah banyak")
    assert "2. Darah banyak" in husband.last_reply.button_labels  # pressed again: unmarked
    await husband.press("2. Darah banyak")
    await husband.press("4. Pusing/sesak")
    await husband.press("Kirim (2 dipilih)")
    texts = "\n".join(m.text or "" for m in husband.replies_since_last_action)
    assert "Perdarahan yang banyak bisa berbahaya" in texts
    why = get_content().text("danger.sign.ibu_perdarahan.why")
    assert why in texts and "sekarang" in texts  # the same advice as a typed message gets
    row = _session(db)
    assert row.status == "stopped" and row.safety_answers["perdarahan"] is True
    assert row.safety_answers["pusing_sesak"] is True and row.safety_answers["demam"] is False
    with db.session() as s:
        alerts = s.exec(select(Alert)).all()
    assert {(a.sign_id, a.source) for a in alerts} == {("ibu_perdarahan", "safety_check"),
                                                      ("ibu_sesak_nyeri_dada", "safety_check")}
    await husband.press("Lanjut ▶") if "Lanjut ▶" in husband.last_reply.button_labels else None
    assert not [m for m in husband.messages if "dari 6)" in (m.text or "")]  # no guide after a stop


async def test_a_complaint_not_on_the_list_postpones_kindly(bot, db, family, husband):
    await start(husband)
    await husband.press("Ada keluhan lain")
    assert "pijat kita tunda dulu" in husband.last_reply.text
    assert _session(db).status == "stopped"


async def test_stopping_during_the_timing_cancels_every_cue(bot, db, clock, family, husband):
    await start(husband)
    await husband.send("tidak")  # typed: none of these
    for _ in range(5):
        await husband.press("Lanjut ▶")
    await husband.press("Mulai pijat ▶")
    clock.advance(timedelta(seconds=25))
    await dispatch_once(bot.runtime, bot.app.bot)
    await husband.press("⏹ Berhenti")
    assert "alasannya" in husband.last_reply.text
    count = len(husband.messages)
    cues = await run_timing(bot, clock, husband, 200)
    assert cues == [] and len(husband.messages) == count
    with db.session() as s:
        statuses = {r.status for r in s.exec(select(Outbox).where(Outbox.kind == "massage_cue")).all()}
    assert statuses <= {"sent", "cancelled"}


async def test_cues_survive_a_restart(bot, db, clock, family, husband):
    await start(husband)
    await husband.press("✅ Semua tidak ada")
    for _ in range(5):
        await husband.press("Lanjut ▶")
    await husband.press("Mulai pijat ▶")
    await bot.restart()  # a new process: the cues are rows in the database
    cues = await run_timing(bot, clock, husband, get_content().default_protocol.session_seconds)
    assert len(cues) == len(get_content().guide.pacing.plan(get_content().default_protocol.session_seconds)) - 1


# -- reminders and true records ---------------------------------------------------------------------------

@pytest.fixture
def scheduled(bot, db, clock, family):
    with db.session() as s:
        reschedule_family(s, family, now=clock.now(), settings=bot.settings)
    return family


async def _afternoon_reminder(bot, clock, fid):
    with bot.runtime.db.session() as s:
        due = min(r.due_at for r in s.exec(select(Outbox).where(Outbox.family_id == fid, Outbox.kind == "massage",
                                                                Outbox.due_at > clock.now())).all())
    clock.set(due)
    return await Dispatcher(bot.runtime, bot.app.bot, per_chat_gap=0).tick()


def _invitations(messages) -> list:
    return [m for m in messages if "Sudah dilakukan" in m.button_labels]


async def test_a_snooze_after_the_session_was_logged_sends_nothing(bot, db, clock, scheduled, mother, husband):
    await _afternoon_reminder(bot, clock, scheduled)
    await mother.press("Sudah dilakukan")
    assert mother.last_reply.text == "Siapa yang memijat Ibu tadi?"
    await mother.press("Budi")
    assert "sudah saya catat" in mother.last_reply.text
    with db.session() as s:
        logged = s.exec(select(MassageSession).where(MassageSession.status == "logged")).one()
        performer = s.get(User, logged.user_id)
    assert performer.telegram_id == husband.id  # who massaged, not who pressed
    await husband.press("Ingatkan 30 menit lagi")  # pressed after the session was logged
    assert "sudah tercatat" in husband.callback_answers[-1]
    before = len(husband.messages)
    clock.advance(timedelta(minutes=31))
    await Dispatcher(bot.runtime, bot.app.bot, per_chat_gap=0).tick()
    assert not _invitations(husband.messages[before:])


async def test_no_reminder_invites_a_second_massage_after_a_guided_session(bot, db, clock, scheduled, husband):
    await _afternoon_reminder(bot, clock, scheduled)
    await husband.press("Ingatkan 30 menit lagi")
    await husband.press("Mulai panduan pijat")
    if SKIP_CHECKLIST in husband.last_reply.button_labels:
        await husband.press(SKIP_CHECKLIST)
    await husband.press("✅ Semua tidak ada")
    for _ in range(5):
        await husband.press("Lanjut ▶")
    await husband.press("Mulai pijat ▶")
    await run_timing(bot, clock, husband, get_content().default_protocol.session_seconds)
    await husband.press("Ya, nyaman")
    before = len(husband.messages)
    clock.advance(timedelta(minutes=30))
    await Dispatcher(bot.runtime, bot.app.bot, per_chat_gap=0).tick()
    assert not _invitations(husband.messages[before:])  # the snooze of a slot already done is not sent
    with db.session() as s:
        snooze = s.exec(select(Outbox).where(Outbox.kind == "snooze")).one()
    assert snooze.status == "cancelled"


async def test_after_a_known_caesarean_the_position_card_brings_the_sitting_or_side_lying_note(bot, db, family,
                                                                                                husband):
    from storage.models import Family

    with db.session() as s:
        row = s.get(Family, family)
        row.birth_mode = "sesar"  # as answered in the mother's optional registration questions
        s.add(row)
    content = get_content()
    await start(husband)
    await husband.press("✅ Semua tidak ada")
    while not any("Posisi" in (m.text or "") for m in husband.replies_since_last_action):
        await husband.press("Lanjut ▶")
    said = [m.text or "" for m in husband.replies_since_last_action]
    assert content.guide.caesarean_text in said  # sent with the card, no extra tap
    assert content.text("guide.button_caesarean") not in husband.last_reply.button_labels + [
        label for m in husband.replies_since_last_action for label in m.button_labels]
