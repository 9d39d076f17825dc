"""What every exported column is: one declarative entry per column, read by every writer.

A :class:`Column` names its machine id (snake_case: the CSV header and the SPSS variable name), its kind,
its value set, its measurement level, unit and source. The Indonesian header, description and value labels
live in ``content/texts/export.yaml``:

- ``export.headers.<column>`` -- the short header of the XLSX sheet (and the SPSS variable label's start);
- ``export.columns.<sheet>.<column>`` -- the codebook's description;
- ``export.values.<set>.<code>`` -- a value label (static sets); dynamic sets (classes, danger signs,
  instruments, protocols) come from the content itself (:func:`value_labels`).

Adding a column with labels is one entry in :data:`COLUMNS` (plus its texts), e.g. issue 14's::

    "protocol_version": Column("protocol_version", INT, measure=NOMINAL),
    "window_status": Column("window_status", CODE, values="window_status"),   # + export.values.window_status.*

Codes stay in the CSV and in the codebook; the XLSX shows the labels; the SPSS file stores numbers with
value labels (:func:`spss_codes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from bot.flows.answers import NO, YES
from content import Content
from storage.alerts import COORDINATOR_STEP, FAMILY_STEP, MAX_REPEATS

# kinds
TEXT = "text"  # free text or an identifier
CODE = "code"  # one of a value set's codes (a string)
INT = "int"
NUMBER = "number"  # may have decimals
FLAG = "flag"  # 1 / 0
DATE = "date"
DATETIME = "datetime"  # local wall-clock time of the family

# measurement levels (SPSS)
NOMINAL = "nominal"
ORDINAL = "ordinal"
SCALE = "scale"

SYSTEM = "system"  # recorded by the bot itself


@dataclass(frozen=True)
class Column:
    id: str
    kind: str = TEXT
    values: str | None = None  # value set id (CODE and FLAG columns)
    measure: str = NOMINAL
    unit: str | None = None
    source: str = SYSTEM
    width: int | None = None  # XLSX column width; None = from the kind and header

    def with_(self, **changes) -> Column:
        return replace(self, **changes)


def _c(*args, **kwargs) -> Column:
    return Column(*args, **kwargs)


# Every column of the fixed sheets, by id (the same id means the same thing on every sheet).
COLUMNS: dict[str, Column] = {c.id: c for c in (
    _c("family", TEXT, width=12),
    _c("facility", TEXT, width=10),
    _c("protocol", CODE, values="protocol", width=12),
    _c("birth_date", DATE),
    _c("timezone", TEXT, width=16),
    _c("status", CODE, values="family_status"),
    _c("reminders_paused", FLAG, values="yesno"),
    _c("registered_at", DATETIME),
    _c("members", INT, measure=SCALE, unit="orang"),
    _c("sessions_done", INT, measure=SCALE, unit="sesi"),
    _c("mother_name", TEXT, width=20),
    _c("member", TEXT, width=14),
    _c("role", CODE, values="role"),
    _c("active", FLAG, values="yesno"),
    _c("joined_at", DATETIME),
    _c("reachable", FLAG, values="yesno"),
    _c("consent_research", FLAG, values="yesno"),
    _c("consent_version", TEXT, width=12),
    # the optional Table 1 answers (issue 14), as the mother chose them (bot/handlers/study.py)
    _c("birth_time", TEXT, width=10),
    _c("mother_age", INT, measure=SCALE, unit="tahun"),
    _c("parity", INT, measure=ORDINAL),
    _c("education", CODE, values="t1:education", measure=ORDINAL),
    _c("work", CODE, values="t1:work"),
    _c("birth_mode", CODE, values="t1:birth_mode"),
    _c("protocol_version", INT, measure=NOMINAL),
    _c("withdrawn", FLAG, values="yesno"),
    _c("name", TEXT, width=20),
    _c("performer_role", CODE, values="role"),
    _c("day", INT, measure=ORDINAL, unit="hari"),
    _c("started_at", DATETIME),
    _c("ended_at", DATETIME),
    _c("duration_seconds", INT, measure=SCALE, unit="detik"),
    _c("session_status", CODE, values="session_status"),
    _c("stop_reason", TEXT, width=18),
    _c("step_reached", TEXT, width=14),
    _c("confirmed_by_mother", FLAG, values="yesno"),
    _c("denied_by_mother", FLAG, values="yesno"),
    # the health worker's readings before a massage (seed 002: the massage waits until all are normal)
    _c("measured_at", DATETIME),
    _c("systolic", INT, measure=SCALE, unit="mmHg"),
    _c("diastolic", INT, measure=SCALE, unit="mmHg"),
    _c("pulse", INT, measure=SCALE, unit="kali/menit"),
    _c("breathing", INT, measure=SCALE, unit="kali/menit"),
    _c("vitals_normal", FLAG, values="yesno"),
    _c("outside_normal", TEXT, width=20),
    _c("massage_logged", FLAG, values="yesno"),
    _c("instrument", CODE, values="instrument", width=12),
    _c("version", INT, measure=NOMINAL),
    _c("occasion", CODE, values="occasion"),
    _c("item", CODE, values="item", width=40),
    _c("raw_value", CODE, values="answer", width=24),
    _c("value_num", NUMBER, measure=SCALE),
    _c("score", INT, measure=ORDINAL, unit="poin"),
    _c("answered_at", DATETIME),
    _c("via", CODE, values="via"),
    _c("window", CODE, values="window"),
    _c("answered_by_role", CODE, values="role"),
    _c("measurement_completed", FLAG, values="yesno"),
    _c("sign", CODE, values="sign", width=30),
    _c("source", CODE, values="alert_source"),
    _c("raised_at", DATETIME),
    _c("repeats", INT, measure=SCALE, unit="kali"),
    _c("handled", FLAG, values="yesno"),
    _c("handled_at", DATETIME),
    _c("handled_by_name", TEXT, width=20),
    _c("episode", INT, measure=NOMINAL),
    _c("step", INT, values="alert_step", measure=ORDINAL),
    _c("coordinator_told", FLAG, values="yesno"),
    _c("events", INT, measure=SCALE, unit="catatan"),
    _c("minutes_to_ack", NUMBER, measure=SCALE, unit="menit"),
    _c("closed_reason", CODE, values="alert_closed", width=22),
    _c("words", TEXT, width=40),
    _c("reply", TEXT, width=40),
    # the codebook's own columns
    _c("sheet", TEXT, width=24),
    _c("column", TEXT, width=24),
    _c("header", TEXT, width=28),
    _c("description", TEXT, width=60),
    _c("type", TEXT, width=10),
    _c("unit", TEXT, width=8),
    _c("measure", TEXT, width=10),
    _c("allowed_values", TEXT, width=50),
    _c("scoring", TEXT, width=40),
    _c("belongs_to", TEXT, width=22),
)}

# Per-sheet overrides of a shared id (the sessions sheet's "status" is a session status).
SHEET_COLUMNS: dict[tuple[str, str], Column] = {
    ("sessions", "status"): COLUMNS["session_status"].with_(id="status"),
}

STATIC_SETS = ("yesno", "family_status", "role", "session_status", "occasion", "via", "alert_source", "alert_closed",
               "window", "norm_class")
YESNO_CODES = {1: "1", 0: "0"}


def column(sheet: str, column_id: str) -> Column:
    """The declaration of a fixed sheet's column (an undeclared one is free text)."""
    return SHEET_COLUMNS.get((sheet, column_id)) or COLUMNS.get(column_id) or Column(column_id)


