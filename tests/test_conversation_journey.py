"""One family's whole journey through the real Application and the fake Bot API, on SQLite and PostgreSQL.

The mother registers, the husband joins by her deep link, he runs a full guided session (the hands-free cues
are sent by the dispatcher as the injected clock moves, never by sleeping, across a restart), she confirms it and answers the "before" checklist with
buttons and typed answers (invalid ones and a correction included), the bot restarts in the middle and
continues at the same question, and on day 4 she answers the "after" checklist. Every stored row is
checked at the end.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta

from sqlmodel import select

from bot.reminders.dispatcher import dispatch_once
from storage.models import Answer, Family, MassageSession, Measurement, Membership, Outbox, User

WIB = "WIB – Sumatra, Jawa, Kalimantan Barat & Tengah"


def _texts(user) -> str:
    return "\n".join(m.text or "" for m in user.replies_since_last_action)


async def register_mother(mother) -> str:
    """Siti registers with a typed birth date and fixes her name on the summary; returns her join payload."""
    await mother.send("/start")
    assert "Selamat datang" in mother.last_reply.text
    await mother.press("Setuju")
    assert "penelitian" in mother.last_reply.text
    await mother.press("Boleh")
    await mother.press("Ibu")
    await mother.send("S")
    assert "2 sampai 40 huruf" in mother.last_reply.text
    await mother.send("Sitti")
    await mother.send("besok lusa")  # not a date
    assert "belum bisa saya baca" in mother.last_reply.text
    await mother.send("21/11/2026")  # tomorrow: refused kindly
    assert "belum terjadi" in mother.last_reply.text
    await mother.send("19 Nov")
    await mother.press(WIB)
    await mother.press("Lewati")
    summary = mother.last_reply.text
    assert "19 November 2026" in summary and "hari ke-1" in summary and "WIB" in summary
    await mother.press("Ubah")
    await mother.press("Nama")
    await mother.send("Siti")
    assert "Nama: Siti\n" in mother.last_reply.text
    await mother.press("Benar, simpan")
    invite = next(m.text for m in mother.replies_since_last_action if "start=fam_" in (m.text or ""))
    return re.search(r"start=(fam_[A-Z0-9]+)", invite).group(1)


async def test_a_family_from_registration_to_the_after_checklist(bot, mother, husband, clock):
    payload = await register_mother(mother)

    # -- the husband joins by the link -----------------------------------------------------------------
    await husband.send(f"/start {payload}")
    assert "Selamat datang" in husband.last_reply.text
    await husband.press("Setuju")
    await husband.press("Tidak boleh")
    assert "nama panggilan Bapak" in husband.last_reply.text
    await husband.send("Budi")
    assert "menunggu persetujuan" in husband.text_log() or "sudah saya kirim" in husband.last_reply.text
    assert "Siti" not in husband.last_reply.text  # nothing of the family before the mother approves
    assert "Budi ingin bergabung" in mother.last_reply.text
    await mother.press("Setujui")
    joined = husband.last_reply.text
    assert "terhubung" in joined and "Siti (Ibu)" in joined and "Budi (Suami)" in joined
    assert "Budi sudah terhubung sebagai Suami" in mother.last_reply.text

    # -- the "before" checklist first (the bot asks for it before the first massage), with a restart -------------------------------------------
    await mother.send("/ceklis")
    assert "Ceklis sebelum pijat" in mother.last_reply.text and "Pertanyaan 1 dari 6" in mother.last_reply.text
    await mother.send("enam kali")
    await mother.press("Bening atau kuning muda")
    assert "Pertanyaan 3 dari 6" in mother.last_reply.text
    await mother.send("40")
    assert "40" in mother.last_reply.text and "misalnya 2" in mother.last_reply.text
    await mother.send("banyak sekali")
    assert "dengan angka" in mother.last_reply.text
    await mother.send("2 kali")
    assert "Pertanyaan 4 dari 6" in mother.last_reply.text
    await mother.press("◀ Kembali")  # correct question 3
    assert "Pertanyaan 3 dari 6" in mother.last_reply.text and "Jawaban sekarang: 2 kali" in mother.last_reply.text
    await mother.send("tiga")
    assert "Pertanyaan 4 dari 6" in mother.last_reply.text

    await bot.restart()
    await mother.send("/lanjut")
    assert "dari pertanyaan 4" in mother.last_reply.text and "Pertanyaan 4 dari 6" in mother.last_reply.text
    await mother.send("kuning")  # a valid answer, not a jaundice alarm
    assert "PENTING" not in _texts(mother) and "waspadai" not in _texts(mother)
    await mother.press("Lembek atau agak encer, kadang berbiji")
    await mother.send("lima belas jam")
    summary = mother.last_reply.text
    assert "Ceklis sebelum pijat sudah selesai" in summary
    # words first, against the baby's day norm (bayi6 has one), never a bare score
    assert "Hasil: sesuai untuk hari" in summary and "Tanda ASI lancar yang lengkap juga sudah terlihat" in summary

    # -- the husband's guided session: one safety message, six cards, hands-free timing ------------------
    await husband.send("/pijat")
    assert "cek keamanan" in husband.last_reply.text.lower() and "✅ Semua tidak ada" in husband.last_reply.button_labels
    await husband.send("tidak")  # typed answers work too: none of these
    assert any("Tidak ada tanda" in (m.text or "") for m in husband.replies_since_last_action)
    for _ in range(5):
        await husband.press("Lanjut ▶")
    await husband.press("Mulai pijat ▶")
    await bot.restart()  # a new process: the cues are outbox rows, picked up from the database
    start = clock.now()
    for offset in range(20, 181, 20):
        clock.set(start + timedelta(seconds=offset))
        await dispatch_once(bot.runtime, bot.app.bot)
    assert husband.last_reply.text.startswith("🔔 Selesai")
    cues = [m for m in husband.messages if m.text.startswith(("⬇", "⬆"))]
    assert len(cues) == 8
    await husband.press("Ya, nyaman")
    assert "Pak Budi" in "\n".join(m.text for m in husband.replies_since_last_action)
    photos = [m for m in husband.messages if m.kind == "photo"]
    assert len(photos) == 7 and [m for m in husband.messages if m.kind == "animation"]

    # -- the mother confirms ---------------------------------------------------------------------------
    assert "Pak Budi baru saja selesai memijat" in mother.last_reply.text
    await mother.press("Ya, sudah")
    assert "Sudah dicatat" in mother.last_reply.text

    # A second /ceklis the same day: nothing is due before day 4.
    await mother.send("/ceklis")
    assert "hari ke-4" in mother.last_reply.text

    # -- day 4: the "after" checklist ----------------------------------------------------------------------
    clock.advance(timedelta(days=3))
    await mother.press_data("ceklis:start")  # the reminder's button
    assert "Ceklis sesudah pijat" in mother.last_reply.text
    await mother.send("7")
    await mother.press("Bening atau kuning muda")
    await mother.send("4")
    await mother.press("Kuning")
    await mother.press("Lembek atau agak encer, kadang berbiji")
    await mother.send("16")
    assert "Ceklis sesudah pijat sudah selesai" in mother.last_reply.text
    assert "Sebelum pijat: sesuai untuk hari pertama." in mother.last_reply.text  # the earlier result, in words

    if os.environ.get("SHOW_TRANSCRIPT"):
        print("\n=== Siti ===\n" + mother.text_log() + "\n\n=== Budi ===\n" + husband.text_log())

    # -- what is stored -----------------------------------------------------------------------------------
    with bot.runtime.db.session() as s:
        siti = s.exec(select(User).where(User.telegram_id == mother.id)).one()
        budi = s.exec(select(User).where(User.telegram_id == husband.id)).one()
        assert siti.display_name == "Siti" and siti.consent_research is True and siti.consent_at is not None
        assert budi.display_name == "Budi" and budi.consent_research is False
        family = s.exec(select(Family)).one()
        assert str(family.birth_date) == "2026-11-19" and family.timezone == "Asia/Jakarta"
        roles = {m.user_id: m.role for m in s.exec(select(Membership))}
        assert roles == {siti.id: "mother", budi.id: "husband"}

        session = s.exec(select(MassageSession)).one()
        assert session.user_id == budi.id and session.status == "completed" and session.postpartum_day == 1
        assert session.duration_seconds == 180 and session.step_reached == "timing" and session.comfortable is True
        assert len(session.safety_answers) == 8 and not any(session.safety_answers.values())
        assert session.confirmed_by_mother_at is not None

        pre, post = s.exec(select(Measurement).order_by(Measurement.id)).all()
        assert (pre.occasion, pre.score, pre.class_key) == ("pre", 6, "lancar")
        assert (post.occasion, post.instrument_id) == ("post", "bayi6") and post.completed_at is not None
        answers = {a.item_id: a for a in s.exec(select(Answer).where(Answer.measurement_id == pre.id))}
        assert len(answers) == 6
        assert (answers["bak_frekuensi"].raw_value, answers["bak_frekuensi"].via) == ("6", "text")
        assert (answers["bab_frekuensi"].raw_value, answers["bab_frekuensi"].value_num) == ("3", 3.0)
        assert (answers["bak_warna"].raw_value, answers["bak_warna"].via) == ("jernih", "button")
        assert answers["bab_warna"].raw_value == "kuning" and answers["tidur_jam"].raw_value == "15"
        assert all(a.answered_by == siti.id for a in answers.values())
        assert s.exec(select(Outbox).where(Outbox.family_id == family.id)).first() is not None
