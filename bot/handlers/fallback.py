"""What the bot says to everything nobody else handled: kind, short, never an error.

Free text first goes through the danger-sign matcher: a message naming a danger sign ("bayi kejang") gets
the urgent advice at once, and the family's midwife is alerted. Then it goes to the conversation waiting
for it (``bot.chat.routing``), or gets a short helpful answer with the menu.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.chat.routing import TEXT_FLOWS
from bot.core.chat_privacy import group_hint
from bot.core.turn import Turn, turn_handler
from bot.handlers.context import consented_user
from bot.handlers.steps.ask_offer import offer, offer_keyboard
from bot.handlers.steps.danger_advice import urgent_advice, was_taken_as_answer
from storage import chatstate, staff
from storage import families as family_store
from storage.models import Family

PRIORITY = 100


def safety_net_applies(turn: Turn) -> bool:
    """The text is about the body, the baby, blood, pain, fever or breathing (danger_language.yaml)."""
    lang = turn.content.danger_language
    return lang is not None and lang.mentions_health(turn.text)


def _family_of_sender(turn: Turn) -> Family | None:
    user = consented_user(turn)
    return family_store.family_of(turn.session, user.id) if user is not None else None


@turn_handler
def text(turn: Turn) -> None:
    """Free text: danger signs first, then the conversation waiting for it, else a short helpful answer."""
    state = chatstate.get(turn.session, turn.user_id)
    # Midwives type notes and names in their own conversations: the family matcher is not for them, unless
    # the midwife is in a family herself (a midwife who just gave birth): then her danger signs count.
    from_staff = (staff.active_for_telegram_id(turn.session, turn.user_id) is not None
                  and _family_of_sender(turn) is None)
    signs = turn.content.match_danger_signs(turn.text) if turn.text and not from_staff else []
    body = TEXT_FLOWS.get(state.flow)
    if body is not None:
        before = len(turn.outgoing)
        body(turn, state)
        if signs and not was_taken_as_answer(turn):
            # The advice goes first, before the conversation's own reply.
            later = turn.outgoing[before:]
            del turn.outgoing[before:]
            urgent_advice(turn, _family_of_sender(turn), [s.id for s in signs], source="text", words=turn.text)
            turn.outgoing.extend(later)
        return
    if signs:
        urgent_advice(turn, _family_of_sender(turn), [s.id for s in signs], source="text", words=turn.text)
        return
    family = _family_of_sender(turn)
    if not from_staff and safety_net_applies(turn):
        # Not understood, but about health: what to watch for, when to go, 119 / 112 (never "belum mengerti");
        # with "Kirim ke bidan" (Tanya bidan) when the family has a facility.
        turn.reply(turn.t("danger.safety_net"), offer_keyboard(turn, family) if family is not None else None)
        return
    if family is not None:
        offer(turn, family)  # "Tanya bidan": offer to send the message to the midwife
    elif consented_user(turn) is not None:
        turn.reply(turn.t("common.unknown_text"))
    else:
        turn.reply(f"{turn.t('common.unknown_text')}\n\n{turn.t('menu.need_start')}")


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
        turn.reply(group_hint(turn))  # the one sentence a group ever gets, with the bot's link


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
