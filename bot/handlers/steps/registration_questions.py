"""The registration's questions (flow ``registration``): name, the baby's birth date, time zone, an optional
midwife code, a summary; and the same birth-date and time-zone questions changing a registered family's data
(flow ``family_edit``). The answers are taken by bot/handlers/onboarding.py.
"""

from __future__ import annotations

from datetime import timedelta

from bot.chat.keyboards import callback, inline
from bot.core.turn import Turn
from bot.flows import dates, registration
from bot.handlers.context import family_context, format_date, put_state, zone_name
from storage import facilities
from storage import families as family_store

FLOW = registration.FLOW
EDIT_FLOW = "family_edit"
BIRTH_BUTTONS = (("onboarding.button_today", 0), ("onboarding.button_yesterday", 1),
                 ("onboarding.button_2_days_ago", 2))


def example_date(turn: Turn) -> str:
    """A date to show as the example of typing one: yesterday, from the clock (never a fixed year)."""
    today = dates.local_today(turn.now, turn.settings.default_timezone)
    return f"{today - timedelta(days=1):%d-%m-%Y}"


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


def last_day(turn: Turn) -> int:
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
        turn.reply(turn.t("onboarding.ask_birth_date", contoh=example_date(turn)), birth_keyboard(turn))
    elif step == registration.TZ:
        turn.reply(turn.t("onboarding.ask_timezone"), tz_keyboard(turn, default_tz(turn, data)))
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


def default_tz(turn: Turn, data: dict) -> str:
    facility = facilities.get(turn.session, data["facility_id"]) if data.get("facility_id") else None
    return registration.default_timezone(turn.settings, facility)


# -- changing a registered family's birth date or time zone ---------------------------------------------

def begin_edit(turn: Turn, field: str) -> None:
    put_state(turn, EDIT_FLOW, field, {})
    if field == registration.BIRTH:
        turn.reply(turn.t("onboarding.ask_birth_date", contoh=example_date(turn)), birth_keyboard(turn))
    else:
        ctx = family_context(turn, reply=False)
        turn.reply(turn.t("onboarding.ask_timezone"), tz_keyboard(turn, ctx[1].timezone if ctx else None))
