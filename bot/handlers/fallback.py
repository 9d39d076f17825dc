"""What the bot says to everything nobody else handled: kind, short, never an error."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.routing import TEXT_FLOWS
from bot.turn import Turn, turn_handler
from storage import chatstate

PRIORITY = 100


@turn_handler
def text(turn: Turn) -> None:
    """Free text: to the conversation waiting for it, else a short helpful answer."""
    state = chatstate.get(turn.session, turn.user_id)
    body = TEXT_FLOWS.get(state.flow)
    if body is not None:
        body(turn, state)
        return
    turn.reply(turn.t("common.unknown_text"))


@turn_handler
def unknown_command(turn: Turn) -> None:
    turn.reply(turn.t("common.unknown_text"))


@turn_handler
def not_text(turn: Turn) -> None:
    turn.reply(turn.t("common.only_text"))


@turn_handler
def group(turn: Turn) -> None:
    msg = turn.update.effective_message
    if msg is not None and msg.text and msg.text.startswith("/"):
        turn.reply(turn.t("common.private_only"))


@turn_handler
def stale_button(turn: Turn) -> None:
    turn.answer(turn.t("common.stale_button"))


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND & ~filters.UpdateType.EDITED, text))
    app.add_handler(MessageHandler(private & filters.COMMAND & ~filters.UpdateType.EDITED, unknown_command))
    app.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.UpdateType.EDITED & ~filters.StatusUpdate.ALL,
                                   not_text))
    app.add_handler(MessageHandler(filters.ChatType.GROUPS, group))
    app.add_handler(CallbackQueryHandler(stale_button))
