"""The baby's birth date as people type it, and the postpartum day in the family's own time zone.

Accepted: ``21/11/2026``, ``21-11-26``, ``21.11``, ``21 Nov``, ``21 November 2026``, ``2026-11-21``,
``hari ini``, ``kemarin``, ``kemarin lusa``, ``2 hari lalu``, ``dua hari yang lalu``. A date without a year
is this year's, unless that is more than a month ahead (then it is last year's: "30/12" typed on 2 January).

Day numbering: the birth day is day 0, day 1 is the day after birth.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Parsing vocabulary (not sentences): Indonesian month names and the short forms people type.
_MONTHS = {
    1: ("januari", "jan", "january"),
    2: ("februari", "feb", "pebruari", "peb", "february"),
    3: ("maret", "mar", "march"),
    4: ("april", "apr"),
    5: ("mei", "may"),
    6: ("juni", "jun", "june"),
    7: ("juli", "jul", "july"),
    8: ("agustus", "agu", "agt", "ags", "aug", "august"),
    9: ("september", "sep", "sept"),
    10: ("oktober", "okt", "oct", "october"),
    11: ("november", "nov", "nop", "nopember"),
    12: ("desember", "des", "dec", "december"),
}
MONTH_WORDS = {word: month for month, words in _MONTHS.items() for word in words}
RELATIVE_WORDS = {
    "hari ini": 0, "hr ini": 0, "sekarang": 0, "tadi": 0, "tadi pagi": 0, "barusan": 0,
    "kemarin": 1, "kemaren": 1, "kmrn": 1, "kemarin lusa": 2, "kemaren lusa": 2,
}
_AGO = re.compile(r"^(?P<n>.+?)\s+(?:hari|hr)\s+(?:yang\s+|yg\s+)?(?:lalu|lewat|sebelumnya)$")
_NUMERIC = re.compile(r"^(?P<d>\d{1,2})[/\-.\s](?P<m>\d{1,2})(?:[/\-.\s](?P<y>\d{2}|\d{4}))?$")
_ISO = re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$")
_WORDY = re.compile(r"^(?P<d>\d{1,2})\s*(?P<m>[a-z]+)\.?(?:\s+(?P<y>\d{2}|\d{4}))?$")
FUTURE_YEAR_SLACK = timedelta(days=31)

OK = "ok"
FUTURE = "future"
TOO_OLD = "too_old"


@dataclass(frozen=True)
class ParsedDate:
    value: date
    days_ago: int | None = None  # set when given relative to today ("kemarin"): re-read if the time zone changes


def local_today(now: datetime, timezone: str) -> date:
    """Today's date in ``timezone`` at the instant ``now``."""
    return now.astimezone(ZoneInfo(timezone)).date()


def parse_clock(value: str | None) -> time | None:
    """A stored "HH:MM" (the time of birth) as a time; None when absent or malformed."""
    if not value:
        return None
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def postpartum_day(birth_date: date, now: datetime, timezone: str, birth_time: str | None = None) -> int:
    """Days since birth in the family's time zone (the birth day is day 0).

    With the time of birth known, day n starts n x 24 hours after the birth hour (day 1 = from 24 hours after
    birth); without it, at local midnight.
    """
    clock = parse_clock(birth_time)
    if clock is None:
        return (local_today(now, timezone) - birth_date).days
    born = datetime.combine(birth_date, clock, tzinfo=ZoneInfo(timezone))
    return (now - born) // timedelta(days=1)


def day_start(birth_date: date, timezone: str, day: int, birth_time: str | None = None) -> datetime:
    """The instant postpartum day ``day`` begins (see :func:`postpartum_day`)."""
    clock = parse_clock(birth_time) or time(0, 0)
    return datetime.combine(birth_date, clock, tzinfo=ZoneInfo(timezone)) + timedelta(days=day)


def local_on_day(birth_date: date, timezone: str, day: int, at: time, birth_time: str | None = None) -> datetime:
    """The first local ``at`` inside postpartum day ``day`` (a calendar day without a time of birth)."""
    clock = parse_clock(birth_time)
    calendar = birth_date + timedelta(days=day)
    if clock is not None and at < clock:
        calendar += timedelta(days=1)
    return datetime.combine(calendar, at, tzinfo=ZoneInfo(timezone))


@dataclass(frozen=True)
class SessionSlot:
    """One massage session of the programme: postpartum day, its number in that day (1-based), local start."""

    day: int
    session: int
    at: datetime


