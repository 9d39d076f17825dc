"""No log line, at any level, carries a raw update, a message text, a name or a phone number.

Our own code logs ids only (update, user, chat, family, outbox row) and exception classes. Libraries are
chattier: at DEBUG python-telegram-bot logs every Bot API call with its parameters (the text sent, with the
person's name in it) and its answer (every update, raw), "Processing update <the whole update>", and the
webhook's raw body; at CRITICAL it dumps a batch it could not parse. :func:`scrub` runs on every log record
when it is created (from :mod:`bot.core.logs`' record factory, so every handler sees the scrubbed record):

- a record of a library (any logger outside ``bot``, ``storage``, ``content``, ``analysis``) keeps its
  message template and the arguments that are numbers or short identifiers (a method name like
  ``sendMessage``, an update id); every other argument (dicts, lists, updates, free text, JSON) is replaced
  by ``<hidden>``;
- in every record, anything that looks like a phone number (``+62…``, ``08…`` with 10+ digits, or a run of
  12+ digits) is replaced by ``<phone>``;
- in every record's message and traceback, what a database error carries of the values (:func:`sql_hidden`):
  SQLAlchemy's ``[parameters: …]`` (the question a family typed, a name), the quoted literals of its
  ``[SQL: …]``, and the driver's ``DETAIL:`` line (PostgreSQL's "Key (…)=(…)") become ``<hidden>``. The engine
  itself is created with ``hide_parameters=True`` (storage/db.py), so the parameters never reach an
  exception's text in the first place; this covers a message formatted elsewhere.
"""

from __future__ import annotations

import logging
import re
from typing import Any

HIDDEN = "<hidden>"
PHONE = "<phone>"
OURS = ("bot", "storage", "content", "analysis", "__main__")

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:/-]{0,63}$")
_PHONE = re.compile(r"\+\d[\d \-]{7,}\d|(?<![\d-])08\d{8,12}(?!\d)|(?<![\d-])\d{12,}(?!\d)")


def _ours(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in OURS)


def _safe_arg(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str) and _IDENTIFIER.match(value):
        return value
    if isinstance(value, (list, tuple)) and len(value) <= 100 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        return value  # a list of update ids
    if isinstance(value, BaseException):
        return type(value).__name__
    return HIDDEN


def _scrub_args(args: Any) -> Any:
    if isinstance(args, tuple):
        return tuple(_safe_arg(a) for a in args)
    if isinstance(args, dict):
        return {k: _safe_arg(v) for k, v in args.items()}
    return _safe_arg(args)


_SQL_PARAMETERS = re.compile(r"\[(?:SQL )?parameters: [^\n]*")
_SQL_BLOCK = re.compile(r"\[SQL: (.*?)\](?=\n|$)", re.DOTALL)
_SQL_LITERAL = re.compile(r"'(?:[^']|'')*'")
_DETAIL = re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE)


def sql_hidden(text: str) -> str:
    """``text`` without the values a database error carries (parameters, SQL literals, the driver's DETAIL)."""
    if "[SQL" not in text and "parameters" not in text and "DETAIL:" not in text:
        return text
    text = _SQL_PARAMETERS.sub(f"[parameters: {HIDDEN}]", text)
    text = _SQL_BLOCK.sub(lambda m: "[SQL: " + _SQL_LITERAL.sub(f"'{HIDDEN}'", m.group(1)) + "]", text)
    return _DETAIL.sub(lambda m: f"{m.group(1)} {HIDDEN}", text)


def phones_hidden(text: str) -> str:
    return _PHONE.sub(PHONE, text) if any(ch.isdigit() for ch in text) else text


def scrub(record: logging.LogRecord) -> None:
    """Before formatting: hide a library record's payload arguments (in place)."""
    if not _ours(record.name) and not isinstance(record.msg, str):
        record.msg, record.args = f"{type(record.msg).__name__} {HIDDEN}", None
    if not _ours(record.name) and record.args:
        record.args = _scrub_args(record.args)
    if not _ours(record.name) and not record.args and isinstance(record.msg, str) and "{" in record.msg:
        # a message formatted before logging (f-string with a payload in it): keep its first words only
        record.msg = record.msg.split("{", 1)[0] + HIDDEN
