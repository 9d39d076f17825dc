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
