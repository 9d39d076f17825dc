"""Shapiro-Wilk test of normality (SPSS EXPLORE, "Tests of Normality")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

# Reasons a result is missing (the human output explains them).
TOO_FEW = "too_few"  # fewer than 3 values
CONSTANT = "constant"  # every value is the same

MIN_N = 3


@dataclass(frozen=True)
class ShapiroResult:
    """W and p (Royston's approximation, as in SciPy), df = n. None with a ``reason`` when undefined."""

    w: float | None
    p: float | None
    df: int
    reason: str | None = None

    @property
    def computed(self) -> bool:
        return self.reason is None


def shapiro_wilk(values: Sequence[float]) -> ShapiroResult:
    x = np.asarray(values, dtype=float)
    n = int(x.size)
    if n < MIN_N:
        return ShapiroResult(None, None, n, TOO_FEW)
    if np.ptp(x) == 0:
        return ShapiroResult(None, None, n, CONSTANT)
    res = stats.shapiro(x)
    return ShapiroResult(float(res.statistic), float(res.pvalue), n)
