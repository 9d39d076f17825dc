"""Telegram Mini App ``initData``, validated as Telegram specifies.

https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app: the data-check-string is
every field but ``hash``, sorted by key, as ``key=value`` lines joined by ``\\n``; the secret key is
HMAC-SHA256 of the bot token with the key "WebAppData"; ``hash`` is the hex HMAC-SHA256 of the
data-check-string with that secret key. ``auth_date`` must be at most :data:`MAX_AGE` old.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode

MAX_AGE = timedelta(hours=24)
CLOCK_SKEW = timedelta(minutes=5)  # an auth_date this far in the future is still taken (clocks differ)


class InitDataError(ValueError):
    """The initData is missing, malformed, badly signed or too old (HTTP 401)."""


@dataclass(frozen=True)
class WebAppUser:
    telegram_id: int
    first_name: str
    auth_date: datetime


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{k}={fields[k]}" for k in sorted(fields) if k != "hash")


def validate(init_data: str, bot_token: str, *, now: datetime, max_age: timedelta = MAX_AGE) -> WebAppUser:
    if not init_data or len(init_data) > 8192:
        raise InitDataError("missing")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("duplicate field")
    given = fields.get("hash", "")
    expected = hmac.new(secret_key(bot_token), _check_string(fields).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.lower(), expected):
        raise InitDataError("bad signature")
    try:
        auth_date = datetime.fromtimestamp(int(fields["auth_date"]), tz=now.tzinfo)
        user = json.loads(fields["user"])
        telegram_id = int(user["id"])
    except (KeyError, ValueError, TypeError, OverflowError):
        raise InitDataError("no user or auth_date") from None
    if not 0 < telegram_id < 2**63:  # Telegram's ids fit 52 bits; a bigger one could not even be looked up
        raise InitDataError("user id out of range")
    if now - auth_date > max_age:
        raise InitDataError("expired")
    if auth_date - now > CLOCK_SKEW:
        raise InitDataError("from the future")
    return WebAppUser(telegram_id, str(user.get("first_name", "")), auth_date)


def sign(bot_token: str, *, user: dict, auth_date: datetime, **extra: str) -> str:
    """A correctly signed initData (tests, the simulator and the benchmark use it; Telegram makes the real one)."""
    fields = {"auth_date": str(int(auth_date.timestamp())), "user": json.dumps(user, separators=(",", ":")),
              **extra}
    fields["hash"] = hmac.new(secret_key(bot_token), _check_string(fields).encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)
