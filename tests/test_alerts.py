"""Danger-sign alerts: one message per midwife of the family's facility within the same update, the
family without a facility told to go to the nearest one, repeats until handled, and who handled it."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from telegram.ext import ApplicationHandlerStop, CommandHandler

from bot.core.turn import Turn, turn_handler
from bot.devtools.harness import RunningBot
from bot.flows.alerts import MAX_REPEATS, raise_danger
from bot.reminders.dispatcher import dispatch_once
from storage import alerts as alert_store
from storage import audit, families, users
from storage.models import Alert, Facility, Family, Outbox, Staff
from tests.test_midwife_support import MIDWIFE_A2, MIDWIFE_B, two_facilities

SIGN = "bayi_kejang"


def t(bot, key: str, **params) -> str:
    return bot.runtime.content.text(key, **params)


def add_danger_command(running: RunningBot, signs: list[str], source: str = "answer") -> None:
    """A test-only /tesbahaya: what the checklist does after a danger answer (its own advice, then raise)."""

    @turn_handler
    def body(turn: Turn) -> None:
        user = users.get_by_telegram_id(turn.session, turn.user_id)
        family = families.family_of(turn.session, user.id) if user else None
        turn.reply("SARAN-KELUARGA")
        raise_danger(turn, family_id=family.id if family else None, sign_ids=signs, source=source)

    async def callback(update, context):
        await body(update, context)
        raise ApplicationHandlerStop

    running.app.add_handler(CommandHandler("tesbahaya", callback), group=-5)


def alert_texts(user) -> list[str]:
    return [m.text for m in user.messages if m.text and "TANDA BAHAYA" in m.text]


async def test_a_danger_sign_alerts_every_midwife_of_the_facility_at_once(bot, db, clock, mother, midwife, fake_tg):
    world = two_facilities(db, clock.now(), second_midwife=True)
    colleague = fake_tg.user(user_id=MIDWIFE_A2, first_name="Rahma")
    elsewhere = fake_tg.user(user_id=MIDWIFE_B, first_name="Maluku")
    add_danger_command(bot, [SIGN])

    await mother.send("/tesbahaya")
    # Processing of the mother's update is finished: the alerts are already there.
    sign_text = bot.runtime.content.danger_sign(SIGN).text
    for person in (midwife, colleague):
        texts = alert_texts(person)
        assert len(texts) == 1
        assert world.mothers_family.code in texts[0] and sign_text in texts[0] and "Siti" in texts[0]
        assert person.last_reply.button_labels[:3] == [t(bot, "midwife.button_open_family"),
                                                   t(bot, "midwife.button_handled"), t(bot, "danger.button_chat")]
        assert f"tg://user?id={mother.id}" in str(person.last_reply.reply_markup)
    assert alert_texts(elsewhere) == []
    assert [m.text for m in mother.messages][-1] == "SARAN-KELUARGA"
    with db.session() as session:
        rows = session.exec(select(Alert)).all()
        assert len(rows) == 1
        assert rows[0].facility_id == world.a.id and rows[0].sign_id == SIGN and rows[0].source == "answer"
        repeats = alert_store.repeat_rows(session, rows[0].id)
        assert len(repeats) == 2 and {r.status for r in repeats} == {"pending"}
        assert {r.due_at for r in repeats} == {clock.now() + bot.settings.alert_repeat}

    # The same sign again while it is still open: no second alert.
    await mother.send("/tesbahaya")
    assert len(alert_texts(midwife)) == 1
    with db.session() as session:
        assert len(session.exec(select(Alert)).all()) == 1


async def test_several_signs_give_one_alert_message_listing_them(bot, db, clock, mother, midwife):
    two_facilities(db, clock.now())
    add_danger_command(bot, [SIGN, "bayi_sesak", SIGN], source="text")
    await mother.send("/tesbahaya")
    texts = alert_texts(midwife)
    assert len(texts) == 1
    content = bot.runtime.content
    assert content.danger_sign(SIGN).text in texts[0] and content.danger_sign("bayi_sesak").text in texts[0]
    with db.session() as session:
        rows = session.exec(select(Alert).order_by(Alert.id)).all()
        assert sorted(a.sign_id for a in rows) == sorted([SIGN, "bayi_sesak"])
        assert rows[0].episode_id is None and rows[1].episode_id == rows[0].id


async def test_a_family_without_a_facility_is_told_to_go_to_the_nearest_one(bot, db, clock, mother, midwife):
    world = two_facilities(db, clock.now())
    with db.session() as session:
        fam = session.get(Family, world.mothers_family.family_id)
        fam.facility_id = None
        session.add(fam)
    add_danger_command(bot, [SIGN])
    await mother.send("/tesbahaya")
    assert mother.last_reply.text == t(bot, "danger.no_facility")
    assert alert_texts(midwife) == []
    with db.session() as session:
        alert = session.exec(select(Alert)).one()
        assert alert.facility_id is None and alert.family_id == world.mothers_family.family_id
        assert session.exec(select(Outbox).where(Outbox.kind == "alert_repeat")).all() == []


async def test_a_family_of_a_facility_without_a_midwife_is_told_so_by_the_facility_s_name(
        bot, db, clock, mother, midwife):
    """Linked to a facility whose midwives have all left the app: the family is not told to link with
    /keluarga (it is linked), but that no midwife of that facility could be told, and to call now."""
    world = two_facilities(db, clock.now())
    with db.session() as session:
        fam = session.get(Family, world.mothers_family.family_id)
        for member in session.exec(select(Staff).where(Staff.facility_id == fam.facility_id)).all():
            member.active = False
            session.add(member)
        facility = session.get(Facility, fam.facility_id)
        name = facility.name
    add_danger_command(bot, [SIGN])
    await mother.send("/tesbahaya")
    assert mother.last_reply.text == t(bot, "danger.no_midwife", fasilitas=name)
    assert name in mother.last_reply.text and "/keluarga" not in mother.last_reply.text
    assert alert_texts(midwife) == []


async def test_handled_alert_records_who_and_stops_the_repeats(bot, db, clock, mother, midwife, fake_tg):
    world = two_facilities(db, clock.now(), second_midwife=True)
    colleague = fake_tg.user(user_id=MIDWIFE_A2, first_name="Rahma")
    add_danger_command(bot, [SIGN])
    await mother.send("/tesbahaya")

    clock.advance(timedelta(minutes=5))
    await midwife.press(t(bot, "midwife.button_handled"))
    assert midwife.callback_answers[-1] == t(bot, "midwife.alert_thanks")
    assert "Ditangani oleh Bidan Aminah" in midwife.last_reply.text
    assert t(bot, "midwife.button_handled") not in midwife.last_reply.button_labels
    assert "sudah ditangani" in colleague.last_reply.text and world.mothers_family.code in colleague.last_reply.text
    with db.session() as session:
        alert = session.exec(select(Alert)).one()
        me = users.get_by_telegram_id(session, midwife.id)
        assert alert.handled_by == me.id and alert.handled_at == clock.now()
        assert {r.status for r in alert_store.repeat_rows(session, alert.id)} == {"cancelled"}
        logged = audit.entries(session, action="alert_handled")
        assert len(logged) == 1 and logged[0].actor_user_id == me.id

    # The colleague's alert message was updated too (who handled it, no button left); pressing the old
    # button data anyway: she learns who did it; nothing changes.
    shown = [m for m in colleague.messages if world.mothers_family.code in (m.text or "") and "Ditangani" in m.text]
    assert shown and t(bot, "midwife.button_handled") not in shown[0].button_labels
    await colleague.press_data(f"mw:done:{alert.id}", shown[0].message_id)
    assert "Bidan Aminah" in colleague.callback_answers[-1]
    with db.session() as session:
        assert session.exec(select(Alert)).one().handled_by == me.id

    clock.advance(bot.settings.alert_repeat * 2)
    before = len(midwife.messages)
    result = await dispatch_once(bot.runtime, bot.app.bot)
    assert result.sent == 0 and len(midwife.messages) == before


async def test_unhandled_alerts_repeat_after_the_configured_time(settings, db, clock, fake_tg, mother, midwife):
    every = timedelta(minutes=10)
    running = RunningBot(settings=settings.with_(alert_repeat=every), db=db, clock=clock, fake=fake_tg)
    await running.start()
    try:
        two_facilities(db, clock.now())
        add_danger_command(running, [SIGN])
        await mother.send("/tesbahaya")
        assert len(alert_texts(midwife)) == 1

        clock.advance(every - timedelta(minutes=1))
        assert (await dispatch_once(running.runtime, running.app.bot)).sent == 0

        clock.advance(timedelta(minutes=1))
        assert (await dispatch_once(running.runtime, running.app.bot)).sent == 1
        reminder = midwife.last_reply
        assert "PENGINGAT ke-1" in reminder.text
        assert t(running, "midwife.button_handled") in reminder.button_labels

        clock.advance(every)
        assert (await dispatch_once(running.runtime, running.app.bot)).sent == 1
        assert "PENGINGAT ke-2" in midwife.last_reply.text
        with db.session() as session:
            alert = session.exec(select(Alert)).one()
            assert alert.repeats == 2 and alert.last_notified_at == clock.now()

        # Pressing "Sudah ditangani" on the reminder works like on the first alert, and every copy she was
        # sent (the first alert and both reminders, sent later by the dispatcher) shows it handled.
        await midwife.press(t(running, "midwife.button_handled"))
        copies = [m for m in midwife.messages if m.text and "TANDA BAHAYA" in m.text]
        assert len(copies) == 3
        assert all(t(running, "midwife.button_handled") not in m.button_labels for m in copies)
        clock.advance(every * 3)
        assert (await dispatch_once(running.runtime, running.app.bot)).sent == 0
        with db.session() as session:
            assert session.exec(select(Alert)).one().handled_at is not None
    finally:
        await running.stop()


async def test_repeats_stop_after_the_maximum_and_never_silently(bot, db, clock, mother, midwife):
    two_facilities(db, clock.now())
    add_danger_command(bot, [SIGN])
    await mother.send("/tesbahaya")
    before_family = len(mother.messages)
    sent = 0
    for _ in range(MAX_REPEATS + 3):
        clock.advance(bot.settings.alert_repeat)
        sent += (await dispatch_once(bot.runtime, bot.app.bot)).sent
    reminders = [m for m in midwife.messages if m.text and "PENGINGAT" in m.text]
    assert len(reminders) == MAX_REPEATS
    told = [m.text for m in mother.messages[before_family:]]
    assert len(told) == 2 and all("119" in x and "sekarang" in x for x in told)  # after the repeats, and at the end
    with db.session() as session:
        alert = session.exec(select(Alert)).one()
        assert alert.repeats == MAX_REPEATS and alert.step == MAX_REPEATS
        events = [e.event for e in alert_store.events(session, alert.id)]
        assert events[0] == "sent" and "no_coordinator" in events and "last_repeat" in events
        assert events.count("family_told") == 4  # mother and husband, twice each


async def test_open_family_button_shows_the_family(bot, db, clock, mother, midwife):
    world = two_facilities(db, clock.now())
    add_danger_command(bot, [SIGN])
    await mother.send("/tesbahaya")
    alert_message = midwife.last_reply
    await midwife.press(t(bot, "midwife.button_open_family"))
    detail = midwife.last_reply
    assert detail.message_id != alert_message.message_id  # the alert stays as it was
    assert world.mothers_family.code in detail.text
    assert t(bot, "midwife.detail_alerts") in detail.text and "belum ditangani" in detail.text


async def test_a_family_registered_through_the_qr_link_alerts_its_midwife(bot, db, clock, midwife, mother, fake_tg):
    """The whole chain through the real conversation: /qr → the family registers with the link → a danger
    sign typed by the mother reaches this facility's midwife (and no other), and the family is in /pasien."""
    two_facilities(db, clock.now(), a_extra=0, b_count=1)
    elsewhere = fake_tg.user(user_id=MIDWIFE_B, first_name="Maluku")
    await midwife.send("/qr")
    payload = midwife.last_reply.text.split("?start=", 1)[1].split()[0]
    assert payload.startswith("fas_")

    family_member = fake_tg.user(user_id=1099, first_name="Wati")
    await family_member.send(f"/start {payload}")
    await family_member.press("Setuju")
    await family_member.press("Boleh")
    await family_member.press("Ibu")
    await family_member.send("Wati")
    await family_member.press("Kemarin")
    await family_member.press("WIB – Sumatra, Jawa, Kalimantan Barat & Tengah")
    await family_member.press("Benar, simpan")
    assert "Pendaftaran selesai" in "\n".join(m.text or "" for m in family_member.replies_since_last_action)

    await family_member.send("bayi saya kejang dari tadi")
    texts = alert_texts(midwife)
    kejang = bot.runtime.content.danger_sign(SIGN).text
    assert texts and all("Wati" in text for text in texts) and any(kejang in text for text in texts)
    assert alert_texts(elsewhere) == []
    with db.session() as session:
        assert len(texts) == len(session.exec(select(Alert)).all())  # one message per alert
    await midwife.send("/pasien")
    assert "Wati" in midwife.last_reply.text and "⚠️" in midwife.last_reply.text
