"""``python -m bot run``: the bot itself, by long polling (default) or webhook.

With the WHATSAPP_* variables set (bot/channels/whatsapp/config.py), WhatsApp runs in the same process: its
webhook on the bot's web server (WEB_PORT) and the bridge's worker (bot/bridge/). TELEGRAM_BOT_TOKEN is then
optional: without it the Application runs without polling Telegram and without calling getMe there (the
midwives then have no Telegram; the families on WhatsApp still work). With both, both run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from urllib.parse import urlparse

from telegram.ext import Application

from bot.bridge.service import attach_whatsapp
from bot.channels.whatsapp.config import WhatsAppConfigError, whatsapp_config
from bot.core.app import build_application
from bot.core.config import ConfigError, settings_from_env
from bot.core.heap import SETTLED_HEAP
from bot.core.intake import ALLOWED_UPDATES
from bot.core.logs import setup_logging
from bot.web.server import DASHBOARD
from content.health_topics import warm_readers
from storage.db import Database

log = logging.getLogger(__name__)

# Telegram unreachable at start (getMe, deleteWebhook/setWebhook failing): keep trying, with PTB's back-off
# up to 30 s, instead of exiting. A wrong token still stops at once (InvalidToken is not retried).
BOOTSTRAP_RETRIES = -1


def run(args: argparse.Namespace) -> int:
    settings = settings_from_env()
    try:
        whatsapp = whatsapp_config()
    except WhatsAppConfigError as exc:
        raise ConfigError(str(exc)) from None
    telegram = bool(settings.token) or whatsapp is None
    token = settings.require_token() if telegram else None
    if whatsapp is not None and settings.web_port is None:
        raise ConfigError("WhatsApp needs the web server for its webhook: set WEB_PORT (not off)")
    if args.webhook_url and not settings.webhook_secret:
        raise ConfigError("webhook mode needs WEBHOOK_SECRET (Telegram sends it back with every update)")
    setup_logging(settings.log_level, secrets=(token, settings.webhook_secret))
    db = Database(settings.database_url)
    db.upgrade()
    try:  # the learned readers loaded (or trained, about a minute once) now, so no family's first message waits
        warm_readers()
    except Exception:
        log.exception("the learned reader could not be loaded; messages are read with the rules alone")
    # The bot and, next to it, the dashboard (and WhatsApp's webhook on the same web server); then, everything
    # start-up built set aside from the garbage collector (bot/core/heap.py: a full collection walked it all
    # every thousand updates or so).
    app = build_application(settings, db=db, services=(DASHBOARD, SETTLED_HEAP), telegram=telegram)
    if whatsapp is not None:
        attach_whatsapp(app, whatsapp, telegram=telegram)
    if not telegram:
        log.info("bot starting (WhatsApp only, database %s)", db.dialect)
        asyncio.run(serve_without_telegram(app))
        return 0
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


async def serve_without_telegram(app: Application) -> None:
    """What ``run_polling`` does, without the polling: initialise, start (the services, the job queue), wait for
    SIGTERM / Ctrl-C, stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        await app.start()
        await stop.wait()
        await app.stop()
    finally:
        if app.post_shutdown:
            await app.post_shutdown(app)
        await app.shutdown()


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="run the bot (long polling, or webhook with --webhook-url)")
    parser.add_argument("--webhook-url", help="public HTTPS URL Telegram should post updates to")
    parser.add_argument("--listen", default="0.0.0.0", help="webhook: address to listen on (default 0.0.0.0)")
    parser.add_argument("--port", type=int, default=8443, help="webhook: port to listen on (default 8443)")
    parser.set_defaults(func=run)
