"""The SPSS export: per protocol version a ``.sav`` (pyreadstat) in the wide layout the seeds analyse (one row per
family, the protocol's occasions side by side, bot/export/prepost.py) and an ``.sps`` syntax file that selects that
protocol version and runs its own paired tests, plus the codebook (``<protocol>_v<version>.sav`` / ``.sps``).

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

from bot.export import prepost, schema
from bot.export.csv_files import CSV_EXCEL, _write_csv
from bot.export.sheet import DICTIONARY, Sheet, dress
from bot.export.study_sheets import CODEBOOK_COLUMNS, codebook_rows
from bot.flows.instrument_scale import is_ordinal
from content import Content

MAX_LABEL = 250  # SPSS variable labels hold 256 bytes


def _frame(sheet: Sheet) -> tuple[dict[str, list], dict]:
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


def _label(sheet: Sheet, index: int) -> str:
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


def syntax(sheet: Sheet, sav_name: str, content: Content) -> str:
    """SPSS syntax for one protocol version's wide file: it keeps only that protocol version (``SELECT IF`` on the
    protocol variables), states the score's direction, and runs what the report computes on the protocol's own
    pairs (Explore, Wilcoxon, paired t, McNemar for a two-class instrument), with the multiple-testing note when
    the protocol has several pairs."""
    t = content.text
    lay = sheet.layout
    instrument = lay.instrument
    ordinal = is_ordinal(instrument)
    binary = len(instrument.classifications) == 2
    pres = " ".join(p.pre for p in lay.pairs)
    posts = " ".join(p.post for p in lay.pairs)
    variables = " ".join([*lay.occasions, *lay.diffs])
    better = t("export.spss.lower_better" if not instrument.higher_is_better else "export.spss.higher_better",
               instrumen=instrument.id, min=instrument.min_total, max=instrument.max_total)
    lines = [
        "* Encoding: UTF-8.",
        f"* {t('export.spss.header_protocol', protokol=lay.protocol.id, versi=lay.version, instrumen=instrument.id)}.",
        f"* {t('export.spss.how')}.",
        f"GET FILE='{sav_name}'.",
        f"DATASET NAME {sheet.name} WINDOW=FRONT.",
        "",
        f"* {t('export.spss.select', protokol=lay.protocol.id, versi=lay.version)}.",
        f"SELECT IF (protocol = '{lay.protocol.id}' AND protocol_version = {lay.version}).",
        "",
        f"* {better}.",
        f"* {t('export.spss.on_time')}.",
        "",
        f"* {t('export.spss.explore')}.",
        f"EXAMINE VARIABLES={variables}",
        "  /PLOT BOXPLOT NPPLOT",
        "  /STATISTICS DESCRIPTIVES",
        "  /CINTERVAL 95",
        "  /MISSING PAIRWISE",
        "  /NOTOTAL.",
    ]
    if not lay.pairs:  # a protocol without a before/after pair: descriptives only
        return "\r\n".join([*lines, "", f"* {t('export.spss.warning')}.", "EXECUTE.", ""])
    lines += [
        "",
        f"* {t('export.spss.wilcoxon')}.",
        "NPAR TESTS",
        f"  /WILCOXON={pres} WITH {posts} (PAIRED)",
        "  /STATISTICS DESCRIPTIVES QUARTILES",
        "  /MISSING ANALYSIS",
        "  /METHOD=EXACT TIMER(5).",
        "",
        f"* {t('export.spss.ttest_secondary' if ordinal else 'export.spss.ttest')}.",
        f"T-TEST PAIRS={pres} WITH {posts} (PAIRED)",
        "  /CRITERIA=CI(.9500)",
        "  /MISSING=ANALYSIS.",
    ]
    if binary:
        lines += [
            "",
            f"* {t('export.spss.mcnemar')}.",
            "NPAR TESTS",
            f"  /MCNEMAR={' '.join(p.pre + '_class' for p in lay.pairs)} WITH "
            f"{' '.join(p.post + '_class' for p in lay.pairs)} (PAIRED)",
            "  /MISSING ANALYSIS.",
        ]
    if len(lay.pairs) > 1:
        lines += ["", f"* {t('export.spss.multiple_testing', k=len(lay.pairs))}."]
    lines += ["", f"* {t('export.spss.warning')}.", "EXECUTE.", ""]
    return "\r\n".join(lines)


def spss_files(session: Session, content: Content, facility_id: int | None) -> tuple[list[tuple[str, bytes]],
                                                                                     dict[str, int]]:
    """(file name, bytes) of every .sav and .sps, and the codebook; rows per sheet."""
    import pandas as pd
    import pyreadstat

    files: list[tuple[str, bytes]] = []
    counts: dict[str, int] = {}
    shown: list[Sheet] = []
    with tempfile.TemporaryDirectory() as tmp:
        for sheet in prepost.sheets(session, content, facility_id):
            columns, meta = _frame(sheet)
            name = sheet.layout.file_stem
            path = Path(tmp) / f"{name}.sav"
            frame = pd.DataFrame(columns, columns=list(columns))
            pyreadstat.write_sav(frame, str(path), file_label=sheet.about[:64], **meta)
            files.append((path.name, path.read_bytes()))
            files.append((f"{name}.sps", syntax(sheet, path.name, content).encode("utf-8")))
            counts[sheet.name] = sheet.written
            sheet.rows = iter(())
            shown.append(sheet)
    book = dress(Sheet(DICTIONARY, list(CODEBOOK_COLUMNS), codebook_rows(shown, content),
                       about=content.text("export.sheets.dictionary")), content)
    buffer = io.BytesIO()
    counts[book.name] = _write_csv(book, buffer, CSV_EXCEL)
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
