"""The optional phone question (Telegram's contact button), asked after registration and after joining a family;
bot/handlers/phone.py takes the answer whenever it comes."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup

from bot.core.turn import Turn


def phone_keyboard(turn: Turn) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(turn.t("desk.button_share_phone"), request_contact=True)],
         [KeyboardButton(turn.t("desk.button_skip_phone"))]],
        resize_keyboard=True, one_time_keyboard=True,
    )


def ask_phone(turn: Turn, chat_id: int | None = None) -> None:
    """Offer the contact button (one tap) and "Lewati" in this chat (or ``chat_id``); it may be ignored too."""
    turn.send(chat_id if chat_id is not None else turn.chat_id, turn.t("desk.ask_phone"), phone_keyboard(turn))
