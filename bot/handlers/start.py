"""/start, consent (two levels) and the role question.

Without consent nothing personal is stored: until "Setuju" the person exists only as a ChatState row
(their place in the conversation, plus a pending join or facility code from a deep link). "Tidak setuju"
removes even that.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.chat import deeplinks
from bot.chat.keyboards import callback, inline
from bot.chat.routing import text_flow
from bot.core.turn import Turn, turn_handler
from bot.handlers.context import (
    clear_state,
    consented_user,
    parse_data,
    put_state,
    remember_user,
    stale,
    state,
)
from storage import families as family_store
from storage.models import ChatState, User

ONBOARDING = "onboarding"
CONSENT, RESEARCH, ROLE = "consent", "research", "role"


# -- /start ---------------------------------------------------------------------------------------------

def welcome_keyboard(turn: Turn):
    return inline([
        [(turn.t("onboarding.button_privacy"), callback("consent", "privacy"))],
        [
            (turn.t("onboarding.button_agree"), callback("consent", "yes")),
            (turn.t("onboarding.button_disagree"), callback("consent", "no")),
        ],
    ])


def consent_keyboard(turn: Turn):
    return inline([[
        (turn.t("onboarding.button_agree"), callback("consent", "yes")),
        (turn.t("onboarding.button_disagree"), callback("consent", "no")),
    ]])


def role_keyboard(turn: Turn):
    return inline([
        [(turn.t("onboarding.role_ibu"), callback("role", "mother")),
         (turn.t("onboarding.role_suami"), callback("role", "husband"))],
        [(turn.t("onboarding.role_bidan"), callback("role", "midwife"))],
    ])


def ask_role(turn: Turn, pending: dict | None = None) -> None:
    put_state(turn, ONBOARDING, ROLE, {"pending": pending} if pending else {})
    turn.reply(f"{turn.t('onboarding.ask_role')}\n\n{turn.t('family.role_hint')}", role_keyboard(turn))


def begin(turn: Turn, pending: dict | None = None) -> None:
    """What /start does for this person, with an optional pending join or facility from a deep link."""
    user = consented_user(turn)
    if user is None:
        put_state(turn, ONBOARDING, CONSENT, {"pending": pending} if pending else {})
        turn.reply(turn.t("onboarding.welcome"), welcome_keyboard(turn))
        return
    remember_user(turn)
    if pending:
        continue_pending(turn, user, pending)
        return
    family = family_store.family_of(turn.session, user.id)
    if family is not None:
        from bot.handlers.menu import main_keyboard

        turn.reply(turn.t("family.welcome_back", nama=user.display_name or user.first_name or ""),
                   main_keyboard(turn, family))
        return
    st = state(turn)
    if resume_flow(turn, st):
        return
    ask_role(turn)


def resume_flow(turn: Turn, st: ChatState) -> bool:
    """Ask again whatever the person's current conversation is waiting for. False if there is none."""
    from bot.handlers import family, onboarding

    if st.flow == "registration":
        turn.reply(turn.t("family.registration_resume"))
        onboarding.ask(turn, dict(st.data), st.step)
        return True
    if st.flow == family.JOIN:
        family.ask_again(turn, st)
        return True
    if st.flow == ONBOARDING and st.step == RESEARCH:
        ask_research(turn, st.data.get("pending"))
        return True
    if st.flow == ONBOARDING and st.step == ROLE:
        ask_role(turn, st.data.get("pending"))
        return True
    return False


def continue_pending(turn: Turn, user: User, pending: dict) -> None:
    from bot.handlers import family

    if pending.get("kind") == "fam":
        family.proceed_join(turn, user, str(pending.get("code", "")), wanted=None)
    elif pending.get("kind") == "fas":
        family.proceed_facility(turn, user, pending.get("facility_id"))
    else:
        ask_role(turn)


@turn_handler
def start(turn: Turn) -> None:
    payload = turn.args[0] if turn.args else None
    if payload and deeplinks.dispatch(turn, payload):
        return
    begin(turn)


# -- consent --------------------------------------------------------------------------------------------

def ask_research(turn: Turn, pending: dict | None) -> None:
    put_state(turn, ONBOARDING, RESEARCH, {"pending": pending} if pending else {})
    turn.reply(turn.t("family.research_question"), inline([[
        (turn.t("family.button_research_yes"), callback("research", "yes")),
        (turn.t("family.button_research_no"), callback("research", "no")),
    ]]))


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
    from bot.handlers import family, onboarding

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
        onboarding.begin_registration(turn, family_store.MOTHER, facility_id)
    elif choice == "husband":
        put_state(turn, ONBOARDING, ROLE, st.data if st.flow == ONBOARDING else {})
        turn.reply(turn.t("family.husband_has_code"), inline([
            [(turn.t("family.button_have_code"), callback("role", "code"))],
            [(turn.t("family.button_register_first"), callback("role", "first"))],
        ]))
    elif choice == "code":
        family.ask_code(turn)
    else:
        onboarding.begin_registration(turn, family_store.HUSBAND, facility_id)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(on_consent, pattern=r"^consent:"))
    app.add_handler(CallbackQueryHandler(on_research, pattern=r"^research:"))
    app.add_handler(CallbackQueryHandler(on_role, pattern=r"^role:"))
