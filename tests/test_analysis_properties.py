"""Property tests: the Wilcoxon agrees with SciPy under SPSS's options, ranks add up, and swapping
pre and post only flips signs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.paired import analyze_pairs
from analysis.wilcoxon import NEGATIVE, POSITIVE, wilcoxon_signed_rank

scores = st.integers(min_value=0, max_value=16)
pairs_strategy = st.lists(st.tuples(scores, scores), min_size=3, max_size=60)


def split(pairs):
    return [a for a, _ in pairs], [b for _, b in pairs]


@settings(max_examples=300, deadline=None)
@given(pairs_strategy)
def test_z_and_p_agree_with_scipy_spss_options(pairs):
    pre, post = split(pairs)
    d = np.array(post) - np.array(pre)
    w = wilcoxon_signed_rank(pre, post)
    if not d.any():
        assert w.z == 0.0 and w.p == 1.0  # as SPSS prints it
        return
    ref = stats.wilcoxon(d, zero_method="wilcox", correction=False, alternative="two-sided", method="approx")
    assert w.z == pytest.approx(ref.zstatistic, abs=1e-9)
    assert w.p == pytest.approx(ref.pvalue, abs=1e-12, rel=1e-9)
    assert min(w.negative.sum_ranks, w.positive.sum_ranks) == pytest.approx(ref.statistic)


@settings(max_examples=300, deadline=None)
@given(pairs_strategy)
def test_ranks_sum_to_k_k_plus_1_over_2(pairs):
    pre, post = split(pairs)
    w = wilcoxon_signed_rank(pre, post)
    k = w.negative.n + w.positive.n
    assert w.negative.sum_ranks + w.positive.sum_ranks == pytest.approx(k * (k + 1) / 2)
    assert k + w.ties == w.total == len(pairs)
    for row in (w.negative, w.positive):
        assert row.mean_rank == pytest.approx(row.sum_ranks / row.n if row.n else 0.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.01, max_value=100, allow_nan=False), min_size=3, max_size=20, unique=True),
       st.lists(st.booleans(), min_size=20, max_size=20))
def test_exact_p_without_ties_agrees_with_scipy_exact(magnitudes, negative):
    d = [round(-m if neg else m, 6) for m, neg in zip(magnitudes, negative, strict=False)]
    if len({abs(x) for x in d}) < len(d):
        return  # rounding made a tie; SciPy's exact distribution assumes none
    w = wilcoxon_signed_rank([0.0] * len(d), d)
    ref = stats.wilcoxon(d, method="exact")
    assert w.p_exact == pytest.approx(ref.pvalue, abs=1e-12)


def _neg_ci(ci):
    return None if ci is None else (-ci[1], -ci[0])


@settings(max_examples=150, deadline=None)
@given(pairs_strategy)
def test_swapping_pre_and_post_flips_signs_only(pairs):
    if all(a == b for a, b in pairs):
        return
    pre, post = split(pairs)
    names = [str(i) for i in range(len(pairs))]
    fwd = analyze_pairs(list(zip(names, pre, post, strict=True)))
    rev = analyze_pairs(list(zip(names, post, pre, strict=True)))

    # Wilcoxon: the rows swap, the footnote swaps, Z (SPSS: always <= 0) and every p stay.
    assert (fwd.wilcoxon.negative, fwd.wilcoxon.positive) == (rev.wilcoxon.positive, rev.wilcoxon.negative)
    assert fwd.wilcoxon.ties == rev.wilcoxon.ties
    assert fwd.wilcoxon.z == pytest.approx(rev.wilcoxon.z)
    assert fwd.wilcoxon.z <= 0
    assert fwd.wilcoxon.p == pytest.approx(rev.wilcoxon.p)
    assert fwd.wilcoxon.p_exact == pytest.approx(rev.wilcoxon.p_exact)
    swap = {NEGATIVE: POSITIVE, POSITIVE: NEGATIVE}
    assert swap.get(fwd.wilcoxon.based_on, fwd.wilcoxon.based_on) == rev.wilcoxon.based_on

    # Differences and the t-test: signs flip; spreads, df and p stay.
    assert fwd.diff.mean == pytest.approx(-rev.diff.mean)
    assert fwd.diff.sd == pytest.approx(rev.diff.sd)
    assert fwd.diff.ci95 == pytest.approx(_neg_ci(rev.diff.ci95))
    assert (fwd.diff.min, fwd.diff.max) == (-rev.diff.max, -rev.diff.min)
    assert fwd.ttest.mean_diff == pytest.approx(-rev.ttest.mean_diff)
    assert fwd.ttest.sd == pytest.approx(rev.ttest.sd)
    assert fwd.ttest.df == rev.ttest.df
    if fwd.ttest.t is None:
        assert rev.ttest.t is None
    else:
        assert fwd.ttest.t == pytest.approx(-rev.ttest.t)
        assert fwd.ttest.p == pytest.approx(rev.ttest.p)
        assert fwd.ttest.ci95 == pytest.approx(_neg_ci(rev.ttest.ci95))
        assert fwd.effect.dz == pytest.approx(-rev.effect.dz)
    assert fwd.effect.r == pytest.approx(rev.effect.r)

    # Descriptives of pre and post trade places; the normality of the differences is unchanged.
    assert (fwd.pre, fwd.post) == (rev.post, rev.pre)
    if fwd.shapiro.diff.w is not None:
        assert fwd.shapiro.diff.w == pytest.approx(rev.shapiro.diff.w, abs=1e-9)
        assert fwd.shapiro.diff.p == pytest.approx(rev.shapiro.diff.p, abs=1e-9)
    assert fwd.recommended == rev.recommended


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=40))
def test_k_equal_improvements_closed_form(k, ties):
    pre = [3] * (k + ties)
    post = [4] * k + [3] * ties
    w = wilcoxon_signed_rank(pre, post)
    assert w.z == pytest.approx(-math.sqrt(k))
    assert w.positive.mean_rank == pytest.approx((k + 1) / 2)
