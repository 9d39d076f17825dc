""""💬 Teruskan ke bidan" under an answer the bot gave itself (bot/handlers/steps/health_answer.py).

Callback data: ``ha:fwd:<question id>``.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler

from bot.core.turn import Turn, turn_handler
from bot.handlers.context import consented_user
from bot.handlers.steps.health_answer import FORWARD, forward_answered
from storage import families as family_store


@turn_handler
def pressed(turn: Turn) -> None:
    turn.answer()
    parts = (turn.callback_data or "").split(":")
    user = consented_user(turn)
    family = family_store.family_of(turn.session, user.id) if user is not None else None
    qid = int(parts[2]) if len(parts) == 3 and parts[2].isdigit() else None
    if user is None or family is None or qid is None or not forward_answered(turn, user, family, qid):
        turn.reply(turn.t("common.stale_button"))


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(pressed, pattern=rf"^{FORWARD}:fwd:"))
