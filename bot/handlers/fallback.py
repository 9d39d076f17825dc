"""What the bot says to everything nobody else handled: kind, short, never an error.

Free text first goes through the danger-sign matcher: a message naming a danger sign ("bayi kejang") gets
the urgent advice at once, and the family's midwife is alerted. Then it goes to the conversation waiting
for it (``bot.chat.routing``), or gets a short helpful answer with the menu.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.chat.routing import TEXT_FLOWS
from bot.core.turn import Turn, turn_handler
from bot.flows.alerts import raise_danger
from bot.handlers.context import consented_user
from storage import chatstate, staff
from storage import families as family_store
from storage.models import Family

PRIORITY = 100
_GIVEN = "_danger_signs_given"
_TAKEN = "_text_taken_as_answer"


def taken_as_answer(turn: Turn) -> None:
    """A conversation says: this text was a valid answer to my question (e.g. "kuning" for a stool colour).

    Its own rules then judge the answer, so the free-text danger matcher stays quiet for it.
    """
    turn.notes[_TAKEN] = True


def urgent_advice(turn: Turn, family: Family | None, sign_ids: list[str], *, source: str) -> None:
    """Queue the urgent advice for these danger signs (once per sign per update) and alert the midwife."""
    given: set[str] = turn.notes.setdefault(_GIVEN, set())
    fresh = [s for s in dict.fromkeys(sign_ids) if s not in given]
    if not fresh:
        return
    given.update(fresh)
    signs = []
    for sign_id in fresh:
        try:
            signs.append(turn.content.danger_sign(sign_id))
        except KeyError:
            continue
    if not signs:
        return
    intro = turn.t("checklist.danger_intro" if source == "answer" else "common.danger_intro")
    lines = "\n\n".join(turn.t("common.danger_line", tanda=s.text, saran=s.advice) for s in signs)
    text = f"{intro}\n\n{lines}\n\n{turn.t('common.danger_outro')}"
    if family is not None and family.facility_id is not None and staff.recipients(turn.session, family.facility_id):
        text += "\n" + turn.t("menu.danger_midwife_told")
    turn.reply(text)
    if family is not None:
        raise_danger(turn, family_id=family.id, sign_ids=[s.id for s in signs], source=source)


def _family_of_sender(turn: Turn) -> Family | None:
    user = consented_user(turn)
    return family_store.family_of(turn.session, user.id) if user is not None else None


@turn_handler
def text(turn: Turn) -> None:
    """Free text: danger signs first, then the conversation waiting for it, else a short helpful answer."""
    state = chatstate.get(turn.session, turn.user_id)
    # Midwives type notes and names in their own conversations: the family matcher is not for them.
    from_staff = staff.active_for_telegram_id(turn.session, turn.user_id) is not None
    signs = turn.content.match_danger_signs(turn.text) if turn.text and not from_staff else []
    body = TEXT_FLOWS.get(state.flow)
    if body is not None:
        before = len(turn.outgoing)
        body(turn, state)
        if signs and not turn.notes.get(_TAKEN):
            # The advice goes first, before the conversation's own reply.
            later = turn.outgoing[before:]
            del turn.outgoing[before:]
            urgent_advice(turn, _family_of_sender(turn), [s.id for s in signs], source="text")
            turn.outgoing.extend(later)
        return
    if signs:
        urgent_advice(turn, _family_of_sender(turn), [s.id for s in signs], source="text")
        return
    from bot.handlers.menu import main_keyboard

    family = _family_of_sender(turn)
    if family is not None:
        turn.reply(turn.t("menu.unknown_text"), main_keyboard(turn, family))
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
        turn.reply(turn.t("common.private_only"))


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
