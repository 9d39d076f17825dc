"""The danger-sign matcher on the labelled corpus (tests/data/danger_messages.tsv): recall and false alarms,
overall and per sign, on the part the rules were developed against and on the held-out part."""

from __future__ import annotations

import pytest

from content import get_content
from tests.danger_corpus import figures, load

RECALL = 0.97
FALSE_ALARMS = 0.03


def test_the_corpus_is_large_varied_and_labelled_with_known_signs() -> None:
    messages = load()
    assert len(messages) >= 300
    ids = {s.id for s in get_content().danger_signs if s.patterns}  # not answer-only signs (no typed text)
    for m in messages:
        assert m.split in ("tune", "held"), m
        assert m.expected <= ids, f"line {m.line}: unknown sign {sorted(m.expected - ids)}"
    held = [m for m in messages if m.split == "held"]
    assert len(held) >= 100
    assert sum(1 for m in messages if not m.expected) >= 90  # benign messages, many sharing words with signs
    assert sum(1 for m in messages if len(m.expected) >= 2) >= 8  # two signs in one message
    assert {s for m in messages for s in m.expected} == ids  # every sign is in the corpus


@pytest.mark.parametrize("split", ["tune", "held", "all"])
def test_recall_and_false_alarms_meet_the_thresholds(split: str) -> None:
    messages = [m for m in load() if split == "all" or m.split == split]
    f = figures(messages)
    misses = "\n".join(f"  line {m.line}: {m.text!r} expected {sorted(m.expected)} got {sorted(got)}"
                       for m, got in f.misses)
    assert f.recall >= RECALL, f"recall {f.recall:.3f} < {RECALL}\n{misses}"
    assert f.false_alarm_rate <= FALSE_ALARMS, f"false alarms {f.false_alarm_rate:.3f} > {FALSE_ALARMS}\n{misses}"


def test_every_sign_meets_the_thresholds_on_the_whole_corpus() -> None:
    f = figures(load())
    typed = {s.id for s in get_content().danger_signs if s.patterns}  # answer-only signs are never typed
    for sign, (positives, found, negatives, wrong) in f.per_sign.items():
        if sign not in typed:
            continue
        assert positives and found / positives >= 0.75, f"{sign}: {found}/{positives} found"
        assert wrong / negatives <= FALSE_ALARMS, f"{sign}: {wrong}/{negatives} false alarms"
