"""``python -m bot health``: exit 0 when the database answers and the running bot's heartbeat is fresh."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy import text

from bot.core.config import settings_from_env
from bot.core.health import STALE_AFTER_SECONDS, heartbeat_age
from storage.db import Database


def run(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    try:
        db = Database(settings.database_url)
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        db.dispose()
    except Exception as exc:  # any failure means unhealthy
        print(f"unhealthy: database: {exc.__class__.__name__}", file=sys.stderr)
        return 1
    if settings.health_file and not args.database_only:
        age = heartbeat_age(settings.health_file)
        if age is None or age > STALE_AFTER_SECONDS:
            print(f"unhealthy: no recent heartbeat in {settings.health_file}", file=sys.stderr)
            return 1
    print("healthy")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("health", help="check the database and the running bot's heartbeat (for Docker)")
    parser.add_argument("--database-only", action="store_true", help="only check that the database answers")
    parser.set_defaults(func=run)
