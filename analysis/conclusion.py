"""What the report concludes, and how carefully.

The rule (issue 15, following statistics.md):

- Fewer than ``SMALL_N`` (10) pairs: Shapiro-Wilk has no power, so it chooses nothing; the Wilcoxon
  test is used.
- Ordinal scores (a few ordered levels, e.g. the 3-level skala3 or the 0-6 count of bayi6): the
  Wilcoxon test is used; the paired t-test is still printed, as a secondary figure.
- Otherwise the papers' rule: Shapiro-Wilk on the differences, p >= 0.05 -> paired t, else Wilcoxon.
- The Wilcoxon decision uses the exact p when n <= ``EXACT_MAX_N`` (50) and the asymptotic p above;
  both are printed, as SPSS prints them.
- p >= 0.05 means "not enough evidence of a difference", never "no difference".
- The direction comes from the paired differences themselves (issue 24): how many pairs went up, how many went
  down, their sum and the median difference. More up than down with a positive sum and a median >= 0 is a rise,
  the mirror a fall; anything else (as many up as down, ups and downs that cancel out to a zero sum, or counts
  and median disagreeing) has no direction ("unchanged"), whatever the rank sums say. It is worded from the instrument: a rise is an improvement when a higher score is better.
"""

from __future__ import annotations

from dataclasses import dataclass

ALPHA = 0.05
SMALL_N = 10  # below this, no normality-based choice
FEW_PAIRS = 20  # below this, a warning that the sample is small
EXACT_MAX_N = 50

WILCOXON = "wilcoxon"
PAIRED_T = "paired_t"

EXACT = "exact"
ASYMPTOTIC = "asymptotic"

IMPROVED = "improved"
WORSE = "worse"
UNCHANGED = "unchanged"

# Why the test was chosen.
SMALL_SAMPLE = "small_n"
ORDINAL = "ordinal"
DIFF_NORMAL = "diff_normal"
DIFF_NOT_NORMAL = "diff_not_normal"
NORMALITY_UNAVAILABLE = "normality_unavailable"

ORDINAL_MAX_LEVELS = 7  # a score with at most this many possible values is treated as ordinal


@dataclass(frozen=True)
class Scale:
    """What the analysis knows about the score being compared.

    ``ordinal`` None means "infer from the data": whole numbers spanning at most 7 levels.
    ``derived`` names the instrument whose items or criteria the project wrote itself (not published
    by the seed it follows); ``source`` names that seed.
    """

    higher_is_better: bool = True
    ordinal: bool | None = None
    minimum: float | None = None  # the lowest possible score (an instrument's range, or --min)
    maximum: float | None = None  # the highest possible score
    instrument: str | None = None  # a human name of the instrument, for the texts
    derived: bool = False
    source: str | None = None


def infer_ordinal(values: list[float]) -> bool:
    if not values:
        return False
    if any(not float(v).is_integer() for v in values):
        return False
    return max(values) - min(values) + 1 <= ORDINAL_MAX_LEVELS


def is_ordinal(scale: Scale, values: list[float]) -> bool:
    return infer_ordinal(values) if scale.ordinal is None else scale.ordinal


@dataclass(frozen=True)
class Conclusion:
    test: str  # WILCOXON or PAIRED_T
    p: float | None
    p_kind: str  # EXACT or ASYMPTOTIC (the paired t's p is exact under normality)
    significant: bool
    direction: str  # IMPROVED, WORSE or UNCHANGED (what the data show, significant or not)
    reason: str  # why this test: SMALL_SAMPLE, ORDINAL, DIFF_NORMAL, DIFF_NOT_NORMAL, NORMALITY_UNAVAILABLE
    ttest_secondary: bool  # the paired t is printed only as a secondary figure
    rose: bool | None  # scores went up (True), down (False), or neither (None)
    up: int = 0  # pairs whose score went up
    down: int = 0  # pairs whose score went down
    median_diff: float | None = None  # median of post - pre

    def to_json(self) -> dict:
        return {"test": self.test, "p": self.p, "p_kind": self.p_kind, "significant": self.significant,
                "direction": self.direction, "reason": self.reason, "ttest_secondary": self.ttest_secondary,
                "up": self.up, "down": self.down, "median_diff": self.median_diff}


def paired_direction(up: int, down: int, median_diff: float | None, mean_diff: float = 0.0) -> bool | None:
    """True (scores rose), False (fell) or None (no direction: the differences balance) from the paired
    differences: the counts up and down, their mean (its sign is the sum's) and their median."""
    median = median_diff or 0.0
    mean = round(mean_diff or 0.0, 10)
    if up > down and mean > 0 and median >= 0:
        return True
    if down > up and mean < 0 and median <= 0:
        return False
    return None


def choose_test(n: int, ordinal: bool, shapiro_diff_p: float | None, t_available: bool) -> tuple[str, str]:
    if n < SMALL_N:
        return WILCOXON, SMALL_SAMPLE
    if ordinal:
        return WILCOXON, ORDINAL
    if shapiro_diff_p is None or not t_available:
        return WILCOXON, NORMALITY_UNAVAILABLE
    if shapiro_diff_p >= ALPHA:
        return PAIRED_T, DIFF_NORMAL
    return WILCOXON, DIFF_NOT_NORMAL


def wilcoxon_p(n: int, p_exact: float | None, p_asymptotic: float | None) -> tuple[float | None, str]:
    """The p the decision uses: exact for n <= 50 (when it could be computed), else asymptotic."""
    if n <= EXACT_MAX_N and (p_exact is not None or p_asymptotic is None):
        return p_exact, EXACT
    return p_asymptotic, ASYMPTOTIC


def direction(rose: bool | None, higher_is_better: bool) -> str:
    if rose is None:
        return UNCHANGED
    return IMPROVED if rose == higher_is_better else WORSE


def conclude(*, n: int, ordinal: bool, higher_is_better: bool, shapiro_diff_p: float | None,
             t_p: float | None, mean_diff: float, wilcoxon_p_exact: float | None,
             wilcoxon_p_asymptotic: float | None, up: int, down: int, median_diff: float | None) -> Conclusion:
    test, reason = choose_test(n, ordinal, shapiro_diff_p, t_p is not None)
    if test == PAIRED_T:
        p, kind = t_p, EXACT
    else:
        p, kind = wilcoxon_p(n, wilcoxon_p_exact, wilcoxon_p_asymptotic)
    rose = paired_direction(up, down, median_diff, mean_diff)
    significant = p is not None and p < ALPHA
    return Conclusion(test, p, kind, significant, direction(rose, higher_is_better), reason,
                      ttest_secondary=ordinal, rose=rose, up=up, down=down, median_diff=median_diff)
