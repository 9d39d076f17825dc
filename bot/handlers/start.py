"""/start: the first words, and the user is stored."""

from __future__ import annotations

from telegram.ext import Application, CommandHandler, filters

from bot.keyboards import callback, inline
from bot.turn import Turn, turn_handler
from storage import users


def remember_user(turn: Turn):
    """Find or create the person behind this update."""
    tg = turn.telegram_user
    return users.upsert(
        turn.session,
        telegram_id=tg.id,
        chat_id=turn.chat_id,
        first_name=tg.first_name,
        language_code=tg.language_code,
        now=turn.now,
    )


def welcome_keyboard(turn: Turn):
    return inline([
        [(turn.t("onboarding.button_privacy"), callback("consent", "privacy"))],
        [
            (turn.t("onboarding.button_agree"), callback("consent", "yes")),
            (turn.t("onboarding.button_disagree"), callback("consent", "no")),
        ],
    ])


@turn_handler
def start(turn: Turn) -> None:
    remember_user(turn)
    turn.reply(turn.t("onboarding.welcome"), welcome_keyboard(turn))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start, filters=filters.ChatType.PRIVATE))
