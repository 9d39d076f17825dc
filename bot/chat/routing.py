"""Routing of free text to the conversation that is waiting for it.

A person's place in a conversation is stored in ``ChatState.flow``. A module that owns a flow registers the
body that handles text typed in that flow::

    @text_flow("registration")
    def registration_text(turn: Turn, state: ChatState) -> None: ...

The text router (bot/handlers/fallback.py) looks the flow up here; text in no flow goes to the fallback.

A danger sign interrupts any flow (the fallback reads the text first). A flow whose question a danger word can
answer says so with ``answers``: ``answers(turn, state) -> bool`` is True when the text is a plain answer to
the question waiting ("kuning" for a stool colour, a name at registration), and then the flow takes it.
``answers=ANY`` marks a flow whose text is a message to someone else (a midwife's reply): never read for signs.
"""

from __future__ import annotations

from collections.abc import Callable

TextBody = Callable[..., None]
AnswerProbe = Callable[..., bool]
TEXT_FLOWS: dict[str, TextBody] = {}
ANSWER_PROBES: dict[str, AnswerProbe] = {}


def ANY(turn, state) -> bool:  # noqa: ARG001, N802
    """Every text of this flow is a message to someone else, never a report about the writer's family."""
    return True


def text_flow(*flows: str, answers: AnswerProbe | None = None) -> Callable[[TextBody], TextBody]:
    def register(body: TextBody) -> TextBody:
        for flow in flows:
            if flow in TEXT_FLOWS and TEXT_FLOWS[flow] is not body:
                raise ValueError(f"text flow {flow!r} registered twice")
            TEXT_FLOWS[flow] = body
            if answers is not None:
                ANSWER_PROBES[flow] = answers
        return body

    return register
