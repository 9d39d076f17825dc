"""Before/after paired plot as a PNG: one line per participant, the means with their 95% CIs.

Drawn on a bare Agg canvas (no pyplot, no global backend change), so it is safe in a server.
Identical (pre, post) pairs share one line whose width grows with the count; the count is written
on it. Lines are coloured by what the change means on the instrument's scale: better (green), worse (red),
unchanged (grey); on a scale where lower is better (seed 001's three levels) a falling line is the green one, and
the axis says which way is better.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from analysis.labels import Labels
from analysis.paired import TTEST, PairedReport
from analysis.spssformat import MEAN_DECIMALS, STAT_DECIMALS, fmt, p_phrase

COLOURS = {"better": "#2a9d8f", "worse": "#d1495b", "same": "#8d99ae"}
MEAN_COLOUR = "#1d3557"


def direction(pre: float, post: float, higher_is_better: bool = True) -> str:
    """better / worse / same, in the scale's own direction."""
    if post == pre:
        return "same"
    return "better" if (post > pre) == higher_is_better else "worse"


def draw_chart(report: PairedReport, path: str | Path, labels: Labels, dpi: int = 150) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    sep = labels("number.decimal_separator")
    fig = Figure(figsize=(8, 6.4), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)

    higher = report.scale.higher_is_better
    groups = Counter((p.pre, p.post) for p in report.pairs)
    biggest = max(groups.values())
    for (pre, post), count in sorted(groups.items(), key=lambda item: item[1]):
        colour = COLOURS[direction(pre, post, higher)]
        width = 1.2 + 5.0 * (count - 1) / max(biggest - 1, 1)
        ax.plot([0, 1], [pre, post], color=colour, linewidth=width, alpha=0.55, solid_capstyle="round", zorder=2)
        ax.scatter([0, 1], [pre, post], color=colour, s=18, zorder=3)
        if count > 1:
            ax.text(0.5, (pre + post) / 2, f"{count}", fontsize=8, ha="center", va="center", zorder=4,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": colour, "lw": 0.8})

    means = []
    for x, d, ha, dx in ((-0.12, report.pre, "right", -0.05), (1.12, report.post, "left", 0.05)):
        lo, hi = d.ci95 if d.ci95 else (d.mean, d.mean)
        ax.errorbar([x], [d.mean], yerr=[[d.mean - lo], [hi - d.mean]], fmt="D", color=MEAN_COLOUR,
                    markersize=8, capsize=6, linewidth=2, zorder=5)
        ax.text(x + dx, d.mean, labels("chart.mean_value", mean=fmt(d.mean, MEAN_DECIMALS, sep),
                                         low=fmt(lo, MEAN_DECIMALS, sep), high=fmt(hi, MEAN_DECIMALS, sep)),
                ha=ha, va="center", fontsize=9, color=MEAN_COLOUR)
        means.append((x, d.mean))
    ax.plot([m[0] for m in means], [m[1] for m in means], color=MEAN_COLOUR, linestyle="--", linewidth=1.5,
            zorder=4)

    ax.set_xlim(-0.9, 1.9)
    ax.set_xticks([0, 1], [labels("variable.pre"), labels("variable.post")], fontsize=11)
    ax.set_ylabel(labels("chart.y_label_higher" if higher else "chart.y_label_lower"), fontsize=11)
    values = [v for p in report.pairs for v in (p.pre, p.post)]
    if all(float(v).is_integer() for v in values):
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    span = max(values) - min(values) or 1.0
    ax.set_ylim(min(values) - 0.08 * span, max(values) + 0.08 * span)
    ax.grid(axis="y", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)

    fig.suptitle(labels("chart.title", n=report.n), fontsize=13, fontweight="bold")
    ax.set_title(_subtitle(report, labels, sep), fontsize=10)
    handles = [
        Line2D([], [], color=COLOURS["better"], linewidth=2, label=labels("chart.legend_better")),
        Line2D([], [], color=COLOURS["worse"], linewidth=2, label=labels("chart.legend_worse")),
        Line2D([], [], color=COLOURS["same"], linewidth=2, label=labels("chart.legend_same")),
        Line2D([], [], color=MEAN_COLOUR, marker="D", linestyle="--", label=labels("chart.legend_mean")),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, frameon=False,
              fontsize=9)
    fig.text(0.5, 0.01, labels("chart.footnote"), ha="center", fontsize=8, color="#555555")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    path = Path(path)
    fig.savefig(path, format="png")
    return path


def _subtitle(report: PairedReport, labels: Labels, sep: str) -> str:
    if report.recommended == TTEST:
        tt = report.ttest.pre_minus_post()
        return labels("chart.subtitle_ttest", t=fmt(tt.t, STAT_DECIMALS, sep), df=tt.df, p=p_phrase(tt.p, sep))
    w = report.wilcoxon
    if w.z is None:
        return labels("chart.subtitle_none")
    return labels("chart.subtitle_wilcoxon", z=fmt(w.z, STAT_DECIMALS, sep), p=p_phrase(report.recommended_p, sep))
