"""Does the bot's answer fit the question? ``python -m content.topic_eval`` (issue 23).

content/topic_corpus/ holds questions written for each topic by authors who never saw the patterns, the
topic reader or its corpus: each line carries the topic its author meant. Each author's part is read by a
topic reader trained without it (the danger corpus labelled by the patterns, and the other authors' parts)
and routed as bot/handlers/fallback.py routes a family's free text (the repository's danger reader, which
never saw these parts). Reported per author: the share answered with the author's topic, answered with
another topic (a wrong answer), forwarded to a person, read as a sign (an alert on a harmless question),
or closed as small talk; and the same for the patterns alone (no topic reader) for comparison.
What it cannot show: these are questions written to be about one topic each, easier than what families send
(content/route_eval.py measures the corpus); and whether the topic's answer is good advice (that is the
source of each answer in content/health_answers.yaml).
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from collections.abc import Callable

from content import danger_corpus
from content.health_topics import HealthTopics, topics
from content.loader import get_content
from content.route_eval import route, table, with_probability
from content.topic_model import Example, TopicModel, load_examples

OUTCOMES = ("right topic", "other topic", "forwarded", "alert", "social")


def outcome(example: Example, t: HealthTopics, model: TopicModel | None, read: Callable) -> str:
    r, topic_id = route(read(example.text), example.text, t, model)
    if r.startswith("topic"):
        return "right topic" if topic_id == example.topic else "other topic"
    if r == "alert":
        return "alert"
    if r == "social":
        return "social"
    return "forwarded"  # forwarded, or a hypothetical's information: either way not this topic's answer


def evaluate(examples: list[Example], with_reader: bool = True, t: HealthTopics | None = None) -> dict:
    """Per author, the outcomes of their questions (``with_reader=False``: the patterns alone)."""
    t, c = t or topics(), get_content()
    corpus = danger_corpus.load()
    rows: dict[str, Counter] = defaultdict(Counter)
    misses: list[tuple[str, str, str]] = []
    for author in sorted({e.author for e in examples}):
        # without the reader, a stand-in that is never sure: only the patterns answer
        model = t.train_reader(corpus, [e for e in examples if e.author != author]) if with_reader else _NeverSure()
        for e in (e for e in examples if e.author == author):
            o = outcome(e, t, model, c.read_message)
            rows[f"{author} {e.register}"][o] += 1
            if o == "other topic":
                misses.append((e.file, e.topic, e.text))
    rows["all"] = sum(rows.values(), Counter())
    return {"rows": rows, "misses": misses}


class _NeverSure:
    """A topic reader that is never sure: only the patterns answer, as before the reader."""

    def __call__(self, text: str) -> tuple[str, float]:
        return "not_health", 0.0

    def probabilities(self, text: str) -> dict[str, float]:
        return {"not_health": 0.0}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list the questions answered with another topic")
    parser.add_argument("--probability", type=float, default=None,
                        help="the topic reader's guess used from this probability (default: the repository's)")
    args = parser.parse_args(argv)
    examples, t = load_examples(), with_probability(args.probability)
    patterns, reader = evaluate(examples, with_reader=False, t=t), evaluate(examples, t=t)
    print("Patterns alone:", *table(patterns["rows"], OUTCOMES, "author"), "",
          "Patterns and the topic reader (each author left out):", *table(reader["rows"], OUTCOMES, "author"), sep="\n")
    if args.misses:
        print("", "Answered with another topic:", *(f"- {f} [{topic}] {text}" for f, topic, text in reader["misses"]),
              sep="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
