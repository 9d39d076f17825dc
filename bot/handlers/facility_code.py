"""/keluarga → "Kode fasilitas": a family adds (or changes) its facility code after registering.

Linking sends the family's open danger signs reported before linking to the facility's midwives
(bot.flows.alerts.link_facility, via bot/handlers/steps/facility_link.py). Callback data: ``fk:ask``.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler

from bot.chat.routing import text_flow
from bot.core.turn import Turn, turn_handler
from bot.flows import family_admission as admission
from bot.handlers.context import clear_state, family_context, put_state
from bot.handlers.steps.facility_link import attach
from storage import facilities
from storage.models import ChatState

FLOW = "facility_code"


@turn_handler
def on_button(turn: Turn) -> None:
    ctx = family_context(turn)
    if ctx is None:
        return
    turn.answer()
    user, family = ctx
    if not admission.may_manage(turn.session, user_id=user.id, family_id=family.id):
        turn.reply(turn.t("family.only_parents"))
        return
    put_state(turn, FLOW, "code", {})
    turn.reply(turn.t("danger.ask_facility_code"))


def code_answer(turn: Turn, st: ChatState) -> bool:  # noqa: ARG001
    """A facility code that exists is an answer, even one that reads like a danger sign."""
    code = turn.text.strip()[:32]
    return bool(code) and facilities.by_code(turn.session, code) is not None


@text_flow(FLOW, answers=code_answer)
def code_text(turn: Turn, st: ChatState) -> None:  # noqa: ARG001
    ctx = family_context(turn)
    if ctx is None:
        clear_state(turn)
        return
    user, family = ctx
    if not admission.may_manage(turn.session, user_id=user.id, family_id=family.id):
        clear_state(turn)
        turn.reply(turn.t("family.only_parents"))
        return
    code = turn.text.strip()[:32]
    facility = facilities.by_code(turn.session, code) if code else None
    if facility is None:
        turn.reply(turn.t("danger.facility_code_unknown", kode=code or "-"))
        return
    clear_state(turn)
    attach(turn, family, facility.id)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^fk:"))
