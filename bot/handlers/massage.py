"""/pijat and the reminder's "Mulai panduan pijat" button (``pijat:start``): the guided session.

1. The safety check. Before the first massage of the day: one message with every question of
   content/safety.yaml; each button marks one (``pijat:chk:<s>:<n>``), "Semua tidak ada" / "Kirim"
   sends (``pijat:chk:<s>:ok``), "Ada keluhan lain" postpones (``pijat:chk:<s>:other``). Later that day:
   "Ada keluhan baru sejak tadi?" (``pijat:new:<s>:n|y``; "Ada" shows the whole check). Any marked
   question stops the session; a question tied to a danger sign gives the free-text path's urgent
   advice and raises the alert (``source="safety_check"``).
2. The guide. A person's first session: six cards (``pijat:card:<s>:<i>`` moves on; the movement card
   also sends the animation; the position card offers the caesarean note, ``pijat:sesar:<s>``). Later
   sessions: one reminder card, with the full guide (``pijat:guide:<s>``) and the animation
   (``pijat:anim:<s>``) one tap away.
3. "Mulai" (``pijat:go:<s>:q``, or ``:s`` with the audio guide as a voice note): the hands-free timing
   (bot/flows/massage.py queues every cue in the outbox, each with "⏹ Berhenti", ``pijat:halt:<s>``); a
   typed "berhenti", "stop", "udah", "cukup", "selesai" (or a slip of one: content/lexicon.yaml) stops it
   too, and "ulang" says the last cue again. The last cue asks whether Ibu was comfortable
   (``pijat:fine:<s>:y|n``), which closes the session.

The mother answers whether a session done by someone else really happened: "Ya, sudah" (``pijat:ok:<s>``)
or "Belum" (``pijat:no:<s>``); only a session that ran its full time is asked about.
:func:`start_session` is the single entry point of the flow.
The screens (the check's questions, the cards, the end, /lanjut) are bot/handlers/steps/massage.py.
"""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.chat.routing import text_flow
from bot.core.turn import Turn, turn_handler
from bot.flows import massage as rules
from bot.handlers.context import clear_state, not_yours, owned_row, parse_int, put_state, stale, state
from bot.handlers.steps.danger_advice import taken_as_answer, urgent_advice
from bot.handlers.steps.massage import (
    FLOW,
    ask_check,
    begin,
    check_keyboard,
    finished,
    repeat_step,
    resume_row,
    session_seconds,
    show_card,
    show_guide,
    start_session,
    stop_here,
    stop_keyboard,
)
from storage import families as family_store
from storage import sessions as store
from storage.models import ChatState, Family, MassageSession, User


def _check_done(turn: Turn, user: User, family: Family, row: MassageSession, picked: list[str]) -> None:
    questions = turn.content.safety_questions
    outcome = rules.answer_check(turn.session, row, questions, picked, now=turn.now)
    if not outcome.stop:
        turn.reply(turn.t("guide.check.all_clear"))
        show_guide(turn, user, family, row)
        return
    clear_state(turn)
    first = next((q for q in outcome.picked if rules.signs_of(q)), outcome.picked[0])
    turn.reply(f"{first.stop_text}\n\n{turn.t('safety.stop_footer')}")
    if outcome.danger_signs:
        urgent_advice(turn, family, list(outcome.danger_signs), source="safety_check")


def _not_listed(turn: Turn, row: MassageSession) -> None:
    rules.stop_not_listed(turn.session, row, now=turn.now)
    clear_state(turn)
    turn.reply(turn.t("guide.check.not_listed"))


# -- the guide and the hands-free timing ------------------------------------------------------------------

def send_animation(turn: Turn) -> None:
    animation = turn.content.guide.animation
    if animation is not None:
        turn.media("animation", str(animation), turn.t("guide.animation_caption"))


