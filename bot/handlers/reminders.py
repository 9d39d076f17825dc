"""Reminders in the running bot: the dispatcher job, /jadwal, and the reminder buttons.

- The dispatcher (bot/reminders/dispatcher.py) ticks every ``settings.dispatch_interval`` seconds through PTB's
  JobQueue when ``settings.run_dispatcher`` is true. The JobQueue only holds this one repeating job; the
  schedule itself is the Outbox table.
- /jadwal shows the family's reminder times; "Ubah jam" (or ``/jadwal 06:30,15:30``) changes them and
  moves the pending reminders; "Kembali ke jam awal" restores the protocol's times.
- ``rem:snooze:<row id>`` — "Ingatkan 30 menit lagi"; ``rem:done:<row id>`` — "Sudah dilakukan".
"""

from __future__ import annotations

import logging

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.chat.keyboards import callback, inline
from bot.chat.routing import text_flow
from bot.core.runtime import get_runtime
from bot.core.turn import Turn, turn_handler
from bot.flows import reminders as rules
from bot.handlers.steps.checklist_due import due_now, occasion_words
from bot.reminders.dispatcher import Dispatcher
from storage import chatstate, outbox

log = logging.getLogger(__name__)

DISPATCHER_KEY = "dispatcher"
JOB_NAME = "outbox-dispatcher"
FLOW = "jadwal"


# -- the dispatcher job ----------------------------------------------------------------------------------

def dispatcher_of(app: Application) -> Dispatcher:
    dispatcher = app.bot_data.get(DISPATCHER_KEY)
    if dispatcher is None:
        dispatcher = Dispatcher(get_runtime(app), app.bot)
        app.bot_data[DISPATCHER_KEY] = dispatcher
    return dispatcher


async def dispatch_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await dispatcher_of(context.application).tick()


