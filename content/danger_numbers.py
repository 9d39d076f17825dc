"""Numbers in the words families type: "tiga delapan koma lima", "tiga puluh delapan setengah",
"seratus tujuh puluh per seratus sepuluh", "telung bengi", and the markers that counts and durations leave.

Used by content/danger.py while a message is cut into words; every word list is in danger_language.yaml
(`numbers`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

NUMBER = re.compile(r"\d+(?:\.\d+)?")


@dataclass(frozen=True)
class NumberWords:
    digits: Mapping[str, int]  # "tiga" -> 3, "telung" -> 3
    tens: frozenset[str]  # "puluh": the number before it times ten
    teens: frozenset[str]  # "belas": the number before it plus ten
    hundreds: frozenset[str]  # "ratus"
    whole: Mapping[str, int]  # "sepuluh" -> 10, "seratus" -> 100
    decimal: frozenset[str]  # "koma"
    half: frozenset[str]  # "setengah"
    # marker word -> (smallest number, the unit words after it): "3 malam" -> "3 malam berhari"
    markers: Mapping[str, tuple[float, frozenset[str]]]

    def _is_part(self, tok: str) -> bool:
        return tok in self.digits or tok in self.whole or tok in self.tens or tok in self.teens \
            or tok in self.hundreds

    def _value(self, run: Sequence[str]) -> float | None:
        if all(t in self.digits for t in run):
            if len(run) == 1:
                return float(self.digits[run[0]])
            if len(run) <= 3 and self.digits[run[0]] != 0:  # "tiga delapan" -> 38
                return float("".join(str(self.digits[t]) for t in run))
            return None
        total, cur = 0, 0
        for t in run:
            if t in self.digits:
                cur += self.digits[t]
            elif t in self.whole:
                value = self.whole[t]
                if value >= 100:
                    total += value
                else:
                    cur += value
            elif t in self.tens:
                cur = (cur or 1) * 10
            elif t in self.teens:
                cur = cur + 10
            elif t in self.hundreds:
                total += (cur or 1) * 100
                cur = 0
        return float(total + cur)

    def read(self, tokens: list[str]) -> list[str]:
        """Number words become digits ("tiga puluh delapan setengah" -> "38.5"); markers are added."""
        out: list[str] = []
        i, n = 0, len(tokens)
        while i < n:
            tok = tokens[i]
            value: float | None = None
            j = i
            if self._is_part(tok):
                while j < n and self._is_part(tokens[j]):
                    j += 1
                value = self._value(tokens[i:j])
                if value is None:
                    out.extend(tokens[i:j])
                    i = j
                    continue
            elif NUMBER.fullmatch(tok) and len(tok) <= 9:  # a longer digit run is no measurement
                value, j = float(tok), i + 1
            if value is None:
                out.append(tok)
                i += 1
                continue
            if j + 1 < n and tokens[j] in self.decimal and "." not in str(tok):
                k = j + 1
                frac = []
                while k < n and (tokens[k] in self.digits or tokens[k].isdigit()):
                    frac.append(str(self.digits.get(tokens[k], tokens[k])))
                    k += 1
                if frac:
                    value = float(f"{int(value)}.{''.join(frac)}")
                    j = k
            if j < n and tokens[j] in self.half and value == int(value):
                value += 0.5
                j += 1
            out.append(str(int(value)) if value == int(value) and "." not in tok else str(value))
            i = j
            if i < n:
                for marker, (least, units) in self.markers.items():
                    if tokens[i] in units and value >= least:
                        out.append(tokens[i])
                        out.append(marker)
                        i += 1
                        break
        return out


def parse_number_words(node) -> NumberWords:
    node.mapping(required={"digits", "tens", "teens", "hundreds", "whole", "decimal", "half", "markers"})
    digits: dict[str, int] = {}
    for value, words in node.get("digits").items():
        for w in words.str_list(min_len=1):
            digits[w] = int(value)
    whole: dict[str, int] = {}
    for value, words in node.get("whole").items():
        for w in words.str_list(min_len=1):
            whole[w] = int(value)
    markers = {}
    for word, m in node.get("markers").items():
        m.mapping(required={"at_least", "after"})
        markers[word] = (float(m.get("at_least").value), frozenset(m.get("after").str_list(min_len=1)))
    return NumberWords(
        digits=digits, tens=frozenset(node.get("tens").str_list(min_len=1)),
        teens=frozenset(node.get("teens").str_list(min_len=1)),
        hundreds=frozenset(node.get("hundreds").str_list(min_len=1)), whole=whole,
        decimal=frozenset(node.get("decimal").str_list(min_len=1)),
        half=frozenset(node.get("half").str_list(min_len=1)), markers=markers)
