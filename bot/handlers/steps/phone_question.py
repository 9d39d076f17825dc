"""The optional phone question, asked after registration and after joining a family; bot/handlers/phone.py takes
the answer whenever it comes. On Telegram: its contact button. On WhatsApp the bot already writes to the person's
number, so the question is only whether the midwife may see it (one tap, or "Lewati")."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup

from bot.chat.keyboards import inline
from bot.core.turn import Turn
from storage.identities import is_whatsapp_id

USE_WHATSAPP_NUMBER = "phone:wa"
SKIP = "phone:skip"


def phone_keyboard(turn: Turn) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(turn.t("desk.button_share_phone"), request_contact=True)],
         [KeyboardButton(turn.t("desk.button_skip_phone"))]],
        resize_keyboard=True, one_time_keyboard=True,
    )


def ask_phone(turn: Turn, chat_id: int | None = None) -> None:
    """Offer the contact button (one tap) and "Lewati" in this chat (or ``chat_id``); it may be ignored too."""
    target = chat_id if chat_id is not None else turn.chat_id
    if is_whatsapp_id(target):
        turn.send(target, turn.t("desk.ask_phone_whatsapp"),
                  inline([[(turn.t("desk.button_use_wa_number"), USE_WHATSAPP_NUMBER)],
                          [(turn.t("desk.button_skip_phone"), SKIP)]]))
        return
    turn.send(target, turn.t("desk.ask_phone"), phone_keyboard(turn))
