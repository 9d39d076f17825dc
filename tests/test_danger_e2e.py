"""Danger signs end to end, on the real Application over HTTP against the fake Bot API: a typed urgent sign
reaches every midwife of the facility once, is escalated to the coordinator after the repeats, the family is
told when nobody answers, the acknowledgement and the midwife's message reach both family members; a sign
reported before the family is linked alerts at linking; /hapus closes an open alert in front of the midwife;
an un-understood message about health gets the safety net."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.devtools.demo import add_midwife
from bot.flows import alerts as alert_flow
from bot.reminders.dispatcher import dispatch_once
from storage import alerts as alert_store
from storage import facilities, staff, users
from storage.models import Alert
from tests.test_conversation_edges import quick_register
from tests.test_midwife_support import FACILITY_A, MIDWIFE_A2, two_facilities

COORDINATOR = 2009


def t(bot, key: str, **params) -> str:
    return bot.runtime.content.text(key, **params)


def alerts_of(user) -> list[str]:
    return [m.text for m in user.messages if m.text and "TANDA BAHAYA" in m.text]


def family_with_facility(db, clock, **kwargs):
    """two_facilities, with the mother's and husband's consent given (as registering does)."""
    world = two_facilities(db, clock.now(), **kwargs)
    with db.session() as session:
        for telegram_id in (1001, 1002):
            person = users.get_by_telegram_id(session, telegram_id)
            person.consent_at = clock.now()
            session.add(person)
    return world


async def tick(bot) -> int:
    return (await dispatch_once(bot.runtime, bot.app.bot)).sent


async def test_urgent_free_text_reaches_every_midwife_once_escalates_and_the_ack_reaches_both(
        bot, db, clock, fake_tg, mother, husband, midwife):
    world = family_with_facility(db, clock, second_midwife=True)
    with db.session() as session:
        add_midwife(session, world.a, telegram_id=COORDINATOR, name="Koordinator Wulan", now=clock.now(),
                    coordinator=True)
    rahma = fake_tg.user(user_id=MIDWIFE_A2, first_name="Rahma")
    wulan = fake_tg.user(user_id=COORDINATOR, first_name="Wulan")
    husband_before = len(husband.messages)

    await mother.send("badan bayi panas sekali, 38,5 derajat")
    advice = "\n".join(m.text for m in mother.replies_since_last_action)
    assert "sekarang" in advice and "119" in advice and "112" in advice and FACILITY_A in advice
    assert "hari ini juga" not in advice
    told = [m.text for m in husband.messages[husband_before:]]
    assert len(told) == 1 and "Siti" in told[0] and "demam" in told[0].lower()
    for person in (midwife, rahma):
        texts = alerts_of(person)
        assert len(texts) == 1
        assert "«badan bayi panas sekali, 38,5 derajat»" in texts[0]
        assert "Pelapor: Siti (ibu)" in texts[0] and "• Bayi:" in texts[0] and "hari ke-6" in texts[0]
        assert f"tg://user?id={mother.id}" in str(person.last_reply.reply_markup)
    assert alerts_of(wulan) == []

    # Another sign a few minutes later joins the open episode: no new alert message, the next repeat lists it.
    clock.advance(timedelta(minutes=5))
    await mother.send("sekarang bayinya juga kejang")
    assert len(alerts_of(midwife)) == 1 and len(alerts_of(rahma)) == 1

    every = bot.settings.alert_repeat
    for n in range(1, alert_flow.MIDWIFE_REPEATS + 1):
        clock.advance(every)
        await tick(bot)
        assert f"PENGINGAT ke-{n}" in midwife.last_reply.text and f"PENGINGAT ke-{n}" in rahma.last_reply.text
        assert alerts_of(wulan) == []
    assert t(bot, "danger.mw_sign_line", siapa="Bayi", tanda=bot.runtime.content.danger_sign("bayi_kejang").text) \
        in midwife.last_reply.text

    clock.advance(every)
    await tick(bot)
    assert len(alerts_of(wulan)) == 1 and t(bot, "danger.mw_to_coordinator") in wulan.last_reply.text
    family_before = (len(mother.messages), len(husband.messages))

    clock.advance(every)
    await tick(bot)
    for person, before in zip((mother, husband), family_before, strict=True):
        new = [m.text for m in person.messages[before:]]
        assert len(new) == 1 and "Bidan belum menjawab" in new[0] and "119" in new[0]

    # Rahma acknowledges; both family members hear it, then her message.
    await rahma.press(t(bot, "midwife.button_handled"))
    for person in (mother, husband):
        assert "Bidan Rahma sudah membaca laporan" in person.last_reply.text
    assert "sudah ditangani" in midwife.last_reply.text
    await rahma.press(t(bot, "danger.button_reply"))
    await rahma.send("Saya menuju rumah Ibu sekarang, siapkan selimut bayi.")
    assert "sudah dikirim" in rahma.last_reply.text
    for person in (mother, husband):
        assert "Pesan dari Bidan Rahma" in person.last_reply.text and "siapkan selimut" in person.last_reply.text

    # Nothing more is sent, and every step is on record.
    clock.advance(every * 5)
    assert await tick(bot) == 0
    with db.session() as session:
        head, joined = session.exec(select(Alert).order_by(Alert.id)).all()
        assert head.sign_id == "bayi_demam_dingin" and joined.sign_id == "bayi_kejang" and joined.episode_id == head.id
        assert head.handled_at is not None and joined.handled_at is not None
        assert head.words == "badan bayi panas sekali, 38,5 derajat" and "selimut" in head.reply
        events = [e.event for e in alert_store.events(session, head.id)]
        assert events.count("sent") == 2 and "joined" in events and "coordinator" in events
        assert events.count("family_told") == 2 and "acknowledged" in events and "reply" in events
        rahma_user = users.get_by_telegram_id(session, MIDWIFE_A2)
        ack = [e for e in alert_store.events(session, head.id) if e.event == "acknowledged"][0]
        assert ack.user_id == rahma_user.id and head.handled_by == rahma_user.id


async def test_a_sign_before_linking_is_advised_stored_and_alerted_at_linking(bot, db, clock, mother, midwife):
    with db.session() as session:
        facility = facilities.create(session, name="Puskesmas Tanjung", now=clock.now())
        code = facility.code
        add_midwife(session, facility, telegram_id=midwife.id, name="Bidan Aminah", now=clock.now())
    await quick_register(mother)  # no facility code

    await mother.send("tali pusar bayi bau dan keluar nanah")
    advice = "\n".join(m.text for m in mother.replies_since_last_action)
    assert "sekarang" in advice and "119" in advice and "belum terhubung" in advice
    assert alerts_of(midwife) == []
    with db.session() as session:
        alert = session.exec(select(Alert)).one()
        assert alert.facility_id is None and alert.sign_id == "bayi_tali_pusat"

    clock.advance(timedelta(hours=2))
    await mother.send("/keluarga")
    await mother.press(t(bot, "danger.button_facility"))
    await mother.send("KODESALAH")
    assert "tidak saya temukan" in mother.last_reply.text
    await mother.send(code.lower())
    replies = [m.text for m in mother.replies_since_last_action]
    assert any("Puskesmas Tanjung" in r and "terhubung" in r for r in replies)
    assert any("sudah kami kirim ke bidan" in r for r in replies)
    texts = alerts_of(midwife)
    assert len(texts) == 1 and t(bot, "danger.mw_before_link") in texts[0] and "«tali pusar bayi bau" in texts[0]
    with db.session() as session:
        alert = session.exec(select(Alert)).one()
        assert alert.facility_id is not None
        assert [e.event for e in alert_store.events(session, alert.id)][:2] == ["no_facility", "linked"]


async def test_deleting_the_family_closes_its_open_alert_in_front_of_the_midwife(bot, db, clock, mother, midwife):
    world = family_with_facility(db, clock)
    await mother.send("darah nifas keluar banyak dan bergumpal besar")
    assert len(alerts_of(midwife)) == 1
    await mother.send("/hapus")
    await mother.press(t(bot, "menu.button_delete_yes"))
    assert "keluarga menghapus data" in midwife.last_reply.text and world.mothers_family.code in midwife.last_reply.text
    clock.advance(bot.settings.alert_repeat * 3)
    assert not [m for m in [await tick(bot)] if m]
    with db.session() as session:
        alert = session.exec(select(Alert)).one()
        assert alert.closed_reason == alert_store.FAMILY_DELETED and alert.words is None
        assert "closed_deleted" in [e.event for e in alert_store.events(session, alert.id)]


async def test_the_ack_function_works_outside_telegram_and_refuses_strangers(bot, db, clock, mother, husband, midwife):
    family_with_facility(db, clock)
    await mother.send("saya pingsan tadi waktu ke kamar mandi")
    with db.session() as session:
        alert = session.exec(select(Alert)).one()
        stranger_id = users.upsert(session, telegram_id=777, chat_id=777, first_name="X", language_code="id",
                                   now=clock.now()).id
        assert not alert_flow.acknowledge(session, bot.runtime.content, alert_id=alert.id, staff_user_id=stranger_id,
                                          now=clock.now()).ok
        me = staff.active_for_telegram_id(session, midwife.id)
        ack = alert_flow.acknowledge(session, bot.runtime.content, alert_id=alert.id, staff_user_id=me.user_id,
                                     now=clock.now(), reply="Saya telepon sebentar lagi.")
        assert ack.ok and ack.first and len(ack.told) == 2
    assert await tick(bot) == 4  # acknowledgement + message, to mother and husband, through the outbox
    assert "Pesan dari Bidan Aminah" in mother.last_reply.text and "sudah membaca" in husband.messages[-2].text


async def test_unclear_messages_about_health_reach_the_midwife_with_the_safety_net(bot, db, clock, mother, midwife):
    family_with_facility(db, clock)
    await mother.send("bayi saya suka menjulurkan lidah")
    reply = mother.last_reply.text
    assert t(bot, "danger.net") in reply and "119" in reply and "sekarang" in reply
    assert "belum mengerti" not in reply
    assert "PESAN KELUARGA" in midwife.last_reply.text and "menjulurkan lidah" in midwife.last_reply.text
    assert alerts_of(midwife) == []


async def test_someone_not_registered_naming_the_baby_inside_thanks_gets_the_safety_net(bot, db, mother):
    """Found walking a second family through the simulator: thanks that name the baby, from someone not yet
    registered, got "belum mengerti" and the menu; a message about a baby is never answered so."""
    await mother.send("alhamdulillah budak abdi tos lahir kamari, hatur nuhun doana")
    reply = mother.last_reply.text
    assert "belum mengerti" not in reply and "119" in reply and "/start" in reply


async def test_thoughts_of_harm_go_to_the_midwife_and_the_crisis_line_not_to_the_husband(
        bot, db, clock, mother, husband, midwife):
    family_with_facility(db, clock)
    husband_before = len(husband.messages)
    await mother.send("kadang saya ingin mati saja")
    reply = "\n".join(m.text for m in mother.replies_since_last_action)
    assert "119 ext 8" in reply and "sekarang" in reply
    assert len(alerts_of(midwife)) == 1 and "Ingin mati atau menghilang" in alerts_of(midwife)[0]
    assert len(husband.messages) == husband_before  # not passed on automatically
