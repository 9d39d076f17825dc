"""``python -m bot <command>``: the command line of the bot."""

from __future__ import annotations

import argparse
import os
import sys

from bot.commands import command_modules
from bot.core.config import ConfigError, load_dotenv_file


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="Pijat Oksitosin: a Telegram bot for oxytocin massage on postpartum days 1-3.",
    )
    sub = parser.add_subparsers(dest="command", metavar="<command>")
    for module in command_modules():
        module.register(sub)
    for command in sub.choices.values():
        _with_database_url(command)
    return parser


def _with_database_url(parser: argparse.ArgumentParser) -> None:
    """Every command (and every sub-command: ``midwife list``) can be pointed at another database."""
    nested = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]  # noqa: SLF001
    for action in nested:
        for child in action.choices.values():
            _with_database_url(child)
    if not any("--database-url" in a.option_strings for a in parser._actions):  # noqa: SLF001
        parser.add_argument("--database-url", metavar="URL",
                            help="use this database instead of DATABASE_URL (e.g. sqlite:///demo.db)")


def main(argv: list[str] | None = None) -> int:
    load_dotenv_file()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    before = os.environ.get("DATABASE_URL")
    if getattr(args, "database_url", None):
        os.environ["DATABASE_URL"] = args.database_url  # the settings of every command read it
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        if getattr(args, "database_url", None):  # main() may run again in the same process (tests)
            if before is None:
                os.environ.pop("DATABASE_URL", None)
            else:
                os.environ["DATABASE_URL"] = before
