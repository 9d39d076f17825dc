"""The seed papers' printed figures, from the data sets in tests/data/analysis/ (see its README).

Values are compared as SPSS prints them (3 decimals for statistics and p, 2 for means, CIs and
ranks), so a midwife could paste either into her report.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis import analyze_pairs, read_pairs_csv
from analysis.paired import TTEST, WILCOXON, PairedReport
from analysis.spssformat import fmt, fmt_p
from analysis.wilcoxon import NEGATIVE, POSITIVE

DATA = Path(__file__).parent / "data" / "analysis"


def load(name: str) -> PairedReport:
    data = read_pairs_csv(DATA / name)
    return analyze_pairs(data.pairs, dropped=data.dropped, classes=data.classes, class_labels=data.class_labels)


def f(value: float, decimals: int) -> str:
    return fmt(value, decimals, ".")


def ci(pair: tuple[float, float], decimals: int = 2) -> str:
    return f"{f(pair[0], decimals)}-{f(pair[1], decimals)}"


class TestSeed000:
    def test_table3_means_sds_and_cis_need_n_15(self):
        r = load("seed000_checklist.csv")
        assert r.n == 15
        assert (f(r.pre.mean, 2), f(r.pre.sd, 3), ci(r.pre.ci95)) == ("2.07", "1.438", "1.27-2.86")
        assert (f(r.post.mean, 2), f(r.post.sd, 3), ci(r.post.ci95)) == ("3.53", "1.407", "2.75-4.31")

    def test_paired_t_p_prints_000(self):
        r = load("seed000_checklist.csv")
        assert r.ttest.p < 0.0005
        assert fmt_p(r.ttest.p, ".") == "<0.001"

    def test_lancar_rule_gives_5_to_10_not_the_tables_8_to_13(self):
        # Contradiction: Table 2 prints 8 -> 13 lancar; with the Table 3 moments and the >= 4 rule,
        # at most 5 were lancar before (and at most 10 after, given p < .0005).
        r = load("seed000_checklist.csv")
        m = r.mcnemar
        assert (m.before.count, m.after.count) == (5, 10)
        assert (m.b, m.c) == (5, 0)
        assert f(m.p, 3) == "0.063"
        assert r.class_labels.yes == "lancar"
        assert r.class_labels.no == "tidak_lancar"

    def test_abstract_p_0005_is_a_wilcoxon_on_binary_lancar(self):
        # Contradiction: the abstract's "Wilcoxon p = 0.005" is not the Table 3 paired-t p (.000).
        # It is reproduced by 8 changes to lancar and none back (abstract: 5 -> 13 of 15).
        r = load("seed000_lancar.csv")
        w = r.wilcoxon
        assert (w.negative.n, w.positive.n, w.ties) == (0, 8, 7)
        assert (f(w.z, 3), f(w.p, 3)) == ("-2.828", "0.005")
        assert (r.mcnemar.before.count, r.mcnemar.after.count) == (5, 13)
        assert f(r.mcnemar.p, 3) == "0.008"  # the exact McNemar p would have been .008


class TestSeed001:
    @pytest.mark.parametrize("name", ["seed001_day1.csv", "seed001_day2.csv"])
    def test_table3_wilcoxon(self, name):
        r = load(name)
        w = r.wilcoxon
        assert r.n == 24
        assert (w.negative.n, f(w.negative.mean_rank, 2), f(w.negative.sum_ranks, 2)) == (0, "0.00", "0.00")
        assert (w.positive.n, f(w.positive.mean_rank, 2), f(w.positive.sum_ranks, 2)) == (11, "6.00", "66.00")
        assert (w.ties, w.total) == (13, 24)
        assert (f(w.z, 3), f(w.p, 3)) == ("-3.317", "0.001")
        assert w.based_on == NEGATIVE
        assert w.p_exact == pytest.approx(2 / 2**11)
        assert r.recommended == WILCOXON  # Shapiro-Wilk on the differences: p < .05

    def test_table2_sds(self):
        day1, day2 = load("seed001_day1.csv"), load("seed001_day2.csv")
        assert (f(day1.pre.sd, 3), f(day1.post.sd, 3)) == ("0.338", "0.584")
        assert (f(day2.pre.sd, 3), f(day2.post.sd, 3)) == ("0.338", "0.504")

    def test_papers_own_coding_puts_improvements_in_negative_ranks(self):
        # Contradiction: under Table 2's coding (0 = lancar, 2 = kurang lancar) SPSS would list the
        # 11 improvements as negative ranks; Z and p do not change.
        data = read_pairs_csv(DATA / "seed001_day1.csv")
        paper = analyze_pairs([(p, 2 - pre, 2 - post) for p, pre, post in data.pairs])
        w = paper.wilcoxon
        assert (w.negative.n, f(w.negative.mean_rank, 2), w.positive.n) == (11, "6.00", 0)
        assert (f(w.z, 3), f(w.p, 3)) == ("-3.317", "0.001")
        assert w.based_on == POSITIVE
        # Table 2 under that coding: median 2 and 1, and the Day I post maximum is 2 (printed 1).
        assert (paper.pre.median, paper.post.median) == (2.0, 1.0)
        assert (paper.post.min, paper.post.max) == (0.0, 2.0)

    def test_shapiro_p_prints_000_not_00001(self):
        # Contradiction: the paper prints p = 0.0001; SPSS would print .000 for all four.
        for name in ("seed001_day1.csv", "seed001_day2.csv"):
            r = load(name)
            assert r.shapiro.pre.p < 0.0005 and r.shapiro.post.p < 0.0005
        assert f(load("seed001_day1.csv").shapiro.pre.w, 3) == "0.393"
        assert f(load("seed001_day1.csv").shapiro.post.w, 3) == "0.733"


class TestSeed002:
    def test_table3(self):
        r = load("seed002.csv")
        assert r.n == 21
        assert (f(r.pre.mean, 2), f(r.pre.sd, 3), r.pre.min, r.pre.max) == ("7.05", "0.740", 6.0, 8.0)
        assert (f(r.post.mean, 2), f(r.post.sd, 3), r.post.min, r.post.max) == ("9.00", "1.183", 6.0, 10.0)
        spss = r.ttest.pre_minus_post()  # the paper prints the SPSS order: pre - post
        assert (f(spss.mean_diff, 3), f(spss.sd, 3)) == ("-1.952", "1.161")
        assert (f(r.ttest.mean_diff, 3), f(r.ttest.sd, 3)) == ("1.952", "1.161")  # ours: post - pre
        assert (f(spss.t, 3), spss.df) == ("-7.707", 20)
        assert ci(spss.ci95, 3) == "-2.481--1.424"
        assert fmt_p(spss.p, ".") == "<0.001"

    def test_four_mothers_did_not_improve(self):
        w = load("seed002.csv").wilcoxon
        assert (w.ties, w.negative.n) == (4, 0)
        assert -3.78 <= w.z <= -3.70


class TestSeed003:
    def test_table5_descriptives(self):
        r = load("seed003.csv")
        assert r.n == 30
        assert (f(r.pre.mean, 2), f(r.pre.sd, 3), ci(r.pre.ci95)) == ("9.17", "0.874", "8.84-9.49")
        assert (f(r.post.mean, 2), f(r.post.sd, 3), ci(r.post.ci95)) == ("13.37", "1.671", "12.74-13.99")
        assert (r.pre.min, r.pre.max, r.post.min, r.post.max) == (7.0, 10.0, 9.0, 16.0)
        assert f(r.diff.mean, 2) == "4.20"

    def test_printed_wilcoxon_p_0012_cannot_be_reproduced(self):
        # Contradiction: p = 0.012 needs |Z| = 2.51; every difference consistent with the printed
        # figures is positive here, which gives p < .001.
        w = load("seed003.csv").wilcoxon
        assert w.negative.n == 0 and w.positive.n == 30
        assert w.p < 1.2e-5
        assert fmt_p(w.p, ".") == "<0.001"

    def test_decision_rule_picks_the_t_test_for_this_data(self):
        # The paper chose Wilcoxon without a normality test; on this data set the differences pass
        # Shapiro-Wilk (p = .053), so the papers' own rule would pick the paired t-test.
        r = load("seed003.csv")
        assert f(r.shapiro.diff.p, 3) == "0.053"
        assert r.recommended == TTEST
