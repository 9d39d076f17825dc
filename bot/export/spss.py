"""The SPSS export: per instrument a ``.sav`` (pyreadstat) in the wide layout the seeds analyse (one row per
family, pre and post side by side) and an ``.sps`` syntax file that runs their paired tests, plus the codebook.

Variables carry their Indonesian label, value labels (codes become numbers 1, 2, ... with the code's label;
scores and 0/1 items stay themselves) and their measurement level (nominal / ordinal / scale) from
bot/export/schema.py. Missing values are system-missing.
"""

from __future__ import annotations

import io
import math
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from sqlmodel import Session

from bot.export import exporting, schema
from content import Content

MAX_LABEL = 250  # SPSS variable labels hold 256 bytes


def _frame(sheet: exporting.Sheet) -> tuple[dict[str, list], dict]:
    """The sheet's rows as columns for pyreadstat, and the metadata (labels, value labels, measures, formats)."""
    specs = sheet.specs
    numeric_codes: list[dict[str, int] | None] = []
    value_labels: dict[str, dict[float, str]] = {}
    for index, spec in enumerate(specs):
        labels = sheet.value_labels[index] if index < len(sheet.value_labels) else None
        if labels and spec.kind in (schema.CODE, schema.FLAG, schema.INT):
            codes = schema.spss_codes(labels) if spec.kind == schema.CODE else {k: int(k) for k in labels}
            numeric_codes.append(codes if spec.kind == schema.CODE else None)
            value_labels[spec.id] = {float(codes[c]): label for c, label in labels.items()}
        else:
            numeric_codes.append(None)
    columns: dict[str, list] = {spec.id: [] for spec in specs}
    strings = {spec.id for spec, codes in zip(specs, numeric_codes, strict=True)
               if spec.kind == schema.TEXT or (spec.kind == schema.CODE and codes is None)}
    rows = 0
    for row in sheet.rows:
        rows += 1
        for index, spec in enumerate(specs):
            value = row[index] if index < len(row) else None
            codes = numeric_codes[index]
            if spec.id in strings:
                columns[spec.id].append("" if value is None else str(value))
            elif codes is not None:
                if value is None:
                    columns[spec.id].append(math.nan)
                else:
                    code = str(value)
                    if code not in codes:  # a code this version has no label for: give it a number and itself
                        codes[code] = max(codes.values(), default=0) + 1
                        value_labels.setdefault(spec.id, {})[float(codes[code])] = code
                    columns[spec.id].append(float(codes[code]))
            else:
                columns[spec.id].append(math.nan if value is None else float(value))
    sheet.written = rows
    meta = {
        "column_labels": {s.id: _label(sheet, i) for i, s in enumerate(specs)},
        "variable_value_labels": value_labels,
        "variable_measure": {s.id: s.measure for s in specs},
        "variable_format": {s.id: _format(s, columns[s.id], s.id in strings) for s in specs},
    }
    return columns, meta


def _label(sheet: exporting.Sheet, index: int) -> str:
    column = sheet.columns[index]
    header = sheet.headers[index] if index < len(sheet.headers) else column
    description = sheet.describe(column) if sheet.describe else ""
    text = f"{header}: {description}" if description and description != header else header
    encoded = text.encode("utf-8")
    return text if len(encoded) <= MAX_LABEL else encoded[:MAX_LABEL].decode("utf-8", "ignore")


def _format(spec: schema.Column, values: Sequence, is_string: bool) -> str:
    if is_string:
        width = max([len(str(v).encode("utf-8")) for v in values] + [1])
        return f"A{width}"
    return "F8.2" if spec.kind == schema.NUMBER else "F8.0"


