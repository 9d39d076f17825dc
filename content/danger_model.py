"""The learned reader: a text classifier that may raise a danger sign the rules did not find.

Character n-grams (char_wb, 2-5) and word n-grams (1-2), both on the words as the rules read them (chat
spelling and regional words respelled, number words as digits), feed one logistic regression per sign
(one-vs-rest), two for the whole message (``HEADS``: does it report any sign, does it report an urgent one:
each learns from every danger message of the corpus, not from one sign's few dozen) and one for the
message's kind. It is trained from the corpus in content/danger_corpus/ on first
use and cached as a pickle in a cache folder, keyed by the corpus, the settings (danger_model.yaml), the
reading rules and the scikit-learn version; training takes a few seconds, reading a message about a
millisecond. How its probabilities and the rules' hits are combined is ``Settings.combine``: a number against a
threshold always stands, a phrase hit needs the model's agreement (a low veto threshold), and the model adds signs.

The cache folder is ``$PIJAT_MODEL_CACHE``, else ``$XDG_CACHE_HOME/pijat-oksitosin-bot``, else
``~/.cache/pijat-oksitosin-bot``; ``DANGER_MODEL=off`` turns the learned reader off (rules only).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import sklearn
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from content.danger_corpus import CORPUS_DIR, Message, digest, load
from content.schema import Node, load_yaml

MODEL_VERSION = "5"  # 5: no column for an answer-only sign (its labels teach the whole-message heads only)
# Scores of the whole message, next to the per-sign ones (never a sign id): any sign reported, an urgent one.
ANY, URGENT = "_any", "_urgent"
HEADS = (ANY, URGENT)
UNCLEAR = "tanda_bahaya_belum_jelas"  # content/danger_signs.yaml: urgent, raised only here
SETTINGS = Path(__file__).resolve().parent / "danger_model.yaml"

Normalizer = Callable[[str], str]


@dataclass(frozen=True)
class Settings:
    threshold: float  # the model adds a sign that is not urgent at this probability
    target_false_alarms: float
    C: float
    char_ngrams: tuple[int, int]
    word_ngrams: tuple[int, int]
    min_df: int
    urgent_threshold: float  # the model adds an urgent sign at this probability
    veto: float  # a rule's phrase hit (not a number) is kept only when the model gives it this much
    class_weight: str | None  # "balanced": the rarer class (a sign present) weighs more
    urgent_message: float = 1.01  # the urgent head adds the likeliest urgent sign at this probability
    heads_C: float = 10.0
    # ... when that sign's own probability reaches this; below it, the urgent sign "not yet clear" (UNCLEAR)
    name_unclear: float = 0.3
    char_analyzer: str = "char_wb"  # "char": n-grams across word boundaries too ("k bangu" of "gak bangun")
    hypothetical_head: float = 1.01  # the urgent head overrides the rules' "hypothetical" at this probability
    social_kind: float = 1.01  # a message the kind model reads as small talk this surely (and no sign) is small talk
    other_kind: float = 1.01  # ... and as about neither the body nor the baby (an errand, a date): not health
    crisis_threshold: float = 1.01  # the model adds a sign of the mother's mind in crisis at this probability

    def overrides_hypothetical(self, scores: Mapping[str, float]) -> bool:
        """The urgent head is this sure that something urgent is told: the rules' reading of the message as
        hypothetical (a question, a past event, someone else) does not stand (it is one author's idea of how
        families frame a worry; "dibangunin gak bangun2" read as "woke up" is not a past event over)."""
        return scores.get(URGENT, 0.0) >= self.hypothetical_head

    def combine(self, rules: Mapping[str, bool], scores: Mapping[str, float], urgent: Set[str],
                kept: Set[str] = frozenset(), negated: Set[str] = frozenset(),
                crisis: Set[str] = frozenset()) -> set[str]:
        """The signs raised from the rules' hits (sign id -> exact) and the model's probabilities.

        An exact hit (a stated number beyond its threshold) always stands, and so does a hit on a sign in
        ``kept`` (the urgent signs of the mother's mind: a crisis disclosure is never vetoed; every sign of a
        message told as happening now, content/reading.py ``told_as_now``). Another phrase
        hit stands only when the model gives some sign, or its "any sign reported" head, at least ``veto`` for
        the whole message: a look-alike it reads as harmless is dropped. The
        model adds a sign at ``urgent_threshold`` (urgent signs: missing one is worse) or ``threshold``;
        when nothing urgent was raised and the urgent head (the message reports some urgent sign) reaches
        ``urgent_message``, the model adds the urgent sign it finds likeliest. A sign of the mother's mind in
        crisis (``crisis``: wishes to die, harm, voices, nights without sleep) is added at the lower
        ``crisis_threshold``: a missed crisis costs more than a midwife's check, and these are the signs the
        reader finds hardest in other people's words. The model never adds a sign the
        rules read as negated (``negated``: "tidak demam"), and its urgent head adds nothing to a message whose
        only signs are negated ones.
        Without scores (the model off) every rule hit stands.
        """
        if not scores:
            return set(rules)
        signs = {sid: p for sid, p in scores.items() if sid not in HEADS}
        danger = max([*signs.values(), scores.get(ANY, 0.0)]) >= self.veto
        stand = {sid for sid, exact in rules.items() if exact or danger or sid in kept}
        out = stand | {sid for sid, p in signs.items() if sid not in negated and p >= (
            min(self.crisis_threshold, self.urgent_threshold) if sid in crisis
            else self.urgent_threshold if sid in urgent else self.threshold)}
        if scores.get(URGENT, 0.0) >= self.urgent_message and not out & urgent and not (negated and not out):
            likeliest = max((sid for sid in signs if sid in urgent and sid not in negated),
                            key=lambda sid: signs[sid], default=None)
            if likeliest is not None and signs[likeliest] >= self.name_unclear:
                out.add(likeliest)
            else:  # urgent, but no sign likely enough to name: never advice about a sign nobody reported
                out.add(UNCLEAR)
        return out


def read_settings(path: Path = SETTINGS) -> Settings:
    node = Node(load_yaml(path), path.name)
    node.mapping(required={"threshold", "urgent_threshold", "veto", "class_weight", "target_false_alarms", "C",
                           "char_ngrams", "word_ngrams", "min_df", "urgent_message", "heads_C"},
                 allowed={"name_unclear", "char_analyzer", "hypothetical_head", "social_kind", "other_kind",
                          "crisis_threshold"})

    def pair(key: str) -> tuple[int, int]:
        a, b = (n.int(min_value=1) for n in node.get(key).list(min_len=2))
        return a, b

    return Settings(float(node.get("threshold").value), float(node.get("target_false_alarms").value),
                    float(node.get("C").value), pair("char_ngrams"), pair("word_ngrams"),
                    node.get("min_df").int(min_value=1),
                    float(node.get("urgent_threshold").value), float(node.get("veto").value),
                    node.get("class_weight").str() if node.has("class_weight") else None,
                    float(node.get("urgent_message").value), float(node.get("heads_C").value),
                    float(node.get("name_unclear").value) if node.has("name_unclear") else 0.3,
                    node.get("char_analyzer").str() if node.has("char_analyzer") else "char_wb",
                    float(node.get("hypothetical_head").value) if node.has("hypothetical_head") else 1.01,
                    float(node.get("social_kind").value) if node.has("social_kind") else 1.01,
                    float(node.get("other_kind").value) if node.has("other_kind") else 1.01,
                    float(node.get("crisis_threshold").value) if node.has("crisis_threshold") else 1.01)


@dataclass
class DangerModel:
    sign_ids: tuple[str, ...]
    char: TfidfVectorizer
    word: TfidfVectorizer
    weights: csr_matrix  # features x (signs + HEADS)
    bias: np.ndarray
    kinds: OneVsRestClassifier | None
    settings: Settings
    normalize: Normalizer | None = None

    def _x(self, texts: Sequence[str]):
        key = tuple(texts)
        last = self.__dict__.get("_last")  # one message is read by the heads, then perhaps by the kind model
        if last is not None and last[0] == key:
            return last[1]
        norm = self.normalize or str.lower
        words = [norm(t) for t in texts]
        x = hstack([self.char.transform(words), self.word.transform(words)]).tocsr()
        if len(key) == 1:
            self.__dict__["_last"] = (key, x)  # one tuple, replaced whole: safe between reading threads
        return x

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns of ``probabilities``: the sign ids, then the whole-message heads."""
        return (*self.sign_ids, *HEADS)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """messages x (signs + HEADS)."""
        z = np.asarray((self._x(texts) @ self.weights).todense()) + self.bias
        return 1.0 / (1.0 + np.exp(-z))

    def kind(self, text: str) -> tuple[str, float]:
        if self.kinds is None:
            return "other", 0.0
        p = self.kinds.predict_proba(self._x([text]))[0]
        best = int(np.argmax(p))
        return str(self.kinds.classes_[best]), float(p[best])

    def _quiet(self, scores: Mapping[str, float]) -> bool:
        return scores.get(ANY, 1.0) < self.settings.veto and not any(
            p >= self.settings.veto for sid, p in scores.items() if sid not in HEADS)

    def small_talk(self, text: str, scores: Mapping[str, float]) -> bool:
        """Thanks, news that all is well, a joke: the kind model reads it as social at ``social_kind`` and the
        "any sign" head is below the veto, even when it names the baby, sleep or a number ("bayi sehat,
        makasih", "1000x makasih")."""
        if not self._quiet(scores):
            return False
        kind, p = self.kind(text)
        return kind == "social" and p >= self.settings.social_kind

    def not_health(self, text: str, scores: Mapping[str, float]) -> bool:
        """An errand, a date, a message meant for someone else: the kind model reads it as 'other' at
        ``other_kind`` and no head is near a sign, even when it names nappies or the baby ("tolong belikan
        popok NB dua bungkus, Yah")."""
        if not self._quiet(scores):
            return False
        kind, p = self.kind(text)
        return kind == "other" and p >= self.settings.other_kind

    def __call__(self, text: str) -> Mapping[str, float]:
        """The probability of each sign, and of the whole-message heads (``HEADS``)."""
        p = self.probabilities([text])[0]
        return {sid: round(float(v), 4) for sid, v in zip(self.columns, p, strict=True)}

    def combine(self, rules: Mapping[str, bool], scores: Mapping[str, float], urgent: Set[str],
                kept: Set[str] = frozenset(), negated: Set[str] = frozenset(),
                crisis: Set[str] = frozenset()) -> set[str]:
        return self.settings.combine(rules, scores, urgent, kept, negated, crisis)

    def overrides_hypothetical(self, scores: Mapping[str, float]) -> bool:
        return self.settings.overrides_hypothetical(scores)



