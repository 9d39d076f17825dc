"""The study export: an XLSX workbook (XlsxWriter, constant_memory) or CSV files (a ZIP or a folder), streamed;
the SPSS files are bot/export/spss.py.

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

import codecs
import csv
import io
import itertools
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.export import prepost, schema
from bot.export.formulas import neutral, neutral_row
from bot.export.sheet import (  # noqa: F401 - re-exported: the sheet and its names are used as exporting.*
    ALERTS,
    ANSWERS,
    DICTIONARY,
    FAMILIES,
    MEMBERS,
    SESSIONS,
    SHEET_TITLES,
    Sheet,
    _text_or,
    dress,
)
from content import Content
from storage import exports

PREPOST_PREFIX = prepost.PREFIX

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


_FIXED = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Asia/Pontianak", "UTC")  # no daylight saving
_OFFSETS: dict[str | None, timedelta | None] = {}


def _offset(tz: str | None) -> timedelta | None:
    """The zone's fixed UTC offset (WIB, WITA, WIT), or None for a zone that has daylight saving."""
    if tz not in _OFFSETS:
        zone = _zone(tz)
        fixed = tz in _FIXED or tz is None or zone.key in _FIXED
        _OFFSETS[tz] = zone.utcoffset(datetime(2026, 1, 1)) if fixed else None
    return _OFFSETS[tz]


def _local(instant: datetime | None, tz: str | None) -> datetime | None:
    """An aware instant as the family's local wall-clock time (spreadsheets have no time zones)."""
    if instant is None:
        return None
    offset = _offset(tz)
    if offset is not None and instant.utcoffset() == _ZERO:  # the common case: one addition, one replace
        return instant.replace(tzinfo=None, microsecond=0) + offset
    return instant.astimezone(_zone(tz)).replace(tzinfo=None, microsecond=0)


_ZERO = timedelta(0)


def _local_text(instant: datetime | None, tz: str | None) -> str | None:
    """:func:`_local` as the text the database writes for the typed sheets (``YYYY-MM-DD HH:MM:SS``)."""
    local = _local(instant, tz)
    return None if local is None else local.isoformat(" ", "seconds")


def fixed_offsets(zones: Iterable[str | None]) -> dict[str, int] | None:
    """Zone name -> UTC offset in minutes when every zone has a fixed one (the database can then write the local
    times itself); None when one has daylight saving (or is missing) and Python must convert."""
    out: dict[str, int] = {}
    for tz in zones:
        offset = _offset(tz) if tz is not None else None
        if offset is None:
            return None
        out[tz] = int(offset.total_seconds()) // 60
    return out


def _flag(value: object) -> int | None:
    """Booleans as 1/0 (what SPSS expects)."""
    if value is None:
        return None
    return 1 if value else 0


# -- the sheets ------------------------------------------------------------------------------------

def _families(session: Session, facility_id: int | None, with_names: bool) -> Iterator[tuple]:
    for r in exports.families(session, facility_id, with_names=with_names):
        if r["status"] == "deleted":  # withdrawn after research consent: pseudonymous, no personal field
            yield withdrawn_row(r, with_names)
            continue
        row = (r["family"], r["facility"], r["protocol"], r["birth_date"], r["timezone"], r["status"],
               _flag(r["reminders_paused"]), _local(r["registered_at"], r["timezone"]), r["members"],
               r["sessions_done"], *study_columns(r), 0)
        yield (*row, r["mother_name"]) if with_names else row


def withdrawn_row(r, with_names: bool) -> tuple:
    """A family that used /hapus after research consent: its code, facility, protocol and version, status,
    sessions and consent (study data kept), and nothing personal (no dates, time zone, Table 1 or name)."""
    row = (r["family"], r["facility"], r["protocol"], None, None, r["status"], None, None, 0, r["sessions_done"],
           None, None, None, None, None, None, r["protocol_version"] or 1, _flag(r["consent_research"]), 1)
    return (*row, None) if with_names else row


STUDY_FAMILY_COLUMNS = ["birth_time", "mother_age", "parity", "education", "work", "birth_mode", "protocol_version",
                        "consent_research"]  # issue 14: codes; their labels are in the dictionary


def study_columns(r) -> tuple:
    return (r["birth_time"], r["mother_age"], r["parity"], r["education"], r["work"], r["birth_mode"],
            r["protocol_version"] or 1, _flag(r["consent_research"]))


def _members(session: Session, facility_id: int | None, with_names: bool) -> Iterator[tuple]:
    for _, group in itertools.groupby(exports.members(session, facility_id, with_names=with_names),
                                      key=lambda r: r["family"]):
        for number, r in enumerate(group, start=1):
            row = (r["family"], f"{r['family']}-{number}", r["role"], _flag(r["active"]),
                   _local(r["joined_at"], r["timezone"]), _flag(r["reachable"]), _flag(r["consent_research"]))
            yield (*row, r["name"]) if with_names else row


