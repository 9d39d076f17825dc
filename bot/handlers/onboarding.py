"""Registration of a family: name, the baby's birth date, time zone, an optional midwife code, a summary.

Each answer is stored in ChatState at once (flow ``registration``), so a restart continues at the same
question. The same birth-date and time-zone questions also change a registered family's data (flow
``family_edit``), after which the reminders are recomputed. The questions are bot/handlers/steps/registration_questions.py
(/start and /lanjut ask them too); this module takes the answers.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler

from bot.chat.keyboards import callback, inline
from bot.chat.routing import text_flow
from bot.core.turn import Turn, turn_handler
from bot.flows import dates, registration
from bot.flows import family_admission as admission
from bot.flows.reminders import missed_note
from bot.handlers.context import address, clear_state, consented_user, family_context, stale, state
from bot.handlers.steps.family_view import invite_text, show_family
from bot.handlers.steps.main_menu import main_keyboard
from bot.handlers.steps.phone_question import ask_phone
from bot.handlers.steps.registration_questions import (
    EDIT_FLOW,
    FLOW,
    ask,
    birth_keyboard,
    default_tz,
    example_date,
    last_day,
    tz_keyboard,
)
from bot.handlers.steps.table1_offer import offer_table1
from storage.models import ChatState


def take_birth(turn: Turn, data: dict, parsed: dates.ParsedDate | None, *, zone: str) -> bool:
    """Check a birth date against today in ``zone``; say why it cannot be used. True if it was taken."""
    if parsed is None:
        turn.reply(turn.t("onboarding.birth_date_invalid", contoh=example_date(turn)), birth_keyboard(turn))
        return False
    today = dates.local_today(turn.now, zone)
    value = dates.resolve(parsed, today)
    verdict = dates.check_birth_date(value, today, last_day(turn))
    if verdict == dates.FUTURE:
        turn.reply(turn.t("onboarding.birth_date_future"), birth_keyboard(turn))
        return False
    if verdict == dates.TOO_OLD:
        turn.reply(turn.t("onboarding.birth_date_too_old", hari=last_day(turn)))
        return False
    registration.set_birth(data, dates.ParsedDate(value, parsed.days_ago))
    return True


def plain_answer(turn: Turn, st: ChatState) -> bool:
    """What registration takes even when it reads like a danger sign: a name ("Kejang Sutrisno") at the name
    question, and a facility code that exists at the code question."""
    if st.step == registration.NAME:
        return registration.looks_like_name(turn.text, turn.content.danger_language)
    return st.step == registration.CODE and registration.find_facility(turn.session, turn.text) is not None


@text_flow(FLOW, answers=plain_answer)
def registration_text(turn: Turn, st: ChatState) -> None:
    data = dict(st.data)
    step = st.step
    if step == registration.NAME:
        name = registration.clean_name(turn.text)
        if name is None:
            turn.reply(turn.t("onboarding.name_invalid"))
            return
        data["name"] = name
    elif step == registration.BIRTH:
        zone = data.get("tz") or default_tz(turn, data)
        parsed = dates.parse_birth_date(turn.text, dates.local_today(turn.now, zone),
                                        turn.content.lexicon.parse_number)
        if not take_birth(turn, data, parsed, zone=zone):
            return
    elif step == registration.TZ:
        zone = registration.parse_timezone(turn.text)
        if zone is None:
            turn.reply(turn.t("family.tz_unclear"), tz_keyboard(turn, default_tz(turn, data)))
            return
        registration.set_timezone(data, zone, turn.now)
    elif step == registration.CODE:
        facility = registration.find_facility(turn.session, turn.text)
        if facility is None:
            turn.reply(turn.t("onboarding.facility_unknown", kode=turn.text[:32]),
                       inline([[(turn.t("onboarding.button_skip"), callback("reg", "skip"))]]))
            return
        data.update(facility_id=facility.id, code_done=True)
    else:
        turn.reply(turn.t("family.use_buttons"))
        ask(turn, data, step)
        return
    ask(turn, data)


@turn_handler
def on_registration_button(turn: Turn) -> None:
    st = state(turn)
    parts = (turn.callback_data or "").split(":")
    user = consented_user(turn)
    if user is None or st.flow not in (FLOW, EDIT_FLOW) or len(parts) < 2:
        stale(turn)
        return
    if st.flow == EDIT_FLOW:
        _edit_button(turn, st, parts)
        return
    data = dict(st.data)
    action = parts[1]
    if action == "bd" and st.step == registration.BIRTH and len(parts) == 3 and parts[2] in ("0", "1", "2"):
        zone = data.get("tz") or default_tz(turn, data)
        if not take_birth(turn, data, dates.days_ago(dates.local_today(turn.now, zone), int(parts[2])), zone=zone):
            return
    elif action == "tz" and st.step == registration.TZ and len(parts) == 3 and parts[2] in registration.TIMEZONES:
        registration.set_timezone(data, registration.TIMEZONES[parts[2]], turn.now)
    elif action == "skip" and st.step == registration.CODE:
        data.pop("facility_id", None)
        data["code_done"] = True
    elif action == "change" and st.step == registration.CONFIRM:
        ask(turn, data, registration.CHANGE)
        turn.edit_markup(None)
        return
    elif action == "edit" and st.step == registration.CHANGE and len(parts) == 3 and parts[2] in registration.FIELDS:
        field = parts[2]
        if field == registration.CODE:
            data["code_done"] = False
        else:
            data.pop(field, None)
    elif action == "save" and st.step == registration.CONFIRM:
        turn.edit_markup(None)
        save(turn, user, data)
        return
    else:
        stale(turn)
        return
    turn.edit_markup(None)
    ask(turn, data)


def save(turn: Turn, user, data: dict) -> None:
    zone = data.get("tz") or turn.settings.default_timezone
    if registration.check_birth(data, turn.now, turn.settings, last_day(turn)) != dates.OK:
        data.pop("birth", None)  # days have passed since it was typed: ask again
        ask(turn, data)
        return
    data["tz"] = zone
    saved = registration.save(turn.session, user=user, data=data, now=turn.now, settings=turn.settings)
    clear_state(turn)
    turn.reply(turn.t("onboarding.registered", nama=address(turn, user)))
    turn.reply(invite_text(turn, saved.family, user))
    note = missed_note(turn.content, saved.schedule)
    if note:
        turn.reply(note)
    if saved.created:
        ask_phone(turn)  # optional, one tap, nothing waits for it
    turn.reply(turn.t("family.next_steps"), main_keyboard(turn, saved.family))
    offer_table1(turn, user, saved.family)  # Table 1: optional, after the registration itself


# -- changing a registered family's birth date or time zone ---------------------------------------------

def _apply_edit(turn: Turn, *, birth=None, zone: str | None = None) -> None:
    ctx = family_context(turn)
    if ctx is None:
        return
    user, family = ctx
    if not admission.may_manage(turn.session, user_id=user.id, family_id=family.id):  # companions may not
        clear_state(turn)
        turn.reply(turn.t("family.only_parents"))
        return
    registration.change_family(turn.session, family, now=turn.now, settings=turn.settings, birth=birth,
                               timezone=zone)
    clear_state(turn)
    turn.reply(turn.t("family.changed"))
    show_family(turn, family)


def _edit_birth(turn: Turn, parsed: dates.ParsedDate | None) -> None:
    ctx = family_context(turn)
    if ctx is None:
        return
    data: dict = {}
    if take_birth(turn, data, parsed, zone=ctx[1].timezone):
        _apply_edit(turn, birth=registration.birth_of(data))


def _edit_button(turn: Turn, st: ChatState, parts: list[str]) -> None:
    ctx = family_context(turn)
    if ctx is None:
        return
    if parts[1] == "bd" and st.step == registration.BIRTH and len(parts) == 3 and parts[2] in ("0", "1", "2"):
        turn.edit_markup(None)
        _edit_birth(turn, dates.days_ago(dates.local_today(turn.now, ctx[1].timezone), int(parts[2])))
    elif parts[1] == "tz" and st.step == registration.TZ and len(parts) == 3 and parts[2] in registration.TIMEZONES:
        turn.edit_markup(None)
        _apply_edit(turn, zone=registration.TIMEZONES[parts[2]])
    else:
        stale(turn)


@text_flow(EDIT_FLOW)
def edit_text(turn: Turn, st: ChatState) -> None:
    ctx = family_context(turn)
    if ctx is None:
        return
    if st.step == registration.BIRTH:
        today = dates.local_today(turn.now, ctx[1].timezone)
        _edit_birth(turn, dates.parse_birth_date(turn.text, today, turn.content.lexicon.parse_number))
    else:
        zone = registration.parse_timezone(turn.text)
        if zone is None:
            turn.reply(turn.t("family.tz_unclear"), tz_keyboard(turn))
            return
        _apply_edit(turn, zone=zone)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(on_registration_button, pattern=r"^reg:"))
