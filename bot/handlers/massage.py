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
   (bot/flows/massage.py queues every cue in the outbox); "Berhenti" (``pijat:halt:<s>``) stops it.
   The last cue asks whether Ibu was comfortable (``pijat:fine:<s>:y|n``), which closes the session.

The mother confirms a session done by someone else (``pijat:ok:<session>``). :func:`start_session` is the
single entry point of the flow.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.chat.keyboards import callback, inline
from bot.chat.routing import text_flow
from bot.core.turn import Turn, turn_handler
from bot.flows import massage as rules
from bot.handlers.context import (
    address,
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
from content.guide import Card
from storage import families as family_store
from storage import sessions as store
from storage.models import ChatState, Family, MassageSession, User

log = logging.getLogger(__name__)

FLOW = rules.FLOW
ABANDONED_AFTER = timedelta(hours=3)


def session_seconds(turn: Turn, family: Family) -> int:
    return protocol_of(turn, family).session_seconds


def session_minutes(turn: Turn, family: Family) -> int:
    return max(1, session_seconds(turn, family) // 60)


# -- starting ----------------------------------------------------------------------------------------------

def start_session(turn: Turn) -> None:
    """The entry of the massage flow (/pijat, "Mulai panduan pijat", the menu button)."""
    ctx = family_context(turn)
    if ctx is None:
        return
    user, family = ctx
    open_row = store.open_for_family(turn.session, family.id)
    if open_row is not None and rules.timing_over(open_row, turn.now):
        store.finish_paced(turn.session, open_row, now=turn.now, comfortable=None)  # it ran its full time
        open_row = None
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
    protocol = protocol_of(turn, family)
    row = rules.start(turn.session, family_id=family.id, user_id=user.id, protocol_id=protocol.id,
                      postpartum_day=today_day(turn, family), now=turn.now)
    if rules.checked_today(turn.session, family.id, turn.content.safety_questions, now=turn.now,
                           tz=family.timezone):
        ask_new(turn, row)
    else:
        ask_check(turn, row, [])


# -- the safety check --------------------------------------------------------------------------------------

def check_text(turn: Turn) -> str:
    lines = [turn.t("guide.check.line", nomor=n, teks=turn.t(f"guide.item.{q.id}"))
             for n, q in enumerate(turn.content.safety_questions, 1)]
    return "\n".join([turn.t("guide.check.intro"), "", *lines, "", turn.t("guide.check.outro")])


def check_keyboard(turn: Turn, row: MassageSession, picked: list[str]):
    buttons = []
    for n, q in enumerate(turn.content.safety_questions, 1):
        key = "guide.check.button_on" if q.id in picked else "guide.check.button_off"
        buttons.append((turn.t(key, nomor=n, label=turn.t(f"guide.label.{q.id}")),
                        callback("pijat", "chk", row.id, n - 1)))
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    send = (turn.t("guide.check.button_send", jumlah=len(picked)) if picked
            else turn.t("guide.check.button_none"))
    rows.append([(send, callback("pijat", "chk", row.id, "ok"))])
    rows.append([(turn.t("guide.check.button_not_listed"), callback("pijat", "chk", row.id, "other"))])
    return inline(rows)


def ask_check(turn: Turn, row: MassageSession, picked: list[str]) -> None:
    put_state(turn, FLOW, rules.CHECK, {"sid": row.id, "stage": rules.CHECK, "picked": picked})
    turn.reply(check_text(turn), check_keyboard(turn, row, picked))


def ask_new(turn: Turn, row: MassageSession) -> None:
    put_state(turn, FLOW, rules.NEW, {"sid": row.id, "stage": rules.NEW})
    turn.reply(turn.t("guide.check.new_ask"), inline([[
        (turn.t("guide.check.button_new_no"), callback("pijat", "new", row.id, "n")),
        (turn.t("guide.check.button_new_yes"), callback("pijat", "new", row.id, "y")),
    ]]))


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


# -- the guide ---------------------------------------------------------------------------------------------

def start_buttons(turn: Turn, family: Family, row: MassageSession) -> list[list[tuple[str, str]]]:
    rows = [[(turn.t("guide.button_start"), callback("pijat", "go", row.id, "q"))]]
    guide = turn.content.guide
    if guide is not None and guide.voice_for(session_minutes(turn, family)) is not None:
        rows.append([(turn.t("guide.button_start_sound"), callback("pijat", "go", row.id, "s"))])
    return rows


def show_guide(turn: Turn, user: User, family: Family, row: MassageSession) -> None:
    if rules.first_time(turn.session, user.id):
        show_card(turn, family, row, 0)
    else:
        show_reminder(turn, family, row)


def _card_text(turn: Turn, family: Family, card: Card, index: int, total: int) -> str:
    body = card.text.format(menit=session_minutes(turn, family)) if "{" in card.text else card.text
    return turn.t("guide.card", judul=card.title, nomor=index + 1, jumlah=total, teks=body)


def show_card(turn: Turn, family: Family, row: MassageSession, index: int) -> None:
    cards = turn.content.guide.cards
    card = cards[index]
    rules.reach_card(turn.session, row, card.id)
    put_state(turn, FLOW, rules.CARD, {"sid": row.id, "stage": rules.CARD, "i": index})
    last = index == len(cards) - 1
    rows = (start_buttons(turn, family, row) if last
            else [[(turn.t("guide.button_card_next"), callback("pijat", "card", row.id, index))]])
    caesarean = card.id == "posisi" and family.birth_mode == "sesar"  # known from the registration questions
    if card.id == "posisi" and not caesarean:
        rows.append([(turn.t("guide.button_caesarean"), callback("pijat", "sesar", row.id))])
    text = _card_text(turn, family, card, index, len(cards))
    animation = turn.content.guide.animation if card.animation else None
    if card.image is not None:
        turn.photo(str(card.image), text[:1024], None if animation else inline(rows))
    else:
        turn.reply(text, None if animation else inline(rows))
    if animation is not None:
        turn.media("animation", str(animation), turn.t("guide.animation_caption"), inline(rows))
    if caesarean:  # after a caesarean the sitting or side-lying position comes without asking
        turn.reply(turn.content.guide.caesarean_text)


def show_reminder(turn: Turn, family: Family, row: MassageSession) -> None:
    guide = turn.content.guide
    rules.reach_card(turn.session, row, "reminder")
    put_state(turn, FLOW, rules.READY, {"sid": row.id, "stage": rules.READY})
    rows = start_buttons(turn, family, row)
    rows.append([(turn.t("guide.button_full_guide"), callback("pijat", "guide", row.id)),
                 (turn.t("guide.button_animation"), callback("pijat", "anim", row.id))])
    text = guide.reminder_text.format(menit=session_minutes(turn, family))
    if guide.reminder_image is not None:
        turn.photo(str(guide.reminder_image), text[:1024], inline(rows))
    else:
        turn.reply(text, inline(rows))


def send_animation(turn: Turn) -> None:
    animation = turn.content.guide.animation
    if animation is not None:
        turn.media("animation", str(animation), turn.t("guide.animation_caption"))


# -- the hands-free timing ---------------------------------------------------------------------------------

def go(turn: Turn, user: User, family: Family, row: MassageSession, sound: bool) -> None:
    seconds = session_seconds(turn, family)
    plan = turn.content.guide.pacing.plan(seconds)
    rules.start_timing(turn.session, row, plan, chat_id=turn.chat_id, user_id=user.id, now=turn.now)
    put_state(turn, FLOW, rules.RUN, {"sid": row.id, "stage": rules.RUN})
    turn.reply(turn.t("guide.run_start", jumlah=plan[-1][2]),
               inline([[(turn.t("guide.button_stop_run"), callback("pijat", "halt", row.id))]]))
    voice = turn.content.guide.voice_for(seconds // 60) if sound else None
    if voice is not None:
        turn.media("voice", str(voice), turn.t("guide.voice_caption"))


def _comfort(turn: Turn, user: User, family: Family, row: MassageSession, comfortable: bool) -> None:
    if row.status == store.IN_PROGRESS and row.paced_until is not None:
        store.finish_paced(turn.session, row, now=turn.now, comfortable=comfortable)
        if state(turn).data.get("sid") == row.id:
            clear_state(turn)
        _finished(turn, user, family, row)
    elif row.status == store.COMPLETED and row.comfortable is None:
        row.comfortable = comfortable
        turn.session.add(row)
    else:
        stale(turn)
        return
    turn.reply(turn.t("guide.comfort_yes" if comfortable else "guide.comfort_no"))


def _finished(turn: Turn, user: User, family: Family, row: MassageSession) -> None:
    from bot.handlers.checklist import due_now, occasion_words

    minutes = rules.minutes_rounded(row.duration_seconds)
    turn.reply(turn.t("guide.done", nama=address(turn, user), menit=minutes))
    member = family_store.membership_of(turn.session, user.id)
    mother = family_store.mother_of(turn.session, family.id)
    if member is not None and member.role == family_store.MOTHER:
        store.confirm_by_mother(turn.session, row, now=turn.now)
    elif mother is not None and mother.user.chat_id is not None:
        turn.send(mother.user.chat_id,
                  turn.t("guide.confirm_ask", nama=address(turn, user), menit=minutes),
                  inline([[(turn.t("session.button_confirm"), callback("pijat", "ok", row.id))]]))
    due = due_now(turn, family)
    if due.slot is not None and due.slot.occasion == "post":
        turn.reply(turn.t("session.checklist_offer", kapan=occasion_words(turn, due.slot.label)),
                   inline([[(turn.t("session.button_checklist"), "ceklis:start")]]))


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
          "halt": 3, "ok": 3, "resume": 3, "restart": 3}


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
    if action == "ok":
        _confirm(turn, user, family, row)
    elif action == "resume":
        turn.edit_markup(None)
        _resume_row(turn, user, family, row)
    elif action == "restart":
        turn.edit_markup(None)
        if row.status == store.IN_PROGRESS:
            rules.stop(turn.session, row, now=turn.now, reason=rules.RESTARTED)
        _begin(turn, user, family)
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
        rules.stop(turn.session, row, now=turn.now)
        put_state(turn, FLOW, rules.REASON, {"sid": row.id, "stage": rules.REASON})
        turn.reply(turn.t("session.stop_ask"), inline(
            [[(turn.t(f"session.reason_{r}"), callback("pijat", "why", row.id, r))] for r in rules.STOP_REASONS]
        ))
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


def _resume_row(turn: Turn, user: User, family: Family, row: MassageSession) -> None:
    if row.status != store.IN_PROGRESS:
        turn.reply(turn.t("session.session_over"))
        return
    if row.paced_until is not None:
        if row.paced_until <= turn.now:
            store.finish_paced(turn.session, row, now=turn.now, comfortable=None)
            _finished(turn, user, family, row)
        else:
            turn.reply(turn.t("guide.run_going", sisa=rules.clock_text(
                int((row.paced_until - turn.now).total_seconds()))))
        return
    answers = row.safety_answers or {}
    if not answers:
        _begin_check_again(turn, family, row)
        return
    reached = row.step_reached or ""
    ids = [c.id for c in turn.content.guide.cards]
    if reached.startswith("card:") and reached[5:] in ids:
        show_card(turn, family, row, ids.index(reached[5:]))
    else:
        show_guide(turn, user, family, row)


def _begin_check_again(turn: Turn, family: Family, row: MassageSession) -> None:
    if rules.checked_today(turn.session, family.id, turn.content.safety_questions, now=turn.now,
                           tz=family.timezone):
        ask_new(turn, row)
    else:
        ask_check(turn, row, [])


def resume(turn: Turn, user: User, family: Family) -> bool:
    """/lanjut: continue this person's unfinished session where it stopped. False if there is none."""
    row = store.open_for_family(turn.session, family.id)
    if row is None or row.user_id != user.id:
        return False
    _resume_row(turn, user, family, row)
    return True


@text_flow(FLOW)
def massage_text(turn: Turn, st: ChatState) -> None:
    owned = _owned_session(turn, str(st.data.get("sid", "")))
    if owned is None:
        clear_state(turn)
        return
    user, family, row = owned
    stage = st.data.get("stage")
    if row.status == store.IN_PROGRESS and stage in (rules.CHECK, rules.NEW):
        yes = turn.content.lexicon.parse_yesno(turn.text)
        if yes is None:
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
    turn.reply(turn.t("guide.use_buttons"))


@turn_handler
def massage_command(turn: Turn) -> None:
    start_session(turn)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("pijat", massage_command, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^pijat:"))
