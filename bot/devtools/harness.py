"""Run the real bot in-process against a Bot-API server on 127.0.0.1 (the project's fake one).

Used by the simulator, the end-to-end tests and the benchmarks: the same ``Application`` and handlers as
``python -m bot run``, talking real HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram.ext import Application

from bot.bridge.service import attach_whatsapp
from bot.channels.whatsapp.config import WhatsAppConfig
from bot.core.app import build_application
from bot.core.clock import Clock
from bot.core.config import Settings
from bot.core.intake import ALLOWED_UPDATES
from bot.core.runtime import Runtime, get_runtime
from bot.core.updates import PerChatUpdateProcessor
from bot.web.server import DASHBOARD, stop_web
from content.health_topics import warm_readers
from storage.db import Database


@dataclass
class RunningBot:
    """A started Application polling ``fake``; ``restart()`` simulates a process restart."""

    settings: Settings
    db: Database
    clock: Clock
    fake: object  # bot.devtools.fake_telegram.FakeTelegram
    app: Application | None = None
    poll: bool = True
    extra_builder_kwargs: dict = field(default_factory=dict)
    whatsapp: WhatsAppConfig | None = None  # WhatsApp in the same process (its webhook on the web server)
    bridge: object | None = None  # bot.bridge.bridge.WhatsAppBridge, when whatsapp is set

    @property
    def runtime(self) -> Runtime:
        return get_runtime(self.app)

    async def start(self) -> RunningBot:
        # as `python -m bot run` does: the learned readers loaded (or trained once, ~50 s on a fresh machine)
        # before the first update, so no test's first message waits for it past the fake API's timeout
        warm_readers()
        processor = PerChatUpdateProcessor(on_processed=self._processed)
        self.app = build_application(
            self.settings, db=self.db, clock=self.clock, update_processor=processor, services=(DASHBOARD,),
            **self.extra_builder_kwargs
        )
        if self.whatsapp is not None:
            self.bridge = attach_whatsapp(self.app, self.whatsapp, telegram=True)
        await self.app.initialize()
        if self.app.post_init:
            await self.app.post_init(self.app)
        await self.app.start()
        if self.poll:
            await self.app.updater.start_polling(
                poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False
            )
        return self

    def _processed(self, update: object) -> None:
        update_id = getattr(update, "update_id", None)
        if update_id is not None:
            self.fake.mark_processed(update_id)

    async def stop(self) -> None:
        if self.app is None:
            return
        app, self.app = self.app, None
        if app.updater and app.updater.running:
            await app.updater.stop()
        if self.bridge is not None:
            await self.bridge.stop()
            await self.bridge.client.close()
        if app.running:
            await app.stop()
        await stop_web(app)  # run_polling calls post_shutdown; this harness drives the Application itself
        await app.shutdown()
        get_runtime(app).close()

    async def restart(self) -> RunningBot:
        """Stop this Application and start a fresh one on the same database (a new process, in effect)."""
        await self.stop()
        return await self.start()

    async def __aenter__(self) -> RunningBot:
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.stop()
