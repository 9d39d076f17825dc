"""A small streaming XLSX writer for the study export: rows go straight into the ZIP, nothing is kept.

Why not openpyxl: its write-only mode spends about 0.1 ms per row of a dozen cells on a small server
(BENCHMARKS.md), so 10,000 families (~400,000 rows) took well over the 20 s a midwife should wait. This writer
produces the same kind of workbook (one sheet per table, a bold-free header row, numbers as numbers, dates
and times as real Excel dates in ``yyyy-mm-dd`` / ``yyyy-mm-dd h:mm:ss``) at a fraction of the cost; openpyxl,
LibreOffice, Excel and SPSS read it. Text goes in as inline strings, so no table of all strings is held.

Values: ``None`` (empty cell), ``bool`` (stored as 1/0, as SPSS expects), ``int``, ``float``, ``Decimal``,
``datetime`` (naive, local wall time), ``date``, anything else as text. Characters XML cannot hold are dropped.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EPOCH = datetime(1899, 12, 30)
_DATETIME_STYLE = 1
_DATE_STYLE = 2

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets>'
    "</workbook>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{sheets}'
    '<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'styles" Target="styles.xml"/></Relationships>'
)
_SHEET_REL = ('<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
              'relationships/worksheet" Target="worksheets/sheet{n}.xml"/>')
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd h:mm:ss"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str) -> str:
    value = escape(_ILLEGAL.sub("", value))
    if value[:1].isspace() or value[-1:].isspace():
        return f'<is><t xml:space="preserve">{value}</t></is>'
    return f"<is><t>{value}</t></is>"


def _serial(value: datetime) -> float:
    delta = value.replace(tzinfo=None) - _EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def _cell(ref: str, value: object) -> str:
    kind = type(value)
    if kind is str:
        return f'<c r="{ref}" t="inlineStr">{_text(value)}</c>'
    if kind is int:
        return f'<c r="{ref}"><v>{value}</v></c>'
    if kind is float:
        return f'<c r="{ref}"><v>{value!r}</v></c>' if math.isfinite(value) else ""
    if value is None:
        return ""
    if kind is bool:
        return f'<c r="{ref}"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        return f'<c r="{ref}" s="{_DATETIME_STYLE}"><v>{_serial(value)!r}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="{_DATE_STYLE}"><v>{(value - _EPOCH.date()).days}</v></c>'
    if isinstance(value, int | float | Decimal):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr">{_text(str(value))}</c>'


class Workbook:
    """``with Workbook(target) as wb: wb.add_sheet(name, header, rows)`` — each sheet streamed as it comes."""

    def __init__(self, target: str | Path | BinaryIO):
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._names: list[str] = []

    def add_sheet(self, name: str, header: Sequence[object], rows: Iterable[Sequence[object]]) -> int:
        """Write one sheet: the header row, then ``rows``. Returns the number of rows after the header."""
        n = len(self._names) + 1
        self._names.append(name[:31])
        letters = [column_letter(i) for i in range(len(header))]
        written = 0
        with self._zip.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as raw:
            buffer: list[str] = [_SHEET_HEAD]
            size = 0
            for number, row in enumerate(_with_header(header, rows), start=1):
                if len(row) > len(letters):
                    letters += [column_letter(i) for i in range(len(letters), len(row))]
                cells = "".join([_cell(f"{letters[i]}{number}", v) for i, v in enumerate(row)])
                line = f'<row r="{number}">{cells}</row>'
                buffer.append(line)
                size += len(line)
                if number > 1:
                    written += 1
                if size > 1 << 16:
                    raw.write("".join(buffer).encode())
                    buffer, size = [], 0
            buffer.append(_SHEET_TAIL)
            raw.write("".join(buffer).encode())
        return written

    def close(self) -> None:
        names = self._names or ["Sheet1"]
        if not self._names:  # a workbook needs a sheet
            self.add_sheet("Sheet1", [], [])
        count = range(1, len(names) + 1)
        zf = self._zip
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets="".join(_SHEET_TYPE.format(n=n)
                                                                                for n in count)))
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK.format(sheets="".join(
            f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
            for n, name in zip(count, names, strict=True))))
        zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(sheets="".join(_SHEET_REL.format(n=n)
                                                                                       for n in count)))
        zf.writestr("xl/styles.xml", _STYLES)
        zf.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _with_header(header: Sequence[object], rows: Iterable[Sequence[object]]) -> Iterable[Sequence[object]]:
    yield header
    yield from rows
