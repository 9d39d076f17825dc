"""Wilcoxon signed-rank test exactly as SPSS NPAR TESTS /WILCOXON reports it.

- Differences are ``post - pre``. Zero differences are ties: left out of the ranking, counted.
- |d| of the nonzero pairs is ranked with average ranks (midranks) for ties.
- Z = (min(T+, T-) - k(k+1)/4) / sqrt(k(k+1)(2k+1)/24 - sum(t^3 - t)/48), no continuity
  correction, so Z <= 0; SPSS's footnote names the smaller sum ("based on negative ranks" when
  most pairs went up). Asymptotic p = 2 * Phi(-|Z|).
- Every difference zero: Z = 0, p = 1 (SPSS prints Z = .000, Sig. = 1.000); ``reason`` says why.
- The exact p is the two-sided probability of a rank sum at least as extreme under random signs,
  conditional on the observed midranks (what SPSS Exact Tests computes), for up to
  ``EXACT_MAX_NONZERO`` nonzero differences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

# Differences are rounded to this many decimals before comparing, so float noise
# (e.g. 9.3 - 9.2) does not split ties or hide zeros.
DIFF_DECIMALS = 10

EXACT_MAX_NONZERO = 50

# based_on: which rank sum Z was computed from (SPSS footnote).
NEGATIVE = "negative"
POSITIVE = "positive"
EQUAL = "equal"  # sums are equal: Z = 0, p = 1

# Reasons a result is missing.
ALL_TIES = "all_ties"  # every difference is zero: nothing to rank; Z = 0 and p = 1, as SPSS prints them
TOO_MANY_FOR_EXACT = "too_many_for_exact"


@dataclass(frozen=True)
class RankRow:
    """One row of the SPSS "Ranks" table. An empty row has mean rank and sum 0 (SPSS prints .00)."""

    n: int
    mean_rank: float
    sum_ranks: float


@dataclass(frozen=True)
class WilcoxonResult:
    negative: RankRow  # post < pre
    positive: RankRow  # post > pre
    ties: int  # post == pre
    total: int
    z: float | None
    p: float | None  # asymptotic, two-sided
    p_exact: float | None  # exact, two-sided
    based_on: str | None  # NEGATIVE, POSITIVE or EQUAL; None when not computed
    reason: str | None = None  # why z/p are None
    exact_reason: str | None = None  # why p_exact is None

    @property
    def nonzero(self) -> int:
        return self.negative.n + self.positive.n


def differences(pre: Sequence[float], post: Sequence[float]) -> np.ndarray:
    """``post - pre``, rounded to ``DIFF_DECIMALS`` decimals."""
    return np.round(np.asarray(post, dtype=float) - np.asarray(pre, dtype=float), DIFF_DECIMALS)


def _row(ranks: np.ndarray) -> RankRow:
    n = int(ranks.size)
    total = float(ranks.sum()) if n else 0.0
    return RankRow(n=n, mean_rank=total / n if n else 0.0, sum_ranks=total)


def exact_p_two_sided(ranks: Sequence[float], t_small: float) -> float:
    """P(T <= t_small) * 2 (at most 1) where T = sum of ranks given a random sign each.

    ``ranks`` are midranks (multiples of 0.5), so doubled ranks are integers and the null
    distribution is built exactly by convolution. The distribution is symmetric about
    sum(ranks)/2, so doubling the lower tail is the same as counting both tails.
    """
    doubled = np.rint(2 * np.asarray(ranks, dtype=float)).astype(int)
    total = int(doubled.sum())
    probs = np.zeros(total + 1)
    probs[0] = 1.0
    for r in doubled:
        shifted = np.zeros_like(probs)
        shifted[r:] = probs[: total + 1 - r]
        probs = 0.5 * (probs + shifted)
    cutoff = int(round(2 * t_small))
    return float(min(1.0, 2.0 * probs[: cutoff + 1].sum()))


def wilcoxon_signed_rank(pre: Sequence[float], post: Sequence[float]) -> WilcoxonResult:
    d = differences(pre, post)
    total = int(d.size)
    nonzero = d[d != 0]
    k = int(nonzero.size)
    ranks = stats.rankdata(np.abs(nonzero)) if k else np.array([], dtype=float)
    neg = _row(ranks[nonzero < 0])
    pos = _row(ranks[nonzero > 0])
    ties = total - k
    if k == 0:
        # SPSS prints Z = .000 and Asymp. Sig. = 1.000 when every difference is zero (nothing moved).
        return WilcoxonResult(neg, pos, ties, total, 0.0, 1.0, 1.0, EQUAL, ALL_TIES, None)

    t_small = min(neg.sum_ranks, pos.sum_ranks)
    mean = k * (k + 1) / 4
    _, tie_sizes = np.unique(np.abs(nonzero), return_counts=True)
    variance = k * (k + 1) * (2 * k + 1) / 24 - float(np.sum(tie_sizes**3 - tie_sizes)) / 48
    # variance > 0 whenever k >= 1: with a single tie group of size k it is k(k+1)/16.
    z = (t_small - mean) / math.sqrt(variance)
    if neg.sum_ranks == pos.sum_ranks:
        based_on, z = EQUAL, 0.0
    else:
        based_on = NEGATIVE if neg.sum_ranks < pos.sum_ranks else POSITIVE
    p = float(min(1.0, 2.0 * stats.norm.sf(abs(z))))

    if k <= EXACT_MAX_NONZERO:
        p_exact, exact_reason = exact_p_two_sided(ranks, t_small), None
    else:
        p_exact, exact_reason = None, TOO_MANY_FOR_EXACT
    return WilcoxonResult(neg, pos, ties, total, float(z), p, p_exact, based_on, None, exact_reason)
