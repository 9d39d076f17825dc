"""``python -m bot db upgrade|current|revision``: the database schema (Alembic)."""

from __future__ import annotations

import argparse

from bot.core.config import settings_from_env
from storage.db import Database, alembic_config


def upgrade(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    Database(settings.database_url).upgrade(args.revision)
    print(f"database is at revision {args.revision}")
    return 0


def current(args: argparse.Namespace) -> int:  # noqa: ARG001
    from alembic import command

    settings = settings_from_env()
    command.current(alembic_config(Database(settings.database_url).url), verbose=False)
    return 0


def revision(args: argparse.Namespace) -> int:
    """Write a new migration by comparing the models with a scratch database at head."""
    import tempfile
    from pathlib import Path

    from alembic import command

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        Database(url).upgrade()
        command.revision(alembic_config(url), message=args.message, autogenerate=True)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("db", help="database schema: upgrade, current, revision")
    db_sub = parser.add_subparsers(dest="db_command", metavar="<action>", required=True)
    p = db_sub.add_parser("upgrade", help="bring the database to the newest schema (run does this too)")
    p.add_argument("revision", nargs="?", default="head")
    p.set_defaults(func=upgrade)
    p = db_sub.add_parser("current", help="show the schema revision of the database")
    p.set_defaults(func=current)
    p = db_sub.add_parser("revision", help="(developers) write a migration for changed models")
    p.add_argument("-m", "--message", required=True)
    p.set_defaults(func=revision)
