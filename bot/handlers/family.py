"""The family link: joining by deep link (``fam_<code>``) or typed code, registering through a facility
(``fas_<registration code>``), the family view with its link, renewing the code, changing family data.

A wrong code gets the same short answer whether or not any family exists, so a stranger learns nothing.
The join conversation's questions are bot/handlers/steps/join.py; the family view is steps/family_view.py.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.chat.deeplinks import deep_link
from bot.chat.routing import text_flow
from bot.core.turn import Turn, turn_handler
from bot.flows import family_admission as admission
from bot.flows import family_link, registration
from bot.handlers.context import (
    clear_state,
    consented_user,
    family_context,
    not_yours,
    parse_data,
    stale,
    state,
)
from bot.handlers.steps.family_view import link_for, show_family
from bot.handlers.steps.join import CODE, JOIN, NAME, ROLE, ask_again, ask_name, do_join, proceed_join
from bot.handlers.steps.registration_questions import begin_edit
from bot.handlers.steps.welcome import begin, proceed_facility
from storage import facilities
from storage import families as family_store
from storage.models import ChatState


@deep_link(family_link.PREFIX)
def open_family_link(turn: Turn, code: str) -> None:
    user = consented_user(turn)
    if user is None:
        begin(turn, pending={"kind": "fam", "code": code[:32]})
        return
    proceed_join(turn, user, code, wanted=None)


@deep_link("fas_")
def open_facility_link(turn: Turn, code: str) -> None:
    facility = facilities.by_registration_code(turn.session, code.lower()[:32])
    user = consented_user(turn)
    if facility is None:
        turn.reply(turn.t("family.facility_link_unknown"))
        begin(turn)
        return
    if user is None:
        begin(turn, pending={"kind": "fas", "facility_id": facility.id})
        return
    proceed_facility(turn, user, facility.id)


# -- joining ----------------------------------------------------------------------------------------------

def join_answer(turn: Turn, st: ChatState) -> bool:
    """What the join conversation takes even when it reads like a danger sign: a name ("Kejang Sutrisno") at
    the name question, and at the code question a join code that exists ("38FRWAQB" is not a temperature)."""
    if st.step == NAME:
        return registration.looks_like_name(turn.text, turn.content.danger_language)
    return st.step == CODE and family_store.by_link_code(turn.session, turn.text) is not None


@text_flow(JOIN, answers=join_answer)
def join_text(turn: Turn, st: ChatState) -> None:
    user = consented_user(turn)
    if user is None:
        clear_state(turn)
        turn.reply(turn.t("menu.need_start"))
        return
    if st.step == CODE:
        proceed_join(turn, user, turn.text, wanted=family_store.HUSBAND, fails=int(st.data.get("fails", 0)))
    elif st.step == NAME:
        name = registration.clean_name(turn.text)
        if name is None:
            turn.reply(turn.t("onboarding.name_invalid"))
            return
        user.display_name = name
        turn.session.add(user)
        do_join(turn, user, dict(st.data))
    else:
        ask_again(turn, st)


@turn_handler
def on_join_button(turn: Turn) -> None:
    parts = parse_data(turn, 3)
    st = state(turn)
    user = consented_user(turn)
    if (parts is None or parts[1] != "role" or parts[2] not in (family_store.MOTHER, family_store.HUSBAND)
            or user is None or st.flow != JOIN or st.step != ROLE):
        stale(turn)
        return
    turn.edit_markup(None)
    family = family_store.get(turn.session, int(st.data.get("family_id", 0)))
    if family is None:
        stale(turn)
        return
    data = dict(st.data)
    data["role"] = family_link.role_for_joiner(turn.session, family, parts[2])
    if not user.display_name:
        ask_name(turn, data)
        return
    do_join(turn, user, data)


# -- the family view ------------------------------------------------------------------------------------

@turn_handler
def family_command(turn: Turn) -> None:
    ctx = family_context(turn)
    if ctx is not None:
        show_family(turn, ctx[1])


@turn_handler
def on_family_button(turn: Turn) -> None:
    parts = parse_data(turn, 3)
    if parts is None or parts[1] not in ("renew", "edit", "show"):
        stale(turn)
        return
    ctx = family_context(turn)
    if ctx is None:
        return
    user, family = ctx
    if parts[1] in ("renew", "edit") and not admission.may_manage(turn.session, user_id=user.id, family_id=family.id):
        turn.answer(turn.t("family.only_parents"), alert=True)
        return
    if parts[1] == "show":
        show_family(turn, family)
    elif parts[1] == "renew":
        if parts[2] != str(family.id):
            not_yours(turn)
            return
        code = family_link.renew(turn.session, family)
        turn.edit_markup(None)
        turn.reply(turn.t("family.renewed", kode=code, link=link_for(turn, family)))
    elif parts[2] in (registration.BIRTH, registration.TZ):
        turn.edit_markup(None)
        begin_edit(turn, parts[2])
    else:
        stale(turn)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("keluarga", family_command, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(on_join_button, pattern=r"^join:"))
    app.add_handler(CallbackQueryHandler(on_family_button, pattern=r"^fam:"))
