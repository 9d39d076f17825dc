"""The checklist: which measurement is due, which question comes next, saving answers, the score.

Which occasion (pre or post) a checklist is follows from the protocol and what is already stored:
the protocol's measurement slots, in order, each *open* from a point in time —

- ``before_first_session`` / ``first_time`` on day D: from the start of day D;
- ``after_last_session`` on day D: once the massage it follows is done (bot/flows/windows.after_opens),
  never at a reminder time before it, or from day D+1 on.

The due slot is the latest open slot, if it is not done yet. Before any slot is open, the first slot is
taken early when it is a ``pre`` (the very first checklist is always the "before" one). A stored occasion
is ``pre``/``post`` when the protocol has one of each, else ``day<D>_pre`` / ``day<D>_post``.

An unfinished measurement is resumed at its first unanswered question unless a later slot has opened
since (then that one is due and the old one stays unfinished).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.flows import answers as answer_rules
from content.day_norms import DayNorms
from content.instruments import Classification, Instrument, Item
from content.protocols import Protocol
from storage import measurements as store
from storage.models import Measurement

_RANK = {"before_first_session": 0, "first_time": 0, "after_last_session": 1}


@dataclass(frozen=True)
class Slot:
    label: str  # stored as Measurement.occasion
    occasion: str  # "pre" | "post"
    day: int
    slot: str
    index: int  # position in the protocol's order

    @property
    def opens_at(self) -> tuple[int, int]:
        return self.day, _RANK[self.slot]


def slots(protocol: Protocol) -> list[Slot]:
    ordered = sorted(protocol.measurements, key=lambda m: (m.day, _RANK[m.slot]))
    counts = {o: sum(1 for m in ordered if m.occasion == o) for o in ("pre", "post")}
    out = []
    for i, m in enumerate(ordered):
        label = m.occasion if counts[m.occasion] == 1 else f"day{m.day}_{m.occasion}"
        out.append(Slot(label=label, occasion=m.occasion, day=m.day, slot=m.slot, index=i))
    return out


def slot_for_label(protocol: Protocol, label: str) -> Slot | None:
    for s in slots(protocol):
        if s.label == label:
            return s
    return None


def position(day: int, *, after_massage: bool) -> tuple[int, int]:
    """Where the family stands: (day, 0) until the massage the day's "after" follows is done, (day, 1) after."""
    return day, 1 if after_massage else 0


@dataclass(frozen=True)
class Due:
    slot: Slot | None  # the slot to fill in now, or None
    next_slot: Slot | None  # when nothing is due: the next one to come (None: all done)
    missed: Slot | None = None  # the slot that would be due but whose window has passed (bot/flows/windows.py)


def due(protocol: Protocol, pos: tuple[int, int], done: Iterable[str]) -> Due:
    """The slot due at ``pos`` given the occasions already completed."""
    done = set(done)
    all_slots = slots(protocol)
    opened = [s for s in all_slots if s.opens_at <= pos]
    if not opened:
        first = all_slots[0]
        if first.occasion == "pre" and first.label not in done:
            return Due(first, None)
        return Due(None, first)
    latest = opened[-1]
    if latest.label not in done and not any(s.label in done for s in all_slots[latest.index + 1:]):
        return Due(latest, None)
    later = [s for s in all_slots[latest.index + 1:] if s.label not in done]
    return Due(None, later[0] if later else None)


def last_slot(protocol: Protocol) -> Slot:
    return slots(protocol)[-1]


def blinded_now(protocol: Protocol, label: str) -> bool:
    """Under a blinded protocol, a family sees no score, class or earlier result until its last measurement."""
    return protocol.blinded and label != last_slot(protocol).label


BETTER, SAME, WORSE = "better", "same", "worse"


def change(instrument: Instrument, before: int, after: int) -> str:
    """Better, the same or worse, in the instrument's own direction (skala3: lower is better)."""
    if before == after:
        return SAME
    rose = after > before
    return BETTER if rose == instrument.higher_is_better else WORSE