def schedule_dispatcher(app: Application) -> None:
    settings = get_runtime(app).settings
    if app.job_queue is None:
        log.error("no JobQueue (install python-telegram-bot[job-queue]); reminders are not sent by this process")
        return
    app.job_queue.run_repeating(
        dispatch_job,
        interval=settings.dispatch_interval,
        first=min(settings.dispatch_interval, 1.0),
        name=JOB_NAME,
        job_kwargs={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
    )


# -- /jadwal ---------------------------------------------------------------------------------------------

def _family(turn: Turn):
    person = outbox.user_by_telegram_id(turn.session, turn.user_id)
    found = outbox.active_family_of(turn.session, person.id) if person else None
    return found[0] if found else None


def _jadwal_keyboard(turn: Turn, fam):
    rows = [[(rules.say(turn.content, "jadwal.button_edit"), callback("rem", "times", "edit"))]]
    if fam.reminder_times:
        rows.append([(rules.say(turn.content, "jadwal.button_reset"), callback("rem", "times", "reset"))])
    return inline(rows)


def _show(turn: Turn, fam, *, edit: bool = False) -> None:
    text = rules.jadwal_text(turn.session, fam, turn.content, turn.settings, turn.now)
    if edit:
        turn.edit(text, _jadwal_keyboard(turn, fam))
    else:
        turn.reply(text, _jadwal_keyboard(turn, fam))


def _apply(turn: Turn, fam, times) -> None:
    before = rules.times_of(fam, turn.content, turn.settings)
    rules.change_times(turn.session, fam, times, now=turn.now, settings=turn.settings, content=turn.content)
    after = rules.times_of(fam, turn.content, turn.settings)
    params = dict(jam_list=rules.format_times(after),
                  zona=rules.zone_label(turn.content, fam.timezone or turn.settings.default_timezone))
    if times is None:
        turn.reply(rules.say(turn.content, "jadwal.reset", **params))
    elif before == after:
        turn.reply(rules.say(turn.content, "jadwal.same", **params))
    else:
        turn.reply(rules.say(turn.content, "jadwal.saved", **params))


@turn_handler
def jadwal(turn: Turn) -> None:
    fam = _family(turn)
    if fam is None:
        turn.reply(rules.say(turn.content, "jadwal.no_family"))
        return
    if fam.birth_date is None:
        turn.reply(rules.say(turn.content, "jadwal.no_birth_date"))
        return
    if turn.args:
        n = rules.schedule.protocol_of(fam, turn.content).sessions_per_day
        times = rules.parse_new_times(" ".join(turn.args), n, turn.settings.jitter)
        if times is None:
            turn.reply(rules.say(turn.content, "jadwal.invalid", **rules.ask_params(fam, turn.content, turn.settings)))
            return
        _apply(turn, fam, times)
        return
    _show(turn, fam)


@text_flow(FLOW)
def jadwal_text(turn: Turn, state) -> None:  # noqa: ARG001
    fam = _family(turn)
    if fam is None:
        chatstate.clear(turn.session, turn.user_id, now=turn.now)
        turn.reply(rules.say(turn.content, "jadwal.no_family"))
        return
    n = rules.schedule.protocol_of(fam, turn.content).sessions_per_day
    times = rules.parse_new_times(turn.text, n, turn.settings.jitter)
    if times is None:
        turn.reply(rules.say(turn.content, "jadwal.invalid", **rules.ask_params(fam, turn.content, turn.settings)))
        return
    chatstate.clear(turn.session, turn.user_id, now=turn.now)
    _apply(turn, fam, times)


# -- buttons ---------------------------------------------------------------------------------------------

def _row_id(parts: list[str]) -> int | None:
    try:
        return int(parts[2])
    except (IndexError, ValueError):
        return None


@turn_handler
def button(turn: Turn) -> None:
    parts = (turn.callback_data or "").split(":")
    action = parts[1] if len(parts) > 1 else ""
    if action == "times":
        _times_button(turn, parts[2] if len(parts) > 2 else "")
        return
    row_id = _row_id(parts)
    if action == "snooze" and row_id is not None:
        outcome = rules.snooze(turn.session, row_id=row_id, telegram_id=turn.user_id, now=turn.now)
        if outcome.status == "done":
            turn.edit_markup(None)
            turn.answer(turn.t("guide.snooze_done"))
            return
        if outcome.status in ("ok", "already"):
            row = outbox.get(turn.session, row_id)
            tz = (row.payload or {}).get("tz") if row else None
            jam = rules.local_time_label(turn.content, outcome.at, tz)
            turn.answer(rules.say(turn.content, f"snooze.{outcome.status}", jam=jam))
        else:
            turn.answer(rules.say(turn.content, f"snooze.{outcome.status}"))
        return
    if action == "done" and row_id is not None:
        others = rules.performers(turn.session, row_id=row_id, telegram_id=turn.user_id)
        if others is not None:  # the mother pressed: ask who massaged her, so the record is true
            turn.answer()
            turn.reply(turn.t("guide.who_ask"), inline(
                [[(r.name or turn.t("family.role_" + r.role), callback("rem", "who", row_id, r.user_id))]
                 for r in others]
                + [[(turn.t("guide.who_other"), callback("rem", "who", row_id, rules.OTHER_PERFORMER))]]))
            return
        _log_done(turn, row_id, None)
        return
    if action == "who" and row_id is not None and len(parts) == 4 and parts[3].isdigit():
        turn.edit_markup(None)
        _log_done(turn, row_id, int(parts[3]))
        return
    turn.answer(turn.t("common.stale_button"))


def _log_done(turn: Turn, row_id: int, performer: int | None) -> None:
    outcome = rules.mark_done(turn.session, row_id=row_id, telegram_id=turn.user_id, now=turn.now,
                              performer_user_id=performer)
    if outcome.status == "ok":
        turn.answer()
        turn.edit_markup(None)
        turn.reply(rules.say(turn.content, "done.ok", hari=outcome.day, sesi=outcome.session))
        _offer_after_checklist(turn)
    else:
        if outcome.status == "already":
            turn.edit_markup(None)
        turn.answer(rules.say(turn.content, f"done.{outcome.status}"))


def _offer_after_checklist(turn: Turn) -> None:
    """The massage is logged: the "after" checklist it opens is offered now (never on the reminder before)."""
    fam = _family(turn)
    if fam is None:
        return
    due = due_now(turn, fam)
    if due.slot is not None and due.slot.occasion == "post":
        turn.reply(turn.t("session.checklist_offer", kapan=occasion_words(turn, due.slot.label)),
                   inline([[(turn.t("session.button_checklist"), "ceklis:start")]]))


def _times_button(turn: Turn, what: str) -> None:
    fam = _family(turn)
    if fam is None or fam.birth_date is None:
        turn.answer(rules.say(turn.content, "jadwal.no_family"))
        return
    if what == "edit":
        turn.answer()
        chatstate.put(turn.session, turn.user_id, flow=FLOW, step="times", data={"family_id": fam.id}, now=turn.now)
        turn.reply(rules.say(turn.content, "jadwal.ask", **rules.ask_params(fam, turn.content, turn.settings)))
    elif what == "reset":
        turn.answer()
        _apply(turn, fam, None)
    else:
        turn.answer(turn.t("common.stale_button"))


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("jadwal", jadwal, filters=private))
    app.add_handler(CallbackQueryHandler(button, pattern=r"^rem:"))
    if get_runtime(app).settings.run_dispatcher:
        schedule_dispatcher(app)
