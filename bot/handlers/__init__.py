"""Telegram handlers, one module per part of the product.

Every module here that defines ``register(application)`` is registered by bot/core/app.py, in the order of its
``PRIORITY`` (default 50; lower first). The catch-all fallbacks use a high number so they come last.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def handler_modules() -> list[ModuleType]:
    modules = []
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            modules.append(module)
    return sorted(modules, key=lambda m: (getattr(m, "PRIORITY", 50), m.__name__))
