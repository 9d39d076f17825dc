"""The "before" checklist first: at the start of the first guided massage, /pijat asks for it (bot/flows/windows.py);
"Lewati" (``prepijat:skip``, bot/handlers/study.py) starts the massage without it and records the skip."""

from __future__ import annotations

from bot.chat.keyboards import callback, inline
from bot.core.turn import Turn
from bot.flows import windows
from bot.flows.schedule import family_times
from bot.handlers.context import protocol_of
from bot.handlers.steps.checklist_due import due_now
from storage import measurements as measurement_store
from storage.models import Family


def ask_pre_first(turn: Turn, family: Family) -> bool:
    """Called at the start of /pijat: True when it asked for the "before" checklist (the massage waits)."""
    due = due_now(turn, family)
    slot = due.slot
    if slot is None or measurement_store.open_for_family(turn.session, family.id) is not None:
        return False  # nothing due, or someone is filling it in right now
    if slot.label in measurement_store.skipped_occasions(turn.session, family.id):
        return False  # skipped once: not asked again (it can still be filled in with /ceklis)
    protocol = protocol_of(turn, family)
    times = family_times(family, protocol, turn.settings)
    if not windows.pre_first(protocol, slot.occasion, slot.slot, slot.day, family, times,
                             windows.done_sessions(turn.session, family.id), now=turn.now):
        return False
    turn.reply(turn.t("study.pre_first"), inline([
        [(turn.t("study.button_pre_fill"), "ceklis:start")],
        [(turn.t("study.button_pre_skip"), callback("prepijat", "skip"))],
    ]))
    return True
