"""The report as tables of typed cells, shared by the terminal, Telegram and XLSX renderers.

A cell keeps the unrounded number and its kind; each renderer decides how to show it (text with
SPSS rounding, or a spreadsheet number with a number format).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis import conclusion as concl
from analysis.caveats import caveat_text
from analysis.labels import Labels
from analysis.paired import PairedReport
from analysis.spssformat import (
    MEAN_DECIMALS,
    RANK_DECIMALS,
    SPREAD_DECIMALS,
    STAT_DECIMALS,
    fmt,
    fmt_number,
    fmt_p,
    p_phrase,
)

# Cell kinds and the decimals SPSS shows for them.
TEXT = "text"
INT = "int"
SCORE = "score"  # a raw score (min, max): as entered
MEAN = "mean"  # 2 decimals
SPREAD = "spread"  # 3 decimals
STAT = "stat"  # 3 decimals
P = "p"  # 3 decimals, <0,001 below .0005
RANK = "rank"  # 2 decimals
PERCENT = "percent"  # a share 0..1 shown as a percentage with 1 decimal

DECIMALS = {MEAN: MEAN_DECIMALS, SPREAD: SPREAD_DECIMALS, STAT: STAT_DECIMALS, RANK: RANK_DECIMALS}


@dataclass(frozen=True)
class Cell:
    value: object
    kind: str = TEXT

    def text(self, sep: str, missing: str) -> str:
        v = self.value
        if self.kind == TEXT:
            return "" if v is None else str(v)
        if v is None:
            return missing
        if self.kind == INT:
            return str(int(v))  # type: ignore[call-overload]
        if self.kind == SCORE:
            return fmt_number(v, sep, missing)  # type: ignore[arg-type]
        if self.kind == P:
            return fmt_p(v, sep, missing)  # type: ignore[arg-type]
        if self.kind == PERCENT:
            return fmt(100 * v, 1, sep, missing) + "%"  # type: ignore[operator]
        return fmt(v, DECIMALS[self.kind], sep, missing)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Table:
    key: str  # stable id, e.g. "descriptives"
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)


def t(value: object) -> Cell:
    return Cell(value, TEXT)


def descriptives_table(report: PairedReport, labels: Labels) -> Table:
    rows = []
    for key, d in (("pre", report.pre), ("post", report.post), ("diff", report.diff)):
        lo, hi = d.ci95 if d.ci95 else (None, None)
        rows.append([
            t(labels(f"variable.{key}")), Cell(d.n, INT), Cell(d.mean, MEAN), Cell(d.sd, SPREAD),
            Cell(d.se, SPREAD), Cell(lo, MEAN), Cell(hi, MEAN), Cell(d.median, MEAN),
            Cell(d.min, SCORE), Cell(d.max, SCORE),
        ])
    cols = ["", *(labels(f"descriptives.col.{c}") for c in
                  ("n", "mean", "sd", "se", "ci_low", "ci_high", "median", "min", "max"))]
    notes = [labels("descriptives.note"), labels("seed_errors.descriptives")]
    return Table("descriptives", labels("descriptives.title"), cols, rows, notes)


def shapiro_table(report: PairedReport, labels: Labels) -> Table:
    rows, notes = [], []
    for key in ("pre", "post", "diff"):
        res = getattr(report.shapiro, key)
        rows.append([t(labels(f"variable.{key}")), Cell(res.w, STAT), Cell(res.df, INT), Cell(res.p, P)])
        if res.reason:
            notes.append(labels(f"shapiro.reason.{res.reason}", variable=labels(f"variable.{key}")))
    cols = ["", *(labels(f"shapiro.col.{c}") for c in ("w", "df", "p"))]
    return Table("shapiro", labels("shapiro.title"), cols, rows, notes)


def wilcoxon_ranks_table(report: PairedReport, labels: Labels) -> Table:
    w = report.wilcoxon
    rows = [
        [t(labels("wilcoxon.row.negative")), Cell(w.negative.n, INT), Cell(w.negative.mean_rank, RANK),
         Cell(w.negative.sum_ranks, RANK)],
        [t(labels("wilcoxon.row.positive")), Cell(w.positive.n, INT), Cell(w.positive.mean_rank, RANK),
         Cell(w.positive.sum_ranks, RANK)],
        [t(labels("wilcoxon.row.ties")), Cell(w.ties, INT), t(""), t("")],
        [t(labels("wilcoxon.row.total")), Cell(w.total, INT), t(""), t("")],
    ]
    cols = ["", *(labels(f"wilcoxon.col.{c}") for c in ("n", "mean_rank", "sum_ranks"))]
    notes = [labels("wilcoxon.direction_note"), labels("seed_errors.wilcoxon")]
    return Table("wilcoxon_ranks", labels("wilcoxon.title"), cols, rows, notes)


def wilcoxon_test_table(report: PairedReport, labels: Labels) -> Table:
    w = report.wilcoxon
    rows = [
        [t(labels("wilcoxon.stat.z")), Cell(w.z, STAT)],
        [t(labels("wilcoxon.stat.p")), Cell(w.p, P)],
        [t(labels("wilcoxon.stat.p_exact")), Cell(w.p_exact, P)],
    ]
    notes = []
    c = report.conclusion
    if c is not None and c.test == concl.WILCOXON:
        notes.append(labels(f"wilcoxon.used_{c.p_kind}", limit=concl.EXACT_MAX_N))
    if w.reason:
        notes.append(labels(f"wilcoxon.reason.{w.reason}"))
    else:
        notes.append(labels(f"wilcoxon.based_on.{w.based_on}"))
        if w.exact_reason:
            notes.append(labels(f"wilcoxon.reason.{w.exact_reason}", nonzero=w.nonzero))
    return Table("wilcoxon_test", labels("wilcoxon.test_title"), ["", labels("wilcoxon.col.value")], rows, notes)


def ttest_table(report: PairedReport, labels: Labels) -> Table:
    tt = report.ttest.pre_minus_post()
    lo, hi = tt.ci95 if tt.ci95 else (None, None)
    rows = [[
        t(labels("ttest.row")), Cell(tt.mean_diff, SPREAD), Cell(tt.sd, SPREAD), Cell(tt.se, SPREAD),
        Cell(lo, SPREAD), Cell(hi, SPREAD), Cell(tt.t, STAT), Cell(tt.df, INT), Cell(tt.p, P),
    ]]
    cols = ["", *(labels(f"ttest.col.{c}") for c in ("mean", "sd", "se", "ci_low", "ci_high", "t", "df", "p"))]
    notes = [labels("ttest.order_note")]
    if report.conclusion is not None and report.conclusion.ttest_secondary:
        notes.insert(0, labels("ttest.secondary_note"))
    if tt.reason:
        notes.append(labels(f"ttest.reason.{tt.reason}"))
    notes.append(labels("seed_errors.ttest"))
    title = labels("ttest.title_secondary" if report.conclusion and report.conclusion.ttest_secondary
                   else "ttest.title")
    return Table("ttest", title, cols, rows, notes)


def correlation_table(report: PairedReport, labels: Labels) -> Table:
    tt = report.ttest
    rows = [[t(labels("correlation.row")), Cell(tt.n, INT), Cell(tt.correlation, STAT), Cell(tt.correlation_p, P)]]
    cols = ["", *(labels(f"correlation.col.{c}") for c in ("n", "r", "p"))]
    notes = [labels(f"correlation.reason.{tt.correlation_reason}")] if tt.correlation_reason else []
    return Table("correlation", labels("correlation.title"), cols, rows, notes)


def effect_table(report: PairedReport, labels: Labels) -> Table:
    e = report.effect

    def ci(pair: tuple[float, float] | None) -> tuple[object, object]:
        return pair if pair else (None, None)

    hl = e.hl
    hl_lo, hl_hi = ci(hl.ci95 if hl else None)
    rows = [
        [t(labels("effect.r")), Cell(e.r, STAT), *(Cell(v, STAT) for v in ci(e.r_ci95))],
        [t(labels("effect.hl")), Cell(hl.estimate if hl else None, SPREAD), Cell(hl_lo, SPREAD),
         Cell(hl_hi, SPREAD)],
        [t(labels("effect.dz")), Cell(e.dz, STAT), *(Cell(v, STAT) for v in ci(e.dz_ci95))],
    ]
    notes = [labels("effect.r_note", n=e.r_n), labels("effect.hl_note"), labels("effect.dz_note")]
    if hl is not None and hl.ci95 is None:
        notes.append(labels("effect.hl_no_ci"))
    elif hl is not None and not hl.exact:
        notes.append(labels("effect.hl_approximate"))
    cols = ["", labels("effect.col.value"), labels("effect.col.ci_low"), labels("effect.col.ci_high")]
    return Table("effect", labels("effect.title"), cols, rows, notes)


def class_names(report: PairedReport, labels: Labels) -> tuple[str, str]:
    cl = report.class_labels
    if cl is None:
        return labels("mcnemar.default_no"), labels("mcnemar.default_yes")
    return (cl.no if cl.no else labels("mcnemar.not_yes", yes=cl.yes)), cl.yes


def mcnemar_tables(report: PairedReport, labels: Labels) -> list[Table]:
    m = report.mcnemar
    if m is None:
        return []
    no, yes = class_names(report, labels)
    cross = Table(
        "mcnemar_table",
        labels("mcnemar.table_title"),
        ["", labels("mcnemar.after", cls=no), labels("mcnemar.after", cls=yes)],
        [
            [t(labels("mcnemar.before", cls=no)), Cell(m.a, INT), Cell(m.b, INT)],
            [t(labels("mcnemar.before", cls=yes)), Cell(m.c, INT), Cell(m.d, INT)],
        ],
    )
    notes = [labels("mcnemar.exact_note")]
    if report.class_missing:
        notes.append(labels("mcnemar.class_missing", count=report.class_missing))
    test = Table(
        "mcnemar_test",
        labels("mcnemar.test_title"),
        ["", labels("mcnemar.col.value")],
        [[t(labels("mcnemar.row.n")), Cell(m.n, INT)], [t(labels("mcnemar.row.p")), Cell(m.p, P)]],
        notes,
    )
    prop_rows = []
    for key, prop in (("pre", m.before), ("post", m.after)):
        lo, hi = prop.ci95 if prop.ci95 else (None, None)
        prop_rows.append([t(labels(f"variable.{key}")), Cell(prop.count, INT), Cell(prop.n, INT),
                          Cell(prop.p, PERCENT), Cell(lo, PERCENT), Cell(hi, PERCENT)])
    lo, hi = m.diff_ci95 if m.diff_ci95 else (None, None)
    prop_rows.append([t(labels("proportion.diff")), t(""), Cell(m.n, INT), Cell(m.diff, PERCENT),
                      Cell(lo, PERCENT), Cell(hi, PERCENT)])
    props = Table(
        "proportions",
        labels("proportion.title", cls=yes),
        ["", *(labels(f"proportion.col.{c}") for c in ("count", "n", "share", "ci_low", "ci_high"))],
        prop_rows,
        [labels("proportion.note"), labels("proportion.diff_note"), labels("seed_errors.proportions")],
    )
    return [cross, test, props]


def all_tables(report: PairedReport, labels: Labels) -> list[Table]:
    return [
        descriptives_table(report, labels),
        shapiro_table(report, labels),
        wilcoxon_ranks_table(report, labels),
        wilcoxon_test_table(report, labels),
        ttest_table(report, labels),
        correlation_table(report, labels),
        effect_table(report, labels),
        *mcnemar_tables(report, labels),
    ]


def decision_lines(report: PairedReport, labels: Labels, sep: str) -> list[str]:
    """Why the test was chosen, which p decides, what it means, and the direction in words."""
    c = report.conclusion
    assert c is not None
    test_name = labels(f"decision.test.{c.test}")
    lines = [labels("decision.rule", small=concl.SMALL_N, limit=concl.EXACT_MAX_N)]
    sw = report.shapiro.diff
    if c.reason == concl.SMALL_SAMPLE:
        lines.append(labels("decision.small_n", n=report.n, small=concl.SMALL_N, test=test_name))
    elif c.reason == concl.ORDINAL:
        lines.append(labels("decision.ordinal", test=test_name))
    elif c.reason == concl.NORMALITY_UNAVAILABLE:
        lines.append(labels("decision.unavailable", test=test_name))
    else:
        key = "decision.normal" if c.reason == concl.DIFF_NORMAL else "decision.not_normal"
        lines.append(labels(key, p=p_phrase(sw.p, sep), test=test_name))
    w = report.wilcoxon
    if c.test == concl.WILCOXON and w.p is not None:
        lines.append(labels(f"decision.wilcoxon_p_{c.p_kind}", limit=concl.EXACT_MAX_N,
                            p_exact=p_phrase(w.p_exact, sep), p=p_phrase(w.p, sep)))
    if c.p is None:
        lines.append(labels("decision.no_result", test=test_name))
    elif c.significant:
        lines.append(labels("decision.significant", test=test_name, p=p_phrase(c.p, sep)))
    else:
        lines.append(labels("decision.not_significant", test=test_name, p=p_phrase(c.p, sep)))
    better = labels("decision.higher_better" if report.scale.higher_is_better else "decision.lower_better")
    if c.p is not None or c.direction != concl.UNCHANGED:
        key = "decision.direction" if c.significant else "decision.direction_unproven"
        lines.append(labels(key, direction=labels(f"decision.direction_word.{c.direction}"), better=better))
    if c.ttest_secondary and c.test == concl.WILCOXON:
        lines.append(labels("decision.ttest_secondary", p=p_phrase(report.ttest.p, sep)))
    return lines


def warning_lines(report: PairedReport, labels: Labels) -> list[str]:
    """The warnings block, one line per warning."""
    return [caveat_text(w, labels) for w in report.warnings]
