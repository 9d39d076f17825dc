"""What every handler and job needs, carried on the Application: settings, database, content, clock."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

from telegram.ext import Application, CallbackContext

from bot.core.clock import Clock, SystemClock
from bot.core.config import Settings
from content import Content, get_content
from storage.db import Database

RUNTIME_KEY = "runtime"


@dataclass
class Runtime:
    settings: Settings
    db: Database
    content: Content = field(default_factory=get_content)
    clock: Clock = field(default_factory=SystemClock)
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    bot_username: str | None = None

    @property
    def username(self) -> str:
        """The bot's username for deep links: BOT_USERNAME, else what getMe said."""
        return self.settings.bot_username or self.bot_username or "PijatOksitosinBot"


def get_runtime(context: CallbackContext | Application) -> Runtime:
    app = context if isinstance(context, Application) else context.application
    return app.bot_data[RUNTIME_KEY]
