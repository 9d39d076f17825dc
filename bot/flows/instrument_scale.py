"""What the analysis must know about an instrument's score: its direction, whether it is ordinal, and
whether its items or criteria were written by the project (derived) rather than published by its seed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from content.instruments import Instrument

if TYPE_CHECKING:
    from analysis.conclusion import Scale

ORDINAL_MAX_LEVELS = 7  # analysis.conclusion.ORDINAL_MAX_LEVELS: 0-6 counts and 3-level ratings


def is_ordinal(instrument: Instrument) -> bool:
    return instrument.max_total - instrument.min_total + 1 <= ORDINAL_MAX_LEVELS


def is_derived(instrument: Instrument) -> bool:
    return "derived" in instrument.source or any("derived" in item.source for item in instrument.items)


def seed_of(instrument: Instrument) -> str | None:
    seeds = [s for s in instrument.source if s.startswith("seed")]
    return seeds[0] if seeds else None


def scale_for(instrument: Instrument) -> Scale:
    from analysis.conclusion import Scale

    return Scale(higher_is_better=instrument.higher_is_better, ordinal=is_ordinal(instrument),
                 instrument=instrument.title, derived=is_derived(instrument), source=seed_of(instrument),
                 minimum=float(instrument.min_total), maximum=float(instrument.max_total))