def go(turn: Turn, user: User, family: Family, row: MassageSession, sound: bool) -> None:
    seconds = session_seconds(turn, family)
    plan = turn.content.guide.pacing.plan(seconds)
    rules.start_timing(turn.session, row, plan, chat_id=turn.chat_id, user_id=user.id, now=turn.now)
    put_state(turn, FLOW, rules.RUN, {"sid": row.id, "stage": rules.RUN})
    turn.reply(turn.t("guide.run_start", jumlah=plan[-1][2]), stop_keyboard(turn, row))
    voice = turn.content.guide.voice_for(seconds // 60) if sound else None
    if voice is not None:
        turn.media("voice", str(voice), turn.t("guide.voice_caption"))


def _comfort(turn: Turn, user: User, family: Family, row: MassageSession, comfortable: bool) -> None:
    if row.status == store.IN_PROGRESS and row.paced_until is not None:
        store.finish_paced(turn.session, row, now=turn.now, comfortable=comfortable)
        if state(turn).data.get("sid") == row.id:
            clear_state(turn)
        finished(turn, user, family, row)
    elif row.status == store.COMPLETED and row.comfortable is None:
        row.comfortable = comfortable
        turn.session.add(row)
    else:
        stale(turn)
        return
    turn.reply(turn.t("guide.comfort_yes" if comfortable else "guide.comfort_no"))


# -- buttons and text ------------------------------------------------------------------------------------

def _owned_session(turn: Turn, raw_id: str) -> tuple[User, Family, MassageSession] | None:
    """The massage session a button names, if it is the presser's family's."""
    return owned_row(turn, raw_id, store.get)


def _current(turn: Turn, row: MassageSession, stage: str, index: int | None = None) -> bool:
    """Is this button the one the session is waiting for? (An old or repeated tap is not.)"""
    st = state(turn)
    return (row.status == store.IN_PROGRESS and st.flow == FLOW and st.data.get("sid") == row.id
            and st.data.get("stage") == stage and (index is None or st.data.get("i") == index))


SHAPES = {"chk": 4, "new": 4, "card": 4, "go": 4, "fine": 4, "why": 4, "sesar": 3, "guide": 3, "anim": 3,
          "halt": 3, "ok": 3, "no": 3, "resume": 3, "restart": 3}


@turn_handler
def on_button(turn: Turn) -> None:
    parts = (turn.callback_data or "").split(":")
    if parts == ["pijat", "start"]:
        turn.answer()
        start_session(turn)
        return
    action = parts[1] if len(parts) > 1 else ""
    if action not in SHAPES or len(parts) != SHAPES[action]:
        stale(turn)
        return
    owned = _owned_session(turn, parts[2])
    if owned is None:
        return
    user, family, row = owned
    arg = parts[3] if len(parts) > 3 else None
    if action in ("ok", "no"):
        _confirm(turn, user, family, row, action == "ok")
    elif action == "resume":
        turn.edit_markup(None)
        resume_row(turn, user, family, row)
    elif action == "restart":
        turn.edit_markup(None)
        if row.status == store.IN_PROGRESS:
            rules.stop(turn.session, row, now=turn.now, reason=rules.RESTARTED)
        begin(turn, user, family)
    elif action == "why":
        if row.status != store.STOPPED or arg not in rules.STOP_REASONS:
            stale(turn)
            return
        store.set_stop_reason(turn.session, row, arg)
        clear_state(turn)
        turn.edit_markup(None)
        turn.reply(turn.t("session.stopped"))
    elif action == "chk":
        _check_button(turn, user, family, row, arg or "")
    elif action == "new":
        if arg not in ("y", "n") or not _current(turn, row, rules.NEW):
            stale(turn)
            return
        turn.edit_markup(None)
        rules.answer_new(turn.session, row, arg == "y")
        if arg == "y":
            ask_check(turn, row, [])
        else:
            show_guide(turn, user, family, row)
    elif action == "card":
        index = parse_int(arg or "")
        if index is None or not _current(turn, row, rules.CARD, index) \
                or index + 1 >= len(turn.content.guide.cards):
            stale(turn)
            return
        turn.edit_markup(None)
        show_card(turn, family, row, index + 1)
    elif action == "sesar":
        if row.status != store.IN_PROGRESS:
            stale(turn)
            return
        turn.answer()
        turn.reply(turn.content.guide.caesarean_text)
    elif action == "guide":
        if not _current(turn, row, rules.READY):
            stale(turn)
            return
        turn.edit_markup(None)
        show_card(turn, family, row, 0)
    elif action == "anim":
        if row.status != store.IN_PROGRESS:
            stale(turn)
            return
        turn.answer()
        send_animation(turn)
    elif action == "go":
        st = state(turn)
        ready = st.data.get("stage") in (rules.READY, rules.CARD) and row.paced_until is None
        if arg not in ("q", "s") or not ready or not _current(turn, row, st.data.get("stage")):
            stale(turn)
            return
        turn.edit_markup(None)
        go(turn, user, family, row, arg == "s")
    elif action == "halt":
        if row.status != store.IN_PROGRESS or row.paced_until is None or row.paced_until <= turn.now:
            stale(turn)
            return
        turn.edit_markup(None)
        stop_here(turn, row)
    elif action == "fine":
        if arg not in ("y", "n"):
            stale(turn)
            return
        turn.edit_markup(None)
        _comfort(turn, user, family, row, arg == "y")


def _check_button(turn: Turn, user: User, family: Family, row: MassageSession, arg: str) -> None:
    if not _current(turn, row, rules.CHECK):
        stale(turn)
        return
    picked = [p for p in state(turn).data.get("picked") or [] if isinstance(p, str)]
    questions = turn.content.safety_questions
    if arg == "ok":
        turn.edit_markup(None)
        _check_done(turn, user, family, row, picked)
    elif arg == "other":
        turn.edit_markup(None)
        _not_listed(turn, row)
    else:
        index = parse_int(arg)
        if index is None or not 0 <= index < len(questions):
            stale(turn)
            return
        picked = rules.toggle(picked, questions[index].id)
        turn.answer()
        put_state(turn, FLOW, rules.CHECK, {"sid": row.id, "stage": rules.CHECK, "picked": picked})
        turn.edit_markup(check_keyboard(turn, row, picked))


def _confirm(turn: Turn, user: User, family: Family, row: MassageSession, yes: bool) -> None:  # noqa: ARG001
    """The mother's answer to the question whether she was massaged (``guide.confirm_ask``): yes
    (``pijat:ok``) or not yet (``pijat:no``)."""
    member = family_store.membership_of(turn.session, user.id)
    if member is None or member.role != family_store.MOTHER:
        not_yours(turn)
        return
    turn.edit_markup(None)
    recorded = (store.confirm_by_mother if yes else store.deny_by_mother)(turn.session, row, now=turn.now)
    if recorded:
        turn.reply(turn.t("session.confirmed" if yes else "session.denied"))
    else:
        turn.answer(turn.t("session.already_confirmed"))


@text_flow(FLOW)
def massage_text(turn: Turn, st: ChatState) -> None:
    owned = _owned_session(turn, str(st.data.get("sid", "")))
    if owned is None:
        clear_state(turn)
        return
    user, family, row = owned
    stage = st.data.get("stage")
    lexicon = turn.content.lexicon
    if row.status == store.IN_PROGRESS and stage in (rules.CHECK, rules.NEW):
        yes = lexicon.parse_yesno(turn.text)
        if yes is None and lexicon.is_stop(turn.text or ""):
            stop_here(turn, row)
        elif yes is None:
            turn.reply(turn.t("session.safety_unclear"))
        elif stage == rules.NEW:
            taken_as_answer(turn)
            rules.answer_new(turn.session, row, yes)
            if yes:
                ask_check(turn, row, [])
            else:
                show_guide(turn, user, family, row)
        elif not yes:  # "tidak": none of these
            taken_as_answer(turn)
            _check_done(turn, user, family, row, [p for p in st.data.get("picked") or [] if isinstance(p, str)])
        else:
            turn.reply(turn.t("guide.check.which"))
        return
    if row.status == store.IN_PROGRESS and lexicon.is_stop(turn.text or ""):
        if rules.timing_over(row, turn.now):
            resume_row(turn, user, family, row)  # the time is up: "selesai" closes it as done
        else:
            stop_here(turn, row)
        return
    if row.status == store.IN_PROGRESS and stage == rules.RUN and lexicon.is_repeat(turn.text or ""):
        repeat_step(turn, family, row)
        return
    turn.reply(turn.t("guide.use_buttons_run" if stage == rules.RUN else "guide.use_buttons"))


@turn_handler
def massage_command(turn: Turn) -> None:
    start_session(turn)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("pijat", massage_command, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^pijat:"))
