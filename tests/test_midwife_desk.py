"""The midwife's desk through the real Application and the fake Bot API: triage order and filters in /pasien,
the family view (contact, labels, stop reasons, "Sudah ditangani"), the optional phone number (shared, shown,
absent from exports, erased by /hapus), and "Tanya bidan" answered through the relay."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

from openpyxl import load_workbook
from sqlmodel import select

from bot.flows import desk
from bot.reminders.dispatcher import dispatch_once
from storage import questions as question_store
from storage import users
from storage.models import Alert, MassageSession, Outbox, Question, User
from tests.test_midwife_support import FACILITY_A, HUSBAND, MIDWIFE_A2, MOTHER, two_facilities
from tests.test_reliability_support import family_id_of, register


def t(bot, key: str, **params) -> str:
    return bot.runtime.content.text(key, **params)


def to_mother(bot, key: str, **params) -> str:
    """A text as the mother reads it: "Ibu/Bapak" becomes "Ibu" (Turn.reader)."""
    c = bot.runtime.content
    return t(bot, key, **params).replace(c.text("common.reader_generic"), c.text("common.reader_mother"))


def consent(db, clock, *telegram_ids: int) -> None:
    """The seeded family members agreed to the bot (as /start would have recorded)."""
    with db.session() as session:
        for tid in telegram_ids:
            user = users.get_by_telegram_id(session, tid)
            user.consent_at = clock.now()
            session.add(user)


def add_alert(db, family_id: int, facility_id: int, at, sign: str = "bayi_kejang") -> int:
    with db.session() as session:
        alert = Alert(family_id=family_id, facility_id=facility_id, sign_id=sign, source="text", raised_at=at)
        session.add(alert)
        session.flush()
        return alert.id


def order_of(text: str, codes: list[str]) -> list[str]:
    return sorted(codes, key=lambda c: text.index(c))


# -- triage ------------------------------------------------------------------------------------------

async def test_pasien_lists_urgent_families_first_with_reasons_and_filters(bot, db, clock, midwife):
    world = two_facilities(db, clock.now(), a_extra=9, b_count=2)  # 10 families in A: two pages
    fams = world.a_families
    old_alert, new_alert, unreachable = fams[7], fams[2], fams[5]
    add_alert(db, new_alert.family_id, world.a.id, clock.now() - timedelta(minutes=5), sign="demam_ibu")
    add_alert(db, old_alert.family_id, world.a.id, clock.now() - timedelta(hours=2))
    with db.session() as session:
        for f in fams:
            if f.husband_id:
                user = session.get(User, f.husband_id)
                user.reachable = f is not unreachable
                session.add(user)
        # no checklist is due anywhere but in the due family: the others finished both
        due_ids = {f.family_id for f in fams if f.post is None or f.pre is None}
    await midwife.send("/pasien")
    text = midwife.last_reply.text
    # The two alert families lead, the oldest alert first, each with its reason; the due ones next.
    first_two = order_of(text, [old_alert.code, new_alert.code])
    assert first_two == [old_alert.code, new_alert.code]
    assert text.index(new_alert.code) < min((text.index(f.code) for f in fams
                                             if f.code in text and f not in (old_alert, new_alert)), default=10**9)
    assert "⚠️ Tanda bahaya sejak 20/11 06:00 WIB" in text
    labels = midwife.last_reply.button_labels
    assert labels[0].startswith("⚠️") and old_alert.code in labels[0]
    assert labels[1].startswith("⚠️") and new_alert.code in labels[1]
    # The unreachable family comes after every family with a checklist due, with its reason.
    with db.session() as session:
        rows = desk.triage(session, bot.runtime.content, world.a.id, now=clock.now())
    ranks = [r.rank for r in rows]
    assert ranks == sorted(ranks)
    assert [r.family.code for r in rows[:2]] == [old_alert.code, new_alert.code]
    assert all((r.rank == desk.DUE) == (r.family.id in due_ids and r.rank > desk.QUESTION) for r in rows[2:])
    assert next(r for r in rows if r.family.code == unreachable.code).rank in (desk.DUE, desk.UNREACHABLE)

    await midwife.send("/pasien bahaya")
    text = midwife.last_reply.text
    assert old_alert.code in text and new_alert.code in text
    assert sum(f.code in text for f in fams) == 2
    assert t(bot, "desk.filter_bahaya") in text
    # Paging keeps the filter; a family opened from the filtered list comes back to it.
    await midwife.press(midwife.last_reply.button_labels[0])
    await midwife.press(t(bot, "midwife.button_back"))
    assert t(bot, "desk.filter_bahaya") in midwife.last_reply.text

    await midwife.send("/pasien putus")
    text = midwife.last_reply.text
    assert unreachable.code in text and sum(f.code in text for f in fams) == 1
    await midwife.send("/pasien entah")
    assert midwife.last_reply.text.startswith(t(bot, "desk.filter_unknown", kata="entah",
                                                    bantuan=t(bot, "desk.filters_help"))[:20])
    # Never another facility's family.
    await midwife.send("/pasien")
    assert not any(f.code in midwife.last_reply.text for f in world.b_families)


async def test_family_view_has_labels_stop_reasons_and_sudah_ditangani_which_tells_the_family(
        bot, db, clock, midwife, mother, husband):
    world = two_facilities(db, clock.now(), a_extra=0, b_count=0)
    fam = world.mothers_family
    alert_id = add_alert(db, fam.family_id, world.a.id, clock.now())
    with db.session() as session:
        session.add(MassageSession(family_id=fam.family_id, protocol_id="default", postpartum_day=2,
                                   started_at=clock.now() - timedelta(days=1), status="stopped",
                                   stop_reason="baby_needs"))
    await midwife.send("/pasien")
    await midwife.press(next(label for label in midwife.last_reply.button_labels if fam.code in label))
    view = midwife.last_reply
    content = bot.runtime.content
    item = next(i for i in content.instruments["bayi6"].items if i.answer_type == "choice")
    assert "Budi (suami)" in view.text and "Siti (ibu)" in view.text
    assert t(bot, "desk.detail_no_phone").strip() in view.text
    assert "dihentikan: " + t(bot, "session.reason_baby_needs") in view.text
    assert any(c.label in view.text for c in item.choices)
    assert not any(f": {c.value}\n" in view.text + "\n" for c in item.choices if c.value != c.label)
    handled = t(bot, "desk.button_handled_sign", tanda=content.danger_sign("bayi_kejang").text[:40])
    assert handled in view.button_labels and t(bot, "desk.button_message_family") in view.button_labels

    await midwife.press(handled)
    with db.session() as session:
        assert session.get(Alert, alert_id).handled_at == clock.now()
    for person in (mother, husband):  # told by bot.flows.alerts.acknowledge
        assert "Bidan Aminah sudah membaca laporan" in person.last_reply.text


# -- the phone number ----------------------------------------------------------------------------------

async def test_phone_shared_shown_to_her_midwives_only_never_exported_and_erased(bot, db, clock, fake_tg, midwife):
    world = two_facilities(db, clock.now(), a_extra=0, b_count=1)
    other_midwife = fake_tg.user(user_id=2002, first_name="Maluku")
    rani = fake_tg.user(user_id=3001, first_name="Rani")
    await register(rani, db)
    # After registration: the optional contact button, and a way to skip; nothing waits for it.
    ask = next(m for m in rani.messages if m.text == to_mother(bot, "desk.ask_phone"))
    assert rani.reply_keyboard == [[t(bot, "desk.button_share_phone")], [t(bot, "desk.button_skip_phone")]]
    assert ask is not None
    assert fake_tg.world.chats[rani.id].reply_keyboard["keyboard"][0][0]["request_contact"] is True
    # Someone else's contact is refused; her own is taken.
    await rani.send_message_fields({"contact": {"phone_number": "6289999999999", "first_name": "X", "user_id": 77}})
    assert rani.last_reply.text == to_mother(bot, "desk.phone_not_own")
    await rani.send_message_fields({"contact": {"phone_number": "+62 812-3456-7890", "first_name": "Rani",
                                                "user_id": rani.id}})
    assert rani.last_reply.text == to_mother(bot, "desk.phone_saved")
    with db.session() as session:
        assert users.get_by_telegram_id(session, rani.id).phone == "+6281234567890"
    # The privacy text says so.
    assert "nomor HP" in to_mother(bot, "onboarding.privacy")

    # She links her midwife's facility; the midwife sees the number, tap-to-call and WhatsApp.
    await rani.send(f"/start fas_{world.a.registration_code}")
    await midwife.send("/pasien")
    label = next(label for label in midwife.last_reply.button_labels if "Rani" in label)
    await midwife.press(label)
    view = midwife.last_reply
    assert "+6281234567890" in view.text
    wa = view.button(t(bot, "desk.button_whatsapp", nama="Rani"))
    assert wa["url"] == "https://wa.me/6281234567890"
    # Another facility's midwife cannot open the family at all.
    fid = family_id_of(db, rani.id)
    await other_midwife.press_data(f"mw:open:{fid}")
    assert other_midwife.callback_answers[-1] == t(bot, "midwife.not_allowed")
    assert "6281234567890" not in "".join(m.text or "" for m in other_midwife.messages)

    # Exports: never the number, pseudonymous or with names.
    for command in ("/export", "/export nama", "/export csv"):
        await midwife.send(command)
        assert b"81234567890" not in _unzip_all(midwife.last_reply.document), command

    # /hapus erases it.
    await rani.send("/hapus")
    await rani.press(next(label for label in rani.last_reply.button_labels if label.startswith("Ya")))
    with db.session() as session:
        assert session.exec(select(User).where(User.phone.is_not(None))).all() == []


def _unzip_all(blob: bytes) -> bytes:
    """An XLSX or a ZIP of CSVs, every member's bytes concatenated (so a number is found wherever it is)."""
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return b"".join(z.read(name) for name in z.namelist())


