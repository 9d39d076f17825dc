from datetime import time, timedelta

import pytest

from bot.core.config import ConfigError, Settings, parse_times, settings_from_env


def test_defaults_from_empty_environment():
    s = settings_from_env({})
    assert s.token is None
    assert s.api_url == "https://api.telegram.org/bot"
    assert s.database_url.startswith("sqlite:///")
    assert s.default_timezone == "Asia/Jakarta"
    assert s.reminder_times == (time(7, 0), time(16, 0))
    assert s.grace == timedelta(hours=2)


def test_values_are_read_and_normalised():
    s = settings_from_env({
        "TELEGRAM_BOT_TOKEN": "123:abc_DEF-9",
        "TELEGRAM_API_URL": "http://127.0.0.1:8081/bot",
        "REMINDER_TIMES": "16:00, 7.30,16:00",
        "BOT_USERNAME": "@PijatBot",
        "LOG_LEVEL": "debug",
        "DEFAULT_TIMEZONE": "Asia/Makassar",
    })
    assert s.require_token() == "123:abc_DEF-9"
    assert s.api_file_url == "http://127.0.0.1:8081/file/bot"
    assert s.reminder_times == (time(7, 30), time(16, 0))
    assert s.bot_username == "PijatBot"
    assert s.log_level == "DEBUG"
    assert s.default_timezone == "Asia/Makassar"


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"TELEGRAM_BOT_TOKEN": "not a token"}, "TELEGRAM_BOT_TOKEN"),
        ({"TELEGRAM_API_URL": "ftp://x"}, "TELEGRAM_API_URL"),
        ({"DEFAULT_TIMEZONE": "Mars/Olympus"}, "DEFAULT_TIMEZONE"),
        ({"REMINDER_TIMES": "25:00"}, "REMINDER_TIMES"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"BOT_USERNAME": "x"}, "BOT_USERNAME"),
        ({"REMINDER_GRACE_MINUTES": "-5"}, "REMINDER_GRACE_MINUTES"),
        ({"RATE_LIMIT": "maybe"}, "RATE_LIMIT"),
    ],
)
def test_bad_values_name_the_variable(env, fragment):
    with pytest.raises(ConfigError, match=fragment):
        settings_from_env(env)


def test_missing_token_is_one_clear_line():
    with pytest.raises(ConfigError) as info:
        Settings().require_token()
    assert "TELEGRAM_BOT_TOKEN" in str(info.value)
    assert "\n" not in str(info.value)


def test_parse_times_rejects_empty():
    with pytest.raises(ConfigError):
        parse_times(" , ")


def test_paid_broadcast_threads_and_concurrency_from_the_environment():
    from bot.core.config import settings_from_env

    plain = settings_from_env({})
    assert (plain.paid_broadcast, plain.send_rate, plain.sends_in_flight, plain.db_threads) == (False, 30, 8, None)
    paid = settings_from_env({"PAID_BROADCAST": "true", "DB_THREADS": "6"})
    assert (paid.paid_broadcast, paid.send_rate, paid.sends_in_flight, paid.db_threads) == (True, 1000, 100, 6)
    assert settings_from_env({"DISPATCH_CONCURRENCY": "3"}).sends_in_flight == 3
    with pytest.raises(ConfigError):
        settings_from_env({"DISPATCH_CONCURRENCY": "0"})
    with pytest.raises(ConfigError):
        settings_from_env({"PAID_BROADCAST": "maybe"})


def test_sending_processes_share_the_tokens_thirty_a_second():
    """The bot and its workers each have a limiter of their own: SENDING_PROCESSES splits Telegram's 30/s."""
    from bot.commands.worker import build_bot

    assert settings_from_env({}).process_rate == 30
    two = settings_from_env({"SENDING_PROCESSES": "2", "TELEGRAM_BOT_TOKEN": "123:abc"})
    assert (two.sending_processes, two.process_rate) == (2, 15)
    assert settings_from_env({"SENDING_PROCESSES": "40"}).process_rate == 1
    with pytest.raises(ConfigError, match="SENDING_PROCESSES"):
        settings_from_env({"SENDING_PROCESSES": "0"})
    assert build_bot(two).rate_limiter._base_limiter.max_rate == 15
