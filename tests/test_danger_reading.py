"""read_message: the signs a message reports now, its kind, and whether it is hypothetical."""

from __future__ import annotations

import time

import pytest

from content import get_content, health_topics
from content.danger import match_exact
from content.danger_model import URGENT, read_settings
from content.message_reading import KINDS, MessageReading, read_message


def test_the_reading_is_the_contents_reading() -> None:
    r = read_message("bayi saya kejang2 itu normal ga?")
    assert isinstance(r, MessageReading)
    assert r == get_content().read_message("bayi saya kejang2 itu normal ga?")
    assert r.sign_ids == ("bayi_kejang",) and r.kind == "danger" and r.urgent and not r.hypothetical


@pytest.mark.parametrize(("text", "kind"), [
    ("terima kasih bu bidan 🙏", "social"),
    ("👍", "social"),
    ("oke", "social"),
    ("Assalamualaikum bu", "social"),
    ("bayi saya pilek", "health"),
    ("jadwal pijat besok jam berapa", "other"),
    ("bayi demam 39 dan lemas", "danger"),
])
def test_kinds(text: str, kind: str) -> None:
    r = read_message(text)
    assert r.kind == kind and r.kind in KINDS
    assert bool(r.signs) == (kind == "danger")


@pytest.mark.parametrize("text", [
    "kalau nanti bayi demam, harus ngapain?",
    "tadi lihat video tiktok bayi kejang, serem",
])
def test_hypotheticals_raise_no_sign_but_are_questions_about_health(text: str) -> None:
    r = read_message(text)
    assert r.signs == () and r.hypothetical and r.kind == "health" and r.mentioned


@pytest.mark.parametrize("text", [
    "cuaca panas banget hari ini",
    "panas banget hari ini, 34 derajat katanya di hp",  # a "cold" number said hot: the weather
    "di sini sampe 35 derajat, gerah bgt",
    "suhu ruangan 35 derajat, bayi keringetan",  # the room's temperature
    "cuaca dingin bgt di dieng, 12 derajat pagi ini brrr",
])
def test_the_weather_is_no_fever_and_no_cold_baby(text: str) -> None:
    r = read_message(text)
    assert r.signs == () and not r.hypothetical, text  # no alert, and no question about a fever either


@pytest.mark.parametrize(("text", "signs"), [
    ("hari ini cuaca panas, bayi saya demam 38,5", {"bayi_demam_dingin"}),
    ("cuaca dingin, badan bayi saya dingin sekali", {"bayi_demam_dingin"}),
    ("bayi saya badannya dingin, suhu 35", {"bayi_demam_dingin"}),
    ("suhu bayi 34,8 dingin banget", {"bayi_demam_dingin"}),
])
def test_a_body_temperature_beside_the_weather_still_counts(text: str, signs: set[str]) -> None:
    assert signs <= set(read_message(text).sign_ids), text


def test_a_relatives_blood_pressure_is_not_the_mothers() -> None:
    assert "ibu_preeklamsia" in read_message("istri saya tensinya 170 per 110").sign_ids
    assert "ibu_preeklamsia" in read_message("tensi saya 160/110").sign_ids
    assert read_message("Bapak saya tensinya 180/100 tadi, saya sendiri 110/70").signs == ()


def test_a_real_sign_inside_a_question_still_counts() -> None:
    assert read_message("bayi saya kejang2 itu normal ga?").sign_ids == ("bayi_kejang",)
    assert read_message("bayi saya tidak mau menyusu, apakah ini tanda bahaya?").sign_ids == ("bayi_tidak_mau_menyusu",)
    assert read_message("bayi saya demam 39, apakah ini tanda bahaya?").sign_ids == ("bayi_demam_dingin",)
    # A known miss of the reader chosen by leave-one-author-out (SAFETY.md "what the reader still misses"):
    # the model reads "apakah ini tanda bahaya?" as a general question and vetoes the bare "demam". The message
    # still reaches a person: it is about health, and the bot never answers it itself.
    bare = "bayi saya demam, apakah ini tanda bahaya?"
    r = read_message(bare)
    assert r.kind == "health" and health_topics.topics().answerable(r, bare) is None
    assert read_message("dedek kejang sekarang, kalau nanti begini lagi harus apa?").sign_ids == ("bayi_kejang",)


