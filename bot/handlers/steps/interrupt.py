"""A danger sign interrupts whatever is running (issue 23): the advice comes first, then the conversation
waiting for a typed answer is paused, not broken.

- the family's guided massage in progress stops (its queued cues cancelled, stored as stopped with the reason
  ``danger_sign``; the mother is not told it finished);
- a checklist, the registration, joining a family or editing it is paused: the place is kept in a ``paused``
  conversation, the text is not read as an answer, and /lanjut continues where it stopped (:func:`restore`);
- a question to the midwife ("Tanya bidan") stays open: the alert already carries these words, and the next
  text is still the question;
- any other conversation waiting for text (the schedule, a facility code) is closed: the text was the report.
"""

from __future__ import annotations

from bot.core.turn import Turn
from bot.flows import massage as massage_rules
from bot.handlers.context import clear_state, put_state, state
from bot.handlers.steps.danger_advice import urgent_advice
from storage import sessions as session_store
from storage.models import ChatState, Family

PAUSED = "paused"
RESUMABLE = ("registration", "family_edit", "join", "checklist")
UNTOUCHED = ("onboarding", "", "tanya")  # the consent and role buttons; a question still being written


def stop_massage(turn: Turn, family: Family | None) -> bool:
    """Stop the family's guided massage in progress for a danger sign. True if one was stopped."""
    row = session_store.open_for_family(turn.session, family.id) if family is not None else None
    if row is None:
        return False
    massage_rules.stop(turn.session, row, now=turn.now, reason=massage_rules.DANGER_SIGN)
    return True


def pause(turn: Turn, st: ChatState) -> bool:
    """Keep the conversation's place for /lanjut (True), or leave it. The text is not its answer."""
    if st.flow in UNTOUCHED or st.flow == PAUSED:
        return False
    if st.flow in RESUMABLE:
        put_state(turn, PAUSED, st.flow, {"flow": st.flow, "step": st.step, "data": dict(st.data)})
        return True
    clear_state(turn)
    return False


def restore(turn: Turn) -> ChatState:
    """/lanjut: a conversation paused by a danger sign is where it was again. Returns the current state."""
    st = state(turn)
    if st.flow == PAUSED:
        kept = st.data or {}
        put_state(turn, str(kept.get("flow") or ""), str(kept.get("step") or ""), dict(kept.get("data") or {}))
        st = state(turn)
    return st


def interrupt(turn: Turn, st: ChatState, family: Family | None, sign_ids: list[str], words: str) -> None:
    """The advice for these signs (and the midwife alerted), then whatever was running stops or pauses."""
    stopped = stop_massage(turn, family)
    urgent_advice(turn, family, sign_ids, source="text", words=words)
    was_massage = st.flow == massage_rules.FLOW
    paused = False if was_massage else pause(turn, st)
    if was_massage:
        clear_state(turn)
    if stopped:
        turn.reply(turn.t("danger.massage_stopped"))
    elif paused:
        turn.reply(turn.t("danger.flow_paused"))
