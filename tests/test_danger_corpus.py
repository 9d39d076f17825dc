"""The danger-sign corpus (content/danger_corpus/) and the reader on it, each author's part read by a model that
never saw it (leave-one-author-out): the combined reader (rules + learned reader, content/danger_model.py
Settings.combine) stays above floors set a little below what was measured (SAFETY.md section 2)."""

from __future__ import annotations

import pytest

from content import get_content
from content.danger_corpus import KINDS, SEALED, load
from content.danger_eval import all_rules, author_groups, figures, folds, per_sign
from content.danger_model import read_settings

# Measured on 41 parts in six folds of whole authors (SAFETY.md section 2 has one author out): pair recall 0.923,
# urgent alert recall 0.965, false alarms 0.033 (the fifth round's authors wrote harder look-alikes: 0.028 on 29
# parts); the floors sit a little below. An urgent message the model cannot name a sign for raises
# "tanda_bahaya_belum_jelas" (urgent, no sign named): it counts for urgent alert recall, not as the right sign.
FLOORS = {"recall": 0.91, "urgent_recall": 0.96, "false_alarms": 0.035}


@pytest.fixture(scope="module")
def by_author():
    """Six folds of whole authors (each author read by a model that saw none of their words): six fits instead
    of one per author; a little stricter than leaving one author out (less to learn from)."""
    content = get_content()
    messages = load()
    return folds(content, messages, author_groups(messages, 6), all_rules(content, messages))


def test_the_corpus_is_large_labelled_with_known_signs_and_has_no_sealed_part() -> None:
    messages = load()
    ids = {s.id for s in get_content().danger_signs}  # an author may name an answer-only sign (severe pain): it
    typed = {s.id for s in get_content().danger_signs if s.patterns}  # teaches the heads, never a column
    assert len(messages) >= 3000
    assert len({m.author for m in messages}) >= 5 and SEALED not in {m.author for m in messages}
    for m in messages:
        assert m.signs <= ids, f"{m.file}:{m.line}: unknown sign {sorted(m.signs - ids)}"
        assert m.kind in KINDS
    assert {s for m in messages for s in m.signs} >= typed  # every typed sign is in the corpus
    assert sum(1 for m in messages if not m.signs) >= 900  # harmless messages, many look-alikes


def test_the_combined_reader_stays_above_its_floors_on_left_out_authors(by_author) -> None:
    urgent = frozenset(s.id for s in get_content().danger_signs if s.urgent)
    settings = read_settings()
    combined = figures(by_author, "combined", settings, urgent)["all"]
    rules = figures(by_author, "rules", settings, urgent)["all"]
    assert combined.recall >= FLOORS["recall"], combined
    assert combined.urgent_recall >= FLOORS["urgent_recall"], combined
    assert combined.false_alarm_rate <= FLOORS["false_alarms"], combined
    assert combined.false_alarm_rate < rules.false_alarm_rate  # the model's veto drops look-alikes
    for r in by_author:  # a number against a threshold always stands
        assert r.hypothetical or {s for s, exact in r.rules.items() if exact} <= r.signs("combined", settings), r
    typed = {s.id for s in get_content().danger_signs if s.patterns}
    for sign, (positives, found, _, _) in per_sign(by_author, "combined", settings).items():
        if positives and sign in typed:  # an answer-only sign (the safety check's pain question) has no column
            assert found / positives >= 0.4, f"{sign}: {found}/{positives}"


def test_an_urgent_message_without_a_nameable_sign_raises_the_unclear_sign_not_a_guess() -> None:
    """The urgent head reads a message as urgent but no sign is likely enough to be named: the family gets the
    emergency advice for "not yet clear", never advice about a sign nobody reported."""
    from content.danger_model import ANY, UNCLEAR, URGENT, read_settings

    settings = read_settings()
    urgent = {"bayi_sesak", "ibu_ingin_mati"}
    unsure = {"bayi_sesak": 0.12, "ibu_ingin_mati": 0.2, URGENT: 0.9, ANY: 0.9}
    assert settings.combine({}, unsure, urgent) == {UNCLEAR}
    named = {**unsure, "ibu_ingin_mati": settings.name_unclear + 0.01}
    assert settings.combine({}, named, urgent) == {"ibu_ingin_mati"}
    calm = {**unsure, URGENT: settings.urgent_message - 0.01}
    assert UNCLEAR not in settings.combine({}, calm, urgent)
