"""The conversations at their edges, through the real Application and the fake Bot API.

No consent, strangers and wrong codes, media and groups, forged and old buttons; the husband who registers
first; safety stops, danger signs typed or answered; pausing, continuing and deleting.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.devtools.fake_telegram.users import DEFAULT_GROUP_ID
from content import get_content
from storage import facilities, staff, users
from storage.models import (
    Alert,
    Answer,
    ChatState,
    Family,
    MassageSession,
    Measurement,
    Membership,
    Outbox,
    User,
)

WIB = "WIB – Sumatra, Jawa, Kalimantan Barat & Tengah"
ERROR = "gangguan"


async def quick_register(user, *, role: str = "Ibu", name: str = "Siti", code: str | None = None,
                         research: str = "Boleh") -> None:
    await user.send("/start")
    await user.press("Setuju")
    await user.press(research)
    await user.press(role)
    if role == "Suami":
        await user.press("Belum, saya daftar dulu")
    await user.send(name)
    await user.press("Kemarin")
    await user.press(WIB)
    if code:
        await user.send(code)
    else:
        await user.press("Lewati")
    await user.press("Benar, simpan")
    assert "Pendaftaran selesai" in "\n".join(m.text or "" for m in user.replies_since_last_action)


def _no_errors(*people) -> None:
    for person in people:
        assert not any(ERROR in (m.text or "") for m in person.messages), person.text_log()
        assert not any(ERROR in a for a in person.callback_answers), person.callback_answers


async def test_strangers_media_groups_and_forged_buttons_are_answered_kindly(bot, stranger, mother):
    # Without consent nothing is stored, and the way back is explained.
    await stranger.send("/start")
    await stranger.press("Baca privasi")
    assert "Cara kami menjaga data" in stranger.replies_since_last_action[0].text
    await stranger.press("Tidak setuju")
    assert "/start" in stranger.last_reply.text
    with bot.runtime.db.session() as s:
        assert s.exec(select(User)).first() is None
        assert s.exec(select(ChatState)).first() is None

    # Media, stickers, voice, documents; text before registering; groups.
    await stranger.send_photo()
    assert "teks dan tombol" in stranger.last_reply.text
    await stranger.send_sticker()
    await stranger.send_voice()
    await stranger.send_document()
    assert sum("teks dan tombol" in (m.text or "") for m in stranger.messages) == 4
    await stranger.send("halo, ini apa ya?")
    assert "/start" in stranger.last_reply.text
    before = len(stranger.messages)
    await stranger.send_in_group("halo semua")
    await stranger.send_in_group("/start")
    group = [m.text for m in bot.fake.world.chats[DEFAULT_GROUP_ID].bot_messages()]
    hint = bot.runtime.content.text("common.private_only_link", link=f"https://t.me/{bot.fake.bot_username}")
    assert group == [hint]  # only to the command: "please talk to me privately", with the link
    assert len(stranger.messages) == before

    # Forged and old buttons: a polite answer, never an error.
    for data in ("ceklis:a:999:1:3", "pijat:next:abc:1", "pijat:safe:1:0:y", "reg:bd:5", "fam:renew:1",
                 "hapus:yes", "consent:maybe", "xyz", "ceklis:start", "pijat:start", "menu:pause"):
        await stranger.press_data(data)
    assert len(stranger.callback_answers) == 11 + 2  # and the two consent buttons above

    # A wrong family code: the same short answer whether or not a family exists.
    await quick_register(mother)
    await stranger.send("/start fam_ZZZZZZZZ")
    await stranger.press("Setuju")
    await stranger.press("Tidak boleh")
    wrong = stranger.last_reply.text
    assert "tidak cocok" in wrong and "Siti" not in wrong
    await stranger.send("ABCDEFGH")
    assert stranger.last_reply.text == wrong
    for _ in range(3):
        await stranger.send("QQQQQQQQ")
    assert "beberapa kali" in stranger.last_reply.text
    await stranger.send("/start")
    await stranger.press("Bidan")
    assert "undangan" in stranger.last_reply.text
    _no_errors(stranger, mother)


async def test_husband_registers_first_and_the_mother_joins_by_his_link(bot, husband, mother, stranger, clock):
    with bot.runtime.db.session() as s:
        facility = facilities.create(s, name="Puskesmas Tanjung", now=clock.now(), timezone="Asia/Makassar")
        code = facility.code
    await husband.send("/start")
    await husband.press("Setuju")
    await husband.press("Tidak boleh")
    await husband.press("Suami")
    await husband.press("Belum, saya daftar dulu")
    await husband.send("Budi")
    await husband.send("kemarin")
    await husband.send("wita")
    await husband.send("XX999")
    assert "tidak saya temukan" in husband.last_reply.text
    await husband.send(code.lower())
    assert "Puskesmas Tanjung" in husband.last_reply.text and "WITA" in husband.last_reply.text
    await husband.press("Benar, simpan")
    invite = next(m.text for m in husband.replies_since_last_action if "start=fam_" in (m.text or ""))
    payload = invite.split("start=")[1].split()[0]
    assert "istri" in invite

    await mother.send(f"/start {payload}")
    await mother.press("Setuju")
    await mother.press("Boleh")
    assert "sebagai siapa" in mother.last_reply.text  # no mother in this family yet
    await mother.press("Ibu")
    await mother.send("Siti")
    assert "Budi" not in mother.last_reply.text  # nothing of the family before the husband approves
    await husband.press("Setujui")  # she has not registered: the husband approves
    assert "Siti (Ibu)" in mother.last_reply.text and "Budi (Suami)" in mother.last_reply.text
    assert "Siti sudah terhubung sebagai Ibu" in husband.last_reply.text

    # The family view; a renewed code; the old link stops working.
    await mother.send("/keluarga")
    assert "Puskesmas Tanjung" in mother.last_reply.text and payload[4:] in mother.last_reply.text
    await mother.press("Buat kode baru")
    new_code = mother.last_reply.text.split("yang baru: ")[1].split()[0]
    assert new_code != payload[4:]
    await stranger.send(f"/start {payload}")
    await stranger.press("Setuju")
    await stranger.press("Boleh")
    assert "tidak cocok" in stranger.last_reply.text
    await stranger.send(new_code.lower())  # typed codes ignore case: the grandmother joins as companion
    await stranger.send("Oma")
    assert "Siti" not in stranger.last_reply.text and "Oma ingin bergabung" in mother.last_reply.text
    await mother.press("Setujui")  # the mother approves now that she is in the family
    assert "Oma (Pendamping)" in stranger.last_reply.text

    # Changing the birth date reschedules; the mother's checklist cannot be answered by another family.
    await husband.send("/keluarga")
    await husband.press("Ubah tanggal lahir")
    await husband.press("2 hari lalu")
    assert "diperbarui" in "\n".join(m.text or "" for m in husband.replies_since_last_action)
    await mother.send("/ceklis")
    with bot.runtime.db.session() as s:
        family = s.exec(select(Family)).one()
        assert family.facility_id is not None and family.timezone == "Asia/Makassar"
        assert str(family.birth_date) == "2026-11-18"
        measurement_id = s.exec(select(Measurement)).one().id
        roles = sorted(m.role for m in s.exec(select(Membership)))
        assert roles == ["companion", "husband", "mother"]
    # A mother who registers through the facility's link: no code question, the facility's zone first.
    with bot.runtime.db.session() as s:
        registration_code = facilities.get(s, family.facility_id).registration_code
    outsider = bot.fake.user(user_id=3003, first_name="Dewi")
    await outsider.send(f"/start fas_{registration_code}")
    await outsider.press("Setuju")
    await outsider.press("Boleh")
    await outsider.press("Ibu")
    assert "melalui Puskesmas Tanjung" in "\n".join(m.text or "" for m in outsider.replies_since_last_action)
    await outsider.send("Dewi")
    await outsider.press("Hari ini")
    assert outsider.last_reply.button_labels[0].startswith("WITA")
    await outsider.press(outsider.last_reply.button_labels[0])
    assert "Puskesmas Tanjung" in outsider.last_reply.text  # the summary, without the code question
    await outsider.press("Benar, simpan")
    await outsider.press_data(f"ceklis:a:{measurement_id}:1:3")
    assert "untuk anggota keluarga yang lain" in outsider.callback_answers[-1]
    with bot.runtime.db.session() as s:
        assert s.exec(select(Answer)).first() is None
        dewi = s.exec(select(Family).where(Family.id != family.id)).one()
        assert dewi.facility_id == family.facility_id and dewi.timezone == "Asia/Makassar"
    _no_errors(husband, mother, stranger, outsider)


async def test_danger_signs_safety_stop_pause_continue_and_delete(bot, mother, husband, midwife, clock):
    with bot.runtime.db.session() as s:
        facility = facilities.create(s, name="TPMB Wilda", now=clock.now())
        code = facility.code
        invite = staff.create_invite(s, facility_id=facility.id, now=clock.now())
        aminah = users.upsert(s, telegram_id=midwife.id, chat_id=midwife.id, first_name="Aminah",
                              language_code="id", now=clock.now())
        staff.redeem_invite(s, invite.code, user=aminah, now=clock.now())
    await quick_register(mother, code=code)

    # A "yes" to a safety question stops the session kindly, with the urgent advice and an alert.
    await mother.send("/pijat")
    if "Lewati, mulai pijat" in mother.last_reply.button_labels:  # the "before" checklist is asked first
        await mother.press("Lewati, mulai pijat")
    await mother.press("1. Demam")
    await mother.press("Kirim (1 dipilih)")
    text = "\n".join(m.text or "" for m in mother.replies_since_last_action)
    assert "Demam setelah melahirkan" in text and "sekarang" in text and "119" in text
    assert midwife.messages, "the midwife was not alerted"

    # A typed danger sign, outside any conversation.
    await mother.send("bayi saya kejang dari tadi")
    advice = "\n".join(m.text or "" for m in mother.replies_since_last_action)
    assert "kejang" in advice.lower() and "Bidan di TPMB Wilda sudah kami beri tahu" in advice and "119" in advice
    await midwife.send("catatan: bayi kejang tadi pagi")  # a midwife's own words are not a family's report
    assert "waspadai" not in midwife.last_reply.text

    # A danger answer in the checklist; leaving mid-way; pausing; continuing where it stopped.
    await mother.send("/ceklis")
    await mother.send("0")
    replies = [m.text or "" for m in mother.replies_since_last_action]
    assert any("⚠️" in r or "🚨" in r for r in replies) and "Pertanyaan 2 dari 6" in replies[-1]
    await mother.press("Nanti saja")
    assert "/lanjut" in mother.last_reply.text
    await mother.send("/berhenti")
    assert "dihentikan" in mother.last_reply.text
    with bot.runtime.db.session() as s:
        assert s.exec(select(Family)).one().reminders_paused is True
        assert not s.exec(select(Outbox).where(Outbox.status == "pending", Outbox.kind != "alert_repeat")).all()
    await mother.send("/lanjut")
    replies = [m.text or "" for m in mother.replies_since_last_action]
    assert len(replies) == 2 and "Pengingat menyala lagi" in replies[0] and "Pertanyaan 2 dari 6" in replies[1]
    with bot.runtime.db.session() as s:
        assert s.exec(select(Family)).one().reminders_paused is False
        assert s.exec(select(Outbox).where(Outbox.status == "pending", Outbox.kind == "massage")).all()

    # Stopping a session part-way, with a reason.
    await mother.send("/pijat")
    if "Lewati, mulai pijat" in mother.last_reply.button_labels:  # the "before" checklist is asked first
        await mother.press("Lewati, mulai pijat")
    await mother.press("✅ Semua tidak ada")
    await mother.press("Lanjut ▶")
    await mother.send("/menu")
    await mother.send("/lanjut")  # the guided session continues where it stopped
    assert "Posisi Ibu (2 dari 6)" in "\n".join(m.text or "" for m in mother.replies_since_last_action)
    await mother.send("/pijat")
    if "Lewati, mulai pijat" in mother.last_reply.button_labels:  # the "before" checklist is asked first
        await mother.press("Lewati, mulai pijat")
    await mother.press("Lanjutkan")
    assert "Posisi Ibu (2 dari 6)" in mother.last_reply.text
    for _ in range(4):
        await mother.press("Lanjut ▶")
    await mother.press("Mulai pijat ▶")
    clock.advance(timedelta(minutes=2))
    await mother.press("⏹ Berhenti")
    await mother.press("Bayi perlu disusui")
    assert "mulai lagi" in mother.last_reply.text
    with bot.runtime.db.session() as s:
        stopped_id = s.exec(select(MassageSession).order_by(MassageSession.id.desc())).first().id
    await mother.press_data(f"pijat:next:{stopped_id}:1")  # an old button of the stopped session
    assert "tidak berlaku" in mother.callback_answers[-1]
    with bot.runtime.db.session() as s:
        alerts = {(a.sign_id, a.source) for a in s.exec(select(Alert))}
        assert {("ibu_demam", "safety_check"), ("bayi_kejang", "text"), ("bayi_tidak_bak", "answer")} <= alerts
        first, second = s.exec(select(MassageSession).order_by(MassageSession.id)).all()
        assert (first.status, first.stop_reason) == ("stopped", "safety:demam")
        assert first.safety_answers == {q.id: q.id == "demam" for q in get_content().safety_questions}
        assert (second.status, second.stop_reason, second.duration_seconds) == ("stopped", "baby_needs", 120)
        assert second.step_reached == "timing"

    # The husband joins, then the mother deletes her data: research answers stay, anonymous.
    await mother.send("/keluarga")
    payload = mother.last_reply.text.split("start=")[1].split()[0]
    await husband.send(f"/start {payload}")
    await husband.press("Setuju")
    await husband.press("Tidak boleh")
    await husband.send("Budi")
    await mother.press("Setujui")
    await mother.send("/hapus")
    assert "tanpa nama" in mother.last_reply.text
    await mother.press("Batal")
    await mother.send("/hapus")
    await mother.press("Ya, hapus data saya")
    assert "sudah dihapus" in mother.last_reply.text
    assert "dihapus" in husband.last_reply.text
    with bot.runtime.db.session() as s:
        siti = s.exec(select(User).where(User.display_name == "Siti")).first()
        assert siti is None
        gone = s.exec(select(User).where(User.deleted_at.is_not(None))).one()
        assert gone.telegram_id is None and gone.chat_id is None and gone.first_name is None
        family = s.exec(select(Family)).one()
        assert family.status == "deleted" and family.birth_date is None
        answers = s.exec(select(Answer)).all()
        assert answers and all(a.answered_by is None for a in answers)
        assert s.get(ChatState, mother.id) is None
        assert not s.exec(select(Outbox).where(Outbox.status == "pending", Outbox.family_id == family.id,
                                               Outbox.kind != "alert_repeat")).all()
    await mother.send("/menu")
    assert "/start" in mother.last_reply.text
    await husband.send("/pijat")
    if "Lewati, mulai pijat" in husband.last_reply.button_labels:  # the "before" checklist is asked first
        await husband.press("Lewati, mulai pijat")
    assert "belum terdaftar" in husband.last_reply.text
    _no_errors(mother, husband)


async def test_renewing_another_familys_code_is_refused(bot, mother, husband):
    await quick_register(mother, name="Siti")
    await quick_register(husband, role="Suami", name="Budi")
    with bot.runtime.db.session() as s:
        codes = {f.id: f.link_code for f in s.exec(select(Family))}
    mothers, _husbands = sorted(codes)
    await husband.press_data(f"fam:renew:{mothers}")  # the mother's family, forged from another account
    assert husband.callback_answers, "the forged button got no answer"
    with bot.runtime.db.session() as s:
        assert s.get(Family, mothers).link_code == codes[mothers]
    _no_errors(mother, husband)


async def test_codes_that_read_like_a_temperature_are_taken_as_codes(bot, mother, husband, clock):
    """Codes are random: one may begin with "38" or "39". At a code question a code that exists is the answer,
    not a fever (a join code like this once raised the danger advice and the join never happened)."""
    with bot.runtime.db.session() as s:
        facility = facilities.create(s, name="Puskesmas Tanjung", now=clock.now(), timezone="Asia/Jakarta")
        facility.code = "39DEMAM"
        s.add(facility)
    await quick_register(mother, name="Siti", code="39demam")  # the facility code, at registration
    with bot.runtime.db.session() as s:
        family = s.exec(select(Family)).one()
        assert family.facility_id is not None
        family.link_code = "38FRWAQB"
        s.add(family)
    await husband.send("/start")
    await husband.press("Setuju")
    await husband.press("Boleh")
    await husband.press("Suami")
    await husband.press("Sudah, saya punya kode")
    await husband.send("38frwaqb")
    await husband.send("Budi")
    await mother.press("Setujui")
    assert "Budi (Suami)" in husband.last_reply.text
    with bot.runtime.db.session() as s:
        assert not s.exec(select(Alert)).all()  # no fever was read into either code
        assert len(s.exec(select(Membership)).all()) == 2
    _no_errors(mother, husband)