def day_sessions(birth_date: date, timezone: str, day: int, times: Sequence[time],
                 birth_time: str | None = None) -> list[SessionSlot]:
    """THE numbering of a day's sessions, used by everything that names "hari ke-N, pijat ke-M".

    Each session time is placed at its first instant inside postpartum day ``day`` (see
    :func:`postpartum_day`), and the sessions are numbered in the order they happen. With a time of birth
    of 10:00 and times 07:00 / 16:00, day 1 is 16:00 (pijat ke-1) then 07:00 the next morning (pijat ke-2),
    so the numbering never goes backwards.
    """
    starts = sorted(local_on_day(birth_date, timezone, day, t, birth_time) for t in times)
    return [SessionSlot(day, n, at) for n, at in enumerate(starts, start=1)]


def current_session(birth_date: date, timezone: str, times: Sequence[time], now: datetime,
                    birth_time: str | None = None) -> SessionSlot:
    """The session a massage done at ``now`` belongs to: the day's last session already begun (the first
    session of the day before the first one's time)."""
    day = postpartum_day(birth_date, now, timezone, birth_time)
    slots = day_sessions(birth_date, timezone, day, times, birth_time)
    begun = [s for s in slots if s.at <= now]
    return begun[-1] if begun else slots[0]


def next_session(birth_date: date, timezone: str, times: Sequence[time], now: datetime,
                 birth_time: str | None = None) -> SessionSlot:
    """The first session that starts after ``now``."""
    day = postpartum_day(birth_date, now, timezone, birth_time)
    for d in (day, day + 1, day + 2):
        for s in day_sessions(birth_date, timezone, d, times, birth_time):
            if s.at > now:
                return s
    return day_sessions(birth_date, timezone, day + 1, times, birth_time)[0]


# -- a time of day as people type it ("21.30", "jam 9 pagi", "setengah 8 malam") and as the bot writes it -----

# Parsing vocabulary (not sentences): the parts of the day and the words around a clock time.
_PERIODS = {"pagi": "pagi", "subuh": "pagi", "dini hari": "malam_dini", "siang": "siang", "sore": "sore",
            "petang": "sore", "malam": "malam"}
_CLOCK_NOISE = re.compile(r"\b(?:wib|wita|wit|pukul|pkl|jam|sekitar|kira kira|kurang lebih|tadi|kurleb|lahir|bayi)\b")
_HM = re.compile(r"^(?P<h>\d{1,2})(?:[.:](?P<m>\d{2})|\s+(?:lewat|lebih|lbh)\s+(?P<lm>\d{1,2})(?:\s+menit)?)?$")
_HALF = re.compile(r"^(?:setengah|stgh|stengah)\s+(?P<h>\d{1,2})$")
_QUARTER = re.compile(r"^(?P<h>\d{1,2})\s+(?P<how>lewat seperempat|seperempat|kurang seperempat)$")


def _in_period(hour: int, period: str | None) -> int | None:
    """The 24-hour hour of ``hour`` said with a part of the day ("9 malam" -> 21, "2 malam" -> 2)."""
    if period is None or hour > 12:
        return hour if hour <= 23 else None
    if period == "pagi":
        return 0 if hour == 12 else hour
    if period == "malam_dini":
        return hour % 12
    if period == "siang":
        return hour if hour >= 10 else (12 if hour == 0 else hour + 12)
    if period == "sore":
        return hour + 12 if hour < 12 else hour
    # malam: "jam 7 malam" is 19:00, "jam 12 malam" is midnight, "jam 2 malam" is 02:00
    if hour == 12:
        return 0
    return hour if hour <= 4 else hour + 12


def parse_time_of_day(text: str) -> time | None:
    """A clock time typed as "21.30", "07:15", "jam 9 pagi", "setengah 8 malam", "9 lewat 15 pagi",
    "jam 3 sore"; None if it is not clearly one."""
    t = " ".join(re.sub(r"[^\w.:]+", " ", text.lower()).split())
    t = " ".join(_CLOCK_NOISE.sub(" ", t).split()).strip(" .")
    period = None
    for word in sorted(_PERIODS, key=len, reverse=True):
        if t.endswith(f" {word}") or t == word:
            period, t = _PERIODS[word], t[: -len(word)].strip()
            break
    if m := _HALF.match(t):
        hour, minute = (int(m.group("h")) - 1) % 24, 30
    elif m := _QUARTER.match(t):
        back = m.group("how") == "kurang seperempat"
        hour, minute = (int(m.group("h")) - (1 if back else 0)) % 24, 45 if back else 15
    elif m := _HM.match(t):
        hour, minute = int(m.group("h")), int(m.group("m") or m.group("lm") or 0)
    else:
        return None
    hour24 = _in_period(hour, period)
    if hour24 is None or minute > 59:
        return None
    return time(hour24, minute)


