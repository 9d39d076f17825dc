"""The study export: an XLSX workbook (XlsxWriter, constant_memory) or CSV files (a ZIP or a folder), streamed;
the SPSS files are bot/export/spss.py. The sheets are built in bot/export/study_sheets.py and written by
bot/export/xlsx.py or bot/export/csv_files.py; this module puts them together.

Sheets, in order (machine name / workbook tab): ``families`` / Keluarga, ``members`` / Anggota keluarga,
``sessions`` / Sesi pijat, ``answers`` / Jawaban ceklis (long form: one row per answer),
``prepost_<protocol>_v<version>`` / Pre-post <protocol> v<version> (wide form, one per protocol version, one row
per research-consenting family, the protocol's own occasions with their window status, on-time scores only:
bot/export/prepost.py; ready for SPSS and for ``analyze --csv``), ``alerts`` / Tanda bahaya
and ``dictionary`` / Kamus data (the codebook: every variable with its label, type, unit, values with labels,
scoring rule, source and instrument version).

Every column is declared once in bot/export/schema.py. The workbook shows Indonesian headers and value labels,
bold frozen header rows and Excel dates in the family's local time; the CSV keeps the snake_case names and the
codes (explained in the codebook), in the Indonesian-Excel dialect by default (UTF-8 with BOM, ``;``, decimal
comma) or ``plain``.

A family that used /hapus after research consent stays in ``families``, ``sessions``, ``answers`` and the wide
sheets as a pseudonymous row marked ``withdrawn`` (no personal field), so every file counts the flow's families.

Identifiers are pseudonymous: the family's stable code, a member number within the family; no Telegram
ids ever, names only with ``with_names``. Rows come from generators over server-side cursors and are
written as they arrive; nothing holds all rows at once.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable

from sqlmodel import Session

from bot.export import spss
from bot.export.csv_files import CSV_DIALECTS, CSV_EXCEL, CSV_PLAIN, write_csv_dir, write_csv_zip  # noqa: F401
from bot.export.sheet import (  # noqa: F401 - re-exported: the sheet and its names are used as exporting.*
    ALERTS,
    ANSWERS,
    DICTIONARY,
    FAMILIES,
    MEMBERS,
    SESSIONS,
    SHEET_TITLES,
    Sheet,
    dress,
)
from bot.export.study_sheets import build_sheets  # noqa: F401 - re-exported: many callers use exporting.*
from bot.export.xlsx import write_xlsx  # noqa: F401 - re-exported: many callers use exporting.*
from content import Content


def export_bytes(session: Session, content: Content, facility_id: int | None, *, fmt: str = "xlsx",
                 with_names: bool = False, dialect: str = CSV_EXCEL, words: bool = False,
                 present: Callable[[Iterable[Sheet]], Iterable[Sheet]] | None = None) -> tuple[bytes, dict[str, int]]:
    """The whole export as bytes (an XLSX workbook, a ZIP of CSVs, or a ZIP of SPSS files) and the rows per sheet.
    ``present``: the presentation layer over the sheets (bot/export/present.py); ``words``: CSVs in words."""
    buffer = io.BytesIO()
    if fmt == "sav":
        counts = spss.write_spss_zip(session, content, facility_id, buffer)
        return buffer.getvalue(), counts
    sheets: Iterable[Sheet] = build_sheets(session, content, facility_id, with_names=with_names)
    if present is not None:
        sheets = present(sheets)
    counts = write_xlsx(sheets, buffer) if fmt == "xlsx" else write_csv_zip(sheets, buffer, dialect, words)
    return buffer.getvalue(), counts


def data_rows(counts: dict[str, int]) -> int:
    """Rows of data exported (the dictionary is not data)."""
    return sum(n for name, n in counts.items() if name != DICTIONARY)
