"""Registration of a family: name, the baby's birth date, time zone, an optional midwife code, a summary.

Each answer is stored in ChatState at once (flow ``registration``), so a restart continues at the same
question. The same birth-date and time-zone questions also change a registered family's data (flow
``family_edit``), after which the reminders are recomputed.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler

from bot.chat.keyboards import callback, inline
from bot.chat.routing import text_flow
from bot.core.turn import Turn, turn_handler
from bot.flows import dates, registration
from bot.flows import family_admission as admission
from bot.flows.reminders import missed_note
from bot.handlers.context import (
    clear_state,
    consented_user,
    family_context,
    format_date,
    put_state,
    stale,
    state,
    zone_name,
)
from storage import facilities
from storage import families as family_store
from storage.models import ChatState

FLOW = registration.FLOW
EDIT_FLOW = "family_edit"
BIRTH_BUTTONS = (("onboarding.button_today", 0), ("onboarding.button_yesterday", 1),
                 ("onboarding.button_2_days_ago", 2))


def birth_keyboard(turn: Turn):
    return inline([[(turn.t(key), callback("reg", "bd", n)) for key, n in BIRTH_BUTTONS]])


def tz_keyboard(turn: Turn, default: str | None = None):
    """The three zones, the default one (from the facility or the configuration) first."""
    shorts = sorted(registration.TIMEZONES, key=lambda short: registration.TIMEZONES[short] != default)
    return inline([[(turn.t(f"onboarding.tz_{short.lower()}"), callback("reg", "tz", short))] for short in shorts])


def begin_registration(turn: Turn, role: str, facility_id: int | None = None) -> None:
    data: dict = {"role": role}
    if facility_id is not None:
        facility = facilities.get(turn.session, facility_id)
        if facility is not None:
            data.update(facility_id=facility.id, code_done=True)
            turn.reply(turn.t("family.facility_joined", fasilitas=facility.name))
    ask(turn, data)


def _last_day(turn: Turn) -> int:
    return turn.content.default_protocol.last_day


def ask(turn: Turn, data: dict, step: str | None = None) -> None:
    """Store the answers so far and ask the next question (or ``step``)."""
    step = step or registration.next_step(data)
    put_state(turn, FLOW, step, data)
    role = data.get("role") or family_store.MOTHER
    if step == registration.NAME:
        key = "onboarding.ask_name" if role == family_store.MOTHER else "onboarding.ask_name_suami"
        turn.reply(turn.t(key))
    elif step == registration.BIRTH:
        turn.reply(turn.t("onboarding.ask_birth_date"), birth_keyboard(turn))
    elif step == registration.TZ:
        turn.reply(turn.t("onboarding.ask_timezone"), tz_keyboard(turn, _default_tz(turn, data)))
    elif step == registration.CODE:
        turn.reply(turn.t("onboarding.ask_facility"),
                   inline([[(turn.t("onboarding.button_skip"), callback("reg", "skip"))]]))
    elif step == registration.CHANGE:
        turn.reply(turn.t("onboarding.ask_change"), inline([
            [(turn.t("onboarding.change_name"), callback("reg", "edit", "name")),
             (turn.t("onboarding.change_birth_date"), callback("reg", "edit", "birth"))],
            [(turn.t("onboarding.change_timezone"), callback("reg", "edit", "tz")),
             (turn.t("onboarding.change_facility"), callback("reg", "edit", "code"))],
        ]))
    else:
        show_summary(turn, data)


def show_summary(turn: Turn, data: dict) -> None:
    birth = registration.birth_of(data)
    zone = data.get("tz") or turn.settings.default_timezone
    facility = facilities.get(turn.session, data["facility_id"]) if data.get("facility_id") else None
    turn.reply(
        turn.t("onboarding.confirm", nama=data.get("name", ""), tanggal=format_date(turn, birth),
               hari=dates.postpartum_day(birth, turn.now, zone), zona=zone_name(turn, zone),
               fasilitas=facility.name if facility else turn.t("onboarding.no_facility")),
        inline([[(turn.t("onboarding.button_confirm"), callback("reg", "save")),
                 (turn.t("onboarding.button_change"), callback("reg", "change"))]]),
    )


def _default_tz(turn: Turn, data: dict) -> str:
    facility = facilities.get(turn.session, data["facility_id"]) if data.get("facility_id") else None
    return registration.default_timezone(turn.settings, facility)


def take_birth(turn: Turn, data: dict, parsed: dates.ParsedDate | None, *, zone: str) -> bool:
    """Check a birth date against today in ``zone``; say why it cannot be used. True if it was taken."""
    if parsed is None:
        turn.reply(turn.t("onboarding.birth_date_invalid"), birth_keyboard(turn))
        return False
    today = dates.local_today(turn.now, zone)
    value = dates.resolve(parsed, today)
    verdict = dates.check_birth_date(value, today, _last_day(turn))
    if verdict == dates.FUTURE:
        turn.reply(turn.t("onboarding.birth_date_future"), birth_keyboard(turn))
        return False
    if verdict == dates.TOO_OLD:
        turn.reply(turn.t("onboarding.birth_date_too_old", hari=_last_day(turn)))
        return False
    registration.set_birth(data, dates.ParsedDate(value, parsed.days_ago))
    return True


@text_flow(FLOW)
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
        zone = data.get("tz") or _default_tz(turn, data)
        parsed = dates.parse_birth_date(turn.text, dates.local_today(turn.now, zone),
                                        turn.content.lexicon.parse_number)
        if not take_birth(turn, data, parsed, zone=zone):
            return
    elif step == registration.TZ:
        zone = registration.parse_timezone(turn.text)
        if zone is None:
            turn.reply(turn.t("family.tz_unclear"), tz_keyboard(turn, _default_tz(turn, data)))
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
        zone = data.get("tz") or _default_tz(turn, data)
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
    from bot.handlers.family import invite_text
    from bot.handlers.menu import main_keyboard

    zone = data.get("tz") or turn.settings.default_timezone
    if registration.check_birth(data, turn.now, turn.settings, _last_day(turn)) != dates.OK:
        data.pop("birth", None)  # days have passed since it was typed: ask again
        ask(turn, data)
        return
    data["tz"] = zone
    saved = registration.save(turn.session, user=user, data=data, now=turn.now, settings=turn.settings)
    clear_state(turn)
    turn.reply(turn.t("onboarding.registered", nama=data["name"]))
    turn.reply(invite_text(turn, saved.family, user))
    note = missed_note(turn.content, saved.schedule)
    if note:
        turn.reply(note)
    turn.reply(turn.t("family.next_steps"), main_keyboard(turn, saved.family))
    from bot.handlers.study import offer_table1  # Table 1: optional, after the registration itself

    offer_table1(turn, user, saved.family)


# -- changing a registered family's birth date or time zone ---------------------------------------------

def begin_edit(turn: Turn, field: str) -> None:
    put_state(turn, EDIT_FLOW, field, {})
    if field == registration.BIRTH:
        turn.reply(turn.t("onboarding.ask_birth_date"), birth_keyboard(turn))
    else:
        ctx = family_context(turn, reply=False)
        turn.reply(turn.t("onboarding.ask_timezone"), tz_keyboard(turn, ctx[1].timezone if ctx else None))


def _apply_edit(turn: Turn, *, birth=None, zone: str | None = None) -> None:
    from bot.handlers.family import show_family

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

