"""The first sheet of the /analisis workbook: the study report as real tables (one value per cell, numbers as
numbers), built from the report's JSON (bot/flows/study_report.to_json) as the phone message and the dashboard's
tables are, so the three agree. The report's full text follows on the next sheet."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from content.errors import ContentError

Words = Callable[..., str]


def _word(words: Words, key: str, fallback: str) -> str:
    try:
        return words(key)
    except ContentError:  # a code the texts do not name: shown as it is
        return fallback


def add_summary_sheet(path, words: Words, report: Mapping, *, title: str) -> None:
    """Insert the tables as the workbook's first sheet (and make it the one that opens)."""
    from openpyxl import load_workbook
    from openpyxl.styles import Font

    wb = load_workbook(path)
    ws = wb.create_sheet(words("desk.sheet_summary")[:31], 0)
    bold = Font(bold=True)

    def head(*cells) -> None:
        ws.append(list(cells))
        for cell in ws[ws.max_row]:
            cell.font = bold

    head(title)
    ws.append([])
    flow = report.get("flow") or {}
    head(words("dashboard.r_flow"), words("dashboard.r_families"))
    for key, value in (("r_registered", "registered"), ("r_consented", "consented_research"),
                       ("r_pre_on_time", "pre_on_time"), ("r_post_on_time", "post_on_time"),
                       ("r_analysed", "analysed")):
        ws.append([words(f"dashboard.{key}"), flow.get(value)])
    ws.append([])
    head(*(words(f"desk.col_{c}") for c in ("pair", "n", "median_pre", "median_post", "mean_pre", "mean_post",
                                            "test", "p", "significant", "direction", "warnings")))
    for pair in report.get("pairs") or []:
        c = pair.get("conclusion") or {}
        pre, post = pair.get("pre_descriptives") or {}, pair.get("post_descriptives") or {}
        name = words("dashboard.r_pair_day", hari=pair["day"]) if pair.get("day") else words("dashboard.r_pair")
        ws.append([name, pair.get("n"), pre.get("median"), post.get("median"), pre.get("mean"), post.get("mean"),
                   _word(words, f"analysis.decision.test.{c.get('test')}", c.get("test") or "-") if c else "-",
                   c.get("p"), words("export.values.yesno.1" if c.get("significant") else "export.values.yesno.0")
                   if c else "-",
                   _word(words, f"analysis.decision.direction_word.{c.get('direction')}", c.get("direction") or "-")
                   if c else "-", len(pair.get("warnings") or [])])
        ws.cell(ws.max_row, 8).number_format = "0.000"
        for col in (5, 6):
            ws.cell(ws.max_row, col).number_format = "0.00"
    ws.append([])
    head(words("desk.col_pair"), words("dashboard.r_level"), words("desk.col_before_n"), words("desk.col_before_pct"),
         words("desk.col_after_n"), words("desk.col_after_pct"))
    for pair in report.get("pairs") or []:
        name = words("dashboard.r_pair_day", hari=pair["day"]) if pair.get("day") else words("dashboard.r_pair")
        levels = {entry["occasion"]: entry["levels"] for entry in pair.get("levels") or []}
        before, after = levels.get(pair["pre"]) or [], levels.get(pair["post"]) or []
        for i, level in enumerate(before):
            other = after[i] if i < len(after) else {}
            ws.append([name, level["label"], level["n"], level["share"], other.get("n"), other.get("share")])
            for col in (4, 6):
                ws.cell(ws.max_row, col).number_format = "0%"
    ws.append([])
    ws.append([words("desk.phone_cannot_show")])
    ws.column_dimensions["A"].width = 34
    for col in "BCDEFGHIJK":
        ws.column_dimensions[col].width = 14
    wb.active = 0
    wb.save(path)
