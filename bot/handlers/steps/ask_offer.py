""""Kirim ke bidan": the fallback's offer to send a message the bot did not understand to the family's midwives
(flow ``tanya``, step ``offer``, the text kept in the conversation); bot/handlers/questions.py sends it."""

from __future__ import annotations

from bot.chat.keyboards import inline
from bot.core.turn import Turn
from bot.handlers.context import put_state
from bot.handlers.steps.main_menu import main_keyboard
from storage import questions as store
from storage.models import Family

ASK_FLOW = "tanya"
OFFER = "offer"


def offer(turn: Turn, family: Family) -> None:
    """The fallback's answer to free text it did not understand: offer to send it to the midwife."""
    if family.facility_id is None or not turn.text:
        turn.reply(turn.t("menu.unknown_text"), main_keyboard(turn, family))
        return
    turn.reply(turn.t("desk.offer_ask"), offer_keyboard(turn, family))


def offer_keyboard(turn: Turn, family: Family):
    """"Kirim ke bidan" for the message just typed (kept in the conversation), or the menu without a facility."""
    if family.facility_id is None or not turn.text:
        return main_keyboard(turn, family)
    put_state(turn, ASK_FLOW, OFFER, {"text": turn.text[: store.TEXT_MAX]})
    return inline([[(turn.t("desk.button_offer_send"), "ask:send"), (turn.t("desk.button_menu"), "menu:show")]])
