"""Commands of ``python -m bot``: every module here that defines ``register(subparsers)`` adds one.

A command's parser sets ``func=run`` where ``run(args) -> int`` returns the exit code.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def command_modules() -> list[ModuleType]:
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            modules.append(module)
    return modules
