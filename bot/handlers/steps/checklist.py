"""The checklist's questions, one at a time (flow ``checklist``, ``{"m": measurement id, "item": item id}``):
starting or resuming the due measurement (/ceklis, /lanjut, "Isi ceklis"), saving an answer, the summary at
the end. The answers (buttons and typed) are taken by bot/handlers/checklist.py.
"""

from __future__ import annotations

from bot.chat.keyboards import callback, inline
from bot.core.turn import Turn
from bot.flows import answers as answer_rules
from bot.flows import checklist as rules
from bot.flows import dates, windows
from bot.flows.schedule import family_times
from bot.handlers.context import clear_state, family_context, protocol_of, put_state, today_day
from bot.handlers.steps.checklist_due import due_now, occasion_words
from bot.handlers.steps.danger_advice import urgent_advice
from content.instruments import Instrument, Item
from storage import measurements as store
from storage.models import Family, Measurement

FLOW = "checklist"


def instrument_for(turn: Turn, measurement: Measurement) -> Instrument | None:
    """The measurement's instrument (answers that no longer fit a newer version are asked again)."""
    return turn.content.instruments.get(measurement.instrument_id)


def measurement_day(turn: Turn, family: Family, measurement: Measurement) -> int | None:
    if family.birth_date is None:
        return None
    return dates.postpartum_day(family.birth_date, measurement.started_at, family.timezone, family.birth_time)


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
            finish(turn, family, open_m, inst)
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
    elif due.next_slot is not None and due.next_slot.occasion == "post" and due.next_slot.day == today_day(turn, family):
        turn.reply(turn.t("checklist.not_due_after_massage"))  # the massage it follows is still to come
    elif due.next_slot is not None:
        turn.reply(turn.t("checklist.not_due", kapan=occasion_words(turn, due.next_slot.label),
                          hari=due.next_slot.day))
    else:
        turn.reply(turn.t("checklist.all_done"))


# -- answering -----------------------------------------------------------------------------------------

def record(turn: Turn, user, family: Family, m: Measurement, inst: Instrument, item: Item, value, via: str) -> None:
    """Save one answer, give urgent advice for a danger sign, then ask the next question or finish."""
    sign = rules.save(turn.session, measurement=m, item=item, value=value,
                      day=measurement_day(turn, family, m), user_id=user.id, via=via, now=turn.now)
    if sign:
        urgent_advice(turn, family, [sign], source="answer")
    nxt = rules.first_unanswered(inst, store.answers(turn.session, m.id))
    if nxt is None:
        finish(turn, family, m, inst)
    else:
        ask(turn, m, inst, nxt)


def _day_aware_advice(turn: Turn, result, day: int | None) -> str:
    """The advice after a checklist for the baby's day: "wajar" only where it is (content/day_norms.yaml)."""
    norms = turn.content.day_norms
    if result.classification.good:
        return turn.t("checklist.result_good")
    if norms is None or day is None or day <= norms.early_days_until:
        return turn.t("day_advice.not_good_early")
    return turn.t("day_advice.not_good_later", hari=str(day))


def _day_notes(turn: Turn, result, day: int | None) -> str | None:
    """The day's notes on single answers ("popok basah 3 kali masih kurang untuk umur 4 hari"), one message of
    their own after the summary: with every note the summary would pass 600 characters. Shown under blinding
    too: they are care advice on single answers, not the study's result."""
    norms = turn.content.day_norms
    notes = [turn.t(n.text, **_note_params(turn, n, result, day))
             for n in (norms.notes_for(result.values, day) if norms is not None else ())]
    return "\n\n".join(notes) if notes else None


def day_name(turn: Turn, day: int) -> str:
    key = f"checklist.day_{day}"
    return turn.t(key) if turn.content.has_text(key) else turn.t("checklist.day_n", hari=str(day))


def class_words(turn: Turn, inst: Instrument, class_key: str | None) -> str:
    """What a class means in words ("ASI mulai lancar"); the class label when the instrument has none."""
    key = f"checklist.class_words.{inst.id}.{class_key}"
    if turn.content.has_text(key):
        return turn.t(key)
    cls = next((c for c in inst.classifications if c.key == class_key), None)
    return cls.label if cls else str(class_key)


