"""Shared set-up for the midwife tests: two facilities, their midwives and families, built through storage.

(No tests here; the other test_midwife*/test_alerts*/test_export* modules import :func:`two_facilities`.)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from bot.devtools.demo import DemoFamily, add_family, add_midwife
from storage import facilities
from storage.db import Database
from storage.models import Facility

FACILITY_A = "PMB Siti Aminah"
FACILITY_B = "Puskesmas Masohi"
MIDWIFE_A = 2001  # the `midwife` fixture
MIDWIFE_A2 = 2003
MIDWIFE_B = 2002
MOTHER = 1001  # the `mother` fixture
HUSBAND = 1002  # the `husband` fixture


@dataclass
class World:
    a: Facility
    b: Facility
    a_families: list[DemoFamily] = field(default_factory=list)
    b_families: list[DemoFamily] = field(default_factory=list)

    @property
    def mothers_family(self) -> DemoFamily:
        return self.a_families[0]


def two_facilities(db: Database, now: datetime, *, a_extra: int = 3, b_count: int = 3,
                   second_midwife: bool = False, coordinator: bool = False) -> World:
    """Facility A: midwife 2001 (coordinator if asked), the mother 1001 + husband 1002 family (past the post
    checklist) and ``a_extra`` more families; facility B: midwife 2002 and ``b_count`` families."""
    rng = random.Random(11)
    with db.session() as session:
        a = facilities.create(session, name=FACILITY_A, now=now)
        b = facilities.create(session, name=FACILITY_B, now=now, timezone="Asia/Jayapura")
        add_midwife(session, a, telegram_id=MIDWIFE_A, name="Bidan Aminah", now=now, coordinator=coordinator)
        if second_midwife:
            add_midwife(session, a, telegram_id=MIDWIFE_A2, name="Bidan Rahma", now=now)
        add_midwife(session, b, telegram_id=MIDWIFE_B, name="Bidan Maluku", now=now)
        world = World(a, b)
        world.a_families.append(add_family(session, a, now=now, age_days=6, mother=(MOTHER, "Siti"),
                                           husband=(HUSBAND, "Budi"), chat_ids=True, rng=rng))
        for i in range(a_extra):
            world.a_families.append(add_family(session, a, now=now, age_days=5 + i % 5, rng=rng,
                                               mother=(500_000 + i, f"IbuA{i}"), husband=(600_000 + i, f"BapakA{i}")))
        for i in range(b_count):
            world.b_families.append(add_family(session, b, now=now, age_days=5 + i % 4, rng=rng,
                                               mother=(700_000 + i, f"IbuB{i}"), husband=(800_000 + i, f"BapakB{i}")))
    return world
