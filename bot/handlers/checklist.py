"""/ceklis and the reminder's "Isi ceklis" button (``ceklis:start``): one question at a time.

Answers come by button (``ceklis:a:<measurement>:<item number>:<value>``) or typed (flow ``checklist``,
``{"m": measurement id, "item": item id}``), and each is saved the moment it is given. "Kembali"
(``ceklis:back:<measurement>:<item number>``) shows the previous question again to correct it; "Nanti saja"
(``ceklis:later:<measurement>``) leaves the measurement open for /lanjut or the next reminder.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.chat.keyboards import callback, inline
from bot.chat.routing import text_flow
from bot.core.turn import Turn, turn_handler
from bot.flows import answers as answer_rules
from bot.flows import checklist as rules
from bot.flows import dates, windows
from bot.flows.schedule import family_times
from bot.handlers.context import (
    clear_state,
    family_context,
    owned_row,
    parse_int,
    protocol_of,
    put_state,
    stale,
    today_day,
)
from bot.handlers.fallback import taken_as_answer, urgent_advice
from content.instruments import Instrument, Item
from storage import measurements as store
from storage import sessions as session_store
from storage.models import ChatState, Family, Measurement

FLOW = "checklist"
START_DATA = "ceklis:start"


def instrument_for(turn: Turn, measurement: Measurement) -> Instrument | None:
    """The measurement's instrument (answers that no longer fit a newer version are asked again)."""
    return turn.content.instruments.get(measurement.instrument_id)


def occasion_words(turn: Turn, label: str) -> str:
    return turn.t("checklist.occasion_post" if label.endswith("post") else "checklist.occasion_pre")


def measurement_day(turn: Turn, family: Family, measurement: Measurement) -> int | None:
    if family.birth_date is None:
        return None
    return dates.postpartum_day(family.birth_date, measurement.started_at, family.timezone, family.birth_time)


def due_now(turn: Turn, family: Family) -> rules.Due:
    """Which checklist is due for this family now (see bot/flows/checklist.py for the rule)."""
    protocol = protocol_of(turn, family)
    day = today_day(turn, family) or 0
    local = turn.now.astimezone(ZoneInfo(family.timezone)).time().replace(tzinfo=None)
    times = family_times(family, protocol, turn.settings)
    pos = rules.position(day, local_time=local,
                         sessions_today=session_store.completed_count(turn.session, family.id, postpartum_day=day),
                         sessions_per_day=protocol.sessions_per_day, last_time=times[-1])
    found = rules.due(protocol, pos, store.completed_occasions(turn.session, family.id))
    return windows.screen(turn.session, protocol, family, times, found, now=turn.now)


# -- asking ----------------------------------------------------------------------------------------------

def _answer_buttons(item: Item, measurement_id: int, number: int) -> list[list[tuple[str, str]]]:
    if item.answer_type == "number":
        values = answer_rules.number_buttons(item)
        row = [(str(v), callback("ceklis", "a", measurement_id, number, v)) for v in values]
        return [row[i:i + 6] for i in range(0, len(row), 6)]
    if item.answer_type == "yesno":
        return [[(c.label, callback("ceklis", "a", measurement_id, number, answer_rules.encode(item, c.value)))
                 for c in item.choices]]
    return [[(c.label, callback("ceklis", "a", measurement_id, number, c.value))] for c in item.choices]


def _hint(turn: Turn, item: Item) -> str:
    if item.answer_type == "number":
        return turn.t("checklist.hint_number", contoh=item.example or str(item.min))
    if item.answer_type == "yesno":
        return turn.t("checklist.hint_yesno")
    return turn.t("checklist.hint_choice")


def ask(turn: Turn, measurement: Measurement, instrument: Instrument, item: Item, *, prefix: str | None = None
        ) -> None:
    """Send the question for ``item`` and remember it as the one a typed answer belongs to."""
    number = rules.item_number(instrument, item.id)
    put_state(turn, FLOW, "q", {"m": measurement.id, "item": item.id})
    text = turn.t("checklist.question", no=number, total=len(instrument.items), teks=item.text)
    stored = store.answers(turn.session, measurement.id).get(item.id)
    value = answer_rules.decode(item, stored.raw_value) if stored is not None else None
    extra = (turn.t("checklist.current_answer", jawaban=answer_rules.label(item, value)) if value is not None
             else _hint(turn, item))
    rows = _answer_buttons(item, measurement.id, number)
    nav = []
    if number > 1:
        nav.append((turn.t("checklist.button_back"), callback("ceklis", "back", measurement.id, number)))
    nav.append((turn.t("checklist.button_later"), callback("ceklis", "later", measurement.id)))
    rows.append(nav)
    body = f"{text}\n\n{extra}"
    turn.reply(f"{prefix}\n\n{body}" if prefix else body, inline(rows))


