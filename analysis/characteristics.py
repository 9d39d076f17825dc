"""Table 1: characteristics of the respondents (n and %), as every seed prints it.

Pure: one mapping per family (``mother_age``, ``parity``, ``education``, ``work``, ``birth_mode``; None when
not answered) in, one small table per variable out. Ages are grouped < 20 / 20–35 / > 35 years (the risk
groups the seeds use), parity primipara (first child) / multipara.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

AGE_GROUPS = ("lt20", "20_35", "gt35")
PARITY_GROUPS = ("primipara", "multipara")
EDUCATION = ("tidak_sekolah", "sd", "smp", "sma", "pt")
WORK = ("irt", "pns", "swasta", "wiraswasta", "petani", "lainnya")
BIRTH_MODE = ("normal", "sesar", "alat")
VARIABLES = {"age": AGE_GROUPS, "parity": PARITY_GROUPS, "education": EDUCATION, "work": WORK,
             "birth_mode": BIRTH_MODE}


def age_group(age: int | None) -> str | None:
    if age is None:
        return None
    return "lt20" if age < 20 else "20_35" if age <= 35 else "gt35"


def parity_group(parity: int | None) -> str | None:
    if parity is None:
        return None
    return "primipara" if parity <= 1 else "multipara"


@dataclass(frozen=True)
class CharacteristicRow:
    category: str
    n: int
    share: float | None  # of the families who answered this question


@dataclass(frozen=True)
class CharacteristicTable:
    variable: str  # age | parity | education | work | birth_mode
    rows: list[CharacteristicRow]
    answered: int
    missing: int


def categories(row: Mapping[str, object]) -> dict[str, str | None]:
    """One family's answers as Table 1 categories."""
    return {
        "age": age_group(row.get("mother_age")),  # type: ignore[arg-type]
        "parity": parity_group(row.get("parity")),  # type: ignore[arg-type]
        "education": row.get("education"),  # type: ignore[dict-item]
        "work": row.get("work"),  # type: ignore[dict-item]
        "birth_mode": row.get("birth_mode"),  # type: ignore[dict-item]
    }


def table1(rows: Sequence[Mapping[str, object]]) -> list[CharacteristicTable]:
    cats = [categories(r) for r in rows]
    out = []
    for variable, levels in VARIABLES.items():
        values = [c[variable] for c in cats]
        known = [v for v in values if v is not None]
        answered = len(known)
        out.append(CharacteristicTable(variable, [
            CharacteristicRow(level, known.count(level), known.count(level) / answered if answered else None)
            for level in levels
        ], answered, len(values) - answered))
    return out
