"""The guided massage session (flow ``pijat``): starting it (:func:`start_session`, the single entry point of
the flow, from /pijat, "Mulai panduan pijat", the menu, or "Lewati" of the "before" checklist), the safety
check's questions, the guide's cards, the end of a session, and continuing an unfinished one (/lanjut).
The buttons and the typed answers are taken by bot/handlers/massage.py, which describes the whole flow.
"""

from __future__ import annotations

from datetime import timedelta

from bot.chat.keyboards import callback, inline
from bot.core.turn import Turn
from bot.flows import massage as rules
from bot.handlers.context import address, clear_state, family_context, protocol_of, put_state, today_day
from bot.handlers.steps.checklist_due import due_now, occasion_words
from bot.handlers.steps.pre_checklist import ask_pre_first
from content.guide import Card
from storage import families as family_store
from storage import sessions as store
from storage.models import Family, MassageSession, User

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
    if ask_pre_first(turn, family):
        return
    begin(turn, user, family)


def begin(turn: Turn, user: User, family: Family) -> None:
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
    for picture, caption in card.lead_images:  # e.g. the fist (kepalan.png) before where the thumbs go
        turn.photo(str(picture), caption[:1024])
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


# -- stopping and repeating -------------------------------------------------------------------------------

def stop_here(turn: Turn, row: MassageSession, reason: str = rules.STOPPED_BY_USER) -> None:
    """Stop this person's session (the "⏹ Berhenti" button or a typed "berhenti") with a short confirmation;
    once the timing ran, ask why (optional)."""
    timing = rules.was_timing(row)
    rules.stop_session(turn.session, row, now=turn.now, reason=reason)
    if not timing:
        clear_state(turn)
        turn.reply(turn.t("session.stopped_before_start"))
        return
    put_state(turn, FLOW, rules.REASON, {"sid": row.id, "stage": rules.REASON})
    turn.reply(turn.t("session.stop_ask"), inline(
        [[(turn.t(f"session.reason_{r}"), callback("pijat", "why", row.id, r))] for r in rules.STOP_REASONS]))


def stop_keyboard(turn: Turn, row: MassageSession):
    return inline([[(turn.t("guide.button_stop_run"), callback("pijat", "halt", row.id))]])


def repeat_step(turn: Turn, family: Family, row: MassageSession) -> None:
    """"ulang": the last cue again (or the start, before the first cue), with its stop button."""
    cue = rules.last_cue(turn.session, row)
    rendered = rules.render_cue(turn.session, cue, turn.content, turn.now) if cue is not None else None
    if rendered is not None:
        turn.reply(rendered.text, inline(rendered.buttons))
        return
    plan = turn.content.guide.pacing.plan(session_seconds(turn, family))
    turn.reply(turn.t("guide.run_start", jumlah=plan[-1][2]), stop_keyboard(turn, row))


# -- the end and /lanjut --------------------------------------------------------------------------------

def finished(turn: Turn, user: User, family: Family, row: MassageSession) -> None:
    minutes = rules.minutes_rounded(row.duration_seconds)
    turn.reply(turn.t("guide.done", nama=address(turn, user), menit=minutes))
    member = family_store.membership_of(turn.session, user.id)
    mother = family_store.mother_of(turn.session, family.id)
    if member is not None and member.role == family_store.MOTHER:
        store.confirm_by_mother(turn.session, row, now=turn.now)
    elif mother is not None and mother.user.chat_id is not None and rules.offered_for_confirmation(row):
        turn.send(mother.user.chat_id,
                  turn.t("guide.confirm_ask", nama=address(turn, user), menit=minutes),
                  inline([[(turn.t("session.button_confirm"), callback("pijat", "ok", row.id)),
                           (turn.t("session.button_deny"), callback("pijat", "no", row.id))]]))
    due = due_now(turn, family)
    if due.slot is not None and due.slot.occasion == "post":
        turn.reply(turn.t("session.checklist_offer", kapan=occasion_words(turn, due.slot.label)),
                   inline([[(turn.t("session.button_checklist"), "ceklis:start")]]))


def resume_row(turn: Turn, user: User, family: Family, row: MassageSession) -> None:
    if row.status != store.IN_PROGRESS:
        turn.reply(turn.t("session.session_over"))
        return
    if row.paced_until is not None:
        if row.paced_until <= turn.now:
            store.finish_paced(turn.session, row, now=turn.now, comfortable=None)
            finished(turn, user, family, row)
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
    resume_row(turn, user, family, row)
    return True
