"""Checklist answers typed or tapped: parsed, checked against the item, and stored in one canonical form.

Canonical ``raw_value`` (what the Answer row stores, never the words typed): ``"ya"`` / ``"tidak"`` for
yes/no items, the whole number as text (``"6"``) for number items, the choice id for choice items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from content.danger import normalize
from content.instruments import Item
from content.lexicon import Lexicon

YES = "ya"
NO = "tidak"

UNCLEAR = "unclear"
OUT_OF_RANGE = "out_of_range"


@dataclass(frozen=True)
class Parsed:
    value: bool | int | str | None = None
    error: str | None = None  # None, UNCLEAR or OUT_OF_RANGE

    @property
    def ok(self) -> bool:
        return self.error is None


def encode(item: Item, value: bool | int | str) -> str:
    if item.answer_type == "yesno":
        return YES if value else NO
    return str(value)


def decode(item: Item, raw: str) -> bool | int | str | None:
    """The answer value from its canonical text, or None if it no longer fits the item."""
    if item.answer_type == "yesno":
        value: bool | int | str | None = {YES: True, NO: False}.get(raw)
    elif item.answer_type == "number":
        value = int(raw) if re.fullmatch(r"\d+", raw or "") else None
    else:
        value = raw
    return value if value is not None and item.is_valid(value) else None


def value_num(item: Item, value: bool | int | str) -> float | None:
    if item.answer_type == "yesno":
        return 1.0 if value else 0.0
    if item.answer_type == "number":
        return float(value)  # type: ignore[arg-type]
    return None


def _number(text: str, lexicon: Lexicon) -> int | None:
    value = lexicon.parse_number(text)
    if value is not None:
        return value
    digits = re.findall(r"\d+", text)
    if len(digits) == 1:
        return int(digits[0])
    if digits:
        return None
    found = [lexicon.number_words[w] for w in normalize(text).split() if w in lexicon.number_words]
    return found[0] if len(found) == 1 else None


def parse_typed(item: Item, text: str, lexicon: Lexicon) -> Parsed:
    """Read a typed answer: "ya", "tidak ada", "6", "6 kali", "enam", a choice's label or its number."""
    if item.answer_type == "yesno":
        yes = lexicon.parse_yesno(text)
        return Parsed(error=UNCLEAR) if yes is None else Parsed(value=yes)
    if item.answer_type == "number":
        n = _number(text, lexicon)
        if n is None:
            return Parsed(error=UNCLEAR)
        return Parsed(value=n) if item.is_valid(n) else Parsed(value=n, error=OUT_OF_RANGE)
    said = normalize(text)
    for choice in item.choices:
        if said in (normalize(choice.label), normalize(str(choice.value))):
            return Parsed(value=choice.value)
    n = _number(text, lexicon)
    if n is not None and 1 <= n <= len(item.choices):
        return Parsed(value=item.choices[n - 1].value)
    matches = [c for c in item.choices if said and said in normalize(c.label)]
    if len(matches) == 1:
        return Parsed(value=matches[0].value)
    return Parsed(error=UNCLEAR)


def parse_button(item: Item, token: str) -> Parsed:
    """Read the answer carried by a button's callback data (a canonical value)."""
    value = decode(item, token)
    return Parsed(error=UNCLEAR) if value is None else Parsed(value=value)


def label(item: Item, value: bool | int | str) -> str:
    """How the answer is shown back: the choice label, or the number with its unit."""
    if item.answer_type == "number":
        return f"{value} {item.unit}" if item.unit else str(value)
    return item.choice(value).label


def number_buttons(item: Item, limit: int = 12) -> list[int]:
    """Quick-answer numbers for a number item with a small range; an empty list means "type it"."""
    if item.answer_type != "number" or item.min is None or item.max is None:
        return []
    if item.max - item.min + 1 > limit:
        return []
    return list(range(item.min, item.max + 1))