def train(messages: Sequence[Message], settings: Settings, normalize: Normalizer | None = None,
          sign_ids: Sequence[str] | None = None, urgent_ids: Set[str] | None = None) -> DangerModel:
    """Fit the reader on ``messages`` (a few seconds for a few thousand); ``urgent_ids`` for the urgent head."""
    norm = normalize or str.lower
    texts = [m.text for m in messages]
    char = TfidfVectorizer(analyzer=settings.char_analyzer, ngram_range=settings.char_ngrams, min_df=settings.min_df,
                           sublinear_tf=True, dtype=np.float32)
    word = TfidfVectorizer(analyzer="word", ngram_range=settings.word_ngrams, min_df=settings.min_df,
                           sublinear_tf=True, token_pattern=r"[^ ]+", dtype=np.float32)
    words = [norm(t) for t in texts]
    x = hstack([char.fit_transform(words), word.fit_transform(words)]).tocsr()
    ids = list(sign_ids) if sign_ids is not None else sorted({s for m in messages for s in m.signs})
    targets = [(np.array([sid in m.signs for m in messages]), settings.C) for sid in ids]
    urgent = set(urgent_ids or ())
    targets.append((np.array([bool(m.signs) for m in messages]), settings.heads_C))
    targets.append((np.array([bool(m.signs & urgent) for m in messages]), settings.heads_C))
    cols, bias = [], []
    for y, c in targets:
        if y.sum() < 2 or y.sum() > len(y) - 2:
            cols.append(np.zeros(x.shape[1]))
            bias.append(-20.0)  # never raised
            continue
        lr = LogisticRegression(C=c, solver="liblinear", dual=True, tol=1e-3, max_iter=300,
                                class_weight=settings.class_weight)
        lr.fit(x, y)
        cols.append(lr.coef_[0])
        bias.append(float(lr.intercept_[0]))
    weights = csr_matrix(np.vstack(cols).T.astype(np.float32))
    kinded = [(i, m.kind) for i, m in enumerate(messages) if m.kind != "?"]
    kinds = None
    if len({k for _, k in kinded}) >= 2:
        kinds = OneVsRestClassifier(LogisticRegression(C=settings.C, solver="liblinear", dual=True, tol=1e-3,
                                                        max_iter=300))
        kinds.fit(x[[i for i, _ in kinded]], [k for _, k in kinded])
    return DangerModel(tuple(ids), char, word, weights, np.array(bias, dtype=np.float32), kinds,
                       settings, normalize)


