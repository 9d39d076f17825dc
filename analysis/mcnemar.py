"""McNemar test (exact binomial) for a yes/no class before and after, and Wilson CIs.

The 2x2 table is rows = before, columns = after, each ordered (no, yes):

                 after no   after yes
    before no      a          b        b = became yes (e.g. became "lancar")
    before yes     c          d        c = became no

Exact two-sided p = min(1, 2 * P(X <= min(b, c))), X ~ Binomial(b + c, 1/2); p = 1 when b + c = 0.
SPSS NPAR TESTS /MCNEMAR uses this binomial form whenever fewer than 25 cases change; we always
print the exact p. Next to it: the difference of the two shares (after - before) with Newcombe's
paired square-and-add CI.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

from analysis.effects import newcombe_paired


@dataclass(frozen=True)
class Proportion:
    count: int
    n: int
    p: float | None  # None when n = 0
    ci95: tuple[float, float] | None  # Wilson score interval


@dataclass(frozen=True)
class McNemarResult:
    a: int  # no -> no
    b: int  # no -> yes
    c: int  # yes -> no
    d: int  # yes -> yes
    p: float  # exact two-sided
    before: Proportion  # share of "yes" before
    after: Proportion  # share of "yes" after
    diff: float | None = None  # share after - share before = (b - c) / n
    diff_ci95: tuple[float, float] | None = None  # Newcombe (1998) square-and-add, paired

    @property
    def n(self) -> int:
        return self.a + self.b + self.c + self.d

    @property
    def table(self) -> tuple[tuple[int, int], tuple[int, int]]:
        return ((self.a, self.b), (self.c, self.d))


def wilson_ci(count: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for ``count`` successes of ``n``."""
    if n <= 0:
        return None
    z = float(stats.norm.ppf(0.5 + level / 2))
    phat = count / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if count == 0 else max(0.0, centre - half)  # exact bounds at the edges
    high = 1.0 if count == n else min(1.0, centre + half)
    return (low, high)


def proportion(count: int, n: int) -> Proportion:
    return Proportion(count, n, count / n if n else None, wilson_ci(count, n))


def mcnemar_exact_p(b: int, c: int) -> float:
    if b + c == 0:
        return 1.0
    return float(min(1.0, stats.binomtest(min(b, c), b + c, 0.5).pvalue))


def mcnemar_from_table(a: int, b: int, c: int, d: int) -> McNemarResult:
    if min(a, b, c, d) < 0:
        raise ValueError("counts must not be negative")
    n = a + b + c + d
    # after yes = b + d, before yes = c + d: "first" = after, "second" = before.
    nc = newcombe_paired(d, b, c, a)
    return McNemarResult(a, b, c, d, mcnemar_exact_p(b, c), proportion(c + d, n), proportion(b + d, n),
                         diff=None if nc is None else nc[0], diff_ci95=None if nc is None else nc[1])


def mcnemar(before: Sequence[bool], after: Sequence[bool]) -> McNemarResult:
    """McNemar test for paired yes/no values (True = yes, e.g. "lancar")."""
    if len(before) != len(after):
        raise ValueError("before and after must have the same length")
    a = b = c = d = 0
    for x, y in zip(before, after, strict=True):
        if not x and not y:
            a += 1
        elif not x and y:
            b += 1
        elif x and not y:
            c += 1
        else:
            d += 1
    return mcnemar_from_table(a, b, c, d)
