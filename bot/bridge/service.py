"""WhatsApp in the bot's process: :func:`attach_whatsapp` wires it into an Application right after it is built
(before ``initialize``, so a process without Telegram never calls getMe there).

- the bot object routes a WhatsApp person's calls to :class:`~bot.bridge.delivery.WhatsAppDelivery`;
- the webhook (``/whatsapp/webhook``) is mounted on the bot's web server (``WEB_PORT``, bot/web/server.py);
- the bridge's worker starts with the Application's services and stops before the web server.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from telegram.ext import Application

import content as content_package
from bot.bridge.bridge import WhatsAppBridge
from bot.bridge.delivery import WhatsAppDelivery
from bot.channels.whatsapp.client import WhatsAppClient
from bot.channels.whatsapp.config import WhatsAppConfig
from bot.channels.whatsapp.media import MediaIds
from bot.channels.whatsapp.parse import StatusUpdate
from bot.channels.whatsapp.webhook import WhatsAppWebhook
from bot.channels.whatsapp.window import InboundTimes
from bot.core.chat_privacy import GuardedBot
from bot.core.logs import add_secret
from bot.core.runtime import get_runtime
from bot.core.services import SERVICES_KEY, WEB_ROUTES_KEY, Service
from bot.core.updates import PerChatUpdateProcessor
from content.whatsapp import load_whatsapp_templates
from storage import channel_messages, identities

log = logging.getLogger(__name__)

BRIDGE_KEY = "whatsapp_bridge"


class _Seen:
    """The webhook's "seen this message id?" store, on the database, its query in the runtime's thread pool."""

    def __init__(self, rt: Any):
        self.rt = rt

    def first_time(self, channel: str, provider_id: str, now: Any):
        def check() -> bool:
            with self.rt.db.session() as session:
                first = channel_messages.first_time(session, channel, provider_id, now)
                session.commit()
                return first

        return self.rt.run_sync(check)


PRUNE_SECONDS = 6 * 3600


def _status_recorder(rt: Any):
    """The webhook's status sink: each callback stored (by the person's internal id), a failure logged."""

    def write(status: StatusUpdate) -> None:
        with rt.db.session() as session:
            person = identities.by_address(session, identities.WHATSAPP, status.recipient)
            channel_messages.record_status(
                session, identities.WHATSAPP, provider_message_id=status.provider_message_id,
                person_id=person.person_id if person is not None else None, status=status.status, at=status.time,
                error_code=status.error_code, error_title=status.error_title)
            session.commit()

    async def on_status(status: StatusUpdate) -> None:
        if status.status == "failed":
            log.warning("whatsapp message %s failed: %s %s", status.provider_message_id, status.error_code,
                        status.error_title)
        try:
            await rt.run_sync(write, status)
        except Exception:  # noqa: BLE001 - a status is worth a log line, never a failed webhook
            log.exception("storing a whatsapp status failed")

    return on_status


def attach_whatsapp(app: Application, config: WhatsAppConfig, *, telegram: bool) -> WhatsAppBridge:
    """Wire WhatsApp into ``app`` (``telegram``: whether this process also talks to Telegram)."""
    rt = get_runtime(app)
    for secret in (config.token, config.app_secret, config.verify_token):
        add_secret(secret)
    templates = load_whatsapp_templates(Path(content_package.__file__).parent)
    if templates is None:
        raise RuntimeError("content/whatsapp_templates.yaml is missing: WhatsApp needs its templates")
    client = WhatsAppClient(config)
    media = MediaIds(client, rt.clock)
    delivery = WhatsAppDelivery(rt, client, media, templates, telegram=telegram,
                                username=rt.settings.bot_username or "pijat_oksitosin_bot")
    bot = app.bot
    if not isinstance(bot, GuardedBot):
        raise TypeError("WhatsApp needs the bot's GuardedBot")
    bot.route_with(delivery)
    bridge = WhatsAppBridge(app, delivery, client)
    times = InboundTimes()

    def prime_times() -> None:  # the window survives a restart: last_inbound_at is durable
        with rt.db.session() as session:
            for address, at in identities.inbound_times(session, identities.WHATSAPP).items():
                times.saw(address, at)

    webhook = WhatsAppWebhook(config, bridge.on_event, on_status=_status_recorder(rt), seen=_Seen(rt), clock=rt.clock,
                              inbound_times=times)
    app.bot_data[WEB_ROUTES_KEY] = (*app.bot_data.get(WEB_ROUTES_KEY, ()), webhook.add_routes)
    processor = app.update_processor
    if isinstance(processor, PerChatUpdateProcessor):
        previous = processor.on_processed

        async def processed(update: object) -> None:
            bridge.processed(update)
            if previous is not None:
                result = previous(update)
                if hasattr(result, "__await__"):
                    await result

        processor.on_processed = processed

    def prune() -> None:  # replayed ids older than Meta's retries, statuses older than they are useful
        with rt.db.session() as session:
            now = rt.clock.now()
            channel_messages.prune(session, now)
            channel_messages.prune_statuses(session, now)
            session.commit()

    async def prune_job(_context: object) -> None:
        try:
            await rt.run_sync(prune)
        except Exception:  # noqa: BLE001 - tried again at the next run
            log.exception("pruning the whatsapp message records failed")

    async def start(_app: Application) -> None:
        await rt.run_sync(prime_times)
        if _app.job_queue is not None:
            _app.job_queue.run_repeating(prune_job, interval=PRUNE_SECONDS, first=PRUNE_SECONDS, name="wa-prune")
        await bridge.start()
        log.info("whatsapp on: webhook at /whatsapp/webhook, sending through %s", config.api_url)

    async def stop(_app: Application) -> None:
        await bridge.stop()
        await client.close()

    # first among the services: its route is on the web server before the dashboard starts it
    app.bot_data[SERVICES_KEY] = (Service("whatsapp", start, stop), *app.bot_data.get(SERVICES_KEY, ()))
    app.bot_data[BRIDGE_KEY] = bridge
    bridge.webhook = webhook
    return bridge
