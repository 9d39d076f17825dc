"""Deep links (``https://t.me/<bot>?start=<prefix><code>``): a registry of what each prefix opens.

A module registers the body for its prefix::

    @deep_link("bid_")
    def midwife_invite(turn: Turn, code: str) -> None: ...

``/start <payload>`` calls :func:`dispatch`; an unknown or malformed payload returns False and /start goes on
as usual (a stranger with a wrong code learns nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable

DEEP_LINKS: dict[str, Callable[..., None]] = {}
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def deep_link(prefix: str):
    def register(body):
        if prefix in DEEP_LINKS and DEEP_LINKS[prefix] is not body:
            raise ValueError(f"deep link {prefix!r} registered twice")
        DEEP_LINKS[prefix] = body
        return body

    return register


def dispatch(turn, payload: str | None) -> bool:
    """Run the body registered for ``payload``'s prefix; False if there is none."""
    if not payload or not _PAYLOAD.match(payload):
        return False
    for prefix, body in DEEP_LINKS.items():
        if payload.startswith(prefix) and len(payload) > len(prefix):
            body(turn, payload[len(prefix):])
            return True
    return False


def link(username: str, payload: str) -> str:
    return f"https://t.me/{username}?start={payload}"