# -- Tanya bidan -------------------------------------------------------------------------------------

async def test_a_question_is_answered_through_the_relay_stored_and_exported(bot, db, clock, fake_tg, mother,
                                                                           husband, midwife):
    world = two_facilities(db, clock.now(), a_extra=0, b_count=1, second_midwife=True)
    colleague = fake_tg.user(user_id=MIDWIFE_A2, first_name="Rahma")
    other = fake_tg.user(user_id=2002, first_name="Maluku")
    consent(db, clock, MOTHER, HUSBAND)
    await mother.send("/tanya")
    assert mother.last_reply.text == to_mother(bot, "desk.ask_prompt", fasilitas=FACILITY_A)
    await mother.send("Bu bidan, apakah boleh minum jamu setelah melahirkan?")
    assert t(bot, "desk.ask_sent", fasilitas=FACILITY_A) in [m.text for m in mother.replies_since_last_action]
    for person in (midwife, colleague):
        shown = person.last_reply
        assert "jamu" in shown.text and world.mothers_family.code in shown.text and "Siti (ibu)" in shown.text
        assert t(bot, "desk.button_reply") in shown.button_labels
    assert not any("jamu" in (m.text or "") for m in other.messages)

    # Unanswered: reminded at the gentler interval (not the alert's).
    clock.advance(bot.settings.alert_repeat + timedelta(minutes=1))
    assert (await dispatch_once(bot.runtime, bot.app.bot)).sent == 0
    clock.advance(bot.settings.question_repeat)
    result = await dispatch_once(bot.runtime, bot.app.bot)
    assert result.sent == 2
    assert "belum dibalas" in midwife.last_reply.text and "jamu" in midwife.last_reply.text

    await midwife.press(t(bot, "desk.button_reply"))
    assert midwife.last_reply.text.startswith("Tulis balasan untuk keluarga " + world.mothers_family.code)
    clock.advance(timedelta(minutes=3))
    await midwife.send("Jamu sebaiknya ditanyakan dulu ke bidan saat kunjungan, Bu. Air putih yang banyak ya.")
    assert midwife.last_reply.text == t(bot, "desk.reply_sent", jumlah=2, kode=world.mothers_family.code)
    for person in (mother, husband):
        assert person.last_reply.text.startswith("💬 Pesan dari Bidan Aminah (" + FACILITY_A)
        assert "Air putih" in person.last_reply.text
        assert t(bot, "desk.button_ask_again") in person.last_reply.button_labels
    # Every midwife's copy of the question now says who answered, without "Balas".
    answered = [m for m in colleague.messages if "jamu" in (m.text or "") and "Dibalas oleh Bidan Aminah" in m.text]
    assert answered and t(bot, "desk.button_reply") not in answered[0].button_labels
    with db.session() as session:
        q = session.exec(select(Question)).one()
        me = users.get_by_telegram_id(session, midwife.id)
        assert q.answered_by == me.id and q.reminders == 1
        assert (q.answered_at - q.asked_at) > timedelta(0)
        assert [r for r in session.exec(select(Outbox))
                if r.kind == question_store.REMIND_KIND and r.status == "pending"] == []
    # No more reminders once answered.
    clock.advance(bot.settings.question_repeat * 3)
    assert (await dispatch_once(bot.runtime, bot.app.bot)).sent == 0

    # Exported: timing always; the words and her name only in the export with names.
    await midwife.send("/export")
    book = load_workbook(io.BytesIO(midwife.last_reply.document))
    sheet = t(bot, "desk.export_sheet_title")
    rows = list(book[sheet].values)
    assert rows[0][:5] == tuple(t(bot, f"desk.export_header_{c}") for c in
                                ("family", "asked_at", "answered", "answered_at", "minutes_to_answer"))
    assert rows[1][0] == world.mothers_family.code and rows[1][2] not in (0, None) and rows[1][4] > 0
    assert "jamu" not in str(rows) and "Aminah" not in str(rows)
    await midwife.send("/export nama")
    book = load_workbook(io.BytesIO(midwife.last_reply.document))
    rows = list(book[sheet].values)
    assert "jamu" in str(rows[1]) and "Bidan Aminah" in str(rows[1]) and "Air putih" in str(rows[1])


