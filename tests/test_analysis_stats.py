"""The statistics against values worked out by hand (and by brute force where that is possible)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from analysis.conclusion import Scale
from analysis.descriptives import describe
from analysis.errors import AnalysisError
from analysis.mcnemar import mcnemar, mcnemar_from_table, wilson_ci
from analysis.normality import CONSTANT, TOO_FEW, shapiro_wilk
from analysis.paired import MISSING, NOT_NUMBER, TTEST, WILCOXON, analyze_pairs
from analysis.spssformat import fmt, fmt_number, fmt_p, p_phrase, spss_round
from analysis.ttest import ZERO_VARIANCE, paired_ttest
from analysis.wilcoxon import ALL_TIES, EQUAL, NEGATIVE, POSITIVE, exact_p_two_sided, wilcoxon_signed_rank

# d = post - pre = [0,0,0,1,1,2,2,2,3,-1,4,2,1,3,0] (the reference's worked example)
D_EXAMPLE = [0, 0, 0, 1, 1, 2, 2, 2, 3, -1, 4, 2, 1, 3, 0]
PRE_EXAMPLE = [5] * len(D_EXAMPLE)
POST_EXAMPLE = [5 + d for d in D_EXAMPLE]


def brute_force_exact_p(d: list[float]) -> float:
    """Two-sided exact p by listing all 2^k sign patterns over the midranks."""
    nonzero = [x for x in d if x != 0]
    ranks = stats.rankdata(np.abs(nonzero))
    t_minus = sum(r for r, x in zip(ranks, nonzero, strict=True) if x < 0)
    t_plus = sum(ranks) - t_minus
    t_obs = min(t_plus, t_minus)
    hits = 0
    for signs in itertools.product((0, 1), repeat=len(ranks)):
        s = sum(r for r, neg in zip(ranks, signs, strict=True) if neg)
        if min(s, sum(ranks) - s) <= t_obs + 1e-9:
            hits += 1
    return min(1.0, hits / 2 ** len(ranks))


class TestWilcoxonByHand:
    def test_ranks_table(self):
        # |d| nonzero: four 1s (one negative) -> midrank 2.5; four 2s -> 6.5; two 3s -> 9.5; 4 -> 11
        w = wilcoxon_signed_rank(PRE_EXAMPLE, POST_EXAMPLE)
        assert (w.negative.n, w.negative.mean_rank, w.negative.sum_ranks) == (1, 2.5, 2.5)
        assert w.positive.n == 10
        assert w.positive.sum_ranks == 63.5
        assert w.positive.mean_rank == pytest.approx(6.35)
        assert (w.ties, w.total) == (4, 15)

    def test_z_with_tie_correction_and_no_continuity_correction(self):
        # var = 11*12*23/24 - (60 + 60 + 6)/48 = 126.5 - 2.625 = 123.875; Z = (2.5 - 33)/sqrt(var)
        w = wilcoxon_signed_rank(PRE_EXAMPLE, POST_EXAMPLE)
        assert w.z == pytest.approx(-30.5 / math.sqrt(123.875), abs=1e-12)
        assert fmt(w.z, 3, ".") == "-2.740"
        assert w.p == pytest.approx(0.00614, abs=5e-6)
        assert w.based_on == NEGATIVE

    def test_exact_p_equals_enumeration(self):
        w = wilcoxon_signed_rank(PRE_EXAMPLE, POST_EXAMPLE)
        assert w.p_exact == pytest.approx(brute_force_exact_p(D_EXAMPLE), abs=1e-12)

    def test_k_equal_changes_give_minus_root_k(self):
        pre = [1] * 20
        post = [2] * 7 + [1] * 13
        w = wilcoxon_signed_rank(pre, post)
        assert w.z == pytest.approx(-math.sqrt(7))
        assert w.positive.mean_rank == 4.0
        assert w.p_exact == pytest.approx(2 / 2**7)

    def test_binary_variable_matches_uncorrected_mcnemar_chi_square(self):
        # b = 6 improvements, c = 2 worsenings: Z = -|b - c| / sqrt(b + c), Z^2 = chi^2
        pre = [0] * 6 + [1] * 2 + [0] * 4
        post = [1] * 6 + [0] * 2 + [0] * 4
        w = wilcoxon_signed_rank(pre, post)
        assert w.z == pytest.approx(-4 / math.sqrt(8))
        assert w.z**2 == pytest.approx((6 - 2) ** 2 / (6 + 2))

    def test_decrease_is_based_on_positive_ranks_and_z_stays_negative(self):
        w = wilcoxon_signed_rank(POST_EXAMPLE, PRE_EXAMPLE)
        assert w.based_on == POSITIVE
        assert w.z == pytest.approx(-30.5 / math.sqrt(123.875))
        assert (w.negative.n, w.positive.n) == (10, 1)

    def test_equal_rank_sums_give_z_zero_p_one(self):
        w = wilcoxon_signed_rank([5, 5, 5, 5], [6, 4, 7, 3])
        assert w.based_on == EQUAL
        assert w.z == 0.0
        assert w.p == 1.0
        assert w.p_exact == 1.0

    def test_all_differences_zero(self):
        w = wilcoxon_signed_rank([3, 4, 5], [3, 4, 5])
        assert (w.z, w.p, w.p_exact, w.reason) == (0.0, 1.0, 1.0, ALL_TIES)  # SPSS: Z = .000, Sig. = 1.000
        assert w.ties == 3
        assert w.negative.mean_rank == 0.0

    def test_float_noise_does_not_break_ties(self):
        pre = [9.2, 7.1, 3.3, 5.0]
        post = [9.3, 7.2, 3.4, 5.0]  # 0.1 each in decimal; not exactly equal in binary
        w = wilcoxon_signed_rank(pre, post)
        assert w.ties == 1
        assert w.positive.mean_rank == 2.0  # one tie group of three

    def test_exact_distribution_without_ties_matches_scipy(self):
        d = [1.5, -0.2, 3.1, 4.4, -2.5, 0.7, 5.9, 6.3]
        ranks = stats.rankdata(np.abs(d))
        t_small = min(ranks[np.array(d) < 0].sum(), ranks[np.array(d) > 0].sum())
        ref = stats.wilcoxon(d, method="exact").pvalue
        assert exact_p_two_sided(ranks, t_small) == pytest.approx(ref, abs=1e-12)


class TestDescriptivesByHand:
    def test_spss_explore_numbers(self):
        d = describe([2, 4, 4, 4, 5, 5, 7, 9])
        # mean 5, sum of squares of deviations 32, SD = sqrt(32/7)
        assert d.mean == 5.0
        assert d.sd == pytest.approx(math.sqrt(32 / 7))
        assert d.se == pytest.approx(math.sqrt(32 / 7) / math.sqrt(8))
        assert d.median == 4.5
        assert (d.min, d.max, d.n) == (2.0, 9.0, 8)
        half = 2.364624251592785 * math.sqrt(32 / 7) / math.sqrt(8)  # t(0.975, 7)
        assert d.ci95 == pytest.approx((5 - half, 5 + half))

    def test_constant_data_has_zero_sd_and_a_point_ci(self):
        d = describe([3, 3, 3])
        assert (d.sd, d.se) == (0.0, 0.0)
        assert d.ci95 == (3.0, 3.0)


class TestTTestByHand:
    def test_paired_t(self):
        pre, post = [1, 2, 3, 4, 5], [2, 4, 3, 6, 8]  # d = 1, 2, 0, 2, 3
        tt = paired_ttest(pre, post)
        assert tt.mean_diff == pytest.approx(1.6)
        assert tt.sd == pytest.approx(math.sqrt(1.3))  # squares of deviations sum to 5.2
        assert tt.se == pytest.approx(math.sqrt(1.3 / 5))
        assert tt.t == pytest.approx(1.6 / math.sqrt(1.3 / 5))
        assert tt.df == 4
        assert tt.p == pytest.approx(2 * stats.t.sf(1.6 / math.sqrt(0.26), 4))
        spss = tt.pre_minus_post()
        assert (spss.mean_diff, spss.t) == (-tt.mean_diff, -tt.t)
        assert spss.ci95 == (-tt.ci95[1], -tt.ci95[0])
        assert (spss.sd, spss.p) == (tt.sd, tt.p)

    def test_matches_scipy_ttest_rel(self):
        pre, post = [7, 6, 8, 7, 7, 6, 8], [9, 8, 10, 7, 10, 8, 9]
        ref = stats.ttest_rel(post, pre)
        tt = paired_ttest(pre, post)
        assert tt.t == pytest.approx(ref.statistic)
        assert tt.p == pytest.approx(ref.pvalue)
        assert tt.ci95 == pytest.approx(tuple(ref.confidence_interval(0.95)))

    def test_constant_differences_cannot_give_t(self):
        tt = paired_ttest([1, 2, 3], [2, 3, 4])
        assert (tt.t, tt.p, tt.ci95, tt.reason) == (None, None, None, ZERO_VARIANCE)
        assert tt.mean_diff == 1.0


class TestMcNemarByHand:
    def test_exact_binomial(self):
        m = mcnemar_from_table(2, 8, 0, 5)
        assert m.p == pytest.approx(2 / 2**8)
        m = mcnemar_from_table(3, 6, 2, 4)  # 2 * P(X <= 2), X ~ Bin(8, 1/2) = 2 * 37/256
        assert m.p == pytest.approx(74 / 256)
        assert mcnemar_from_table(4, 0, 0, 4).p == 1.0

    def test_from_paired_booleans(self):
        before = [False, False, True, True, False]
        after = [True, False, True, False, True]
        m = mcnemar(before, after)
        assert m.table == ((1, 2), (1, 1))
        assert (m.before.count, m.after.count, m.n) == (2, 3, 5)

    def test_wilson_interval(self):
        # 5 of 15: centre (5 + 1.92)/(15 + 3.84), the textbook Wilson interval 0.152-0.583
        lo, hi = wilson_ci(5, 15)
        assert (round(lo, 3), round(hi, 3)) == (0.152, 0.583)
        assert wilson_ci(0, 10)[0] == 0.0
        assert wilson_ci(10, 10)[1] == 1.0
        assert wilson_ci(0, 0) is None


class TestShapiro:
    def test_undefined_cases(self):
        assert shapiro_wilk([1, 2]).reason == TOO_FEW
        res = shapiro_wilk([4, 4, 4, 4])
        assert (res.w, res.p, res.reason) == (None, None, CONSTANT)

    def test_matches_scipy(self):
        x = [2, 3, 3, 4, 4, 4, 5, 5, 6, 9]
        ref = stats.shapiro(x)
        res = shapiro_wilk(x)
        assert (res.w, res.p) == pytest.approx((ref.statistic, ref.pvalue))


class TestSpssFormat:
    @pytest.mark.parametrize(
        ("value", "decimals", "expected"),
        [(0.0625, 3, "0,063"), (-0.0625, 3, "-0,063"), (2.0665, 3, "2,067"), (1.2345, 2, "1,23"),
         (7.047619, 2, "7,05"), (-0.0001, 3, "0,000"), (3.0, 2, "3,00")],
    )
    def test_round_half_away_from_zero(self, value, decimals, expected):
        assert fmt(value, decimals) == expected

    def test_p_values(self):
        assert fmt_p(0.000911) == "0,001"
        assert fmt_p(0.0004999) == "<0,001"
        assert fmt_p(0.0005) == "0,001"
        assert fmt_p(0.012, ".") == "0.012"
        assert p_phrase(1e-9) == "p < 0,001"
        assert p_phrase(0.0468) == "p = 0,047"
        assert fmt_p(None) == "-"

    def test_scores_and_rounding(self):
        assert fmt_number(6.0) == "6"
        assert fmt_number(6.5) == "6,50"
        assert str(spss_round(0.0005, 3)) == "0.001"


class TestAnalyzePairsEdges:
    def test_missing_and_non_numeric_pairs_are_dropped_and_counted(self):
        pairs = [("A", 1, 2), ("B", None, 3), ("C", 2, "x"), ("D", 2, 4), ("E", 3, 3), ("F", 1, float("nan"))]
        report = analyze_pairs(pairs)
        assert report.n == 3
        assert report.dropped == 3
        assert [(d.participant, d.reason) for d in report.dropped_pairs] == [
            ("B", MISSING), ("C", NOT_NUMBER), ("F", NOT_NUMBER)]

    def test_too_few_pairs(self):
        with pytest.raises(AnalysisError) as info:
            analyze_pairs([("A", 1, 2), ("B", 2, None), ("C", 3, 4)])
        assert info.value.code == "too_few_pairs"
        assert info.value.params == {"n": 2, "minimum": 3, "dropped": 1}

    def test_all_differences_zero_gives_no_nan(self):
        report = analyze_pairs([("A", 1, 1), ("B", 2, 2), ("C", 4, 4)])
        assert (report.wilcoxon.z, report.wilcoxon.p) == (0.0, 1.0)
        assert report.ttest.t is None
        assert report.shapiro.diff.w is None
        assert (report.effect.r, report.effect.dz) == (0.0, None)
        assert report.recommended == WILCOXON
        assert report.recommended_p == 1.0

    def test_decision_rule(self):
        interval = Scale(ordinal=False)  # whole numbers in 5 levels would be taken for ordinal scores
        normalish = analyze_pairs([(str(i), 10, 10 + d) for i, d in enumerate([1, 2, 3, 2, 4, 3, 2, 1, 3, 2])],
                                  scale=interval)
        assert normalish.shapiro.diff.p >= 0.05
        assert normalish.recommended == TTEST
        skewed = analyze_pairs([(str(i), 10, 10 + d) for i, d in enumerate([0] * 8 + [1, 9])], scale=interval)
        assert skewed.shapiro.diff.p < 0.05
        assert skewed.recommended == WILCOXON

    def test_classes_feed_mcnemar(self):
        pairs = [("A", 1, 5), ("B", 2, 5), ("C", 4, 4), ("D", 1, 1)]
        classes = [(False, True), (False, True), (True, True), (None, False)]
        report = analyze_pairs(pairs, classes=classes)
        assert report.mcnemar.table == ((0, 2), (0, 1))
        assert report.class_missing == 1
