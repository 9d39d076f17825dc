"""read_message: the signs a message reports now, its kind, and whether it is hypothetical."""

from __future__ import annotations

import pytest

from content import get_content
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
    "cuaca panas banget hari ini",
    "tadi lihat video tiktok bayi kejang, serem",
])
def test_hypotheticals_raise_no_sign_but_are_questions_about_health(text: str) -> None:
    r = read_message(text)
    assert r.signs == () and r.hypothetical and r.kind == "health" and r.mentioned


def test_a_real_sign_inside_a_question_still_counts() -> None:
    assert read_message("bayi saya demam, apakah ini tanda bahaya?").sign_ids == ("bayi_demam_dingin",)
    assert read_message("dedek kejang sekarang, kalau nanti begini lagi harus apa?").sign_ids == ("bayi_kejang",)