async def test_free_text_goes_to_the_midwife_at_once(bot, db, clock, mother, midwife):
    two_facilities(db, clock.now(), a_extra=0, b_count=0)
    consent(db, clock, MOTHER, HUSBAND)
    await mother.send("kapan kontrol berikutnya ya")
    assert t(bot, "danger.net") in mother.last_reply.text  # told the midwife will read it, with the safety net
    assert "kontrol berikutnya" in midwife.last_reply.text
    assert t(bot, "desk.button_reply") in midwife.last_reply.button_labels
    # A further message while the first is unanswered joins it: one entry, counted, no new message to her.
    before = len(midwife.messages)
    await mother.send("oh ya, kontrolnya di puskesmas atau di rumah?")  # no topic the bot answers itself
    assert t(bot, "desk.family_joined", fasilitas=FACILITY_A) in mother.last_reply.text
    assert len(midwife.messages) == before
    # The menu has the button too.
    await mother.send("/menu")
    assert t(bot, "desk.button_ask") in mother.last_reply.button_labels


async def test_a_family_without_facility_is_told_how_to_link_one_and_closed_hours_are_said(
        bot, db, clock, fake_tg, mother, midwife):
    rani = fake_tg.user(user_id=3001, first_name="Rani")
    await register(rani, db)
    await rani.send("/tanya")
    assert rani.last_reply.text == to_mother(bot, "desk.ask_prompt_unlinked")  # asked all the same: kept, never lost
    await rani.send("/tanya bayi kejang")
    texts = [m.text for m in rani.replies_since_last_action]
    assert t(bot, "desk.ask_kept") in texts and t(bot, "desk.ask_emergency") in texts
    with db.session() as s:  # the question waits with no facility, to be sent once the family is linked
        kept = s.exec(select(Question).where(Question.text == "bayi kejang")).one()
        assert kept.facility_id is None
    assert any(t(bot, "danger.sign.bayi_kejang.why") in x for x in texts)

    world = two_facilities(db, clock.now(), a_extra=0, b_count=0)
    consent(db, clock, MOTHER)
    await midwife.send("/jam 07:00-16:00")
    assert midwife.last_reply.text == t(bot, "desk.hours_saved", fasilitas=FACILITY_A, jam="07:00-16:00")
    clock.set(clock.now().replace(hour=13))  # 20:00 WIB: closed
    await mother.send("/tanya apakah ASI saya cukup?")
    assert mother.last_reply.text == t(bot, "desk.ask_closed", fasilitas=FACILITY_A, jam="07:00-16:00")
    assert "ASI saya cukup" in midwife.last_reply.text
    assert world.a.id is not None