def value_labels(content: Content, value_set: str) -> dict[str, str]:
    """code -> Indonesian label for a value set, in the order SPSS numbers them."""
    if value_set == "protocol":
        return {p.id: p.title for p in content.protocols.values()}
    if value_set == "instrument":
        return {i.id: i.title for i in content.instruments.values()}
    if value_set == "sign":
        return {s.id: s.text for s in content.danger_signs}
    if value_set == "alert_step":
        return alert_step_labels(content)
    if value_set == "item":
        return _unambiguous((item.id, item.text) for inst in content.instruments.values() for item in inst.items)
    if value_set == "answer":
        return answer_labels(content)
    if value_set.startswith("class:"):
        inst = content.instruments.get(value_set[len("class:"):])
        return {c.key: c.label for c in inst.classifications} if inst else {}
    if value_set.startswith("item:"):
        instrument_id, item_id = value_set[len("item:"):].split("/", 1)
        inst = content.instruments.get(instrument_id)
        if inst is None:
            return {}
        item = inst.item(item_id)
        if item.answer_type == "number":
            return {"1": content.text("export.values.criterion.met"), "0": content.text("export.values.criterion.not_met")}
        def word(choice) -> str:
            return choice.label if not isinstance(choice.value, bool) else content.text(
                f"export.values.yesno.{int(choice.value)}")

        # answers with the same score share one value label
        return {str(score): " / ".join(names) for score, names in item.labels_by_score(word).items()}
    if value_set.startswith("t1:"):  # the words the mother chose from (content/texts/study.yaml)
        prefix = f"study.t1_choice.{value_set[len('t1:'):]}."
        return {key[len(prefix):]: text for key, text in content.texts.items() if key.startswith(prefix)}
    prefix = f"export.values.{value_set}."
    return {key[len(prefix):]: text for key, text in content.texts.items() if key.startswith(prefix)}


