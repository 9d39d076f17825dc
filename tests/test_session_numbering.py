"""One numbering of days and sessions (issue 26, item 1): the reminders, /jadwal and the "current session"
all come from bot/flows/dates.day_sessions, and the numbering never goes backwards as the clock moves,
across midnight, in WIB, WITA and WIT, with and without a time of birth."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.flows import dates
from bot.flows.schedule import MASSAGE, compute_schedule, spread_times
from content import get_content

ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
BIRTH_TIMES = (None, "10:00", "16:30", "23:45", "00:15", "06:59")
TIMES = (time(7, 0), time(16, 0))
BIRTH = date(2026, 12, 5)


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("birth_time", BIRTH_TIMES)
def test_reminders_never_number_backwards(tz, birth_time):
    protocol = get_content().default_protocol
    times = TIMES if protocol.sessions_per_day == 2 else spread_times(protocol.sessions_per_day)
    items = [i for i in compute_schedule(protocol, BIRTH, tz, times, birth_time=birth_time) if i.kind == MASSAGE]
    numbers = [(i.day, i.session) for i in items]
    assert numbers == sorted(numbers), numbers  # in due order, (day, session) only goes up
    assert len(set(numbers)) == len(numbers)
    for i in items:  # each reminder lies inside the postpartum day it names
        assert dates.postpartum_day(BIRTH, i.due, tz, birth_time) == i.day, (i.slot, i.local)


def test_the_reported_flip_is_gone():
    """Born 10:00 WIB on 05/12, sessions 07:00 and 16:00: day 1 is 06/12 16:00 then 07/12 07:00."""
    slots = dates.day_sessions(BIRTH, "Asia/Jakarta", 1, TIMES, "10:00")
    assert [(s.session, s.at.strftime("%d/%m %H:%M")) for s in slots] == [(1, "06/12 16:00"), (2, "07/12 07:00")]
    slots2 = dates.day_sessions(BIRTH, "Asia/Jakarta", 2, TIMES, "10:00")
    assert [(s.session, s.at.strftime("%d/%m %H:%M")) for s in slots2] == [(1, "07/12 16:00"), (2, "08/12 07:00")]


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("birth_time", BIRTH_TIMES)
def test_current_session_moves_forward_hour_by_hour(tz, birth_time):
    start = datetime.combine(BIRTH + timedelta(days=1), time(0, 0), tzinfo=ZoneInfo(tz)).astimezone(UTC)
    seen = []
    for h in range(0, 3 * 24, 1):
        for minute in (0, 59):
            now = start + timedelta(hours=h, minutes=minute)
            slot = dates.current_session(BIRTH, tz, TIMES, now, birth_time)
            seen.append((slot.day, slot.session))
            nxt = dates.next_session(BIRTH, tz, TIMES, now, birth_time)
            assert nxt.at > now and (nxt.day, nxt.session) > (slot.day, slot.session) or nxt.session == 1
    assert seen == sorted(seen), seen


def test_without_time_of_birth_a_day_is_a_calendar_day():
    slots = dates.day_sessions(BIRTH, "Asia/Jayapura", 1, TIMES)
    assert [s.at.strftime("%d/%m %H:%M") for s in slots] == ["06/12 07:00", "06/12 16:00"]
