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
    stop_words: frozenset[str] = frozenset()  # "berhenti", "stop": stop the running massage
    repeat_words: frozenset[str] = frozenset()  # "ulang": say the last step again
    command_max_words: int = 4  # a longer message is not a command ("jangan berhenti dulu ya pak …")

    def parse_yesno(self, text: str) -> bool | None:
        words = normalize(text).split()
        if any(w in self.no_words for w in words):
            return False
        if any(w in self.yes_words for w in words):
            return True
        return None

    def is_stop(self, text: str) -> bool:
        """A short message that says "stop", typos included ("brhenti", "stopp", "udh")."""
        return self._command(text, self.stop_words)

    def is_repeat(self, text: str) -> bool:
        """A short message that says "again" ("ulang", "ulangi", "lagi dong")."""
        return self._command(text, self.repeat_words)

    def _command(self, text: str, words: frozenset[str]) -> bool:
        found = normalize(text).split()
        if not found or len(found) > self.command_max_words:
            return False
        negations = self.no_words | self.negation_words
        for i, w in enumerate(found):  # "jangan berhenti" is not a command
            if any(slip_of(w, c) for c in words) and (i == 0 or found[i - 1] not in negations):
                return True
        return False

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


def squeeze(word: str) -> str:
    """Repeated letters once: "stopp" -> "stop", "udahh" -> "udah"."""
    return re.sub(r"(.)\1+", r"\1", word)


def skeleton(word: str) -> str:
    """The consonants of a squeezed word: "berhenti" and "brhenti" -> "brhnt", "udah" and "udh" -> "dh"."""
    return re.sub(r"[aeiou]", "", squeeze(word))


def slip_of(typed: str, word: str) -> bool:
    """``typed`` is ``word`` or a usual slip of it: a doubled letter, dropped vowels, one letter off in a
    long word. Short skeletons (one consonant) must match exactly, so "ya" is never "udah"."""
    a, b = squeeze(typed), squeeze(word)
    if a == b:
        return True
    ka, kb = skeleton(a), skeleton(b)
    if len(kb) >= 2 and ka == kb and a[0] == b[0] or (len(kb) >= 2 and ka == kb and len(b) <= 5):
        return True
    return len(b) >= 6 and _one_edit(a, b)


def _one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


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
        stop_words=_optional_words(root, "stop_words"),
        repeat_words=_optional_words(root, "repeat_words"),
    )


def _optional_words(root: Node, key: str) -> frozenset[str]:
    if not root.has(key):
        return frozenset()
    return frozenset(normalize(w) for w in root.get(key).str_list(min_len=1))
