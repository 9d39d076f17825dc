"""What the bot says to typed text: danger signs first, then the conversation waiting for it, then a person.

Every free text is read first (``content.read_message``: its danger signs, its kind, whether it is
hypothetical). A danger sign is a global interrupt (bot/handlers/steps/interrupt.py): the urgent advice and
the midwife alerted, then the guided massage stops or the checklist / registration pauses (/lanjut), unless
the conversation says the text is a plain answer to its question (``bot.chat.routing`` ``answers``).
Otherwise the text goes to the conversation waiting for it; text no conversation waits for is small talk (a
short kind reply), a question about signs that are not happening ("kalau nanti…": what to do, no alert), or
anything else: forwarded at once to the family's midwives (bot/handlers/steps/family_message.py). Nobody
is left with "belum mengerti".
"""

from __future__ import annotations

import logging

from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.chat.routing import ANSWER_PROBES, TEXT_FLOWS
from bot.core.chat_privacy import group_hint
from bot.core.turn import Turn, turn_handler
from bot.handlers.context import consented_user
from bot.handlers.steps import health_answer
from bot.handlers.steps.danger_advice import hypothetical_answer, report_heard_offline
from bot.handlers.steps.family_message import forward, person_word
from bot.handlers.steps.interrupt import interrupt
from content import health_topics
from storage import chatstate, staff
from storage import families as family_store
from storage.models import ChatState, Family

PRIORITY = 100
log = logging.getLogger(__name__)


def _family_of_sender(turn: Turn) -> Family | None:
    user = consented_user(turn)
    return family_store.family_of(turn.session, user.id) if user is not None else None


def _read(turn: Turn):
    """The reading of the text; None if the reader fails on it (logged): the text still goes on, to the
    conversation waiting for it or to the midwife, never lost to an error."""
    try:
        return turn.content.read_message(turn.text)
    except Exception:
        log.exception("reading update %s failed; the text goes on unread", turn.update.update_id)
        return None


def _plain_answer(turn: Turn, st: ChatState) -> bool:
    probe = ANSWER_PROBES.get(st.flow)
    return probe is not None and bool(probe(turn, st))


@turn_handler
def text(turn: Turn) -> None:
    """Free text: danger signs first, then the conversation waiting for it, else a person hears it."""
    st = chatstate.get(turn.session, turn.user_id)
    family = _family_of_sender(turn)
    # Midwives type notes and names in their own conversations: the family reader is not for them, unless
    # the midwife is in a family herself (a midwife who just gave birth): then her danger signs count.
    from_staff = staff.active_for_telegram_id(turn.session, turn.user_id) is not None and family is None
    reading = _read(turn) if turn.text and not from_staff else None
    if turn.replayed_from is not None:  # a report kept while the database was down: only its alert, now
        if reading is not None and reading.signs and not _plain_answer(turn, st):
            report_heard_offline(turn, family, list(reading.sign_ids), turn.text)
        return
    if reading is not None and reading.signs and not _plain_answer(turn, st):
        interrupt(turn, st, family, list(reading.sign_ids), turn.text)
        return
    body = TEXT_FLOWS.get(st.flow)
    if body is not None:
        body(turn, st)
        return
    _free_text(turn, family, reading, from_staff=from_staff)


def _free_text(turn: Turn, family: Family | None, reading, *, from_staff: bool) -> None:
    user = consented_user(turn)
    if not turn.text:  # nothing readable was left (control characters only)
        turn.reply(turn.t("common.only_text"))
        return
    helper = health_topics.topics()
    if helper.closes(reading, turn.text):
        if family is not None:
            turn.reply(turn.t("common.social_reply", panggilan=person_word(turn, user, short=True)))
        elif user is not None:
            turn.reply(turn.t("common.social_reply_no_family"))
        else:
            turn.reply(turn.t("menu.need_start"))  # someone new: how to begin
        return
    linked = family is not None and user is not None and family.facility_id is not None
    keyboard = (lambda: health_answer.record(turn, user, family, turn.text)) if linked else None
    if reading is not None and reading.hypothetical:
        # the learned reader thinks a sign may be told after all ("apa wajar … udah 30 jam gak BAB?"): the
        # information, and a person reads it too
        doubtful = family is not None and user is not None and helper.forward_hypothetical_too(reading)
        if hypothetical_answer(turn, [s.id for s in reading.mentioned], turn.text, None if doubtful else keyboard):
            if doubtful:
                forward(turn, user, family, turn.text)
            return  # else recorded on the family's page with "Teruskan ke bidan"
    topic = helper.answerable(reading, turn.text) if linked else None
    if topic is not None:  # a harmless question the bot answers itself; the midwife reads it on the family's page
        health_answer.answer(turn, user, family, topic, turn.text, forward_too=helper.must_forward(reading))
        return
    if family is not None and user is not None:
        forward(turn, user, family, turn.text)  # a person hears it: the midwife, or kept until the family links
        return
    if not from_staff and reading is not None and (reading.kind == "health" or not helper.calm(reading)
                                                   or helper.lang.mentions_health(turn.text)):
        # Not registered yet, but about health (or naming the body or the baby inside thanks: "alhamdulillah
        # budak abdi tos lahir kamari, hatur nuhun"): what to watch for, when to go, 119 / 112.
        turn.reply(turn.t("danger.safety_net"))
        return
    if user is not None:
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
