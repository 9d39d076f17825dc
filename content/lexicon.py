"""Indonesian answer words for typed replies (``lexicon.yaml``) and two small parsers.

``parse_yesno("iya sudah") -> True``, ``parse_yesno("belum") -> False``, ``parse_yesno("mungkin") -> None``;
a no-word wins over a yes-word (``"tidak ada"`` is no). ``parse_number("dua belas kali") -> 12``,
``parse_number("3x") -> 3``, ``parse_number("sekitar 14 jam") -> 14``; anything unclear gives None.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from content.danger import normalize
from content.schema import Node


@dataclass(frozen=True)
class Lexicon:
    yes_words: frozenset[str]
    no_words: frozenset[str]
    negation_words: frozenset[str]  # words that cancel a danger keyword right after them
    number_words: Mapping[str, int]  # every spelled number 0..99, e.g. "dua belas" -> 12
    units: tuple[str, ...]  # ignored after a number: "kali", "x", "jam"
    fillers: tuple[str, ...]  # ignored anywhere: "sekitar", "kira kira"

    def parse_yesno(self, text: str) -> bool | None:
        words = normalize(text).split()
        if any(w in self.no_words for w in words):
            return False
        if any(w in self.yes_words for w in words):
            return True
        return None

    def parse_number(self, text: str) -> int | None:
        norm = normalize(text)
        norm = re.sub(r"(?<=\d)(?=[a-z])", " ", norm)  # "3x" -> "3 x"
        words = f" {norm} "
        for phrase in sorted((*self.fillers, *self.units), key=len, reverse=True):
            words = words.replace(f" {normalize(phrase)} ", " ")
        rest = " ".join(words.split())
        if re.fullmatch(r"\d{1,4}", rest):
            return int(rest)  # the item's own range decides whether it is acceptable
        return self.number_words.get(rest)


def _spell_numbers(units: Mapping[str, int], teen: str, tens: str, ten_words: tuple[str, ...],
                   eleven_words: tuple[str, ...]) -> dict[str, int]:
    out = dict(units)
    digits = {w: v for w, v in units.items() if 1 <= v <= 9}
    for w in ten_words:
        out[w] = 10
    for w in eleven_words:
        out[w] = 11
    for w, v in digits.items():
        if v >= 2:
            out[f"{w} {teen}"] = 10 + v
            out[f"{w} {tens}"] = 10 * v
            for w2, v2 in digits.items():
                out[f"{w} {tens} {w2}"] = 10 * v + v2
    return out


def parse_lexicon(root: Node) -> Lexicon:
    root.mapping(required={"yes_words", "no_words", "negation_words", "number_words", "teen_word",
                           "tens_word", "ten_words", "eleven_words", "units", "fillers"})
    yes = frozenset(normalize(w) for w in root.get("yes_words").str_list(min_len=1))
    no = frozenset(normalize(w) for w in root.get("no_words").str_list(min_len=1))
    both = sorted(yes & no)
    if both:
        raise root.error(f"{both[0]!r} is both a yes word and a no word", "yes_words")
    for key in ("yes_words", "no_words"):
        for i, w in enumerate(root.get(key).str_list()):
            if len(normalize(w).split()) != 1:
                raise root.error(f"{w!r} must be a single word", f"{key}[{i}]")
    units: dict[str, int] = {}
    for word, node in root.get("number_words").items():
        units[normalize(word)] = node.int(min_value=0, max_value=9)
    if sorted(set(units.values())) != list(range(10)):
        raise root.error("number_words must spell every digit 0..9", "number_words")
    spelled = _spell_numbers(
        units, normalize(root.get("teen_word").str()), normalize(root.get("tens_word").str()),
        tuple(normalize(w) for w in root.get("ten_words").str_list(min_len=1)),
        tuple(normalize(w) for w in root.get("eleven_words").str_list(min_len=1)),
    )
    return Lexicon(
        yes_words=yes,
        no_words=no,
        negation_words=frozenset(normalize(w) for w in root.get("negation_words").str_list(min_len=1)),
        number_words=MappingProxyType(spelled),
        units=root.get("units").str_list(min_len=1),
        fillers=root.get("fillers").str_list(),
    )
