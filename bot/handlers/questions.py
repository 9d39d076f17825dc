""""Tanya bidan": a family's question to its midwives, and the midwife's reply (or message) back.

- Family: ``/tanya`` (or ``/tanya <question>``) or the menu's "Tanya bidan" button. Flow ``tanya`` waits for
  the question. (Free text outside any conversation is forwarded by the fallback as a family message:
  bot/handlers/steps/family_message.py.) While a question of the family is unanswered, a new one joins it.
- Midwife: "Balas" under a question (``mw:reply:<question id>``) or "Kirim pesan lewat bot" on a family
  (``mw:msg:<family id>``); flow ``mw_reply`` waits for her text, which goes to every member of the family.

Callback data: ``ask:start``, ``ask:send`` (the older "Kirim ke bidan" offer, still honoured), ``ask:cancel``.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.chat.keyboards import inline
from bot.chat.routing import ANY, text_flow
from bot.core.turn import Turn, turn_handler
from bot.flows import desk
from bot.flows import midwife as rules
from bot.flows import questions as flow
from bot.handlers.context import clear_state, consented_user, family_context, put_state, state
from bot.handlers.steps.ask_offer import ASK_FLOW, OFFER
from bot.handlers.steps.danger_advice import urgent_advice
from bot.handlers.steps.family_message import forward, send_outcome
from bot.handlers.steps.midwife_message import REPLY_FLOW
from storage import facilities
from storage import questions as store
from storage import staff as staff_store
from storage.models import ChatState, Family

TEXT_MIN = 2


def _ready(turn: Turn, family: Family, *, say: bool = True) -> bool:
    """The family can ask: it has a facility with a midwife on the bot. Otherwise says what to do."""
    facility = facilities.get(turn.session, family.facility_id) if family.facility_id else None
    if facility is None:
        if say:
            turn.reply(turn.t("desk.ask_no_facility"))
        return False
    if not staff_store.recipients(turn.session, facility.id):
        if say:
            turn.reply(turn.t("desk.ask_no_midwife", fasilitas=facility.name))
        return False
    return True


def begin_ask(turn: Turn) -> None:
    ctx = family_context(turn)
    if ctx is None:
        return
    if not _ready(turn, ctx[1], say=False):  # no midwife yet: the question is kept until the family is linked
        put_state(turn, ASK_FLOW, "ask", {})
        turn.reply(turn.t("desk.ask_prompt_unlinked"), inline([[(turn.t("desk.button_cancel"), "ask:cancel")]]))
        return
    facility = facilities.get(turn.session, ctx[1].facility_id)
    put_state(turn, ASK_FLOW, "ask", {})
    turn.reply(turn.t("desk.ask_prompt", fasilitas=facility.name),
               inline([[(turn.t("desk.button_cancel"), "ask:cancel")]]))


def submit(turn: Turn, text: str) -> None:
    ctx = family_context(turn)
    if ctx is None:
        return
    user, family = ctx
    reading = turn.content.read_message(text)
    signs = list(reading.sign_ids)
    if signs:  # the urgent advice first (/tanya <text>; typed in the conversation, the fallback gave it)
        urgent_advice(turn, family, signs, source="text", words=text)
    text = text.strip()
    if not _ready(turn, family, say=False):
        if len(text) >= TEXT_MIN:  # kept, and sent to the midwives once the family is linked: never lost
            flow.ask(turn.session, turn.content, family=family, asker=user, text=text, now=turn.now,
                     every=turn.settings.question_repeat)
            turn.reply(turn.t("desk.ask_kept"))
        if signs:
            turn.reply(turn.t("desk.ask_emergency"))
        clear_state(turn)
        return
    if len(text) < TEXT_MIN:
        turn.reply(turn.t("desk.ask_empty"))
        return
    out = flow.ask(turn.session, turn.content, family=family, asker=user, text=text, now=turn.now,
                   every=turn.settings.question_repeat)
    clear_state(turn)
    send_outcome(turn, out)
    facility = facilities.get(turn.session, family.facility_id)
    turn.reply(turn.t("desk.ask_sent", fasilitas=facility.name))
    if not desk.is_open(facility.hours, turn.now, facility.timezone):
        turn.reply(turn.t("desk.ask_closed", fasilitas=facility.name, jam=facility.hours))


@turn_handler
def ask_command(turn: Turn) -> None:
    if turn.args:
        submit(turn, " ".join(turn.args))
    else:
        begin_ask(turn)


@text_flow(ASK_FLOW)
def ask_text(turn: Turn, st: ChatState) -> None:
    if st.step == OFFER:  # a new message instead of pressing the old "Kirim ke bidan": it is forwarded
        ctx = family_context(turn)
        clear_state(turn)
        if ctx is not None:
            forward(turn, ctx[0], ctx[1], turn.text)
        return
    submit(turn, turn.text)


@turn_handler
def on_ask_button(turn: Turn) -> None:
    action = (turn.callback_data or "").split(":")[1:2]
    st = state(turn)
    if consented_user(turn) is None:
        turn.answer(turn.t("common.stale_button"))
        return
    turn.answer()
    if action == ["start"]:
        begin_ask(turn)
    elif action == ["send"] and st.flow == ASK_FLOW and st.step == OFFER and st.data.get("text"):
        turn.edit_markup(None)
        submit(turn, st.data["text"])
    elif action == ["cancel"] and st.flow == ASK_FLOW:
        clear_state(turn)
        turn.edit_markup(None)
        turn.reply(turn.t("desk.ask_cancelled"))
    else:
        turn.answer(turn.t("common.stale_button"))


# -- the midwife's side ------------------------------------------------------------------------------

def send_midwife_message(turn: Turn, family: Family, staff_user_id: int, text: str,
                         question_id: int | None) -> flow.Outcome:
    question = store.get(turn.session, question_id) if question_id else None
    if question is not None and question.family_id != family.id:
        question = None
    return flow.midwife_message(turn.session, turn.content, family=family, staff_user_id=staff_user_id, text=text,
                                now=turn.now, question=question)


@text_flow(REPLY_FLOW, answers=ANY)
def reply_text(turn: Turn, st: ChatState) -> None:
    found = rules.staff_for_family(turn.session, turn.user_id, int(st.data.get("family_id") or 0))
    if found is None:
        clear_state(turn)
        turn.reply(turn.t("midwife.not_allowed"))
        return
    staff, family = found
    text = turn.text.strip()
    if len(text) < TEXT_MIN:
        turn.reply(turn.t("desk.reply_empty"))
        return
    out = send_midwife_message(turn, family, staff.user_id, text, int(st.step) if st.step.isdigit() else None)
    clear_state(turn)
    send_outcome(turn, out)
    if out.delivered:
        turn.reply(turn.t("desk.reply_sent", jumlah=out.delivered, kode=family.code))
    else:
        turn.reply(turn.t("desk.reply_none_reachable", kode=family.code))


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("tanya", ask_command, filters=private))
    app.add_handler(CallbackQueryHandler(on_ask_button, pattern=r"^ask:"))
