"""The midwife's role, checked on the server before every midwife command and button."""

from __future__ import annotations

from bot.core.turn import Turn
from bot.flows import midwife as rules
from storage.models import Staff


def staff_or_refuse(turn: Turn) -> Staff | None:
    """The sender's active staff role, or None after a polite refusal (nothing else is said)."""
    staff = rules.require_staff(turn.session, turn.user_id)
    if staff is None:
        if turn.update.callback_query is not None:
            turn.answer(turn.t("midwife.not_allowed"), alert=True)
        else:
            turn.reply(turn.t("midwife.not_staff"))
    return staff
