"""Pure statistics on plain numbers for the midwife's pre/post analysis (SPSS-identical output).

Entry points:

- :func:`analyze_pairs` -- ``(participant, pre, post)`` tuples in, a :class:`PairedReport` out.
- :func:`read_pairs_csv` -- a ``participant,pre,post`` CSV file in, pairs (and classes) out.
- :func:`render_text`, :func:`render_compact`, :func:`to_json`, :func:`draw_chart`,
  :func:`write_xlsx` -- the report out, worded by a ``labels`` callable (see :mod:`analysis.labels`).
- :func:`mcnemar`, :func:`wilson_ci` -- for a yes/no class before and after.

Knows nothing of Telegram, the database or the content files.
"""

from analysis.chart import draw_chart
from analysis.csvinput import CsvPairs, read_pairs_csv, read_pairs_text
from analysis.errors import AnalysisError
from analysis.jsonout import dumps, to_json
from analysis.mcnemar import McNemarResult, mcnemar, mcnemar_from_table, wilson_ci
from analysis.paired import ClassLabels, DroppedPair, PairedReport, analyze_pairs
from analysis.report import render_compact, render_text
from analysis.workbook import write_xlsx

__all__ = [
    "AnalysisError",
    "ClassLabels",
    "CsvPairs",
    "DroppedPair",
    "McNemarResult",
    "PairedReport",
    "analyze_pairs",
    "draw_chart",
    "dumps",
    "mcnemar",
    "mcnemar_from_table",
    "read_pairs_csv",
    "read_pairs_text",
    "render_compact",
    "render_text",
    "to_json",
    "wilson_ci",
    "write_xlsx",
]
