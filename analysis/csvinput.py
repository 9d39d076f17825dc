"""Reading ``participant,pre,post`` CSV files (one row per participant).

- Lines starting with ``#`` before the header and between rows are comments.
- The delimiter is ``,``; a header with ``;`` or a tab and no comma switches to that delimiter
  (spreadsheets set to Indonesian save with ``;``).
- A score may use a decimal comma (``"7,5"``). Empty cells, ``NA`` and SPSS's ``.`` are missing.
- Optional columns ``pre_class,post_class`` hold a yes/no class (e.g. lancar / tidak_lancar);
  ``positive`` names the "yes" value.
- Other extra columns are ignored.

Problems that make the whole file unusable raise :class:`AnalysisError` with one of the codes
below; single unusable rows are dropped and listed.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

from analysis.errors import AnalysisError
from analysis.paired import MISSING, NOT_NUMBER, ClassLabels, DroppedPair

REQUIRED = ("participant", "pre", "post")
CLASS_COLUMNS = ("pre_class", "post_class")
MISSING_MARKERS = {"", "na", "n/a", ".", "-"}
DEFAULT_POSITIVE = "lancar"

_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")


@dataclass(frozen=True)
class CsvPairs:
    pairs: tuple[tuple[str, float, float], ...]  # complete pairs only
    dropped: tuple[DroppedPair, ...]  # rows with a missing or non-numeric score
    classes: tuple[tuple[bool | None, bool | None], ...] | None  # aligned with pairs
    class_labels: ClassLabels | None
    lines: tuple[int, ...]  # file line of each pair


def parse_score(cell: str) -> float | None:
    """The score in ``cell``; None when empty/missing. Raises ValueError when not a number."""
    text = cell.strip()
    if text.lower() in MISSING_MARKERS:
        return None
    if _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {cell!r}")
    return value


def normalise_class(cell: str) -> str:
    return re.sub(r"[\s\-]+", "_", cell.strip().lower())


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _delimiter(header_line: str) -> str:
    if "," in header_line:
        return ","
    if ";" in header_line:
        return ";"
    if "\t" in header_line:
        return "\t"
    return ","


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def read_pairs_text(text: str, positive: str = DEFAULT_POSITIVE) -> CsvPairs:
    lines = text.splitlines()
    numbered = [(i + 1, line) for i, line in enumerate(lines) if not _is_comment_or_blank(line)]
    if not numbered:
        raise AnalysisError("empty_file")
    header_no, header_line = numbered[0]
    delimiter = _delimiter(header_line)
    header = [h.strip().lower() for h in next(csv.reader([header_line], delimiter=delimiter))]
    expected = ",".join(REQUIRED)
    if any(name not in header for name in REQUIRED):
        raise AnalysisError("wrong_header", found=header_line.strip(), expected=expected)
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        raise AnalysisError("wrong_header", found=header_line.strip(), expected=expected)
    has_pre_class, has_post_class = (c in header for c in CLASS_COLUMNS)
    if has_pre_class != has_post_class:
        raise AnalysisError("class_columns_incomplete", columns=" dan ".join(CLASS_COLUMNS))
    with_classes = has_pre_class
    col = {name: header.index(name) for name in (*REQUIRED, *(CLASS_COLUMNS if with_classes else ()))}

    body = [(no, line) for no, line in numbered[1:]]
    if not body:
        raise AnalysisError("no_rows")
    reader = csv.reader(io.StringIO("\n".join(line for _, line in body)), delimiter=delimiter)
    rows = list(reader)

    pairs: list[tuple[str, float, float]] = []
    raw_classes: list[tuple[str, str]] = []
    dropped: list[DroppedPair] = []
    line_numbers: list[int] = []
    seen: dict[str, int] = {}
    for (line_no, _), row in zip(body, rows, strict=True):
        cells = row + [""] * (len(header) - len(row))
        if not any(cell.strip() for cell in cells):
            continue  # an empty spreadsheet row such as ",,"
        participant = cells[col["participant"]].strip()
        if participant:
            if participant in seen:
                raise AnalysisError("duplicate_participant", participant=participant,
                                    line=line_no, first_line=seen[participant])
            seen[participant] = line_no
        try:
            pre = parse_score(cells[col["pre"]])
            post = parse_score(cells[col["post"]])
        except ValueError:
            dropped.append(DroppedPair(participant, NOT_NUMBER, line_no))
            continue
        if pre is None or post is None:
            dropped.append(DroppedPair(participant, MISSING, line_no))
            continue
        pairs.append((participant, pre, post))
        line_numbers.append(line_no)
        if with_classes:
            raw_classes.append((normalise_class(cells[col["pre_class"]]),
                                normalise_class(cells[col["post_class"]])))

    if not pairs:
        if not dropped:
            raise AnalysisError("no_rows")
        raise AnalysisError(
            "no_usable_rows",
            not_number=sum(d.reason == NOT_NUMBER for d in dropped),
            missing=sum(d.reason == MISSING for d in dropped),
        )

    classes = labels = None
    if with_classes:
        classes, labels = _classes(raw_classes, normalise_class(positive))
    return CsvPairs(tuple(pairs), tuple(dropped), classes, labels, tuple(line_numbers))


def _classes(raw: list[tuple[str, str]], positive: str):
    values = {v for pair in raw for v in pair if v}
    others = sorted(values - {positive})
    if len(others) > 1 and positive in values:
        raise AnalysisError("class_not_binary", values=", ".join(sorted(values)), positive=positive)
    if len(others) > 1:
        raise AnalysisError("class_positive_unknown", values=", ".join(sorted(values)), positive=positive)
    negative = others[0] if others else None

    def as_bool(value: str) -> bool | None:
        return None if not value else value == positive

    classes = tuple((as_bool(b), as_bool(a)) for b, a in raw)
    return classes, ClassLabels(no=negative, yes=positive)


def read_pairs_csv(path: str | Path, positive: str = DEFAULT_POSITIVE) -> CsvPairs:
    """Read a CSV file. Raises :class:`AnalysisError` ``file_missing``/``file_unreadable`` too."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AnalysisError("file_missing", path=str(path)) from None
    except IsADirectoryError:
        raise AnalysisError("file_unreadable", path=str(path)) from None
    except OSError:
        raise AnalysisError("file_unreadable", path=str(path)) from None
    if b"\x00" in raw[:4096]:
        raise AnalysisError("file_unreadable", path=str(path))
    return read_pairs_text(_decode(raw), positive)
