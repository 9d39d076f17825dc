"""CSV injection: text a family typed never runs as a formula when the midwife opens an export.

OWASP's payloads go in through a mother's name, a husband's name, a question and an alert's words; every CSV
(both dialects) and every text cell of the workbook comes out with them neutralised (a leading apostrophe),
while numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook
from sqlmodel import select

from bot.export import csv_files, exporting
from bot.export import schema as export_schema
from bot.export.formulas import neutral
from content import get_content
from storage.models import Alert, Question, User
from tests.test_midwife_support import two_facilities

PAYLOADS = [
    '=HYPERLINK("//ev.il","klik")',
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "+cmd|' /C notepad'!A0",
    "\t=1+1",
    "\r=1+1",
    '=cmd|" /C calc"!A0',
]
NAME, HUSBAND, QUESTION, WORDS = PAYLOADS[0], PAYLOADS[1], PAYLOADS[2], PAYLOADS[3]


def _plant(db, clock) -> None:
    world = two_facilities(db, clock.now())
    family = world.mothers_family
    with db.session() as session:
        mother = session.get(User, family.mother_id)
        mother.display_name = NAME
        husband = session.get(User, family.husband_id)
        husband.display_name = HUSBAND
        session.add_all([mother, husband])
        session.add(Question(family_id=family.family_id, facility_id=world.a.id, asked_by=mother.id,
                             text=QUESTION, asked_at=clock.now()))
        session.add(Alert(family_id=family.family_id, facility_id=world.a.id, sign_id="demam",
                          source="text", raised_by=mother.id, raised_at=clock.now(), words=WORDS))
        session.add(Alert(family_id=family.family_id, facility_id=world.a.id, sign_id="demam",
                          source="text", raised_by=mother.id, raised_at=clock.now(), words=PAYLOADS[4]))
        session.commit()
        assert session.exec(select(Question)).first() is not None


def _dangerous(value: str) -> bool:
    return value[:1] in "=+-@\t\r" and neutral(value) != value


def test_every_csv_neutralises_the_payloads_in_both_dialects(db, clock):
    _plant(db, clock)
    content = get_content()
    for dialect, delimiter in ((exporting.CSV_EXCEL, ";"), (exporting.CSV_PLAIN, ",")):
        with db.session() as session:
            data, _ = exporting.export_bytes(session, content, None, fmt="csv", with_names=True, dialect=dialect)
        found = set()
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                text = zf.read(name).decode("utf-8-sig")
                for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
                    for value in row:
                        assert not _dangerous(value), (dialect, name, value)
                        if value[:1] == "'" and value[1:] in PAYLOADS:
                            found.add(value[1:])
        assert {NAME, HUSBAND, QUESTION, WORDS, PAYLOADS[4]} <= found, (dialect, found)


def test_every_workbook_text_cell_neutralises_the_payloads(db, clock):
    _plant(db, clock)
    with db.session() as session:
        data, _ = exporting.export_bytes(session, get_content(), None, fmt="xlsx", with_names=True)
    wb = load_workbook(io.BytesIO(data))
    found = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert not _dangerous(value), (ws.title, value)
                    if value[:1] == "'" and value[1:] in PAYLOADS:
                        found.add(value[1:])
    assert {NAME, HUSBAND, QUESTION, WORDS} <= found, found


def test_numbers_and_negative_values_stay_numbers_in_both_writers():
    columns = ["n", "x", "t"]
    specs = [export_schema.Column("n", export_schema.NUMBER), export_schema.Column("x", export_schema.INT),
             export_schema.Column("t")]
    rows = [(-0.25, -3, "-2"), (1.5, 4, "+62"), (-1.0, 0, "-cmd"), (2.0, 1, "=1+1")]
    buffer = io.BytesIO()
    csv_files._write_csv(exporting.Sheet("t", columns, iter(rows), specs=specs), buffer, exporting.CSV_EXCEL)
    back = list(csv.reader(io.StringIO(buffer.getvalue().decode("utf-8-sig"), newline=""), delimiter=";"))
    assert back[1:] == [["-0,25", "-3", "-2"], ["1,5", "4", "+62"], ["-1", "0", "'-cmd"], ["2", "1", "'=1+1"]]
    for fast in (True, False):
        out = io.BytesIO()
        exporting.write_xlsx([exporting.Sheet("t", columns, iter(rows), specs=specs)], out, fast=fast)
        ws = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
        values = [list(r) for r in ws.iter_rows(min_row=2, values_only=True)]
        assert values == [[-0.25, -3, "-2"], [1.5, 4, "+62"], [-1, 0, "'-cmd"], [2, 1, "'=1+1"]], fast
