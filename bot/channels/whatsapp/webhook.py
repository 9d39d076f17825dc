"""The WhatsApp webhook on the bot's web server.

- ``GET /whatsapp/webhook`` (Meta's verification request, "Getting started with webhooks":
  https://developers.facebook.com/docs/graph-api/webhooks/getting-started): ``hub.mode=subscribe``,
  ``hub.verify_token``, ``hub.challenge``; the challenge is echoed with 200 when the token matches, else 403.
- ``POST /whatsapp/webhook``: Meta signs every body with ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the
  raw bytes keyed by the app secret>``. No header → 401; a wrong one → 403; both before the body is parsed.
  A signed body is parsed into neutral events; a message id seen before is dropped (a redelivery or a
  replay); each new event is handed to ``on_event`` (which must only queue it: the answer is a quick 200, since
  Meta retries slow answers); ``value.statuses`` go to ``on_status`` and get 200 with no reply. Every inbound
  message also moves the person's 24-hour window (by its own ``timestamp``).
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.channels.inbound import Channel, InboundEvent
from bot.channels.whatsapp.config import WhatsAppConfig
from bot.channels.whatsapp.parse import StatusUpdate, parse_body
from bot.channels.whatsapp.seen import MemorySeen, SeenStore
from bot.channels.whatsapp.window import InboundTimes
from bot.core.clock import Clock, SystemClock

log = logging.getLogger(__name__)

PATH = "/whatsapp/webhook"
SIGNATURE_HEADER = "X-Hub-Signature-256"

EventSink = Callable[[InboundEvent], Awaitable[None] | None]
StatusSink = Callable[[StatusUpdate], Awaitable[None] | None]


def signature(app_secret: str, raw: bytes) -> str:
    """The header value Meta sends for ``raw``: ``sha256=`` and the hex HMAC-SHA256."""
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


def signature_ok(app_secret: str, raw: bytes, header: str) -> bool:
    return hmac.compare_digest(signature(app_secret, raw).encode(), header.strip().encode())


async def _call(sink: Callable[[Any], Awaitable[None] | None] | None, item: Any) -> None:
    if sink is None:
        return
    result = sink(item)
    if inspect.isawaitable(result):
        await result


class WhatsAppWebhook:
    def __init__(self, config: WhatsAppConfig, on_event: EventSink, *, on_status: StatusSink | None = None,
                 seen: SeenStore | None = None, clock: Clock | None = None,
                 inbound_times: InboundTimes | None = None):
        self.config = config
        self.on_event = on_event
        self.on_status = on_status
        self.seen = seen or MemorySeen()
        self.clock = clock or SystemClock()
        self.inbound_times = inbound_times if inbound_times is not None else InboundTimes()
        self.refused = {401: 0, 403: 0}
        self.replays = 0

    def add_routes(self, app: web.Application, path: str = PATH) -> None:
        app.router.add_get(path, self.verify)
        app.router.add_post(path, self.receive)

    async def verify(self, request: web.Request) -> web.Response:
        q = request.query
        token = q.get("hub.verify_token", "")
        if q.get("hub.mode") == "subscribe" and hmac.compare_digest(token.encode(), self.config.verify_token.encode()):
            return web.Response(text=q.get("hub.challenge", ""))
        self.refused[403] += 1
        return web.Response(status=403, text="forbidden")

    async def receive(self, request: web.Request) -> web.Response:
        raw = await request.read()
        header = request.headers.get(SIGNATURE_HEADER, "")
        if not header:
            self.refused[401] += 1
            return web.Response(status=401, text="signature missing")
        if not signature_ok(self.config.app_secret, raw, header):
            self.refused[403] += 1
            log.warning("whatsapp webhook: wrong signature from %s", request.remote)
            return web.Response(status=403, text="signature wrong")
        try:
            body = json.loads(raw)
        except ValueError:
            return web.Response(status=400, text="not JSON")
        parsed = parse_body(body, self.config.phone_number_id)
        now = self.clock.now()
        for status in parsed.statuses:
            await _call(self.on_status, status)
        for event in parsed.events:
            first = self.seen.first_time(Channel.WHATSAPP, event.provider_message_id, now)
            if inspect.isawaitable(first):  # a store that runs the query in the runtime's thread pool
                first = await first
            if not first:
                self.replays += 1
                continue
            self.inbound_times.saw(event.address, event.time)
            await _call(self.on_event, event)
        return web.Response(text="ok")


def webhook_app(webhook: WhatsAppWebhook) -> web.Application:
    """A sub-application holding only the webhook (mount it, or run it on its own in tests)."""
    app = web.Application(client_max_size=3 * 1024 * 1024)
    webhook.add_routes(app)
    return app
