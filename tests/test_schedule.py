"""The schedule as a plain function: which items, at which local and UTC instants, for each protocol."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows import schedule
from bot.flows.schedule import (
    CHECKLIST,
    EDUCATION,
    MASSAGE,
    clamp_to_day,
    compute_schedule,
    family_offset,
    in_quiet_hours,
    resolve_times,
)
from content import get_content

BIRTH = date(2026, 11, 20)
DEFAULT_TIMES = (time(7, 0), time(16, 0))


@pytest.fixture(scope="module")
def content():
    return get_content()


def utc(y, m, d, hh, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


def by_kind(items, kind):
    return [i for i in items if i.kind == kind]


def test_default_protocol_in_wita_massage_times_are_local_and_stored_utc(content):
    p = content.default_protocol
    items = compute_schedule(p, BIRTH, "Asia/Makassar", resolve_times(p, None, DEFAULT_TIMES))
    massages = by_kind(items, MASSAGE)
    # Days 1–3 (21–23 Nov), 07:00 and 16:00 WITA = 23:00 (previous day) and 08:00 UTC.
    assert [(i.slot, i.due) for i in massages] == [
        ("d1s1", utc(2026, 11, 20, 23)), ("d1s2", utc(2026, 11, 21, 8)),
        ("d2s1", utc(2026, 11, 21, 23)), ("d2s2", utc(2026, 11, 22, 8)),
        ("d3s1", utc(2026, 11, 22, 23)), ("d3s2", utc(2026, 11, 23, 8)),
    ]
    checklists = by_kind(items, CHECKLIST)
    # Pre: 15 minutes before the first massage of day 1; post: day 4 at the first reminder time.
    assert [(i.slot, i.local.strftime("%d %H:%M"), i.audience) for i in checklists] == [
        ("pre_d1", "21 06:45", schedule.MOTHER), ("post_d4", "24 07:00", schedule.MOTHER),
    ]
    assert all(i.due.tzinfo == UTC or i.due.utcoffset() == timedelta(0) for i in items)


def test_education_follows_its_reminder_with_the_audience_of_the_message(content):
    p = content.default_protocol
    items = compute_schedule(p, BIRTH, "Asia/Jakarta", DEFAULT_TIMES, education=content.education)
    edu = by_kind(items, EDUCATION)
    assert len(edu) == len(p.education)
    first = next(i for i in edu if i.education_id == p.education[0].education_id)
    assert first.local.strftime("%Y-%m-%d %H:%M") == "2026-11-21 07:05"
    for item in edu:
        audience = content.education[item.education_id].audience
        assert item.audience == {"ibu": schedule.MOTHER, "suami": schedule.COMPANIONS, "semua": schedule.ALL}[audience]


def test_seed003_uses_its_three_times_even_when_the_deployment_has_two(content):
    p = content.protocols["seed003"]
    times = resolve_times(p, None, DEFAULT_TIMES)
    assert times == (time(7, 0), time(12, 0), time(17, 0))
    massages = by_kind(compute_schedule(p, BIRTH, "Asia/Jayapura", times), MASSAGE)
    assert len(massages) == 9
    # 12:00 WIT = 03:00 UTC.
    assert massages[1].slot == "d1s2" and massages[1].due == utc(2026, 11, 21, 3)
    post = by_kind(compute_schedule(p, BIRTH, "Asia/Jayapura", times), CHECKLIST)[-1]
    # After the last session of day 3: 17:00 + 15 min (longest session) + 15 min.
    assert (post.slot, post.local.strftime("%d %H:%M")) == ("post_d3", "23 17:30")


def test_seed001_has_a_post_checklist_each_day_after_the_afternoon_session(content):
    p = content.protocols["seed001"]
    items = compute_schedule(p, BIRTH, "Asia/Jakarta", resolve_times(p, None, DEFAULT_TIMES))
    posts = [i for i in by_kind(items, CHECKLIST) if i.occasion == "post"]
    assert [(i.day, i.local.strftime("%H:%M")) for i in posts] == [(1, "16:20"), (2, "16:20"), (3, "16:20")]
    pres = [i for i in by_kind(items, CHECKLIST) if i.occasion == "pre"]
    assert [(i.day, i.local.strftime("%H:%M")) for i in pres] == [(1, "07:45"), (2, "07:45"), (3, "07:45")]


def test_late_registration_keeps_only_future_items(content):
    p = content.default_protocol
    times = resolve_times(p, None, DEFAULT_TIMES)
    now = datetime(2026, 11, 21, 10, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # day 1, 10:00 WIB
    every = compute_schedule(p, BIRTH, "Asia/Jakarta", times)
    future = compute_schedule(p, BIRTH, "Asia/Jakarta", times, now)
    assert all(i.due > now for i in future)
    missed = {i.slot for i in every} - {i.slot for i in future}
    assert {"d1s1", "pre_d1"} <= missed and "d1s2" not in missed


def test_family_offset_is_stable_and_inside_the_window():
    window = timedelta(minutes=10)
    offsets = [family_offset(fid, window) for fid in range(1, 2001)]
    assert offsets == [family_offset(fid, window) for fid in range(1, 2001)]
    assert all(timedelta(0) <= o < window for o in offsets)
    # Spread: every minute of the window is used by a fair share of 2,000 families.
    per_minute = [sum(1 for o in offsets if int(o.total_seconds() // 60) == m) for m in range(10)]
    assert min(per_minute) > 120 and max(per_minute) < 280
    assert family_offset(7, timedelta(0)) == timedelta(0)


def test_jitter_moves_every_item_of_a_family_by_the_same_offset(content):
    p = content.default_protocol
    plain = compute_schedule(p, BIRTH, "Asia/Jakarta", DEFAULT_TIMES)
    spread = compute_schedule(p, BIRTH, "Asia/Jakarta", DEFAULT_TIMES, jitter=timedelta(minutes=10), family_key=42)
    offset = family_offset(42, timedelta(minutes=10))
    assert [s.due - a.due for a, s in zip(plain, spread, strict=True)] == [offset] * len(plain)


def test_quiet_hours_and_clamping():
    assert in_quiet_hours(time(21, 0)) and in_quiet_hours(time(5, 59)) and in_quiet_hours(time(23, 30))
    assert not in_quiet_hours(time(6, 0)) and not in_quiet_hours(time(20, 59))
    assert clamp_to_day(time(5, 0)) == time(6, 0)
    assert clamp_to_day(time(20, 58), timedelta(minutes=10)) == time(20, 45)
    assert clamp_to_day(time(12, 0), timedelta(minutes=10)) == time(12, 0)


def test_resolve_times_prefers_the_family_then_the_protocol_then_the_deployment(content):
    p = content.default_protocol  # two sessions, no times of its own
    assert resolve_times(p, "06:30,15:30", DEFAULT_TIMES) == (time(6, 30), time(15, 30))
    assert resolve_times(p, "06:30", DEFAULT_TIMES) == DEFAULT_TIMES  # wrong count: ignored
    assert resolve_times(p, "nonsense", DEFAULT_TIMES) == DEFAULT_TIMES
    assert resolve_times(p, None, (time(8, 0), time(12, 0), time(17, 0))) == (time(7, 0), time(19, 0))


def test_time_zones_give_the_right_utc_offsets(content):
    p = content.default_protocol
    firsts = {tz: by_kind(compute_schedule(p, BIRTH, tz, DEFAULT_TIMES), MASSAGE)[0].due
              for tz in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")}
    assert firsts == {"Asia/Jakarta": utc(2026, 11, 21, 0), "Asia/Makassar": utc(2026, 11, 20, 23),
                      "Asia/Jayapura": utc(2026, 11, 20, 22)}


@settings(max_examples=150, deadline=None)
@given(
    protocol_id=st.sampled_from(["default", "seed000", "seed001", "seed002", "seed003"]),
    birth=st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)),
    tz=st.sampled_from(["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]),
    minutes=st.lists(st.integers(min_value=6 * 60, max_value=20 * 60 + 59), min_size=1, max_size=6, unique=True),
    jitter_minutes=st.integers(min_value=0, max_value=30),
    family=st.integers(min_value=1, max_value=10**6),
)
def test_no_item_is_ever_planned_in_quiet_hours(protocol_id, birth, tz, minutes, jitter_minutes, family):
    p = get_content().protocols[protocol_id]
    wanted = p.sessions_per_day
    chosen = sorted(minutes)[:wanted]
    if len(chosen) < wanted:
        chosen = [m for m in range(7 * 60, 7 * 60 + wanted * 60, 60)]
    times = tuple(time(m // 60, m % 60) for m in chosen)
    items = compute_schedule(p, birth, tz, times, jitter=timedelta(minutes=jitter_minutes), family_key=family)
    assert len(items) == len(p.days) * wanted + len(p.measurements) + len(p.education)
    assert [i.due for i in items] == sorted(i.due for i in items)
    for item in items:
        assert not in_quiet_hours(item.local), item
        assert item.local.date() - birth == timedelta(days=item.day)
    assert len({(i.kind, i.slot) for i in items}) == len(items)
