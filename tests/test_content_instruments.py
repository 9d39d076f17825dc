"""Scoring and classification of the three instruments, through the real content files."""

from __future__ import annotations

import pytest

from content import get_content
from content.instruments import Instrument


@pytest.fixture(scope="module")
def bayi6() -> Instrument:
    return get_content().instruments["bayi6"]


@pytest.fixture(scope="module")
def oks16() -> Instrument:
    return get_content().instruments["oksitosin16"]


@pytest.fixture(scope="module")
def skala3() -> Instrument:
    return get_content().instruments["skala3"]


def test_item_counts_and_groups(bayi6: Instrument, oks16: Instrument, skala3: Instrument) -> None:
    assert len(bayi6.items) == 6
    assert len(oks16.items) == 16
    assert len(skala3.items) == 1
    groups = [i.group for i in oks16.items]
    assert groups.count("ibu") == 10 and groups.count("bayi") == 6
    assert {i.answer_type for i in oks16.items} == {"yesno"}
    assert (bayi6.min_total, bayi6.max_total) == (0, 6)
    assert (oks16.min_total, oks16.max_total) == (0, 16)
    assert (skala3.min_total, skala3.max_total) == (0, 2)


def test_bayi6_lancar_from_four_of_six(bayi6: Instrument) -> None:
    assert bayi6.classify(4).key == "lancar"
    assert bayi6.classify(4).good is True
    assert bayi6.classify(6).key == "lancar"
    assert bayi6.classify(3).key == "tidak_lancar"
    assert bayi6.classify(3).good is False
    assert bayi6.classify(3).label == "Tidak lancar"


def _day3_answers(good: int) -> dict:
    """Day-3 answers of which exactly the first ``good`` meet their criterion."""
    meeting = {"bak_frekuensi": 6, "bak_warna": "jernih", "bab_frekuensi": 3, "bab_warna": "kuning",
               "bab_bentuk": "lembek", "tidur_jam": 15}
    failing = {"bak_frekuensi": 2, "bak_warna": "bercak_oranye", "bab_frekuensi": 1, "bab_warna": "hitam",
               "bab_bentuk": "keras", "tidur_jam": 9}
    ids = list(meeting)
    return {k: (meeting[k] if n < good else failing[k]) for n, k in enumerate(ids)}


def test_bayi6_real_answers_four_vs_three(bayi6: Instrument) -> None:
    four = _day3_answers(4)
    three = _day3_answers(3)
    assert bayi6.score(four, day=3) == 4
    assert bayi6.classify(bayi6.score(four, day=3)).key == "lancar"
    assert bayi6.score(three, day=3) == 3
    assert bayi6.classify(bayi6.score(three, day=3)).key == "tidak_lancar"


def test_bayi6_number_answer_scored_against_its_criterion(bayi6: Instrument) -> None:
    bak = bayi6.item("bak_frekuensi")
    assert bak.answer_type == "number" and bak.unit == "kali" and bak.example
    # the raw number is the answer; the score is derived from it
    assert bak.score(5, day=4) == 0
    assert bak.score(6, day=4) == 1
    assert bayi6.item("bab_frekuensi").score(2) == 0
    assert bayi6.item("bab_frekuensi").score(3) == 1
    assert bayi6.item("tidur_jam").score(15) == 1
    assert bayi6.item("tidur_jam").score(20) == 0


def test_a_healthy_day_one_baby_is_not_yet_lancar_so_pre_and_post_can_differ(bayi6: Instrument) -> None:
    """Normal day-1 answers (few wet nappies, dark urine, meconium) are not yet the signs of milk flow."""
    day1 = {"bak_frekuensi": 1, "bak_warna": "pekat", "bab_frekuensi": 1, "bab_warna": "hitam",
            "bab_bentuk": "lengket", "tidur_jam": 16}
    day4 = {"bak_frekuensi": 6, "bak_warna": "jernih", "bab_frekuensi": 3, "bab_warna": "hijau",
            "bab_bentuk": "lembek", "tidur_jam": 15}
    assert bayi6.danger_signs(day1) == []
    assert bayi6.classify(bayi6.score(day1, day=1)).key == "tidak_lancar"
    assert bayi6.classify(bayi6.score(day4, day=4)).key == "lancar"
    assert not bayi6.day_dependent


