"""Free-text danger-sign matching and the typed-answer parsers, on the real word lists."""

from __future__ import annotations

import pytest

from content import get_content
from content.danger_model import UNCLEAR


def ids(text: str) -> list[str]:
    return [s.id for s in get_content().match_danger_signs(text)]


@pytest.mark.parametrize(("text", "sign"), [
    ("bayi saya demam sejak tadi malam", "bayi_demam_dingin"),
    ("Anak saya KEJANG!!", "bayi_kejang"),
    ("kulit bayi kuning sampai telapak kaki", "bayi_kuning"),
    ("dia tidak mau menyusu dari pagi", "bayi_tidak_mau_menyusu"),
    ("gak mau nyusu sama sekali", "bayi_tidak_mau_menyusu"),
    ("saya perdarahan banyak", "ibu_perdarahan"),
    ("darahnya banyak sekali", "ibu_perdarahan"),
    ("pusarnya bernanah", "bayi_tali_pusat"),
    ("demamnya tinggi", "bayi_demam_dingin"),
    ("istri saya demam", "ibu_demam"),
    ("bayi belum pipis dari kemarin", "bayi_tidak_bak"),
])
def test_signs_are_found(text: str, sign: str) -> None:
    assert sign in ids(text)


@pytest.mark.parametrize("text", [
    "bayi tidak demam, alhamdulillah",
    "tidak ada kejang",
    "BAB-nya kuning dan lembek",
    "ASI saya kuning kental",
    "kami tinggal di Kuningan",
    "bayi sudah mau menyusu",
    "terima kasih, pijatnya enak",
    "",
])
def test_no_false_alarm(text: str) -> None:
    assert ids(text) == []


def test_urgent_signs_come_first_and_both_people_can_match() -> None:
    found = get_content().match_danger_signs("Ibu sedih terus dan bayi kejang")
    assert [s.id for s in found][:1] == ["bayi_kejang"]
    assert found[0].urgent and not found[-1].urgent
    # A word that fits both people: unnamed it is the baby's; named, it is that person's only.
    assert ids("demam") == ["bayi_demam_dingin"]
    assert ids("saya demam") == ["ibu_demam"]


def test_every_sign_has_what_the_bot_shows() -> None:
    c = get_content()
    assert {s.who for s in c.danger_signs} == {"baby", "mother"}
    for s in c.danger_signs:
        assert s.text and s.advice and s.source
        # answer-only signs: raised by a safety-check answer, or (the unclear urgent sign) by the learned reader
        assert s.patterns or s.id in {q.danger_sign for q in c.safety_questions} or s.id == UNCLEAR
    assert c.danger_sign("bayi_kejang").urgent
    with pytest.raises(KeyError):
        c.danger_sign("tidak_ada")


@pytest.mark.parametrize(("text", "value"), [
    ("ya", True), ("Iya, sudah", True), ("y", True), ("ada", True), ("benar", True),
    ("tidak", False), ("tdk", False), ("enggak", False), ("belum", False), ("tidak ada", False),
    ("nggak", False), ("no", False), ("mungkin", None), ("", None),
])
def test_parse_yesno(text: str, value: bool | None) -> None:
    assert get_content().lexicon.parse_yesno(text) is value


@pytest.mark.parametrize(("text", "value"), [
    ("3", 3), ("3 kali", 3), ("3x", 3), ("tiga", 3), ("nol", 0), ("dua belas", 12), ("sebelas", 11),
    ("sepuluh", 10), ("tiga puluh", 30), ("dua puluh satu", 21), ("sekitar 14 jam", 14), ("kira-kira 15 jam", 15),
    ("Lima kali", 5), ("banyak", None), ("2-3", None), ("", None),
])
def test_parse_number(text: str, value: int | None) -> None:
    assert get_content().lexicon.parse_number(text) == value


def test_number_words_cover_nol_to_tiga_puluh() -> None:
    words = get_content().lexicon.number_words
    assert words["nol"] == 0 and words["satu"] == 1 and words["dua belas"] == 12 and words["tiga puluh"] == 30
    assert set(range(31)) <= set(words.values())