def cache_dir() -> Path:
    if os.environ.get("PIJAT_MODEL_CACHE"):
        return Path(os.environ["PIJAT_MODEL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pijat-oksitosin-bot"


def cache_key(rules_digest: str, corpus: Path = CORPUS_DIR, settings: Path = SETTINGS) -> str:
    """The model's key: hashed once per state of the files (their names, sizes and times), not on every read:
    hashing the whole corpus took 1.4 ms of each message's reading."""
    stamp = tuple((p.name, st.st_mtime_ns, st.st_size) for p in sorted(corpus.glob("*.tsv")) for st in (p.stat(),))
    st = settings.stat()
    return _hashed_key(rules_digest, corpus, settings, (*stamp, (st.st_mtime_ns, st.st_size)))


@lru_cache(maxsize=8)
def _hashed_key(rules_digest: str, corpus: Path, settings: Path, _stamp: tuple) -> str:
    h = hashlib.sha256()
    for part in (MODEL_VERSION, sklearn.__version__, digest(corpus), settings.read_text(encoding="utf-8"),
                 rules_digest):
        h.update(part.encode())
    return h.hexdigest()[:20]


_MODELS: dict[str, DangerModel] = {}


def enabled() -> bool:
    return os.environ.get("DANGER_MODEL", "on").lower() not in ("off", "0", "no", "false")


def cached_model(normalize: Normalizer, rules_digest: str, sign_ids: Sequence[str],
                 urgent_ids: Set[str] = frozenset()) -> DangerModel:
    """The model for the repository's corpus: from memory, else the cache folder, else trained now."""
    key = cache_key(rules_digest)
    model = _MODELS.get(key)
    if model is not None:
        return model
    model = load_or_build(f"danger_model_{key}.pickle", DangerModel,
                          lambda: train(load(), read_settings(), normalize, sign_ids, urgent_ids))
    model.normalize = normalize
    _MODELS[key] = model
    return model


def load_or_build(name: str, cls: type, build: Callable[[], object]):
    """The pickled model ``name`` of the cache folder if it is a ``cls``, else ``build()`` stored there (kept in
    memory only when the folder is not writable). A model's ``normalize`` (the rules' reading) is never
    pickled: it is the current one, by the key."""
    path = cache_dir() / name
    try:
        with path.open("rb") as fh:
            model = pickle.load(fh)  # noqa: S301 - our own cache file, keyed by content hash
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        model = None
    if isinstance(model, cls):
        return model
    model = build()
    if model is None:
        return None
    normalize, model.normalize = model.normalize, None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as fh:
            pickle.dump(model, fh)
        os.replace(fh.name, path)
    except OSError:
        pass  # no writable cache: keep it in memory
    model.normalize = normalize
    return model
