"""Human renderings of a :class:`~analysis.paired.PairedReport`: SPSS-like tables for a terminal,
and a compact monospace text for a Telegram message (under 4,000 characters).

Every word comes from ``labels`` (see :mod:`analysis.labels`); numbers follow SPSS's rounding.
"""

from __future__ import annotations

import re
import textwrap

from analysis.caveats import EXCLUDED
from analysis.labels import Labels
from analysis.paired import NOT_NUMBER, PairedReport
from analysis.spssformat import (
    MEAN_DECIMALS,
    RANK_DECIMALS,
    SPREAD_DECIMALS,
    STAT_DECIMALS,
    fmt,
    fmt_number,
    p_phrase,
)
from analysis.tables import Table, all_tables, class_names, decision_lines, warning_lines

TELEGRAM_LIMIT = 4000
COMPACT_WIDTH = 38  # fits a phone screen in a monospace block
MAX_DROPPED_LISTED = 20


def _sep(labels: Labels) -> str:
    return labels("number.decimal_separator")


def _missing(labels: Labels) -> str:
    return labels("number.missing")


def format_table(table: Table, sep: str, missing: str) -> list[str]:
    """The table as aligned lines: first column left, the others right."""
    cells = [table.columns] + [[c.text(sep, missing) for c in row] for row in table.rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(table.columns))]
    lines = []
    for index, row in enumerate(cells):
        parts = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in range(1, len(row))]
        lines.append("  ".join(parts).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def dropped_lines(report: PairedReport, labels: Labels) -> list[str]:
    if not report.dropped_pairs:
        return [labels("summary.dropped_none")]
    lines = [labels("summary.dropped", count=report.dropped)]
    for d in report.dropped_pairs[:MAX_DROPPED_LISTED]:
        reason = labels(f"summary.reason.{'not_number' if d.reason == NOT_NUMBER else 'missing'}")
        who = d.participant or labels("summary.no_participant")
        if d.line is None:
            lines.append(labels("summary.dropped_item", participant=who, reason=reason))
        else:
            lines.append(labels("summary.dropped_item_line", line=d.line, participant=who, reason=reason))
    if report.dropped > MAX_DROPPED_LISTED:
        lines.append(labels("summary.dropped_more", count=report.dropped - MAX_DROPPED_LISTED))
    return lines


def render_text(report: PairedReport, labels: Labels) -> str:
    """The full report: SPSS-like tables in Indonesian, aligned for a terminal."""
    sep, missing = _sep(labels), _missing(labels)
    out = [labels("title"), "=" * len(labels("title")), labels("summary.n", n=report.n)]
    out += dropped_lines(report, labels)
    for number, table in enumerate(all_tables(report, labels), start=1):
        out += ["", f"{number}. {table.title}", ""]
        out += format_table(table, sep, missing)
        out += [f"   {note}" for note in table.notes]
    out += ["", labels("decision.title"), ""]
    out += decision_lines(report, labels, sep)
    out += ["", labels("warnings.title"), ""]
    out += [f"- {line}" for line in warning_lines(report, labels)]
    return "\n".join(out) + "\n"


def _wrap(line: str) -> str:
    """Wrap a long line at COMPACT_WIDTH, continuing under its own indent plus two spaces."""
    if len(line) <= COMPACT_WIDTH:
        return line
    indent = line[: len(line) - len(line.lstrip())]
    # Keep "p = 0,018", "p < 0,001" and "(< 0,05)" on one line: glue them with a no-break space.
    glued = re.sub(r"(?<=\bp) (?=[=<>])", "\u00a0", line.strip())
    glued = re.sub(r"([=<>]=?) (?=-?\d)", "\\1\u00a0", glued)
    wrapped = textwrap.fill(glued, width=COMPACT_WIDTH, initial_indent=indent,
                            subsequent_indent=indent + "  ", break_on_hyphens=False)
    return wrapped.replace("\u00a0", " ")


def render_compact(report: PairedReport, labels: Labels) -> str:
    """A short monospace text for a chat message: plain text, lines of at most 38 characters.

    Send it in a monospace block (HTML ``<pre>`` after escaping ``<``, ``>`` and ``&``).
    """
    sep, missing = _sep(labels), _missing(labels)

    def f(value: float | None, decimals: int) -> str:
        return fmt(value, decimals, sep, missing)

    def p(value: float | None) -> str:
        return p_phrase(value, sep, missing)

    def score(value: float | None) -> str:
        return fmt_number(value, sep, missing)

    c = "compact."
    out = [labels(c + "title"), labels(c + "n", n=report.n, dropped=left_out(report)), ""]
    for key in ("pre", "post", "diff"):
        d = getattr(report, key)
        lo, hi = d.ci95 if d.ci95 else (None, None)
        out.append(labels(c + f"variable.{key}"))
        out.append(labels(c + "desc_mean", mean=f(d.mean, MEAN_DECIMALS), sd=f(d.sd, SPREAD_DECIMALS)))
        out.append(labels(c + "desc_range", median=f(d.median, MEAN_DECIMALS), min=score(d.min), max=score(d.max)))
        out.append(labels(c + "desc_ci", low=f(lo, MEAN_DECIMALS), high=f(hi, MEAN_DECIMALS)))
    out += ["", labels(c + "shapiro")]
    for key in ("pre", "post", "diff"):
        res = getattr(report.shapiro, key)
        out.append(labels(c + "shapiro_row", variable=labels(c + f"short.{key}"), w=f(res.w, STAT_DECIMALS),
                          p=p(res.p)))
    w = report.wilcoxon
    out += ["", labels(c + "wilcoxon"), labels(c + "wilcoxon_header")]
    for key in ("negative", "positive"):
        row = getattr(w, key)
        out.append(labels(c + f"wilcoxon_{key}", n=row.n, mean_rank=f(row.mean_rank, RANK_DECIMALS),
                          sum_ranks=f(row.sum_ranks, RANK_DECIMALS)))
    out.append(labels(c + "wilcoxon_ties", ties=w.ties))
    out.append(labels(c + "wilcoxon_test", z=f(w.z, STAT_DECIMALS), p=p(w.p)))
    out.append(labels(c + "wilcoxon_exact", p_exact=p(w.p_exact)))
    tt = report.ttest.pre_minus_post()
    lo, hi = tt.ci95 if tt.ci95 else (None, None)
    out += ["", labels(c + "ttest")]
    out.append(labels(c + "ttest_mean", mean=f(tt.mean_diff, SPREAD_DECIMALS)))
    out.append(labels(c + "ttest_spread", sd=f(tt.sd, SPREAD_DECIMALS), se=f(tt.se, SPREAD_DECIMALS)))
    out.append(labels(c + "ttest_ci", low=f(lo, SPREAD_DECIMALS), high=f(hi, SPREAD_DECIMALS)))
    out.append(labels(c + "ttest_test", t=f(tt.t, STAT_DECIMALS), df=tt.df, p=p(tt.p)))
    e = report.effect
    r_lo, r_hi = e.r_ci95 or (None, None)
    dz_lo, dz_hi = e.dz_ci95 or (None, None)
    hl = e.hl
    hl_lo, hl_hi = (hl.ci95 if hl and hl.ci95 else (None, None))
    out += ["", labels(c + "effect"),
            labels(c + "effect_r", r=f(e.r, STAT_DECIMALS), r_low=f(r_lo, STAT_DECIMALS),
                   r_high=f(r_hi, STAT_DECIMALS)),
            labels(c + "effect_hl", hl=f(hl.estimate if hl else None, SPREAD_DECIMALS),
                   hl_low=f(hl_lo, SPREAD_DECIMALS), hl_high=f(hl_hi, SPREAD_DECIMALS)),
            labels(c + "effect_dz", dz=f(e.dz, STAT_DECIMALS), dz_low=f(dz_lo, STAT_DECIMALS),
                   dz_high=f(dz_hi, STAT_DECIMALS))]
    m = report.mcnemar
    if m is not None:
        _, yes = class_names(report, labels)
        out += ["", labels(c + "mcnemar", yes=yes)]
        out.append(labels(c + "mcnemar_counts", before=m.before.count, after=m.after.count, n=m.n))
        out.append(labels(c + "mcnemar_changes", yes=yes, became_yes=m.b))
        out.append(labels(c + "mcnemar_back", became_no=m.c))
        out.append(labels(c + "mcnemar_p", p=p(m.p)))
        d_lo, d_hi = m.diff_ci95 or (None, None)

        def pct(v: float | None) -> str:
            return missing if v is None else fmt(100 * v, 1, sep, missing) + "%"

        out.append(labels(c + "mcnemar_diff", diff=pct(m.diff), low=pct(d_lo), high=pct(d_hi)))
    out += [""] + decision_lines(report, labels, sep)
    out += ["", labels(c + "warnings")]
    out += [labels(c + "warning_item", text=line) for line in warning_lines(report, labels)]
    out += [labels(c + "seed_errors")]
    text = "\n".join(_wrap(line) for line in out)
    if len(text) > TELEGRAM_LIMIT:  # only reachable with very long labels; never cut mid-line
        text = text[: text.rfind("\n", 0, TELEGRAM_LIMIT)]
    return text


def left_out(report: PairedReport) -> int:
    """Pairs left out of the analysis: those the caller excluded before (windows, consent; they include the
    incomplete ones, as the warnings block counts them), else the incomplete pairs dropped here."""
    excluded = [w for w in report.warnings if w.code == EXCLUDED]
    return max(report.dropped, excluded[0].params.get("count", 0)) if excluded else report.dropped
