"""The streaming XLSX writer (bot/export/xlsx_stream.py): what openpyxl reads back is what was written."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from bot.export.xlsx_stream import Workbook, column_letter


def read(data: bytes) -> dict[str, list[tuple]]:
    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_values_keep_their_types():
    buffer = io.BytesIO()
    rows = [
        ("K0000001", 3, 2.5, None, True, datetime(2026, 11, 20, 7, 4, 5), date(2026, 11, 19), Decimal("1.25")),
        ("  spasi di depan", -7, float("nan"), 0, False, datetime(1999, 12, 31, 23, 59, 59), date(2000, 1, 1), 0.1),
    ]
    with Workbook(buffer) as wb:
        assert wb.add_sheet("answers", ["family", "n", "x", "empty", "flag", "at", "day", "d"], rows) == 2
    got = read(buffer.getvalue())["answers"]
    assert got[0] == ("family", "n", "x", "empty", "flag", "at", "day", "d")
    assert got[1] == ("K0000001", 3, 2.5, None, 1, datetime(2026, 11, 20, 7, 4, 5), datetime(2026, 11, 19), 1.25)
    assert got[2] == ("  spasi di depan", -7, None, 0, 0, datetime(1999, 12, 31, 23, 59, 59), datetime(2000, 1, 1),
                      0.1)


def test_text_is_escaped_and_unwritable_characters_dropped():
    buffer = io.BytesIO()
    text = 'Ibu & Bapak <Siti> "Budi" \u2013 bayi \U0001f476 sehat'
    with Workbook(buffer) as wb:
        wb.add_sheet("teks", ["isi"], [(text,), ("bel\x07ls\x00",), ("baris\nkedua",)])
    assert read(buffer.getvalue())["teks"] == [("isi",), (text,), ("bells",), ("baris\nkedua",)]


def test_many_sheets_long_names_and_wide_rows():
    buffer = io.BytesIO()
    wide = [f"c{i}" for i in range(60)]
    with Workbook(buffer) as wb:
        wb.add_sheet("prepost_oksitosin16_with_a_very_long_name", wide, [list(range(60))] * 3)
        wb.add_sheet('dict "kamus"', ["sheet"], [])
    sheets = read(buffer.getvalue())
    assert list(sheets) == ["prepost_oksitosin16_with_a_very", 'dict "kamus"']
    long = sheets["prepost_oksitosin16_with_a_very"]
    assert long[0] == tuple(wide) and long[1:] == [tuple(range(60))] * 3
    assert sheets['dict "kamus"'] == [("sheet",)]
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_rows_are_streamed_not_collected():
    def rows():
        for i in range(50_000):
            yield (f"K{i:07d}", i, i / 7)

    buffer = io.BytesIO()
    with Workbook(buffer) as wb:
        assert wb.add_sheet("big", ["family", "i", "x"], rows()) == 50_000
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as zf:
        assert zf.testzip() is None
        assert {"[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml", "xl/worksheets/sheet1.xml"} <= set(
            zf.namelist())
    ws = load_workbook(io.BytesIO(buffer.getvalue()), read_only=True)["big"]
    got = list(ws.iter_rows(values_only=True))
    assert len(got) == 50_001 and got[-1] == ("K0049999", 49_999, 49_999 / 7)
