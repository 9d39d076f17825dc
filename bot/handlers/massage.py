"""/pijat and the reminder's "Mulai panduan pijat" button (``pijat:start``): the guided session.

Safety questions first (``pijat:safe:<session>:<n>:y|n``, or typed ya/tidak); any "yes" stops kindly.
Then the SOP one step per message with its picture and the buttons Lanjut / Ulangi / Berhenti
(``pijat:next|again|stop:<session>:<step>``); the last step's button is "Selesai". A timed step gets a
countdown message that a JobQueue job edits every ``massage_timer_seconds`` (``Settings.extra``, default
30; ``0`` turns the ticking off). The countdown reads the injected clock, so tests move time and call
:func:`timer_tick` directly; nothing sleeps. The mother confirms a session done by someone else
(``pijat:ok:<session>``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot.chat.keyboards import callback, inline
from bot.chat.routing import text_flow
from bot.core.runtime import Runtime, get_runtime
from bot.core.turn import Turn, turn_handler
from bot.flows import massage as rules
from bot.handlers.context import (
    clear_state,
    family_context,
    not_yours,
    owned_row,
    parse_int,
    protocol_of,
    put_state,
    stale,
    state,
    today_day,
)
from bot.handlers.fallback import taken_as_answer, urgent_advice
from content.sop import Sop
from storage import chatstate
from storage import families as family_store
from storage import sessions as store
from storage.models import ChatState, Family, MassageSession, User

log = logging.getLogger(__name__)

FLOW = rules.FLOW
TIMER_SETTING = "massage_timer_seconds"
DEFAULT_TICK = 30.0
ABANDONED_AFTER = timedelta(hours=3)


def sop_for(turn: Turn, family: Family) -> Sop:
    return turn.content.sop_for(protocol_of(turn, family))


# -- starting ----------------------------------------------------------------------------------------------

def start_session(turn: Turn) -> None:
    ctx = family_context(turn)
    if ctx is None:
        return
    user, family = ctx
    open_row = store.open_for_family(turn.session, family.id)
    if open_row is not None:
        if open_row.user_id == user.id:
            turn.reply(turn.t("session.open_own"), inline([[
                (turn.t("session.button_resume"), callback("pijat", "resume", open_row.id)),
                (turn.t("session.button_restart"), callback("pijat", "restart", open_row.id)),
            ]]))
            return
        if turn.now - open_row.started_at < ABANDONED_AFTER:
            other = turn.session.get(User, open_row.user_id) if open_row.user_id else None
            turn.reply(turn.t("session.open_other", nama=(other.display_name if other else None) or "—"),
                       inline([[(turn.t("session.button_new"), callback("pijat", "restart", open_row.id))]]))
            return
        rules.stop(turn.session, open_row, now=turn.now, reason="abandoned")
    from bot.handlers.study import ask_pre_first  # the "before" checklist comes first (bot/flows/windows.py)

    if ask_pre_first(turn, family):
        return
    _begin(turn, user, family)


def _begin(turn: Turn, user: User, family: Family) -> None:
    from bot.handlers.checklist import due_now

    protocol = protocol_of(turn, family)
    day = today_day(turn, family)
    row = rules.start(turn.session, family_id=family.id, user_id=user.id, protocol_id=protocol.id,
                      postpartum_day=day, now=turn.now)
    questions = turn.content.safety_questions
    intro = turn.t("session.intro", hari=day if day is not None else "—", jumlah=len(questions))
    due = due_now(turn, family)
    if due.slot is not None and due.slot.occasion == "pre" and due.slot.slot == "before_first_session":
        intro += "\n\n" + turn.t("session.pre_checklist_hint")
    turn.reply(f"{intro}\n\n{turn.t('safety.intro')}")
    ask_safety(turn, row, 0)


def ask_safety(turn: Turn, row: MassageSession, index: int) -> None:
    questions = turn.content.safety_questions
    q = questions[index]
    put_state(turn, FLOW, rules.SAFETY, {"sid": row.id, "stage": rules.SAFETY, "i": index})
    turn.reply(
        f"{turn.t('safety.progress', nomor=index + 1, jumlah=len(questions))}\n\n{q.text}",
        inline([[(turn.t("common.button_yes"), callback("pijat", "safe", row.id, index, "y")),
                 (turn.t("common.button_no"), callback("pijat", "safe", row.id, index, "n"))]]),
    )


def _safety_answer(turn: Turn, user: User, family: Family, row: MassageSession, index: int, yes: bool) -> None:
    questions = turn.content.safety_questions
    outcome = rules.answer_safety(turn.session, row, questions, index, yes, now=turn.now)
    if outcome.stop:
        clear_state(turn)
        q = questions[index]
        turn.reply(f"{q.stop_text}\n\n{turn.t('safety.stop_footer')}")
        if outcome.danger_sign:
            urgent_advice(turn, family, [outcome.danger_sign], source="answer")
        return
    if outcome.next_index is not None:
        ask_safety(turn, row, outcome.next_index)
        return
    turn.reply(turn.t("safety.all_clear"))
    show_step(turn, family, row, 0)


# -- the steps ---------------------------------------------------------------------------------------------

def step_keyboard(turn: Turn, sop: Sop, row: MassageSession, index: int):
    forward = turn.t("session.button_finish") if rules.is_last(sop, index) else turn.t("session.button_next")
    return inline([
        [(forward, callback("pijat", "next", row.id, index))],
        [(turn.t("session.button_again"), callback("pijat", "again", row.id, index)),
         (turn.t("session.button_stop"), callback("pijat", "stop", row.id, index))],
    ])


def show_step(turn: Turn, family: Family, row: MassageSession, index: int) -> None:
    sop = sop_for(turn, family)
    step = rules.reach(turn.session, row, sop, index)
    phase = sop.phase_of(step.id)
    data = {"sid": row.id, "stage": rules.STEP, "i": index}
    keyboard = step_keyboard(turn, sop, row, index)
    if step.image is not None:
        caption = turn.t("session.step_with_picture", fase=phase.title, no=index + 1, total=len(sop.steps),
                         teks=step.text, gambar=step.caption or "")
        turn.photo(str(step.image), caption[:1024], keyboard)
    else:
        turn.reply(turn.t("session.step", fase=phase.title, no=index + 1, total=len(sop.steps), teks=step.text),
                   keyboard)
    if step.seconds:
        ends = turn.now + timedelta(seconds=step.seconds)
        data["timer"] = {"ends": ends.isoformat(), "i": index, "chat": turn.chat_id}
        out = turn.reply(turn.t("session.timer", sisa=rules.clock_text(step.seconds)))
        out.on_sent = _timer_armer(turn, row.id, index)
    put_state(turn, FLOW, rules.STEP, data)


def _finish(turn: Turn, user: User, family: Family, row: MassageSession) -> None:
    from bot.handlers.checklist import due_now, occasion_words

    rules.complete(turn.session, row, now=turn.now)
    clear_state(turn)
    minutes = rules.minutes_rounded(row.duration_seconds)
    text = turn.t("session.done", menit=minutes, nama=user.display_name or "")
    member = family_store.membership_of(turn.session, user.id)
    mother = family_store.mother_of(turn.session, family.id)
    if member is not None and member.role == family_store.MOTHER:
        store.confirm_by_mother(turn.session, row, now=turn.now)
        text += "\n\n" + turn.t("session.done_mother")
    elif mother is not None and mother.user.chat_id is not None:
        turn.send(mother.user.chat_id,
                  turn.t("session.confirm_ask", nama=user.display_name or "", hari=row.postpartum_day
                         if row.postpartum_day is not None else "—", menit=minutes),
                  inline([[(turn.t("session.button_confirm"), callback("pijat", "ok", row.id))]]))
    turn.reply(text)
    due = due_now(turn, family)
    if due.slot is not None and due.slot.occasion == "post":
        turn.reply(turn.t("session.checklist_offer", kapan=occasion_words(turn, due.slot.label)),
                   inline([[(turn.t("session.button_checklist"), "ceklis:start")]]))


# -- the timer --------------------------------------------------------------------------------------------

def tick_seconds(runtime: Runtime) -> float:
    raw = runtime.settings.extra.get(TIMER_SETTING, "")
    try:
        return float(raw) if raw != "" else DEFAULT_TICK
    except ValueError:
        return DEFAULT_TICK


def _timer_armer(turn: Turn, session_id: int, index: int):
    runtime, application, telegram_id = turn.rt, turn.context.application, turn.user_id

    def on_sent(message) -> None:
        try:
            with runtime.db.session() as s:
                st = chatstate.get(s, telegram_id)
                timer = dict(st.data.get("timer") or {})
                if st.flow != FLOW or st.data.get("sid") != session_id or timer.get("i") != index:
                    return
                timer["msg"] = message.message_id
                data = dict(st.data)
                data["timer"] = timer
                chatstate.put(s, telegram_id, flow=st.flow, step=st.step, data=data, now=runtime.clock.now())
        except Exception:
            log.exception("could not store the timer message of %s", telegram_id)
            return
        schedule_timer(application, telegram_id)

    return on_sent


def schedule_timer(app: Application, telegram_id: int) -> None:
    interval = tick_seconds(get_runtime(app))
    if interval <= 0 or app.job_queue is None:
        return
    name = f"massage-timer:{telegram_id}"
    for job in app.job_queue.get_jobs_by_name(name):
        job.schedule_removal()
    app.job_queue.run_repeating(_timer_job, interval=interval, first=interval, data=telegram_id, name=name)


async def _timer_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    keep = await timer_tick(context.bot, get_runtime(context), context.job.data)
    if not keep:
        context.job.schedule_removal()


async def timer_tick(bot, runtime: Runtime, telegram_id: int) -> bool:
    """Edit the countdown message once. False when there is nothing left to count (stop ticking)."""
    with runtime.db.session() as s:
        st = chatstate.get(s, telegram_id)
        timer = st.data.get("timer") or {}
        if st.flow != FLOW or st.data.get("stage") != rules.STEP or timer.get("i") != st.data.get("i") \
                or not timer.get("msg"):
            return False
        remaining = rules.remaining_seconds(datetime.fromisoformat(timer["ends"]), runtime.clock.now())
    text = (runtime.content.text("session.timer", sisa=rules.clock_text(remaining)) if remaining > 0
            else runtime.content.text("session.timer_done"))
    try:
        await bot.edit_message_text(text, chat_id=timer["chat"], message_id=timer["msg"])
    except TelegramError as exc:
        if "not modified" not in str(exc).lower():
            log.info("timer edit for %s failed: %s", telegram_id, exc)
            return False
    return remaining > 0


async def rearm_timers(context: ContextTypes.DEFAULT_TYPE) -> None:
    """After a (re)start: keep counting down for sessions whose timed step is still running."""
    runtime = get_runtime(context)
    now = runtime.clock.now()
    with runtime.db.session() as s:
        waiting = [st.telegram_id for st in store.chat_states_in_flow(s, FLOW)
                   if (st.data.get("timer") or {}).get("msg")
                   and datetime.fromisoformat(st.data["timer"]["ends"]) > now]
    for telegram_id in waiting:
        schedule_timer(context.application, telegram_id)


# -- buttons and text ------------------------------------------------------------------------------------

def _owned_session(turn: Turn, raw_id: str) -> tuple[User, Family, MassageSession] | None:
    """The massage session a button names, if it is the presser's family's."""
    return owned_row(turn, raw_id, store.get)


def _current(turn: Turn, row: MassageSession, stage: str, index: int) -> bool:
    """Is this button the one the session is waiting for? (An old or repeated tap is not.)"""
    st = state(turn)
    return (row.status == store.IN_PROGRESS and st.flow == FLOW and st.data.get("sid") == row.id
            and st.data.get("stage") == stage and st.data.get("i") == index)


@turn_handler
def on_button(turn: Turn) -> None:
    parts = (turn.callback_data or "").split(":")
    if parts == ["pijat", "start"]:
        turn.answer()
        start_session(turn)
        return
    action = parts[1] if len(parts) > 1 else ""
    shapes = {"safe": 5, "next": 4, "again": 4, "stop": 4, "why": 4, "ok": 3, "resume": 3, "restart": 3}
    if action not in shapes or len(parts) != shapes[action]:
        stale(turn)
        return
    owned = _owned_session(turn, parts[2])
    if owned is None:
        return
    user, family, row = owned
    index = parse_int(parts[3]) if len(parts) > 3 else None
    if action == "ok":
        _confirm(turn, user, family, row)
    elif action == "resume":
        turn.edit_markup(None)
        _resume_row(turn, family, row)
    elif action == "restart":
        turn.edit_markup(None)
        if row.status == store.IN_PROGRESS:
            rules.stop(turn.session, row, now=turn.now, reason=rules.RESTARTED)
        _begin(turn, user, family)
    elif action == "safe":
        if index is None or parts[4] not in ("y", "n") or not _current(turn, row, rules.SAFETY, index):
            stale(turn)
            return
        turn.edit_markup(None)
        _safety_answer(turn, user, family, row, index, parts[4] == "y")
    elif action == "why":
        if row.status != store.STOPPED or parts[3] not in rules.STOP_REASONS:
            stale(turn)
            return
        store.set_stop_reason(turn.session, row, parts[3])
        clear_state(turn)
        turn.edit_markup(None)
        turn.reply(turn.t("session.stopped"))
    else:
        if index is None or not _current(turn, row, rules.STEP, index):
            stale(turn)
            return
        turn.edit_markup(None)
        sop = sop_for(turn, family)
        if action == "again":
            show_step(turn, family, row, index)
        elif action == "stop":
            rules.stop(turn.session, row, now=turn.now)
            put_state(turn, FLOW, rules.REASON, {"sid": row.id, "stage": rules.REASON, "i": index})
            turn.reply(turn.t("session.stop_ask"), inline(
                [[(turn.t(f"session.reason_{r}"), callback("pijat", "why", row.id, r))] for r in rules.STOP_REASONS]
            ))
        elif rules.is_last(sop, index):
            _finish(turn, user, family, row)
        else:
            show_step(turn, family, row, index + 1)


def _confirm(turn: Turn, user: User, family: Family, row: MassageSession) -> None:
    member = family_store.membership_of(turn.session, user.id)
    if member is None or member.role != family_store.MOTHER:
        not_yours(turn)
        return
    turn.edit_markup(None)
    if store.confirm_by_mother(turn.session, row, now=turn.now):
        turn.reply(turn.t("session.confirmed"))
    else:
        turn.answer(turn.t("session.already_confirmed"))


def _resume_row(turn: Turn, family: Family, row: MassageSession) -> None:
    if row.status != store.IN_PROGRESS:
        turn.reply(turn.t("session.session_over"))
        return
    questions = turn.content.safety_questions
    pending = rules.safety_started_index(row, questions)
    if pending is not None and row.step_reached is None:
        ask_safety(turn, row, pending)
        return
    sop = sop_for(turn, family)
    index = rules.step_index(sop, row.step_reached)
    turn.reply(turn.t("session.resumed", no=index + 1))
    show_step(turn, family, row, index)


def resume(turn: Turn, user: User, family: Family) -> bool:
    """/lanjut: continue this person's unfinished session where it stopped. False if there is none."""
    row = store.open_for_family(turn.session, family.id)
    if row is None or row.user_id != user.id:
        return False
    _resume_row(turn, family, row)
    return True


@text_flow(FLOW)
def massage_text(turn: Turn, st: ChatState) -> None:
    owned = _owned_session(turn, str(st.data.get("sid", "")))
    if owned is None:
        clear_state(turn)
        return
    user, family, row = owned
    if st.data.get("stage") == rules.SAFETY and row.status == store.IN_PROGRESS:
        yes = turn.content.lexicon.parse_yesno(turn.text)
        index = int(st.data.get("i", 0))
        if yes is None:
            turn.reply(turn.t("session.safety_unclear"))
            ask_safety(turn, row, index)
            return
        taken_as_answer(turn)
        _safety_answer(turn, user, family, row, index, yes)
        return
    turn.reply(turn.t("session.use_buttons"))


@turn_handler
def massage_command(turn: Turn) -> None:
    start_session(turn)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("pijat", massage_command, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^pijat:"))
    if app.job_queue is not None:
        app.job_queue.run_once(rearm_timers, when=0, name="massage-timer-rearm")
