"""Paired-samples t-test, as SPSS T-TEST PAIRS reports it.

Computed on ``post - pre`` (positive when scores rise). SPSS prints the pair in the order it
was entered, i.e. ``pre - post``: :meth:`PairedTTest.pre_minus_post` gives those numbers
(mean, CI and t change sign; SD, SE, df and p do not).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

ZERO_VARIANCE = "zero_variance"  # every difference is the same: SE = 0, t undefined
CONSTANT_VARIABLE = "constant_variable"  # correlation undefined: pre or post is constant
TOO_FEW = "too_few"


@dataclass(frozen=True)
class PairedTTest:
    n: int
    mean_diff: float
    sd: float | None
    se: float | None
    ci95: tuple[float, float] | None
    t: float | None
    df: int
    p: float | None
    correlation: float | None  # Pearson r of pre and post ("Paired Samples Correlations")
    correlation_p: float | None
    order: str = "post_minus_pre"  # or "pre_minus_post"
    reason: str | None = None  # why t/p/ci95 are None
    correlation_reason: str | None = None

    def pre_minus_post(self) -> PairedTTest:
        """The same test in SPSS's printed order (pre - post)."""
        if self.order == "pre_minus_post":
            return self
        return replace(
            self,
            mean_diff=-self.mean_diff,
            ci95=None if self.ci95 is None else (-self.ci95[1], -self.ci95[0]),
            t=None if self.t is None else -self.t,
            order="pre_minus_post",
        )


def paired_ttest(pre: Sequence[float], post: Sequence[float]) -> PairedTTest:
    x = np.asarray(pre, dtype=float)
    y = np.asarray(post, dtype=float)
    d = y - x
    n = int(d.size)
    if n < 2:
        mean = float(d.mean()) if n else math.nan
        return PairedTTest(n, mean, None, None, None, None, max(n - 1, 0), None, None, None,
                           reason=TOO_FEW, correlation_reason=TOO_FEW)
    df = n - 1
    mean = float(d.mean())
    sd = float(np.std(d, ddof=1))
    se = sd / math.sqrt(n)

    if np.ptp(x) == 0 or np.ptp(y) == 0:
        r = r_p = None
        r_reason: str | None = CONSTANT_VARIABLE
    else:
        pr = stats.pearsonr(x, y)
        r, r_p, r_reason = float(pr.statistic), float(pr.pvalue), None

    # Differences equal up to float noise count as zero variance (SPSS: "cannot be computed").
    if np.ptp(np.round(d, 10)) == 0:
        return PairedTTest(n, mean, 0.0, 0.0, None, None, df, None, r, r_p,
                           reason=ZERO_VARIANCE, correlation_reason=r_reason)
    t = mean / se
    p = float(2 * stats.t.sf(abs(t), df))
    half = float(stats.t.ppf(0.975, df)) * se
    return PairedTTest(n, mean, sd, se, (mean - half, mean + half), float(t), df, p, r, r_p,
                       correlation_reason=r_reason)