def test_phone_and_hours_rules():
    assert desk.normalize_phone("081234567890") == "+6281234567890"
    assert desk.normalize_phone("+62 812 3456 7890") == "+6281234567890"
    assert desk.normalize_phone("12") is None and desk.normalize_phone(None) is None
    assert desk.wa_link("+6281234567890") == "https://wa.me/6281234567890"
    assert desk.parse_hours("7.00 - 16.00") is not None and desk.parse_hours("25:00-26:00") is None
    from datetime import UTC, datetime

    noon_wib = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
    assert desk.is_open("07:00-16:00", noon_wib, "Asia/Jakarta")
    assert not desk.is_open("07:00-16:00", noon_wib + timedelta(hours=6), "Asia/Jakarta")
    assert desk.is_open("20:00-06:00", noon_wib + timedelta(hours=10), "Asia/Jakarta")
    assert desk.is_open(None, noon_wib, "Asia/Jakarta")


async def test_the_chat_relay_from_the_family_view_and_the_alert_shows_the_number(bot, db, clock, fake_tg, mother,
                                                                                  husband, midwife):
    world = two_facilities(db, clock.now(), a_extra=0, b_count=1)
    consent(db, clock, MOTHER, HUSBAND)
    with db.session() as session:
        siti = users.get_by_telegram_id(session, MOTHER)
        siti.phone = "+6281234567890"
        session.add(siti)
    # A danger sign: the alert carries the number (tap-to-call in Telegram) and a WhatsApp button.
    await mother.send("bayi saya kejang")
    alert = next(m for m in midwife.messages if "TANDA BAHAYA" in (m.text or ""))
    assert "Siti: +6281234567890" in alert.text
    assert alert.button(t(bot, "desk.button_whatsapp", nama="Siti"))["url"] == "https://wa.me/6281234567890"
    # "Kirim pesan lewat bot" from the alert: her text reaches both members with her name.
    await midwife.press(t(bot, "desk.button_message_family"))
    assert midwife.last_reply.text.startswith("Tulis pesan untuk keluarga " + world.mothers_family.code)
    await midwife.send("Ibu, saya segera menelepon. Mohon siapkan buku KIA.")
    for person in (mother, husband):
        assert person.last_reply.text == t(bot, "desk.reply_to_family", nama="Bidan Aminah", fasilitas=FACILITY_A,
                                           pesan="Ibu, saya segera menelepon. Mohon siapkan buku KIA.")
    # The family answers with "Balas bidan": a question to the midwives.
    await mother.press(t(bot, "desk.button_ask_again"))
    await mother.send("Baik Bu, sudah siap.")
    assert "sudah siap" in midwife.last_reply.text
    # Another facility's midwife cannot start a relay or reply to A's family.
    other = fake_tg.user(user_id=2002, first_name="Maluku")
    with db.session() as session:
        qid = session.exec(select(Question)).one().id
    for data in (f"mw:msg:{world.mothers_family.family_id}", f"mw:reply:{qid}", "mw:reply:999999", "mw:msg:x"):
        await other.press_data(data)
        assert other.callback_answers[-1] == t(bot, "midwife.not_allowed"), data
    await other.send("pesan nyasar")
    assert not any("pesan nyasar" in (m.text or "") for m in mother.messages)
