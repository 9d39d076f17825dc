"""``python -m bot simulate``: try the whole bot in the terminal, without a Telegram account."""

from __future__ import annotations

import argparse
import asyncio
import logging


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING)
    if args.channel == "whatsapp":
        from bot.devtools.wa_simulator import simulate_whatsapp

        return asyncio.run(simulate_whatsapp(database_url=args.database_url))
    from bot.devtools.simulator import simulate

    return asyncio.run(simulate(database_url=args.database_url))


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("simulate", help="chat with the bot in the terminal (offline, simulated clock)")
    parser.add_argument("--database-url", help="keep the simulation in this database (default: a throwaway SQLite file)")
    parser.add_argument("--channel", choices=("telegram", "whatsapp"), default="telegram",
                        help="whatsapp: the mother on WhatsApp (the fake Cloud API), the midwife on Telegram")
    parser.set_defaults(func=run)
