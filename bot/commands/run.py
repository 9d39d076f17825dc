"""``python -m bot run``: the bot itself, by long polling (default) or webhook."""

from __future__ import annotations

import argparse
import logging
from urllib.parse import urlparse

from bot.core.app import build_application
from bot.core.config import ConfigError, settings_from_env
from bot.core.heap import SETTLED_HEAP
from bot.core.intake import ALLOWED_UPDATES
from bot.core.logs import setup_logging
from bot.web.server import DASHBOARD
from content import get_content
from storage.db import Database

log = logging.getLogger(__name__)

# Telegram unreachable at start (getMe, deleteWebhook/setWebhook failing): keep trying, with PTB's back-off
# up to 30 s, instead of exiting. A wrong token still stops at once (InvalidToken is not retried).
BOOTSTRAP_RETRIES = -1


def run(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    token = settings.require_token()
    if args.webhook_url and not settings.webhook_secret:
        raise ConfigError("webhook mode needs WEBHOOK_SECRET (Telegram sends it back with every update)")
    setup_logging(settings.log_level, secrets=(token, settings.webhook_secret))
    db = Database(settings.database_url)
    db.upgrade()
    try:  # the learned reader loaded (or trained, a few seconds) now, so no family's first message waits for it
        get_content().warm_reader()
    except Exception:
        log.exception("the learned reader could not be loaded; messages are read with the rules alone")
    # The bot and, next to it, the dashboard; then, everything start-up built set aside from the garbage
    # collector (bot/core/heap.py: a full collection walked it all every thousand updates or so).
    app = build_application(settings, db=db, services=(DASHBOARD, SETTLED_HEAP))
    log.info("bot starting (%s, database %s)", "webhook" if args.webhook_url else "polling", db.dialect)
    if args.webhook_url:
        path = urlparse(args.webhook_url).path.lstrip("/") or "telegram"
        app.run_webhook(
            listen=args.listen,
            port=args.port,
            url_path=path,
            webhook_url=args.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=BOOTSTRAP_RETRIES,
        )
    else:
        app.run_polling(allowed_updates=ALLOWED_UPDATES, poll_interval=0.0, timeout=30,
                        bootstrap_retries=BOOTSTRAP_RETRIES)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="run the bot (long polling, or webhook with --webhook-url)")
    parser.add_argument("--webhook-url", help="public HTTPS URL Telegram should post updates to")
    parser.add_argument("--listen", default="0.0.0.0", help="webhook: address to listen on (default 0.0.0.0)")
    parser.add_argument("--port", type=int, default=8443, help="webhook: port to listen on (default 8443)")
    parser.set_defaults(func=run)
