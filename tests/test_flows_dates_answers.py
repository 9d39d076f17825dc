"""Birth dates as people type them, and typed checklist answers, checked directly against the rules."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.flows import answers, dates
from content import get_content

TODAY = date(2026, 11, 20)
C = get_content()
LEX = C.lexicon


@pytest.mark.parametrize(("typed", "expected"), [
    ("21/11/2026", date(2026, 11, 21)),
    ("19-11", date(2026, 11, 19)),
    ("19.11.26", date(2026, 11, 19)),
    ("19 Nov", date(2026, 11, 19)),
    ("19 november 2026", date(2026, 11, 19)),
    ("tgl 18 Nopember", date(2026, 11, 18)),
    ("2026-11-17", date(2026, 11, 17)),
    ("hari ini", TODAY),
    ("Kemarin", date(2026, 11, 19)),
    ("kemarin lusa", date(2026, 11, 18)),
    ("2 hari lalu", date(2026, 11, 18)),
    ("dua hari yang lalu", date(2026, 11, 18)),
    ("tiga hari lalu", date(2026, 11, 17)),
])
def test_birth_dates_people_type(typed, expected):
    parsed = dates.parse_birth_date(typed, TODAY, LEX.parse_number)
    assert parsed is not None and parsed.value == expected


@pytest.mark.parametrize("typed", ["besok lusa", "31/02/2026", "19/13", "", "halo", "99 hari lalu lalu", "32 Nov"])
def test_unclear_dates_are_none(typed):
    assert dates.parse_birth_date(typed, TODAY, LEX.parse_number) is None


def test_a_date_without_year_near_new_year_is_last_year():
    assert dates.parse_birth_date("30/12", date(2027, 1, 2)).value == date(2026, 12, 30)
    assert dates.parse_birth_date("3/1", date(2027, 1, 2)).value == date(2027, 1, 3)  # tomorrow: refused later


def test_future_and_too_old_births_are_refused():
    last = C.default_protocol.last_day
    assert dates.check_birth_date(date(2026, 11, 21), TODAY, last) == dates.FUTURE
    assert dates.check_birth_date(TODAY, TODAY, last) == dates.OK
    assert dates.check_birth_date(date(2026, 11, 20 - last), TODAY, last) == dates.OK
    assert dates.check_birth_date(date(2026, 11, 19 - last), TODAY, last) == dates.TOO_OLD


def test_dates_are_read_in_the_family_time_zone():
    # 23:30 WIB on 19 November is already 20 November in WIT (Jayapura).
    now = datetime(2026, 11, 19, 16, 30, tzinfo=UTC)
    assert dates.local_today(now, "Asia/Jakarta") == date(2026, 11, 19)
    assert dates.local_today(now, "Asia/Jayapura") == date(2026, 11, 20)
    assert dates.postpartum_day(date(2026, 11, 19), now, "Asia/Jayapura") == 1
    relative = dates.days_ago(date(2026, 11, 19), 1)
    assert dates.resolve(relative, date(2026, 11, 20)) == date(2026, 11, 19)
    assert dates.resolve(dates.ParsedDate(date(2026, 11, 18)), date(2026, 11, 20)) == date(2026, 11, 18)


@given(st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 12, 31)))
def test_any_numeric_date_round_trips(d):
    assert dates.parse_birth_date(f"{d.day}/{d.month}/{d.year}", TODAY).value == d
    assert dates.parse_birth_date(d.isoformat(), TODAY).value == d


# -- typed answers ----------------------------------------------------------------------------------------

BAYI6 = C.instruments["bayi6"]
OKS16 = C.instruments["oksitosin16"]
NUMBER = BAYI6.item("bak_frekuensi")
CHOICE = BAYI6.item("bab_warna")
YESNO = OKS16.items[0]


@pytest.mark.parametrize(("typed", "value"), [
    ("6", 6), ("6 kali", 6), ("6x", 6), ("enam", 6), ("enam kali", 6), ("sekitar 12 kali", 12),
    ("dua belas", 12), ("0", 0), ("kira kira 7 kali sehari", 7),
])
def test_numbers_in_many_forms(typed, value):
    parsed = answers.parse_typed(NUMBER, typed, LEX)
    assert parsed.ok and parsed.value == value


def test_numbers_out_of_range_or_unclear():
    far = answers.parse_typed(NUMBER, "40", LEX)
    assert far.error == answers.OUT_OF_RANGE and far.value == 40
    assert answers.parse_typed(NUMBER, "banyak", LEX).error == answers.UNCLEAR
    assert answers.parse_typed(NUMBER, "3 atau 4", LEX).error == answers.UNCLEAR


@pytest.mark.parametrize(("typed", "value"), [
    ("ya", True), ("iya", True), ("Sudah", True), ("tidak", False), ("tidak ada", False), ("belum", False),
    ("gak", False),
])
def test_yes_and_no(typed, value):
    parsed = answers.parse_typed(YESNO, typed, LEX)
    assert parsed.ok and parsed.value is value


def test_choices_by_label_number_or_a_unique_part():
    assert answers.parse_typed(CHOICE, "Kuning", LEX).value == "kuning"
    assert answers.parse_typed(CHOICE, "3", LEX).value == "kuning"
    assert answers.parse_typed(CHOICE, "pucat", LEX).value == "pucat"
    assert answers.parse_typed(CHOICE, "kecoklatan", LEX).value == "hijau"
    assert answers.parse_typed(CHOICE, "atau", LEX).error == answers.UNCLEAR  # in several labels
    assert answers.parse_typed(CHOICE, "9", LEX).error == answers.UNCLEAR


def test_canonical_values_round_trip_and_buttons_are_checked():
    for item in (NUMBER, CHOICE, YESNO):
        for value in ([0, 6, 30] if item is NUMBER else [c.value for c in item.choices]):
            raw = answers.encode(item, value)
            assert answers.decode(item, raw) == value
            assert answers.parse_button(item, raw).value == value
    assert answers.parse_button(NUMBER, "31").error == answers.UNCLEAR
    assert answers.parse_button(CHOICE, "ungu").error == answers.UNCLEAR
    assert answers.parse_button(YESNO, "mungkin").error == answers.UNCLEAR
    assert answers.encode(YESNO, True) == "ya" and answers.value_num(YESNO, False) == 0.0
    assert answers.label(NUMBER, 6) == "6 kali"
    assert answers.number_buttons(NUMBER) == []  # 0–30: typed
