"""The report as one JSON-ready dict (numbers unrounded, None -> null)."""

from __future__ import annotations

import json
import math

from analysis.caveats import caveat_text
from analysis.descriptives import Descriptives
from analysis.labels import Labels
from analysis.paired import PairedReport
from analysis.wilcoxon import RankRow


def _num(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _pair(ci: tuple[float, float] | None) -> list[float | None] | None:
    return None if ci is None else [_num(ci[0]), _num(ci[1])]


def _desc(d: Descriptives) -> dict:
    return {"mean": _num(d.mean), "sd": _num(d.sd), "se": _num(d.se), "median": _num(d.median),
            "min": _num(d.min), "max": _num(d.max), "ci95": _pair(d.ci95)}


def _ranks(row: RankRow) -> dict:
    return {"n": row.n, "mean_rank": _num(row.mean_rank), "sum_ranks": _num(row.sum_ranks)}


def to_json(report: PairedReport, labels: Labels | None = None) -> dict:
    """Exactly the documented keys; ``mcnemar`` is added only when the data had class columns.

    ``diff`` and ``ttest`` are of post - pre. ``conclusion`` is what the report concludes (see
    :mod:`analysis.conclusion`); ``warnings`` lists ``{"code", "text"}``, worded by ``labels`` (without
    labels the text is the code).
    """
    w, tt, sw = report.wilcoxon, report.ttest, report.shapiro
    out: dict = {
        "n": report.n,
        "dropped": report.dropped,
        "pre": _desc(report.pre),
        "post": _desc(report.post),
        "diff": _desc(report.diff),
        "shapiro": {k: {"w": _num(r.w), "p": _num(r.p)} for k, r in
                    (("pre", sw.pre), ("post", sw.post), ("diff", sw.diff))},
        "wilcoxon": {"negative": _ranks(w.negative), "positive": _ranks(w.positive), "ties": w.ties,
                     "z": _num(w.z), "p": _num(w.p), "p_exact": _num(w.p_exact)},
        "ttest": {"mean_diff": _num(tt.mean_diff), "sd": _num(tt.sd), "se": _num(tt.se),
                  "ci95": _pair(tt.ci95), "t": _num(tt.t), "df": tt.df, "p": _num(tt.p)},
        "effect": _effect(report),
        "recommended": report.recommended,
        "conclusion": _conclusion(report),
        "warnings": [{"code": c.code, "text": caveat_text(c, labels) if labels else c.code}
                     for c in report.warnings],
    }
    m = report.mcnemar
    if m is not None:
        labels = report.class_labels
        out["mcnemar"] = {
            "yes": labels.yes if labels else None,
            "no": labels.no if labels else None,
            "table": [[m.a, m.b], [m.c, m.d]],
            "n": m.n,
            "p_exact": _num(m.p),
            "pre": {"count": m.before.count, "n": m.before.n, "p": _num(m.before.p),
                    "ci95": _pair(m.before.ci95)},
            "post": {"count": m.after.count, "n": m.after.n, "p": _num(m.after.p),
                     "ci95": _pair(m.after.ci95)},
            "diff": _num(m.diff),
            "diff_ci95": _pair(m.diff_ci95),
        }
    return out


def _effect(report: PairedReport) -> dict:
    e = report.effect
    hl = e.hl
    return {"r": _num(e.r), "r_ci95": _pair(e.r_ci95), "r_n": e.r_n,
            "dz": _num(e.dz), "dz_ci95": _pair(e.dz_ci95),
            "hodges_lehmann": None if hl is None else {"estimate": _num(hl.estimate), "ci95": _pair(hl.ci95),
                                                       "exact": hl.exact}}


def _conclusion(report: PairedReport) -> dict | None:
    c = report.conclusion
    if c is None:
        return None
    out = c.to_json()
    out["p"] = _num(out["p"])
    return out


def dumps(report: PairedReport, labels: Labels | None = None) -> str:
    return json.dumps(to_json(report, labels), ensure_ascii=False, allow_nan=False)
