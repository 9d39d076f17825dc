"""Statistics a supervisor signs (issue 24): Holm beside several tests, the direction read from the paired
differences, all ties as SPSS prints them, CIs of bounded scores inside the scale, a note when no exact test can
reach .05, and scores checked against the scale's range (``analyze --csv --min/--max``)."""

from __future__ import annotations

import json

import pytest

from analysis import AnalysisError, analyze_pairs, render_text, to_json
from analysis.conclusion import Scale
from analysis.multiplicity import holm
from bot import cli
from content import get_content


@pytest.fixture(scope="module")
def labels():
    content = get_content()

    def text(key: str, /, **params: object) -> str:
        return content.text(f"analysis.{key}", **params)

    return text


def codes(report) -> set[str]:
    return {w.code for w in report.warnings}


def test_holm_by_hand():
    # sorted 0.01, 0.02, 0.04 -> x3, x2, x1 = 0.03, 0.04, 0.04 (the running maximum keeps the order)
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, None, 0.6]) == [1.0, None, 1.0]  # None is left out of k; 2 x 0.5 caps the larger
    assert holm([0.01]) == [0.01]


def test_balanced_differences_have_no_direction_whatever_the_rank_sums_say(labels):
    # identical marginals before and after (0: 3, 1: 3, 2: 2): four go down by 1, two go up by 2; the rank
    # sums differ (10 against 11), the differences cancel out
    pairs = [("a", 1, 0), ("b", 1, 0), ("c", 2, 1), ("d", 2, 1), ("e", 0, 2), ("f", 0, 2), ("g", 1, 1),
             ("h", 0, 0)]
    report = analyze_pairs(pairs, scale=Scale(higher_is_better=False, minimum=0, maximum=2))
    w = report.wilcoxon
    assert w.negative.sum_ranks != w.positive.sum_ranks
    assert report.conclusion.direction == "unchanged"
    data = to_json(report, labels)
    assert data["conclusion"]["direction"] == "unchanged"
    assert (data["conclusion"]["up"], data["conclusion"]["down"]) == (2, 4)
    assert labels("decision.direction_word.unchanged") in render_text(report, labels)


def test_all_ties_print_z_0_and_p_1(labels):
    report = analyze_pairs([(str(i), 1, 1) for i in range(6)])
    data = to_json(report, labels)
    assert (data["wilcoxon"]["z"], data["wilcoxon"]["p"]) == (0.0, 1.0)
    text = render_text(report, labels)
    assert "0,000" in text and "1,000" in text


def test_cis_of_a_bounded_score_stay_inside_the_scale_and_say_how(labels):
    pairs = [("a", 0, 1), ("b", 0, 0), ("c", 1, 6), ("d", 0, 6), ("e", 0, 5)]
    report = analyze_pairs(pairs, scale=Scale(minimum=0, maximum=6))
    for d in (report.pre, report.post):
        assert 0 <= d.ci95[0] <= d.ci95[1] <= 6
    assert -6 <= report.diff.ci95[0] and report.diff.ci95[1] <= 6
    assert "bounded_ci" in codes(report)
    unbounded = analyze_pairs(pairs)
    assert unbounded.pre.ci95[0] < 0  # the plain t interval of a 0-6 score went below 0
    # where it fits, the interval is SPSS's own
    fits = analyze_pairs([("a", 2, 3), ("b", 3, 3), ("c", 3, 4), ("d", 2, 4)], scale=Scale(minimum=0, maximum=6))
    assert fits.pre.ci95 == analyze_pairs([("a", 2, 3), ("b", 3, 3), ("c", 3, 4), ("d", 2, 4)]).pre.ci95
    assert "bounded_ci" not in codes(fits)


def test_a_note_when_no_exact_test_can_reach_05(labels):
    five = analyze_pairs([(str(i), 0, 1) for i in range(5)])
    assert "cannot_reach_alpha" in codes(five)  # best exact p = 2/32 = .0625
    six = analyze_pairs([(str(i), 0, 1) for i in range(6)])
    assert "cannot_reach_alpha" not in codes(six)  # 2/64 = .031


def test_scores_outside_the_scale_are_refused():
    with pytest.raises(AnalysisError) as info:
        analyze_pairs([("a", 0, 1), ("b", 500, 2), ("c", 1, 1)], scale=Scale(minimum=0, maximum=6))
    assert info.value.code == "out_of_range" and info.value.params["participant"] == "b"


def test_analyze_csv_min_max(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("participant,pre,post\nA,1,2\nB,-4,3\nC,2,2\nD,1,6\n", encoding="utf-8")
    assert cli.main(["analyze", "--csv", str(bad), "--min", "0", "--max", "6"]) == 2
    err = capsys.readouterr().err
    assert "-4" in err and "B" in err and "0 sampai 6" in err
    good = tmp_path / "good.csv"
    good.write_text("participant,pre,post\nA,0,1\nB,0,0\nC,1,6\nD,0,6\nE,0,5\n", encoding="utf-8")
    assert cli.main(["analyze", "--csv", str(good), "--min", "0", "--max", "6", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("pre", "post"):
        low, high = data[key]["ci95"]
        assert 0 <= low <= high <= 6
    assert "bounded_ci" in {w["code"] for w in data["warnings"]}
    assert cli.main(["analyze", "--csv", str(good), "--min", "0", "--max", "6"]) == 0
    text = capsys.readouterr().out
    assert "dipotong" in text  # the warnings in the plain text, the method named