def test_answers_are_checked(bayi6: Instrument) -> None:
    bak = bayi6.item("bak_frekuensi")
    assert bak.is_valid(0) and bak.is_valid(30)
    assert not bak.is_valid(31) and not bak.is_valid(-1) and not bak.is_valid("3") and not bak.is_valid(True)
    with pytest.raises(ValueError):
        bak.score(31, day=1)
    with pytest.raises(ValueError, match="unanswered"):
        bayi6.score({"bak_frekuensi": 3}, day=2)
    with pytest.raises(ValueError, match="unknown"):
        bayi6.score({**_day3_answers(6), "extra": 1}, day=3)
    assert not bayi6.item("bak_warna").is_valid("ungu")


def test_danger_signs_from_answers(bayi6: Instrument, oks16: Instrument) -> None:
    signs = {s.id for s in get_content().danger_signs}
    assert bayi6.item("bak_frekuensi").danger_sign(0) == "bayi_tidak_bak"
    assert bayi6.item("bak_frekuensi").danger_sign(1) is None
    assert bayi6.item("bab_frekuensi").danger_sign(0) == "bayi_tidak_bab"
    assert bayi6.item("bab_warna").danger_sign("pucat") == "bayi_tinja_pucat"
    assert bayi6.item("bab_warna").danger_sign("kuning") is None
    assert oks16.item("bayi_bangun_menyusu").danger_sign(False) == "bayi_lemah"
    assert oks16.item("bayi_bangun_menyusu").danger_sign(True) is None
    found = bayi6.danger_signs({"bak_frekuensi": 0, "bab_warna": "pucat"})
    assert found == ["bayi_tidak_bak", "bayi_tinja_pucat"]
    assert set(found) <= signs


def test_oksitosin16_improved_above_twelve(oks16: Instrument) -> None:
    assert oks16.classify(13).key == "meningkat" and oks16.classify(13).good
    assert oks16.classify(12).key == "belum_meningkat" and not oks16.classify(12).good
    ids = [i.id for i in oks16.items]
    thirteen = {k: n < 13 for n, k in enumerate(ids)}
    twelve = {k: n < 12 for n, k in enumerate(ids)}
    assert oks16.score(thirteen) == 13
    assert oks16.classify(oks16.score(thirteen)).key == "meningkat"
    assert oks16.score(twelve) == 12
    assert oks16.classify(oks16.score(twelve)).key == "belum_meningkat"
    with pytest.raises(ValueError):
        oks16.classify(17)


def test_skala3_coding(skala3: Instrument) -> None:
    item = skala3.items[0]
    assert [(c.value, c.score) for c in item.choices] == [("lancar", 0), ("cukup_lancar", 1), ("kurang_lancar", 2)]
    assert skala3.higher_is_better is False
    assert [skala3.classify(skala3.score({item.id: v})).key for v in ("lancar", "cukup_lancar", "kurang_lancar")] == [
        "lancar", "cukup_lancar", "kurang_lancar"]
    assert skala3.classify(0).good and not skala3.classify(2).good


def test_every_answer_is_scored_and_every_total_classified() -> None:
    c = get_content()
    for inst in c.instruments.values():
        for total in range(inst.min_total, inst.max_total + 1):
            assert inst.classify(total).key
        for item in inst.items:
            for day in (1, 2, 3, 4, 5, 6):
                if item.answer_type == "number":
                    for value in (item.min, item.max):
                        assert item.score(value, day=day) in (0, 1)
                else:
                    for choice in item.choices:
                        assert item.score(choice.value, day=day) >= 0
