"""``python -m bot export --format xlsx|csv|sav --out PATH [--facility CODE] [--with-names] [--csv-dialect excel|plain]``.

XLSX writes one workbook. CSV writes one file per sheet: into a ZIP when PATH ends with ``.zip``, else into
the folder PATH; ``--csv-dialect excel`` (default) opens straight in Indonesian-locale Excel (UTF-8 with BOM,
``;``, decimal comma), ``plain`` gives ``,`` and a decimal point for scripts. SAV writes, per instrument, an
SPSS ``.sav`` (wide: one row per family) and an ``.sps`` syntax file, plus the codebook, into a ZIP or folder. Family codes replace names unless ``--with-names`` is given. Every export is written to
the audit log (who: "cli", when, which facility, how many rows).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.core.clock import SystemClock
from bot.core.config import settings_from_env
from bot.export import exporting
from content import get_content
from storage import audit, facilities
from storage.db import Database


def run(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    db = Database(settings.database_url)
    db.upgrade()
    out = Path(args.out)
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
            sheets = exporting.build_sheets(session, content, facility_id, with_names=args.with_names)
            if out.parent and not out.parent.exists():
                out.parent.mkdir(parents=True, exist_ok=True)
            zipped = out.suffix.lower() == ".zip"
            if args.format == "xlsx":
                counts = exporting.write_xlsx(sheets, out)
            elif args.format == "sav":
                from bot.export import spss as export_spss

                writer = export_spss.write_spss_zip if zipped else export_spss.write_spss_dir
                counts = writer(session, content, facility_id, out)
            elif zipped:
                counts = exporting.write_csv_zip(sheets, out, args.csv_dialect)
            else:
                counts = exporting.write_csv_dir(sheets, out, args.csv_dialect)
            rows = exporting.data_rows(counts)
            audit.record(session, action="export", now=SystemClock().now(), actor="cli", facility_id=facility_id,
                         rows=rows, detail={"format": args.format, "with_names": args.with_names and args.format != "sav",
                                            "sheets": counts, "out": out.name})
    except OSError as exc:
        print(f"error: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    finally:
        db.dispose()
    for name, n in counts.items():
        print(f"{name:<24} {n:>8} rows")
    print(f"wrote {out}" + (" (WITH NAMES: keep it safe)" if args.with_names else ""))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("export", help="export the study data (XLSX workbook, CSV files or SPSS .sav/.sps)")
    parser.add_argument("--format", choices=("xlsx", "csv", "sav"), default="xlsx",
                        help="xlsx (default), csv, or sav (SPSS .sav with its .sps syntax)")
    parser.add_argument("--out", required=True, metavar="PATH",
                        help="the .xlsx file; for csv and sav a .zip file or a folder")
    parser.add_argument("--csv-dialect", choices=exporting.CSV_DIALECTS, default=exporting.CSV_EXCEL,
                        help="excel (default): UTF-8 with BOM, ';' and decimal comma, as Indonesian Excel reads it; "
                             "plain: ',' and a decimal point, for scripts")
    parser.add_argument("--facility", metavar="CODE", help="only this facility (code or name); default all")
    parser.add_argument("--with-names", action="store_true", help="include names (pseudonymous codes only otherwise)")
    parser.set_defaults(func=run)
