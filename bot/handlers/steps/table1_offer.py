"""Table 1's offer after registration: the mother (with research consent) may answer a few optional questions
about herself and the birth, or skip them all with one tap (``t1:go`` / ``t1:skip``, bot/handlers/study.py)."""

from __future__ import annotations

from bot.chat.keyboards import callback, inline
from bot.core.turn import Turn
from storage import families as family_store
from storage.models import Family


def offer_table1(turn: Turn, user, family: Family) -> None:
    """After registration: one message, answer or skip all with one tap. Only the mother, with research consent."""
    member = family_store.membership_of(turn.session, user.id)
    if member is None or member.role != family_store.MOTHER or not user.consent_research:
        return
    turn.reply(turn.t("study.t1_offer"), inline([
        [(turn.t("study.t1_button_start"), callback("t1", "go", "x"))],
        [(turn.t("study.t1_button_skip_all"), callback("t1", "skip", "x"))],
    ]))
