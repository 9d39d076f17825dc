"""The ``reply`` outbox kind: a conversation reply Telegram did not take at once (bot/core/reply_delivery.py)."""

from __future__ import annotations

from bot.flows.outbox_kinds import Rendered, renderer


@renderer("reply")
def render_reply(session, row, content, now) -> Rendered | None:  # noqa: ARG001
    payload = row.payload or {}
    text = payload.get("text")
    if not text and not payload.get("photo"):
        return None  # cleared by /hapus: nothing to send
    buttons = [[(str(label), str(data)) for label, data in r] for r in payload.get("buttons") or []]
    return Rendered(text=text or "", buttons=buttons, photo=payload.get("photo"))
