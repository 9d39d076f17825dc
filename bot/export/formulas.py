"""Text a family typed is never run as a formula when the midwife opens an export (CSV injection).

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(``=HYPERLINK(...)``, ``-2+3+cmd|' /C calc'!A0``, ``@SUM(1+1)``), and a leading tab or carriage return can hide
one. Every text cell the exports write (each CSV value, each XLSX string cell) goes through :func:`neutral`:
such a text gets a leading apostrophe, as OWASP advises, and shows as typed. A plain number written as text
(``-2``, ``-0,5``, ``+62``) is left as it is: no spreadsheet runs it, and the midwife needs the value.
Numbers (int, float) are never touched: they are not text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

TRIGGERS = frozenset("=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def risky(text: str) -> bool:
    return text[:1] in TRIGGERS and _PLAIN_NUMBER.fullmatch(text) is None


def neutral(text: str) -> str:
    """``text``, with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + text if text[:1] in TRIGGERS and _PLAIN_NUMBER.fullmatch(text) is None else text


def neutral_row(row: Sequence[object]) -> Sequence[object]:
    """A row with each risky text neutralised (the row itself when none is: the common case costs a scan)."""
    for value in row:
        if type(value) is str and value[:1] in TRIGGERS:
            return [neutral(v) if type(v) is str else v for v in row]
    return row
