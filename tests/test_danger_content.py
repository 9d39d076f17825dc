"""Danger-sign content rules: urgent means now, the safety check uses the same urgency, rules are data."""

from __future__ import annotations

from content import get_content
from content.danger_model import UNCLEAR


def test_urgent_advice_says_now_and_never_today():
    for s in get_content().danger_signs:
        if s.urgent:
            assert "sekarang" in s.advice and "hari ini juga" not in s.advice, s.id
        else:
            assert "hari ini" in s.advice, s.id


def test_safety_questions_map_to_danger_signs_with_the_same_urgency():
    c = get_content()
    for q in c.safety_questions:
        if q.danger_sign is None:
            continue
        sign = c.danger_sign(q.danger_sign)
        if sign.urgent:
            assert "sekarang" in q.stop_text and "119" in q.stop_text, q.id
        else:
            assert "hari ini" in q.stop_text, q.id
    mapped = {q.id for q in c.safety_questions if q.danger_sign}
    assert {"demam", "perdarahan", "nyeri_hebat", "pusing_sesak", "payudara_sakit"} <= mapped


def test_private_signs_give_the_crisis_line():
    c = get_content()
    for s in c.danger_signs:
        if s.private and s.id != UNCLEAR:  # the unclear urgent sign is private as it may be the mother's mind
            assert s.crisis and s.who == "mother"
    crisis = {s.id for s in c.danger_signs if s.crisis}
    assert {"ibu_sedih", "ibu_ingin_mati", "ibu_ingin_menyakiti", "ibu_halusinasi", "ibu_tidak_tidur"} <= crisis
    assert "119 ext 8" in c.text("danger.crisis")  # given once, after the advice (bot/flows/alerts.py)
    for sid in crisis:
        assert "119 ext 8" not in c.danger_sign(sid).advice, sid  # never said twice
        assert "healing119" in c.danger_sign(sid).source or sid == "ibu_sedih", sid


def test_every_user_text_of_the_danger_path_is_short_and_uses_ibu_bapak():
    c = get_content()
    for key, text in c.texts.items():
        if key.startswith("danger.") and not key.startswith("danger.mw_"):
            assert "Anda" not in text, key
            assert len(text) <= 600 and text.count("\n") < 10, key


def test_whose_sign_negation_numbers_and_spelling():
    def ids(text):
        return sorted(s.id for s in get_content().match_danger_signs(text))

    assert ids("bayi kejang kejang") == ["bayi_kejang"]  # not the mother's pre-eclampsia
    assert ids("perdarahan banyak sekali") == ["ibu_perdarahan"]  # not the baby's bleeding
    assert ids("saya pingsan dan lemas") == ["ibu_pingsan"]  # not the baby's weakness
    assert ids("tadi siang pupnya sudah agak kuning") == []
    assert ids("suhu bayi 37,4") == [] and ids("suhu bayi 37,5") == ["bayi_demam_dingin"]
    assert ids("suhu dedek 35,4 derajat") == ["bayi_demam_dingin"] and ids("suhu dedek 35,5 derajat") == []
    assert ids("dedek gk mau mimik dr pagi") == ["bayi_tidak_mau_menyusu"]
    assert ids("bayi lemes bgt tiba2") == ["bayi_lemah"]
    assert ids("demamnya sudah tidak ada") == []
    assert ids("suami saya demam") == []


def test_checklist_advice_says_wajar_only_on_the_early_days():
    from types import SimpleNamespace

    from bot.handlers.steps.checklist import _day_aware_advice, _day_notes

    c = get_content()
    turn = SimpleNamespace(content=c, t=c.text)
    not_good = SimpleNamespace(classification=SimpleNamespace(good=False),
                               values={"bak_frekuensi": 1, "bab_warna": "hitam", "bak_warna": "pekat"})
    day1 = _day_aware_advice(turn, not_good, 1)
    assert "wajar" in day1 and _day_notes(turn, not_good, 1) is None  # normal on day 1: no note to the midwife
    day4 = _day_aware_advice(turn, not_good, 4)
    assert "wajar" not in day4 and "4 hari" in day4
    notes = _day_notes(turn, not_good, 4)  # a message of their own after the summary
    assert c.text("day_advice.few_wet", jumlah="1", hari="4") in notes
    assert c.text("day_advice.still_black", hari="4") in notes
    good = SimpleNamespace(classification=SimpleNamespace(good=True), values={"bak_frekuensi": 7, "bab_warna": "kuning"})
    assert _day_aware_advice(turn, good, 7) == c.text("checklist.result_good")


def test_the_family_advice_is_short_messages_for_any_one_to_three_signs():
    import itertools

    from bot.flows.alerts import family_advice

    c = get_content()
    ids = [s.id for s in c.danger_signs]
    for k in (1, 2, 3):
        for combo in itertools.combinations(ids, k):
            for reached in (True, False):
                texts = family_advice(c, list(combo), facility_name="Puskesmas Tanjung Muaro Jambi", reached=reached)
                assert "119" in texts[0] and len(texts) <= 3
                if any(c.danger_sign(i).urgent for i in combo):
                    assert "sekarang" in texts[0]
                for text in texts:
                    assert len(text) <= 600 and text.count("\n") < 10, combo