def _norm_lines(turn: Turn, result, *, noted: bool) -> list[str]:
    """The result against the baby's day norm: what a family reads for an instrument with one (bayi6), never
    "tidak lancar" on a normal day 1."""
    words = turn.t(f"checklist.norm_{result.norm_class}", hari=day_name(turn, result.norm_day))
    lines = [turn.t("checklist.result_words", kata=words)]
    if result.norm_class == "di_bawah_hari":
        if not noted:  # the day's notes already say what to do and to tell the midwife
            lines.append(turn.t("checklist.norm_below_advice"))
    elif result.classification.good:
        lines.append(turn.t("checklist.norm_good"))
    else:
        lines.append(turn.t("checklist.norm_full_later"))
    return lines


def _earlier(turn: Turn, family: Family, m: Measurement, inst: Instrument) -> str | None:
    """The "before" result this "after" follows, in words and in the scale's direction."""
    pre = [x for x in store.for_family(turn.session, family.id)
           if x.completed_at is not None and x.occasion.endswith("pre") and x.score is not None
           and x.instrument_id == inst.id and x.started_at <= m.started_at]
    if not pre:
        return None
    before = pre[-1]
    if m.norm_class is not None and before.norm_class is not None:
        day = measurement_day(turn, family, before) or 1
        return turn.t("checklist.compare_norm", kata=turn.t(f"checklist.norm_{before.norm_class}",
                                                            hari=day_name(turn, max(day, 1))))
    moved = rules.change(inst, before.score, m.score)
    return turn.t("checklist.compare_pre", kata=class_words(turn, inst, before.class_key),
                  perubahan=turn.t(f"checklist.change_{moved}"))


def result_text(turn: Turn, family: Family, m: Measurement, inst: Instrument, result) -> str:
    """Words first; the score with its direction; the day's advice; the earlier result after a post. Under a
    blinded protocol, until the last measurement: no score, class or earlier result (the day's care notes,
    sent after it by :func:`finish`, stay)."""
    protocol = protocol_of(turn, family)
    day = measurement_day(turn, family, m)
    if rules.blinded_now(protocol, m.occasion):
        return turn.t("checklist.blinded")
    if result.norm_class is not None:
        lines = _norm_lines(turn, result, noted=_day_notes(turn, result, day) is not None)
    else:
        arah = turn.t("checklist.direction_higher" if inst.higher_is_better else "checklist.direction_lower")
        lines = [turn.t("checklist.result_words", kata=class_words(turn, inst, result.classification.key)),
                 turn.t("checklist.result_score", skor=result.score, maks=inst.max_total, arah=arah),
                 _day_aware_advice(turn, result, day)]
    if m.occasion.endswith("post"):
        earlier = _earlier(turn, family, m, inst)
        if earlier:
            lines.append(earlier)
    return "\n".join(lines)


def _note_params(turn: Turn, note, result, day: int | None) -> dict:
    params = {"hari": str(day)}
    if "{jumlah}" in turn.content.texts[note.text]:
        params["jumlah"] = str(result.values[note.item])
    return params


def finish(turn: Turn, family: Family, m: Measurement, inst: Instrument) -> None:
    result = rules.finish(turn.session, measurement=m, instrument=inst, day=measurement_day(turn, family, m),
                          now=turn.now, norms=turn.content.day_norms)
    protocol = protocol_of(turn, family)
    windows.stamp(turn.session, protocol, family, m, family_times(family, protocol, turn.settings))
    clear_state(turn)
    go_on = None
    if m.occasion.endswith("pre"):  # the "before" checklist leads on to the massage it comes before
        go_on = inline([[(turn.t("checklist.button_go_massage"), "pijat:start")]])
    notes = _day_notes(turn, result, measurement_day(turn, family, m))
    turn.reply(turn.t("checklist.summary", kapan=occasion_words(turn, m.occasion), jumlah=len(result.values),
                      hasil=result_text(turn, family, m, inst, result)), None if notes else go_on)
    if notes:
        turn.reply(notes, go_on)


def resume(turn: Turn, family: Family) -> bool:
    """/lanjut: continue the family's open checklist at its first unanswered question. False if none."""
    m = store.open_for_family(turn.session, family.id)
    if m is None:
        return False
    start_or_resume(turn)
    return True
