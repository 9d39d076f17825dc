"""Which checklist is due for a family now, and how an occasion is named ("sebelum pijat" / "setelah pijat"):
asked by /ceklis, before the first massage, and after a massage."""

from __future__ import annotations

from bot.core.turn import Turn
from bot.flows import checklist as rules
from bot.flows import windows
from bot.flows.schedule import family_times
from bot.handlers.context import protocol_of, today_day
from storage import measurements as store
from storage.models import Family


def occasion_words(turn: Turn, label: str) -> str:
    return turn.t("checklist.occasion_post" if label.endswith("post") else "checklist.occasion_pre")


def due_now(turn: Turn, family: Family) -> rules.Due:
    """Which checklist is due for this family now (see bot/flows/checklist.py for the rule)."""
    protocol = protocol_of(turn, family)
    day = today_day(turn, family) or 0
    times = family_times(family, protocol, turn.settings)
    opens = windows.after_opens(protocol, day, family, times, windows.done_sessions(turn.session, family.id))
    pos = rules.position(day, after_massage=opens is not None and opens <= turn.now)
    found = rules.due(protocol, pos, store.completed_occasions(turn.session, family.id))
    return windows.screen(turn.session, protocol, family, times, found, now=turn.now)
