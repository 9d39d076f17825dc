"""/analisis: the per-protocol study report (flow, each protocol pair, frequencies, Table 1, then the full
statistics of the primary pair with its chart and workbook), or one instrument's pairs (``/analisis
INSTRUMEN``). The command is bot/handlers/midwife.py; the choice of protocol (``stp:an:<protocol>``) is
bot/handlers/study.py."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path

from analysis import draw_chart, render_compact, write_xlsx
from bot.chat.keyboards import callback, inline
from bot.core.turn import Turn
from bot.export.analysis_report import analysis_report
from bot.flows import protocols, study_data, study_report
from bot.handlers.steps.staff import staff_or_refuse
from storage import audit, facilities, research
from storage.models import Staff


def protocol_line(turn: Turn, protocol_id: str) -> str:
    p = turn.content.protocols.get(protocol_id) or turn.content.default_protocol
    return turn.t("study.protocol_line", kode=p.id, judul=p.title, versi=p.version)


def run_analysis(turn: Turn) -> None:
    """/analisis [PROTOKOL|INSTRUMEN]: asks which protocol when the facility has families on more than one."""
    staff = staff_or_refuse(turn)
    if staff is None:
        return
    if turn.args and turn.args[0].lower() in turn.content.instruments:
        instrument_analysis(turn, staff, turn.args[0].lower())
        return
    used = [p for p, _ in _research_protocols(turn, staff)]
    if turn.args:
        wanted = turn.args[0].lower()
        if wanted not in turn.content.protocols:
            turn.reply(turn.t("study.unknown_protocol", nama=wanted[:32],
                              pilihan=", ".join(sorted(turn.content.protocols))))
            return
        version = int(turn.args[1]) if len(turn.args) > 1 and turn.args[1].isdigit() else None
        report(turn, staff, wanted, version)
        return
    if len(used) > 1:
        turn.reply(turn.t("study.choose_protocol"),
                   inline([[(protocol_line(turn, p), callback("stp", "an", p))] for p in used]))
        return
    facility = facilities.get(turn.session, staff.facility_id)
    report(turn, staff, used[0] if used else protocols.facility_protocol(turn.content, facility).id)


def _research_protocols(turn: Turn, staff: Staff) -> list[tuple[str, int]]:
    return [(p, n) for p, n in research.protocols_of_facility(turn.session, staff.facility_id)
            if p in turn.content.protocols]


def report(turn: Turn, staff: Staff, protocol_id: str, version: int | None = None) -> None:
    """The study report of one protocol version; asks which version first when the facility's families are on
    more than one (versions are never pooled: their schedules or instruments may differ)."""
    facility = facilities.get(turn.session, staff.facility_id)
    if version is None:
        versions = research.versions(turn.session, protocol_id, staff.facility_id)
        if len(versions) > 1:
            turn.reply(turn.t("study.choose_version", protokol=protocol_line(turn, protocol_id)),
                       inline([[(turn.t("study.version_line", versi=v, n=n), callback("stp", "av", protocol_id, v))]
                               for v, n in versions]))
            return
    found = study_data.study(turn.session, turn.content, protocol_id, staff.facility_id, version=version)
    reports = study_data.analyse_study(found)
    audit.record(turn.session, action="analysis", now=turn.now, actor="telegram", actor_user_id=staff.user_id,
                 facility_id=staff.facility_id, rows=found.flow.analysed,
                 detail={"protocol": protocol_id, "version": found.version})
    for message in study_report.messages(turn.t, found, reports, facility.name):
        turn.reply("<pre>" + html.escape(message) + "</pre>", parse_mode="HTML")
    primary_data, primary = reports[0] if reports else (None, None)
    if primary is None:
        turn.reply(turn.t("midwife.analysis_too_few", n=primary_data.scores.n if primary_data else 0,
                          minimum=study_data.MIN_PAIRS, fasilitas=facility.name, instrumen=found.instrument.title))
        return

    def labels(key: str, /, **params: object) -> str:
        return turn.t(f"analysis.{key}", **params)

    header = turn.t("midwife.analysis_header", fasilitas=facility.name, instrumen=found.instrument.title,
                    n=primary.n)
    turn.reply(html.escape(header) + "\n<pre>" + html.escape(render_compact(primary, labels)) + "</pre>",
               parse_mode="HTML")
    with tempfile.TemporaryDirectory() as tmp:
        chart, book = Path(tmp) / "grafik.png", Path(tmp) / "analisis.xlsx"
        draw_chart(primary, chart, labels)
        write_xlsx(primary, book, labels)
        study_report.add_study_sheets(book, turn.t, found, reports, facility.name)
        chart_bytes, book_bytes = chart.read_bytes(), book.read_bytes()
    turn.photo(chart_bytes, turn.t("midwife.analysis_chart_caption", n=primary.n))
    turn.document(book_bytes, f"analisis-{facility.code}-{protocol_id}.xlsx",
                  turn.t("study.book_caption", instrumen=found.instrument.title))


def instrument_analysis(turn: Turn, staff: Staff, instrument_id: str) -> None:
    """/analisis INSTRUMEN: one instrument's pre/post pairs over the facility (research consent only)."""
    session = turn.session
    facility = facilities.get(session, staff.facility_id)
    instrument = turn.content.instruments.get(instrument_id)
    if instrument is None:
        turn.reply(turn.t("midwife.analysis_unknown_instrument", nama=instrument_id[:32],
                          pilihan=", ".join(sorted(turn.content.instruments))))
        return
    made = analysis_report(session, turn.content, staff, instrument, now=turn.now)
    if isinstance(made, str):
        turn.reply(made)
        return
    header, table, chart_bytes, book_bytes, n = made
    turn.reply(html.escape(header) + "\n<pre>" + html.escape(table) + "</pre>", parse_mode="HTML")
    turn.photo(chart_bytes, turn.t("midwife.analysis_chart_caption", n=n))
    turn.document(book_bytes, f"analisis-{facility.code}-{instrument.id}.xlsx",
                  turn.t("midwife.analysis_book_caption", instrumen=instrument.title))