def day_part(hour: int) -> str:
    """The part of the day a 24-hour hour is said in: pagi, siang, sore or malam."""
    if 4 <= hour <= 10:
        return "pagi"
    if 11 <= hour <= 14:
        return "siang"
    if 15 <= hour <= 17:
        return "sore"
    return "malam"


def clock_parts(at: time) -> tuple[str, dict[str, str]]:
    """How to say ``at`` in words: a key of common.clock (``hour``, ``half``, ``minutes``) and its values,
    e.g. 09:00 -> ("hour", jam 9, pagi), 19:30 -> ("half", 8, malam), 21:15 -> ("minutes", 9.15, malam)."""
    twelve = at.hour % 12 or 12
    part = day_part(at.hour)
    if at.minute == 0:
        return "hour", {"jam": str(twelve), "waktu": part}
    if at.minute == 30:
        return "half", {"jam": str(twelve % 12 + 1), "waktu": part}
    return "minutes", {"jam": f"{twelve}.{at.minute:02d}", "waktu": part}


def _clean(text: str) -> str:
    text = text.lower().strip()
    text = re.sub(r"(?<=\d)(st|nd|rd|th)\b", "", text)
    text = re.sub(r"\btgl\.?\s*|\btanggal\s+", "", text)
    text = re.sub(r"[,]", " ", text)
    return " ".join(text.split())


def _with_year(day: int, month: int, year: int | None, today: date) -> date | None:
    try:
        if year is not None:
            if year < 100:
                year += 2000
            return date(year, month, day)
        guess = date(today.year, month, day)
    except ValueError:
        return None
    if guess - today > FUTURE_YEAR_SLACK:
        try:
            return date(today.year - 1, month, day)
        except ValueError:
            return None
    return guess


def parse_birth_date(text: str, today: date, parse_number: Callable[[str], int | None] | None = None
                     ) -> ParsedDate | None:
    """The date meant by ``text`` (relative words count back from ``today``), or None if unclear."""
    t = _clean(text)
    if not t:
        return None
    if t in RELATIVE_WORDS:
        n = RELATIVE_WORDS[t]
        return ParsedDate(today - timedelta(days=n), days_ago=n)
    m = _AGO.match(t)
    if m:
        raw = m.group("n").strip()
        n = int(raw) if raw.isdigit() else (parse_number(raw) if parse_number else None)
        if n is None or n > 400:
            return None
        return ParsedDate(today - timedelta(days=n), days_ago=n)
    m = _ISO.match(t)
    if m:
        value = _with_year(int(m.group("d")), int(m.group("m")), int(m.group("y")), today)
        return ParsedDate(value) if value else None
    m = _NUMERIC.match(t)
    if m:
        month = int(m.group("m"))
        if not 1 <= month <= 12:
            return None
        y = m.group("y")
        value = _with_year(int(m.group("d")), month, int(y) if y else None, today)
        return ParsedDate(value) if value else None
    m = _WORDY.match(t)
    if m and m.group("m") in MONTH_WORDS:
        y = m.group("y")
        value = _with_year(int(m.group("d")), MONTH_WORDS[m.group("m")], int(y) if y else None, today)
        return ParsedDate(value) if value else None
    return None


def days_ago(today: date, n: int) -> ParsedDate:
    """The date ``n`` days before ``today`` (the "Kemarin" and "2 hari lalu" buttons)."""
    return ParsedDate(today - timedelta(days=n), days_ago=n)


def check_birth_date(value: date, today: date, last_day: int) -> str:
    """``OK``, ``FUTURE`` (after today) or ``TOO_OLD`` (the programme's last day is already over)."""
    if value > today:
        return FUTURE
    if (today - value).days > last_day:
        return TOO_OLD
    return OK


def resolve(parsed: ParsedDate, today: date) -> date:
    """The date again, for a (possibly different) ``today``: relative answers move with it."""
    if parsed.days_ago is not None:
        return today - timedelta(days=parsed.days_ago)
    return parsed.value
