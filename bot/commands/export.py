"""``python -m bot export --format xlsx|csv|sav --out PATH [--facility CODE] [--with-names] [--codes]
[--csv-dialect excel|plain] [--database-url URL]``.

XLSX writes one workbook: ``--out`` is that file (``.xlsx``; a name without an extension gets it). CSV and SAV
write several files: ``--out`` is a ``.zip`` file or a folder (a name without an extension). A name that says
something else (``--out out.csv`` for several CSV files, ``--out x.sav``) is refused with a message, so nothing
is ever written under a misleading name. The files are in words (Indonesian headers, codes shown as their labels:
bot/export/present.py) unless ``--codes`` (the stored codes, for scripts; the codebook explains them). CSV opens
straight in Indonesian-locale Excel with ``--csv-dialect excel`` (default: UTF-8 with BOM, ``;``, decimal comma);
``plain`` gives ``,`` and a decimal point. SAV writes, per instrument, an SPSS ``.sav`` (wide: one row per
family) and an ``.sps`` syntax file, plus the codebook. Family codes replace names unless ``--with-names`` is
given. Every export is written to the audit log (who: "cli", when, which facility, how many rows). What it prints
is what it wrote: each sheet (or file) as named in the output, with its rows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.core.clock import SystemClock
from bot.core.config import settings_from_env
from bot.export import csv_files, exporting, present
from content import get_content
from storage import audit, facilities
from storage.db import Database


def target(fmt: str, out: str) -> tuple[Path | None, str]:
    """(the path to write, "file" | "zip" | "folder"), or (None, the reason) for a misleading name."""
    path = Path(out)
    suffix = path.suffix.lower()
    if fmt == "xlsx":
        if path.is_dir():
            return None, f"--out {out} is a folder; the workbook is one file: give a name ending in .xlsx"
        if suffix == "":
            return path.with_suffix(".xlsx"), "file"
        if suffix != ".xlsx":
            return None, f"--out {out}: the workbook is one .xlsx file; give a name ending in .xlsx"
        return path, "file"
    if suffix == ".zip":
        return (None, f"--out {out} is a folder, not a .zip file") if path.is_dir() else (path, "zip")
    if path.exists() and not path.is_dir():
        return None, f"--out {out} is an existing file; {fmt} writes several files: give a .zip file or a folder"
    if suffix and not path.is_dir():
        return None, (f"--out {out}: {fmt} writes several files, so --out is a .zip file or a folder "
                      f"(a name without an extension), never a name ending in {suffix}")
    return path, "folder"


def run(args: argparse.Namespace) -> int:
    out, kind = target(args.format, args.out)
    if out is None:
        print(f"error: {kind}", file=sys.stderr)
        return 2
    settings = settings_from_env()
    db = Database(settings.database_url)
    db.upgrade()
    words = not args.codes
    try:
        with db.session() as session:
            facility_id = None
            if args.facility:
                facility = facilities.find(session, args.facility)
                if facility is None:
                    print(f"error: no facility {args.facility!r} (see: python -m bot midwife list)", file=sys.stderr)
                    return 2
                facility_id = facility.id
            content = get_content()
            names = facilities.names_by_code(session)
            sheets = exporting.build_sheets(session, content, facility_id, with_names=args.with_names)
            if words:
                sheets = present.in_words(sheets, content, facility_names=names)
            shown: list[exporting.Sheet] = []

            def keep(sheets=sheets):
                for sheet in sheets:
                    shown.append(sheet)
                    yield sheet

            if out.parent and not out.parent.exists():
                out.parent.mkdir(parents=True, exist_ok=True)
            if args.format == "xlsx":
                counts = exporting.write_xlsx(keep(), out)
            elif args.format == "sav":
                from bot.export import spss as export_spss

                writer = export_spss.write_spss_zip if kind == "zip" else export_spss.write_spss_dir
                counts = writer(session, content, facility_id, out)
            elif kind == "zip":
                counts = exporting.write_csv_zip(keep(), out, args.csv_dialect, words)
            else:
                counts = exporting.write_csv_dir(keep(), out, args.csv_dialect, words)
            rows = exporting.data_rows(counts)
            audit.record(session, action="export", now=SystemClock().now(), actor="cli", facility_id=facility_id,
                         rows=rows, detail={"format": args.format, "with_names": args.with_names and args.format != "sav",
                                            "sheets": counts, "out": out.name, **({"codes": True} if args.codes else {})})
    except OSError as exc:
        print(f"error: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    for name, n in _printed(args.format, shown, counts, words):
        print(f"{name:<32} {n:>8} rows")
    print(f"wrote {out}" + (" (WITH NAMES: keep it safe)" if args.with_names else ""))
    return 0


def _printed(fmt: str, shown: list[exporting.Sheet], counts: dict[str, int], words: bool) -> list[tuple[str, int]]:
    """Each sheet as the output names it: the workbook's tab, the CSV's file name, the SPSS file."""
    if fmt == "xlsx":
        return [(s.title or s.name, counts.get(s.name, 0)) for s in shown]
    if fmt == "csv":
        return [(csv_files.csv_name(s, words), counts.get(s.name, 0)) for s in shown]
    return list(counts.items())


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("export", help="export the study data (XLSX workbook, CSV files or SPSS .sav/.sps)")
    parser.add_argument("--format", choices=("xlsx", "csv", "sav"), default="xlsx",
                        help="xlsx (default), csv, or sav (SPSS .sav with its .sps syntax)")
    parser.add_argument("--out", required=True, metavar="PATH",
                        help="xlsx: the .xlsx file; csv and sav: a .zip file or a folder (a name without extension)")
    parser.add_argument("--csv-dialect", choices=exporting.CSV_DIALECTS, default=exporting.CSV_EXCEL,
                        help="excel (default): UTF-8 with BOM, ';' and decimal comma, as Indonesian Excel reads it; "
                             "plain: ',' and a decimal point, for scripts")
    parser.add_argument("--codes", action="store_true",
                        help="the stored codes and snake_case headers (for scripts); default: Indonesian words")
    parser.add_argument("--facility", metavar="CODE", help="only this facility (code or name); default all")
    parser.add_argument("--with-names", action="store_true", help="include names (pseudonymous codes only otherwise)")
    parser.add_argument("--database-url", metavar="URL", help="use this database instead of DATABASE_URL")
    parser.set_defaults(func=run)
