"""Danger signs for the newborn and the mother (``danger_signs.yaml``) and how free text is read for them
(``danger_language.yaml``).

Every rule is data; this module only applies it. Reading a message (details in danger_language.yaml):
the text is normalised (decimal commas, reduplication, chat spelling, suffixes, one-slip typos), cut into
clauses, and each sign's patterns are looked for inside one clause, with whose sign it is (baby / mother /
someone else), negation ("tidak demam", "demamnya sudah tidak ada") and normal descriptions ("pup kuning")
taken into account. A stated number with its cue ("38,5 derajat", "napas 70 kali") is compared with the
sign's thresholds.

``normalize`` (lower case, one space between words) is also used by the answer lexicon.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources

from content.danger_numbers import NumberWords

WHO = ("baby", "mother")
SUBJECT_MODES = ("any", "named")
SUFFIXES = ("nya", "lah", "kah", "pun")


def normalize(text: str) -> str:
    """Lowercase, every run of non-letters/digits becomes one space."""
    text = re.sub(r"-(nya|lah|kah|pun)\b", r"\1", text.lower())  # "BAB-nya" -> "babnya"
    return " ".join(re.sub(r"[^\w]+|_", " ", text).split())


# -- the language rules ---------------------------------------------------------------------------

Phrase = tuple[str, ...]


# A word of letters and two or more runs of digits ("uhn3azk39c", a registration code) holds no measurement;
# "2x24jam" (twice 24 hours) is kept. Letters glued on both sides of one run of digits are a code unless both
# sides are words ("suhu39c" is kept).
_GLUED = re.compile(r"(?<![a-z0-9])([a-z]+)(\d+)([a-z]+)(?![a-z0-9])")
_CODE_LIKE = re.compile(r"(?<![a-z0-9])(?!\d+x\d)(?=[a-z0-9]*[a-z])[a-z0-9]*\d+[a-z]+\d[a-z0-9]*(?![a-z0-9])")


@dataclass(frozen=True)
class Language:
    spelling: Mapping[str, str]  # variant -> standard word
    reduplication_adds: str
    suffixes: tuple[str, ...]
    fuzzy_min_length: int
    fuzzy_keep: frozenset[str]
    clause_breaks: frozenset[str]
    subjects: Mapping[str, str]  # first word of a person phrase -> baby | mother | other
    subject_phrases: tuple[tuple[Phrase, str], ...]  # ("si", "kecil") -> baby, longest first
    address_words: frozenset[str]
    negations: frozenset[str]
    negation_skip: frozenset[str]
    negation_lists: frozenset[str]
    negation_after: tuple[Phrase, ...]
    slot_window: int
    concepts: Mapping[str, tuple[str, ...]]  # name -> raw phrases (may name other concepts)
    vocabulary: frozenset[str] = frozenset()  # every word the rules know (filled by the loader)
    numbers: NumberWords | None = None  # number words -> digits, count and duration markers
    question_tags: frozenset[str] = frozenset()  # "normal nggak ...": the negation asks, it does not negate
    joining_breaks: frozenset[str] = frozenset()  # "," and "dan": the next clause may continue the topic

    def tokens(self, text: str, *, fuzzy: bool = True) -> list[str]:
        """The message as standard words; punctuation that ends a clause is kept as a token."""
        text = text.lower().replace("°", " derajat ").replace("\n", " . ")
        text = _CODE_LIKE.sub(" ", text)  # "uhn3azk39c" is a code, not 39 degrees
        text = _GLUED.sub(lambda m: m.group(0) if self._known(m.group(1)) and self._known(m.group(3)) else " ",
                          text)  # "c42xhchr" is a code; "suhu39c" is a temperature
        text = re.sub(r"(\d+)[,.](\d+)", r"\1.\2", text)
        text = re.sub(r"(\d+)\s+koma\s+(\d+)", r"\1.\2", text)
        text = re.sub(r"(\d{2,3})\s*/\s*(\d{2,3})", r"\1 per \2", text)  # "160/110": blood pressure
        text = re.sub(r"(\d)(?=[a-z])", r"\1 ", text)  # "39derajat", "3x"
        text = re.sub(r"-(" + "|".join(self.suffixes) + r")\b", r"\1", text)
        text = re.sub(r"\b([a-z]{2,})2(an|nya)?\b", r"\1 \1\2", text)  # "kejang2", "ngos2an"
        text = re.sub(r"([a-z])-(?=[a-z])", r"\1 ", text)  # "kejang-kejang", "ngos-ngosan"
        raw = re.findall(r"\d+(?:\.\d+)?|[a-z]+|[.,;!?]", text)
        if self.numbers is not None:
            raw = self.numbers.read(raw)
        out: list[str] = []
        for tok in raw:
            tok = re.sub(r"([a-z])\1{2,}", r"\1", tok)  # "bangeeet" -> "banget"
            for word in self._word(tok, fuzzy):
                if out and word == out[-1] and word.isalpha() and word not in self.clause_breaks:
                    if self.reduplication_adds and (len(out) < 2 or out[-2] != word):
                        out.append(self.reduplication_adds)  # "kejang kejang" -> "kejang terus"
                    continue
                if out and out[-1] == self.reduplication_adds and len(out) >= 2 and out[-2] == word:
                    continue
                out.append(word)
        return out

    def _known(self, word: str) -> bool:
        """A word the rules know, alone or with a possessive suffix ("bayiku")."""
        stems = [word] + [word[: -len(x)] for x in self.suffixes if word.endswith(x) and len(word) > len(x)]
        return any(w in self.vocabulary or w in self.spelling for w in stems)

    def mentions_health(self, text: str) -> bool:
        """The text names the body, the baby, blood, pain, fever or breathing (the safety net's words)."""
        tokens = self.tokens(text)
        return bool(_occurrences(tokens, self.expand("@safety_net")))

    def _word(self, tok: str, fuzzy: bool) -> list[str]:
        if not tok.isalpha():
            return [tok]
        if tok in self.spelling:
            return [self.spelling[tok]]
        if tok in self.vocabulary:
            return [tok]
        for suffix in self.suffixes:
            stem = tok[: -len(suffix)]
            if tok.endswith(suffix) and len(stem) >= 2 and (stem in self.vocabulary or stem in self.spelling):
                stem = self.spelling.get(stem, stem)
                return [stem, "ku"] if suffix == "ku" else [stem]
        if fuzzy and len(tok) >= self.fuzzy_min_length and tok not in self.fuzzy_keep \
                and tok not in indonesian_words():
            fixed = self._one_slip(tok)
            if fixed is not None:
                return [self.spelling.get(fixed, fixed)]
        return [tok]

    def _one_slip(self, tok: str) -> str | None:
        """The one known word a single typing slip away from ``tok`` (None if none or several)."""
        from rapidfuzz.distance import OSA
        from rapidfuzz.process import extract

        found = extract(tok, self._fuzzy_words, scorer=OSA.distance, score_cutoff=1, limit=3)
        best = [w for w, d, _ in found if d == 1]
        return best[0] if len(best) == 1 else None

    @property
    def _fuzzy_words(self) -> list[str]:
        cached = self.__dict__.get("_fuzzy_cache")
        if cached is None:
            cached = sorted(w for w in self.vocabulary if len(w) >= self.fuzzy_min_length)
            object.__setattr__(self, "_fuzzy_cache", cached)
        return cached

    def expand(self, spec: str, *, seen: tuple[str, ...] = ()) -> list[Phrase]:
        """One alternative list ("@tali_pusat|pusar") as word tuples."""
        out: list[Phrase] = []
        for alt in spec.split("|"):
            alt = alt.strip()
            if not alt:
                continue
            words = alt.split()
            options: list[list[str]] = [[]]
            for w in words:
                if w.startswith("@"):
                    name = w[1:]
                    if name in seen:
                        raise KeyError(f"@{name} names itself")
                    subs = [list(p) for raw in self.concepts[name] for p in self.expand(raw, seen=(*seen, name))]
                    options = [o + s for o in options for s in subs]
                else:
                    options = [o + self.tokens(w, fuzzy=False) for o in options]
            out.extend(tuple(o) for o in options if o)
        return list(dict.fromkeys(out))


@functools.cache
def indonesian_words() -> frozenset[str]:
    """About 30,000 Indonesian root words (the dictionary shipped with Sastrawi, the Indonesian stemmer).

    A real word is never "corrected" into a sign word ("sejak" is not a slip of "sesak").
    """
    data = resources.files("Sastrawi") / "Stemmer" / "data" / "kata-dasar.txt"
    return frozenset(w.strip() for w in data.read_text(encoding="utf-8").split() if w.strip())


# -- the signs ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Slot:
    phrases: tuple[Phrase, ...]
    negated: bool  # "-part": the part must itself be negated


@dataclass(frozen=True)
class Pattern:
    raw: str
    slots: tuple[Slot, ...]
    subject: str = "any"  # any: unless the clause names someone else | named: the clause names the sign's person


@dataclass(frozen=True)
class Measure:
    cue: tuple[Phrase, ...]
    low: float
    high: float
    at_least: float | None = None
    at_most: float | None = None
    below: float | None = None
    decimal_is_cue: bool = False
    not_followed_by: frozenset[str] = frozenset()
    subject: str = "any"
    pair_at_least: float | None = None  # "150 per 95": the second number's threshold (blood pressure)
    pair_is_cue: bool = False  # "160/110" needs no cue word
    ambient: tuple[Phrase, ...] = ()  # the clause names the air ("cuaca", "ruangan"): its numbers are not a body's
    hot: tuple[Phrase, ...] = ()  # the clause says hot ("gerah"): a value only ``below`` fires on is the weather

    def fires(self, value: float) -> bool:
        return self.fires_above(value) or (self.below is not None and value < self.below)

    def fires_above(self, value: float) -> bool:
        return (self.at_least is not None and value >= self.at_least) or (self.at_most is not None and value <= self.at_most)


@dataclass(frozen=True)
class DangerSign:
    id: str
    who: str  # "baby" | "mother"
    text: str  # Indonesian wording of the sign
    urgent: bool  # True: go to a health facility now; False: contact the midwife today
    advice: str
    patterns: tuple[str, ...]
    source: tuple[str, ...]
    note: str | None = None
    unless: tuple[str, ...] = ()
    on_the_way: str | None = None
    private: bool = False  # a disclosure of feelings: not passed on to the other family member
    crisis: bool = False  # the reply gives the mental-health crisis line
    compiled: tuple[Pattern, ...] = field(default=(), compare=False, repr=False)
    compiled_unless: tuple[tuple[Phrase, ...], ...] = field(default=(), compare=False, repr=False)
    measures: tuple[Measure, ...] = field(default=(), compare=False, repr=False)


# -- matching -------------------------------------------------------------------------------------

def _occurrences(tokens: Sequence[str], phrases: Iterable[Phrase],
                 index: Mapping[str, list[int]] | None = None) -> list[tuple[int, int]]:
    """Where the phrases occur in ``tokens`` ((start, end) word positions); ``index``: word -> positions."""
    if index is None:
        index = _index(tokens)
    found = set()
    for p in phrases:
        n = len(p)
        for i in index.get(p[0], ()):
            if tuple(tokens[i:i + n]) == p:
                found.add((i, i + n))
    return sorted(found)


def _index(tokens: Sequence[str]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, t in enumerate(tokens):
        out.setdefault(t, []).append(i)
    return out


def _negated(lang: Language, tokens: Sequence[str], start: int, end: int) -> bool:
    j, budget, free = start - 1, 6, 0
    while j >= 0 and budget > 0:
        t = tokens[j]
        if t in lang.negations:
            if j >= 1 and tokens[j - 1] in lang.question_tags:
                return False  # "normal nggak BAB bayi warnanya abu-abu?": a question, not a negation
            return not (j >= 1 and tokens[j - 1] in lang.negations)  # "tidak berhenti menangis"
        if t in lang.negation_skip:
            pass
        elif t in lang.negation_lists:
            free += 3
        elif free > 0:
            free -= 1
        else:
            break
        j -= 1
        budget -= 1
    rest = tuple(tokens[end:end + 4])
    return any(rest[: len(p)] == p for p in lang.negation_after)


@dataclass
class _Clause:
    tokens: list[str]
    markers: list[tuple[int, str]]  # (position, baby|mother|other)
    carried: str | None  # the person named last before this clause
    index: dict[str, list[int]] = field(default_factory=dict)  # word -> positions

    def find(self, phrases: Iterable[Phrase]) -> list[tuple[int, int]]:
        return _occurrences(self.tokens, phrases, self.index)


def _clauses(lang: Language, tokens: list[str]) -> list[_Clause]:
    """The clauses; a clause after "," or "dan" that names no person is also read joined to the one before
    ("tali pusar bayi basah terus, baunya tidak enak"), so a sign's parts may sit on both sides."""
    parts: list[list[str]] = [[]]
    joins: list[bool] = [False]
    for t in tokens:
        if t in lang.clause_breaks:
            if parts[-1]:
                parts.append([])
                joins.append(t in lang.joining_breaks)
            elif t not in lang.joining_breaks:
                joins[-1] = False
        else:
            parts[-1].append(t)
    kept = [(p, j) for p, j in zip(parts, joins, strict=True) if p]
    parts, joins = [p for p, _ in kept], [j for _, j in kept]
    out = _read_clauses(lang, parts)
    joined = [_read_clauses(lang, [parts[i - 1] + parts[i]])[0]
              for i in range(1, len(parts)) if joins[i] and not out[i].markers]
    for c in joined:
        c.carried = None
    return out + joined


def _read_clauses(lang: Language, parts: list[list[str]]) -> list[_Clause]:
    out: list[_Clause] = []
    carried: str | None = None
    for part in parts:
        if not part:
            continue
        markers: list[tuple[int, str]] = []
        covered = 0  # "mama dedek": the words of a person phrase are one person
        for i, t in enumerate(part):
            if i < covered:
                continue
            who = None
            for phrase, person in lang.subject_phrases:
                if tuple(part[i:i + len(phrase)]) == phrase:
                    who = person
                    covered = i + len(phrase)
                    break
            if who is None:
                continue
            if i + 1 < len(part) and part[i + 1] in lang.address_words:
                continue  # "bu bidan"
            if t in ("saya", "aku", "ku") and i > 0 and part[i - 1] in lang.subjects \
                    and part[i - 1] not in ("saya", "aku", "ku", "nifas"):
                continue  # "bayi saya", "istri saya": possessive
            if who in ("baby", "child") and markers and markers[-1][1] == "other" and i - markers[-1][0] <= 3:
                who = "other"  # "sepupu saya bayinya", "teman aku bayinya": someone else's baby
            markers.append((i, who))
        out.append(_Clause(part, markers, carried, _index(part)))
        if markers:
            carried = markers[-1][1]
    return out


def _subject(clause: _Clause, spans: Sequence[tuple[int, int]]) -> str | None:
    inside = {i for s, e in spans for i in range(s, e)}
    first, last = min(s for s, _ in spans), max(e for _, e in spans)
    usable = [(i, w) for i, w in clause.markers if i not in inside]
    before = [w for i, w in usable if i < first]
    if before:
        return before[-1]
    between = [w for i, w in usable if first <= i < last]
    if between:
        return between[0]
    after = [w for i, w in usable if i >= last]
    if after:
        return after[0]
    return clause.carried


def _subject_ok(mode: str, subject: str | None, who: str) -> bool:
    if subject == "child":  # "anak saya": the baby, or (a grandmother writing) the mother
        return mode == "any" or who == "baby"
    if mode == "named":
        return subject == who
    return subject is None or subject == who


def _pattern_spans(lang: Language, clause: _Clause, pattern: Pattern) -> list[tuple[int, int]] | None:
    tokens = clause.tokens
    per_slot = []
    for slot in pattern.slots:
        occ = [(s, e) for s, e in clause.find(slot.phrases)
               if _negated(lang, tokens, s, e) == slot.negated]
        if not occ:
            return None
        per_slot.append(occ)
    best: list[tuple[int, int]] | None = None

    def walk(i: int, chosen: list[tuple[int, int]]) -> None:
        nonlocal best
        if best is not None:
            return
        if i == len(per_slot):
            words = sum(e - s for s, e in chosen)
            span = max(e for _, e in chosen) - min(s for s, _ in chosen)
            if span - words <= lang.slot_window * (len(chosen) - 1):
                best = list(chosen)
            return
        for s, e in per_slot[i]:
            if all(e <= s2 or s >= e2 for s2, e2 in chosen):
                walk(i + 1, [*chosen, (s, e)])

    walk(0, [])
    return best


def _numbers(tokens: Sequence[str]) -> list[tuple[int, float, bool]]:
    out = []
    for i, t in enumerate(tokens):
        if re.fullmatch(r"\d+(?:\.\d+)?", t):
            out.append((i, float(t), "." in t))
    return out


def _pairs(tokens: Sequence[str], m: Measure, cued: bool, paired: set[int]) -> list[tuple[int, bool]]:
    """Each pair "A per B" (blood pressure) with its place: True above a threshold, False stated normal."""
    out: list[tuple[int, bool]] = []
    for i in range(len(tokens) - 2):
        if tokens[i + 1] != "per" or not (tokens[i].replace(".", "").isdigit()
                                         and tokens[i + 2].replace(".", "").isdigit()):
            continue
        high, low = float(tokens[i]), float(tokens[i + 2])
        if not (m.low <= high <= m.high and 30 <= low < high) or not (cued or m.pair_is_cue):
            continue
        paired.update((i, i + 2))
        out.append((i, (m.at_least is not None and high >= m.at_least)
                    or (m.pair_at_least is not None and low >= m.pair_at_least)))
    return out


def _measured(lang: Language, sign: DangerSign, clause: _Clause, said_hot: bool = False) -> list[bool]:
    """The stated numbers for the sign in the order told: True beyond its threshold, False in the normal range.
    ``said_hot``: the message says hot somewhere (a measure's ``hot`` words)."""
    tokens = clause.tokens
    for phrases in sign.compiled_unless:
        if clause.find(phrases):
            return []
    readings: list[tuple[int, bool]] = []
    for m in sign.measures:
        if m.ambient and clause.find(m.ambient):
            continue  # "cuaca hari ini 35 derajat": the air's temperature
        cue_spans = clause.find(m.cue)
        paired: set[int] = set()
        if m.pair_at_least is not None:  # whose pressure: "tensi ibu mertua 160/100" is not the mother's
            readings += [(i, v) for i, v in _pairs(tokens, m, bool(cue_spans), paired)
                         if _subject_ok(m.subject, _subject(clause, [(i, i + 3)]), sign.who)]
        for i, value, decimal in _numbers(tokens):
            if i in paired or not (m.low <= value <= m.high) or (decimal and not m.decimal_is_cue):
                continue  # a count is a whole number ("napas 38,1" is a temperature, not a breath rate)
            if (i + 1 < len(tokens) and tokens[i + 1] in m.not_followed_by) or not (
                    [c for c in cue_spans if not (c[0] <= i < c[1])] or (decimal and m.decimal_is_cue)):
                continue
            if not _subject_ok(m.subject, _subject(clause, [(i, i + 1)]), sign.who) or (
                    said_hot and m.hot and m.fires(value) and not m.fires_above(value)):
                continue  # someone else's; "panas banget hari ini, 34 derajat": a cold reading said hot is the weather
            readings.append((i, m.fires(value)))
    at: dict[int, bool] = {}
    for i, verdict in readings:  # one number, several measures ("38" is no cold baby): beyond if any fires
        at[i] = at.get(i, False) or verdict
    return [at[i] for i in sorted(at)]


def _sign_in_clause(lang: Language, sign: DangerSign, clause: _Clause) -> bool:
    for phrases in sign.compiled_unless:
        if clause.find(phrases):
            return False
    for pattern in sign.compiled:
        spans = _pattern_spans(lang, clause, pattern)
        if spans is None:
            continue
        subject = _subject(clause, spans)
        if sign.crisis and pattern.subject == "any":
            if subject != "other":  # the mother's mind: "bayi kami ditukar", "anak saya (ibunya) tidak tidur"
                return True
        elif _subject_ok(pattern.subject, subject, sign.who):
            return True
    return False


def match_signs(signs: Sequence[DangerSign], free_text: str, lang: Language) -> list[DangerSign]:
    """Signs found in ``free_text``; urgent ones first, otherwise in file order."""
    return match_tokens(signs, lang.tokens(free_text), lang)


def match_tokens(signs: Sequence[DangerSign], tokens: list[str], lang: Language) -> list[DangerSign]:
    """Signs found in a message already cut into words (``Language.tokens``)."""
    return [s for s, _ in match_exact(signs, tokens, lang)]


def match_exact(signs: Sequence[DangerSign], tokens: list[str], lang: Language) -> list[tuple[DangerSign, bool]]:
    """Signs found, each with whether the hit is exact (a stated number beyond the sign's threshold) rather
    than a phrase, which a look-alike can also match (content/reading.py weighs the two differently)."""
    clauses = _clauses(lang, tokens)
    hits = []
    for s in signs:
        hot = any(c.find(m.hot) for m in s.measures if m.hot for c in clauses)
        measured = [v for c in clauses for v in _measured(lang, s, c, hot)] if s.measures else []
        if any(measured):
            # exact when the last reading told is beyond the threshold; a reading beyond it followed by a
            # normal one ("tadi 37,6 …, sekarang 36,8", "140/90 …, diulang 118/78") is a phrase-like hit:
            # it stands unless the learned reader reads the whole message as calm
            hits.append((s, measured[-1]))
        elif False in measured:
            continue  # a stated, normal value outweighs vaguer words ("37,1, apakah itu demam?")
        elif any(_sign_in_clause(lang, s, c) for c in clauses):
            hits.append((s, False))
    return sorted(hits, key=lambda h: not h[0].urgent)

