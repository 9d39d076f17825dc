"""The report's tables written to an XLSX workbook (openpyxl): numbers stay numbers, shown with
SPSS's decimals through number formats; one sheet for the tables, one for the data."""

from __future__ import annotations

from pathlib import Path

from analysis.labels import Labels
from analysis.paired import PairedReport
from analysis.report import dropped_lines
from analysis.spssformat import P_FLOOR, spss_round
from analysis.tables import (
    DECIMALS,
    INT,
    MEAN,
    PERCENT,
    RANK,
    SCORE,
    SPREAD,
    STAT,
    TEXT,
    Cell,
    P,
    all_tables,
    decision_lines,
    warning_lines,
)

NUMBER_FORMATS = {INT: "0", MEAN: "0.00", SPREAD: "0.000", STAT: "0.000", P: "0.000", RANK: "0.00",
                  PERCENT: "0.0%", SCORE: "General"}
MAX_SHEET_NAME = 31


def cell_value(cell: Cell, sep: str) -> object:
    """The number SPSS would show (rounded half away from zero), so Excel holds no 0.9486832980505138."""
    v = cell.value
    if cell.kind == TEXT or v is None:
        return v
    if cell.kind == P and v < P_FLOOR:
        return "<" + f"{0.001:.3f}".replace(".", sep)
    if cell.kind in DECIMALS:
        return float(spss_round(v, DECIMALS[cell.kind]))
    if cell.kind == PERCENT:
        return float(spss_round(v, 3))
    return v


def write_xlsx(report: PairedReport, path: str | Path, labels: Labels) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = labels("xlsx.sheet_tables")[:MAX_SHEET_NAME]
    sep = labels("number.decimal_separator")

    ws.append([labels("title")])
    ws.freeze_panes = "A2"
    ws.cell(ws.max_row, 1).font = Font(bold=True, size=13)
    ws.append([labels("summary.n", n=report.n)])
    for line in dropped_lines(report, labels):
        ws.append([line])

    for table in all_tables(report, labels):
        ws.append([])
        ws.append([table.title])
        ws.cell(ws.max_row, 1).font = bold
        ws.append(table.columns)
        for col in range(1, len(table.columns) + 1):
            ws.cell(ws.max_row, col).font = bold
        for row in table.rows:
            ws.append([cell_value(cell, sep) if cell.kind != TEXT else (cell.value or None) for cell in row])
            for col, cell in enumerate(row, start=1):
                if cell.kind != TEXT and isinstance(ws.cell(ws.max_row, col).value, int | float):
                    ws.cell(ws.max_row, col).number_format = NUMBER_FORMATS[cell.kind]
                elif cell.kind != TEXT:
                    ws.cell(ws.max_row, col).value = labels("number.missing")
        for note in table.notes:
            ws.append([note])
            ws.cell(ws.max_row, 1).font = Font(italic=True)

    ws.append([])
    ws.append([labels("decision.title")])
    ws.cell(ws.max_row, 1).font = bold
    for line in decision_lines(report, labels, sep):
        ws.append([line])
    ws.append([])
    ws.append([labels("warnings.title")])
    ws.cell(ws.max_row, 1).font = bold
    for line in warning_lines(report, labels):
        ws.append([line])
    ws.column_dimensions["A"].width = 34
    for letter in "BCDEFGHIJ":
        ws.column_dimensions[letter].width = 14

    data = wb.create_sheet(labels("xlsx.sheet_data")[:MAX_SHEET_NAME])
    data.append([labels("xlsx.col_participant"), labels("variable.pre"), labels("variable.post"),
                 labels("variable.diff")])
    for col in range(1, 5):
        data.cell(1, col).font = bold
    for pair in report.pairs:
        data.append([pair.participant, pair.pre, pair.post, round(pair.post - pair.pre, 10)])
    data.column_dimensions["A"].width = 16
    for letter in "BCD":
        data.column_dimensions[letter].width = 14
    data.freeze_panes = "A2"

    path = Path(path)
    wb.save(path)
    return path
