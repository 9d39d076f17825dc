"""Registration of a family (by the mother, or by the husband first) as rules on a small dict.

The answers so far live in ChatState.data (flow ``registration``)::

    {"role": "mother", "name": "Siti", "birth": "2026-11-19", "birth_ago": 1, "tz": "Asia/Jakarta",
     "facility_id": 3, "code_done": true, "editing": false}

``next_step`` says which question comes next; ``save`` writes the family and (re)computes its reminders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from bot.core.config import Settings
from bot.flows import dates, protocols
from bot.flows.schedule import ScheduleResult, reschedule_family
from content import get_content
from storage import facilities
from storage import families as family_store
from storage.models import Facility, Family, User

FLOW = "registration"
NAME, BIRTH, TZ, CODE, CONFIRM, CHANGE = "name", "birth", "tz", "code", "confirm", "change"
FIELDS = (NAME, BIRTH, TZ, CODE)

# Short names people type, and the zones they mean.
TIMEZONES = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}
TZ_SHORT = {zone: short for short, zone in TIMEZONES.items()}
NAME_MIN = 2
NAME_MAX = 40


def next_step(data: dict) -> str:
    """The first question not answered yet; the summary when all are (or after fixing one field)."""
    if not data.get("name"):
        return NAME
    if not data.get("birth"):
        return BIRTH
    if not data.get("tz"):
        return TZ
    if not data.get("code_done"):
        return CODE
    return CONFIRM


def clean_name(text: str) -> str | None:
    """A nickname: 2–40 characters with at least one letter, no commands or links."""
    name = " ".join(text.split())
    if len(name) < NAME_MIN or name.startswith("/") or len(name) > NAME_MAX:
        return None
    if "http" in name.lower() or "@" in name or not re.search(r"[^\W\d_]", name):
        return None
    return name


NAME_WORDS_MAX = 4


def looks_like_name(text: str, lang) -> bool:
    """At a name question: is the text a name ("Kejang Sutrisno", "budi") rather than a report ("bayi saya
    kejang")? A name has at most four words, all capitalised, or names nobody (no "bayi", "saya", "istri")."""
    name = clean_name(text)
    if name is None or len(name.split()) > NAME_WORDS_MAX:
        return False
    words = [w for w in name.split() if w[:1].isalpha()]
    if words and all(w[0].isupper() for w in words):
        return True
    if lang is None:
        return False
    return len(words) <= 3 and not any(t in lang.subjects for t in lang.tokens(name, fuzzy=False))


def parse_timezone(text: str) -> str | None:
    word = text.strip().upper().replace(".", "")
    for short, zone in sorted(TIMEZONES.items(), key=lambda kv: -len(kv[0])):
        if word == short or word.startswith(short + " "):
            return zone
    return None


def default_timezone(settings: Settings, facility: Facility | None) -> str:
    if facility is not None and facility.timezone in TZ_SHORT:
        return facility.timezone
    return settings.default_timezone if settings.default_timezone in TZ_SHORT else "Asia/Jakarta"


def find_facility(session: Session, text: str) -> Facility | None:
    """A facility by the code a midwife gave: its short code or its registration code."""
    code = text.strip()
    if not code or len(code) > 32 or not re.fullmatch(r"[A-Za-z0-9_-]+", code):
        return None
    return facilities.by_code(session, code) or facilities.by_registration_code(session, code.lower())


def today_for(data: dict, now: datetime, settings: Settings) -> date:
    return dates.local_today(now, data.get("tz") or settings.default_timezone)


def set_birth(data: dict, parsed: dates.ParsedDate) -> None:
    data["birth"] = parsed.value.isoformat()
    data["birth_ago"] = parsed.days_ago


def birth_of(data: dict) -> date | None:
    return date.fromisoformat(data["birth"]) if data.get("birth") else None


def set_timezone(data: dict, zone: str, now: datetime) -> None:
    """Choose the zone; a birth date given as "kemarin" moves with the new local today."""
    data["tz"] = zone
    if data.get("birth") and data.get("birth_ago") is not None:
        today = dates.local_today(now, zone)
        data["birth"] = dates.resolve(dates.ParsedDate(birth_of(data), data["birth_ago"]), today).isoformat()


def check_birth(data: dict, now: datetime, settings: Settings, last_day: int) -> str:
    birth = birth_of(data)
    if birth is None:
        return dates.FUTURE
    return dates.check_birth_date(birth, today_for(data, now, settings), last_day)


@dataclass(frozen=True)
class Saved:
    family: Family
    created: bool
    schedule: ScheduleResult


def save(session: Session, *, user: User, data: dict, now: datetime, settings: Settings,
         protocol_id: str | None = None) -> Saved:
    """Create the family (or update the user's own), set the user's name, and schedule the reminders.

    A new family follows ``protocol_id``, else its facility's protocol, else ``default``
    (bot/flows/protocols.py), and keeps that protocol's version.
    """
    content = get_content()
    facility = facilities.get(session, data["facility_id"]) if data.get("facility_id") else None
    protocol = (content.protocols.get(protocol_id) if protocol_id else None) or protocols.facility_protocol(
        content, facility)
    user.display_name = data["name"][:64]
    session.add(user)
    birth = birth_of(data)
    family = family_store.family_of(session, user.id)
    created = family is None
    if family is None:
        family = family_store.create(
            session, created_by=user.id, role=data.get("role") or family_store.MOTHER, now=now, birth_date=birth,
            timezone=data["tz"], protocol_id=protocol.id, facility_id=data.get("facility_id"),
        )
        protocols.enrol(family, protocol)
        session.add(family)
    else:
        family_store.update(session, family, birth_date=birth, timezone=data["tz"],
                            facility_id=data.get("facility_id", family.facility_id))
    result = reschedule_family(session, family.id, now=now, settings=settings)
    return Saved(family, created, result)


def change_family(session: Session, family: Family, *, now: datetime, settings: Settings,
                  birth: date | None = None, timezone: str | None = None) -> ScheduleResult:
    """A later change of birth date or time zone: stored, and the reminders follow."""
    changes: dict[str, object] = {}
    if birth is not None:
        changes["birth_date"] = birth
    if timezone is not None:
        changes["timezone"] = timezone
    family_store.update(session, family, **changes)
    return reschedule_family(session, family.id, now=now, settings=settings)
