"""Reading a family's free text: which danger signs it names, and what kind of message it is.

The rules of content/danger.py find the signs; ``message_kinds.yaml`` says what is small talk and what makes
a sign hypothetical (a question about signs in general, "kalau nanti", a video, someone else's baby, the
weather, a past event that is over). The learned reader (content/danger_model.py), when given, may add a sign
the rules did not find; the rules stay authoritative where they are exact (numbers against thresholds,
negation, whose sign). The public entry point is ``get_content().read_message(text)``
(see content/message_reading.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Protocol

from content.danger import DangerSign, Language, Phrase, match_exact, match_tokens
from content.danger_negation import negated_signs
from content.schema import Node

KINDS = ("danger", "health", "social", "other")


@dataclass(frozen=True)
class MessageReading:
    """What one free-text message says.

    signs: the danger signs it reports as happening now (urgent first); empty when ``hypothetical``.
    kind: 'danger' (a sign found), 'health' (about the body, the baby, feelings or a number, no sign),
        'social' (thanks, greetings, "oke", an emoji) or 'other'.
    hypothetical: a sign is named, but not as happening to this family now ("kalau nanti bayi demam?",
        a video, the weather, someone else's baby, a past event that is over). Such a message is a question:
        kind is 'health' and ``mentioned`` holds the signs named.
    scores: the learned reader's probability per sign id (empty when it was not used), and of its
        whole-message heads (content/danger_model.py ``HEADS``).
    vetoed: signs the rules found told as now that the learned reader dropped (a look-alike, or a miss):
        the bot never answers such a message itself; a person reads it.
    """

    signs: tuple[DangerSign, ...]
    kind: str
    hypothetical: bool = False
    scores: Mapping[str, float] = field(default_factory=dict, hash=False, compare=False)
    mentioned: tuple[DangerSign, ...] = ()
    vetoed: tuple[DangerSign, ...] = ()

    @property
    def urgent(self) -> bool:
        return any(s.urgent for s in self.signs)

    @property
    def crisis(self) -> bool:
        return any(s.crisis for s in self.signs)

    @property
    def private(self) -> bool:
        return any(s.private for s in self.signs)

    @property
    def sign_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.signs)


@dataclass(frozen=True)
class MessageKinds:
    social_words: frozenset[str]
    social_max_words: int
    strong: tuple[Phrase, ...]
    future: tuple[Phrase, ...]
    general: tuple[Phrase, ...]
    conditional: frozenset[str]
    own: tuple[Phrase, ...]
    past: tuple[Phrase, ...]
    resolved: tuple[Phrase, ...]
    resolved_then: frozenset[str]
    openers: frozenset[str]
    question: frozenset[str]
    now: tuple[Phrase, ...]


def parse_message_kinds(root: Node, lang: Language) -> MessageKinds:
    root.mapping(required={"social", "hypothetical"})
    social = root.get("social")
    social.mapping(required={"words", "max_words"})
    hypo = root.get("hypothetical")
    hypo.mapping(required={"strong", "future", "general", "conditional", "own", "past", "resolved", "resolved_then", "openers",
                              "question", "now"})

    def phrases(key: str) -> tuple[Phrase, ...]:
        out = tuple(tuple(lang.tokens(p, fuzzy=False)) for p in hypo.get(key).str_list(min_len=1))
        if not all(out):
            raise hypo.error("a phrase has no words", f"hypothetical.{key}")
        return out

    def words_of(key: str) -> frozenset[str]:
        return frozenset(w for p in phrases(key) for w in p)

    words = frozenset(w for raw in social.get("words").str_list(min_len=1)
                      for w in [raw.lower(), *lang.tokens(raw, fuzzy=False)])
    return MessageKinds(words, social.get("max_words").int(min_value=1), phrases("strong"), phrases("future"),
                        phrases("general"),
                        frozenset(w for p in phrases("conditional") for w in p), phrases("own"), phrases("past"),
                        phrases("resolved"), words_of("resolved_then"), words_of("openers"),
                        frozenset(hypo.get("question").str_list(min_len=1)), phrases("now"))


def _has(tokens: Sequence[str], phrase: Phrase, gap: int = 3) -> bool:
    """The phrase's words occur in order, at most ``gap`` words between two of them."""
    return _start(tokens, phrase, gap) >= 0


def _start(tokens: Sequence[str], phrase: Phrase, gap: int = 3) -> int:
    """Where the phrase first starts (its words in order, at most ``gap`` words apart); -1 if nowhere."""
    n = len(tokens)
    for start in range(n):
        if tokens[start] != phrase[0]:
            continue
        pos, ok = start, True
        for word in phrase[1:]:
            nxt = next((j for j in range(pos + 1, min(n, pos + 2 + gap)) if tokens[j] == word), None)
            if nxt is None:
                ok = False
                break
            pos = nxt
        if ok:
            return start
    return -1


def _where(tokens: Sequence[str], phrase: Phrase) -> int:
    """Where the phrase (adjacent words) ends in ``tokens``, the last time; -1 if nowhere."""
    n = len(phrase)
    ends = [i + n for i in range(len(tokens) - n + 1) if tuple(tokens[i:i + n]) == phrase]
    return ends[-1] if ends else -1


def is_hypothetical(kinds: MessageKinds, tokens: Sequence[str], still: Callable[[list[str]], bool] | None = None) -> bool:
    """The message talks about signs that are not happening to this family now.

    ``still(words)``: whether a sign is found in the words after a "sekarang sudah ..." (then it is real).
    """
    if any(_has(tokens, p, 0) for p in kinds.now):
        return False
    if any(_has(tokens, p) for p in kinds.strong):
        return True
    future = [i for i in (_start(tokens, p) for p in kinds.future) if i >= 0]
    if future:  # a sign told before "kalau nanti …" is real ("dedek kejang, kalau nanti begini lagi?")
        return still is None or not still(list(tokens[: min(future)]))
    words = [t for t in tokens if t.isalpha() and t not in kinds.openers]
    asks = any(t in kinds.question for t in tokens)
    general = any(_has(tokens, p) for p in kinds.general) or bool(words and words[0] in kinds.conditional and asks)
    if general and not any(_has(tokens, p, 0) for p in kinds.own):
        return True
    resolved = max((end for end in (_where(tokens, p) for p in kinds.resolved)
                    if 0 <= end < len(tokens) and (tokens[end] in kinds.resolved_then or tokens[end][0].isdigit())),
                   default=-1)
    if resolved >= 0 and any(_has(tokens, p, 0) for p in kinds.past):
        return still is None or not still(list(tokens[resolved:]))
    return False


def told_as_now(kinds: MessageKinds, tokens: Sequence[str], still: Callable[[list[str]], bool]) -> bool:
    """The message says its sign is happening now: a phrase about now ("dari tadi", "barusan"), or a sign
    told before a "kalau nanti …" (``still(words)``: whether a sign is found in those words)."""
    if any(_has(tokens, p, 0) for p in kinds.now):
        return True
    future = [i for i in (_start(tokens, p) for p in kinds.future) if i >= 0]
    return bool(future) and still(list(tokens[: min(future)]))


def is_social(kinds: MessageKinds, text: str, tokens: Sequence[str]) -> bool:
    words = [t for t in tokens if t.isalpha()]
    if not text.strip() or len(words) > kinds.social_max_words:
        return False
    if any(t[0].isdigit() for t in tokens):
        return False
    raw = [w for w in text.lower().replace("-", " ").split()]
    raw_words = ["".join(ch for ch in w if ch.isalpha()) for w in raw]
    return all(w in kinds.social_words for w in words) or all(
        not w or w in kinds.social_words for w in raw_words)


class Model(Protocol):
    """The learned reader (content/danger_model.py)."""

    def __call__(self, text: str) -> Mapping[str, float]: ...  # probability per sign

    def combine(self, rules: Mapping[str, bool], scores: Mapping[str, float], urgent: Set[str],
                kept: Set[str] = frozenset(), negated: Set[str] = frozenset(),
                crisis: Set[str] = frozenset()) -> set[str]: ...

    def overrides_hypothetical(self, scores: Mapping[str, float]) -> bool: ...

    def small_talk(self, text: str, scores: Mapping[str, float]) -> bool: ...

    def not_health(self, text: str, scores: Mapping[str, float]) -> bool: ...

    def kind(self, text: str) -> tuple[str, float]: ...  # kind, its probability


def normalizer(lang: Language) -> Callable[[str], str]:
    """The words of a message as the rules read them (spelling, number words), for the learned reader."""
    return functools.partial(_normalized, lang)


def _normalized(lang: Language, text: str) -> str:
    return " ".join(lang.tokens(text, fuzzy=False))


def read(signs: Sequence[DangerSign], lang: Language, kinds: MessageKinds, text: str,
         model: Model | None = None) -> MessageReading:
    text = text or ""
    tokens = lang.tokens(text)
    hits = match_exact(signs, tokens, lang)
    found = [s for s, _ in hits]
    scores: Mapping[str, float] = {}
    if model is not None and text.strip():
        scores = model(text)
        still = lambda rest: bool(match_tokens(signs, rest, lang))  # noqa: E731
        crisis = {s.id for s in signs if s.urgent and s.crisis}
        kept = {s.id for s, _ in hits} if hits and told_as_now(kinds, tokens, still) else crisis
        ids = model.combine({s.id: exact for s, exact in hits}, scores, {s.id for s in signs if s.urgent}, kept,
                            negated_signs(signs, tokens, lang, {s.id for s, _ in hits}), crisis)
        found = sorted([s for s in signs if s.id in ids], key=lambda s: (not s.urgent, signs.index(s)))
    named = sorted({*found, *(s for s, _ in hits)}, key=lambda s: (not s.urgent, signs.index(s)))
    hypothetical = bool(named) and is_hypothetical(
        kinds, tokens, lambda rest: bool(match_tokens(signs, rest, lang)))
    if hypothetical and found and model is not None and model.overrides_hypothetical(scores):
        hypothetical = False  # the reader is sure something urgent is told now
    if found and not hypothetical:
        return MessageReading(tuple(found), "danger", False, scores)
    if not named and model is not None and scores and model.small_talk(text, scores):
        return MessageReading((), "social", False, scores)  # "bayi sehat, makasih bu": no rule hit, read as social
    if not named and model is not None and scores and model.not_health(text, scores):
        return MessageReading((), "other", False, scores)  # "tolong belikan popok, Yah": an errand, not health
    if named or lang.mentions_health(text) or any(t[0].isdigit() for t in tokens):
        # a rule hit the model vetoed still makes the message about health (it reaches the midwife)
        vetoed = () if hypothetical else tuple(s for s in named if s not in found)
        return MessageReading((), "health", hypothetical, scores, tuple(named) if hypothetical else (), vetoed)
    if is_social(kinds, text, tokens):
        return MessageReading((), "social", False, scores)
    if model is not None and text.strip():
        kind, p = model.kind(text)  # words the rules do not know ("ambo raso ancua")
        if kind in ("danger", "health") and p >= 0.5:
            return MessageReading((), "health", False, scores)
        if kind == "social" and p >= 0.6 and len(tokens) <= kinds.social_max_words:
            return MessageReading((), "social", False, scores)
    return MessageReading((), "other", False, scores)