def syntax(sheet: exporting.Sheet, sav_name: str, content: Content) -> str:
    """SPSS syntax that opens the .sav and runs what the report computes (Explore, Wilcoxon, paired t, McNemar)."""
    from bot.flows.instrument_scale import is_ordinal

    t = content.text
    instrument = content.instruments.get(sheet.instrument or "")
    ordinal = instrument is None or is_ordinal(instrument)
    binary = instrument is not None and len(instrument.classifications) == 2
    lines = [
        "* Encoding: UTF-8.",
        f"* {t('export.spss.header', instrumen=sheet.instrument or '-')}.",
        f"* {t('export.spss.how')}.",
        f"GET FILE='{sav_name}'.",
        f"DATASET NAME {sheet.name} WINDOW=FRONT.",
        "",
        f"* {t('export.spss.explore')}.",
        "EXAMINE VARIABLES=pre post diff",
        "  /PLOT BOXPLOT NPPLOT",
        "  /STATISTICS DESCRIPTIVES",
        "  /CINTERVAL 95",
        "  /MISSING LISTWISE",
        "  /NOTOTAL.",
        "",
        f"* {t('export.spss.wilcoxon')}.",
        "NPAR TESTS",
        "  /WILCOXON=pre WITH post (PAIRED)",
        "  /STATISTICS DESCRIPTIVES QUARTILES",
        "  /MISSING ANALYSIS",
        "  /METHOD=EXACT TIMER(5).",
        "",
        f"* {t('export.spss.ttest_secondary' if ordinal else 'export.spss.ttest')}.",
        "T-TEST PAIRS=pre WITH post (PAIRED)",
        "  /CRITERIA=CI(.9500)",
        "  /MISSING=ANALYSIS.",
    ]
    if binary:
        lines += [
            "",
            f"* {t('export.spss.mcnemar')}.",
            "NPAR TESTS",
            "  /MCNEMAR=pre_class WITH post_class (PAIRED)",
            "  /MISSING ANALYSIS.",
        ]
    lines += ["", f"* {t('export.spss.warning')}.", "EXECUTE.", ""]
    return "\r\n".join(lines)


def spss_files(session: Session, content: Content, facility_id: int | None) -> tuple[list[tuple[str, bytes]],
                                                                                     dict[str, int]]:
    """(file name, bytes) of every .sav and .sps, and the codebook; rows per sheet."""
    import pandas as pd
    import pyreadstat

    files: list[tuple[str, bytes]] = []
    counts: dict[str, int] = {}
    shown: list[exporting.Sheet] = []
    with tempfile.TemporaryDirectory() as tmp:
        for sheet in exporting.prepost_sheets(session, content, facility_id):
            columns, meta = _frame(sheet)
            name = sheet.instrument or sheet.name
            path = Path(tmp) / f"{name}.sav"
            frame = pd.DataFrame(columns, columns=list(columns))
            pyreadstat.write_sav(frame, str(path), file_label=sheet.about[:64], **meta)
            files.append((path.name, path.read_bytes()))
            files.append((f"{name}.sps", syntax(sheet, path.name, content).encode("utf-8")))
            counts[sheet.name] = sheet.written
            sheet.rows = iter(())
            shown.append(sheet)
    book = exporting.dress(exporting.Sheet(exporting.DICTIONARY, list(exporting.CODEBOOK_COLUMNS),
                                           exporting.codebook_rows(shown, content),
                                           about=content.text("export.sheets.dictionary")), content)
    buffer = io.BytesIO()
    counts[book.name] = exporting._write_csv(book, buffer, exporting.CSV_EXCEL)
    files.append((f"{book.name}.csv", buffer.getvalue()))
    return files, counts


def write_spss_zip(session: Session, content: Content, facility_id: int | None,
                   target: str | Path | BinaryIO) -> dict[str, int]:
    files, counts = spss_files(session, content, facility_id)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files:
            zf.writestr(name, data)
    return counts


def write_spss_dir(session: Session, content: Content, facility_id: int | None, directory: str | Path) -> dict[str, int]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files, counts = spss_files(session, content, facility_id)
    for name, data in files:
        (directory / name).write_bytes(data)
    return counts
