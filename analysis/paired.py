"""The whole pre/post report for n participants, and the papers' decision rule.

Call :func:`analyze_pairs` with ``(participant, pre, post)`` tuples from any source (a CSV file,
the database). Pairs with a missing (None) or non-finite score are dropped and counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from analysis import conclusion as concl
from analysis.caveats import Caveat, caveats
from analysis.conclusion import Conclusion, Scale
from analysis.descriptives import Descriptives, describe
from analysis.effects import HodgesLehmann, dz_ci, hodges_lehmann, r_ci
from analysis.errors import AnalysisError
from analysis.mcnemar import McNemarResult, mcnemar
from analysis.normality import ShapiroResult, shapiro_wilk
from analysis.ttest import PairedTTest, paired_ttest
from analysis.wilcoxon import WilcoxonResult, differences, wilcoxon_signed_rank

MIN_PAIRS = 3
ALPHA = 0.05

TTEST = "ttest"
WILCOXON = "wilcoxon"

# Why the rule chose its test (see analysis.conclusion).
DIFF_NORMAL = concl.DIFF_NORMAL  # Shapiro-Wilk on the differences: p >= 0.05
DIFF_NOT_NORMAL = concl.DIFF_NOT_NORMAL  # p < 0.05
NORMALITY_UNAVAILABLE = concl.NORMALITY_UNAVAILABLE  # W cannot be computed (e.g. constant differences)
SMALL_SAMPLE = concl.SMALL_SAMPLE  # fewer than 10 pairs: Wilcoxon, no normality-based choice
ORDINAL = concl.ORDINAL  # ordinal scores: Wilcoxon, the paired t only as a secondary figure

# How the 95% CIs of the means were made.
T_CI = "t"  # mean +- t(.975, n-1) * SE, as SPSS
T_BOUNDED = "t_bounded_to_scale"  # the same interval intersected with the scale's range (it keeps its coverage)

# Why a pair was dropped.
MISSING = "missing"  # pre or post is empty
NOT_NUMBER = "not_number"  # a cell is not a number


@dataclass(frozen=True)
class Pair:
    participant: str
    pre: float
    post: float


@dataclass(frozen=True)
class DroppedPair:
    participant: str
    reason: str  # MISSING or NOT_NUMBER
    line: int | None = None  # line in the source file, when there is one


@dataclass(frozen=True)
class Normality:
    pre: ShapiroResult
    post: ShapiroResult
    diff: ShapiroResult


@dataclass(frozen=True)
class EffectSizes:
    r: float | None  # |Z| / sqrt(N), N = all pairs including ties
    r_n: int  # the N used for r
    dz: float | None  # mean(post - pre) / SD(post - pre)
    r_ci95: tuple[float, float] | None = None  # Fisher z
    dz_ci95: tuple[float, float] | None = None  # noncentral t
    hl: HodgesLehmann | None = None  # Hodges-Lehmann median of post - pre, with its CI


@dataclass(frozen=True)
class ClassLabels:
    """Names of the two classes in the data, e.g. no="tidak_lancar", yes="lancar".

    ``no`` is None when the data never used a second value.
    """

    yes: str
    no: str | None


@dataclass(frozen=True)
class PairedReport:
    pairs: tuple[Pair, ...]
    dropped_pairs: tuple[DroppedPair, ...]
    pre: Descriptives
    post: Descriptives
    diff: Descriptives  # of post - pre
    shapiro: Normality
    wilcoxon: WilcoxonResult
    ttest: PairedTTest  # of post - pre; .pre_minus_post() for SPSS's order
    effect: EffectSizes
    recommended: str  # TTEST or WILCOXON
    recommendation_reason: str
    mcnemar: McNemarResult | None = None
    class_labels: ClassLabels | None = None
    class_missing: int = 0  # kept pairs left out of McNemar because a class is empty
    conclusion: Conclusion | None = None
    warnings: tuple[Caveat, ...] = ()
    scale: Scale = Scale()
    ordinal: bool = False
    ci_method: str = "t"  # T_CI, or T_BOUNDED when a CI was cut at the scale's ends (the warnings say so)

    @property
    def n(self) -> int:
        return len(self.pairs)

    @property
    def dropped(self) -> int:
        return len(self.dropped_pairs)

    @property
    def recommended_p(self) -> float | None:
        """The p the conclusion rests on (the exact Wilcoxon p for n <= 50)."""
        if self.conclusion is not None:
            return self.conclusion.p
        return self.ttest.p if self.recommended == TTEST else self.wilcoxon.p


def decide(normality_of_diff: ShapiroResult, ttest: PairedTTest) -> tuple[str, str]:
    """The papers' own rule: Shapiro-Wilk on the differences, p >= 0.05 -> paired t, else Wilcoxon.

    The report no longer concludes on this alone: see :mod:`analysis.conclusion`.
    """
    if normality_of_diff.p is None or ttest.t is None:
        return WILCOXON, NORMALITY_UNAVAILABLE
    if normality_of_diff.p >= ALPHA:
        return TTEST, DIFF_NORMAL
    return WILCOXON, DIFF_NOT_NORMAL


def _as_score(value: object) -> float | None:
    """A usable score, or None. Raises TypeError/ValueError for something that is not a number."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("a yes/no value is not a score")
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def analyze_pairs(
    pairs: Iterable[tuple[object, object, object]],
    *,
    dropped: Sequence[DroppedPair] = (),
    classes: Sequence[tuple[bool | None, bool | None]] | None = None,
    class_labels: ClassLabels | None = None,
    scale: Scale | None = None,
    excluded: Mapping[str, int] | None = None,
    outside_window: int = 0,
) -> PairedReport:
    """Every statistic for paired ``(participant, pre, post)`` scores.

    ``dropped`` lists pairs the caller already left out (e.g. unreadable CSV rows); pairs here with
    a None score are added to it. ``classes``, aligned with ``pairs``, holds the optional yes/no
    class before and after (e.g. lancar); when given, the report includes McNemar.

    ``scale`` tells the direction (``higher_is_better``) and whether the scores are ordinal; ``excluded``
    (reason code -> count, e.g. families without research consent) and ``outside_window`` (measurements
    outside their window) come from the caller and only feed the warnings. Dropped pairs are added to
    ``excluded`` under their own reasons.

    Raises :class:`AnalysisError` ``too_few_pairs`` when fewer than 3 complete pairs remain.
    """
    scale = scale or Scale()
    pairs = list(pairs)
    if classes is not None and len(classes) != len(pairs):
        raise ValueError("classes must be aligned with pairs")
    kept: list[Pair] = []
    kept_classes: list[tuple[bool | None, bool | None]] = []
    all_dropped = list(dropped)
    for index, (participant, pre, post) in enumerate(pairs):
        name = "" if participant is None else str(participant)
        try:
            x, y = _as_score(pre), _as_score(post)
        except (TypeError, ValueError):
            all_dropped.append(DroppedPair(name, NOT_NUMBER))
            continue
        if x is None or y is None:
            all_dropped.append(DroppedPair(name, MISSING))
            continue
        kept.append(Pair(name, x, y))
        if classes is not None:
            kept_classes.append(classes[index])

    check_range(kept, scale)
    if len(kept) < MIN_PAIRS:
        raise AnalysisError("too_few_pairs", n=len(kept), minimum=MIN_PAIRS, dropped=len(all_dropped))

    pre = [p.pre for p in kept]
    post = [p.post for p in kept]
    diff = differences(pre, post)
    wil = wilcoxon_signed_rank(pre, post)
    tt = paired_ttest(pre, post)
    normality = Normality(shapiro_wilk(pre), shapiro_wilk(post), shapiro_wilk(diff))
    n = len(kept)
    ordinal = concl.is_ordinal(scale, pre + post)
    diff_desc = describe(diff)
    conclusion = concl.conclude(
        n=n, ordinal=ordinal, higher_is_better=scale.higher_is_better, shapiro_diff_p=normality.diff.p,
        t_p=tt.p, mean_diff=tt.mean_diff, wilcoxon_p_exact=wil.p_exact, wilcoxon_p_asymptotic=wil.p,
        up=wil.positive.n, down=wil.negative.n, median_diff=diff_desc.median)
    recommended = TTEST if conclusion.test == concl.PAIRED_T else WILCOXON
    r, r_interval = r_ci(wil.z, n)
    dz, dz_interval = dz_ci(diff) if tt.t is not None and tt.sd else (None, None)
    effect = EffectSizes(r=r, r_n=n, dz=dz, r_ci95=r_interval, dz_ci95=dz_interval, hl=hodges_lehmann(diff))
    excluded_all: dict[str, int] = {}
    for d in all_dropped:
        excluded_all[d.reason] = excluded_all.get(d.reason, 0) + 1
    for reason, count in (excluded or {}).items():
        excluded_all[reason] = excluded_all.get(reason, 0) + int(count)
    pre_desc, post_desc, diff_desc, tt, cut = bounded(describe(pre), describe(post), diff_desc, tt, scale)
    warnings = caveats(n=n, ties=wil.ties, ordinal=ordinal, excluded=excluded_all, outside_window=outside_window,
                       derived=scale.derived, instrument=scale.instrument, source=scale.source,
                       nonzero=wil.nonzero,
                       bounds=(scale.minimum, scale.maximum) if cut else None)  # type: ignore[arg-type]

    mc = None
    class_missing = 0
    if classes is not None:
        complete = [(b, a) for b, a in kept_classes if b is not None and a is not None]
        class_missing = len(kept_classes) - len(complete)
        mc = mcnemar([b for b, _ in complete], [a for _, a in complete])

    return PairedReport(
        pairs=tuple(kept),
        dropped_pairs=tuple(all_dropped),
        pre=pre_desc,
        post=post_desc,
        diff=diff_desc,
        shapiro=normality,
        wilcoxon=wil,
        ttest=tt,
        effect=effect,
        recommended=recommended,
        recommendation_reason=conclusion.reason,
        mcnemar=mc,
        class_labels=class_labels if classes is not None else None,
        class_missing=class_missing,
        conclusion=conclusion,
        warnings=tuple(warnings),
        scale=scale,
        ordinal=ordinal,
        ci_method=T_BOUNDED if cut else T_CI,
    )


