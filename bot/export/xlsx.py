"""The study export as an XLSX workbook (XlsxWriter, constant_memory): Indonesian headers and value labels, bold
frozen header rows, Excel dates; text cells neutralised against formulas (bot/export/formulas.py)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from bot.export import schema
from bot.export.formulas import neutral
from bot.export.sheet import Sheet


def write_xlsx(sheets: Iterable[Sheet], target: str | Path | BinaryIO, *, fast: bool = True) -> dict[str, int]:
    """One workbook (XlsxWriter, constant_memory: each row goes to disk as the next one starts).

    Indonesian tab names and bold, frozen headers; codes shown as their labels; dates and times as Excel
    dates in the family's local time. Returns the rows written per sheet (by machine name).
    """
    import xlsxwriter
    from xlsxwriter.utility import xl_col_to_name

    from bot.export import xlsx_rows

    fast = fast and xlsx_rows.SUPPORTED

    counts: dict[str, int] = {}
    wb = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    bold = wb.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    formats = {schema.DATE: wb.add_format({"num_format": "yyyy-mm-dd"}),
               schema.DATETIME: wb.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
               schema.NUMBER: wb.add_format({"num_format": "0.##"})}
    for fmt in (bold, *formats.values()):  # style numbers in a fixed order, whichever cells come first
        fmt._get_xf_index()
    used: set[str] = set()
    for sheet in sheets:
        headers = sheet.headers or sheet.columns
        specs = sheet.specs or [schema.Column(c) for c in sheet.columns]

        def new_page(part: int, sheet=sheet, headers=headers, specs=specs):
            title = sheet.title or sheet.name
            ws = wb.add_worksheet(_unique_title(title if part == 1 else f"{title[:26]} ({part})", used),
                                  worksheet_class=xlsx_rows.FastRowsWorksheet if fast else None)
            for col, (head, spec) in enumerate(zip(headers, specs, strict=False)):
                ws.set_column(col, col, schema.default_width(spec, head))
            ws.write_row(0, 0, headers, bold)
            ws.freeze_panes(1, 0)
            return ws, _cell_writers(ws, specs, sheet.value_labels, formats)

        part = 1
        ws, writers = new_page(part)
        encoders = _cell_encoders(specs, sheet.value_labels, formats) if fast else None
        letters = [xl_col_to_name(i) for i in range(len(headers) + 64)]
        n = r = 0
        for row in sheet.rows:
            r += 1
            if r >= EXCEL_MAX_ROWS:  # Excel holds 1,048,576 rows: go on in a second tab rather than lose rows
                part += 1
                ws, writers = new_page(part)
                r = 1
            if encoders is not None:
                number = str(r + 1)
                xml = "".join([encoders[c](letters[c] + number, value)
                               for c, value in enumerate(row) if value is not None])
                xlsx_rows.write_xml_row(ws, r, xml, 0, len(row) - 1)
            else:
                for c, value in enumerate(row):
                    if value is not None:
                        writers[c](r, c, value)
            n += 1
        sheet.written = counts[sheet.name] = n
    if not used:
        wb.add_worksheet()
    wb.close()
    return counts


EXCEL_MAX_ROWS = 1_048_576
_EXCEL_EPOCH = datetime(1899, 12, 30)


def _unique_title(title: str, used: set[str]) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, "_")
    base = title[:31] or "Sheet"
    candidate, k = base, 2
    while candidate.lower() in used:
        candidate = f"{base[:28]}_{k}"
        k += 1
    used.add(candidate.lower())
    return candidate


def _cell_writers(ws, specs: Sequence[schema.Column], value_labels: Sequence[dict | None], formats) -> list:
    """One function per column that writes a value into a cell, chosen once per sheet.

    XlsxWriter's ``_write_*`` methods are what its public ``write_*`` call after checking the arguments
    (done here once per column); dates go in as the Excel serial with a date format, as ``write_datetime``
    stores them.
    """
    raw_write_string = getattr(ws, "_write_string", ws.write_string)

    def write_string(r: int, c: int, v: str) -> None:  # every text cell of this path: formulas neutralised
        raw_write_string(r, c, neutral(v))

    write_number = getattr(ws, "_write_number", ws.write_number)
    datetime_format, date_format = formats[schema.DATETIME], formats[schema.DATE]
    number_format = formats[schema.NUMBER]

    def serial(v: datetime | date) -> float:
        if type(v) is date:
            return float((v - _EXCEL_EPOCH.date()).days)
        delta = v.replace(tzinfo=None) - _EXCEL_EPOCH  # type: ignore[union-attr]
        return delta.days + delta.seconds / 86400

    def any_value(r: int, c: int, v: object) -> None:
        kind = type(v)
        if kind is str:
            write_string(r, c, _clean(v))  # type: ignore[arg-type]
        elif kind is int or kind is float:
            if kind is float and not math.isfinite(v):  # type: ignore[arg-type]
                return
            write_number(r, c, v, None)
        elif kind is bool:
            write_number(r, c, int(v), None)  # type: ignore[arg-type]
        elif isinstance(v, datetime):
            write_number(r, c, serial(v), datetime_format)
        elif isinstance(v, date):
            write_number(r, c, serial(v), date_format)
        elif isinstance(v, int | float):
            write_number(r, c, float(v), None)  # type: ignore[arg-type]
        else:
            write_string(r, c, _clean(str(v)))

    def text(r: int, c: int, v: object) -> None:
        if type(v) is str:
            write_string(r, c, _clean(v))  # type: ignore[arg-type]
        else:
            any_value(r, c, v)

    out = []
    for index, spec in enumerate(specs):
        labels = value_labels[index] if index < len(value_labels) else None
        if labels and spec.kind in (schema.CODE, schema.FLAG):
            def labelled(r: int, c: int, v: object, labels=labels) -> None:
                shown = labels.get(v if type(v) is str else str(v))
                write_string(r, c, shown if shown is not None else _clean(str(v)))
            out.append(labelled)
        elif spec.kind == schema.DATETIME:
            def when(r: int, c: int, v: object) -> None:
                if type(v) is str:  # a typed sheet's local "YYYY-MM-DD HH:MM:SS"
                    v = datetime.fromisoformat(v)
                if type(v) is datetime:
                    delta = v - _EXCEL_EPOCH  # naive local wall time
                    write_number(r, c, delta.days + delta.seconds / 86400, datetime_format)
                else:
                    any_value(r, c, v)
            out.append(when)
        elif spec.kind == schema.NUMBER:
            out.append(lambda r, c, v: write_number(r, c, v, number_format) if type(v) is float
                       and math.isfinite(v) else any_value(r, c, v))
        elif spec.kind in (schema.TEXT, schema.CODE):
            out.append(text)
        else:
            out.append(any_value)
    out += [any_value] * 64  # rows wider than their header (never expected)
    return out


def _cell_encoders(specs: Sequence[schema.Column], value_labels: Sequence[dict | None], formats) -> list:
    """Per column: (cell reference, value) -> the cell's XML, exactly what :func:`_cell_writers` makes
    XlsxWriter write (bot/export/xlsx_rows.py)."""
    from bot.export.xlsx_rows import inline_cell, number_cell, style_attr

    dt_style, d_style, num_style = (style_attr(formats[k]) for k in (schema.DATETIME, schema.DATE, schema.NUMBER))

    def serial(v: datetime | date) -> float:
        if type(v) is date:
            return float((v - _EXCEL_EPOCH.date()).days)
        delta = v.replace(tzinfo=None) - _EXCEL_EPOCH  # type: ignore[union-attr]
        return delta.days + delta.seconds / 86400

    def any_value(ref: str, v: object) -> str:
        kind = type(v)
        if kind is str:
            return inline_cell(ref, "", _clean(v))  # type: ignore[arg-type]
        if kind is int or kind is float:
            return number_cell(ref, "", v) if kind is int or math.isfinite(v) else ""  # type: ignore[arg-type]
        if kind is bool:
            return number_cell(ref, "", int(v))  # type: ignore[arg-type]
        if isinstance(v, datetime):
            return number_cell(ref, dt_style, serial(v))
        if isinstance(v, date):
            return number_cell(ref, d_style, serial(v))
        if isinstance(v, int | float):
            return number_cell(ref, "", float(v))  # type: ignore[arg-type]
        return inline_cell(ref, "", _clean(str(v)))

    def text(ref: str, v: object) -> str:
        return inline_cell(ref, "", _clean(v)) if type(v) is str else any_value(ref, v)  # type: ignore[arg-type]

    def when(ref: str, v: object) -> str:
        if type(v) is str:  # a typed sheet's local "YYYY-MM-DD HH:MM:SS"
            v = datetime.fromisoformat(v)
        if type(v) is datetime:
            delta = v - _EXCEL_EPOCH  # type: ignore[operator]
            return number_cell(ref, dt_style, delta.days + delta.seconds / 86400)
        return any_value(ref, v)

    def decimal(ref: str, v: object) -> str:
        return number_cell(ref, num_style, v) if type(v) is float and math.isfinite(v) else any_value(ref, v)  # type: ignore[arg-type]

    out = []
    for index, spec in enumerate(specs):
        labels = value_labels[index] if index < len(value_labels) else None
        if labels and spec.kind in (schema.CODE, schema.FLAG):
            def labelled(ref: str, v: object, labels=labels) -> str:
                shown = labels.get(v if type(v) is str else str(v))
                return inline_cell(ref, "", shown if shown is not None else _clean(str(v)))
            out.append(labelled)
        elif spec.kind == schema.DATETIME:
            out.append(when)
        elif spec.kind == schema.NUMBER:
            out.append(decimal)
        elif spec.kind in (schema.TEXT, schema.CODE):
            out.append(text)
        else:
            out.append(any_value)
    out += [any_value] * 64  # rows wider than their header (never expected)
    return out


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _clean(text: str) -> str:
    """Characters XML cannot hold are dropped."""
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text
