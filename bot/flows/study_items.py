"""The per-item frequency sheet of the /analisis workbook: for each item of the instrument, its question, then
each answer with n and % per on-time occasion (analysis.frequencies.item_tables), and the n of each occasion.

An item score is shown as the answer the family saw: the label of the choice (or choices) with that score
(Ya/Tidak for yes/no items), and for number items whether the criterion was met.
"""

from __future__ import annotations

from collections.abc import Callable

from content.instruments import Item

Words = Callable[..., str]
LABEL_WIDTH = 60
NUMBER_WIDTH = 12


def answer_rows(words: Words, item: Item, seen: set[int]) -> list[tuple[int, str]]:
    """(item score, answer label) in the instrument's order; a score seen but not possible comes last."""
    if item.answer_type == "number":
        assert item.criterion is not None
        crit = item.criterion
        kriteria = words("study.item_criterion_by_day") if crit.by_day else crit.default.describe(item.unit)
        rows = [(1, words("study.item_met", kriteria=kriteria)), (0, words("study.item_not_met", kriteria=kriteria))]
    else:
        rows = [(score, " / ".join(names)) for score, names in item.labels_by_score().items()]
    known = {score for score, _ in rows}
    return rows + [(score, str(score)) for score in sorted(seen - known)]


def write_item_sheet(sheet, words: Words, study, occasion_name: Callable[[str], str]) -> None:
    """Fill ``sheet`` (openpyxl) with one block per item of ``study.instrument``."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    occasions = list(study.occasions)
    width = 1 + 2 * len(occasions)  # the answer, then n and % per occasion

    def bold_row() -> None:
        for col in range(1, width + 1):
            sheet.cell(sheet.max_row, col).font = bold

    sheet.append([words("study.items_title", instrumen=study.instrument.title)])
    sheet.cell(1, 1).font = Font(bold=True, size=13)
    by_item = {(f.item_id, f.occasion): f for f in study.items}
    for number, item in enumerate(study.instrument.items, start=1):
        tables = [by_item.get((item.id, o)) for o in occasions]
        totals = [t.total if t is not None else 0 for t in tables]
        counts = [{v: n for v, n, _ in t.counts} if t is not None else {} for t in tables]
        sheet.append([])
        sheet.append([words("study.item_title", no=number, teks=item.text)])
        sheet.cell(sheet.max_row, 1).font = bold
        sheet.append([words("study.col_answer"), *(x for o in occasions for x in (occasion_name(o), None))])
        bold_row()
        sheet.append([None, *(x for _ in occasions for x in (words("study.col_n"), words("study.col_percent")))])
        bold_row()
        seen = {v for c in counts for v, n in c.items() if n}
        for score, label in answer_rows(words, item, seen):
            ns = [c.get(score, 0) for c in counts]
            sheet.append([label, *(x for n, total in zip(ns, totals, strict=True)
                                   for x in (n, round(100 * n / total, 1) if total else None))])
        sheet.append([words("study.col_total"), *(x for total in totals for x in (total, 100.0 if total else None))])
        bold_row()
    for row in sheet.iter_rows(min_col=3, max_col=width):
        for cell in row[::2]:  # the % columns
            if isinstance(cell.value, float):
                cell.number_format = "0.0"
    sheet.column_dimensions["A"].width = LABEL_WIDTH
    for col in range(2, width + 1):
        sheet.column_dimensions[get_column_letter(col)].width = NUMBER_WIDTH