def resume_or_new(protocol: Protocol, open_label: str | None, due_now: Due) -> str:
    """"resume" the open measurement, start a "new" one, or "none" (nothing to fill in)."""
    if open_label is not None:
        open_slot = slot_for_label(protocol, open_label)
        if due_now.slot is None or open_slot is None or open_slot.index >= due_now.slot.index:
            return "resume"
    return "new" if due_now.slot is not None else "none"


# -- questions ---------------------------------------------------------------------------------------

def first_unanswered(instrument: Instrument, answered: Iterable[str]) -> Item | None:
    answered = set(answered)
    for item in instrument.items:
        if item.id not in answered:
            return item
    return None


def previous_item(instrument: Instrument, item_id: str) -> Item | None:
    ids = [i.id for i in instrument.items]
    if item_id not in ids:
        return None
    index = ids.index(item_id)
    return instrument.items[index - 1] if index > 0 else None


def item_number(instrument: Instrument, item_id: str) -> int:
    return [i.id for i in instrument.items].index(item_id) + 1


def stored_values(instrument: Instrument, rows: Mapping[str, object]) -> dict[str, bool | int | str]:
    """Stored answers (item id -> Answer row) as item values; rows that no longer fit are left out."""
    out: dict[str, bool | int | str] = {}
    for item in instrument.items:
        row = rows.get(item.id)
        if row is None:
            continue
        value = answer_rules.decode(item, row.raw_value)  # type: ignore[attr-defined]
        if value is not None:
            out[item.id] = value
    return out


# -- writing -----------------------------------------------------------------------------------------

def start(session: Session, *, family_id: int, instrument: Instrument, slot: Slot, user_id: int | None,
          now: datetime) -> Measurement:
    return store.start(session, family_id=family_id, instrument_id=instrument.id,
                       instrument_version=instrument.version, occasion=slot.label, started_by=user_id, now=now)


def save(session: Session, *, measurement: Measurement, item: Item, value: bool | int | str, day: int | None,
         user_id: int | None, via: str, now: datetime) -> str | None:
    """Store (or correct) one answer at once. Returns the danger sign id this answer points to, if any."""
    if not item.is_valid(value):
        raise ValueError(f"{item.id}: {value!r} is not a valid answer")
    score = item.score(value, day=1 if item.day_dependent and (day is None or day < 1) else day)
    store.save_answer(session, measurement_id=measurement.id, item_id=item.id,
                      raw_value=answer_rules.encode(item, value), value_num=answer_rules.value_num(item, value),
                      score=score, answered_by=user_id, via=via, now=now)
    return item.danger_sign(value)


@dataclass(frozen=True)
class Result:
    score: int
    classification: Classification
    values: dict[str, bool | int | str]
    norm_class: str | None = None  # against the baby's day norm (content/day_norms.yaml), when it has one
    norm_day: int | None = None  # the day it was judged for

def score_day(day: int | None, instrument: Instrument) -> int | None:
    """The day used for scoring: a day-scored instrument filled in before day 1 is scored as on day 1."""
    if instrument.day_dependent and (day is None or day < 1):
        return 1
    return day


def norm_class(norms: DayNorms | None, instrument: Instrument, values: Mapping[str, object], day: int | None
               ) -> tuple[str | None, int | None]:
    """The occasion's class against the baby's day norm, and the day judged (None: no norm for it)."""
    norm = norms.for_instrument(instrument.id) if norms is not None else None
    if norm is None or day is None:
        return None, None
    judged = max(day, 1)
    scores = {i.id: i.score(values[i.id], day=judged) for i in instrument.items if i.id in values}
    return norm.classify(values, scores, judged), judged


def finish(session: Session, *, measurement: Measurement, instrument: Instrument, day: int | None,
           now: datetime, norms: DayNorms | None = None) -> Result:
    values = stored_values(instrument, store.answers(session, measurement.id))
    total = instrument.score(values, day=score_day(day, instrument))
    cls = instrument.classify(total)
    by_day, judged = norm_class(norms, instrument, values, day)
    store.complete(session, measurement, score=total, class_key=cls.key, now=now, norm_class=by_day)
    return Result(total, cls, values, by_day, judged)
