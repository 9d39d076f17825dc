"""Danger signs for the newborn and the mother (``danger_signs.yaml``) and free-text matching.

Matching is case-insensitive and on word boundaries; a keyword may carry a common Indonesian
suffix on any word (``demamnya``, ``pusarnya merah``). An occurrence directly after a negation (``tidak demam``, ``tidak ada
kejang``) does not count. ``not_when`` phrases are removed before matching, so ``BAB-nya kuning``
does not raise the jaundice sign.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from content.schema import Node, unique_ids
from content.sources import Source, read_source

WHO = ("baby", "mother")
SUFFIXES = ("nya", "lah", "kah", "pun")


def normalize(text: str) -> str:
    """Lowercase, every run of non-letters/digits becomes one space."""
    text = re.sub(r"-(nya|lah|kah|pun)\b", r"\1", text.lower())  # "BAB-nya" -> "babnya"
    return " ".join(re.sub(r"[^\w]+|_", " ", text).split())


@dataclass(frozen=True)
class DangerSign:
    id: str
    who: str  # "baby" | "mother"
    text: str  # Indonesian wording of the sign
    urgent: bool  # True: go to a health facility now; False: contact the midwife today
    advice: str
    keywords: tuple[str, ...]
    source: tuple[str, ...]
    note: str | None = None
    not_when: tuple[str, ...] = ()

    def matches(self, free_text: str, negations: frozenset[str] = frozenset()) -> bool:
        text = f" {normalize(free_text)} "
        for phrase in self.not_when:
            text = _pattern(normalize(phrase)).sub(" ", text)
        for kw in self.keywords:
            for m in _pattern(normalize(kw)).finditer(text):
                if not _negated(text[: m.start()], negations):
                    return True
        return False


def _pattern(keyword: str) -> re.Pattern[str]:
    suffix = f"(?:{'|'.join(SUFFIXES)})?"
    body = r"\s+".join(re.escape(w) + suffix for w in keyword.split())
    return re.compile(rf"(?<!\w){body}(?!\w)")


def _negated(before: str, negations: frozenset[str]) -> bool:
    words = before.split()
    if words and words[-1] in negations:
        return True
    return len(words) >= 2 and words[-1] == "ada" and words[-2] in negations


def match_signs(signs: tuple[DangerSign, ...], free_text: str, negations: frozenset[str]) -> list[DangerSign]:
    """Signs whose keywords occur in ``free_text``; urgent ones first, otherwise in file order."""
    hits = [s for s in signs if s.matches(free_text, negations)]
    return sorted(hits, key=lambda s: not s.urgent)


def parse_danger_signs(root: Node, sources: dict[str, Source]) -> tuple[DangerSign, ...]:
    root.mapping(required={"signs"})
    nodes = root.get("signs").list(min_len=1)
    out = []
    for node in nodes:
        node.mapping(
            allowed={"note", "not_when"},
            required={"id", "who", "text", "urgent", "advice", "keywords", "source"},
        )
        keywords = node.get("keywords").str_list(min_len=1)
        for i, kw in enumerate(keywords):
            if not normalize(kw):
                raise node.error("keyword has no letters", f"{node.key}.keywords[{i}]")
        source, note = read_source(node, sources)
        out.append(DangerSign(
            id=node.get("id").ident(),
            who=node.get("who").choice(WHO),
            text=node.get("text").str(),
            urgent=node.get("urgent").bool(),
            advice=node.get("advice").str(),
            keywords=keywords,
            source=source,
            note=note,
            not_when=node.get("not_when").str_list(min_len=1) if node.has("not_when") else (),
        ))
    unique_ids([(s.id, n) for s, n in zip(out, nodes, strict=True)], "danger sign")
    return tuple(out)
