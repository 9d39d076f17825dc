"""Routing of free text to the conversation that is waiting for it.

A person's place in a conversation is stored in ``ChatState.flow``. A module that owns a flow registers the
body that handles text typed in that flow::

    @text_flow("registration")
    def registration_text(turn: Turn, state: ChatState) -> None: ...

The text router (bot/handlers/fallback.py) looks the flow up here; text in no flow goes to the fallback.
"""

from __future__ import annotations

from collections.abc import Callable

TextBody = Callable[..., None]
TEXT_FLOWS: dict[str, TextBody] = {}


def text_flow(*flows: str) -> Callable[[TextBody], TextBody]:
    def register(body: TextBody) -> TextBody:
        for flow in flows:
            if flow in TEXT_FLOWS and TEXT_FLOWS[flow] is not body:
                raise ValueError(f"text flow {flow!r} registered twice")
            TEXT_FLOWS[flow] = body
        return body

    return register