@pytest.mark.parametrize(("text", "sign"), [
    ("suhu dedek tiga delapan koma lima", "bayi_demam_dingin"),
    ("bayi saya panasnya tiga puluh delapan setengah", "bayi_demam_dingin"),
    ("tensi saya seratus tujuh puluh per seratus sepuluh", "ibu_preeklamsia"),
    ("160/110 bu, pusing", "ibu_preeklamsia"),
    ("tensi 150/100", "ibu_preeklamsia"),
    ("td saya 130/95", "ibu_preeklamsia"),
    ("dedek muntah terus 5x dari pagi", "bayi_muntah_kembung"),
    ("sudah 3 malam saya tidak bisa tidur sama sekali padahal bayi dijaga ibu", "ibu_tidak_tidur"),
    ("telung bengi aku ora iso turu blas", "ibu_tidak_tidur"),
    ("sirah ngelu, sikil abuh bu", "ibu_preeklamsia"),
    ("anak aye darahnye keluar dari idung", "bayi_perdarahan"),
    ("aku wis kesel urip bu", "ibu_ingin_mati"),
    ("terima kasih bu, titip anak saya ya, saya sudah tidak kuat", "ibu_ingin_mati"),
    ("rasanya pengen nelen pil tidur segenggam aja biar selesai", "ibu_ingin_mati"),  # a plan, not a dose
    ("kalau aku minum baygon kira2 sakit gak ya", "ibu_ingin_mati"),
    ("saya dengar bisikan yang menyuruh saya pergi", "ibu_halusinasi"),
    ("istri saya yakin bayi kami ditukar di rumah sakit", "ibu_halusinasi"),
])
def test_numbers_regional_words_and_the_mothers_mind(text: str, sign: str) -> None:
    assert sign in read_message(text).sign_ids


@pytest.mark.parametrize("text", [
    "tensi saya 120/80, aman ya bu?",
    "suhu ketiak bayi saya 37,1. Apakah itu termasuk demam?",
    "kemarin dedek sempat anget 37,6, sekarang sudah 36,8",
    "teman saya bayinya kejang kemarin, bayi saya sehat",
    "dedek kaget-kaget pas tidur, gak ada kejang kok",
    "suami saya namanya Kejang",
    "obatnya harus diminum semua sampai habis ya bu?",
    "obat batuk sebotol sudah habis, beli lagi?",
])
def test_normal_numbers_events_over_and_someone_else_raise_no_sign(text: str) -> None:
    assert read_message(text).signs == ()


@pytest.mark.parametrize("text", ["perut bawah sakit hebat bgt, sampe ga bisa berdiri",
                                  "sakit yg ga ketahan bu, dari pinggang sampe ke perut"])
def test_the_learned_reader_never_raises_an_answer_only_sign(text: str) -> None:
    """Severe pain is a sign of the safety check's answer only: typed text names where it hurts, or the urgent
    head raises "not yet clear" (authors of the corpus named it; it teaches the heads, never a column)."""
    ids = read_message(text).sign_ids
    assert ids and "ibu_sakit_hebat" not in ids


def test_a_message_is_read_in_under_ten_milliseconds() -> None:
    get_content().warm_reader()  # the learned reader is trained or loaded once
    start = time.process_time()  # CPU time: the machine running the tests may be shared
    for _ in range(50):
        read_message("bu bayi saya dari tadi kejang kejang terus, matanya ke atas")
        read_message("ambo raso ancua bu, indak namuah makan")
    assert (time.process_time() - start) / 100 < 0.010


def test_a_long_digit_run_is_read_without_error() -> None:
    assert read_message("2" * 300).kind in KINDS
    assert "bayi_demam_dingin" in read_message("1" * 40 + " koma 5 setengah, bayi demam").sign_ids


@pytest.mark.parametrize("code", ["uhn3azk39c", "DAFTAR b43c9un8b8", "GABUNG c42xhchr", "9s4f4c44zt"])
def test_a_code_of_letters_and_digits_holds_no_reading(code: str) -> None:
    """Registration and family codes are random letters and digits; "39c" or "42x" inside one is no fever and
    no count, while a number glued to known words still is."""
    content = get_content()
    assert content.match_danger_signs(code) == []
    assert [s.id for s in content.match_danger_signs("suhu39c")] == ["bayi_demam_dingin"]
    assert [s.id for s in content.match_danger_signs("udah 2x24jam gak pipis")] == ["bayi_tidak_bak"]


