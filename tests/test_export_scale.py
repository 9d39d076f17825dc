"""Exports of many families stream: rows go from the database cursor to the file without being collected.

The default run exports 1,000 families; the 10,000-family run is marked slow (``pytest -m slow``). Both
assert a bound on the peak of Python memory while the export runs (tracemalloc). Measured: about 2.5 MB
for 1,000 and for 10,000 families, while merely collecting the rows of 1,000 families takes about 29 MB.
"""

from __future__ import annotations

import tracemalloc
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from bot.export import exporting
from content import get_content
from storage import facilities
from storage.db import Database
from storage.models import Answer, Family, MassageSession, Measurement, Membership, User

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)
CHUNK = 5000


def _chunks(rows: list[dict]):
    for i in range(0, len(rows), CHUNK):
        yield rows[i:i + CHUNK]


def seed_many(db: Database, n: int) -> int:
    """``n`` families of one facility with two members, six sessions and a pre and post bayi6 checklist."""
    items = [i.id for i in get_content().instruments["bayi6"].items]
    with db.session() as session:
        facility = facilities.create(session, name="PMB Besar", now=NOW)
        fid = facility.id
    with db.session() as session:
        def add(model, rows):
            for chunk in _chunks(rows):
                session.execute(insert(model), chunk)

        add(User, [dict(id=i + 1, telegram_id=50_000_000 + i, chat_id=None, first_name=f"Orang{i}",
                        reachable=True, consent_research=True, created_at=NOW) for i in range(2 * n)])
        add(Family, [dict(id=f + 1, code=f"K{f:07d}", link_code=f"L{f:07d}", facility_id=fid,
                          birth_date=date(2026, 11, 10), timezone="Asia/Jakarta", protocol_id="default",
                          status="active", reminders_paused=False, created_at=NOW) for f in range(n)])
        add(Membership, [dict(user_id=2 * f + 1 + k, family_id=f + 1, role=("mother", "husband")[k], active=True,
                              joined_at=NOW) for f in range(n) for k in (0, 1)])
        add(MassageSession, [dict(family_id=f + 1, user_id=2 * f + 2, protocol_id="default", postpartum_day=d,
                                  started_at=NOW - timedelta(days=10 - d, hours=s),
                                  ended_at=NOW - timedelta(days=10 - d, hours=s) + timedelta(minutes=4),
                                  duration_seconds=240, status="completed", safety_answers={})
                             for f in range(n) for d in (1, 2, 3) for s in (0, 8)])
        add(Measurement, [dict(id=2 * f + 1 + k, family_id=f + 1, instrument_id="bayi6", instrument_version=1,
                               occasion=("pre", "post")[k], started_at=NOW, completed_at=NOW,
                               score=(f + k * 2) % 7, class_key="lancar" if (f + k * 2) % 7 >= 4 else "tidak_lancar")
                          for f in range(n) for k in (0, 1)])
        add(Answer, [dict(measurement_id=m + 1, item_id=item, raw_value="1", value_num=1.0, score=j % 2,
                          answered_by=None, answered_at=NOW, via="button")
                     for m in range(2 * n) for j, item in enumerate(items)])
    return fid


def export_peak(db: Database, facility_id: int, out) -> tuple[int, dict[str, int]]:
    content = get_content()
    tracemalloc.start()
    try:
        with db.session() as session:
            counts = exporting.write_xlsx(exporting.build_sheets(session, content, facility_id), out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, counts


def check(db: Database, n: int, tmp_path, bound_mb: float) -> None:
    fid = seed_many(db, n)
    out = tmp_path / "big.xlsx"
    peak, counts = export_peak(db, fid, out)
    assert counts["families"] == n and counts["members"] == 2 * n
    assert counts["sessions"] == 6 * n and counts["answers"] == 12 * n and counts["prepost_default_v1"] == n
    wb = load_workbook(out, read_only=True)
    assert sum(1 for _ in wb["Jawaban ceklis"].iter_rows(values_only=True)) == 12 * n + 1
    assert peak < bound_mb * 1024 * 1024, f"peak {peak / 2**20:.1f} MB for {n} families"


def test_export_of_1000_families_streams(db, tmp_path):
    check(db, 1000, tmp_path, bound_mb=12)


@pytest.mark.slow
def test_export_of_10000_families_streams(db, tmp_path):
    check(db, 10_000, tmp_path, bound_mb=30)
