"""Everyday commands: /menu, /bantuan, /privasi, /hapus, /berhenti, /lanjut, and the menu buttons.

/berhenti pauses every reminder of the family (Family.reminders_paused, pending rows cancelled);
/lanjut switches them on again and also continues an unfinished checklist or guided session (or a
registration) where it stopped.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.chat.keyboards import callback, inline
from bot.chat.routing import text_flow
from bot.core.outgoing import ERASE, Outgoing
from bot.core.turn import Turn, turn_handler
from bot.flows import privacy
from bot.flows.alerts import close_for_deletion
from bot.flows.schedule import cancel_family, reschedule_family
from bot.handlers.context import (
    clear_state,
    consented_user,
    family_context,
    parse_data,
    put_state,
    role_name,
    stale,
    state,
)
from bot.handlers.steps import checklist, massage
from bot.handlers.steps.interrupt import restore
from bot.handlers.steps.main_menu import main_keyboard
from bot.handlers.steps.welcome import research_info, resume_flow
from storage import families as family_store
from storage import identities
from storage.identities import is_whatsapp_id
from storage.models import ChatState, Family

DELETE_FLOW = "delete"


def show_menu(turn: Turn, text: str | None = None) -> None:
    ctx = family_context(turn, reply=False)
    if ctx is None:
        user = consented_user(turn)
        turn.reply(text or turn.t("common.not_registered" if user else "menu.need_start"))
        return
    turn.reply(text or turn.t("menu.main"), main_keyboard(turn, ctx[1]))


@turn_handler
def menu_command(turn: Turn) -> None:
    show_menu(turn)


@turn_handler
def help_command(turn: Turn) -> None:
    turn.reply(turn.t("help.text"))


@turn_handler
def privacy_command(turn: Turn) -> None:
    """/privasi: how data is kept; for a registered person, also the research consent and its choice now
    (withdrawn or given again with one tap, UU 27/2022)."""
    turn.reply(turn.t("onboarding.privacy"))
    user = consented_user(turn)
    family = family_store.family_of(turn.session, user.id) if user is not None else None
    if family is None:
        return
    turn.reply(research_info(turn, family.facility_id))
    turn.reply(turn.t("family.research_now_yes" if user.consent_research else "family.research_now_no"), inline([[
        (turn.t("family.button_research_yes"), callback("research", "yes")),
        (turn.t("family.button_research_no"), callback("research", "no")),
    ]]))


# -- pause and resume -------------------------------------------------------------------------------------

def pause(turn: Turn) -> None:
    ctx = family_context(turn)
    if ctx is None:
        return
    _user, family = ctx
    if family.reminders_paused:
        turn.reply(turn.t("menu.already_paused"))
        return
    family_store.update(turn.session, family, reminders_paused=True)
    cancel_family(turn.session, family.id, now=turn.now, reason="paused")
    turn.reply(turn.t("menu.paused"))


def unpause(turn: Turn, family: Family) -> bool:
    if not family.reminders_paused:
        return False
    family_store.update(turn.session, family, reminders_paused=False)
    reschedule_family(turn.session, family.id, now=turn.now, settings=turn.settings)
    turn.reply(turn.t("menu.resumed"))
    return True


def continue_all(turn: Turn) -> None:
    """/lanjut: reminders on again, and whatever was left unfinished continues where it stopped."""
    user = consented_user(turn)
    if user is None:
        turn.reply(turn.t("menu.need_start"))
        return
    st = restore(turn)  # a conversation a danger sign paused is where it was again
    family = family_store.family_of(turn.session, user.id)
    if family is None:
        if not resume_flow(turn, st):
            turn.reply(turn.t("common.not_registered"))
        return
    did = unpause(turn, family)
    if st.flow == massage.FLOW and massage.resume(turn, user, family):
        return
    if checklist.resume(turn, family):
        return
    if massage.resume(turn, user, family):
        return
    if st.flow in ("registration", "family_edit", "join") and resume_flow(turn, st):
        return
    if not did:
        turn.reply(turn.t("menu.nothing_to_continue"), main_keyboard(turn, family))


@turn_handler
def pause_command(turn: Turn) -> None:
    pause(turn)


@turn_handler
def continue_command(turn: Turn) -> None:
    continue_all(turn)


# -- /hapus -------------------------------------------------------------------------------------------------

def ask_delete(turn: Turn) -> None:
    user = consented_user(turn)
    if user is None:
        turn.reply(turn.t("menu.nothing_to_delete"))
        return
    mode = privacy.what_happens(turn.session, user)
    key = {privacy.LEAVE_ONLY: "menu.delete_ask_member", privacy.KEEP_RESEARCH: "menu.delete_ask_research",
           privacy.DELETE_ALL: "menu.delete_ask_no_research"}[mode]
    put_state(turn, DELETE_FLOW, "confirm", {})
    text = turn.t(key)
    member = family_store.membership_of(turn.session, user.id)
    if mode != privacy.LEAVE_ONLY and member is not None:  # the whole family goes: say what the others see
        others = [m for m in family_store.members(turn.session, member.family_id) if m.user.id != user.id]
        if others:
            names = turn.t("menu.delete_others_separator").join(
                m.name or role_name(turn, m.role) for m in others)
            text = f"{text}\n\n{turn.t('menu.delete_others', anggota=names)}"
    turn.reply(text, inline([[
        (turn.t("menu.button_delete_yes"), callback("hapus", "yes")),
        (turn.t("menu.button_delete_no"), callback("hapus", "no")),
    ]]))


@turn_handler
def delete_command(turn: Turn) -> None:
    ask_delete(turn)


@turn_handler
def on_delete_button(turn: Turn) -> None:
    parts = parse_data(turn, 2)
    st = state(turn)
    user = consented_user(turn)
    if parts is None or parts[1] not in ("yes", "no") or user is None or st.flow != DELETE_FLOW:
        stale(turn)
        return
    turn.edit_markup(None)
    if parts[1] == "no":
        clear_state(turn)
        turn.reply(turn.t("menu.delete_cancelled"))
        return
    name = user.display_name or user.first_name or ""
    result = privacy.delete_personal_data(turn.session, user=user, now=turn.now, settings=turn.settings)
    for chat_id, message_id in result.staff_messages:  # the alerts and questions the staff were shown
        turn.outgoing.append(Outgoing(ERASE, chat_id=chat_id, message_id=message_id,
                                      text=turn.t("common.family_data_deleted")))
    if result.family_closed and result.family_id is not None:
        # Open danger-sign alerts are closed as "keluarga menghapus data" in front of the midwife.
        close_for_deletion(turn, result.family_id)
    text = turn.t("menu.deleted")
    if result.research_kept:
        text += "\n\n" + turn.t("menu.deleted_research_kept")
    turn.reply(text)
    if is_whatsapp_id(turn.user_id):
        turn.later(_forget_address(turn, turn.user_id))
    for chat_id in result.others:
        if result.family_closed:
            turn.send(chat_id, turn.t("menu.deleted_family_notice"))
        else:
            turn.send(chat_id, turn.t("menu.member_left_notice", nama=name))


def _forget_address(turn: Turn, person_id: int):
    """After the confirmation reached the person on WhatsApp: their address goes too (storage.identities)."""
    rt = turn.rt

    def forget() -> None:
        with rt.db.session() as session:
            identities.forget(session, person_id)
            session.commit()

    async def run() -> None:
        await rt.run_sync(forget)

    return run


@text_flow(DELETE_FLOW)
def delete_text(turn: Turn, st: ChatState) -> None:  # noqa: ARG001
    ask_delete(turn)


# -- menu buttons -----------------------------------------------------------------------------------------

@turn_handler
def on_menu_button(turn: Turn) -> None:
    parts = parse_data(turn, 2)
    action = parts[1] if parts else ""
    if action == "help":
        turn.reply(turn.t("help.text"))
    elif action == "privacy":
        turn.reply(turn.t("onboarding.privacy"))
    elif action == "pause":
        turn.edit_markup(None)
        pause(turn)
    elif action == "resume":
        ctx = family_context(turn)
        if ctx is None:
            return
        turn.edit_markup(None)
        if not unpause(turn, ctx[1]):
            turn.answer(turn.t("menu.resumed"))
    elif action == "show":
        show_menu(turn)
    else:
        stale(turn)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("menu", menu_command, filters=private))
    app.add_handler(CommandHandler("bantuan", help_command, filters=private))
    app.add_handler(CommandHandler("help", help_command, filters=private))
    app.add_handler(CommandHandler("privasi", privacy_command, filters=private))
    app.add_handler(CommandHandler("hapus", delete_command, filters=private))
    app.add_handler(CommandHandler("berhenti", pause_command, filters=private))
    app.add_handler(CommandHandler("lanjut", continue_command, filters=private))
    app.add_handler(CallbackQueryHandler(on_delete_button, pattern=r"^hapus:"))
    app.add_handler(CallbackQueryHandler(on_menu_button, pattern=r"^menu:"))
