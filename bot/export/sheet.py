"""One exported table (:class:`Sheet`) and how it is dressed with the schema's declarations and the Indonesian
titles, headers and value labels (bot/export/schema.py, content/texts/export.yaml). Shared by the fixed sheets
(bot/export/exporting.py) and the wide pre/post sheets (bot/export/prepost.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from bot.export import schema
from content import Content

FAMILIES = "families"
MEMBERS = "members"
SESSIONS = "sessions"
VITALS = "vitals"  # the health worker's readings before a massage (a protocol with vitals: seed 002)
ANSWERS = "answers"
ALERTS = "alerts"
DICTIONARY = "dictionary"


@dataclass
class Sheet:
    """One table: its machine name, its column ids and a generator of rows (consumed once).

    ``title`` is the Indonesian tab name of the workbook; ``specs`` (aligned with ``columns``) declare each
    column (bot/export/schema.py); ``headers`` are the Indonesian headers; ``value_labels`` map a column's
    codes to the labels the workbook shows (None: shown as is); ``scoring`` and ``belongs_to`` feed the
    codebook.
    """

    name: str
    columns: list[str]
    rows: Iterable[Sequence[object]]
    describe: Callable[[str], str] | None = None  # column id -> Indonesian description
    about: str = ""  # what the sheet holds, in Indonesian (for the dictionary)
    written: int = field(default=0)
    title: str = ""
    specs: list[schema.Column] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    value_labels: list[dict[str, str] | None] = field(default_factory=list)
    scoring: dict[str, str] = field(default_factory=dict)
    belongs_to: dict[str, str] = field(default_factory=dict)
    instrument: str | None = None  # the instrument of a wide pre/post sheet
    # True: every value already has its column's kind (str for text and codes, int for INT and FLAG, int or
    # float for NUMBER, local "YYYY-MM-DD HH:MM:SS" text for DATETIME), so writers convert only the floats
    typed: bool = False
    protocol: str | None = None  # the protocol and version of a wide pre/post sheet (bot/export/prepost.py)
    version: int | None = None
    layout: object = None  # its bot.export.prepost.Layout


SHEET_TITLES = {FAMILIES: "keluarga", MEMBERS: "anggota", SESSIONS: "sesi", VITALS: "tanda_vital", ANSWERS: "jawaban",
                ALERTS: "tanda_bahaya", DICTIONARY: "kamus_data"}


def _text_or(content: Content, key: str, default: str, **params: object) -> str:
    return content.text(key, **params) if content.has_text(key) else default


def dress(sheet: Sheet, content: Content, specs: list[schema.Column] | None = None) -> Sheet:
    """Fill a sheet's declarations, Indonesian title, headers and value labels from the schema and content."""
    sheet.specs = specs or [schema.column(sheet.name, c) for c in sheet.columns]
    if not sheet.title:
        key = SHEET_TITLES.get(sheet.name)
        sheet.title = content.text(f"export.sheet_titles.{key}") if key else sheet.name
    if not sheet.headers:
        sheet.headers = [_text_or(content, f"export.headers.{c}", c) for c in sheet.columns]
    if not sheet.value_labels:
        sheet.value_labels = [schema.value_labels(content, spec.values) if spec.values else None
                              for spec in sheet.specs]
    return sheet
