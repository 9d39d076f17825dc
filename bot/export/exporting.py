"""The study export: an XLSX workbook (openpyxl write-only) or CSV files (a ZIP or a folder), streamed.

Sheets, in order: ``families``, ``members``, ``sessions``, ``answers`` (long form: one row per answer),
``prepost_<instrument>`` (wide form, one row per family, ready for SPSS and for ``analyze --csv``:
``participant,pre,post,pre_class,post_class`` plus item scores), ``alerts`` and ``dictionary`` (every
sheet and column explained in Indonesian).

Identifiers are pseudonymous: the family's stable code, a member number within the family; no Telegram
ids ever, names only with ``with_names``. Rows come from generators over server-side cursors and are
written as they arrive; nothing holds all rows at once.
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.export import xlsx_stream
from content import Content
from storage import exports

FAMILIES = "families"
MEMBERS = "members"
SESSIONS = "sessions"
ANSWERS = "answers"
ALERTS = "alerts"
DICTIONARY = "dictionary"
PREPOST_PREFIX = "prepost_"
OCCASION_ORDER = ("pre", "post")


@dataclass
class Sheet:
    """One table: its name, its column ids and a generator of rows (consumed once)."""

    name: str
    columns: list[str]
    rows: Iterable[Sequence[object]]
    describe: Callable[[str], str] | None = None  # column id -> Indonesian description
    about: str = ""  # what the sheet holds, in Indonesian (for the dictionary)
    written: int = field(default=0)


# -- values ----------------------------------------------------------------------------------------

_ZONES: dict[str, ZoneInfo] = {}


def _zone(name: str | None) -> ZoneInfo:
    name = name or "Asia/Jakarta"
    if name not in _ZONES:
        try:
            _ZONES[name] = ZoneInfo(name)
        except Exception:  # noqa: BLE001 - an unknown zone is shown in WIB
            _ZONES[name] = ZoneInfo("Asia/Jakarta")
    return _ZONES[name]


def _local(instant: datetime | None, tz: str | None) -> datetime | None:
    """An aware instant as the family's local wall-clock time (spreadsheets have no time zones)."""
    if instant is None:
        return None
    return instant.astimezone(_zone(tz)).replace(tzinfo=None, microsecond=0)


def _flag(value: object) -> int | None:
    """Booleans as 1/0 (what SPSS expects)."""
    if value is None:
        return None
    return 1 if value else 0


# -- the sheets ------------------------------------------------------------------------------------

def _families(session: Session, facility_id: int | None, with_names: bool) -> Iterator[tuple]:
    for r in exports.families(session, facility_id, with_names=with_names):
        row = (r["family"], r["facility"], r["protocol"], r["birth_date"], r["timezone"], r["status"],
               _flag(r["reminders_paused"]), _local(r["registered_at"], r["timezone"]), r["members"],
               r["sessions_done"])
        yield (*row, r["mother_name"]) if with_names else row


def _members(session: Session, facility_id: int | None, with_names: bool) -> Iterator[tuple]:
    for _, group in itertools.groupby(exports.members(session, facility_id, with_names=with_names),
                                      key=lambda r: r["family"]):
        for number, r in enumerate(group, start=1):
            row = (r["family"], f"{r['family']}-{number}", r["role"], _flag(r["active"]),
                   _local(r["joined_at"], r["timezone"]), _flag(r["reachable"]), _flag(r["consent_research"]))
            yield (*row, r["name"]) if with_names else row


def _sessions(session: Session, facility_id: int | None) -> Iterator[tuple]:
    for r in exports.sessions(session, facility_id):
        tz = r["timezone"]
        yield (r["family"], r["performer_role"], r["protocol"], r["day"], _local(r["started_at"], tz),
               _local(r["ended_at"], tz), r["duration_seconds"], r["status"], r["stop_reason"], r["step_reached"],
               _flag(r["confirmed_by_mother_at"] is not None))


def _answers(session: Session, facility_id: int | None) -> Iterator[tuple]:
    for r in exports.answers(session, facility_id):
        tz = r["timezone"]
        yield (r["family"], r["instrument"], r["version"], r["occasion"], r["item"], r["raw_value"], r["value_num"],
               r["score"], _local(r["answered_at"], tz), r["via"], r["answered_by_role"],
               _flag(r["completed"]))


