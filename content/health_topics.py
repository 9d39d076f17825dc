"""The bot's own answers to harmless health questions of the first week (content/health_answers.yaml).

``topics().match(text)`` finds the topic a message asks about, with the danger rules' tokenizer and spelling
normaliser (content/danger.py ``Language``), so chat spelling and regional words read the same way.
``answerable(reading, text)`` decides whether the bot may answer at all: never a message with a danger sign
(reported, hypothetical, or found by the rules and dropped by the learned reader), never one the learned reader scores near a sign (``max_sign_score``, on its per-sign
probabilities). A message about neither the body nor the
baby (the reader's kind 'other', and the model's "any sign" head below ``max_sign_score``) that fits no
topic gets the ``not_health`` topic: a short kind reply that
says where to ask; never when it names the family's care with the midwife (``to_midwife``: a check-up, a
visit), which she answers. Small talk a little longer than message_kinds.yaml allows is recognised by ``small_talk``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from content import danger_corpus, danger_model, topic_model
from content.danger import Language, Phrase, _negated, indonesian_words
from content.danger_model import ANY, HEADS
from content.errors import ContentError
from content.loader import CONTENT_DIR, get_content
from content.reading import MessageReading, normalizer
from content.schema import Node, load_yaml
from content.topic_model import TopicModel

log = logging.getLogger(__name__)

FILE = "health_answers.yaml"
# Words of to_midwife that families also use to address her ("bu bidan, ..."): naming one is not asking about
# the care she gives, so the topic reader may still answer.
_ADDRESS = frozenset({("bidan",), ("dokter",)})
Part = tuple[Phrase, ...]  # alternatives, one must occur


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    patterns: tuple[tuple[Part, ...], ...]
    answer: str
    go_now: str
    forward: bool
    source: tuple[str, ...]
    covers: frozenset[str] = frozenset()
    strict: bool = False  # never answers a message naming a finding it does not speak about, however quiet


@dataclass(frozen=True)
class LearnedSettings:
    """When the learned topic reader (content/topic_model.py) may answer a message no pattern fits."""
    probability: float = 1.01  # its guess is used from this probability (1.01: never)
    quiet_any: float = 0.0  # ... and only when the danger reader's "any sign" head is below this
    C: float = 10.0  # noqa: N815 - scikit-learn's name


@dataclass(frozen=True)
class HealthTopics:
    topics: tuple[Topic, ...]
    lang: Language
    social_core: frozenset[str]
    social_words: frozenset[str]
    social_max_other: int
    social_max_words: int
    max_sign_score: float
    concerns: tuple[Phrase, ...] = ()
    not_health: str | None = None  # the topic for a message about neither the body nor the baby
    to_midwife: tuple[Phrase, ...] = ()  # words of the family's care with the midwife: never "not health"
    forward_any: float = 1.01  # the "any sign" head from which an answered message is also forwarded
    own_words: Mapping[str, str] = field(default_factory=dict)  # raw word -> word, before the rules'
    quiet_any: float = 0.0  # below this "any sign" head the reader is sure no sign is told (see ``quiet``)
    always_heard: tuple[Phrase, ...] = ()  # concerns a quiet reading never waives: feelings, urgency
    forward_hypothetical: float = 1.01  # the "any sign" head from which a hypothetical's answer is also forwarded
    learned: LearnedSettings = field(default_factory=lambda: LearnedSettings())  # the topic reader's use
    not_news: frozenset[str] = frozenset()  # negations, question and condition words: never the thanks' guess

    def must_forward(self, reading: MessageReading | None) -> bool:
        """The bot may answer, but the learned reader's whole-message head says a sign may be in it: a person
        reads it too (the reader knows that something is reported better than which sign it is)."""
        return _any_at_least(reading, self.forward_any)

    def forward_hypothetical_too(self, reading: MessageReading | None) -> bool:
        """A question about a sign ("mencret 5x sehari wajar?") where the "any sign" head says it may be told after
        all (below ``forward_any``: a told sign hides most in a question), or one naming an urgent sign of the
        mind ("pengen tidur aja gak bangun2 lagi wkwk"): the information, and a person reads it too."""
        mind = reading is not None and any(s.crisis and s.urgent for s in reading.mentioned)
        return mind or _any_at_least(reading, self.forward_hypothetical)

    def quiet(self, reading: MessageReading | None) -> bool:
        """The learned reader is sure that no sign is told (its "any sign" head below ``quiet_any``): a topic may
        answer although the rules matched a look-alike the reader vetoed, or the message names a finding the
        topic does not speak about (the topic's go-now line and "Teruskan ke bidan" stay with the answer);
        not both at once. Never for feelings or urgency (``always_heard``)."""
        return bool(reading is not None and reading.scores) and reading.scores.get(ANY, 1.0) < self.quiet_any

    def calm(self, reading: MessageReading | None) -> bool:
        """The learned reader sees no sign near: the bot may close the message with a reply of its own (small
        talk); otherwise a person reads it, like a topic near a sign."""
        return reading is None or not reading.scores or reading.scores.get(ANY, 0.0) < self.max_sign_score

    def closes(self, reading: MessageReading | None, text: str) -> bool:
        """Plainly social (thanks, greetings, "oke", an emoji): the short kind reply closes the message. The
        reader's "social" is not enough when the text names the body, the baby, a number or a worry ("makasih
        bu, adek dari tadi diem aja"): the learned reader is sure of small talk only in words it has seen, and
        such a message goes on to a topic or to a person."""
        if reading is None or not self.calm(reading) or reading.kind not in ("social", "other"):
            return False
        if self.small_talk(text):
            return True
        if reading.kind != "social" or re.search(r"\d", _unreduplicated(text)) or self.lang.mentions_health(text):
            return False
        return not any(_occurs(self._tokens(text), phrase) for phrase in self.concerns)

    def get(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    @cached_property
    def _words(self) -> frozenset[str]:
        """Every one-word phrase of the topics' patterns: the only stems ``stems`` may give."""
        return frozenset(p[0] for t in self.topics for pat in t.patterns for part in pat for p in part if len(p) == 1)

    def stems(self, tokens: Sequence[str]) -> list[str]:
        """The tokens with regional and Indonesian verb affixes taken off where that gives a topic word
        ("dimandian", "dibedakin", "kagetan", "ditidurkeun" read as "mandi", "bedak", "kaget", "tidur")."""
        return [stem(tok, self._words) for tok in tokens]

    def _tokens(self, text: str) -> list[str]:
        """The rules' tokens, after the topics' own words: "capek" is "cepat" to the danger rules (Minang
        "angok capek", fast breathing) but tiredness to a topic."""
        if self.own_words:
            text = re.sub(r"[a-z]+", lambda m: self.own_words.get(m.group(0), m.group(0)), (text or "").lower())
        return self.lang.tokens(text or "")

    def match(self, text: str) -> Topic | None:
        """The topic whose pattern fits the message best (most parts, then most words); None if none fits."""
        return self._match(self._tokens(text))

    def _match(self, tokens: Sequence[str]) -> Topic | None:
        fitting = self._fitting(tokens)
        return self.get(max(fitting, key=fitting.__getitem__)) if fitting else None

    def _fitting(self, tokens: Sequence[str]) -> dict[str, tuple[int, int, int]]:
        """Each topic a pattern of which fits, with how well its best pattern fits (parts, words, file order)."""
        stemmed = self.stems(tokens)
        out: dict[str, tuple[int, int, int]] = {}
        for order, topic in enumerate(self.topics):
            for pattern in topic.patterns:
                words = _fits(self.lang, tokens, pattern, stemmed)
                if words is not None:
                    out[topic.id] = max(out.get(topic.id, (0, 0, 0)), (len(pattern), words, -order))
        return out

    def _choose(self, text: str, tokens: Sequence[str], model: TopicModel | None) -> Topic | None:
        """The topic a pattern of which fits, chosen with the topic reader. The best-fitting pattern's topic
        when the reader agrees or there is no reader; else the reader's own topic when it is sure
        (``learned.probability``), else the fitting topic it finds likeliest. The reader never moves a message
        to a strict topic (the thanks) or the not-health reply: "ga ada kotoran di popoknya" is no good news;
        nor away from a fitting topic that is forwarded (feelings always reach a person).
        The first pattern in file order answered "sering pipis" after birth with the baby's wet nappies and "KB
        yang aman" with medicines; the reader, trained on questions labelled by their own authors, tells them
        apart (content/topic_eval.py)."""
        fitting = self._fitting(tokens)
        if not fitting:
            return None
        best = max(fitting, key=fitting.__getitem__)
        heard = [k for k in fitting if self.get(k).forward]
        if heard:  # a fitting topic that reaches a person (feelings) is never chosen away
            return self.get(best if best in heard else heard[0])
        if model is None:
            return self.get(best)
        p = model.probabilities(text)
        top = max(p, key=p.__getitem__)
        if top == best:
            return self.get(best)
        if self._reader_may_give(self.get(top)) and p[top] >= self.learned.probability:
            return self.get(top)
        choices = [k for k in fitting if self._reader_may_give(self.get(k))]
        return self.get(max(choices, key=lambda k: (p.get(k, 0.0), fitting[k])) if choices else best)

    def _reader_may_give(self, topic: Topic | None) -> bool:
        """A topic the topic reader may answer with of its own choice: never the thanks (strict) nor the
        not-health reply."""
        return topic is not None and not (topic.strict or topic.id == self.not_health)

    def small_talk(self, text: str, extra_social: frozenset[str] = frozenset()) -> bool:
        """Thanks, greetings, "siap", "amin", a laugh or an emoji, a little longer than the reader's list."""
        text = re.sub(r"\b([a-z]+)2\b", r"\1\1", text.lower())  # "sama2" -> "samasama": a word, no number
        if not text.strip() or re.search(r"\d", _unreduplicated(text)) or self.lang.mentions_health(text):
            return False
        raw = [w for w in re.findall(r"[a-z]+", text.lower())]
        if not raw:
            return not re.search(r"[a-z0-9]", text.lower())  # only emoji / punctuation
        if len(raw) > self.social_max_words:
            return False
        raw = [re.sub(r"([a-z])\1{2,}", r"\1\1", w) for w in raw]  # "makasihhh" -> "makasihh"
        known = self.social_core | self.social_words | extra_social
        norm = [w for w in self.lang.tokens(text) if w.isalpha()]

        def core(w: str) -> bool:  # also glued ("terimakasihbanyak") or stretched ("makasihh")
            w = re.sub(r"([a-z])\1+$", r"\1", w)
            return w in self.social_core or w.startswith("wkwk") or any(
                w.startswith(c) for c in self.social_core if len(c) >= 6)

        if not any(core(w) for w in raw) and not any(core(w) for w in norm):
            return False
        other = min(len([w for w in raw if w not in known and not core(w)]),
                    len([w for w in norm if w not in known and not core(w)]))
        return other == 0 or (other <= self.social_max_other and "?" not in text)

    def answerable(self, reading: MessageReading | None, text: str, model: TopicModel | None = None) -> Topic | None:
        """The topic the bot may answer itself, or None (a sign, near a sign, or no topic: a person hears it).
        ``model``: the learned topic reader to ask when no pattern fits (default: the repository's)."""
        if reading is None or reading.signs or reading.mentioned or reading.hypothetical:
            return None
        quiet = self.quiet(reading)
        if reading.vetoed and not quiet:
            return None
        if reading.scores and max((p for k, p in reading.scores.items() if k not in HEADS), default=0.0) >= self.max_sign_score:
            return None
        tokens = self._tokens(text)
        model = model or self.topic_reader
        topic = self._choose(text, tokens, model)
        if topic is None:
            guess = self._guess(reading, text, tokens, model)
            if guess is not None:
                return guess
        if topic is None and reading.kind == "other" and self.not_health is not None:
            # only when the model is on and reads no sign in it at all (its "any sign" head is low too)
            quiet = bool(reading.scores) and reading.scores.get(ANY, 1.0) < self.max_sign_score
            about_care = any(_occurs(tokens, phrase) for phrase in self.to_midwife)
            worry = any(_occurs(tokens, phrase) for phrase in self.concerns)  # "darurat bu gmn ini"
            return self.get(self.not_health) if quiet and not about_care and not worry else None
        # a vetoed rule hit is answered only when nothing else is named: its findings are never waived
        if topic is None or self.uncovered(topic, tokens, waive=quiet and not topic.strict and not reading.vetoed):
            return None
        return topic

    def _guess(self, reading: MessageReading, text: str, tokens: Sequence[str],
               model: TopicModel | None) -> Topic | None:
        """The learned topic reader's topic for a message no pattern fits: only when the danger reader is sure
        no sign is told (below ``learned.quiet_any``, nothing vetoed), the guess is at least
        ``learned.probability``, the topic is not the not-health reply, and the message names no worry outside
        the topic's words (for the thanks, a strict topic: none at all) nor the family's care with the midwife
        (a check-up, a visit: hers)."""
        if model is None or reading.vetoed or not reading.scores \
                or reading.scores.get(ANY, 1.0) >= self.learned.quiet_any \
                or any(_occurs(tokens, phrase) for phrase in self.to_midwife if phrase not in _ADDRESS):
            return None
        topic_id, p = model(text)
        topic = self.get(topic_id)
        if topic is None or topic.id == self.not_health or p < self.learned.probability:
            return None
        if topic.strict:
            return topic if self._names_nothing(tokens) else None
        return None if self.uncovered(topic, tokens) else topic

    def _names_nothing(self, tokens: Sequence[str]) -> bool:
        """The message names no finding nor worry at all, not even negated ("ibu sudah tidak pingsan" is a
        faint the midwife hears of), and is a plain statement: no negation, question or condition ("istri abdi
        teu damang pisan, kumaha ieu" is not well; "kalo kita nyanda bangun besok, …" a farewell). Only then may
        the reader's guess be the thanks ("alhamdulillah anak abdi tos lahir kamari", "lare kula sampun ageng,
        niki fotonipun")."""
        return not any(t in self.not_news for t in tokens) and not any(
            _occurs(tokens, phrase) for phrase in self.concerns)

    def label(self, m: danger_corpus.Message) -> str | None:
        """A corpus message as an example for the topic reader: the topic whose pattern answers it (no worry
        outside its words), else None (not an example; never a message that tells a sign)."""
        if topic_model.is_danger(m):
            return None
        if m.text not in self._labels:  # kept: each fold of content/route_eval.py labels the same messages
            tokens = self._tokens(m.text)
            topic = self._match(tokens)
            self._labels[m.text] = None if topic is None or self.uncovered(topic, tokens) else topic.id
        return self._labels[m.text]

    @cached_property
    def _labels(self) -> dict[str, str | None]:
        return {}

    def train_reader(self, messages: Sequence[danger_corpus.Message],
                     written: Sequence[topic_model.Example] | None = None) -> TopicModel | None:
        """A topic reader trained on ``messages`` (one fold's, in content/route_eval.py) labelled by the patterns,
        and on the questions written for each topic by their own authors (default: all of
        content/topic_corpus/; content/topic_eval.py leaves one author out)."""
        written = topic_model.load_examples() if written is None else written
        unknown = sorted({e.topic for e in written} - {t.id for t in self.topics})
        if unknown:
            raise ValueError(f"content/topic_corpus/ names topics that do not exist: {', '.join(unknown)}")
        return topic_model.train(messages, self.label, normalizer(self.lang), self.learned.C, written)

    @cached_property
    def topic_reader(self) -> TopicModel | None:
        """The learned topic reader of the repository's corpus (None when off: ``DANGER_MODEL=off``, or
        ``learned.probability`` above 1)."""
        if not danger_model.enabled() or self.learned.probability > 1:
            return None
        try:
            key = topic_model.cache_key((CONTENT_DIR / FILE).read_text(encoding="utf-8"), get_content().rules_digest)
            return topic_model.cached_model(key, lambda: self.train_reader(danger_corpus.load()),
                                            normalizer(self.lang))
        except Exception:  # never lose a message to it: the patterns alone answer, the rest reaches a person
            log.exception("the topic reader is unavailable; topics are found by their patterns alone")
            return None

    def uncovered(self, topic: Topic, tokens: Sequence[str], waive: bool = False) -> list[Phrase]:
        """Findings the message (its tokens) names, not negated, that the topic's own words do not speak about;
        with ``waive`` (a quiet reading) only feelings and urgency (``always_heard``)."""
        own = {w for pattern in topic.patterns for part in pattern for phrase in part for w in phrase} | topic.covers
        out = []
        for phrase in (self.always_heard if waive else self.concerns):
            if set(phrase) <= own:
                continue
            if _affirmed(self.lang, tokens, phrase):
                out.append(phrase)
        return out


def _any_at_least(reading: MessageReading | None, threshold: float) -> bool:
    """The learned reader's "any sign" head reaches ``threshold`` (False when the reader was not used)."""
    return bool(reading is not None and reading.scores and reading.scores.get(ANY, 0.0) >= threshold)


def _unreduplicated(text: str) -> str:
    """Chat reduplication taken off: "sama2", "makasih2" are words, not numbers."""
    return re.sub(r"(?<=[a-zA-Z])2(?![0-9])", "", text)


def _occurs(tokens: Sequence[str], phrase: Phrase) -> bool:
    return any(tuple(tokens[i:i + len(phrase)]) == phrase for i in range(len(tokens) - len(phrase) + 1))


_PREFIXES = ("meng", "mem", "men", "nge", "ng", "me", "di", "ke", "ter", "ber", "ka", "pa")
_SUFFIXES = ("keun", "kan", "ken", "kno", "ake", "ke", "in", "an", "na", "ne", "nya", "nye", "e", "i")
_ALONE = frozenset({"keun", "ken", "kno", "ake", "ke", "in", "na", "ne", "nya", "nye"})  # "-an", "-kan", "-i" alone
# make nouns of their own ("ukuran" is a size, not "ukur"); with a prefix they are verbs of the word


def stem(token: str, words: frozenset[str]) -> str:
    """``token`` itself when it is a topic word or no affix gives one; else the topic word inside it."""
    if token in words or len(token) < 5 or token in indonesian_words():  # a root word of its own ("bukan")
        return token
    for pre in ("", *_PREFIXES):
        if pre and not token.startswith(pre):
            continue
        rest = token[len(pre):]
        for suf in ("", *_SUFFIXES):
            if (pre or suf in _ALONE) and (not suf or rest.endswith(suf)):
                core = rest[: len(rest) - len(suf)] if suf else rest
                if len(core) >= 4 and core in words:
                    return core
    return token


NUMBER: Phrase = ("#angka",)  # a pattern part's alternative: any number ("suhu dedek 36,8")


def _part(lang: Language, spec: str) -> Part:
    """One pattern part ("@suhu|termometer", "#angka") as its alternative phrases."""
    out: list[Phrase] = []
    for alt in spec.strip().split("|"):
        out.extend([NUMBER] if alt.strip() == NUMBER[0] else lang.expand(alt))
    return tuple(dict.fromkeys(out))


def _affirmed(lang: Language, tokens: Sequence[str], phrase: Phrase) -> bool:
    """The phrase occurs in the tokens and is not negated there ("bayi tidak kuat menyusu" is no good news)."""
    if phrase == NUMBER:
        return any(t[:1].isdigit() for t in tokens)
    n = len(phrase)
    return any(tuple(tokens[i:i + n]) == phrase and not _negated(lang, tokens, i, i + n)
               for i in range(len(tokens) - n + 1))


def _fits(lang: Language, tokens: Sequence[str], pattern: tuple[Part, ...], stemmed: Sequence[str] = ()) -> int | None:
    """How many words the pattern's parts matched, not negated (in the tokens or their stems), or None when a
    part is missing."""
    words = 0
    for part in pattern:
        hit = max((len(p) for p in part if _affirmed(lang, tokens, p) or (stemmed and _affirmed(lang, stemmed, p))),
                  default=0)
        if not hit:
            return None
        words += hit
    return words


def parse_topics(root: Node, lang: Language, sources: Mapping[str, object]) -> HealthTopics:
    root.mapping(allowed={"own_words", "learned_topics"}, required={"topics", "social", "max_sign_score", "concerns", "not_health", "to_midwife", "forward_any",
                           "forward_hypothetical", "quiet_any", "always_heard"})
    topics: list[Topic] = []
    for node in root.get("topics").list(min_len=1):
        node.mapping(required={"id", "title", "patterns", "answer", "go_now", "source"},
                     allowed={"id", "title", "patterns", "answer", "go_now", "source", "forward", "note", "covers",
                              "strict"})
        src = node.get("source").str_list(min_len=1)
        for s in src:
            if s not in sources:
                raise node.error(f"unknown source {s!r}", "source")
        if "derived" in src and not node.has("note"):
            raise node.error("a derived answer needs a note naming its basis", "note")
        patterns = []
        for spec in node.get("patterns").str_list(min_len=1):
            try:
                parts = tuple(_part(lang, p) for p in spec.split(" + "))
            except KeyError as exc:
                raise node.error(f"pattern {spec!r}: unknown word group {exc}", "patterns") from None
            if not all(parts):
                raise node.error(f"pattern {spec!r} has an empty part", "patterns")
            patterns.append(parts)
        topics.append(Topic(node.get("id").ident(), node.get("title").str(), tuple(patterns),
                            node.get("answer").str(), node.get("go_now").str(),
                            node.get("forward").bool() if node.has("forward") else False, src,
                            frozenset(w for c in (node.get("covers").str_list() if node.has("covers") else ())
                                      for w in lang.tokens(c, fuzzy=False)),
                            node.get("strict").bool() if node.has("strict") else False))
    ids = [t.id for t in topics]
    if len(set(ids)) != len(ids):
        raise root.error("topic ids must be unique", "topics")
    social = root.get("social")
    social.mapping(required={"core", "filler", "max_other", "max_words"})
    core = frozenset(social.get("core").str_list(min_len=1))
    filler = frozenset(social.get("filler").str_list(min_len=1))
    kinds = get_content().message_kinds
    words = filler | (kinds.social_words if kinds is not None else frozenset())
    score = root.get("max_sign_score")
    if not isinstance(score.value, (int, float)) or not 0 < score.value <= 1:
        raise score.error("a probability between 0 and 1")
    forward_any, forward_hypothetical = (_probability(root, key) for key in ("forward_any", "forward_hypothetical"))
    quiet_any = _probability(root, "quiet_any", zero=True)
    concerns, always_heard = (_phrases(root, lang, key) for key in ("concerns", "always_heard"))
    if set(always_heard) - set(concerns):
        raise root.error("every phrase of always_heard must be one of the concerns", "always_heard")
    not_health = root.get("not_health").ident()
    if not_health not in ids:
        raise root.error(f"unknown topic {not_health!r}", "not_health")
    return HealthTopics(tuple(topics), lang, core, words, social.get("max_other").int(min_value=0),
                        social.get("max_words").int(min_value=1), float(score.value), concerns, not_health,
                        tuple(tuple(lang.tokens(w, fuzzy=False)) for w in root.get("to_midwife").str_list(min_len=1)),
                        forward_any, _own_words(root), quiet_any, always_heard, forward_hypothetical,
                        _learned(root), lang.negations | (kinds.question | kinds.conditional if kinds else {"?"}))


def _learned(root: Node) -> LearnedSettings:
    if not root.has("learned_topics"):
        return LearnedSettings()
    node = root.get("learned_topics")
    node.mapping(required={"probability", "quiet_any", "C"})
    c = node.get("C")
    if not isinstance(c.value, (int, float)) or isinstance(c.value, bool) or c.value <= 0:
        raise c.error("a positive number")
    return LearnedSettings(_probability(node, "probability"), _probability(node, "quiet_any", zero=True),
                           float(c.value))


def _probability(root: Node, key: str, zero: bool = False) -> float:
    """A threshold above 0 (1.01: never); with ``zero``, 0 is allowed too (never quiet)."""
    node = root.get(key)
    value = node.value
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not (0 <= value if zero else 0 < value) \
            or value > 1.01:
        raise node.error("a probability between 0 and 1 (1.01: never" + (", 0: never quiet)" if zero else ")"))
    return float(value)


def _phrases(root: Node, lang: Language, key: str) -> tuple[Phrase, ...]:
    try:
        return tuple(dict.fromkeys(p for spec in root.get(key).str_list(min_len=1) for p in lang.expand(spec)))
    except KeyError as exc:
        raise root.error(f"unknown word group {exc}", key) from None


def _own_words(root: Node) -> dict[str, str]:
    """``own_words``: {word: [raw words read as it]} -> {raw word: word}."""
    if not root.has("own_words"):
        return {}
    return {raw.lower(): target for target, words in root.get("own_words").items() for raw in words.str_list()}


@lru_cache(maxsize=1)
def topics() -> HealthTopics:
    """The topics, loaded once per process with the content's language and sources."""
    c = get_content()
    if c.danger_language is None:
        raise ContentError(FILE, "(top)", "danger_language.yaml is needed to read topics")
    path = CONTENT_DIR / FILE
    return parse_topics(Node(load_yaml(path, CONTENT_DIR), FILE), c.danger_language, c.sources)


def warm_readers() -> None:
    """Load (or train, about 25 s and 45 s on a fresh machine) the learned danger reader and the topic reader now,
    at start-up, so no family's first message waits for them."""
    get_content().warm_reader()
    _ = topics().topic_reader
