"""Every message a family receives keeps the style rules (issue 26, item 6) once ASSEMBLED: templates filled
with the longest real values (a 40-letter name with its title, every member's name, the longest choice and
class labels, every day note at once), not only the templates `python -m bot content check` measures."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from bot.handlers.steps.checklist import _day_aware_advice, _day_notes
from bot.handlers.steps.massage import check_text
from content import get_content
from content.loader import placeholders

MAX_CHARS, MAX_LINES = 600, 10
NAME = "Budi Santoso Wicaksono Prawiranegara Jaya"[:40]  # the longest name the registration accepts
FAMILY_FILES = ("reminders", "reminders_ui", "session", "guide", "checklist", "family", "onboarding", "menu",
                "day_advice", "common", "study", "safety", "help")
# The longest value each placeholder takes in a message to a family.
WORST = {
    "nama": f"Pak {NAME}", "anggota": "\n".join(f"• {NAME} (Pendamping)" for _ in range(4)),
    "hari": "10", "sesi": "3", "jumlah": "16", "menit": "15", "jam": "setengah 12 malam WITA", "sisa": "14:59",
    "skor": "16", "maks": "16", "tanggal": "30 September 2026, setengah 12 malam", "zona": "WITA – Bali, NTB, NTT, Sulawesi",
    "fasilitas": "Puskesmas Kecamatan Sukamaju Kabupaten Contoh", "kode": "ABCD1234",
    "link": "https://t.me/PijatOksitosinBot?start=fam_ABCDEFGH12", "contoh": "30-09-2026",
}


def _ok(text: str) -> bool:
    return len(text) <= MAX_CHARS and len([x for x in text.splitlines() if x.strip()]) <= MAX_LINES


def _fill(c, key: str) -> str:
    return c.text(key, **{p: WORST.get(p, "x" * 10) for p in placeholders(c.texts[key])})


def test_every_family_template_fits_with_the_longest_values():
    c = get_content()
    too_long = []
    for key in c.texts:
        if key.split(".")[0] in FAMILY_FILES:
            text = _fill(c, key)
            if not _ok(text):
                too_long.append((key, len(text)))
    assert too_long == []


def test_the_safety_check_fits_with_every_question():
    c = get_content()
    text = check_text(SimpleNamespace(t=c.text, content=c))
    assert _ok(text), (len(text), text)
    assert "yang Ibu alami" not in text  # read by the husband as often as by the mother


@pytest.mark.parametrize("instrument", sorted(get_content().instruments))
def test_the_checklist_summary_and_its_notes_fit_for_the_worst_answers(instrument):
    c = get_content()
    inst = c.instruments[instrument]
    turn = SimpleNamespace(content=c, t=c.text)
    labels = [k.label for k in inst.classifications]
    bad = SimpleNamespace(classification=SimpleNamespace(good=False),
                          values={"bak_frekuensi": 2, "bab_warna": "hitam", "bak_warna": "bercak_oranye"})
    advice = max((_day_aware_advice(turn, bad, d) for d in (1, 4, 10)), key=len)
    words = max([c.text(k) for k in c.texts if k.startswith(f"checklist.class_words.{instrument}.")] + labels, key=len)
    arah = max(c.text("checklist.direction_higher"), c.text("checklist.direction_lower"), key=len)
    change = max((c.text(k) for k in c.texts if k.startswith("checklist.change_")), key=len)
    scored = [c.text("checklist.result_words", kata=words),
              c.text("checklist.result_score", skor=WORST["skor"], maks=WORST["maks"], arah=arah), advice,
              c.text("checklist.compare_pre", kata=words, perubahan=change)]
    day = max((c.text(k) for k in c.texts if k.startswith("checklist.day_") and "{" not in c.texts[k]), key=len)
    norm = max((c.text(k, hari=day) for k in c.texts if k.startswith("checklist.norm_") and "{hari}" in c.texts[k]),
               key=len)
    normed = [c.text("checklist.result_words", kata=norm),
              max((c.text(k) for k in c.texts if k.startswith("checklist.norm_") and "{" not in c.texts[k]), key=len),
              c.text("checklist.compare_norm", kata=norm)]
    hasil = max("\n".join(scored), "\n".join(normed), key=len)
    kapan = max((c.text(k) for k in c.texts if k.startswith("checklist.occasion")), key=len, default="sesudah pijat")
    summary = c.text("checklist.summary", kapan=kapan, jumlah=len(inst.items), hasil=hasil)
    assert _ok(summary), (len(summary), summary)
    notes = _day_notes(turn, bad, 4)
    assert notes is None or _ok(notes)


def test_the_mothers_delete_question_names_everyone_and_fits():
    c = get_content()
    names = c.text("menu.delete_others_separator").join([f"{NAME}"] * 3)  # husband and two companions
    for key in ("menu.delete_ask_research", "menu.delete_ask_no_research"):
        text = f"{c.text(key)}\n\n{c.text('menu.delete_others', anggota=names)}"
        assert _ok(text), (key, len(text))


def test_no_family_text_promises_a_range_of_minutes_the_timer_does_not_run():
    c = get_content()
    for key in c.texts:
        if key.split(".")[0] in ("reminders", "reminders_ui", "session", "guide"):
            assert not re.search(r"\d+\s*[–-]\s*\d+\s*menit", c.texts[key]), key
