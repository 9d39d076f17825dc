"""Issue 23, the handling side, end to end from the outside (the real Application over HTTP against the fake
Bot API, a real SQLite file, the FakeClock):

- a danger sign typed during the guided massage stops it: no more cues, no "Selesai", stored as stopped for
  a danger sign, the mother not told it finished;
- in a checklist the text is not read as an answer; the checklist pauses and /lanjut resumes it;
- the database down: the advice with 119 / 112 still comes, the report is spooled and, once the database is
  back, alerted exactly once (restarts included);
- a family without a facility: its message is kept and forwarded when it links;
- small talk gets a short kind reply; a health message the bot does not understand goes to the midwife,
  reminded until she answers with "Balas"; further messages join it.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

from sqlalchemy.engine import make_url
from sqlmodel import select

import storage.db
from bot.core.spool import replay, spool_of
from bot.devtools.demo import add_midwife
from bot.devtools.harness import RunningBot
from bot.reminders.dispatcher import dispatch_once
from content import get_content
from storage import facilities, questions
from storage.db import Database
from storage.models import Alert, ChatState, MassageSession, Outbox, Question
from tests.conftest import needs_postgres
from tests.test_conversation_edges import quick_register
from tests.test_danger_e2e import alerts_of, family_with_facility
from tests.test_guide_e2e import family, run_timing, start  # noqa: F401  (the fixture)
from tests.test_midwife_support import FACILITY_A
from tests.test_reliability_database import TcpProxy, pg_url  # noqa: F401  (the fixture)
from tests.test_reliability_support import bot_settings, register


def t(key: str, **params) -> str:
    return get_content().text(key, **params)


def said(person) -> str:
    return "\n".join(m.text or "" for m in person.replies_since_last_action)


# -- the global interrupt -------------------------------------------------------------------------------

async def test_a_danger_sign_typed_during_the_massage_stops_it(bot, db, clock, family, husband, mother):  # noqa: F811
    await start(husband)
    await husband.press("✅ Semua tidak ada")
    for _ in range(5):
        await husband.press("Lanjut ▶")
    await husband.press("Mulai pijat ▶")
    await run_timing(bot, clock, husband, 25)
    mother_before = len(mother.messages)

    await husband.send("bayi saya kejang kejang matanya mendelik")
    reply = said(husband)
    assert "119" in reply and "Bayi kejang" in reply and t("danger.massage_stopped") in reply
    assert "tombol" not in reply  # not "Silakan pakai tombol di bawah pesan terakhir"

    count = len(husband.messages)
    cues = await run_timing(bot, clock, husband, get_content().default_protocol.session_seconds)
    assert cues == [] and len(husband.messages) == count  # no more cues, no "Selesai"
    assert not any(t("guide.end") in (m.text or "") for m in husband.messages)
    row = _last_session(db)
    assert row.status == "stopped" and row.stop_reason == "danger_sign"
    with db.session() as s:
        statuses = {r.status for r in s.exec(select(Outbox).where(Outbox.kind == "massage_cue")).all()}
        assert statuses <= {"sent", "cancelled"} and "cancelled" in statuses
    told = mother.messages[mother_before:]
    assert any("Bayi kejang" in (m.text or "") for m in told)  # the mother hears of the sign …
    assert not any(t("session.button_confirm") in m.button_labels for m in told)  # … not of a finished massage


def _last_session(db) -> MassageSession:
    with db.session() as s:
        return s.exec(select(MassageSession).order_by(MassageSession.id.desc())).first()


def _state(db, telegram_id: int) -> ChatState | None:
    with db.session() as s:
        return s.exec(select(ChatState).where(ChatState.telegram_id == telegram_id)).first()


async def test_a_danger_sign_in_a_checklist_pauses_it_and_lanjut_resumes(bot, db, clock, mother):
    await register(mother, db)
    await mother.send("/ceklis")
    question = mother.last_reply.text
    item = _state(db, mother.id).data["item"]

    await mother.send("bayi demam 39 dan lemas")
    reply = said(mother)
    assert "Bayi demam" in reply and "119" in reply and t("danger.flow_paused") in reply
    assert "terlalu" not in reply and "Coba lagi" not in reply  # not read as the answer 39
    assert "Badan bayi teraba dingin" not in reply  # the fever advice, not the cold-baby advice
    assert _state(db, mother.id).flow == "paused"

    await mother.send("oke")  # small talk while paused: a kind word, not an answer
    assert mother.last_reply.text == t("common.social_reply", panggilan="Bu")

    await mother.send("/lanjut")
    assert mother.last_reply.text.endswith(question.split("\n\n", 1)[-1]) or item in str(_state(db, mother.id).data)
    assert _state(db, mother.id).flow == "checklist" and _state(db, mother.id).data["item"] == item
    await mother.send("5")
    assert _state(db, mother.id).data.get("item") != item  # the next question: nothing was lost


async def test_the_advice_names_only_what_was_reported_and_says_nothing_twice(bot, db, clock, mother, midwife):
    family_with_facility(db, clock)
    await mother.send("saya pusing berat dan sesak napas")
    replies = [m.text or "" for m in mother.replies_since_last_action]
    reply = "\n".join(replies)
    assert "sakit kepala berat" in reply and "sesak napas" in reply and "119" in reply
    for unreported in ("bengkak", "kabur", "kejang", "Tekanan darah 140/90"):
        assert unreported.lower() not in reply.lower().replace("bila kejang", ""), unreported
    sentences = [x.strip() for r in replies for x in r.replace("\n", ". ").split(". ") if len(x.strip()) > 20]
    assert len(sentences) == len(set(sentences)), sentences
    assert all(len(r) <= 600 and r.count("\n") < 10 for r in replies)

    await mother.send("bayi demam 38,5 dari semalam")
    fever = said(mother)
    assert t("danger.sign.bayi_demam_dingin.demam.way") in fever
    assert t("danger.sign.bayi_demam_dingin.dingin.way") not in fever


async def test_a_name_with_a_danger_word_at_registration_is_a_name(bot, db, clock, mother):
    await mother.send("/start")
    await mother.press("Setuju")
    await mother.press("Boleh")
    await mother.press("Ibu")
    await mother.send("Kejang Sutrisno")
    assert "119" not in said(mother) and _state(db, mother.id).data.get("name") == "Kejang Sutrisno"


async def test_a_danger_sign_at_registration_pauses_it(bot, db, clock, mother):
    await mother.send("/start")
    await mother.press("Setuju")
    await mother.press("Boleh")
    await mother.press("Ibu")
    await mother.send("bayi saya kejang dari tadi")
    assert "119" in said(mother) and t("danger.flow_paused") in said(mother)
    await mother.send("/lanjut")
    assert _state(db, mother.id).flow == "registration"
    await mother.send("Siti")
    assert _state(db, mother.id).data.get("name") == "Siti"


# -- nobody left unheard --------------------------------------------------------------------------------

async def test_small_talk_gets_a_short_kind_reply_addressed_to_who_writes(bot, db, clock, mother, husband, midwife):
    family_with_facility(db, clock)
    before = len(midwife.messages)
    await mother.send("terima kasih bu bidan 🙏")
    assert mother.last_reply.text == t("common.social_reply", panggilan="Bu")
    await husband.send("oke siap")
    assert husband.last_reply.text == t("common.social_reply", panggilan="Pak")
    await mother.send("👍")
    assert "belum mengerti" not in said(mother) and len(mother.replies_since_last_action) == 1
    assert len(midwife.messages) == before


async def test_a_message_the_bot_does_not_understand_reaches_the_midwife_and_her_answer_the_family(
        bot, db, clock, mother, husband, midwife):
    family_with_facility(db, clock)
    await mother.send("bayi saya maunya digendong terus habis menyusu, wajar tidak?")
    reply = mother.last_reply.text
    assert t("desk.family_forwarded", fasilitas=FACILITY_A, sapaan="Ibu") in reply and "119" in reply
    assert "belum mengerti" not in reply
    note = midwife.last_reply
    assert "PESAN KELUARGA" in note.text and "digendong" in note.text and t("desk.button_reply") in note.button_labels
    assert alerts_of(midwife) == []

    # A chatty family: further messages join the open entry (one message for her, counted, newest shown).
    before = len(midwife.messages)
    await mother.send("oh ya bayi juga suka diayun")
    await husband.send("istri saya tanya kapan boleh mulai olahraga lagi")
    assert len(midwife.messages) == before
    with db.session() as s:
        rows = s.exec(select(Question)).all()
        assert len(rows) == 1 and rows[0].kind == "family" and rows[0].messages == 3
    assert "3 pesan" in midwife.messages[before - 1].text and "olahraga" in midwife.messages[before - 1].text

    # Reminded until answered, like a question.
    clock.advance(bot.settings.question_repeat + timedelta(minutes=1))
    await dispatch_once(bot.runtime, bot.app.bot)
    assert "belum dibalas" in midwife.last_reply.text and "PESAN" not in midwife.last_reply.text

    await midwife.send("/pasien")
    assert t("desk.reason_family_message", jumlah=1).strip() in said(midwife)

    await midwife.press(t("desk.button_reply"))
    await midwife.send("Digendong wajar, Bu. Gurita tidak perlu. Kalau bayi kejang atau demam, langsung ke RS.")
    assert "Digendong wajar" in mother.last_reply.text and "Digendong wajar" in husband.last_reply.text
    assert alerts_of(midwife) == []  # her reply is a message to the family, never read as a report
    with db.session() as s:
        assert s.exec(select(Question)).one().answered_at is not None
    clock.advance(bot.settings.question_repeat * 3)
    count = len(midwife.messages)
    await dispatch_once(bot.runtime, bot.app.bot)
    assert len(midwife.messages) == count  # answered: no more reminders


async def test_the_answer_to_a_family_message_goes_to_its_writer_only(bot, db, clock, mother, husband, midwife):
    family_with_facility(db, clock)
    await mother.send("bu, kapan saya boleh mulai olahraga lagi?")
    husband_before = len(husband.messages)
    await midwife.press(t("desk.button_reply"))
    assert "hanya dikirim ke yang menulis" in midwife.last_reply.text
    await midwife.send("Sebaiknya tunggu dulu, Bu, kita bahas saat kunjungan.")
    assert "kita bahas" in mother.last_reply.text
    assert len(husband.messages) == husband_before  # not passed on to the other member


async def test_a_danger_sign_while_writing_a_question_gets_the_advice_and_the_question_stays_open(
        bot, db, clock, mother, midwife):
    family_with_facility(db, clock)
    await mother.send("/tanya")
    await mother.send("bayi saya kejang")
    assert "119" in said(mother) and len(alerts_of(midwife)) == 1
    assert _state(db, mother.id).flow == "tanya"
    await mother.send("apakah boleh tetap diberi ASI di jalan?")
    assert "PERTANYAAN KELUARGA" in midwife.last_reply.text and "diberi ASI" in midwife.last_reply.text


async def test_a_hypothetical_question_is_answered_without_an_alert(bot, db, clock, mother, midwife):
    family_with_facility(db, clock)
    await mother.send("kalau nanti bayi demam, harus ngapain?")
    reply = mother.last_reply.text
    assert reply.startswith("Bila nanti itu terjadi") and "Bayi demam" in reply and "119" in reply
    assert "/tanya" in reply.splitlines()[-1]
    assert alerts_of(midwife) == []
    # an automatic answer is recorded on the family's page, and the family can still forward it
    with db.session() as session:
        (q,) = session.exec(select(Question)).all()
        assert q.kind == questions.ANSWERED and "bayi demam" in q.text
    before = len(midwife.messages)
    await mother.press("💬 Teruskan ke bidan")
    assert len(midwife.messages) > before and "PESAN KELUARGA" in midwife.last_reply.text


async def test_a_question_the_reader_thinks_tells_a_sign_is_answered_and_forwarded(bot, db, clock, mother, midwife):
    """Asked as a question ("apa biasa …?"), but the learned reader's "any sign" head says a sign is told: the
    information, and the midwife reads it too (no button to press)."""
    family_with_facility(db, clock)
    await mother.send("apa biasa bayi baru lahir belum bab dr lahir? udah 30 jam gak keluar apa2")
    texts = [m.text for m in mother.messages[-2:]]
    assert texts[0].startswith("Bila nanti itu terjadi") and "119" in texts[0]
    assert "PESAN KELUARGA" in midwife.last_reply.text and "30 jam" in midwife.last_reply.text
    assert alerts_of(midwife) == []
    with db.session() as session:
        (q,) = session.exec(select(Question)).all()
        assert q.kind == questions.FAMILY


async def test_a_family_without_a_facility_is_told_to_call_and_its_message_is_forwarded_when_it_links(
        bot, db, clock, mother, midwife):
    with db.session() as session:
        facility = facilities.create(session, name="Puskesmas Tanjung", now=clock.now())
        code = facility.code
        add_midwife(session, facility, telegram_id=midwife.id, name="Bidan Aminah", now=clock.now())
    await quick_register(mother)  # no facility code
    await mother.send("asi saya keluarnya masih sedikit, gimana ya bu")
    reply = mother.last_reply.text
    assert t("desk.family_kept", sapaan="Ibu") in reply and "119" in reply and "puskesmas" in reply
    assert midwife.messages == []

    clock.advance(timedelta(hours=3))
    await mother.send("/keluarga")
    await mother.press(t("danger.button_facility"))
    await mother.send(code.lower())
    assert t("desk.family_kept_sent", fasilitas="Puskesmas Tanjung").replace("Ibu/Bapak", "Ibu") in said(mother)
    note = midwife.last_reply
    assert "PESAN KELUARGA" in note.text and "asi saya keluarnya masih sedikit" in note.text
    assert t("desk.button_reply") in note.button_labels


# -- the database down ------------------------------------------------------------------------------------

async def _settle(running) -> None:
    """Feed the spooled reports and wait until the application has processed them."""
    for _ in range(3):
        await replay(running.app)
        await running.app.update_queue.join()


async def test_a_danger_report_while_the_database_is_down_is_advised_and_alerted_once_it_is_back(
        fake_tg, clock, tmp_path, monkeypatch, mother, midwife):
    monkeypatch.setattr(storage.db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "bot.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    spool_file = tmp_path / "spool.jsonl"
    running = RunningBot(settings=bot_settings(fake_tg, db, danger_spool=str(spool_file)), db=db, clock=clock,
                         fake=fake_tg)
    await running.start()
    assert running.app.job_queue.get_jobs_by_name("danger_spool")  # also tried every 30 s, not only after a turn
    family_with_facility(db, clock)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")  # the database cannot take a write: as good as down for a turn
        other.execute("UPDATE bot_meta SET value = value")
        for _ in range(2):
            await mother.send("bayi saya kejang terus")
            reply = said(mother)
            assert "119" in reply and "Bayi kejang" in reply and t("danger.spool_kept") in reply
            assert t("common.error_try_again") not in reply
        await mother.send("jam berapa sekarang")  # not a danger sign: the usual "try again"
        assert mother.last_reply.text == t("common.error_try_again")
        assert alerts_of(midwife) == []
        assert len(spool_of(running.app).pending()) == 2
        kept = spool_file.read_text()
        lines = [json.loads(x) for x in kept.splitlines()]
        assert {"chat_id", "user_id", "text", "at"} <= set(lines[0]) and lines[0]["text"] == "bayi saya kejang terus"

        await _settle(running)  # still down: nothing raised, nothing lost
        assert alerts_of(midwife) == [] and len(spool_of(running.app).pending()) == 2
    finally:
        other.execute("ROLLBACK")
        other.close()

    await running.restart()  # a new process still has the reports: they are in the file
    await mother.send("/menu")  # the next good turn notices the spool
    await _settle(running)
    assert len(alerts_of(midwife)) == 1  # one alert for the two reports of the same sign
    assert "bayi saya kejang terus" in alerts_of(midwife)[0]
    assert t("midwife.alert_source_spool") in alerts_of(midwife)[0]
    assert any(m.text and m.text.startswith("Laporan Ibu tadi") for m in mother.messages)
    assert spool_of(running.app).pending() == [] and spool_file.read_text() == ""  # the words do not linger
    with db.session() as s:
        assert len(s.exec(select(Alert)).all()) == 1

    # A crash between the alert's commit and the spool's "done" mark: the restarted bot does not alert again.
    spool_file.write_text(kept)
    await running.restart()
    await _settle(running)
    await mother.send("/menu")
    await _settle(running)
    assert len(alerts_of(midwife)) == 1 and spool_of(running.app).pending() == []
    await running.stop()


@needs_postgres
async def test_postgres_unreachable_a_danger_report_is_advised_and_alerted_once_it_is_back(
        fake_tg, clock, tmp_path, pg_url, mother, midwife):  # noqa: F811
    url = make_url(pg_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    db = Database(url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False))
    db.upgrade()
    running = RunningBot(settings=bot_settings(fake_tg, db, danger_spool=str(tmp_path / "spool.jsonl")), db=db,
                         clock=clock, fake=fake_tg)
    await running.start()
    try:
        family_with_facility(db, clock)
        proxy.cut()  # the server unreachable (connections refused)
        for _ in range(2):
            await mother.send("bayi saya kejang terus")
            reply = said(mother)
            assert "119" in reply and t("danger.spool_kept") in reply
            assert t("common.error_try_again") not in reply
        proxy.restore()
        await mother.send("/menu")
        await _settle(running)
        assert len(alerts_of(midwife)) == 1 and "bayi saya kejang terus" in alerts_of(midwife)[0]
        await running.restart()
        await _settle(running)
        assert len(alerts_of(midwife)) == 1 and spool_of(running.app).pending() == []
    finally:
        await running.stop()
        db.dispose()
        proxy.close()


def test_every_facet_of_the_advice_names_a_sign_and_has_its_words():
    from content.advice import facets

    c = get_content()
    for sign_id, parts in facets().items():
        sign = c.danger_sign(sign_id)  # KeyError: a facet for a sign that does not exist
        for f in parts:
            assert f.match or f.measure, (sign_id, f.id)
            assert c.has_text(f"danger.sign.{sign_id}.{f.id}.words"), (sign_id, f.id)
            if f.measure:
                assert sign.measures, (sign_id, f.id)
    for sign in c.danger_signs:  # every sign has its own short words and reason
        assert c.has_text(f"danger.sign.{sign.id}.words") and c.has_text(f"danger.sign.{sign.id}.why"), sign.id
