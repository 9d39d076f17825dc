"""Where each corpus message would go (issue 23): ``python -m content.route_eval``.

For every message of content/danger_corpus/ (the sealed parts are never there), the route the fallback
takes for a family's free text with no conversation waiting: ``alert`` (a danger sign), ``hypothetical``
(a question about a sign, answered with its information; ``hypothetical+forward`` when the learned reader's
"any sign" head says a sign may be told after all, so a person reads it too), ``topic`` (answered by content/health_answers.yaml;
``topic+forward`` when the topic also forwards it), ``social`` (the short reply) or ``forwarded`` (to the
midwives). Reported per kind and per author; the dangerous case is a danger message the reader missed that
the bot then answered itself (a topic, small talk or a hypothetical's information) instead of forwarding
(``danger answered``).
``--left-out`` reads each author's part with a model trained without it (the honest figure for words the
reader never saw; the rules and topics were still written with those parts in view); ``--left-out --folds 6``
leaves out six round-robin groups of authors (six trainings instead of one per author: for choosing settings).
What it cannot show: the route of a message typed inside a conversation (the conversation reads it), and
whether an answer fits the family's question (read the answers in content/health_answers.yaml).
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence

from content import danger_corpus
from content.danger_model import DangerModel, read_settings, train
from content.health_topics import HealthTopics, topics
from content.loader import Content, get_content
from content.reading import MessageReading, normalizer, read
from content.topic_model import TopicModel, is_danger

ROUTES = ("alert", "hypothetical", "hypothetical+forward", "topic", "topic+forward", "social", "forwarded")
FORWARDED = ("forwarded", "topic+forward", "hypothetical+forward")  # a person reads them


def route(reading: MessageReading, text: str, t: HealthTopics,
          model: TopicModel | None = None) -> tuple[str, str | None]:
    """The route of one family free text, as bot/handlers/fallback.py takes it, and the topic id if any
    (``model``: the learned topic reader, default the repository's)."""
    if reading.signs:
        return "alert", None
    if t.closes(reading, text):
        return "social", None
    if reading.hypothetical and reading.mentioned:
        return ("hypothetical+forward" if t.forward_hypothetical_too(reading) else "hypothetical"), None
    topic = t.answerable(reading, text, model)
    if topic is not None:
        return ("topic+forward" if topic.forward or t.must_forward(reading) else "topic"), topic.id
    return "forwarded", None


def with_probability(probability: float | None) -> HealthTopics:
    """The repository's topics, the topic reader's guesses used from ``probability`` (None: as they are)."""
    t = topics()
    return t if probability is None else dataclasses.replace(
        t, learned=dataclasses.replace(t.learned, probability=probability))


def harmless(m: danger_corpus.Message) -> bool:
    return not is_danger(m)


def trained(content: Content, messages: Sequence[danger_corpus.Message]) -> DangerModel:
    """The learned reader trained on ``messages`` with the repository's settings (one fold's model)."""
    return train(messages, read_settings(), normalizer(content.danger_language), content.model_sign_ids,
                 {s.id for s in content.danger_signs if s.urgent})


def left_out_readers(content: Content, messages: list[danger_corpus.Message],
                     folds: int = 0) -> dict[str, tuple[Callable, TopicModel | None]]:
    """Per author: a danger reader and a topic reader whose models never saw that author's part. With ``folds``
    the authors are dealt round-robin into that many groups and each group is left out together (fewer
    trainings, a harder test)."""
    authors = sorted({m.author for m in messages})
    group = {a: (i % folds if folds else a) for i, a in enumerate(authors)}
    readers: dict = {}
    for g in dict.fromkeys(group.values()):
        rest = [m for m in messages if group[m.author] != g]
        reader = functools.partial(read, content.danger_signs, content.danger_language, content.message_kinds,
                                   model=trained(content, rest))
        pair = (reader, topics().train_reader(rest))
        readers.update({a: pair for a in authors if group[a] == g})
    return readers


def evaluate(messages: Iterable[danger_corpus.Message],
             readers: dict[str, tuple[Callable, TopicModel | None]] | None = None,
             t: HealthTopics | None = None) -> dict:
    c, t = get_content(), t or topics()
    by_kind: dict[str, Counter] = defaultdict(Counter)
    by_author: dict[str, Counter] = defaultdict(Counter)
    by_register: dict[str, Counter] = defaultdict(Counter)
    topic_counts: Counter = Counter()
    danger_answered: list[tuple[str, str, str]] = []
    for m in messages:
        group = "danger" if not harmless(m) else m.kind
        reader, model = readers[m.author] if readers is not None else (c.read_message, None)
        reading = reader(m.text)
        r, topic = route(reading, m.text, t, model)
        by_kind[group][r] += 1
        by_author[f"{m.author} {'danger' if group == 'danger' else 'harmless'}"][r] += 1
        if group != "danger":
            by_register[m.register][r] += 1
        if topic:
            topic_counts[topic] += 1
        if group == "danger" and r in ("topic", "social", "hypothetical"):
            danger_answered.append((m.file, topic or r, m.text))
    return {"kind": by_kind, "author": by_author, "register": by_register, "topics": topic_counts,
            "danger_answered": danger_answered}


def _share(counter: Counter, routes: Iterable[str]) -> float:
    n = sum(counter.values())
    return sum(counter[r] for r in routes) / n if n else 0.0


def table(rows: dict[str, Counter], columns: Sequence[str] = ROUTES, first: str = "group") -> list[str]:
    """A markdown table of each row's share of each column (the row "all", if any, last)."""
    out = [f"| {first} | n | " + " | ".join(columns) + " |", "|" + " --- |" * (len(columns) + 2)]
    for name in sorted(rows, key=lambda k: (k == "all", k)):
        n = sum(rows[name].values())
        out.append(f"| {name} | {n} | " + " | ".join(f"{rows[name][c] / n:.2f}" for c in columns) + " |")
    return out


def report(result: dict, examples: bool = True) -> str:
    """The routes as text; ``examples=False`` never shows a message (the sealed parts)."""
    harmless_all = sum((v for k, v in result["kind"].items() if k != "danger"), Counter())
    danger = result["kind"].get("danger", Counter())
    lines = [
        f"harmless messages: {sum(harmless_all.values())}, forwarded {_share(harmless_all, FORWARDED):.3f}"
        f" (topic+forward {_share(harmless_all, ['topic+forward']):.2f}), answered by a topic "
        f"{_share(harmless_all, ['topic', 'topic+forward']):.2f}, social {_share(harmless_all, ['social']):.2f}, "
        f"alert {_share(harmless_all, ['alert']):.2f}",
        f"danger messages: {sum(danger.values())}, alert {_share(danger, ['alert']):.2f}, reach a midwife (alert or "
        f"forwarded) {_share(danger, ['alert', *FORWARDED]):.3f}, missed by the reader and "
        f"answered by the bot (not forwarded): {len(result['danger_answered'])}, answered as a hypothetical "
        f"{_share(danger, ['hypothetical']):.3f}",
        "", "By kind:", *table(result["kind"]), "", "By author:", *table(result["author"]),
        "", "Harmless messages by register:", *table(result["register"]),
        "", "Topics: " + ", ".join(f"{k} {v}" for k, v in result["topics"].most_common()),
    ]
    if result["danger_answered"] and examples:
        lines += ["", "Danger messages answered instead of forwarded:"]
        lines += [f"- {f} [{topic}] {text}" for f, topic, text in result["danger_answered"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--left-out", action="store_true", help="each author's part read by a model trained without it")
    parser.add_argument("--folds", type=int, default=0,
                        help="with --left-out: leave out N round-robin groups of authors instead of one at a time")
    parser.add_argument("--probability", type=float, default=None,
                        help="the topic reader's guess used from this probability (default: the repository's)")
    args = parser.parse_args(argv)
    messages = [m for m in danger_corpus.load() if not m.file.startswith(danger_corpus.SEALED)]
    readers = left_out_readers(get_content(), messages, args.folds) if args.left_out else None
    print(report(evaluate(messages, readers, with_probability(args.probability))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
