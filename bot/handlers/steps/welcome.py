"""The beginning of the conversation: what /start does for this person (:func:`begin`), the consent and role
questions, a pending join or facility link from a deep link, and :func:`resume_flow`, which asks again whatever
an unfinished registration, join or consent is waiting for. The answers are taken by bot/handlers/start.py.

Without consent nothing personal is stored: until "Setuju" the person exists only as a ChatState row
(their place in the conversation, plus a pending join or facility code from a deep link).
"""

from __future__ import annotations

from bot.chat.keyboards import callback, inline
from bot.core.turn import Turn
from bot.flows import family_admission as admission
from bot.handlers.context import clear_state, consented_user, put_state, remember_user, state
from bot.handlers.steps import join, registration_questions
from bot.handlers.steps.facility_link import attach, follow_facility_protocol
from bot.handlers.steps.main_menu import main_keyboard
from storage import facilities
from storage import families as family_store
from storage.identities import is_whatsapp_id
from storage.models import ChatState, User

ONBOARDING = "onboarding"
CONSENT, RESEARCH, ROLE = "consent", "research", "role"


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
    rows = [[(turn.t("onboarding.role_ibu"), callback("role", "mother")),
             (turn.t("onboarding.role_suami"), callback("role", "husband"))]]
    if not is_whatsapp_id(turn.user_id):  # midwives work on Telegram and the dashboard, not on WhatsApp
        rows.append([(turn.t("onboarding.role_bidan"), callback("role", "midwife"))])
    return inline(rows)


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
        turn.reply(turn.t("family.welcome_back", nama=user.display_name or user.first_name or ""),
                   main_keyboard(turn, family))
        return
    st = state(turn)
    if resume_flow(turn, st):
        return
    ask_role(turn)


def resume_flow(turn: Turn, st: ChatState) -> bool:
    """Ask again whatever the person's current conversation is waiting for. False if there is none."""
    if st.flow == "registration":
        turn.reply(turn.t("family.registration_resume"))
        registration_questions.ask(turn, dict(st.data), st.step)
        return True
    if st.flow == join.JOIN:
        join.ask_again(turn, st)
        return True
    if st.flow == ONBOARDING and st.step == RESEARCH:
        ask_research(turn, st.data.get("pending"))
        return True
    if st.flow == ONBOARDING and st.step == ROLE:
        ask_role(turn, st.data.get("pending"))
        return True
    return False


def continue_pending(turn: Turn, user: User, pending: dict) -> None:
    if pending.get("kind") == "fam":
        join.proceed_join(turn, user, str(pending.get("code", "")), wanted=None)
    elif pending.get("kind") == "fas":
        proceed_facility(turn, user, pending.get("facility_id"))
    else:
        ask_role(turn)


def research_info(turn: Turn, facility_id: int | None) -> str:
    """What the research consent covers, with the facility's ethics approval number when it has one."""
    facility = facilities.get(turn.session, facility_id) if facility_id else None
    number = facility.ethics_approval if facility is not None else None
    etik = turn.t("family.research_ethics", nomor=number) if number else ""
    return turn.t("family.research_info", etik=etik)


def ask_research(turn: Turn, pending: dict | None, *, facility_id: int | None = None, in_flow: bool = True) -> None:
    """The research consent: what it covers, then the question (``in_flow``: during the registration)."""
    if in_flow:
        put_state(turn, ONBOARDING, RESEARCH, {"pending": pending} if pending else {})
    if facility_id is None and pending and pending.get("kind") == "fas":
        facility_id = pending.get("facility_id")
    turn.reply(research_info(turn, facility_id))
    turn.reply(turn.t("family.research_question"), inline([[
        (turn.t("family.button_research_yes"), callback("research", "yes")),
        (turn.t("family.button_research_no"), callback("research", "no")),
    ]]))


def proceed_facility(turn: Turn, user: User, facility_id: int | None) -> None:
    """A consenting person opened a facility's registration link."""
    facility = facilities.get(turn.session, facility_id) if facility_id else None
    family = family_store.family_of(turn.session, user.id)
    if family is not None:
        if not admission.may_manage(turn.session, user_id=user.id, family_id=family.id):
            turn.reply(turn.t("family.only_parents"))
        elif facility is not None and family.facility_id is None:
            attach(turn, family, facility.id)  # also alerts signs reported before linking
            follow_facility_protocol(turn, family, facility)
        else:
            turn.reply(turn.t("onboarding.already_registered"))
        clear_state(turn)
        return
    ask_role(turn, {"kind": "fas", "facility_id": facility.id} if facility else None)
