"""The human renderings, worded by the real content texts: terminal tables, Telegram text, JSON,
chart PNG and XLSX workbook."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image

from analysis import (
    analyze_pairs,
    draw_chart,
    read_pairs_csv,
    render_compact,
    render_text,
    to_json,
    write_xlsx,
)
from analysis.paired import DroppedPair
from analysis.report import COMPACT_WIDTH, TELEGRAM_LIMIT
from bot.commands.analyze import labels as content_labels

DATA = Path(__file__).parent / "data" / "analysis"

JSON_KEYS = {"n", "dropped", "pre", "post", "diff", "shapiro", "wilcoxon", "ttest", "effect", "recommended",
             "conclusion", "warnings"}
DESC_KEYS = {"mean", "sd", "se", "median", "min", "max", "ci95"}


@pytest.fixture(scope="module")
def labels():
    return content_labels()


def load(name):
    data = read_pairs_csv(DATA / name)
    return analyze_pairs(data.pairs, dropped=data.dropped, classes=data.classes, class_labels=data.class_labels)


def edge_reports():
    """Reports that exercise every optional sentence."""
    yield load("seed001_day1.csv")
    yield load("seed000_checklist.csv")  # with McNemar
    yield analyze_pairs([("A", 1, 1), ("B", 2, 2), ("C", 4, 4)])  # all ties
    yield analyze_pairs([("A", 1, 2), ("B", 2, 3), ("C", 4, 5)])  # constant differences
    yield analyze_pairs([("A", 3, 1), ("B", 3, 2), ("C", 3, 3)])  # constant pre, decrease
    yield analyze_pairs([(str(i), 0, i % 7 + 1) for i in range(60)])  # too many for the exact p
    yield analyze_pairs([("A", 5, 6), ("B", 5, 4), ("C", 5, 7), ("D", 5, 3)])  # equal rank sums
    yield analyze_pairs(
        [("A", 1, 2), ("B", 2, 4), ("C", 3, 3), ("", None, 3)],
        dropped=[DroppedPair("X", "not_number", 7), DroppedPair("", "missing", 9)],
        classes=[(False, True), (True, None), (False, False), (None, None)],
    )


def test_terminal_output_for_seed001(labels):
    text = render_text(load("seed001_day1.csv"), labels)
    lines = text.splitlines()
    assert lines[0] == labels("title")
    row = next(line for line in lines if line.startswith(labels("wilcoxon.row.positive")))
    assert row.split()[-3:] == ["11", "6,00", "66,00"]
    row = next(line for line in lines if line.startswith(labels("wilcoxon.row.negative")))
    assert row.split()[-3:] == ["0", "0,00", "0,00"]
    assert re.search(r"^Z\s+-3,317$", text, re.M)
    assert re.search(r"^" + re.escape(labels("wilcoxon.stat.p")) + r"\s+0,001$", text, re.M)
    assert labels("wilcoxon.based_on.negative") in text
    assert labels("decision.ordinal", test=labels("decision.test.wilcoxon")) in text  # a 0/1/2 scale
    assert labels("decision.wilcoxon_p_exact", limit=50, p_exact="p = 0,001", p="p = 0,001") in text
    t_row = next(line for line in lines if line.startswith(labels("ttest.row")))
    assert t_row.split()[-8:] == ["-0,458", "0,509", "0,104", "-0,673", "-0,243", "-4,412", "23", "<0,001"]


def test_columns_are_aligned(labels):
    text = render_text(load("seed002.csv"), labels)
    block = text.split(labels("descriptives.title"))[1].strip("\n").splitlines()[:5]
    assert len({len(line) for line in block}) == 1  # header, rule and three rows end at one column


@pytest.mark.parametrize("report", list(edge_reports()))
def test_every_variant_renders_without_nan(labels, report, tmp_path):
    text = render_text(report, labels)
    compact = render_compact(report, labels)
    for out in (text, compact):
        assert "nan" not in out.lower() and "None" not in out
    assert len(compact) < TELEGRAM_LIMIT
    for line in compact.splitlines():
        assert len(line) <= COMPACT_WIDTH
        assert "\t" not in line
        assert all(unicodedata.east_asian_width(ch) not in ("W", "F") for ch in line)
    data = to_json(report)
    assert JSON_KEYS <= set(data)
    draw_chart(report, tmp_path / "c.png", labels)
    write_xlsx(report, tmp_path / "t.xlsx", labels)


def test_reasons_are_stated(labels):
    ties = analyze_pairs([("A", 1, 1), ("B", 2, 2), ("C", 4, 4)])
    text = render_text(ties, labels)
    assert labels("wilcoxon.reason.all_ties") in text
    assert labels("ttest.reason.zero_variance") in text
    assert labels("shapiro.reason.constant", variable=labels("variable.diff")) in text
    assert labels("decision.not_significant", test=labels("decision.test.wilcoxon"), p="p = 1,000") in text


def test_dropped_pairs_are_listed(labels):
    report = analyze_pairs([("A", 1, 2), ("B", 2, 4), ("C", 3, 3)],
                           dropped=[DroppedPair("P07", "not_number", 9)])
    text = render_text(report, labels)
    assert labels("summary.dropped", count=1) in text
    assert labels("summary.dropped_item_line", line=9, participant="P07",
                  reason=labels("summary.reason.not_number")) in text


def test_json_has_exactly_the_documented_keys():
    data = to_json(load("seed001_day1.csv"))
    assert set(data) == JSON_KEYS
    for key in ("pre", "post", "diff"):
        assert set(data[key]) == DESC_KEYS
    assert set(data["shapiro"]) == {"pre", "post", "diff"}
    assert all(set(v) == {"w", "p"} for v in data["shapiro"].values())
    assert set(data["wilcoxon"]) == {"negative", "positive", "ties", "z", "p", "p_exact"}
    assert set(data["wilcoxon"]["positive"]) == {"n", "mean_rank", "sum_ranks"}
    assert set(data["ttest"]) == {"mean_diff", "sd", "se", "ci95", "t", "df", "p"}
    assert set(data["effect"]) == {"r", "r_ci95", "r_n", "dz", "dz_ci95", "hodges_lehmann"}
    assert set(data["conclusion"]) == {"test", "p", "p_kind", "significant", "direction", "reason",
                                       "ttest_secondary", "up", "down", "median_diff"}
    assert all(set(w) == {"code", "text"} for w in data["warnings"])
    assert data["ttest"]["mean_diff"] > 0  # post - pre
    assert data["wilcoxon"]["z"] == pytest.approx(-(11**0.5))


def test_json_adds_mcnemar_only_with_class_columns():
    data = to_json(load("seed000_checklist.csv"))
    assert set(data) == JSON_KEYS | {"mcnemar"}
    assert data["mcnemar"]["table"] == [[5, 5], [0, 5]]
    assert data["mcnemar"]["p_exact"] == pytest.approx(0.0625)


def test_chart_is_a_readable_png(labels, tmp_path):
    out = draw_chart(load("seed001_day1.csv"), tmp_path / "chart.png", labels)
    with Image.open(out) as img:
        assert img.format == "PNG"
        assert img.size[0] >= 1000 and img.size[1] >= 800
        assert len(img.convert("RGB").getcolors(maxcolors=1 << 20)) > 50  # lines, text and colours were drawn


def test_workbook_keeps_numbers_with_spss_decimals(labels, tmp_path):
    report = load("seed001_day1.csv")
    out = write_xlsx(report, tmp_path / "tables.xlsx", labels)
    wb = load_workbook(out)
    tables, data = wb.worksheets
    z_row = next(row for row in tables.iter_rows() if row[0].value == labels("wilcoxon.stat.z"))
    assert z_row[1].value == -3.317  # rounded as SPSS shows it, not -3.3166247903554
    assert z_row[1].number_format == "0.000"
    assert tables.freeze_panes == "A2" and data.freeze_panes == "A2"
    texts = [row[0].value for row in tables.iter_rows() if row[0].value]
    assert labels("warnings.title") in texts
    assert data.max_row == 1 + report.n
    assert [c.value for c in data[1]] == [labels("xlsx.col_participant"), labels("variable.pre"),
                                          labels("variable.post"), labels("variable.diff")]


ERROR_CODES = ["file_missing", "file_unreadable", "empty_file", "no_rows", "wrong_header", "class_columns_incomplete",
               "no_usable_rows", "duplicate_participant", "class_not_binary", "class_positive_unknown",
               "too_few_pairs", "output_unwritable"]


@pytest.mark.parametrize("code", ERROR_CODES)
def test_every_error_has_one_indonesian_line(code):
    from content import get_content

    content = get_content()
    assert content.has_text(f"analysis.errors.{code}")
    assert "\n" not in content.texts[f"analysis.errors.{code}"].strip()