def _alerts(session: Session, facility_id: int | None, with_names: bool) -> Iterator[tuple]:
    for r in exports.alerts(session, facility_id, with_names=with_names):
        tz = r["timezone"]
        row = (r["family"], r["sign"], r["source"], _local(r["raised_at"], tz), r["repeats"], _flag(r["handled"]),
               _local(r["handled_at"], tz))
        yield (*row, r["handled_by_name"]) if with_names else row


def occasion_key(occasion: str) -> tuple[int, str]:
    return (OCCASION_ORDER.index(occasion), occasion) if occasion in OCCASION_ORDER else (len(OCCASION_ORDER), occasion)


def prepost_columns(item_ids: Sequence[str], occasions: Sequence[str]) -> list[str]:
    cols = ["participant", "facility", "protocol"]
    cols += list(occasions)
    if "pre" in occasions and "post" in occasions:
        cols.append("diff")
    cols += [f"{o}_class" for o in occasions]
    cols += [f"{o}_{item}" for o in occasions for item in item_ids]
    return cols


def _prepost(session: Session, instrument_id: str, item_ids: Sequence[str], occasions: Sequence[str],
             facility_id: int | None) -> Iterator[tuple]:
    rows = exports.completed_measurements(session, instrument_id, facility_id, with_items=True)
    for _, family_rows in itertools.groupby(rows, key=lambda r: r["family_id"]):
        latest: dict[str, dict] = {}  # occasion -> the family's latest measurement of it
        items: dict[int, dict[str, int]] = {}  # measurement id -> item scores
        first = None
        for r in family_rows:
            first = first or r
            latest[r["occasion"]] = r
            if r["item"] is not None:
                items.setdefault(r["measurement_id"], {})[r["item"]] = r["item_score"]
        assert first is not None
        scores = [latest[o]["score"] if o in latest else None for o in occasions]
        row: list[object] = [first["family"], first["facility"], first["protocol"], *scores]
        if "pre" in occasions and "post" in occasions:
            pre, post = scores[occasions.index("pre")], scores[occasions.index("post")]
            row.append(post - pre if pre is not None and post is not None else None)
        row += [latest[o]["class_key"] if o in latest else None for o in occasions]
        for o in occasions:
            chosen = items.get(latest[o]["measurement_id"], {}) if o in latest else {}
            row += [chosen.get(item) for item in item_ids]
        yield tuple(row)


