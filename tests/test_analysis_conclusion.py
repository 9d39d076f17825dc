"""The conclusion, the warnings and the effect sizes with CIs (issue 15), each figure checked against a
second implementation (SciPy, brute force) or a worked example from the literature."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from analysis import analyze_pairs, render_compact, render_text, to_json
from analysis.conclusion import Scale
from analysis.effects import dz_ci, fisher_ci, hodges_lehmann, newcombe_paired
from content import get_content


@pytest.fixture(scope="module")
def labels():
    content = get_content()
    return lambda key, /, **params: content.text(f"analysis.{key}", **params)


def pairs_from_diffs(diffs, base=10.0):
    return [(f"P{i}", base, base + d) for i, d in enumerate(diffs)]


def codes(report):
    return [w.code for w in report.warnings]


# -- the n = 5 case of the issue -----------------------------------------------------------------------

def test_n5_concludes_not_enough_evidence_on_the_exact_p(labels):
    report = analyze_pairs(pairs_from_diffs([1, 1, 1, 1, 4]))
    c = report.conclusion
    assert report.wilcoxon.p == pytest.approx(0.0339, abs=1e-4)  # asymptotic: "bermakna" before
    assert (c.test, c.p_kind, c.significant) == ("wilcoxon", "exact", False)
    assert c.p == pytest.approx(0.0625)
    assert c.reason == "small_n"  # no Shapiro-Wilk choice below 10 pairs
    assert "small_n" in codes(report) and "no_control_group" in codes(report)
    text = render_text(report, labels)
    assert "Belum cukup bukti adanya perbedaan" in text
    assert "Tidak ada perbedaan" not in text
    assert "p = 0,063" in text and "p = 0,034" in text  # both printed, SPSS-rounded
    data = to_json(report, labels)
    assert data["conclusion"] == {"test": "wilcoxon", "p": pytest.approx(0.0625), "p_kind": "exact",
                                  "significant": False, "direction": "improved", "reason": "small_n",
                                  "ttest_secondary": True, "up": 5, "down": 0, "median_diff": 1.0}
    assert "cannot_reach_alpha" in codes(report)  # 5 changed pairs: no exact test can reach .05
    small = [w for w in data["warnings"] if w["code"] == "small_n"]
    assert small and "5" in small[0]["text"]


def test_exact_p_with_ties_and_zeros_matches_brute_force_enumeration():
    diffs = [0, 0, 2, -1, 1, 3, 2, 2, -2, 1, 4, 0]
    report = analyze_pairs(pairs_from_diffs(diffs))
    nonzero = [d for d in diffs if d]
    ranks = stats.rankdata(np.abs(nonzero))
    observed = min(sum(r for r, d in zip(ranks, nonzero, strict=True) if d > 0),
                   sum(r for r, d in zip(ranks, nonzero, strict=True) if d < 0))
    centre = ranks.sum() / 2
    extreme = total = 0
    for signs in itertools.product((0, 1), repeat=len(ranks)):
        t_plus = sum(r for r, s in zip(ranks, signs, strict=True) if s)
        total += 1
        extreme += abs(t_plus - centre) >= abs(observed - centre) - 1e-9
    assert report.wilcoxon.p_exact == pytest.approx(extreme / total)
    assert report.conclusion.p == report.wilcoxon.p_exact


def test_exact_p_without_ties_matches_scipy():
    rng = np.random.default_rng(3)
    d = np.round(rng.normal(0.5, 1, 14), 3)
    report = analyze_pairs(pairs_from_diffs(d))
    assert report.wilcoxon.p_exact == pytest.approx(stats.wilcoxon(d, method="exact").pvalue)


def test_above_50_pairs_the_asymptotic_p_decides():
    rng = np.random.default_rng(5)
    d = rng.integers(-3, 5, 80).astype(float)
    report = analyze_pairs(pairs_from_diffs(d), scale=Scale(ordinal=False))
    if report.conclusion.test == "wilcoxon":
        assert report.conclusion.p_kind == "asymptotic"
        assert report.conclusion.p == report.wilcoxon.p
    spss = stats.wilcoxon(d, zero_method="wilcox", correction=False, method="asymptotic")
    assert report.wilcoxon.p == pytest.approx(spss.pvalue)


# -- choice of test ---------------------------------------------------------------------------------------

def test_ordinal_scores_use_wilcoxon_and_show_t_only_as_secondary(labels):
    # 24 pairs on a 0/1/2 scale whose differences look normal enough for Shapiro-Wilk
    pre = [0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 1, 0, 1, 2, 1, 0, 1, 1, 2, 0, 1, 1]
    post = [1, 1, 2, 2, 1, 2, 2, 1, 1, 2, 2, 2, 1, 1, 2, 2, 2, 0, 1, 2, 2, 1, 1, 2]
    report = analyze_pairs([(str(i), a, b) for i, (a, b) in enumerate(zip(pre, post, strict=True))])
    assert report.ordinal
    assert report.conclusion.test == "wilcoxon" and report.conclusion.reason == "ordinal"
    assert report.conclusion.ttest_secondary
    assert "ordinal" in codes(report)
    text = render_text(report, labels)
    assert "angka pelengkap" in text


def test_interval_scores_with_10_or_more_pairs_keep_the_shapiro_rule():
    rng = np.random.default_rng(1)
    pre = rng.normal(50, 10, 30)
    post = pre + rng.normal(3, 2, 30)
    report = analyze_pairs([(str(i), a, b) for i, (a, b) in enumerate(zip(pre, post, strict=True))])
    assert not report.ordinal
    assert report.conclusion.reason == "diff_normal"
    assert report.conclusion.test == "paired_t"
    assert report.conclusion.p == pytest.approx(stats.ttest_rel(post, pre).pvalue)
    assert report.conclusion.direction == "improved"
    assert "small_n" not in codes(report)


def test_lower_is_better_turns_a_fall_into_an_improvement(labels):
    # skala3: 0 = lancar, 2 = kurang lancar; 11 mothers went one level down, 13 stayed (seed001's pattern)
    pairs = [(f"P{i}", 2, 1) for i in range(11)] + [(f"Q{i}", 1, 1) for i in range(13)]
    report = analyze_pairs(pairs, scale=Scale(higher_is_better=False, ordinal=True))
    c = report.conclusion
    assert c.direction == "improved" and c.significant
    assert c.p == pytest.approx(stats.wilcoxon([-1] * 11, method="exact").pvalue)  # 2/2^11
    text = render_text(report, labels)
    assert "membaik" in text and "skor lebih rendah lebih baik" in text
    assert "many_ties" in codes(report)
    worse = analyze_pairs(pairs, scale=Scale(higher_is_better=True, ordinal=True))
    assert worse.conclusion.direction == "worse"


def test_unchanged_when_every_pair_ties(labels):
    report = analyze_pairs([(str(i), 3, 3) for i in range(12)])
    assert report.conclusion.direction == "unchanged"
    # SPSS prints Z = .000, Sig. = 1.000 when nothing moved
    assert report.conclusion.p == 1.0 and not report.conclusion.significant
    assert (report.wilcoxon.z, report.wilcoxon.p) == (0.0, 1.0)
    assert labels("decision.direction_word.unchanged") in render_text(report, labels)


# -- warnings ---------------------------------------------------------------------------------------------

def test_warnings_name_exclusions_windows_and_derived_instruments(labels):
    pairs = pairs_from_diffs([1, 2, 0, 1, 3, 1, 2, 0, 1, 2, 1, 1]) + [("X1", None, 5), ("X2", 4, None)]
    report = analyze_pairs(pairs, scale=Scale(derived=True, instrument="Ceklis 6 tanda", source="seed000"),
                           excluded={"no_research_consent": 3, "some_new_reason": 1}, outside_window=2)
    data = to_json(report, labels)
    by_code = {w["code"]: w["text"] for w in data["warnings"]}
    assert set(by_code) >= {"small_n", "no_control_group", "ordinal", "excluded", "derived_instrument",
                            "outside_window"}
    assert "6 pasangan" in by_code["excluded"]  # 2 missing + 3 + 1
    assert "some new reason: 1" in by_code["excluded"]
    assert "seed000" in by_code["derived_instrument"] and "Ceklis 6 tanda" in by_code["derived_instrument"]
    assert "2 pengukuran" in by_code["outside_window"]
    assert "72 jam" in by_code["no_control_group"]
    chat = render_compact(report, labels)
    assert "Peringatan" in chat and "72 jam" in chat
    assert "n = 12 pasangan, dibuang 6" in chat  # the head counts what the warnings block counts
    assert len(chat) < 4000


def test_twenty_or_more_pairs_have_no_small_n_warning():
    rng = np.random.default_rng(2)
    pre = rng.normal(50, 10, 25)
    report = analyze_pairs([(str(i), a, a + 1 + rng.normal()) for i, a in enumerate(pre)])
    assert "small_n" not in codes(report)
    assert "no_control_group" in codes(report)


# -- effect sizes -----------------------------------------------------------------------------------------

def test_r_ci_is_the_fisher_interval_scipy_gives_a_correlation():
    rng = np.random.default_rng(7)
    x = rng.normal(size=24)
    y = x + rng.normal(size=24)
    res = stats.pearsonr(x, y)
    ci = res.confidence_interval(0.95)
    assert fisher_ci(float(res.statistic), 24) == pytest.approx((ci.low, ci.high))
    report = analyze_pairs(pairs_from_diffs([1, 2, 0, 1, 3, 1, 2, 0, 1, 2, 1, 1, -1, 2, 1]))
    r = report.effect.r
    lo, hi = report.effect.r_ci95
    assert r == pytest.approx(abs(report.wilcoxon.z) / math.sqrt(15))
    assert lo < r < hi
    assert (lo, hi) == pytest.approx((math.tanh(math.atanh(r) - 1.959964 / math.sqrt(12)),
                                      math.tanh(math.atanh(r) + 1.959964 / math.sqrt(12))), abs=1e-5)


def test_hodges_lehmann_ci_is_the_inverted_exact_wilcoxon_test():
    rng = np.random.default_rng(11)
    d = np.round(rng.normal(1.0, 2.0, 15), 4)
    hl = hodges_lehmann(d)
    walsh = sorted((a + b) / 2 for a, b in itertools.combinations_with_replacement(d, 2))
    assert hl.estimate == pytest.approx(np.median(walsh))
    lo, hi = hl.ci95
    eps = 1e-6
    for inside in (lo + eps, hi - eps, hl.estimate):
        assert stats.wilcoxon(d - inside, method="exact").pvalue > 0.05
    for outside in (lo - eps, hi + eps):
        assert stats.wilcoxon(d - outside, method="exact").pvalue <= 0.05
    assert hl.exact


def test_hodges_lehmann_worked_example_hollander_wolfe():
    # Hollander & Wolfe, Example 3.1 (Hamilton depression scale, first minus second visit), n = 9:
    # R's wilcox.test(x, y, paired = TRUE, conf.int = TRUE) gives the estimate 0.46 and the 95% CI
    # from the 6th smallest to the 6th largest Walsh average.
    x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    d = np.array(x) - np.array(y)
    hl = hodges_lehmann(d)
    walsh = sorted((a + b) / 2 for a, b in itertools.combinations_with_replacement(d, 2))
    assert hl.estimate == pytest.approx(0.46, abs=1e-9)
    assert hl.ci95 == pytest.approx((walsh[5], walsh[-6]))


def test_hodges_lehmann_has_no_95_ci_below_6_pairs(labels):
    report = analyze_pairs(pairs_from_diffs([1, 1, 1, 1, 4]))
    assert report.effect.hl.estimate == 1.0
    assert report.effect.hl.ci95 is None
    assert "IK95% Hodges-Lehmann tidak ada" in render_text(report, labels)


def test_dz_ci_inverts_the_noncentral_t_and_agrees_with_the_large_sample_formula():
    rng = np.random.default_rng(13)
    d = rng.normal(0.4, 1.0, 20)
    dz, (lo, hi) = dz_ci(d)
    n = d.size
    t_obs = dz * math.sqrt(n)
    assert dz == pytest.approx(d.mean() / d.std(ddof=1))
    assert stats.nct.cdf(t_obs, n - 1, lo * math.sqrt(n)) == pytest.approx(0.975, abs=1e-8)
    assert stats.nct.cdf(t_obs, n - 1, hi * math.sqrt(n)) == pytest.approx(0.025, abs=1e-8)
    big = rng.normal(0.5, 1.0, 400)
    dz_big, (lo_big, hi_big) = dz_ci(big)
    se = math.sqrt(1 / big.size + dz_big**2 / (2 * big.size))
    assert lo_big == pytest.approx(dz_big - 1.959964 * se, abs=0.005)
    assert hi_big == pytest.approx(dz_big + 1.959964 * se, abs=0.005)


def test_newcombe_paired_difference_worked_example():
    # Fagerland, Lydersen & Laake, Statistical Analysis of Contingency Tables (2017), ch. 8: complete
    # response before and after consolidation therapy (Cavo et al. 2012), table 59 / 6 / 16 / 80:
    # Newcombe square-and-add estimate -0.0621, 95% CI -0.1186 to -0.0046.
    estimate, (lo, hi) = newcombe_paired(59, 6, 16, 80)
    assert round(estimate, 4) == -0.0621
    assert (round(lo, 4), round(hi, 4)) == (-0.1186, -0.0046)


def test_mcnemar_reports_the_difference_in_proportions_with_newcombe_ci(labels):
    # seed000's abstract: 5 -> 13 lancar of 15, 8 became lancar, none went back
    classes = [(False, True)] * 8 + [(True, True)] * 5 + [(False, False)] * 2
    pairs = [(str(i), 2 + int(b), 4 + int(a)) for i, (b, a) in enumerate(classes)]
    report = analyze_pairs(pairs, classes=classes)
    m = report.mcnemar
    assert m.diff == pytest.approx(8 / 15)
    expected = newcombe_paired(5 + 8 - 8, 8, 0, 2)  # both yes = 5, after only = 8, before only = 0
    assert m.diff_ci95 == pytest.approx(expected[1])
    assert m.diff_ci95[0] < m.diff < m.diff_ci95[1]
    data = to_json(report, labels)
    assert data["mcnemar"]["diff"] == pytest.approx(8 / 15)
    assert "Newcombe" in render_text(report, labels)


def test_seed_errors_are_named_next_to_the_tables_that_follow_them(labels):
    report = analyze_pairs(pairs_from_diffs([1, 2, 0, 1, 3, 1, 2, 0, 1, 2, 1, 1]))
    text = render_text(report, labels)
    assert "peran suami" in text and "Pengetahuan" in text and "ml" in text
