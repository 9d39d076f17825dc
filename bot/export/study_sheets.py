"""The study export's sheets: rows read from storage (bot/export/exporting.py describes them) in the family's
local time, built lazily one after the other, and the codebook (the dictionary sheet) of every variable shown."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.export import prepost, schema
from bot.export.sheet import ALERTS, ANSWERS, DICTIONARY, FAMILIES, MEMBERS, SESSIONS, VITALS, Sheet, dress
from content import Content
from storage import exports
from storage import questions as question_store
from storage import staff as staff_store

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
                   _local(r["joined_at"], r["timezone"]), _flag(r["reachable"]), _flag(r["consent_research"]),
                   r["consent_version"] or "")
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


def _vitals(session: Session, facility_id: int | None) -> Iterator[tuple]:
    for r in exports.vitals(session, facility_id):
        yield (r["family"], _local(r["measured_at"], r["timezone"]), r["systolic"], r["diastolic"], r["pulse"],
               r["breathing"], _flag(r["normal"]), r["outside"] or "", _flag(r["massage_logged"]))


VITALS_COLUMNS = ["family", "measured_at", "systolic", "diastolic", "pulse", "breathing", "vitals_normal",
                  "outside_normal", "massage_logged"]


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
                                      "consent_research", "consent_version"], "name"),
                      _members(session, facility_id, with_names), describer(MEMBERS), about(MEMBERS)),
        lambda: Sheet(SESSIONS, ["family", "performer_role", "protocol", "day", "started_at", "ended_at",
                                 "duration_seconds", "status", "stop_reason", "step_reached", "confirmed_by_mother",
                                 "denied_by_mother"],
                      _sessions(session, facility_id), describer(SESSIONS), about(SESSIONS), typed=True),
        *([lambda: Sheet(VITALS, VITALS_COLUMNS, _vitals(session, facility_id), describer(VITALS), about(VITALS))]
          if exports.has_vitals(session, facility_id) else []),
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

