"""Logging that never prints the bot token, nor personal data (bot/core/log_privacy.py), at any level.

httpx logs request URLs at INFO and python-telegram-bot logs its API URL at DEBUG; both contain the token.
Raising their levels is not enough, so every log record is redacted when it is created: the message is
formatted eagerly, secrets are replaced, and any traceback is formatted and redacted too. This covers every
handler, including ones added later (pytest's caplog, a deployment's JSON handler).
"""

from __future__ import annotations

import logging
import sys
import traceback

from bot.core.log_privacy import phones_hidden, scrub, sql_hidden

REDACTED = "<redacted>"
_secrets: set[str] = set()
_installed = False
_base_factory = logging.getLogRecordFactory()


def redact(text: str) -> str:
    for secret in _secrets:
        if secret and secret in text:
            text = text.replace(secret, REDACTED)
    return text


def add_secret(secret: str | None) -> None:
    """Never log ``secret``; for a bot token, the part after the colon is secret on its own too."""
    if not secret:
        return
    _secrets.add(secret)
    if ":" in secret:
        tail = secret.split(":", 1)[1]
        if len(tail) >= 8:
            _secrets.add(tail)
    _install_factory()


def _redacting_factory(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    scrub(record)  # no raw update, message text, name or phone number either (bot/core/log_privacy.py)
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not break logging
        message = f"{record.msg!r} {record.args!r}"
    record.msg = phones_hidden(sql_hidden(redact(message)))
    record.args = None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = phones_hidden(sql_hidden(redact(text)))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def _install_factory() -> None:
    global _installed
    if not _installed:
        logging.setLogRecordFactory(_redacting_factory)
        _installed = True


def setup_logging(level: str = "INFO", secrets: tuple[str | None, ...] = ()) -> None:
    """Configure the root logger once for the command line and the running bot."""
    for secret in secrets:
        add_secret(secret)
    _install_factory()
    root = logging.getLogger()
    root.setLevel(level)
    if not any(getattr(h, "_pijat", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler._pijat = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # httpx logs every request at INFO: useful at DEBUG only, and always redacted.
    logging.getLogger("httpx").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)


_install_factory()  # from the first import of the bot on: every record is redacted
