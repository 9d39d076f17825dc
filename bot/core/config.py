"""Configuration from the environment (12-factor), validated once at start.

Every variable is documented in README.md. A ``.env`` file in the working directory is read if present
(real environment variables win).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_API_URL = "https://api.telegram.org/bot"
DEFAULT_DATABASE_URL = "sqlite:///data/pijat.db"
SUPPORTED_TIMEZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FREE_RATE = 30  # messages a second Telegram lets a bot send for free
PAID_BROADCAST_RATE = 1000  # with allow_paid_broadcast, at 0.1 Star a message


class ConfigError(ValueError):
    """A configuration value is missing or malformed. The message is one line for the operator."""


def parse_times(raw: str, name: str = "REMINDER_TIMES") -> tuple[time, ...]:
    """Parse "07:00,16:00" into sorted, distinct local times."""
    out = []
    for part in raw.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d{1,2})[:.](\d{2})", part)
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise ConfigError(f"{name}: '{part}' is not a time like 07:00")
        out.append(time(int(m.group(1)), int(m.group(2))))
    if not out:
        raise ConfigError(f"{name}: give at least one time, e.g. 07:00,16:00")
    return tuple(sorted(set(out)))


def _bool(raw: str | None, name: str, default: bool) -> bool:
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}: '{raw}' is not true/false")


def _number(raw: str | None, name: str, default: float, minimum: float = 0) -> float:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: '{raw}' is not a number") from None
    if value < minimum:
        raise ConfigError(f"{name}: must be at least {minimum:g}")
    return value


def _optional_int(raw: str | None, name: str, minimum: int = 0) -> int | None:
    if raw is None or raw.strip() == "":
        return None
    return int(_number(raw, name, 0, minimum))


@dataclass(frozen=True)
class Settings:
    """Everything the bot needs to know about its deployment."""

    token: str | None = None
    api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    default_timezone: str = "Asia/Jakarta"
    reminder_times: tuple[time, ...] = (time(7, 0), time(16, 0))
    bot_username: str | None = None
    log_level: str = "INFO"
    webhook_secret: str | None = None
    grace: timedelta = timedelta(hours=2)
    jitter: timedelta = timedelta(minutes=10)
    dispatch_interval: float = 5.0
    dispatch_batch: int = 50
    rate_limit: bool = True
    run_dispatcher: bool = True  # tests and benchmarks drive the dispatcher themselves
    alert_repeat: timedelta = timedelta(minutes=30)
    health_file: str | None = "data/heartbeat"  # touched by the running bot; None = off
    # Danger reports heard while the database was down, raised once it is back (bot/core/spool.py); None = off
    danger_spool: str | None = "data/danger_spool.jsonl"
    question_repeat: timedelta = timedelta(hours=2)  # an unanswered "Tanya bidan" question is reminded
    web_port: int | None = None  # the dashboard's web server (settings_from_env: WEB_PORT, default 8080)
    web_listen: str = "0.0.0.0"
    web_app_url: str | None = None  # the dashboard's public HTTPS address (WEB_APP_URL), for web_app buttons
    db_threads: int | None = None  # database work off the event loop; None = as many as the connection pool
    paid_broadcast: bool = False  # reminders sent with allow_paid_broadcast (Telegram charges Stars)
    # the WhatsApp business number's digits (WHATSAPP_NUMBER), for wa.me registration links; None = no WhatsApp links
    whatsapp_number: str | None = None
    dispatch_concurrency: int | None = None  # sends in flight at once; None = 8, or 100 with paid broadcast
    sending_processes: int = 1  # processes sending with this token (the bot and its workers): they share 30/s
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def api_file_url(self) -> str:
        """The file base URL that belongs with ``api_url`` (…/bot → …/file/bot)."""
        if self.api_url.endswith("/bot"):
            return self.api_url[: -len("/bot")] + "/file/bot"
        return self.api_url.rstrip("/") + "/file/bot"

    def require_token(self) -> str:
        if not self.token:
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: get a token from @BotFather and export TELEGRAM_BOT_TOKEN=…"
            )
        return self.token

    @property
    def send_rate(self) -> int:
        """Messages a second the reminder dispatcher may send: Telegram's free 30, or 1,000 with paid
        broadcasts (README.md, "National morning")."""
        return PAID_BROADCAST_RATE if self.paid_broadcast else FREE_RATE

    @property
    def process_rate(self) -> int:
        """Messages a second this process may send for free: Telegram's 30 for the token, shared by the
        ``sending_processes`` processes that send with it (each has its own limiter)."""
        return max(1, FREE_RATE // max(1, self.sending_processes))

    @property
    def sends_in_flight(self) -> int:
        """How many reminders the dispatcher sends at once (and so the most a crash can double)."""
        if self.dispatch_concurrency is not None:
            return max(1, self.dispatch_concurrency)
        return 100 if self.paid_broadcast else 8

    def with_(self, **changes) -> Settings:
        return replace(self, **changes)


def load_dotenv_file(path: Path = Path(".env")) -> None:
    """Read KEY=VALUE lines from ``.env`` without overriding the real environment."""
    if path.is_file():
        from dotenv import load_dotenv

        load_dotenv(path, override=False)


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    """Build and validate :class:`Settings` from environment variables."""
    env = dict(os.environ if env is None else env)
    get = lambda name: (env.get(name) or "").strip() or None  # noqa: E731

    token = get("TELEGRAM_BOT_TOKEN")
    if token is not None and not _TOKEN_RE.match(token):
        raise ConfigError("TELEGRAM_BOT_TOKEN does not look like a bot token (digits:letters)")

    api_url = get("TELEGRAM_API_URL") or DEFAULT_API_URL
    if not api_url.startswith(("http://", "https://")):
        raise ConfigError("TELEGRAM_API_URL must start with http:// or https://")

    tz = get("DEFAULT_TIMEZONE") or "Asia/Jakarta"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"DEFAULT_TIMEZONE: unknown time zone '{tz}' (use Asia/Jakarta, Asia/Makassar or Asia/Jayapura)") from None

    username = get("BOT_USERNAME")
    if username is not None:
        username = username.lstrip("@")
        if not _USERNAME_RE.match(username):
            raise ConfigError(f"BOT_USERNAME: '{username}' is not a Telegram username")

    level = (get("LOG_LEVEL") or "INFO").upper()
    if level not in _LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}")

    return Settings(
        token=token,
        api_url=api_url,
        database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        default_timezone=tz,
        reminder_times=parse_times(get("REMINDER_TIMES") or "07:00,16:00"),
        bot_username=username,
        log_level=level,
        webhook_secret=get("WEBHOOK_SECRET"),
        grace=timedelta(minutes=_number(get("REMINDER_GRACE_MINUTES"), "REMINDER_GRACE_MINUTES", 120)),
        jitter=timedelta(minutes=_number(get("REMINDER_JITTER_MINUTES"), "REMINDER_JITTER_MINUTES", 10)),
        dispatch_interval=_number(get("DISPATCH_INTERVAL_SECONDS"), "DISPATCH_INTERVAL_SECONDS", 5.0, 0.1),
        dispatch_batch=int(_number(get("DISPATCH_BATCH"), "DISPATCH_BATCH", 50, 1)),
        rate_limit=_bool(get("RATE_LIMIT"), "RATE_LIMIT", True),
        alert_repeat=timedelta(minutes=_number(get("ALERT_REPEAT_MINUTES"), "ALERT_REPEAT_MINUTES", 30, 1)),
        health_file=get("HEALTH_FILE") or "data/heartbeat",
        danger_spool=get("DANGER_SPOOL") or "data/danger_spool.jsonl",
        question_repeat=timedelta(minutes=_number(get("QUESTION_REPEAT_MINUTES"), "QUESTION_REPEAT_MINUTES", 120, 1)),
        web_port=_web_port(get("WEB_PORT")),
        web_listen=get("WEB_LISTEN") or "0.0.0.0",
        web_app_url=_web_app_url(get("WEB_APP_URL")),
        db_threads=_optional_int(get("DB_THREADS"), "DB_THREADS"),
        paid_broadcast=_bool(get("PAID_BROADCAST"), "PAID_BROADCAST", False),
        whatsapp_number=_whatsapp_number(get("WHATSAPP_NUMBER")),
        dispatch_concurrency=_optional_int(get("DISPATCH_CONCURRENCY"), "DISPATCH_CONCURRENCY", minimum=1),
        sending_processes=_optional_int(get("SENDING_PROCESSES"), "SENDING_PROCESSES", minimum=1) or 1,
    )


def _web_port(raw: str | None) -> int | None:
    """WEB_PORT: the dashboard's port (default 8080); "off" or 0 turns the web server off."""
    if raw is None:
        return 8080
    if raw.lower() in ("off", "0", "false", "no"):
        return None
    port = int(_number(raw, "WEB_PORT", 8080, 1))
    if port > 65535:
        raise ConfigError("WEB_PORT must be a port number (1-65535) or off")
    return port


def _whatsapp_number(raw: str | None) -> str | None:
    """WHATSAPP_NUMBER: the number's digits, country code first (spaces, dashes and a leading + are dropped)."""
    if raw is None:
        return None
    digits = re.sub(r"[\s+\-()]", "", raw)
    if not digits.isdigit() or not 8 <= len(digits) <= 15:
        raise ConfigError("WHATSAPP_NUMBER must be the number's digits, country code first (e.g. 6281234567890)")
    return digits


def _web_app_url(raw: str | None) -> str | None:
    if raw is None:
        return None
    if not raw.startswith("https://"):
        raise ConfigError("WEB_APP_URL must be the dashboard's public https:// address (Telegram requires HTTPS)")
    return raw.rstrip("/") + "/"
