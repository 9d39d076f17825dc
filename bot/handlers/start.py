"""/start, consent (two levels) and the role question.

Without consent nothing personal is stored: until "Setuju" the person exists only as a ChatState row
(their place in the conversation, plus a pending join or facility code from a deep link). "Tidak setuju"
removes even that. The questions themselves (and what /start does) are bot/handlers/steps/welcome.py.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.chat import deeplinks
from bot.chat.keyboards import callback, inline
from bot.chat.routing import text_flow
from bot.core.turn import Turn, turn_handler
from bot.flows import privacy
from bot.handlers.context import (
    clear_state,
    consented_user,
    parse_data,
    put_state,
    remember_user,
    stale,
    state,
)
from bot.handlers.steps.join import ask_code
from bot.handlers.steps.registration_questions import begin_registration
from bot.handlers.steps.welcome import (
    CONSENT,
    ONBOARDING,
    RESEARCH,
    ROLE,
    ask_research,
    ask_role,
    begin,
    consent_keyboard,
    continue_pending,
)
from storage import families as family_store
from storage.models import ChatState


@turn_handler
def start(turn: Turn) -> None:
    payload = turn.args[0] if turn.args else None
    if payload and deeplinks.dispatch(turn, payload):
        return
    begin(turn)


# -- consent --------------------------------------------------------------------------------------------

@turn_handler
def on_consent(turn: Turn) -> None:
    parts = parse_data(turn, 2)
    if parts is None or parts[1] not in ("privacy", "yes", "no"):
        stale(turn)
        return
    choice = parts[1]
    st = state(turn)
    pending = st.data.get("pending") if st.flow == ONBOARDING else None
    user = consented_user(turn)
    if choice == "privacy":
        turn.reply(turn.t("onboarding.privacy"))
        turn.reply(turn.t("onboarding.ask_consent"), consent_keyboard(turn))
        return
    turn.edit_markup(None)
    if choice == "no":
        if user is not None:  # agreed before: their data stays until they ask for /hapus
            turn.answer(turn.t("onboarding.already_registered"))
            return
        existing = turn.session.get(ChatState, turn.user_id)
        if existing is not None:
            turn.session.delete(existing)
        turn.reply(turn.t("onboarding.disagree"))
        return
    if user is None:
        user = remember_user(turn)
        user.consent_at = turn.now
        user.consent_version = privacy.consent_version(turn.content)
        user.deleted_at = None
        turn.session.add(user)
    elif family_store.family_of(turn.session, user.id) is not None and not pending:
        turn.answer(turn.t("onboarding.already_registered"))
        return
    turn.reply(turn.t("onboarding.agreed"))
    ask_research(turn, pending)


@turn_handler
def on_research(turn: Turn) -> None:
    parts = parse_data(turn, 2)
    user = consented_user(turn)
    if parts is None or parts[1] not in ("yes", "no"):
        stale(turn)
        return
    if user is None:
        turn.answer(turn.t("menu.need_start"), alert=True)
        return
    user.consent_research = parts[1] == "yes"
    user.consent_version = privacy.consent_version(turn.content)  # the words this answer agreed to
    turn.session.add(user)
    turn.edit_markup(None)
    st = state(turn)
    pending = st.data.get("pending") if st.flow == ONBOARDING else None
    if pending:
        continue_pending(turn, user, pending)
        return
    if family_store.family_of(turn.session, user.id) is not None:
        turn.answer(turn.t("family.saved_research"))
        clear_state(turn)
        return
    ask_role(turn)


@text_flow(ONBOARDING)
def onboarding_text(turn: Turn, st: ChatState) -> None:
    """Typed text while a consent or role button is expected: point at the buttons, kindly."""
    if st.step == CONSENT:
        turn.reply(turn.t("family.consent_first"), consent_keyboard(turn))
    elif st.step == RESEARCH:
        ask_research(turn, st.data.get("pending"))
    else:
        ask_role(turn, st.data.get("pending"))


# -- role -------------------------------------------------------------------------------------------------

@turn_handler
def on_role(turn: Turn) -> None:
    parts = parse_data(turn, 2)
    user = consented_user(turn)
    if parts is None or parts[1] not in ("mother", "husband", "midwife", "code", "first"):
        stale(turn)
        return
    if user is None:
        turn.answer(turn.t("menu.need_start"), alert=True)
        return
    choice = parts[1]
    if choice == "midwife":
        turn.reply(turn.t("onboarding.role_bidan_info"))
        return
    if family_store.family_of(turn.session, user.id) is not None:
        turn.answer(turn.t("onboarding.already_registered"), alert=True)
        return
    st = state(turn)
    pending = (st.data.get("pending") or {}) if st.flow == ONBOARDING else {}
    facility_id = pending.get("facility_id") if pending.get("kind") == "fas" else None
    turn.edit_markup(None)
    if choice == "mother":
        begin_registration(turn, family_store.MOTHER, facility_id)
    elif choice == "husband":
        put_state(turn, ONBOARDING, ROLE, st.data if st.flow == ONBOARDING else {})
        turn.reply(turn.t("family.husband_has_code"), inline([
            [(turn.t("family.button_have_code"), callback("role", "code"))],
            [(turn.t("family.button_register_first"), callback("role", "first"))],
        ]))
    elif choice == "code":
        ask_code(turn)
    else:
        begin_registration(turn, family_store.HUSBAND, facility_id)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(on_consent, pattern=r"^consent:"))
    app.add_handler(CallbackQueryHandler(on_research, pattern=r"^research:"))
    app.add_handler(CallbackQueryHandler(on_role, pattern=r"^role:"))
