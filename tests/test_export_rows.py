"""The large sheets' rows come straight from SQL (storage/exports.py ``*_rows``): local times written by the
database, flags as 1/0. These tests hold them to what Python computes from the same data (the fallback used when
a family's zone has daylight saving); the wide pre/post sheet takes each family's latest measurement of an
occasion, as the report does."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.devtools.demo import add_family
from bot.export import exporting, prepost, study_sheets
from content import get_content
from storage import exports
from storage.models import Answer, Facility, Family, Measurement
from tests.test_midwife_support import two_facilities

LARGE = ("sessions.csv", "answers.csv", "prepost_default_v1.csv")


def _files(db, dialect: str) -> dict[str, bytes]:
    with db.session() as session:
        data, _ = exporting.export_bytes(session, get_content(), None, fmt="csv", dialect=dialect)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _book(db) -> dict[str, bytes]:
    with db.session() as session:
        data, _ = exporting.export_bytes(session, get_content(), None, fmt="xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/")}


def _awkward_values(db, now: datetime) -> None:
    """Instants a hair before the next second (SQLite's datetime() would round them up), decimals, a
    separator inside a raw answer, and a non-consenting family next to the consenting ones."""
    with db.session() as session:
        answers = session.exec(select(Answer).order_by(Answer.id)).all()
        answers[0].answered_at = datetime(2026, 11, 19, 16, 59, 59, 999_999, tzinfo=UTC)
        answers[1].value_num, answers[1].raw_value = 2.5, "2,5; kira-kira"
        answers[2].value_num = -0.125
        answers[3].value_num = 1e20
        session.add_all(answers[:4])
    with db.session() as session:
        facility = session.get(Facility, session.exec(select(Family)).first().facility_id)
        add_family(session, facility, now=now, age_days=6, mother=(990_001, "TanpaIzin"), consent=False)


def test_rows_read_by_sql_are_what_python_computes(db, clock):
    two_facilities(db, clock.now(), a_extra=4, b_count=2)  # WIB and WIT families
    _awkward_values(db, clock.now())
    fast = {d: _files(db, d) for d in (exporting.CSV_EXCEL, exporting.CSV_PLAIN)}
    fast_book = _book(db)
    with db.session() as session:  # one family in a zone with daylight saving: Python converts every row
        session.add(Family(code="DST0001", link_code="LDST0001", timezone="Europe/Amsterdam",
                           created_at=clock.now()))
        offsets = study_sheets.fixed_offsets(exports.timezones(session, None))
    assert offsets is None
    for dialect, files in fast.items():
        slow = _files(db, dialect)
        for name in LARGE:
            assert files[name] == slow[name], (dialect, name)
    answers = fast[exporting.CSV_PLAIN]["answers.csv"].decode()
    assert ",2026-11-19 23:59:59," in answers  # 16:59:59.999999 UTC in WIB, the fraction dropped
    assert ",2.5," in answers and ",-0.125," in answers and ",100000000000000000000," in answers
    assert ";2,5;" in fast[exporting.CSV_EXCEL]["answers.csv"].decode("utf-8-sig")
    assert "TanpaIzin" not in answers
    slow_book = _book(db)
    for name in fast_book:
        if name != "xl/worksheets/sheet1.xml":  # the families sheet holds the new family
            assert fast_book[name] == slow_book[name], name


def test_the_wide_sheet_takes_each_familys_latest_checklist(db, clock):
    world = two_facilities(db, clock.now(), a_extra=5, b_count=2)
    content = get_content()
    bayi6 = content.instruments["bayi6"]
    with db.session() as session:  # a family fills its pre checklist again, later, with one item left out
        fam = world.a_families[0]
        first = session.exec(select(Measurement).where(Measurement.family_id == fam.family_id,
                                                       Measurement.occasion == "pre")).first()
        again = Measurement(family_id=fam.family_id, instrument_id="bayi6", occasion="pre", started_at=clock.now(),
                            completed_at=first.completed_at + timedelta(hours=1), score=2, class_key="tidak_lancar")
        session.add(again)
        session.flush()
        for item in bayi6.items[1:]:
            session.add(Answer(measurement_id=again.id, item_id=item.id, raw_value="x", score=1,
                               answered_at=clock.now()))
    with db.session() as session:
        sheet = next(s for s in prepost.sheets(session, content, None) if s.protocol == "default")
        assert sheet.columns[:11] == ["participant", "facility", "protocol", "protocol_version", "withdrawn",
                                      "sessions_done", "sessions_planned", "per_protocol", "pre", "post",
                                      "pre_window"]
        got = [dict(zip(sheet.columns, r, strict=True)) for r in sheet.rows]
    assert len(got) == len(world.a_families) + len(world.b_families)
    redone = next(r for r in got if r["participant"] == fam.code)  # the later "before" counts, as in the report
    assert (redone["pre"], redone["pre_class"], redone["pre_window"]) == (2, "tidak_lancar", "on_time")
    assert redone[f"pre_{bayi6.items[0].id}"] is None
    assert all(redone[f"pre_{i.id}"] == 1 for i in bayi6.items[1:])
    assert redone["diff"] == redone["post"] - redone["pre"]