def _sessions(session: Session, facility_id: int | None) -> Iterator[tuple]:
    """Typed rows (see :class:`Sheet`): from the database as they are, or converted here when a zone has
    daylight saving."""
    offsets = fixed_offsets(exports.timezones(session, facility_id))
    if offsets is not None:
        yield from exports.session_rows(session, facility_id, offsets)
        return
    for r in exports.sessions(session, facility_id):
        tz = r["timezone"]
        yield (r["family"], r["performer_role"], r["protocol"], r["day"], _local_text(r["started_at"], tz),
               _local_text(r["ended_at"], tz), r["duration_seconds"], r["status"], r["stop_reason"],
               r["step_reached"], _flag(r["confirmed_by_mother_at"] is not None),
               _flag(r["denied_by_mother_at"] is not None))


def _answers(session: Session, facility_id: int | None) -> Iterator[tuple]:
    """Typed rows, like :func:`_sessions`."""
    offsets = fixed_offsets(exports.timezones(session, facility_id))
    if offsets is not None:
        yield from exports.answer_rows(session, facility_id, offsets)
        return
    for r in exports.answers(session, facility_id):
        tz = r["timezone"]
        yield (r["family"], r["instrument"], r["version"], r["occasion"], r["item"], r["raw_value"], r["value_num"],
               r["score"], _local_text(r["answered_at"], tz), r["via"], r["answered_by_role"],
               r["window"], _flag(r["completed"]))


ALERT_COLUMNS = ["family", "episode", "sign", "source", "raised_at", "repeats", "step", "coordinator_told", "events",
                 "handled", "handled_at", "minutes_to_ack", "closed_reason"]
ALERT_NAME_COLUMNS = ["handled_by_name", "words", "reply"]  # personal: only in the export with names


def _alerts(session: Session, facility_id: int | None, with_names: bool) -> Iterator[tuple]:
    for r in exports.alerts(session, facility_id, with_names=with_names):
        tz = r["timezone"]
        handled = r["handled"]
        minutes = (round((r["handled_at"] - r["raised_at"]).total_seconds() / 60, 1)
                   if handled and r["handled_at"] is not None else None)
        row = (r["family"], r["episode"], r["sign"], r["source"], _local(r["raised_at"], tz), r["repeats"], r["step"],
               _flag(r["coordinator_told"]), r["events"], _flag(handled), _local(r["handled_at"], tz), minutes,
               r["closed_reason"])
        yield (*row, r["handled_by_name"], r["words"], r["reply"]) if with_names else row


QUESTIONS = "questions"
QUESTION_COLUMNS = ["family", "asked_at", "answered", "answered_at", "minutes_to_answer", "replies", "reminders"]
QUESTION_NAME_COLUMNS = ["question", "answered_by_name", "thread"]


def questions_sheet(session: Session, content: Content, facility_id: int | None, *, with_names: bool) -> Sheet:
    """"Tanya bidan": when each question was asked and answered, how fast; its words and the midwives' names
    (the thread) only in the export with names."""
    columns = QUESTION_COLUMNS + (QUESTION_NAME_COLUMNS if with_names else [])
    kinds = {"family": schema.Column("family", schema.TEXT, width=12),
             "asked_at": schema.Column("asked_at", schema.DATETIME),
             "answered": schema.Column("answered", schema.FLAG, values="yesno"),
             "answered_at": schema.Column("answered_at", schema.DATETIME),
             "minutes_to_answer": schema.Column("minutes_to_answer", schema.NUMBER, measure=schema.SCALE, unit="menit"),
             "replies": schema.Column("replies", schema.INT, measure=schema.SCALE),
             "reminders": schema.Column("reminders", schema.INT, measure=schema.SCALE)}
    sheet = Sheet(QUESTIONS, columns, _questions(session, facility_id, with_names),
                  lambda column: content.text(f"desk.export_column_{column}"), content.text("desk.export_sheet"),
                  title=content.text("desk.export_sheet_title"),
                  headers=[content.text(f"desk.export_header_{c}") for c in columns])
    return dress(sheet, content, [kinds.get(c) or schema.Column(c, schema.TEXT, width=40) for c in columns])


def _questions(session: Session, facility_id: int | None, with_names: bool) -> Iterator[tuple]:
    from storage import questions as question_store
    from storage import staff as staff_store

    for q, fam in question_store.rows_for_export(session, facility_id):
        tz = fam.timezone
        replies = [r for r in question_store.replies_for_family(session, fam.id) if r.question_id == q.id]
        minutes = round((q.answered_at - q.asked_at).total_seconds() / 60, 1) if q.answered_at else None
        row = (fam.code, _local(q.asked_at, tz), _flag(q.answered_at is not None), _local(q.answered_at, tz),
               minutes, len(replies), q.reminders)
        if not with_names:
            yield row
            continue

        def name(user_id: int | None, facility_id: int | None = fam.facility_id) -> str:
            return (staff_store.name_in_facility(session, user_id, facility_id) if user_id else None) or ""

        thread = "\n".join(f"{_local(r.sent_at, tz):%Y-%m-%d %H:%M} {name(r.staff_user_id)}: {r.text}" for r in replies)
        yield (*row, q.text, name(q.answered_by), thread)


