"""The learned topic reader: which health topic a family's message is about when no topic pattern fits.

The topics of content/health_answers.yaml are found by patterns (content/health_topics.py); a family who asks
about the same thing in other words ("tangane bayi rada adem, tak ukur ketek e 36,9") fits none, and a person
had to read it. This reader learns the topics from two sources: the corpus of content/danger_corpus/ (each
harmless message that a topic's pattern answers is an example of that topic) and content/topic_corpus/
(questions written for each topic by authors who never saw the patterns: the topic is theirs). Character
n-grams and word n-grams on the words as the rules read them feed one multinomial logistic regression. It
knows nothing of danger: danger messages are not among its examples (with them as a class of their own it
called most harmless questions without a topic word "danger", and answered 0.6 points of the harmless
messages instead of 1.8); whether a sign may be told is the danger reader's question, and its "any sign"
head decides whether the topic reader is asked at all.

Its guess is used only where content/health_topics.py ``answerable`` allows it: no topic pattern fits, the
danger reader is sure no sign is told, no worry outside the topic's words (the thanks: nothing named at all,
a plain statement). Whether its answer fits the question is measured on the written questions, each author's part
left out (``python -m content.topic_eval``). Trained on first use (about 45 s) and cached next to the danger reader,
keyed by both corpora, the topics and the rules.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sklearn
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from content.danger_corpus import CORPUS_DIR, Message, digest
from content.danger_model import Normalizer, load_or_build

MODEL_VERSION = "2"
EXAMPLES_DIR = Path(__file__).resolve().parent / "topic_corpus"
_EXAMPLE_FILE = re.compile(r"^(?P<author>t[0-9]+)_(?P<register>[a-z0-9_]+)\.tsv$")


@dataclass(frozen=True)
class Example:
    """One question of content/topic_corpus/: a family message its author wrote for one topic."""
    author: str
    register: str
    topic: str
    text: str
    file: str
    line: int


def load_examples(folder: Path = EXAMPLES_DIR) -> list[Example]:
    """The topic questions written by their own authors (content/topic_corpus/README.md): ``topic<TAB>text``
    per line, '#' a comment. A line in any other form is an error, never skipped in silence."""
    out: list[Example] = []
    for path in sorted(folder.glob("*.tsv")):
        name = _EXAMPLE_FILE.match(path.name)
        if name is None:
            raise ValueError(f"{path.name}: not t<N>_<register>.tsv")
        for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip() or raw.startswith("#"):
                continue
            cols = raw.split("\t")
            if len(cols) != 2 or not cols[0].strip() or not cols[1].strip():
                raise ValueError(f"{path.name}:{n}: not 'topic<TAB>message'")
            out.append(Example(name["author"], name["register"], cols[0].strip(), cols[1].strip(), path.name, n))
    return out


def is_danger(m: Message) -> bool:
    """A corpus message that tells a sign (an answer-only label '?' with signs counts as one)."""
    return m.kind == "danger" or (m.kind == "?" and bool(m.signs))


@dataclass
class TopicModel:
    char: TfidfVectorizer
    word: TfidfVectorizer
    classifier: LogisticRegression
    normalize: Normalizer | None = None

    def __call__(self, text: str) -> tuple[str, float]:
        """The likeliest topic id and its probability."""
        p = self.probabilities(text)
        best = max(p, key=p.__getitem__)
        return best, p[best]

    def probabilities(self, text: str) -> dict[str, float]:
        """Each topic id the reader knows, with its probability for ``text``."""
        norm = self.normalize or str.lower
        words = [norm(text or "")]
        x = hstack([self.char.transform(words), self.word.transform(words)]).tocsr()
        p = self.classifier.predict_proba(x)[0]
        return {str(k): float(v) for k, v in zip(self.classifier.classes_, p, strict=True)}


def train(messages: Sequence[Message], label: Callable[[Message], str | None], normalize: Normalizer,
          C: float = 10.0, written: Iterable[Example] = ()) -> TopicModel | None:  # noqa: N803 - scikit-learn's name
    """Fit on the messages ``label`` names a topic for (None: not an example) and on the questions ``written``
    for a topic by their authors; None when fewer than two topics have examples."""
    examples = [(normalize(m.text), y) for m in messages if (y := label(m)) is not None]
    examples += [(normalize(e.text), e.topic) for e in written]
    if len({y for _, y in examples}) < 2:
        return None
    words = [w for w, _ in examples]
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, dtype=np.float32)
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=2, sublinear_tf=True,
                           token_pattern=r"[^ ]+", dtype=np.float32)
    x = hstack([char.fit_transform(words), word.fit_transform(words)]).tocsr()
    classifier = LogisticRegression(C=C, max_iter=2000)
    classifier.fit(x, [y for _, y in examples])
    return TopicModel(char, word, classifier, normalize)


def cache_key(topics_text: str, rules_digest: str, corpus=CORPUS_DIR, examples=EXAMPLES_DIR) -> str:
    h = hashlib.sha256()
    for part in (MODEL_VERSION, sklearn.__version__, digest(corpus), digest(examples), topics_text, rules_digest):
        h.update(part.encode())
    return h.hexdigest()[:20]


def cached_model(key: str, build: Callable[[], TopicModel | None], normalize: Normalizer) -> TopicModel | None:
    """The topic reader for the repository's corpus: from the cache folder, else trained now."""
    model = load_or_build(f"topic_model_{key}.pickle", TopicModel, build)
    if model is not None:
        model.normalize = normalize
    return model
