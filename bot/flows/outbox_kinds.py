"""How each kind of Outbox row becomes a message: a registry of renderers.

A module in bot/flows/ that schedules a kind registers its renderer (the dispatcher imports every module
of bot/flows/, and only those, to find them)::

    @renderer("massage")
    def render_massage(session, row, content, now) -> Rendered | None: ...

The dispatcher looks the row's kind up here. ``None`` means "nothing to send any more" (the row is
cancelled, e.g. the family finished early).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

Buttons = list[list[tuple[str, str]]]  # rows of (label, callback data)


@dataclass(frozen=True)
class Rendered:
    text: str
    buttons: Buttons = field(default_factory=list)
    photo: str | bytes | None = None  # a file path or bytes; the text is then the caption


RENDERERS: dict[str, Callable[..., Rendered | None]] = {}


def renderer(kind: str):
    def register(fn):
        if kind in RENDERERS and RENDERERS[kind] is not fn:
            raise ValueError(f"outbox kind {kind!r} registered twice")
        RENDERERS[kind] = fn
        return fn

    return register
