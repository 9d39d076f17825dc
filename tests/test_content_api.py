"""The typed content API others call, the texts it must provide, and traceability to sources."""

from __future__ import annotations

import pytest
from PIL import Image

from content import Content, ContentError, get_content, load_content
from content.draw_images import PICTURES, draw_all
from content.loader import placeholders
from content.sources import DERIVED


def test_get_content_is_cached() -> None:
    assert get_content() is get_content()


def test_text_api_unchanged() -> None:
    c = get_content()
    assert c.text("onboarding.welcome").startswith("Selamat datang")
    for key in ("onboarding.button_privacy", "onboarding.button_agree", "onboarding.button_disagree"):
        assert c.has_text(key)
    assert c.text("onboarding.registered", nama="Siti").startswith("Terima kasih, Siti!")
    with pytest.raises(ContentError, match="caller gave"):
        c.text("onboarding.registered")
    with pytest.raises(ContentError, match="caller gave"):
        c.text("onboarding.welcome", nama="Siti")
    with pytest.raises(ContentError, match="no such text"):
        c.text("common.tidak_ada")
    assert not c.has_text("common.tidak_ada")
    # a Content built by hand (as some tests do) still works
    assert Content(texts={"x.y": "Halo {nama}"}).text("x.y", nama="Budi") == "Halo Budi"


REQUIRED_TEXTS = {
    "common": ["error_try_again", "only_text", "private_only", "unknown_text", "stale_button", "button_yes",
               "button_no", "day_definition"],
    "onboarding": ["welcome", "about", "privacy", "ask_role", "role_ibu", "role_suami", "role_bidan", "ask_name",
                   "ask_birth_date", "button_today", "button_yesterday", "button_2_days_ago", "birth_date_future",
                   "birth_date_too_old", "ask_timezone", "tz_wib", "tz_wita", "tz_wit", "ask_facility", "confirm",
                   "button_change", "registered"],
    "help": ["text"] + [f"command_{c}" for c in
                        ("menu", "pijat", "ceklis", "jadwal", "bantuan", "lanjut", "berhenti", "privasi", "hapus")],
    "reminders": ["massage.mother", "massage.husband", "checklist.pre.mother", "checklist.post.mother",
                  "education", "snooze.ok", "missed.note"],
}


def test_required_texts_exist() -> None:
    c = get_content()
    missing = [f"{f}.{k}" for f, keys in REQUIRED_TEXTS.items() for k in keys if not c.has_text(f"{f}.{k}")]
    assert missing == []


def test_button_labels_and_placeholders() -> None:
    c = get_content()
    assert c.text("onboarding.button_today") == "Hari ini"
    assert c.text("onboarding.button_yesterday") == "Kemarin"
    assert c.text("onboarding.button_2_days_ago") == "2 hari lalu"
    assert c.text("onboarding.button_change") == "Ubah"
    assert c.text("common.button_yes") == "Ya" and c.text("common.button_no") == "Tidak"
    assert [c.text(f"reminders.button.{k}") for k in ("start_massage", "checklist", "snooze", "done")] == [
        "Mulai panduan pijat", "Isi ceklis", "Ingatkan 30 menit lagi", "Sudah dilakukan"]
    assert placeholders(c.texts["onboarding.confirm"]) == {"nama", "tanggal", "hari", "zona", "fasilitas"}
    assert placeholders(c.texts["reminders.massage.husband"]) == {"hari", "sesi", "jumlah", "menit"}
    privacy = c.text("onboarding.privacy")
    assert "/hapus" in privacy and "bidan" in privacy
    help_text = c.text("help.text")
    for command in ("/menu", "/pijat", "/ceklis", "/jadwal", "/bantuan", "/lanjut", "/berhenti", "/privasi", "/hapus"):
        assert command in help_text
    for name in ("menu", "pijat", "ceklis", "jadwal", "bantuan", "lanjut", "berhenti", "privasi", "hapus"):
        assert 3 <= len(c.text(f"help.command_{name}")) <= 256


def test_sop_phases_and_steps() -> None:
    sop = get_content().sop
    assert [p.id for p in sop.phases] == ["pra_interaksi", "orientasi", "kerja", "terminasi"]
    assert all(p.title and p.steps for p in sop.phases)
    assert len({s.id for s in sop.steps}) == len(sop.steps)
    kerja = " ".join(s.text for s in sop.phase_of("pijat_memutar").steps).lower()
    for words in ("ibu jari", "tulang belakang", "lingkaran", "tulang belikat"):
        assert words in kerja
    prep = " ".join(s.text for s in sop.phases[0].steps).lower()
    for words in ("cuci tangan", "handuk", "minyak", "air hangat", "tenang", "mau"):
        assert words in prep
    assert "menyusui" in " ".join(s.text for s in sop.phases[3].steps)
    for s in sop.steps:
        assert len(s.text) <= 160, f"{s.id} is too long for one action"