CODEBOOK_COLUMNS = ["sheet", "column", "header", "description", "type", "unit", "measure", "allowed_values",
                    "scoring", "origin", "belongs_to"]


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
                                       "reminders_paused", "registered_at", "members", "sessions_done",
                                       *STUDY_FAMILY_COLUMNS, "withdrawn"],
                                      "mother_name"),
                      _families(session, facility_id, with_names), describer(FAMILIES), about(FAMILIES)),
        lambda: Sheet(MEMBERS, named(["family", "member", "role", "active", "joined_at", "reachable",
                                      "consent_research"], "name"),
                      _members(session, facility_id, with_names), describer(MEMBERS), about(MEMBERS)),
        lambda: Sheet(SESSIONS, ["family", "performer_role", "protocol", "day", "started_at", "ended_at",
                                 "duration_seconds", "status", "stop_reason", "step_reached", "confirmed_by_mother",
                                 "denied_by_mother"],
                      _sessions(session, facility_id), describer(SESSIONS), about(SESSIONS), typed=True),
        lambda: Sheet(ANSWERS, ["family", "instrument", "version", "occasion", "item", "raw_value", "value_num",
                                "score", "answered_at", "via", "answered_by_role", "window", "measurement_completed"],
                      _answers(session, facility_id), describer(ANSWERS), about(ANSWERS), typed=True),
    ]
    for build in sheets:
        sheet = dress(build(), content)
        shown.append(sheet)
        yield sheet

    for sheet in prepost.sheets(session, content, facility_id):
        shown.append(sheet)
        yield sheet

    alerts = dress(Sheet(ALERTS, ALERT_COLUMNS + (ALERT_NAME_COLUMNS if with_names else []),
                         _alerts(session, facility_id, with_names), describer(ALERTS), about(ALERTS)), content)
    shown.append(alerts)
    yield alerts

    questions = questions_sheet(session, content, facility_id, with_names=with_names)
    shown.append(questions)
    yield questions

    yield dress(Sheet(DICTIONARY, list(CODEBOOK_COLUMNS), codebook_rows(shown, content), about=about(DICTIONARY)),
                content)


def codebook_rows(shown: Sequence[Sheet], content: Content) -> Iterator[tuple]:
    """Every variable: sheet, column, header, description, type, unit, measurement level, allowed values with
    labels, scoring rule, origin (seed / derived / recorded by the bot) and the instrument version it belongs to."""
    t = content.text
    everywhere = t("export.codebook.all_protocols")
    for sheet in shown:
        yield (sheet.title or sheet.name, "", "", sheet.about, "", "", "", "", "", "", "")
        for index, column in enumerate(sheet.columns):
            spec = sheet.specs[index] if index < len(sheet.specs) else schema.Column(column)
            labels = sheet.value_labels[index] if index < len(sheet.value_labels) else None
            allowed = schema.describe_values(labels, numeric=True) if labels else ""
            yield (sheet.title or sheet.name, column, sheet.headers[index] if index < len(sheet.headers) else column,
                   sheet.describe(column) if sheet.describe else "", t(f"export.codebook.kind.{spec.kind}"),
                   spec.unit or "", t(f"export.codebook.measure.{spec.measure}"), allowed,
                   sheet.scoring.get(column, ""),
                   _origin(content, spec.source), sheet.belongs_to.get(column, everywhere))


def _origin(content: Content, source: str) -> str:
    parts = [p for p in source.split(",") if p]
    words = []
    for p in parts:
        if p == schema.SYSTEM:
            words.append(content.text("export.codebook.origin.system"))
        elif p == "derived":
            words.append(content.text("export.codebook.origin.derived"))
        else:
            words.append(p)
    return ", ".join(words)


# -- writers ---------------------------------------------------------------------------------------

CSV_EXCEL = "excel"  # Indonesian-locale Excel: UTF-8 with BOM, ";" between cells, decimal comma
CSV_PLAIN = "plain"  # for scripts: UTF-8, "," and a decimal point
CSV_DIALECTS = (CSV_EXCEL, CSV_PLAIN)


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


def export_bytes(session: Session, content: Content, facility_id: int | None, *, fmt: str = "xlsx",
                 with_names: bool = False, dialect: str = CSV_EXCEL, words: bool = False,
                 present: Callable[[Iterable[Sheet]], Iterable[Sheet]] | None = None) -> tuple[bytes, dict[str, int]]:
    """The whole export as bytes (an XLSX workbook, a ZIP of CSVs, or a ZIP of SPSS files) and the rows per sheet.
    ``present``: the presentation layer over the sheets (bot/export/present.py); ``words``: CSVs in words."""
    buffer = io.BytesIO()
    if fmt == "sav":
        from bot.export import spss

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
