"""The study export as CSV files (one per sheet, in a ZIP or a folder), in the Indonesian-Excel dialect (UTF-8 with
BOM, ";", decimal comma) or ``plain``; cells neutralised against formulas (bot/export/formulas.py)."""

from __future__ import annotations

import codecs
import csv
import itertools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

from bot.export import schema
from bot.export.formulas import neutral, neutral_row
from bot.export.sheet import Sheet

CSV_EXCEL = "excel"  # Indonesian-locale Excel: UTF-8 with BOM, ";" between cells, decimal comma
CSV_PLAIN = "plain"  # for scripts: UTF-8, "," and a decimal point
CSV_DIALECTS = (CSV_EXCEL, CSV_PLAIN)


def _csv_converter(sheet: Sheet, dialect: str) -> Callable[[Sequence[object]], Sequence[object]] | None:
    """A row function that formats only the columns that need it (numbers, dates); the rest pass as they are.
    None when no column needs it (a typed sheet without NUMBER columns)."""
    comma = dialect == CSV_EXCEL
    specs = sheet.specs or [schema.Column(c) for c in sheet.columns]
    if sheet.typed:
        return _typed_converter([i for i, s in enumerate(specs) if s.kind == schema.NUMBER], comma)
    numeric = [i for i, s in enumerate(specs) if s.kind in (schema.INT, schema.NUMBER, schema.FLAG)]
    dated = [i for i, s in enumerate(specs) if s.kind in (schema.DATE, schema.DATETIME)]
    loose = [i for i, s in enumerate(specs) if s.kind in (schema.TEXT, schema.CODE)]

    def number(v: object) -> object:
        kind = type(v)
        if kind is int:
            return v
        if kind is float:
            if v.is_integer():  # type: ignore[union-attr]
                return int(v)  # type: ignore[arg-type]
            return repr(v).replace(".", ",") if comma else repr(v)
        if kind is bool:
            return int(v)  # type: ignore[arg-type]
        return _csv_value(v)

    def convert(row: Sequence[object]) -> Sequence[object]:
        out = list(row)
        for i in numeric:
            v = out[i]
            if v is not None and type(v) is not int:
                out[i] = number(v)
        for i in dated:
            v = out[i]
            if v is not None:
                out[i] = v.isoformat(" ", "seconds") if type(v) is datetime and v.tzinfo is None else _csv_value(v)
        for i in loose:
            v = out[i]
            if v is not None and type(v) is not str:
                out[i] = number(v)
        return out

    return convert


def _float_text(v: float, comma: bool) -> object:
    if v.is_integer():
        return int(v)
    return repr(v).replace(".", ",") if comma else repr(v)


def _typed_converter(floats: Sequence[int], comma: bool) -> Callable[[Sequence[object]], Sequence[object]] | None:
    """For a typed sheet only the floats of its NUMBER columns change (3.0 -> 3, 2.5 -> "2,5")."""
    if not floats:
        return None
    if len(floats) == 1:
        i = floats[0]

        def one(row: Sequence[object]) -> Sequence[object]:
            v = row[i]
            if type(v) is not float:
                return row
            out = list(row)
            out[i] = _float_text(v, comma)  # type: ignore[arg-type]
            return out
        return one

    def some(row: Sequence[object]) -> Sequence[object]:
        out = list(row)
        for i in floats:
            if type(out[i]) is float:
                out[i] = _float_text(out[i], comma)  # type: ignore[arg-type]
        return out
    return some


CSV_CHUNK = 2000  # rows encoded and written at once


def _labeller(sheet: Sheet) -> Callable[[Sequence[object]], Sequence[object]] | None:
    """A row function showing each labelled column's codes as their labels (bot/export/present.py)."""
    specs = sheet.specs or [schema.Column(c) for c in sheet.columns]
    labelled = [(i, labels) for i, labels in enumerate(sheet.value_labels)
                if labels and i < len(specs) and specs[i].kind in (schema.CODE, schema.FLAG)]  # as the workbook
    if not labelled:
        return None

    def label(row: Sequence[object]) -> Sequence[object]:
        out = list(row)
        for i, labels in labelled:
            v = out[i] if i < len(out) else None
            if v is not None:
                shown = labels.get(v if type(v) is str else str(v))
                if shown is not None:
                    out[i] = shown
        return out
    return label


def _write_csv(sheet: Sheet, raw: BinaryIO, dialect: str = CSV_EXCEL, words: bool = False) -> int:
    """The sheet as one CSV; rows are formatted by the csv module into text chunks, each encoded at once.
    ``words``: Indonesian headers and labelled values (what a midwife opens); else the codes (for scripts)."""
    if dialect not in CSV_DIALECTS:
        raise ValueError(f"unknown CSV dialect {dialect!r}")
    excel = dialect == CSV_EXCEL
    parts: list[str] = []
    sink = _Sink(parts.append)
    writer = csv.writer(sink, delimiter=";" if excel else ",", lineterminator="\r\n" if excel else "\n")
    if excel:
        raw.write(codecs.BOM_UTF8)
    writer.writerow([neutral(c) for c in (sheet.headers if words and sheet.headers else sheet.columns)])
    convert = _csv_converter(sheet, dialect)
    # Formulas neutralised before numbers are formatted, so a number shown as text ("-2,5") stays a number.
    rows: Iterator[Sequence[object]] = map(neutral_row, sheet.rows)
    if convert is not None:
        rows = map(convert, rows)
    label = _labeller(sheet) if words else None
    if label is not None:
        rows = map(label, rows)
    n = 0
    while True:
        chunk = list(itertools.islice(rows, CSV_CHUNK))
        writer.writerows(chunk)
        n += len(chunk)
        raw.write("".join(parts).encode("utf-8"))
        parts.clear()
        if len(chunk) < CSV_CHUNK:
            return n


@dataclass
class _Sink:
    """What csv.writer writes into: each formatted row is appended to a list (no encoding per row)."""

    write: Callable[[str], object]


def _csv_value(value: object) -> object:
    kind = type(value)
    if kind is str or kind is int or kind is float:  # most cells: nothing to do
        return value
    if kind is bool:
        return int(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:  # local wall time (see _local): isoformat is several times faster than strftime
            return value.isoformat(" ", "seconds")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_name(sheet: Sheet, words: bool) -> str:
    """The file name of a sheet's CSV: its Indonesian title in words, its machine name for the codes."""
    if not words or not sheet.title:
        return f"{sheet.name}.csv"
    return re.sub(r"[^\w\- ]+", "", sheet.title).strip().replace(" ", "_") + ".csv"


def write_csv_zip(sheets: Iterable[Sheet], target: str | Path | BinaryIO, dialect: str = CSV_EXCEL,
                  words: bool = False) -> dict[str, int]:
    """One CSV per sheet in a ZIP file; ``dialect`` excel (default: BOM, ";", decimal comma) or plain.
    Returns the rows written per file name."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for sheet in sheets:
            with zf.open(csv_name(sheet, words), "w") as raw:
                sheet.written = counts[sheet.name] = _write_csv(sheet, raw, dialect, words)
    return counts


def write_csv_dir(sheets: Iterable[Sheet], directory: str | Path, dialect: str = CSV_EXCEL,
                  words: bool = False) -> dict[str, int]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for sheet in sheets:
        with open(directory / csv_name(sheet, words), "wb") as raw:
            sheet.written = counts[sheet.name] = _write_csv(sheet, raw, dialect, words)
    return counts

