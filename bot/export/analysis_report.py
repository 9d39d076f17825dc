"""One instrument's pre/post analysis of a facility, pooled over its protocols (header, compact table, chart,
workbook), audited: ``/analisis INSTRUMEN`` (bot/handlers/steps/analysis.py). The per-protocol study report
(/analisis and the dashboard) is bot/export/protocol_report.py."""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from analysis import draw_chart, render_compact, write_xlsx
from bot.flows import study_data
from storage import audit, facilities
from storage.models import Staff


def analysis_report(session, content, staff: Staff, instrument, *, now: datetime,
                    actor: str = "telegram") -> tuple[str, str, bytes, bytes, int] | str:
    """(header, compact table, chart PNG, workbook, pairs) of the facility's analysis, audited; or the sentence
    saying why there is none yet."""
    facility = facilities.get(session, staff.facility_id)
    scores = study_data.paired_scores(session, instrument, staff.facility_id)
    report = study_data.analyse(scores, instrument=instrument)
    if report is None:
        return content.text("midwife.analysis_too_few", n=scores.n, minimum=study_data.MIN_PAIRS,
                            fasilitas=facility.name, instrumen=instrument.title)

    def labels(key: str, /, **params: object) -> str:
        return content.text(f"analysis.{key}", **params)

    audit.record(session, action="analysis", now=now, actor=actor, actor_user_id=staff.user_id,
                 facility_id=staff.facility_id, rows=scores.n, detail={"instrument": instrument.id})
    header = content.text("midwife.analysis_header", fasilitas=facility.name, instrumen=instrument.title, n=scores.n)
    with tempfile.TemporaryDirectory() as tmp:
        chart = Path(tmp) / "grafik.png"
        book = Path(tmp) / "analisis.xlsx"
        draw_chart(report, chart, labels)
        write_xlsx(report, book, labels)
        chart_bytes, book_bytes = chart.read_bytes(), book.read_bytes()
    return header, render_compact(report, labels), chart_bytes, book_bytes, scores.n
