"""Where a family stands on each of its protocol's checklist occasions: done, due, late, skipped or to come.

Seed 001 measures before and after the massage on each of days 1–3 (stored as ``day1_pre`` … ``day3_post``), the
other protocols once before and once after (``pre``, ``post``): :func:`occasion_states` reads the protocol's
occasions (bot/flows/checklist.slots), so /pasien, the family page and the dashboard show the same thing for
every protocol. :func:`needs` is "what she needs to do" for the midwife's lists, the one function both the chat
and the dashboard render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.flows.checklist import slots
from content.protocols import Protocol

DONE = "done"
DUE = "due"  # today's occasion, not filled in yet
LATE = "late"  # its day has passed and it was never filled in
SKIPPED = "skipped"  # the family chose to massage without it (bot/flows/windows.SKIPPED)
COMING = "coming"
STATES = (DONE, DUE, LATE, SKIPPED, COMING)


@dataclass(frozen=True)
class OccasionState:
    label: str  # Measurement.occasion ("pre", "day2_post")
    occasion: str  # "pre" | "post"
    day: int
    state: str  # one of STATES


def kind(label: str) -> str:
    """"pre" or "post" for a stored occasion label ("day2_pre" -> "pre")."""
    return label.rsplit("_", 1)[-1]


def occasion_states(protocol: Protocol, *, day: int | None, active: bool,
                    completed: Mapping[str, str | None]) -> list[OccasionState]:
    """Each occasion of the protocol for a family on postpartum ``day``; ``completed``: the labels of its finished
    measurements -> their window status (None when not stamped). A family that is not active has nothing due."""
    out = []
    for s, names in _slots(protocol):
        found = [completed[n] for n in names if n in completed]
        if found and any(w != SKIPPED for w in found):
            state = DONE
        elif found:
            state = SKIPPED
        elif day is None or day < s.day:
            state = COMING
        elif day == s.day:
            state = DUE if active else LATE
        else:
            state = LATE
        out.append(OccasionState(s.label, s.occasion, s.day, state))
    return out


_SLOTS: dict[tuple[str, int], list] = {}


def _slots(protocol: Protocol) -> list:
    """The protocol's slots, each with the labels its measurement may be stored under (computed once)."""
    key = (protocol.id, protocol.version)
    if key not in _SLOTS:
        ordered = slots(protocol)
        single = {s.occasion for s in ordered if sum(1 for o in ordered if o.occasion == s.occasion) == 1}
        # A protocol measuring once stores the bare "pre"/"post"; older rows may carry either form.
        _SLOTS[key] = [(s, [s.label] + ([s.occasion, f"day{s.day}_{s.occasion}"] if s.occasion in single else []))
                       for s in ordered]
    return _SLOTS[key]


def due_labels(states: list[OccasionState]) -> list[str]:
    """Occasions she may chase: due today or late."""
    return [s.label for s in states if s.state in (DUE, LATE)]