def test_combining_numbers_and_crises_stand_phrases_need_the_model_urgent_signs_added_sooner() -> None:
    s = read_settings()
    urgent = {"bayi_kejang"}
    low = {"bayi_kejang": s.veto / 2, "ibu_sedih": s.veto / 2}
    assert s.combine({"bayi_demam_dingin": True}, low, urgent) == {"bayi_demam_dingin"}  # a number stands
    assert s.combine({"bayi_demam_dingin": False}, low, urgent) == set()  # a look-alike phrase is dropped
    assert s.combine({"bayi_demam_dingin": False}, {**low, "ibu_sedih": s.veto}, urgent) == {"bayi_demam_dingin"}
    assert s.combine({"bayi_demam_dingin": False}, {}, urgent) == {"bayi_demam_dingin"}  # model off: rules
    assert s.combine({"ibu_ingin_mati": False}, low, urgent, {"ibu_ingin_mati"}) == {"ibu_ingin_mati"}  # never vetoed
    assert s.combine({}, {"bayi_kejang": s.urgent_threshold, "ibu_sedih": s.threshold}, urgent) == {
        "bayi_kejang", "ibu_sedih"}
    below = {"bayi_kejang": 0.1, "bayi_sesak": 0.2, "ibu_sedih": 0.1}
    assert s.combine({}, below, urgent | {"bayi_sesak"}) == set()
    # the urgent head (some urgent sign is reported) adds the likeliest urgent sign, once, when none was raised
    head = {**below, "bayi_sesak": s.name_unclear, URGENT: s.urgent_message}
    assert s.combine({}, head, urgent | {"bayi_sesak"}) == {"bayi_sesak"}
    assert s.combine({"bayi_kejang": True}, head, urgent | {"bayi_sesak"}) == {"bayi_kejang"}
    # never a sign the rules read as negated ("anak saya tidak lemas"); the head adds nothing to such a message
    sure = {"bayi_lemah": 0.99, URGENT: 0.99}
    assert s.combine({}, sure, urgent | {"bayi_lemah"}, negated={"bayi_lemah"}) == set()
    assert s.combine({}, sure, urgent | {"bayi_lemah"}) == {"bayi_lemah"}
    assert s.overrides_hypothetical({URGENT: s.hypothetical_head}) and not s.overrides_hypothetical({URGENT: 0.0})


def test_a_sign_named_only_negated_is_known_as_negated() -> None:
    from content.danger_negation import negated_signs

    c = get_content()
    lang = c.danger_language
    assert negated_signs(c.danger_signs, lang.tokens("anak saya tidak lemas"), lang) == {"bayi_lemah"}
    assert negated_signs(c.danger_signs, lang.tokens("istri saya tidak demam"), lang) == {"ibu_demam"}
    assert negated_signs(c.danger_signs, lang.tokens("bayi saya lemas sekali"), lang) == set()
    assert not {s.id for s in c.read_message("anak saya tidak lemas, aktif nendang-nendang").signs}


def test_a_broken_learned_reader_never_loses_a_message(monkeypatch):
    """If the model cannot be loaded or trained, the rules alone read the message (a sign is never missed for it)."""
    from content import danger_model

    def broken(*_args, **_kwargs):
        raise OSError("cache unreadable")

    monkeypatch.setattr(danger_model, "cached_model", broken)
    reading = get_content().read_message("bayi saya kejang terus dari tadi")
    assert "bayi_kejang" in reading.sign_ids and reading.kind == "danger"


def test_a_crisis_of_the_mind_is_added_at_a_lower_probability_than_other_urgent_signs() -> None:
    """A missed crisis costs more than a midwife's check: the model adds a crisis sign (wishes to die, harm,
    voices, nights without sleep) at ``crisis_threshold``, below the threshold of the other urgent signs."""
    s = read_settings()
    assert s.crisis_threshold < s.urgent_threshold
    crisis = {"ibu_ingin_mati"}
    urgent = {"ibu_ingin_mati", "bayi_kejang"}
    p = (s.crisis_threshold + s.urgent_threshold) / 2
    assert s.combine({}, {"ibu_ingin_mati": p}, urgent, crisis=crisis) == {"ibu_ingin_mati"}
    assert s.combine({}, {"bayi_kejang": p}, urgent, crisis=crisis) == set()
    assert s.combine({}, {"ibu_ingin_mati": s.crisis_threshold - 0.01}, urgent, crisis=crisis) == set()
    assert s.combine({}, {"ibu_ingin_mati": 0.99}, urgent, crisis=crisis, negated={"ibu_ingin_mati"}) == set()


@pytest.mark.parametrize(("text", "exact"), [
    ("tadi siang 37,6 karena dibedong tebal, setelah dibuka sekarang 36,8", False),
    ("kemarin tensi 140/90 waktu panik, diulang setelah istirahat 118/78", False),
    ("tadi pagi 36,8 sekarang 38,5", True),
    ("tensi 120/80 kemarin, hari ini 160/110 dan pusing", True),
    ("suhu dedek 38", True),
])
def test_a_number_beyond_its_threshold_is_exact_only_when_no_normal_reading_follows_it(text, exact) -> None:
    """A reading beyond the threshold stands on its own (never vetoed) when it is the last one told; followed by
    a normal reading of the same measure ("tadi 37,6 …, sekarang 36,8") it is a hit like a phrase: the learned
    reader may read the whole message as over."""
    content = get_content()
    hits = match_exact(content.danger_signs, content.danger_language.tokens(text), content.danger_language)
    assert len(hits) == 1 and hits[0][1] is exact, hits
