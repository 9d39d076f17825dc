"""Sharing a phone number with the family's midwives (optional): Telegram's contact button.

Asked once after registration and after joining a family (``ask_phone``, bot/handlers/steps/phone_question.py),
and any time with ``/nomor``. Nothing waits for the answer: the contact button sends a contact message (handled
here, whenever it comes), and "Lewati" is a plain text button. Only the person's own contact is taken. The number is shown only to
midwives of the family's facility, never exported pseudonymously, and erased by /hapus.
"""

from __future__ import annotations

from telegram import ReplyKeyboardRemove
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.chat.keyboards import inline
from bot.core.turn import Turn, turn_handler
from bot.flows import desk
from bot.handlers.context import consented_user
from bot.handlers.steps.phone_question import SKIP, USE_WHATSAPP_NUMBER, ask_phone, phone_keyboard
from content import get_content
from storage import identities

PRIORITY = 40  # before the catch-all fallbacks (100)


@turn_handler
def on_contact(turn: Turn) -> None:
    msg = turn.update.effective_message
    contact = msg.contact if msg is not None else None
    user = consented_user(turn)
    if contact is None or user is None:
        turn.reply(turn.t("common.only_text"))
        return
    if contact.user_id != turn.user_id:
        turn.reply(turn.t("desk.phone_not_own"), phone_keyboard(turn))
        return
    phone = desk.normalize_phone(contact.phone_number)
    if phone is None:
        turn.reply(turn.t("desk.phone_not_own"), phone_keyboard(turn))
        return
    user.phone = phone
    turn.session.add(user)
    turn.reply(turn.t("desk.phone_saved"), ReplyKeyboardRemove())


@turn_handler
def on_skip(turn: Turn) -> None:
    if turn.callback_data is not None:
        turn.answer()
        turn.reply(turn.t("desk.phone_skipped"))
        return
    turn.reply(turn.t("desk.phone_skipped"), ReplyKeyboardRemove())


@turn_handler
def on_use_whatsapp_number(turn: Turn) -> None:
    """WhatsApp: the person lets the midwife see the number the bot writes to (their WhatsApp address)."""
    user = consented_user(turn)
    identity = identities.by_person(turn.session, turn.user_id) if turn.user_id is not None else None
    phone = desk.normalize_phone("+" + identity.address) if identity is not None else None
    turn.answer()
    if user is None or phone is None:
        turn.reply(turn.t("common.stale_button"))
        return
    user.phone = phone
    turn.session.add(user)
    turn.reply(turn.t("desk.phone_saved"))


@turn_handler
def phone_command(turn: Turn) -> None:
    user = consented_user(turn)
    if user is None:
        turn.reply(turn.t("menu.need_start"))
        return
    if user.phone:
        turn.reply(turn.t("desk.phone_current", nomor=user.phone),
                   inline([[(turn.t("desk.button_remove_phone"), "phone:remove")]]))
    turn.reply(turn.t("desk.phone_privacy"))
    ask_phone(turn)


@turn_handler
def on_remove(turn: Turn) -> None:
    user = consented_user(turn)
    if user is None:
        turn.answer(turn.t("common.stale_button"))
        return
    user.phone = None
    turn.session.add(user)
    turn.answer()
    turn.edit_markup(None)
    turn.reply(turn.t("desk.phone_removed"), ReplyKeyboardRemove())


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    skip = get_content().text("desk.button_skip_phone")
    app.add_handler(MessageHandler(private & filters.CONTACT & ~filters.UpdateType.EDITED, on_contact))
    app.add_handler(MessageHandler(private & filters.Text([skip]) & ~filters.UpdateType.EDITED, on_skip))
    app.add_handler(CommandHandler("nomor", phone_command, filters=private))
    app.add_handler(CallbackQueryHandler(on_remove, pattern=r"^phone:remove$"))
    app.add_handler(CallbackQueryHandler(on_use_whatsapp_number, pattern=f"^{USE_WHATSAPP_NUMBER}$"))
    app.add_handler(CallbackQueryHandler(on_skip, pattern=f"^{SKIP}$"))
