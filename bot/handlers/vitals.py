"""/vital: the health worker's check before a massage (seed 002's protocol, ``performer: petugas``): blood
pressure, pulse and breathing; a normal reading logs the massage as hers, one outside normal asks the mother
to rest for the protocol's wait and be measured again (bot/flows/vitals.py)."""

from __future__ import annotations

from telegram.ext import Application, CommandHandler, filters

from bot.core.turn import Turn, turn_handler
from bot.flows import vitals as rules
from bot.handlers.context import protocol_of, today_day
from bot.handlers.steps.staff import staff_or_refuse
from storage import families as family_store


def _names(turn: Turn, keys) -> str:
    return ", ".join(turn.t(f"vitals.name.{k}") for k in keys)


@turn_handler
def vital(turn: Turn) -> None:
    staff = staff_or_refuse(turn)
    if staff is None:
        return
    if len(turn.args) < 2:
        turn.reply(turn.t("vitals.usage"))
        return
    code = turn.args[0]
    family = family_store.by_code(turn.session, code)
    if family is None or family.facility_id != staff.facility_id or family.status != family_store.ACTIVE:
        turn.reply(turn.t("vitals.no_family", kode=code.upper()))
        return
    reading = rules.parse(" ".join(turn.args[1:]))
    if reading is None:
        turn.reply(turn.t("vitals.invalid"))
        return
    protocol = protocol_of(turn, family)
    day = today_day(turn, family)
    outcome = rules.record(turn.session, protocol=protocol, family=family, staff_user_id=staff.user_id,
                           reading=reading, day=day, now=turn.now)
    if outcome.status == "no_vitals":
        turn.reply(turn.t("vitals.no_vitals", kode=family.code))
    elif outcome.status == "implausible":
        first = outcome.outside[0]
        low, high = protocol.vitals.plausible[first]
        turn.reply(turn.t("vitals.implausible", tanda=_names(turn, outcome.outside),
                          batas=turn.t("vitals.range", bawah=low, atas=high)))
    elif outcome.status == "wait":
        turn.reply(turn.t("vitals.wait", tanda=_names(turn, outcome.outside), menit=outcome.wait_minutes))
    else:
        turn.reply(turn.t("vitals.ok", td=f"{reading.systolic}/{reading.diastolic}", nadi=reading.pulse,
                          napas=reading.breathing, hari=day if day is not None else "-", kode=family.code))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("vital", vital, filters=filters.ChatType.PRIVATE))
