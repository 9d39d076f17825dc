"""The answering layer end to end (issue 23), on the real Application over HTTP against the fake Bot API: a
harmless question is answered by the bot (no alert, nothing pushed to the midwife), recorded on the family's
page as "dijawab otomatis", never reminded; "Teruskan ke bidan" forwards it once; small talk gets the short
reply; a message with no topic is forwarded as before."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.reminders.dispatcher import dispatch_once
from content import get_content
from storage import questions as store
from storage.models import Question
from tests.test_danger_e2e import alerts_of, family_with_facility
from tests.test_midwife_support import FACILITY_A

LOCHIA = "bu, darah nifas saya warnanya coklat sekarang, normal kan?"


def t(key: str, **params) -> str:
    return get_content().text(key, **params)


def _questions(db) -> list[Question]:
    with db.session() as s:
        return list(s.exec(select(Question).order_by(Question.id)).all())


async def test_a_normal_lochia_question_is_answered_and_shows_on_the_midwifes_family_page(
        bot, db, clock, mother, midwife):
    family_with_facility(db, clock)
    before = len(midwife.messages)
    await mother.send(LOCHIA)
    reply = mother.last_reply
    assert "Darah nifas keluar beberapa minggu" in reply.text and "/tanya" in reply.text and "sekarang" in reply.text
    assert t("health.button_forward") in reply.button_labels
    assert len(midwife.messages) == before and alerts_of(midwife) == []  # no alert, nothing pushed
    (q,) = _questions(db)
    assert q.kind == store.ANSWERED and q.answered_at is not None and q.text == LOCHIA

    clock.advance(bot.settings.question_repeat * 3 + timedelta(minutes=1))
    await dispatch_once(bot.runtime, bot.app.bot)
    assert len(midwife.messages) == before  # never reminded, not open

    await midwife.press_data(f"mw:open:{q.family_id}")
    page = midwife.last_reply.text
    assert "dijawab otomatis (Darah nifas)" in page and "warnanya coklat" in page
    assert t("desk.detail_question_open").strip() not in page


async def test_teruskan_ke_bidan_forwards_the_answered_message_once(bot, db, clock, mother, midwife):
    family_with_facility(db, clock)
    await mother.send(LOCHIA)
    await mother.press(t("health.button_forward"))
    note = midwife.last_reply
    assert "PESAN KELUARGA" in note.text and "warnanya coklat" in note.text
    assert t("desk.button_reply") in note.button_labels
    assert t("desk.family_forwarded", fasilitas=FACILITY_A, sapaan="Ibu") in mother.last_reply.text
    answered, forwarded = _questions(db)
    assert answered.kind == store.ANSWERED_FORWARDED and forwarded.kind == store.FAMILY
    assert forwarded.answered_at is None  # open for her, reminded like any family message

    count = len(midwife.messages)
    await mother.press_data(f"ha:fwd:{answered.id}")
    assert mother.last_reply.text == t("health.forwarded_already") and len(midwife.messages) == count


async def test_small_talk_gets_the_short_reply(bot, db, clock, mother, midwife):
    family_with_facility(db, clock)
    before = len(midwife.messages)
    for text in ("makasih bu 🙏", "makasih banyak ya bu bidan sudah bantu 🙏"):
        await mother.send(text)
        assert mother.last_reply.text == t("common.social_reply", panggilan="Bu")
    assert len(midwife.messages) == before and _questions(db) == []


async def test_a_message_with_no_topic_is_forwarded(bot, db, clock, mother, midwife):
    family_with_facility(db, clock)
    await mother.send("bu, kapan saya boleh mulai olahraga lagi?")
    assert t("desk.family_forwarded", fasilitas=FACILITY_A, sapaan="Ibu") in mother.last_reply.text
    assert "PESAN KELUARGA" in midwife.last_reply.text and "mulai olahraga" in midwife.last_reply.text
    (q,) = _questions(db)
    assert q.kind == store.FAMILY and q.answered_at is None


async def test_a_stranger_cannot_forward_another_familys_answer(bot, db, clock, mother, husband, midwife, fake_tg):
    family_with_facility(db, clock)
    await mother.send(LOCHIA)
    (q,) = _questions(db)
    stranger = fake_tg.user(user_id=4242, first_name="Asing")
    await stranger.press_data(f"ha:fwd:{q.id}")
    assert stranger.last_reply.text == t("common.stale_button")
    assert _questions(db)[0].kind == store.ANSWERED


async def test_a_jamu_question_is_answered_with_when_to_go_and_recorded(bot, db, clock, mother, midwife):
    family_with_facility(db, clock)
    before = len(midwife.messages)
    await mother.send("boleh tidak saya minum jamu kunyit asam?")
    reply = mother.last_reply
    assert "jamu" in reply.text and "119" in reply.text and "/tanya" in reply.text
    assert t("health.button_forward") in reply.button_labels
    assert len(midwife.messages) == before and alerts_of(midwife) == []
    (q,) = _questions(db)
    assert q.kind == store.ANSWERED and "kunyit asam" in q.text  # on the family's page, "dijawab otomatis"


async def test_a_message_not_about_health_gets_a_short_kind_reply_saying_where_to_go(bot, db, clock, mother, midwife):
    family_with_facility(db, clock)
    before = len(midwife.messages)
    await mother.send("kak, kunci motor di mana? eh salah kirim ini")
    reply = mother.last_reply.text
    assert "bukan tentang kesehatan" in reply and "119" in reply and "/tanya" in reply
    assert len(midwife.messages) == before
    (q,) = _questions(db)
    assert q.kind == store.ANSWERED


async def test_a_message_about_oneself_the_reader_cannot_place_is_still_forwarded(bot, db, clock, mother, midwife):
    family_with_facility(db, clock)
    await mother.send("saya rasanya aneh hari ini")
    assert t("desk.family_forwarded", fasilitas=FACILITY_A, sapaan="Ibu") in mother.last_reply.text
    assert "PESAN KELUARGA" in midwife.last_reply.text


async def test_an_answer_the_reader_doubts_is_also_forwarded(bot, db, clock, mother, midwife, monkeypatch):
    """When the learned reader's "any sign" head reaches ``forward_any`` the family still gets the topic's
    answer, and the midwife gets the message too (a sign the reader could not name may be in it). The
    threshold is set to 0 here so that the lochia question crosses it."""
    import dataclasses

    from content import health_topics

    doubting = dataclasses.replace(health_topics.topics(), forward_any=0.0)
    monkeypatch.setattr(health_topics, "topics", lambda: doubting)
    family_with_facility(db, clock)
    await mother.send(LOCHIA)
    texts = "\n".join(m.text or "" for m in mother.messages[-3:])
    assert "Darah nifas keluar beberapa minggu" in texts and "sekarang" in texts
    note = midwife.last_reply
    assert "PESAN KELUARGA" in note.text and "warnanya coklat" in note.text
    assert [q.kind for q in _questions(db)] == [store.FAMILY]


async def test_a_question_in_words_no_pattern_knows_is_answered_by_the_learned_topic(bot, db, clock, mother, midwife):
    family_with_facility(db, clock)
    before = len(midwife.messages)
    await mother.send("tangane bayi rada adem tapi pas tak ukur ketek e 36,9 bu")
    reply = mother.last_reply
    assert "Suhu badan bayi normal" in reply.text and "/tanya" in reply.text
    assert t("health.button_forward") in reply.button_labels  # she can still send it to the midwife
    assert len(midwife.messages) == before and alerts_of(midwife) == []
    (q,) = _questions(db)
    assert q.kind == store.ANSWERED
