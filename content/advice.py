"""The family's advice for danger signs, worded for what the message reported (content/advice.yaml).

``sign_advice(content, sign_ids, text)`` gives, per sign, the short words of what was reported, why it
matters, and what to do on the way (texts ``danger.sign.<id>[.<facet>].words|why|way``); a sign the texts do
not word yet falls back to its own ``text`` / ``advice`` / ``on_the_way`` (danger_signs.yaml).
``family_messages`` composes them into the family's replies (go now or today, 119 / 112, each thing said once).
Used by bot/flows/alerts.py and, when the database is down, by bot/core/spool.py: content only, no database.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from content.danger import DangerSign, Phrase
from content.schema import load_yaml

ADVICE_FILE = Path(__file__).with_name("advice.yaml")
MESSAGE_MAX = 600
LINES_MAX = 10


@dataclass(frozen=True)
class Facet:
    id: str
    match: tuple[str, ...]
    measure: str | None = None  # "high" | "low"


@dataclass(frozen=True)
class SignAdvice:
    sign: DangerSign
    words: str  # what was reported, in a few words
    why: str  # why it matters and where to go
    way: str | None  # what to do on the way (urgent signs)


@functools.cache
def facets() -> Mapping[str, tuple[Facet, ...]]:
    data = load_yaml(ADVICE_FILE, ADVICE_FILE.parent) or {}
    out = {}
    for sign_id, items in (data.get("facets") or {}).items():
        out[sign_id] = tuple(Facet(str(i["id"]), tuple(str(m) for m in i.get("match") or ()), i.get("measure"))
                             for i in items)
    return out


def _has_all(lang, tokens: Sequence[str], spec: str) -> bool:
    joined = " " + " ".join(tokens) + " "
    for part in spec.split("+"):
        phrases: list[Phrase] = lang.expand(part.strip())
        if not any(f" {' '.join(p)} " in joined for p in phrases):
            return False
    return True


def _measured(sign: DangerSign, tokens: Sequence[str], direction: str) -> bool:
    for m in sign.measures:
        for tok in tokens:
            if not re.fullmatch(r"\d+(?:\.\d+)?", tok):
                continue
            value = float(tok)
            if not (m.low <= value <= m.high):
                continue
            if direction == "high" and m.at_least is not None and value >= m.at_least:
                return True
            if direction == "low" and ((m.below is not None and value < m.below)
                                       or (m.at_most is not None and value <= m.at_most)):
                return True
    return False


def facets_found(content, sign: DangerSign, text: str | None) -> list[str]:
    """The facets of ``sign`` the message names (in advice.yaml order); [] when none or no text."""
    lang = content.danger_language
    if not text or lang is None:
        return []
    tokens = lang.tokens(text)
    found = []
    for f in facets().get(sign.id, ()):
        if (f.measure and _measured(sign, tokens, f.measure)) or any(_has_all(lang, tokens, m) for m in f.match):
            found.append(f.id)
    if "dingin" in found and "demam" in found and _measured(sign, tokens, "high"):
        found.remove("dingin")  # "39 derajat, tangan dingin": a fever with cold hands is a fever
    return found


def _worded(content, key: str) -> str | None:
    return content.text(key) if content.has_text(key) else None


def one(content, sign: DangerSign, text: str | None) -> SignAdvice:
    base = f"danger.sign.{sign.id}"
    found = facets_found(content, sign, text)
    words = [w for f in found if (w := _worded(content, f"{base}.{f}.words"))]
    why = next((w for f in found if (w := _worded(content, f"{base}.{f}.why"))), None)
    way = next((w for f in found if (w := _worded(content, f"{base}.{f}.way"))), None)
    return SignAdvice(
        sign,
        words=", ".join(words[:2]) if words else (_worded(content, f"{base}.words") or sign.text),
        why=why or _worded(content, f"{base}.why") or sign.advice,
        way=way or _worded(content, f"{base}.way") or sign.on_the_way,
    )


def sign_advice(content, sign_ids: Sequence[str], text: str | None = None) -> list[SignAdvice]:
    out = []
    for sign_id in dict.fromkeys(sign_ids):
        try:
            sign = content.danger_sign(sign_id)
        except KeyError:
            continue
        out.append(one(content, sign, text))
    return out


def family_messages(content, advice: Sequence[SignAdvice], *, told: str | None) -> list[str]:
    """The family's replies: what was reported and why it matters (urgent first), 119 / 112, the crisis line
    for a mental-health sign, ``told`` (whether the midwife knows), then what to do on the way."""
    if not advice:
        return []
    urgent = any(a.sign.urgent for a in advice)
    crisis = any(a.sign.crisis for a in advice)
    shown = sorted(advice, key=lambda a: not a.sign.urgent)[:3]
    feelings_only = all(a.sign.crisis for a in shown)  # kinder words first; a body sign keeps "go now"
    intro = ("danger.crisis_intro" if feelings_only
             else "danger.urgent_intro" if urgent else "danger.today_intro")
    lines = [content.text(intro)]
    whys: list[str] = []
    for a in shown:
        lines.append(content.text("danger.sign_only", tanda=a.words))
        if a.why not in whys:
            whys.append(a.why)
    keep = 1 if feelings_only else 2
    first = ["\n".join(lines), " ".join(whys[:keep]), content.text("danger.emergency")]
    while keep > 1 and (len("\n\n".join(first)) > MESSAGE_MAX or "\n\n".join(first).count("\n") >= LINES_MAX):
        keep -= 1  # long reasons: the most urgent one only (content/STYLE.md: one message, 600 characters)
        first[1] = " ".join(whys[:keep])
    second = []
    if crisis:
        second.append(content.text("danger.crisis"))
    if told:
        second.append(told)
    out = ["\n\n".join(first)]
    if second:
        out.append("\n\n".join(second))
    ways = list(dict.fromkeys(a.way for a in shown if a.sign.urgent and a.way))
    if ways:
        out.append(content.text("danger.on_the_way", saran="\n".join(ways[:2])))
    return out
