"""A faster row flush for XlsxWriter's constant_memory mode, producing the same XML.

XlsxWriter writes the workbook (zip, styles, formats, widths, frozen panes, sheet XML). In
constant_memory mode it flushes each finished row through ``_write_single_row``, which writes every
cell with several small writes and per-cell attribute escaping; for the 300,000-row answers sheet that
inner loop is most of the export time. :class:`FastRowsWorksheet` (passed as ``worksheet_class``) flushes
rows of plain number and inline-string cells as one string per row, with XlsxWriter's own escaping
rules; any other row (formulas, rich strings, row formats, comments) goes through XlsxWriter unchanged.
``tests/test_export_files.py`` checks that the sheet XML is byte for byte what XlsxWriter writes itself.

If a future XlsxWriter renames the internals used here, :data:`SUPPORTED` is False and the plain
worksheet is used (slower, same file).
"""

from __future__ import annotations

from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import re_control_chars_1, re_control_chars_2, xml_escapes

from bot.export.formulas import neutral

SUPPORTED = all(hasattr(Worksheet, name) for name in ("_write_single_row", "_write_row", "_xml_end_tag",
                                                       "_escape_control_characters"))


def _inline(ref: str, style: str, string: str) -> str:
    """XlsxWriter's in-line string cell: control characters as _xHHHH_, whitespace kept, &, <, > escaped."""
    if "_x" in string or re_control_chars_2.search(string):
        string = Worksheet._escape_control_characters(string)
    preserve = ' xml:space="preserve"' if string[:1].isspace() or string[-1:].isspace() else ""
    if xml_escapes.search(string):
        string = string.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{preserve}>{string}</t></is></c>'


class FastRowsWorksheet(Worksheet):
    def _write_single_row(self, current_row_num: int = 0) -> None:
        row_num = self.previous_row
        cells = self.table.get(row_num) if hasattr(self.table, "get") else None
        if (not cells or row_num in self.row_info or row_num in self.comments
                or not self.constant_memory):
            super()._write_single_row(current_row_num)
            return
        parts: list[str] = []
        col_info = self.col_info
        for col_num in sorted(cells):
            cell = cells[col_num]
            kind = cell.__class__.__name__
            if kind not in ("Number", "Datetime", "String"):
                super()._write_single_row(current_row_num)  # a cell this fast path does not know
                return
            ref = xl_rowcol_to_cell_fast(row_num, col_num)
            if cell.format:
                style = f' s="{cell.format._get_xf_index()}"'
            elif col_num in col_info and col_info[col_num].column_format is not None:
                style = f' s="{col_info[col_num].column_format._get_xf_index()}"'
            else:
                style = ""
            if kind == "String":
                string = cell.string
                if string.startswith("<r>") and string.endswith("</r>"):
                    super()._write_single_row(current_row_num)  # rich strings: XlsxWriter's own path
                    return
                parts.append(_inline(ref, style, string))
            else:
                parts.append(f'<c r="{ref}"{style}><v>{cell.number:.16G}</v></c>')
        self.previous_row = current_row_num
        self._write_row(row_num, None)
        self.fh.write("".join(parts))
        self._xml_end_tag("row")
        self.table.clear()


# re_control_chars_1 is imported so that a rename in XlsxWriter shows here at import time.
_ = re_control_chars_1


def write_xml_row(ws: Worksheet, row: int, xml: str, first_col: int, last_col: int) -> None:
    """Write one finished row's cell XML (from :func:`inline_cell` / :func:`number_cell`) straight to the
    sheet, keeping XlsxWriter's dimensions and its pending row in order."""
    if not xml:
        return
    if ws._check_dimensions(row, first_col) or ws._check_dimensions(row, last_col):
        raise ValueError(f"row {row} is outside the sheet or already written")
    if row > ws.previous_row or ws.table:
        ws._write_single_row(row)  # flush the row XlsxWriter holds (e.g. the header)
    ws.previous_row = row
    ws._write_row(row, None)
    ws.fh.write(xml)
    ws._xml_end_tag("row")


_BODIES: dict[tuple[str, str], str] = {}
_MAX_BODIES = 4096  # value labels, item ids, family codes of a page: repeated strings, bounded memory


def inline_cell(ref: str, style: str, string: str) -> str:
    """An in-line string cell (a formula in it neutralised: bot/export/formulas.py); the escaped body of a
    recently seen string is reused."""
    body = _BODIES.get((style, string))
    if body is None:
        cell = _inline("", style, neutral(string))
        body = cell[len('<c r=""'):]
        if len(_BODIES) >= _MAX_BODIES:
            _BODIES.clear()
        _BODIES[(style, string)] = body
    return f'<c r="{ref}"{body}'


def number_cell(ref: str, style: str, number: float) -> str:
    return f'<c r="{ref}"{style}><v>{number:.16G}</v></c>'


def style_attr(fmt) -> str:
    return f' s="{fmt._get_xf_index()}"' if fmt is not None else ""