def check_range(pairs: Sequence[Pair], scale: Scale) -> None:
    """Every score inside the scale's range, else :class:`AnalysisError` ``out_of_range`` naming the first."""
    low, high = scale.minimum, scale.maximum
    if low is not None and high is not None and low >= high:
        raise AnalysisError("bad_range", min=_shown(low), max=_shown(high))
    for p in pairs:
        for value in (p.pre, p.post):
            if (low is not None and value < low) or (high is not None and value > high):
                raise AnalysisError("out_of_range", value=_shown(value), participant=p.participant or "-",
                                    min=_shown(low) if low is not None else "-",
                                    max=_shown(high) if high is not None else "-")


def _shown(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _clip(ci: tuple[float, float] | None, low: float, high: float) -> tuple[tuple[float, float] | None, bool]:
    if ci is None:
        return None, False
    cut = (max(low, min(high, ci[0])), max(low, min(high, ci[1])))
    return cut, cut != ci


def bounded(pre: Descriptives, post: Descriptives, diff: Descriptives, tt: PairedTTest, scale: Scale):
    """The t-based 95% CIs cut at the scale's ends: a mean score lies in [min, max], a mean difference in
    [-(max - min), max - min]. A confidence set intersected with the parameter's possible values keeps its
    coverage, so this is the SPSS interval where it fits and an honest one where it does not. Returns the four
    results and whether any interval was cut."""
    if scale.minimum is None or scale.maximum is None:
        return pre, post, diff, tt, False
    low, high = float(scale.minimum), float(scale.maximum)
    width = high - low
    pre_ci, a = _clip(pre.ci95, low, high)
    post_ci, b = _clip(post.ci95, low, high)
    diff_ci, c = _clip(diff.ci95, -width, width)
    tt_ci, d = _clip(tt.ci95, -width, width)
    return (replace(pre, ci95=pre_ci), replace(post, ci95=post_ci), replace(diff, ci95=diff_ci),
            replace(tt, ci95=tt_ci), a or b or c or d)
