"""``python -m bot demo [--database-url URL] [--midwife-telegram-id ID]``: seed the study demo.

One facility per seed protocol (bot/devtools/demo.py: seed_study_demo) in the configured database
(DATABASE_URL) or ``--database-url``, then print each facility's code, protocol and the commands to look at it.
"""

from __future__ import annotations

import argparse
import dataclasses

from bot.core.clock import SystemClock
from bot.core.config import settings_from_env
from storage.db import Database


def run(args: argparse.Namespace) -> int:
    from bot.devtools.demo import seed_study_demo
    from bot.flows import midwife as midwife_rules

    settings = settings_from_env()
    if args.database_url:
        settings = dataclasses.replace(settings, database_url=args.database_url)
    db = Database(settings.database_url)
    try:
        db.upgrade()
        with db.session() as session:
            made = seed_study_demo(session, SystemClock().now(), settings=settings,
                                   midwife_telegram_id=args.midwife_telegram_id, living_desk=True)
            known = midwife_rules.bot_username(session, settings.bot_username)
            username = known or "PijatOksitosinBot"
            for protocol_id, facility in made.facilities.items():
                fams = made.families[protocol_id]
                print(f"{protocol_id}: {facility.name} (code {facility.code}), {len(fams)} families, "
                      f"open alerts, questions and family messages waiting")
                invitation = made.invites.get(protocol_id)
                if invitation is not None:
                    print(f"  a midwife of it opens: {midwife_rules.invite_link(username, invitation.invite)}"
                          + ("" if known else f"  (or sends /start {midwife_rules.INVITE_PREFIX}"
                                              f"{invitation.invite.code}; BOT_USERNAME names your bot)"))
            if made.deleted:
                print(f"family {made.deleted} used /hapus after consenting: answers kept, personal fields removed")
            print("then in the chat: /pasien, /analisis, /bidan (the dashboard); "
                  "or: python -m bot analyze --protocol seed001 [--facility CODE] [--json]")
    finally:
        db.dispose()
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("demo", help="seed a demo: one facility per seed protocol, families at every stage")
    parser.add_argument("--database-url", help="seed this database instead of DATABASE_URL")
    parser.add_argument("--midwife-telegram-id", type=int, default=None,
                        help="make this Telegram user the coordinator of the seed001 facility")
    parser.set_defaults(func=run)
