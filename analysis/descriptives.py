"""Descriptive statistics of one variable, as SPSS EXPLORE prints them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Descriptives:
    """n, mean, SD (n - 1), SE, median, min, max and the t-based 95% CI of the mean.

    ``sd``, ``se`` and ``ci95`` are None when n < 2. For constant data the SD is 0 and the CI
    collapses to the mean, as SPSS shows it.
    """

    n: int
    mean: float
    sd: float | None
    se: float | None
    median: float
    min: float
    max: float
    ci95: tuple[float, float] | None


def describe(values: Sequence[float]) -> Descriptives:
    x = np.asarray(values, dtype=float)
    n = int(x.size)
    if n == 0:
        raise ValueError("describe() needs at least one value")
    mean = float(x.mean())
    if n >= 2:
        sd = float(np.std(x, ddof=1))
        se = sd / math.sqrt(n)
        half = float(stats.t.ppf(0.975, n - 1)) * se
        ci95: tuple[float, float] | None = (mean - half, mean + half)
    else:
        sd = se = None
        ci95 = None
    return Descriptives(
        n=n,
        mean=mean,
        sd=sd,
        se=se,
        median=float(np.median(x)),
        min=float(x.min()),
        max=float(x.max()),
        ci95=ci95,
    )