def build_sheets(session: Session, content: Content, facility_id: int | None, *,
                 with_names: bool = False) -> Iterator[Sheet]:
    """The export's sheets, built lazily one after the other (the dictionary last)."""
    t = content.text
    shown: list[Sheet] = []

    def describer(sheet: str) -> Callable[[str], str]:
        return lambda column: t(f"export.columns.{sheet}.{column}")

    def about(sheet: str) -> str:
        return t(f"export.sheets.{sheet}")

    def named(cols: list[str], extra: str) -> list[str]:
        return [*cols, extra] if with_names else cols

    sheets = [
        lambda: Sheet(FAMILIES, named(["family", "facility", "protocol", "birth_date", "timezone", "status",
                                       "reminders_paused", "registered_at", "members", "sessions_done"],
                                      "mother_name"),
                      _families(session, facility_id, with_names), describer(FAMILIES), about(FAMILIES)),
        lambda: Sheet(MEMBERS, named(["family", "member", "role", "active", "joined_at", "reachable",
                                      "consent_research"], "name"),
                      _members(session, facility_id, with_names), describer(MEMBERS), about(MEMBERS)),
        lambda: Sheet(SESSIONS, ["family", "performer_role", "protocol", "day", "started_at", "ended_at",
                                 "duration_seconds", "status", "stop_reason", "step_reached", "confirmed_by_mother"],
                      _sessions(session, facility_id), describer(SESSIONS), about(SESSIONS)),
        lambda: Sheet(ANSWERS, ["family", "instrument", "version", "occasion", "item", "raw_value", "value_num",
                                "score", "answered_at", "via", "answered_by_role", "measurement_completed"],
                      _answers(session, facility_id), describer(ANSWERS), about(ANSWERS)),
    ]
    for build in sheets:
        sheet = build()
        shown.append(sheet)
        yield sheet

    for instrument_id in exports.instruments_used(session, facility_id):
        instrument = content.instruments.get(instrument_id)
        item_ids = [i.id for i in instrument.items] if instrument else []
        occasions = sorted(set(exports.occasions_used(session, instrument_id, facility_id)) | set(OCCASION_ORDER),
                           key=occasion_key)
        texts = {i.id: i.text for i in instrument.items} if instrument else {}

        def describe(column: str, occasions=occasions, texts=texts) -> str:
            for o in occasions:
                if column.startswith(f"{o}_") and column[len(o) + 1:] in texts:
                    return t("export.columns.prepost.item", waktu=o, butir=texts[column[len(o) + 1:]])
            if column in occasions:
                return t("export.columns.prepost.score", waktu=column)
            if column.endswith("_class") and column[: -len("_class")] in occasions:
                return t("export.columns.prepost.class", waktu=column[: -len("_class")])
            return t(f"export.columns.prepost.{column}")

        sheet = Sheet(f"{PREPOST_PREFIX}{instrument_id}"[:31], prepost_columns(item_ids, occasions),
                      _prepost(session, instrument_id, item_ids, occasions, facility_id), describe,
                      t("export.sheets.prepost", instrumen=instrument.title if instrument else instrument_id))
        shown.append(sheet)
        yield sheet

    alerts = Sheet(ALERTS, named(["family", "sign", "source", "raised_at", "repeats", "handled", "handled_at"],
                                 "handled_by_name"),
                   _alerts(session, facility_id, with_names), describer(ALERTS), about(ALERTS))
    shown.append(alerts)
    yield alerts

    def dictionary_rows() -> Iterator[tuple]:
        for sheet in shown:
            yield (sheet.name, "", sheet.about)
            for column in sheet.columns:
                yield (sheet.name, column, sheet.describe(column) if sheet.describe else "")

    yield Sheet(DICTIONARY, ["sheet", "column", "description"], dictionary_rows(), about=about(DICTIONARY))


# -- writers ---------------------------------------------------------------------------------------

def write_xlsx(sheets: Iterable[Sheet], target: str | Path | BinaryIO) -> dict[str, int]:
    """Write the sheets into one workbook, streamed row by row (bot/export/xlsx_stream.py). Returns rows per sheet."""
    counts: dict[str, int] = {}
    with xlsx_stream.Workbook(target) as wb:
        for sheet in sheets:
            sheet.written = counts[sheet.name] = wb.add_sheet(sheet.name, sheet.columns, sheet.rows)
    return counts


def _write_csv(sheet: Sheet, raw: BinaryIO) -> int:
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(sheet.columns)
    n = 0
    for row in sheet.rows:
        writer.writerow(["" if v is None else _csv_value(v) for v in row])
        n += 1
    text.flush()
    text.detach()
    return n


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


def write_csv_zip(sheets: Iterable[Sheet], target: str | Path | BinaryIO) -> dict[str, int]:
    """One CSV per sheet (UTF-8 with BOM, so Excel reads it) in a ZIP file."""
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for sheet in sheets:
            with zf.open(f"{sheet.name}.csv", "w") as raw:
                sheet.written = counts[sheet.name] = _write_csv(sheet, raw)
    return counts


def write_csv_dir(sheets: Iterable[Sheet], directory: str | Path) -> dict[str, int]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for sheet in sheets:
        with open(directory / f"{sheet.name}.csv", "wb") as raw:
            sheet.written = counts[sheet.name] = _write_csv(sheet, raw)
    return counts


def export_bytes(session: Session, content: Content, facility_id: int | None, *, fmt: str = "xlsx",
                 with_names: bool = False) -> tuple[bytes, dict[str, int]]:
    """The whole export as bytes (an XLSX workbook, or a ZIP of CSVs) and the rows per sheet."""
    buffer = io.BytesIO()
    sheets = build_sheets(session, content, facility_id, with_names=with_names)
    counts = write_xlsx(sheets, buffer) if fmt == "xlsx" else write_csv_zip(sheets, buffer)
    return buffer.getvalue(), counts


def data_rows(counts: dict[str, int]) -> int:
    """Rows of data exported (the dictionary is not data)."""
    return sum(n for name, n in counts.items() if name != DICTIONARY)
