"""/ceklis and the reminder's "Isi ceklis" button (``ceklis:start``): one question at a time.

Answers come by button (``ceklis:a:<measurement>:<item number>:<value>``) or typed (flow ``checklist``,
``{"m": measurement id, "item": item id}``), and each is saved the moment it is given. "Kembali"
(``ceklis:back:<measurement>:<item number>``) shows the previous question again to correct it; "Nanti saja"
(``ceklis:later:<measurement>``) leaves the measurement open for /lanjut or the next reminder.
The questions themselves (and the summary) are bot/handlers/steps/checklist.py, which /lanjut opens too.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.chat.routing import text_flow
from bot.core.turn import Turn, turn_handler
from bot.flows import answers as answer_rules
from bot.flows import checklist as rules
from bot.handlers.context import clear_state, owned_row, parse_int, stale
from bot.handlers.steps.checklist import FLOW, ask, instrument_for, record, start_or_resume
from bot.handlers.steps.danger_advice import taken_as_answer
from content.instruments import Instrument, Item
from storage import measurements as store
from storage.models import ChatState, Family, Measurement

START_DATA = "ceklis:start"


@turn_handler
def checklist_command(turn: Turn) -> None:
    start_or_resume(turn)


# -- answering -----------------------------------------------------------------------------------------

def _owned_measurement(turn: Turn, raw_id: str) -> tuple[object, Family, Measurement, Instrument] | None:
    """The open measurement of the presser's own family, or None (after a polite answer)."""
    owned = owned_row(turn, raw_id, store.get)
    if owned is None:
        return None
    user, family, m = owned
    if m.completed_at is not None:
        turn.answer(turn.t("checklist.finished_already"))
        return None
    inst = instrument_for(turn, m)
    if inst is None:
        stale(turn)
        return None
    return user, family, m, inst


@turn_handler
def on_button(turn: Turn) -> None:
    parts = (turn.callback_data or "").split(":")
    action = parts[1] if len(parts) > 1 else ""
    if parts == ["ceklis", "start"]:
        turn.answer()
        start_or_resume(turn)
        return
    if action == "a" and len(parts) == 5:
        _on_answer_button(turn, parts)
    elif action == "back" and len(parts) == 4:
        _on_back(turn, parts)
    elif action == "later" and len(parts) == 3:
        owned = _owned_measurement(turn, parts[2])
        if owned is None:
            return
        clear_state(turn)
        turn.edit_markup(None)
        turn.reply(turn.t("checklist.later"))
    else:
        stale(turn)


def _item_at(inst: Instrument, raw_number: str) -> Item | None:
    n = parse_int(raw_number)
    if n is None or not 1 <= n <= len(inst.items):
        return None
    return inst.items[n - 1]


def _on_answer_button(turn: Turn, parts: list[str]) -> None:
    owned = _owned_measurement(turn, parts[2])
    if owned is None:
        return
    user, family, m, inst = owned
    item = _item_at(inst, parts[3])
    parsed = answer_rules.parse_button(item, parts[4]) if item is not None else None
    if item is None or parsed is None or not parsed.ok:
        stale(turn)
        return
    turn.answer(turn.t("checklist.saved_toast"))
    turn.edit(f"{turn.t('checklist.question', no=rules.item_number(inst, item.id), total=len(inst.items), teks=item.text)}"
              f"\n\n{turn.t('checklist.answered_mark', jawaban=answer_rules.label(item, parsed.value))}")
    record(turn, user, family, m, inst, item, parsed.value, via="button")


def _on_back(turn: Turn, parts: list[str]) -> None:
    owned = _owned_measurement(turn, parts[2])
    if owned is None:
        return
    _user, _family, m, inst = owned
    item = _item_at(inst, parts[3])
    prev = rules.previous_item(inst, item.id) if item is not None else None
    if prev is None:
        stale(turn)
        return
    turn.edit_markup(None)
    ask(turn, m, inst, prev)


PLAIN_ANSWER_WORDS = 3  # "kuning", "6 kali", "tidak ada": an answer; a sentence with a danger sign is a report
VAGUE_ANSWER_WORDS = 2  # "banyak sekali" at a number question: a vague answer (asked again), not a report


def plain_answer(turn: Turn, st: ChatState) -> bool:
    """The text is just an answer to the question waiting ("kuning" for a stool colour): the checklist takes it
    and its own rules judge it; a longer message naming a danger sign interrupts the checklist instead. Two
    words or fewer with no word about the body and no number ("banyak sekali") are a vague answer: asked again.
    """
    words = turn.text.split()
    if len(words) > PLAIN_ANSWER_WORDS:
        return False
    lang = turn.content.danger_language
    if (len(words) <= VAGUE_ANSWER_WORDS and lang is not None and not lang.mentions_health(turn.text)
            and not any(ch.isdigit() for ch in turn.text)):
        return True
    m = store.get(turn.session, parse_int(str(st.data.get("m", ""))) or 0)
    inst = instrument_for(turn, m) if m is not None else None
    if inst is None:
        return False
    try:
        item = inst.item(str(st.data.get("item")))
    except KeyError:
        return False
    return answer_rules.parse_typed(item, turn.text, turn.content.lexicon).ok


@text_flow(FLOW, answers=plain_answer)
def checklist_text(turn: Turn, st: ChatState) -> None:
    owned = _owned_measurement(turn, str(st.data.get("m", "")))
    if owned is None:
        clear_state(turn)
        return
    user, family, m, inst = owned
    try:
        item = inst.item(str(st.data.get("item")))
    except KeyError:
        item = rules.first_unanswered(inst, store.answers(turn.session, m.id)) or inst.items[0]
    parsed = answer_rules.parse_typed(item, turn.text, turn.content.lexicon)
    if parsed.ok:
        taken_as_answer(turn)
        record(turn, user, family, m, inst, item, parsed.value, via="text")
        return
    example = item.example or (str(item.min) if item.min is not None else "")
    if parsed.error == answer_rules.OUT_OF_RANGE:
        why = turn.t("checklist.out_of_range", angka=parsed.value, min=item.min, maks=item.max, contoh=example)
    elif item.answer_type == "number":
        why = turn.t("checklist.unclear_number", contoh=example)
    elif item.answer_type == "yesno":
        why = turn.t("checklist.unclear_yesno")
    else:
        why = turn.t("checklist.unclear_choice")
    ask(turn, m, inst, item, prefix=why)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("ceklis", checklist_command, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^ceklis:"))
