"""The family link: joining by deep link (``fam_<code>``) or typed code, registering through a facility
(``fas_<registration code>``), the family view with its link, renewing the code, changing family data.

A wrong code gets the same short answer whether or not any family exists, so a stranger learns nothing.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.chat.deeplinks import deep_link
from bot.chat.keyboards import callback, inline
from bot.chat.routing import text_flow
from bot.core.turn import Turn, turn_handler
from bot.flows import family_admission as admission
from bot.flows import family_link, registration
from bot.handlers import family_approval
from bot.handlers.context import (
    clear_state,
    consented_user,
    family_context,
    format_date,
    members_text,
    not_yours,
    parse_data,
    put_state,
    stale,
    state,
    today_day,
    zone_name,
)
from bot.handlers.start import begin
from storage import facilities
from storage import families as family_store
from storage.models import ChatState, Family, User

JOIN = "join"
CODE, ROLE, NAME, WAIT = "code", "role", "name", "wait"  # WAIT: for the approver (bot/handlers/family_approval.py)


def invite_text(turn: Turn, family: Family, user: User) -> str:
    link = family_link.invite_link(turn.rt.username, family)
    m = family_store.membership_of(turn.session, user.id)
    if m is not None and m.role == family_store.MOTHER:
        return turn.t("family.invite_husband", link=link, kode=family.link_code)
    return turn.t("family.invite_mother", link=link)


# -- deep links -----------------------------------------------------------------------------------------

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


def proceed_facility(turn: Turn, user: User, facility_id: int | None) -> None:
    """A consenting person opened a facility's registration link."""
    from bot.handlers.start import ask_role

    facility = facilities.get(turn.session, facility_id) if facility_id else None
    family = family_store.family_of(turn.session, user.id)
    if family is not None:
        if not admission.may_manage(turn.session, user_id=user.id, family_id=family.id):
            turn.reply(turn.t("family.only_parents"))
        elif facility is not None and family.facility_id is None:
            from bot.handlers.facility_code import attach

            attach(turn, family, facility.id)  # also alerts signs reported before linking
            follow_facility_protocol(turn, family, facility)
        else:
            turn.reply(turn.t("onboarding.already_registered"))
        clear_state(turn)
        return
    ask_role(turn, {"kind": "fas", "facility_id": facility.id} if facility else None)


def follow_facility_protocol(turn: Turn, family, facility) -> None:
    """A family attached to a facility before its first measurement follows the facility's protocol."""
    from bot.flows import protocols
    from bot.flows.schedule import reschedule_family

    chosen = protocols.facility_protocol(turn.content, facility)
    if chosen.id == family.protocol_id or protocols.has_measurement(turn.session, family.id):
        return
    protocols.enrol(family, chosen)
    turn.session.add(family)
    reschedule_family(turn.session, family.id, now=turn.now, settings=turn.settings)


# -- joining ----------------------------------------------------------------------------------------------

def ask_code(turn: Turn, fails: int = 0) -> None:
    put_state(turn, JOIN, CODE, {"fails": fails})
    turn.reply(turn.t("family.ask_family_code"))


def ask_again(turn: Turn, st: ChatState) -> None:
    """Repeat the question the join conversation is waiting for."""
    if st.step == CODE:
        turn.reply(turn.t("family.ask_family_code"))
    elif st.step == WAIT:
        family_approval.still_waiting(turn)
    elif st.step == ROLE:
        _ask_join_role(turn, dict(st.data))
    else:
        _ask_name(turn, dict(st.data))


def _ask_join_role(turn: Turn, data: dict) -> None:
    put_state(turn, JOIN, ROLE, data)
    turn.reply(turn.t("family.join_which_role"), inline([[
        (turn.t("onboarding.role_ibu"), callback("join", "role", family_store.MOTHER)),
        (turn.t("onboarding.role_suami"), callback("join", "role", family_store.HUSBAND)),
    ]]))


def _ask_name(turn: Turn, data: dict) -> None:
    put_state(turn, JOIN, NAME, data)
    key = "onboarding.ask_name" if data.get("role") == family_store.MOTHER else "onboarding.ask_name_suami"
    turn.reply(turn.t(key))


def proceed_join(turn: Turn, user: User, code: str, *, wanted: str | None, fails: int = 0) -> None:
    family = family_store.by_link_code(turn.session, code)
    if family is None:
        fails += 1
        if fails >= family_link.MAX_WRONG_CODES:
            clear_state(turn)
            turn.reply(turn.t("family.code_too_many"))
            return
        put_state(turn, JOIN, CODE, {"fails": fails})
        turn.reply(turn.t("family.code_wrong"))
        return
    current = family_store.family_of(turn.session, user.id)
    if current is not None:
        clear_state(turn)
        turn.reply(turn.t("family.already_member") if current.id == family.id else turn.t("family.other_family"))
        return
    if admission.is_full(turn.session, family):
        clear_state(turn)
        turn.reply(turn.t("family.family_full"))
        return
    role = family_link.role_for_joiner(turn.session, family, wanted)
    data = {"family_id": family.id, "link": family.link_code}
    if role is None:
        _ask_join_role(turn, data)
        return
    data["role"] = role
    if not user.display_name:
        _ask_name(turn, data)
        return
    do_join(turn, user, data)


def do_join(turn: Turn, user: User, data: dict) -> None:
    """Nobody joins by the link alone: the request waits for the mother's (or husband's) approval."""
    family_approval.request_admission(turn, user, data)


@text_flow(JOIN)
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
        _ask_name(turn, data)
        return
    do_join(turn, user, data)


# -- the family view ------------------------------------------------------------------------------------

def show_family(turn: Turn, family: Family) -> None:
    user = consented_user(turn)
    if user is None or not admission.may_manage(turn.session, user_id=user.id, family_id=family.id):
        # a companion: first names only; no birth date, no code, no link, no buttons to change anything
        turn.reply(turn.t("family.family_view_companion", anggota=members_text(turn, family.id, first_names=True)))
        return
    facility = facilities.get(turn.session, family.facility_id) if family.facility_id else None
    turn.reply(
        turn.t("family.family_view", anggota=members_text(turn, family.id),
               tanggal=format_date(turn, family.birth_date) if family.birth_date else "—",
               hari=today_day(turn, family) if family.birth_date else "—",
               zona=zone_name(turn, family.timezone),
               fasilitas=facility.name if facility else turn.t("onboarding.no_facility"),
               kode=family.link_code, link=family_link.invite_link(turn.rt.username, family)),
        inline([
            [(turn.t("family.button_renew"), callback("fam", "renew", family.id))],
            [(turn.t("family.button_edit_birth"), callback("fam", "edit", "birth")),
             (turn.t("family.button_edit_tz"), callback("fam", "edit", "tz"))],
            [(turn.t("danger.button_facility"), callback("fk", "ask"))],
        ]),
    )


@turn_handler
def family_command(turn: Turn) -> None:
    ctx = family_context(turn)
    if ctx is not None:
        show_family(turn, ctx[1])


@turn_handler
def on_family_button(turn: Turn) -> None:
    from bot.handlers.onboarding import begin_edit

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
        turn.reply(turn.t("family.renewed", kode=code, link=family_link.invite_link(turn.rt.username, family)))
    elif parts[2] in (registration.BIRTH, registration.TZ):
        turn.edit_markup(None)
        begin_edit(turn, parts[2])
    else:
        stale(turn)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("keluarga", family_command, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(on_join_button, pattern=r"^join:"))
    app.add_handler(CallbackQueryHandler(on_family_button, pattern=r"^fam:"))