def start_or_resume(turn: Turn) -> None:
    """/ceklis: resume the open measurement, or start the due one, or say when the next one comes."""
    ctx = family_context(turn)
    if ctx is None:
        return
    user, family = ctx
    protocol = protocol_of(turn, family)
    instrument = turn.content.instruments[protocol.instrument]
    due = due_now(turn, family)
    open_m = store.open_for_family(turn.session, family.id)
    decision = rules.resume_or_new(protocol, open_m.occasion if open_m else None, due)
    if decision == "resume":
        inst = instrument_for(turn, open_m) or instrument
        item = rules.first_unanswered(inst, store.answers(turn.session, open_m.id))
        if item is None:
            _finish(turn, family, open_m, inst)
            return
        ask(turn, open_m, inst, item, prefix=turn.t("checklist.resume", kapan=occasion_words(turn, open_m.occasion),
                                                    no=rules.item_number(inst, item.id)))
        return
    if decision == "new":
        m = rules.start(turn.session, family_id=family.id, instrument=instrument, slot=due.slot, user_id=user.id,
                        now=turn.now)
        intro = turn.t("checklist.intro", kapan=occasion_words(turn, due.slot.label), judul=instrument.title,
                       jumlah=len(instrument.items))
        ask(turn, m, instrument, instrument.items[0], prefix=intro)
        return
    clear_state(turn)
    if due.missed is not None:
        turn.reply(turn.t("checklist.window_missed", kapan=occasion_words(turn, due.missed.label)))
    elif due.next_slot is not None:
        turn.reply(turn.t("checklist.not_due", kapan=occasion_words(turn, due.next_slot.label),
                          hari=due.next_slot.day))
    else:
        turn.reply(turn.t("checklist.all_done"))


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


def record(turn: Turn, user, family: Family, m: Measurement, inst: Instrument, item: Item, value, via: str) -> None:
    """Save one answer, give urgent advice for a danger sign, then ask the next question or finish."""
    sign = rules.save(turn.session, measurement=m, item=item, value=value,
                      day=measurement_day(turn, family, m), user_id=user.id, via=via, now=turn.now)
    if sign:
        urgent_advice(turn, family, [sign], source="answer")
    nxt = rules.first_unanswered(inst, store.answers(turn.session, m.id))
    if nxt is None:
        _finish(turn, family, m, inst)
    else:
        ask(turn, m, inst, nxt)


def _day_aware_advice(turn: Turn, result, day: int | None) -> str:
    """The advice after a checklist for the baby's day: "wajar" only where it is (content/day_norms.yaml)."""
    norms = turn.content.day_norms
    if result.classification.good:
        message = turn.t("checklist.result_good")
    elif norms is None or day is None or day <= norms.early_days_until:
        message = turn.t("day_advice.not_good_early")
    else:
        message = turn.t("day_advice.not_good_later", hari=str(day))
    for note in norms.notes_for(result.values, day) if norms is not None else ():
        params = {"hari": str(day)}
        if "{jumlah}" in turn.content.texts[note.text]:
            params["jumlah"] = str(result.values[note.item])
        message += "\n" + turn.t(note.text, **params)
    return message


def _finish(turn: Turn, family: Family, m: Measurement, inst: Instrument) -> None:
    result = rules.finish(turn.session, measurement=m, instrument=inst, day=measurement_day(turn, family, m),
                          now=turn.now)
    protocol = protocol_of(turn, family)
    windows.stamp(turn.session, protocol, family, m, family_times(family, protocol, turn.settings))
    clear_state(turn)
    lines = "\n".join(
        turn.t("checklist.answer_line", pertanyaan=item.text, jawaban=answer_rules.label(item, result.values[item.id]))
        for item in inst.items
    )
    message = _day_aware_advice(turn, result, measurement_day(turn, family, m))
    if m.occasion.endswith("post"):
        pre = [x for x in store.for_family(turn.session, family.id)
               if x.completed_at is not None and x.occasion.endswith("pre") and x.score is not None
               and x.instrument_id == inst.id]
        if pre:
            before = pre[-1]
            cls = next((c for c in inst.classifications if c.key == before.class_key), None)
            message += "\n" + turn.t("checklist.compare_pre", skor=before.score,
                                     kelas=cls.label if cls else before.class_key)
    turn.reply(turn.t("checklist.summary", kapan=occasion_words(turn, m.occasion), jawaban=lines,
                      skor=result.score, maks=inst.max_total, kelas=result.classification.label, pesan=message))


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


@text_flow(FLOW)
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


def resume(turn: Turn, family: Family) -> bool:
    """/lanjut: continue the family's open checklist at its first unanswered question. False if none."""
    m = store.open_for_family(turn.session, family.id)
    if m is None:
        return False
    start_or_resume(turn)
    return True


def register(app: Application) -> None:
    app.add_handler(CommandHandler("ceklis", checklist_command, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^ceklis:"))
