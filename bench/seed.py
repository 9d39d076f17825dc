"""Fast bulk seeding for the benchmarks: thousands of families, their people, measurements and answers.

Setting up is not what is measured, so rows go in with multi-row INSERTs straight into the project's tables
(storage/models.py); ids come back in order (``RETURNING``) on SQLite and PostgreSQL alike. What the bot does
with these rows afterwards (answering, sending, exporting) is measured through its real code.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import insert

from content.instruments import Instrument, Item
from storage.db import Database
from storage.models import Answer, Facility, Family, MassageSession, Measurement, Membership, Outbox, User

CHUNK = 2000


@dataclass
class Person:
    user_id: int
    telegram_id: int
    role: str


@dataclass
class SeededFamily:
    family_id: int
    code: str
    members: list[Person] = field(default_factory=list)

    @property
    def mother(self) -> Person:
        return next(p for p in self.members if p.role == "mother")


def _insert(db: Database, model, rows: Sequence[dict]) -> list[int]:
    """Insert ``rows`` into ``model``'s table; the new ids in the same order."""
    table = model.__table__
    ids: list[int] = []
    with db.engine.begin() as conn:
        for i in range(0, len(rows), CHUNK):
            part = rows[i:i + CHUNK]
            result = conn.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), part)
            ids.extend(r[0] for r in result)
    return ids


def _insert_plain(db: Database, model, rows: Sequence[dict]) -> None:
    table = model.__table__
    with db.engine.begin() as conn:
        for i in range(0, len(rows), CHUNK):
            conn.execute(insert(table), rows[i:i + CHUNK])


def analyze(db: Database) -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load (autovacuum would, a little later)."""
    if db.dialect == "postgresql":
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


def facility(db: Database, now: datetime, code: str = "BENCH") -> int:
    return _insert(db, Facility, [dict(code=code, name=f"Bidan {code}", timezone="Asia/Jakarta",
                                       registration_code=f"REG{code}", created_at=now)])[0]


def families(db: Database, n: int, *, now: datetime, protocol_id: str = "default", birth_date: date | None,
             roles: Sequence[str] = ("mother", "husband"), telegram_base: int = 10_000_000,
             timezone: str = "Asia/Jakarta", facility_id: int | None = None, consent: bool = True,
             code_prefix: str = "B") -> list[SeededFamily]:
    """``n`` active families, each with one consenting person per role (a private chat each)."""
    user_rows = []
    for f in range(n):
        for r, role in enumerate(roles):
            tg = telegram_base + f * len(roles) + r
            user_rows.append(dict(telegram_id=tg, chat_id=tg, first_name=("Siti" if role == "mother" else "Budi"),
                                  language_code="id", consent_at=now if consent else None,
                                  consent_research=consent, reachable=True, created_at=now))
    user_ids = _insert(db, User, user_rows)
    family_rows = [dict(code=f"{code_prefix}{f:07d}", link_code=f"L{code_prefix}{f:09d}", facility_id=facility_id,
                        birth_date=birth_date, timezone=timezone, protocol_id=protocol_id, status="active",
                        reminders_paused=False, created_by=user_ids[f * len(roles)], created_at=now)
                   for f in range(n)]
    family_ids = _insert(db, Family, family_rows)
    seeded = []
    member_rows = []
    for f, family_id in enumerate(family_ids):
        fam = SeededFamily(family_id, family_rows[f]["code"])
        for r, role in enumerate(roles):
            k = f * len(roles) + r
            fam.members.append(Person(user_ids[k], user_rows[k]["telegram_id"], role))
            member_rows.append(dict(user_id=user_ids[k], family_id=family_id, role=role, active=True,
                                    joined_at=now + timedelta(seconds=r)))
        seeded.append(fam)
    _insert_plain(db, Membership, member_rows)
    return seeded


def open_measurements(db: Database, fams: Iterable[SeededFamily], instrument: Instrument, occasion: str,
                      now: datetime) -> list[int]:
    """One unfinished measurement per family, started by the mother."""
    rows = [dict(family_id=f.family_id, instrument_id=instrument.id, instrument_version=instrument.version,
                 occasion=occasion, started_by=f.mother.user_id, started_at=now) for f in fams]
    return _insert(db, Measurement, rows)


def safe_value(item: Item, rng: random.Random, day: int = 1, want_point: bool = True) -> bool | int | str:
    """An answer to ``item`` that points to no danger sign (scoring a point when ``want_point`` allows)."""
    from bot.devtools.demo import safe_answer

    return safe_answer(item, day, want_point, rng, numbers=12)


def _raw(item: Item, value: bool | int | str) -> tuple[str, float | None]:
    if item.answer_type == "yesno":
        return ("ya" if value else "tidak"), (1.0 if value else 0.0)
    if item.answer_type == "number":
        return str(value), float(value)
    return str(value), None


def completed_with_answers(db: Database, fams: Sequence[SeededFamily], instrument: Instrument,
                           occasions: Sequence[tuple[str, int]], start: datetime, rng: random.Random) -> int:
    """For each family and each (occasion, day): a completed measurement with every item answered.

    Post scores tend to be higher than pre scores, as in the papers. Returns the answers written.
    """
    m_rows, answer_sets = [], []
    for f in fams:
        for k, (occasion, day) in enumerate(occasions):
            at = start + timedelta(days=day, minutes=k)
            chance = 0.45 if occasion.endswith("pre") else 0.8
            values = {item.id: safe_value(item, rng, day, rng.random() < chance) for item in instrument.items}
            total = instrument.score(values, day=day)
            m_rows.append(dict(family_id=f.family_id, instrument_id=instrument.id,
                               instrument_version=instrument.version, occasion=occasion,
                               started_by=f.mother.user_id, started_at=at,
                               completed_at=at + timedelta(minutes=5), score=total,
                               class_key=instrument.classify(total).key))
            answer_sets.append((f.mother.user_id, at, day, values))
    m_ids = _insert(db, Measurement, m_rows)
    a_rows = []
    for m_id, (user_id, at, day, values) in zip(m_ids, answer_sets, strict=True):
        for n, item in enumerate(instrument.items):
            raw, num = _raw(item, values[item.id])
            a_rows.append(dict(measurement_id=m_id, item_id=item.id, raw_value=raw, value_num=num,
                               score=item.score(values[item.id], day), answered_by=user_id,
                               answered_at=at + timedelta(seconds=15 * n), via="button"))
    _insert_plain(db, Answer, a_rows)
    return len(a_rows)


def massage_sessions(db: Database, fams: Sequence[SeededFamily], days: Sequence[int], per_day: int,
                     start: datetime) -> int:
    rows = []
    for f in fams:
        giver = next((p for p in f.members if p.role != "mother"), f.mother)
        for day in days:
            for s in range(per_day):
                at = start + timedelta(days=day, hours=9 * s)
                rows.append(dict(family_id=f.family_id, user_id=giver.user_id, protocol_id="default",
                                 postpartum_day=day, started_at=at, ended_at=at + timedelta(minutes=4),
                                 duration_seconds=240, status="completed", step_reached="selesai",
                                 safety_answers={}, confirmed_by_mother_at=at + timedelta(minutes=6)))
    _insert_plain(db, MassageSession, rows)
    return len(rows)


def outbox_rows(db: Database, rows: Sequence[dict]) -> None:
    _insert_plain(db, Outbox, rows)
