"""Danger signs reported by a family: stored, answered with urgent advice, sent to the facility's midwives.

CONTRACT (called by the checklist and the free-text handler; filled in by the midwife work):
- ``raise_danger(turn, *, family_id, sign_ids, source) -> None`` — store one Alert per sign and queue, on the
  same turn, an alert to every active midwife of the family's facility (within the same update handling).
  The family's own urgent advice is given by the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.turn import Turn


def raise_danger(turn: Turn, *, family_id: int | None, sign_ids: list[str], source: str) -> None:
    return None
