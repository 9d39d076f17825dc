"""Loading the danger-sign rules: danger_language.yaml into a :class:`Language`, danger_signs.yaml into
:class:`DangerSign` objects with their patterns compiled (content/danger.py applies them)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from content.danger import (
    SUBJECT_MODES,
    WHO,
    DangerSign,
    Language,
    Measure,
    Pattern,
    Phrase,
    Slot,
)
from content.danger_numbers import parse_number_words
from content.errors import ContentError
from content.schema import Node, unique_ids
from content.sources import Source, read_source

# -- loading ---------------------------------------------------------------------------------------

def read_lexicon(path: Path, lang: Language) -> dict[str, str]:
    """danger_lexicon.tsv (variant, standard, language; "#" comments): regional and chat words read as their
    standard word. A word the rules already know keeps its own reading; the entries are never targets of the
    typing-slip correction (they join the spelling after the vocabulary is fixed)."""
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 3 or not cols[0].isalpha() or not cols[1].isalpha() or cols[0] != cols[0].lower():
            raise ContentError(f"{path.name}:{n}: not 'variant<TAB>standard<TAB>language' of single lower-case words")
        if cols[0] not in lang.spelling and cols[0] not in lang.vocabulary:
            out[cols[0]] = cols[1]
    return out


def parse_language(root: Node) -> Language:
    keys = {"spelling", "reduplication_adds", "suffixes", "fuzzy", "clause_breaks", "subjects", "address_words",
            "negations", "negation_skip", "negation_lists", "negation_after", "slot_window", "concepts"}
    root.mapping(required=keys, allowed=keys | {"numbers", "question_tags", "joining_breaks"})
    spelling: dict[str, str] = {}
    for standard, node in root.get("spelling").items():
        for variant in node.str_list(min_len=1):
            spelling[variant.lower()] = standard
    subjects: dict[str, str] = {}
    phrases: list[tuple[Phrase, str]] = []
    for who, node in root.get("subjects").items():
        if who not in ("baby", "mother", "other", "child"):
            raise node.error(f"{who!r} is not one of baby, mother, other, child")
        for w in node.str_list(min_len=1):
            words = tuple(w.lower().split())
            subjects[words[0]] = who
            phrases.append((words, who))
    phrases.sort(key=lambda p: -len(p[0]))
    fuzzy = root.get("fuzzy")
    fuzzy.mapping(required={"min_length", "keep"})
    concepts = {name: node.str_list(min_len=1) for name, node in root.get("concepts").items()}
    lang = Language(
        spelling=spelling,
        reduplication_adds=root.get("reduplication_adds").str(),
        suffixes=root.get("suffixes").str_list(min_len=1),
        fuzzy_min_length=fuzzy.get("min_length").int(min_value=3),
        fuzzy_keep=frozenset(fuzzy.get("keep").str_list()),
        clause_breaks=frozenset(root.get("clause_breaks").str_list(min_len=1)),
        subjects=subjects,
        subject_phrases=tuple(phrases),
        address_words=frozenset(root.get("address_words").str_list()),
        negations=frozenset(root.get("negations").str_list(min_len=1)),
        negation_skip=frozenset(root.get("negation_skip").str_list()),
        negation_lists=frozenset(root.get("negation_lists").str_list()),
        negation_after=(),
        slot_window=root.get("slot_window").int(min_value=0, max_value=20),
        concepts=concepts,
        numbers=parse_number_words(root.get("numbers")) if root.has("numbers") else None,
        question_tags=frozenset(root.get("question_tags").str_list()) if root.has("question_tags") else frozenset(),
        joining_breaks=frozenset(root.get("joining_breaks").str_list()) if root.has("joining_breaks") else frozenset(),
    )
    after = tuple(tuple(lang.tokens(p, fuzzy=False)) for p in root.get("negation_after").str_list())
    object.__setattr__(lang, "negation_after", after)
    for name in concepts:
        try:
            lang.expand(f"@{name}")
        except KeyError as exc:
            raise root.error(f"concept uses an unknown or circular group: {exc}", f"concepts.{name}") from None
    return lang


def _compile_part(lang: Language, node: Node, spec: str) -> tuple[Phrase, ...]:
    try:
        phrases = tuple(lang.expand(spec))
    except KeyError as exc:
        raise node.error(f"unknown word group {exc}") from None
    if not phrases:
        raise node.error("a pattern part has no words")
    return phrases


def _compile_pattern(lang: Language, node: Node) -> Pattern:
    if isinstance(node.value, dict):
        node.mapping(allowed={"subject"}, required={"match"})
        raw = node.get("match").str()
        subject = node.get("subject").choice(SUBJECT_MODES) if node.has("subject") else "any"
    else:
        raw = node.str()
        subject = "any"
    slots = []
    for part in raw.split(" + "):
        part = part.strip()
        negated = part.startswith("-")
        slots.append(Slot(_compile_part(lang, node, part.lstrip("-")), negated))
    return Pattern(raw, tuple(slots), subject)


def _compile_measure(lang: Language, node: Node) -> Measure:
    node.mapping(allowed={"at_least", "at_most", "below", "decimal_is_cue", "not_followed_by", "subject",
                          "pair_at_least", "pair_is_cue", "ambient", "hot"},
                 required={"cue", "range"})
    rng = node.get("range").list(min_len=2)
    low, high = (float(n.value) for n in rng[:2])

    def num(key: str) -> float | None:
        if not node.has(key):
            return None
        value = node.get(key).value
        if not isinstance(value, int | float):
            raise node.error("expected a number", f"{node.key}.{key}")
        return float(value)

    m = Measure(
        cue=_compile_part(lang, node, node.get("cue").str()), low=low, high=high,
        at_least=num("at_least"), at_most=num("at_most"), below=num("below"),
        decimal_is_cue=node.get("decimal_is_cue").bool() if node.has("decimal_is_cue") else False,
        not_followed_by=frozenset(w for p in _compile_part(lang, node, node.get("not_followed_by").str())
                                  for w in p) if node.has("not_followed_by") else frozenset(),
        subject=node.get("subject").choice(SUBJECT_MODES) if node.has("subject") else "any",
        pair_at_least=num("pair_at_least"),
        pair_is_cue=node.get("pair_is_cue").bool() if node.has("pair_is_cue") else False,
        ambient=_compile_part(lang, node, node.get("ambient").str()) if node.has("ambient") else (),
        hot=_compile_part(lang, node, node.get("hot").str()) if node.has("hot") else (),
    )
    if m.at_least is None and m.at_most is None and m.below is None:
        raise node.error("a measure needs at_least, at_most or below")
    return m


def parse_danger_signs(root: Node, sources: dict[str, Source], lang: Language | None = None) -> tuple[DangerSign, ...]:
    root.mapping(required={"signs"})
    nodes = root.get("signs").list(min_len=1)
    out = []
    for node in nodes:
        node.mapping(
            allowed={"note", "unless", "measures", "on_the_way", "private", "crisis", "patterns", "answer_only"},
            required={"id", "who", "text", "urgent", "advice", "source"},
        )
        # answer_only: raised only by a marked answer (the safety check), never looked for in typed text
        answer_only = node.get("answer_only").bool() if node.has("answer_only") else False
        if answer_only and node.has("patterns"):
            raise node.get("patterns").error("a sign raised only by an answer has no patterns")
        pattern_nodes = node.get("patterns").list(min_len=1) if not answer_only else []
        compiled = tuple(_compile_pattern(lang, n) for n in pattern_nodes) if lang else ()
        unless = node.get("unless").str_list(min_len=1) if node.has("unless") else ()
        compiled_unless = tuple(_compile_part(lang, node, u) for u in unless) if lang else ()
        measures = tuple(_compile_measure(lang, n) for n in node.get("measures").list(min_len=1)) \
            if lang and node.has("measures") else ()
        source, note = read_source(node, sources)
        out.append(DangerSign(
            id=node.get("id").ident(),
            who=node.get("who").choice(WHO),
            text=node.get("text").str(),
            urgent=node.get("urgent").bool(),
            advice=node.get("advice").str(),
            patterns=tuple(n.value if isinstance(n.value, str) else n.value.get("match", "") for n in pattern_nodes),
            source=source,
            note=note,
            unless=unless,
            on_the_way=node.get("on_the_way").str() if node.has("on_the_way") else None,
            private=node.get("private").bool() if node.has("private") else False,
            crisis=node.get("crisis").bool() if node.has("crisis") else False,
            compiled=compiled,
            compiled_unless=compiled_unless,
            measures=measures,
        ))
    unique_ids([(s.id, n) for s, n in zip(out, nodes, strict=True)], "danger sign")
    return tuple(out)


def known_words(lang: Language, signs: Iterable[DangerSign]) -> frozenset[str]:
    """Every word the rules use: the only words a typing slip is corrected to."""
    words: set[str] = set(lang.spelling) | set(lang.spelling.values()) | set(lang.subjects)
    words |= lang.negations | lang.negation_skip | lang.negation_lists | lang.fuzzy_keep | lang.address_words
    for name in lang.concepts:
        for p in lang.expand(f"@{name}"):
            words.update(p)
    for s in signs:
        for pat in s.compiled:
            for slot in pat.slots:
                for p in slot.phrases:
                    words.update(p)
    fixed = set(lang.spelling) | set(lang.subjects)

    def suffixed(w: str) -> bool:  # "darahnya" in a phrase: the word is read as "darah" + "nya"
        return w not in fixed and any(w.endswith(x) and len(w) - len(x) >= 3 and w[: -len(x)] in words
                                      for x in ("nya", "nyo", "nye"))

    return frozenset(w for w in words if w.isalpha() and not suffixed(w))
