"""Frequency tables (n and %), as the seeds print them: the levels of a class per occasion, and per item.

Pure: plain values in, plain dataclasses out. The percentage is of the families measured on that occasion
(a missing value is counted apart, never in the denominator).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LevelCount:
    key: str
    label: str
    n: int
    share: float | None  # 0..1 of ``total``; None when nobody was measured


@dataclass(frozen=True)
class OccasionLevels:
    occasion: str
    total: int
    levels: list[LevelCount]
    missing: int = 0


@dataclass(frozen=True)
class LevelTable:
    """e.g. seed 001: lancar / cukup lancar / kurang lancar for each of its six occasions."""

    occasions: list[OccasionLevels]


def _share(n: int, total: int) -> float | None:
    return n / total if total else None


def level_table(values: Mapping[str, Sequence[str | None]], levels: Sequence[tuple[str, str]]) -> LevelTable:
    """``values``: occasion -> the class key of each family measured then (None = no class)."""
    out = []
    for occasion, keys in values.items():
        known = [k for k in keys if k is not None]
        total = len(known)
        out.append(OccasionLevels(occasion, total, [
            LevelCount(key, label, sum(1 for k in known if k == key), _share(sum(1 for k in known if k == key), total))
            for key, label in levels
        ], missing=len(keys) - total))
    return LevelTable(out)


@dataclass(frozen=True)
class ItemFrequency:
    item_id: str
    text: str
    occasion: str
    total: int
    counts: list[tuple[int, int, float | None]]  # (score value, n, share)


def item_tables(items: Sequence[tuple[str, str]], answers: Mapping[str, Sequence[Mapping[str, int | None]]],
                values: Sequence[int] | None = None) -> list[ItemFrequency]:
    """Per item and occasion, how many families had each item score.

    ``answers``: occasion -> one mapping (item id -> item score) per family measured then. ``values``: the
    score values to list (default: those seen, ascending).
    """
    out = []
    for item_id, text in items:
        for occasion, rows in answers.items():
            scores = [r.get(item_id) for r in rows]
            known = [s for s in scores if s is not None]
            shown = list(values) if values is not None else sorted(set(known))
            total = len(known)
            out.append(ItemFrequency(item_id, text, occasion, total,
                                     [(v, known.count(v), _share(known.count(v), total)) for v in shown]))
    return out