def _unambiguous(pairs) -> dict[str, str]:
    """code -> label, leaving out a code that means different things in different places (it stays a code)."""
    out: dict[str, str] = {}
    clash: set[str] = set()
    for code, label in pairs:
        if out.setdefault(code, label) != label:
            clash.add(code)
    return {code: label for code, label in out.items() if code not in clash}


def answer_labels(content: Content) -> dict[str, str]:
    """A stored answer's words as the family saw them: each choice's label, "Ya"/"Tidak" for yes/no answers
    (stored as bot/flows/answers.py's YES/NO); numbers stay numbers."""
    pairs = [(YES, content.text("export.values.yesno.1")), (NO, content.text("export.values.yesno.0"))]
    pairs += [(str(c.value), c.label) for inst in content.instruments.values() for item in inst.items
              if item.answer_type == "choice" for c in item.choices]
    return _unambiguous(pairs)


def alert_step_labels(content: Content) -> dict[str, str]:
    """The escalation ladder's steps (storage/alerts.py, climbed by bot/flows/alerts.py) with what each one means."""
    def meaning(step: int) -> str:
        if step == 0:
            return "first"
        if step < COORDINATOR_STEP:
            return "midwife_repeat"
        if step == COORDINATOR_STEP:
            return "coordinator"
        if step == FAMILY_STEP:
            return "family_told"
        return "last" if step == MAX_REPEATS else "staff_repeat"

    return {str(step): content.text(f"export.alert_steps.{meaning(step)}", **({"ke": step} if step else {}))
            for step in range(MAX_REPEATS + 1)}


def spss_codes(labels: Mapping[str, str]) -> dict[str, int]:
    """Numeric SPSS codes for a value set: numbers stay themselves, other codes are 1, 2, ... in order."""
    if all(code.lstrip("-").isdigit() for code in labels):
        return {code: int(code) for code in labels}
    return {code: number for number, code in enumerate(labels, start=1)}


def describe_values(labels: Mapping[str, str], *, numeric: bool = False) -> str:
    """``code = label; ...`` for the codebook (with the SPSS number when ``numeric``)."""
    if numeric:
        codes = spss_codes(labels)
        return "; ".join(f"{codes[c]} = {label} ({c})" if str(codes[c]) != c else f"{c} = {label}"
                         for c, label in labels.items())
    return "; ".join(f"{c} = {label}" for c, label in labels.items())


def default_width(col: Column, header: str) -> int:
    if col.width:
        return max(col.width, min(len(header) + 2, 40))
    base = {DATETIME: 19, DATE: 12, FLAG: 8, INT: 8, NUMBER: 10, CODE: 16, TEXT: 14}.get(col.kind, 14)
    return max(base, min(len(header) + 2, 40))
