"""What runs next to the bot in its process, composed by whoever starts it (``python -m bot run`` starts the
midwife's dashboard, bot/web/server.py): started after the Application is initialised, stopped after its last
update. The engine (bot/core/app.py) only runs the list it is given, so it imports nothing above it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

SERVICES_KEY = "services"


@dataclass(frozen=True)
class Service:
    name: str
    start: Callable[[Any], Awaitable[object]]  # receives the Application
    stop: Callable[[Any], Awaitable[object]]


# Routes another part adds to the bot's web server (WEB_PORT) before it starts: ``add(web_app)`` callables in
# ``app.bot_data[WEB_ROUTES_KEY]`` (the WhatsApp webhook, bot/bridge/service.py), so web/ imports none of them.
WEB_ROUTES_KEY = "web_routes"
