"""The labelled danger-sign corpus (tests/data/danger_messages.tsv) and its figures.

Used by tests/test_danger_corpus.py and by ``python -m tests.danger_corpus`` (prints the table for SAFETY.md).
Recall is counted over (message, expected sign) pairs; a false alarm is a message where the bot raises a
sign it should not have (message level: the stricter figure); per sign, the false-alarm rate is the share
of messages not labelled with that sign that raise it.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from content import get_content

CORPUS = Path(__file__).parent / "data" / "danger_messages.tsv"


@dataclass(frozen=True)
class Message:
    split: str
    expected: frozenset[str]
    text: str
    line: int


def load(path: Path = CORPUS) -> list[Message]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        split, labels, text = line.split("\t")
        expected = frozenset() if labels == "-" else frozenset(labels.split(","))
        out.append(Message(split, expected, text, n))
    return out


@dataclass
class Figures:
    messages: int
    pairs: int
    found_pairs: int
    false_alarm_messages: int
    per_sign: dict[str, tuple[int, int, int, int]]  # sign -> (positives, found, negatives, raised wrongly)
    misses: list[tuple[Message, frozenset[str]]]

    @property
    def recall(self) -> float:
        return self.found_pairs / self.pairs if self.pairs else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarm_messages / self.messages if self.messages else 0.0


def figures(messages: list[Message]) -> Figures:
    content = get_content()
    ids = [s.id for s in content.danger_signs]
    pos, found, neg, wrong = Counter(), Counter(), Counter(), Counter()
    pairs = found_pairs = fa = 0
    misses = []
    for m in messages:
        got = frozenset(s.id for s in content.match_danger_signs(m.text))
        for sid in ids:
            if sid in m.expected:
                pos[sid] += 1
                found[sid] += sid in got
            else:
                neg[sid] += 1
                wrong[sid] += sid in got
        pairs += len(m.expected)
        found_pairs += len(m.expected & got)
        fa += bool(got - m.expected)
        if got != m.expected:
            misses.append((m, got))
    per = {sid: (pos[sid], found[sid], neg[sid], wrong[sid]) for sid in ids}
    return Figures(len(messages), pairs, found_pairs, fa, per, misses)


def table(f: Figures) -> str:
    rows = ["| sign | messages with it | found | recall | false alarms | false-alarm rate |",
            "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for sid, (p, fd, n, w) in f.per_sign.items():
        recall = f"{fd / p:.2f}" if p else "–"
        rows.append(f"| {sid} | {p} | {fd} | {recall} | {w} | {w / n:.3f} |")
    return "\n".join(rows)


def main() -> None:
    messages = load()
    for split in ("tune", "held", None):
        part = [m for m in messages if split is None or m.split == split]
        f = figures(part)
        print(f"## {split or 'all'}: {f.messages} messages, recall {f.recall:.3f} ({f.found_pairs}/{f.pairs}), "
              f"false alarms {f.false_alarm_rate:.3f} ({f.false_alarm_messages}/{f.messages})")
        if "-v" in sys.argv:
            for m, got in f.misses:
                print(f"  {m.line}: {m.text!r} expected {sorted(m.expected)} got {sorted(got)}")
        if "-t" in sys.argv:
            print(table(f))


if __name__ == "__main__":
    main()
