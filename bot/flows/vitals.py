"""The health worker's check before a massage (seed 002, ``performer: petugas``): she measures blood pressure,
pulse and breathing; the massage goes ahead only when all three are normal (the protocol's ``vitals`` ranges),
else the mother rests for the protocol's ``wait_minutes`` and is measured again. Every reading is stored
(storage/vitals.py); a normal one logs the massage as given by the health worker (MassageSession "logged",
``user_id`` = her user), so who massaged is on the record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from content.protocols import VITALS, Protocol
from storage import outbox
from storage import vitals as store
from storage.models import Family, MassageSession

_NUMBER = re.compile(r"\d{1,3}")


@dataclass(frozen=True)
class Reading:
    systolic: int
    diastolic: int
    pulse: int
    breathing: int

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in VITALS}


_LABELS = frozenset({"td", "tensi", "nadi", "napas", "nafas", "rr", "hr", "bp", "mmhg", "x", "kali", "menit",
                     "x/menit", "/menit"})


def parse(text: str) -> Reading | None:
    """ "120/80 88 20", "120 80 88 20" or "TD 120/80, nadi 88, napas 20": blood pressure, pulse, breathing.
    None unless exactly four numbers and nothing but these labels around them."""
    numbers = [int(n) for n in _NUMBER.findall(text)]
    rest = re.sub(r"[/:,=;]", " ", _NUMBER.sub(" ", text.lower())).split()
    if len(numbers) != 4 or any(word not in _LABELS for word in rest) or re.search(r"\d{4,}", text):
        return None
    return Reading(*numbers)


@dataclass(frozen=True)
class Outcome:
    status: str  # "ok" (normal: massage logged) | "wait" (outside normal) | "implausible" | "no_vitals"
    outside: tuple[str, ...] = ()
    wait_minutes: int = 0
    session: MassageSession | None = None


def record(session: Session, *, protocol: Protocol, family: Family, staff_user_id: int | None, reading: Reading,
           day: int | None, now: datetime) -> Outcome:
    rule = protocol.vitals
    if rule is None:
        return Outcome("no_vitals")
    values = reading.as_dict()
    wrong = rule.implausible(values)
    if wrong or reading.diastolic >= reading.systolic:
        return Outcome("implausible", wrong or ("systolic", "diastolic"))
    outside = rule.outside(values)
    done = None
    if not outside:
        done = outbox.log_session_done(session, family_id=family.id, user_id=staff_user_id,
                                       protocol_id=family.protocol_id or protocol.id, day=day, now=now)
    store.add(session, family_id=family.id, recorded_by=staff_user_id, measured_at=now, outside=outside,
              session_id=done.id if done else None, **values)
    if outside:
        return Outcome("wait", outside, rule.wait_minutes)
    return Outcome("ok", session=done)
