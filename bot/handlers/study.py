"""The study design in the chat (issue 14).

- ``/protokol`` (midwife): the facility's protocol; a coordinator changes it with buttons
  (``stp:fac:<protocol>``). ``/protokol KODE PROTOKOL`` moves one family before its first measurement.
- ``/analisis``: the per-protocol report (flow, each protocol pair, frequencies, Table 1), then the full
  statistics of the primary pair with its chart and workbook; asks which protocol (``stp:an:<protocol>``)
  when the facility has families on more than one.
- Before the first guided massage, /pijat asks for the "before" checklist first (``prepijat:skip`` starts the
  massage without it and records the skip; "Isi ceklis" is ``ceklis:start``).
- Table 1: after registration the mother (with research consent) is asked a few optional questions, by
  buttons (``t1:<field>:<value>``, ``t1:skip`` skips them all, ``t1:next:<field>`` skips one); the time of
  birth is typed (flow ``table1``).

The report itself, the "before" checklist's question and Table 1's offer are steps other parts open too
(bot/handlers/steps/analysis.py, pre_checklist.py, table1_offer.py).
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.chat.keyboards import callback, inline
from bot.chat.routing import text_flow
from bot.core.turn import Turn, turn_handler
from bot.flows import dates, protocols, windows
from bot.flows import midwife as mw_rules
from bot.flows.schedule import reschedule_family
from bot.handlers.context import clear_state, clock_words, family_context, protocol_of, put_state, stale
from bot.handlers.steps.analysis import protocol_line, report
from bot.handlers.steps.checklist_due import due_now
from bot.handlers.steps.massage import start_session
from bot.handlers.steps.staff import staff_or_refuse
from storage import facilities
from storage import families as family_store
from storage.models import ChatState, Family, Staff

T1_FLOW = "table1"


# -- /protokol, and the protocol chosen for /analisis --------------------------------------------------------

@turn_handler
def protocol_command(turn: Turn) -> None:
    staff = staff_or_refuse(turn)
    if staff is None:
        return
    facility = facilities.get(turn.session, staff.facility_id)
    if len(turn.args) == 2:
        _move_family(turn, staff, turn.args[0], turn.args[1].lower())
        return
    current = protocols.facility_protocol(turn.content, facility)
    text = turn.t("study.protocol_current", fasilitas=facility.name, protokol=protocol_line(turn, current.id))
    if not mw_rules.is_coordinator(staff):
        turn.reply(text + "\n\n" + turn.t("study.protocol_move_usage"))
        return
    rows = [[(p.id + (" ✓" if p.id == current.id else ""), callback("stp", "fac", p.id))]
            for p in sorted(turn.content.protocols.values(), key=lambda p: p.id)]
    described = "\n".join(turn.t("study.protocol_option", kode=p.id, judul=p.title)
                           for p in sorted(turn.content.protocols.values(), key=lambda p: p.id))
    turn.reply(text + "\n\n" + turn.t("study.protocol_choose") + "\n" + described + "\n\n"
               + turn.t("study.protocol_move_usage"), inline(rows))


def _move_family(turn: Turn, staff: Staff, code: str, protocol_id: str) -> None:
    family = family_store.by_code(turn.session, code)
    if family is None or family.facility_id != staff.facility_id or family.status == "deleted":
        turn.reply(turn.t("study.family_unknown", kode=code[:16]))
        return
    try:
        chosen = protocols.move_family(turn.session, turn.content, family, protocol_id, now=turn.now,
                                       actor_user_id=staff.user_id)
    except protocols.ProtocolError as exc:
        turn.reply(turn.t(f"study.move_{exc.code}", **exc.params))
        return
    reschedule_family(turn.session, family.id, now=turn.now, settings=turn.settings)
    turn.reply(turn.t("study.family_moved", kode=family.code, protokol=protocol_line(turn, chosen.id)))


def _set_facility(turn: Turn, protocol_id: str) -> None:
    staff = staff_or_refuse(turn)
    if staff is None:
        return
    if not mw_rules.is_coordinator(staff):
        turn.answer(turn.t("midwife.not_coordinator"), alert=True)
        return
    facility = facilities.get(turn.session, staff.facility_id)
    try:
        chosen = protocols.set_facility_protocol(turn.session, turn.content, facility, protocol_id, now=turn.now,
                                                 actor="telegram", actor_user_id=staff.user_id)
    except protocols.ProtocolError:
        stale(turn)
        return
    turn.answer()
    turn.edit_markup(None)
    turn.reply(turn.t("study.protocol_set", fasilitas=facility.name, protokol=protocol_line(turn, chosen.id)))


@turn_handler
def on_study_button(turn: Turn) -> None:
    parts = (turn.callback_data or "").split(":")
    if len(parts) == 4 and parts[1] == "av" and parts[2] in turn.content.protocols and parts[3].isdigit():
        staff = staff_or_refuse(turn)
        if staff is None:
            return
        turn.answer()
        turn.edit_markup(None)
        report(turn, staff, parts[2], int(parts[3]))
        return
    if len(parts) != 3 or parts[2] not in turn.content.protocols:
        stale(turn)
        return
    if parts[1] == "fac":
        _set_facility(turn, parts[2])
    elif parts[1] == "an":
        staff = staff_or_refuse(turn)
        if staff is None:
            return
        turn.answer()
        turn.edit_markup(None)
        report(turn, staff, parts[2])
    else:
        stale(turn)


# -- "Lewati" of the "before" checklist ---------------------------------------------------------------------

@turn_handler
def on_pre_skip(turn: Turn) -> None:
    ctx = family_context(turn)
    if ctx is None:
        return
    user, family = ctx
    due = due_now(turn, family)
    turn.answer()
    turn.edit_markup(None)
    if due.slot is not None and due.slot.occasion == "pre":
        protocol = protocol_of(turn, family)
        inst = turn.content.instruments[protocol.instrument]
        windows.record_skip(turn.session, family_id=family.id, instrument_id=inst.id,
                            instrument_version=inst.version, occasion=due.slot.label, user_id=user.id, now=turn.now)
    start_session(turn)


# -- Table 1 -------------------------------------------------------------------------------------------

T1_FIELDS = ("mother_age", "parity", "education", "work", "birth_mode", "birth_time")
T1_CHOICES: dict[str, tuple[str, ...]] = {
    "mother_age": ("lt20", "20_35", "gt35"),
    "parity": ("1", "2", "3", "4"),
    "education": ("tidak_sekolah", "sd", "smp", "sma", "pt"),
    "work": ("irt", "pns", "swasta", "wiraswasta", "petani", "lainnya"),
    "birth_mode": ("normal", "sesar", "alat"),
}
# An age group stands for a representative age (only the group is ever shown or analysed).
AGE_OF_GROUP = {"lt20": 19, "20_35": 28, "gt35": 36}


def _ask_field(turn: Turn, field: str) -> None:
    skip_row = [(turn.t("study.t1_button_skip"), callback("t1", "next", field)),
                (turn.t("study.t1_button_skip_all"), callback("t1", "skip", "x"))]
    if field == "birth_time":
        put_state(turn, T1_FLOW, field, {})
        turn.reply(turn.t("study.t1_q_birth_time"), inline([skip_row]))
        return
    rows = [[(turn.t(f"study.t1_choice.{field}.{v}"), callback("t1", field, v))] for v in T1_CHOICES[field]]
    turn.reply(turn.t(f"study.t1_q_{field}"), inline([*rows, skip_row]))


def _next_field(field: str) -> str | None:
    i = T1_FIELDS.index(field)
    return T1_FIELDS[i + 1] if i + 1 < len(T1_FIELDS) else None


def _after(turn: Turn, field: str) -> None:
    nxt = _next_field(field)
    if nxt is None:
        clear_state(turn)
        turn.reply(turn.t("study.t1_thanks"))
    else:
        _ask_field(turn, nxt)


def _own_family(turn: Turn) -> Family | None:
    ctx = family_context(turn)
    if ctx is None:
        return None
    user, family = ctx
    member = family_store.membership_of(turn.session, user.id)
    if member is None or member.role != family_store.MOTHER:
        stale(turn)
        return None
    return family


@turn_handler
def on_table1_button(turn: Turn) -> None:
    parts = (turn.callback_data or "").split(":")
    if len(parts) != 3:
        stale(turn)
        return
    family = _own_family(turn)
    if family is None:
        return
    action, value = parts[1], parts[2]
    turn.answer()
    turn.edit_markup(None)
    if action == "go":
        _ask_field(turn, T1_FIELDS[0])
    elif action == "skip":
        if all(getattr(family, f) is None for f in T1_FIELDS):
            family.characteristics_skipped = True
            turn.session.add(family)
        clear_state(turn)
        turn.reply(turn.t("study.t1_skipped"))
    elif action == "next" and value in T1_FIELDS:
        _after(turn, value)
    elif action in T1_CHOICES and value in T1_CHOICES[action]:
        if action == "mother_age":
            family.mother_age = AGE_OF_GROUP[value]
        elif action == "parity":
            family.parity = int(value)
        else:
            setattr(family, action, value)
        family.characteristics_skipped = False
        turn.session.add(family)
        _after(turn, action)
    else:
        stale(turn)


def parse_birth_time(text: str) -> str | None:
    """The time of birth as stored ("HH:MM"), from "21.30", "jam 9 pagi", "setengah 8 malam" …"""
    at = dates.parse_time_of_day(text)
    return None if at is None else at.strftime("%H:%M")


@text_flow(T1_FLOW)
def table1_text(turn: Turn, st: ChatState) -> None:  # noqa: ARG001
    family = _own_family(turn)
    if family is None:
        clear_state(turn)
        return
    value = parse_birth_time(turn.text or "")
    if value is None:
        turn.reply(turn.t("study.t1_time_unclear"), inline([[
            (turn.t("study.t1_button_skip"), callback("t1", "next", "birth_time"))]]))
        return
    family.birth_time = value
    family.characteristics_skipped = False
    turn.session.add(family)
    turn.session.flush()
    turn.reply(turn.t("study.t1_time_saved", jam=clock_words(turn, dates.parse_clock(value))))
    if not protocols.has_measurement(turn.session, family.id):
        reschedule_family(turn.session, family.id, now=turn.now, settings=turn.settings)
    _after(turn, "birth_time")


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("protokol", protocol_command, filters=private))
    app.add_handler(CallbackQueryHandler(on_study_button, pattern=r"^stp:"))
    app.add_handler(CallbackQueryHandler(on_pre_skip, pattern=r"^prepijat:skip$"))
    app.add_handler(CallbackQueryHandler(on_table1_button, pattern=r"^t1:"))
