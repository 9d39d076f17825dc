"""The warnings block: what the report cannot show, always printed with it (chat, workbook, JSON).

Each warning is a code and named numbers; the words come from ``labels("warnings.<code>...")``.
Codes: ``small_n``, ``no_control_group``, ``ordinal``, ``many_ties``, ``excluded``,
``derived_instrument``, ``outside_window``, ``cannot_reach_alpha`` (so few changed pairs that no exact test can
reach p < 0.05: the smallest two-sided exact p of k changed pairs is 2 / 2^k, at least .0625 for k <= 5),
``bounded_ci`` (a 95% CI was cut at the ends of the scale; the method is named); about the protocol rather than
the numbers (:func:`protocol_caveats`): ``self_report``, ``blinded`` / ``not_blinded``, ``day_norm_effect``,
``instrument_substituted``, ``performer_mismatch``.

Callers that know more than the pairs (who was excluded and why, which measurements fell outside
their window) pass it as plain numbers: ``excluded`` maps a reason code to a count,
``outside_window`` is a count. Reason codes with a text under ``warnings.excluded_reason.<code>``
are worded; others are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analysis.conclusion import FEW_PAIRS, SMALL_N

SMALL_N_CODE = "small_n"
NO_CONTROL = "no_control_group"
ORDINAL = "ordinal"
MANY_TIES = "many_ties"
EXCLUDED = "excluded"
DERIVED = "derived_instrument"
OUTSIDE_WINDOW = "outside_window"
CANNOT_REACH = "cannot_reach_alpha"
BOUNDED_CI = "bounded_ci"
ALPHA = 0.05

SELF_REPORT = "self_report"
BLINDED = "blinded"
NOT_BLINDED = "not_blinded"
DAY_NORM_EFFECT = "day_norm_effect"
INSTRUMENT_SUBSTITUTED = "instrument_substituted"
PERFORMER_MISMATCH = "performer_mismatch"

MANY_TIES_SHARE = 0.25  # at least a quarter of the pairs unchanged


@dataclass(frozen=True)
class Caveat:
    code: str
    key: str  # text key under "warnings."
    params: dict = field(default_factory=dict)
    reasons: tuple[tuple[str, int], ...] = ()  # for EXCLUDED: (reason code, count)


def caveats(*, n: int, ties: int, ordinal: bool, excluded: Mapping[str, int] | None = None,
            outside_window: int = 0, derived: bool = False, instrument: str | None = None,
            source: str | None = None, nonzero: int | None = None,
            bounds: tuple[float, float] | None = None) -> list[Caveat]:
    """``nonzero``: pairs whose score changed (None: not known); ``bounds``: the scale's (min, max) when a CI
    was cut at them."""
    out: list[Caveat] = []
    if nonzero is not None and 2 * 0.5 ** nonzero >= ALPHA:
        out.append(Caveat(CANNOT_REACH, "cannot_reach_alpha", {"n": n, "nonzero": nonzero}))
    if n < SMALL_N:
        out.append(Caveat(SMALL_N_CODE, "small_n_very", {"n": n, "limit": SMALL_N}))
    elif n < FEW_PAIRS:
        out.append(Caveat(SMALL_N_CODE, "small_n", {"n": n, "limit": FEW_PAIRS}))
    out.append(Caveat(NO_CONTROL, "no_control_group"))
    if ordinal:
        out.append(Caveat(ORDINAL, "ordinal"))
    if n and ties / n >= MANY_TIES_SHARE:
        out.append(Caveat(MANY_TIES, "many_ties", {"ties": ties, "n": n}))
    reasons = tuple((r, int(c)) for r, c in (excluded or {}).items() if c)
    if reasons:
        out.append(Caveat(EXCLUDED, "excluded", {"count": sum(c for _, c in reasons)}, reasons))
    if derived:
        out.append(Caveat(DERIVED, "derived_instrument",
                          {"instrument": instrument or "-", "source": source or "-"}))
    if outside_window:
        out.append(Caveat(OUTSIDE_WINDOW, "outside_window", {"count": int(outside_window)}))
    if bounds is not None:
        out.append(Caveat(BOUNDED_CI, "bounded_ci", {"min": _score(bounds[0]), "max": _score(bounds[1])}))
    return out


def _score(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def caveat_text(caveat: Caveat, labels) -> str:
    params = dict(caveat.params)
    if caveat.code == EXCLUDED:
        parts = []
        for reason, count in caveat.reasons:
            try:
                name = labels(f"warnings.excluded_reason.{reason}")
            except Exception:  # noqa: BLE001 - a reason code this version has no words for
                name = reason.replace("_", " ")
            parts.append(labels("warnings.excluded_part", reason=name, count=count))
        params["reasons"] = "; ".join(parts)
    return labels(f"warnings.{caveat.key}", **params)


def protocol_caveats(*, self_report: bool, blinded: bool, day_norm_instrument: str | None = None,
                     substituted: tuple[str, str] | None = None, performer: str | None = None,
                     sessions: int = 0, by_performer: int = 0) -> list[Caveat]:
    """What the protocol itself means for the outcome: who reported it, whether families saw their results, an
    instrument whose cut-offs a normal baby reaches only with time (``day_norm_instrument``), an instrument that
    replaces the seed's own (``substituted`` = (instrument, seed)), and massages not given by the protocol's
    ``performer`` (``by_performer`` of ``sessions``)."""
    out: list[Caveat] = []
    if self_report:
        out.append(Caveat(SELF_REPORT, "self_report"))
        out.append(Caveat(BLINDED, "blinded") if blinded else Caveat(NOT_BLINDED, "not_blinded"))
    if day_norm_instrument:
        out.append(Caveat(DAY_NORM_EFFECT, "day_norm_effect", {"instrument": day_norm_instrument}))
    if substituted:
        out.append(Caveat(INSTRUMENT_SUBSTITUTED, "instrument_substituted",
                          {"instrument": substituted[0], "seed": substituted[1]}))
    if performer and sessions and by_performer < sessions:
        out.append(Caveat(PERFORMER_MISMATCH, "performer_mismatch",
                          {"other": sessions - by_performer, "total": sessions, "performer": performer}))
    return out