def test_pictures_are_small_and_captioned() -> None:
    steps = [s for s in get_content().sop.steps if s.image]
    assert {s.image.name for s in steps} == set(PICTURES)
    for s in steps:
        assert s.caption and len(s.caption) > 20
        assert s.image.stat().st_size < 60 * 1024
        with Image.open(s.image) as img:
            assert img.format == "PNG" and img.width >= 640 and img.height >= 480


def test_every_guide_card_shows_a_captioned_picture_of_its_steps() -> None:
    c = get_content()
    captions = {s.image.name: s.caption for s in c.sop.steps if s.image}
    for card in c.guide.cards:
        assert card.image is not None, f"card {card.id} has no picture"
        on_card = {c.sop.step(sid).image.name for sid in card.steps if c.sop.step(sid).image}
        assert card.image.name in on_card, f"card {card.id}: {card.image.name} is not a picture of its steps"
        assert captions[card.image.name]


def test_picture_script_regenerates(tmp_path) -> None:
    written = draw_all(tmp_path)
    assert sorted(p.name for p in written) == sorted(PICTURES)
    for p in written:
        assert 0 < p.stat().st_size < 60 * 1024


def test_timed_step_follows_the_protocol() -> None:
    c = get_content()
    timed = [s for s in c.sop.steps if s.session_timed]
    assert len(timed) == 1 and timed[0].seconds == c.default_protocol.session_minutes[0] * 60
    assert c.sop_for("seed003").step(timed[0].id).seconds == 600
    assert c.sop_for(c.protocols["seed002"]).step(timed[0].id).seconds == 180
    assert all(s.seconds is None for s in c.sop.steps if not s.session_timed)


def test_safety_questions() -> None:
    qs = get_content().safety_questions
    ids = {q.id for q in qs}
    assert {"demam", "perdarahan", "nyeri_hebat", "tidak_mau", "kulit_punggung", "tidak_enak_badan"} <= ids
    for q in qs:
        assert q.text.endswith("?") and q.stop_text and q.source
    assert all("bidan" in q.stop_text for q in qs)


def test_protocols() -> None:
    c = get_content()
    assert set(c.protocols) == {"default", "seed000", "seed001", "seed002", "seed003"}
    d = c.default_protocol
    assert (d.id, d.instrument, d.performer, d.days, d.sessions_per_day, d.times) == (
        "default", "bayi6", "suami", (1, 2, 3), 2, None)
    assert [(m.occasion, m.day, m.slot) for m in d.measurements] == [
        ("pre", 1, "before_first_session"), ("post", 4, "first_time")]
    assert d.last_day == 4
    assert {e.education_id for e in d.education} == set(c.education)
    s1 = c.protocols["seed001"]
    assert [(m.occasion, m.day) for m in s1.measurements] == [
        ("pre", 1), ("post", 1), ("pre", 2), ("post", 2), ("pre", 3), ("post", 3)]
    assert s1.instrument == "skala3"
    s3 = c.protocols["seed003"]
    assert (s3.sessions_per_day, s3.session_minutes, s3.instrument) == (3, (10, 15), "oksitosin16")
    assert c.protocols["seed002"].measurements_on(4)[0].occasion == "post"
    for p in c.protocols.values():
        assert p.instrument in c.instruments
        assert p.times is None or len(p.times) == p.sessions_per_day


def test_education_messages() -> None:
    edu = get_content().education
    assert {m.day for m in edu.values()} >= {1, 2, 3}
    assert {m.audience for m in edu.values()} == {"ibu", "suami", "semua"}
    text = " ".join(m.text for m in edu.values()).lower()
    for words in ("oksitosin", "kolostrum", "8 kali", "bapak", "tenang"):
        assert words in text


def test_every_clinical_entry_is_traceable() -> None:
    c = get_content()
    entries = [*c.sop.steps, *c.safety_questions, *c.danger_signs, *c.education.values(), *c.protocols.values(),
               *c.instruments.values(), *(i for inst in c.instruments.values() for i in inst.items)]
    assert len(entries) > 90
    for e in entries:
        assert e.source, e
        assert all(s in c.sources for s in e.source), e
        if DERIVED in e.source:
            assert e.note, f"{e.id} is derived but has no note"
    seeds = {s.file for s in c.sources.values() if s.file}
    assert len(seeds) == 5


def test_load_content_returns_a_fresh_validated_copy() -> None:
    fresh = load_content()
    assert fresh is not get_content()
    assert fresh.instruments["oksitosin16"].version == 1
