"""Effect sizes with their 95% confidence intervals.

- :func:`r_ci` -- r = |Z| / sqrt(N) of the Wilcoxon test, with a CI by Fisher's z transform
  (atanh(r) +- 1.96 / sqrt(N - 3)), the interval SciPy gives a Pearson r of the same size and N.
- :func:`hodges_lehmann` -- the Hodges-Lehmann estimate (median of the Walsh averages of the
  differences) and its distribution-free CI: the k-th smallest and largest Walsh averages, k from the
  exact signed-rank distribution for n <= 50 (the normal approximation above), as in Hollander & Wolfe
  and R's ``wilcox.test(conf.int = TRUE)``. With ties the interval is approximate.
- :func:`dz_ci` -- Cohen's d_z = mean(d) / SD(d) with the exact CI from the noncentral t distribution
  (Cumming & Finch 2001; MBESS ``ci.sm``).
- :func:`newcombe_paired` -- difference of two paired proportions with Newcombe's (1998, method 10)
  square-and-add CI from the two Wilson intervals and the phi correlation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

LEVEL = 0.95
HL_EXACT_MAX = 50


def _z(level: float = LEVEL) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def fisher_ci(r: float, n: int, level: float = LEVEL) -> tuple[float, float] | None:
    """CI of a correlation-like r from N observations (Fisher's z); None when N <= 3."""
    if n <= 3 or not math.isfinite(r):
        return None
    r = max(-1.0, min(1.0, r))
    if abs(r) == 1.0:
        return (r, r)
    z = math.atanh(r)
    half = _z(level) / math.sqrt(n - 3)
    return (math.tanh(z - half), math.tanh(z + half))


def r_ci(z: float | None, n: int, level: float = LEVEL) -> tuple[float | None, tuple[float, float] | None]:
    """r = |Z| / sqrt(N) and its Fisher CI (bounded to [0, 1])."""
    if z is None or n <= 0:
        return None, None
    r = min(1.0, abs(z) / math.sqrt(n))
    ci = fisher_ci(r, n, level)
    if ci is not None:
        ci = (max(0.0, ci[0]), min(1.0, ci[1]))
    return r, ci


@dataclass(frozen=True)
class HodgesLehmann:
    estimate: float
    ci95: tuple[float, float] | None
    exact: bool  # the CI used the exact signed-rank distribution (no ties, n <= 50)


def _signed_rank_lower_critical(n: int, level: float) -> int:
    """Largest c with P(T+ <= c) <= alpha/2 under H0 (exact, no ties), -1 if none."""
    alpha = 1 - level
    probs = np.zeros(n * (n + 1) // 2 + 1)
    probs[0] = 1.0
    for r in range(1, n + 1):
        shifted = np.zeros_like(probs)
        shifted[r:] = probs[: probs.size - r]
        probs = 0.5 * (probs + shifted)
    cdf = np.cumsum(probs)
    below = np.nonzero(cdf <= alpha / 2 + 1e-12)[0]
    return int(below[-1]) if below.size else -1


def hodges_lehmann(d: Sequence[float], level: float = LEVEL) -> HodgesLehmann | None:
    """Median of the Walsh averages of ``d`` (zeros included) and its CI."""
    x = np.asarray(d, dtype=float)
    n = int(x.size)
    if n == 0:
        return None
    i, j = np.triu_indices(n)
    walsh = np.sort((x[i] + x[j]) / 2)
    estimate = float(np.median(walsh))
    m = walsh.size  # n(n+1)/2
    has_ties = np.unique(np.abs(x[x != 0])).size < np.count_nonzero(x) or np.any(x == 0)
    exact = n <= HL_EXACT_MAX and not has_ties
    if n <= HL_EXACT_MAX:
        c = _signed_rank_lower_critical(n, level)
        k = c + 1  # the (c+1)-th smallest and largest Walsh averages
    else:
        k = int(math.floor(n * (n + 1) / 4 - _z(level) * math.sqrt(n * (n + 1) * (2 * n + 1) / 24)))
    if k < 1:
        return HodgesLehmann(estimate, None, exact)
    return HodgesLehmann(estimate, (float(walsh[k - 1]), float(walsh[m - k])), exact)


def dz_ci(d: Sequence[float], level: float = LEVEL) -> tuple[float | None, tuple[float, float] | None]:
    """Cohen's d_z of the differences and its noncentral-t CI."""
    x = np.asarray(d, dtype=float)
    n = int(x.size)
    if n < 2:
        return None, None
    sd = float(np.std(x, ddof=1))
    if not sd or np.ptp(np.round(x, 10)) == 0:
        return None, None
    dz = float(x.mean()) / sd
    t_obs = dz * math.sqrt(n)
    df = n - 1
    alpha = 1 - level

    def ncp_for(target: float) -> float:
        # nct.cdf(t_obs, df, ncp) falls as ncp rises; bracket widely around t_obs.
        def f(ncp: float) -> float:
            value = float(stats.nct.cdf(t_obs, df, ncp))
            if math.isnan(value):  # far in a tail
                value = 1.0 if ncp < t_obs else 0.0
            return value - target

        spread = 6 * math.sqrt(1 + t_obs * t_obs / (2 * df)) + 2
        lo, hi = t_obs - spread, t_obs + spread
        return float(optimize.brentq(f, lo, hi, xtol=1e-12))

    low = ncp_for(1 - alpha / 2) / math.sqrt(n)
    high = ncp_for(alpha / 2) / math.sqrt(n)
    return dz, (low, high)


def wilson(count: int, n: int, level: float = LEVEL) -> tuple[float, float]:
    z = _z(level)
    p = count / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (centre - half, centre + half)


def newcombe_paired(both: int, first_only: int, second_only: int, neither: int,
                    level: float = LEVEL) -> tuple[float, tuple[float, float]] | None:
    """p(first yes) - p(second yes) for paired yes/no data, with Newcombe's square-and-add CI.

    ``both`` = yes at both times, ``first_only`` = yes only the first time, ``second_only`` = yes only
    the second time, ``neither`` = no at both times. None when there are no pairs.
    """
    n = both + first_only + second_only + neither
    if n == 0:
        return None
    first_yes, second_yes = both + first_only, both + second_only
    p1, p2 = first_yes / n, second_yes / n
    l1, u1 = wilson(first_yes, n, level)
    l2, u2 = wilson(second_yes, n, level)
    margins = (first_yes, n - first_yes, second_yes, n - second_yes)
    if 0 in margins:
        phi = 0.0
    else:
        a = both * neither - first_only * second_only
        if a > n / 2:
            a -= n / 2
        elif a >= 0:
            a = 0.0
        phi = a / math.sqrt(math.prod(margins))
    estimate = p1 - p2
    low = estimate - math.sqrt(max(0.0, (p1 - l1) ** 2 + (u2 - p2) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2)))
    high = estimate + math.sqrt(max(0.0, (p2 - l2) ** 2 + (u1 - p1) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1)))
    return estimate, (max(-1.0, low), min(1.0, high))
