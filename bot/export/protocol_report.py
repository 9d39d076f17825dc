"""The per-protocol study report of a facility, audited: shared by /analisis (bot/handlers/steps/analysis.py)
and the dashboard's analysis tab (bot/web/server.py), so both show the same report and hand out the same
workbook (the study sheets first, then the primary pair's statistics) with the same audit row.

Versions of a protocol are never pooled: their schedules or instruments may differ.
"""

from __future__ import annotations

import tempfile
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from analysis import draw_chart, render_compact, write_xlsx
from bot.export.report_sheet import add_summary_sheet
from bot.flows import protocol_study, protocols, study_data, study_report
from bot.flows.phone_report import phone_summary
from storage import audit, facilities, research
from storage.db import reading
from storage.models import Facility, Staff


def protocols_used(session, content, facility_id: int) -> list[tuple[str, int]]:
    """(protocol id, families) of the facility's families, most families first (known protocols only)."""
    return [(p, n) for p, n in research.protocols_of_facility(session, facility_id) if p in content.protocols]


def default_protocol(session, content, facility: Facility) -> str:
    """The protocol with the most families, or the facility's own protocol when it has none yet."""
    used = protocols_used(session, content, facility.id)
    return used[0][0] if used else protocols.facility_protocol(content, facility).id


def protocol_line(content, protocol_id: str) -> str:
    p = content.protocols.get(protocol_id) or content.default_protocol
    return content.text("study.protocol_line", kode=p.id, judul=p.title, versi=p.version)


@dataclass
class ProtocolReport:
    facility: Facility
    study: protocol_study.Study
    reports: list  # (PairData, PairedReport | None) of each protocol pair, the primary first
    messages: list[str]  # the chat's messages, one <pre> each

    @property
    def primary(self):
        return self.reports[0][1] if self.reports else None


def protocol_report(session, content, staff: Staff, protocol_id: str, version: int | None = None, *,
                    now: datetime, actor: str = "telegram", apart: bool = False) -> ProtocolReport:
    """The study report of one protocol version of the staff's facility (None: its newest version), audited.
    ``apart``: outside a chat's turn, read without the write lock, then commit (storage.db.reading)."""
    if apart:
        session.commit()  # whatever came before is done: the reads begin a transaction of their own
    with reading() if apart else nullcontext():
        facility = facilities.get(session, staff.facility_id)
        found = protocol_study.study(session, content, protocol_id, staff.facility_id, version=version)
        reports = protocol_study.analyse_study(found)
    if apart:
        session.commit()
    audit.record(session, action="analysis", now=now, actor=actor, actor_user_id=staff.user_id,
                 facility_id=staff.facility_id, rows=found.flow.analysed,
                 detail={"protocol": protocol_id, "version": found.version})
    if apart:
        session.commit()  # no lock held while the messages, chart and workbook are made
    return ProtocolReport(facility, found, reports, study_report.messages(content.text, found, reports,
                                                                          facility.name))


def labels_of(content):
    def labels(key: str, /, **params: object) -> str:
        return content.text(f"analysis.{key}", **params)

    return labels


def too_few(content, made: ProtocolReport) -> str:
    """The sentence saying the primary pair has too few families for the statistics."""
    data = made.reports[0][0] if made.reports else None
    return content.text("midwife.analysis_too_few", n=data.scores.n if data else 0, minimum=study_data.MIN_PAIRS,
                        fasilitas=made.facility.name, instrumen=made.study.instrument.title)


def phone_text(content, made: ProtocolReport) -> str:
    """The report as one short message for a phone (bot/flows/phone_report.py), from its JSON."""
    report = study_report.to_json(made.study, made.reports, labels_of(content))
    p = made.study.protocol
    return phone_summary(content.text, report, facility=made.facility.name,
                         protocol=content.text("study.protocol_line", kode=p.id, judul=p.title,
                                               versi=made.study.version))


def header(content, made: ProtocolReport) -> str:
    return content.text("midwife.analysis_header", fasilitas=made.facility.name,
                        instrumen=made.study.instrument.title, n=made.primary.n)


def compact_table(content, made: ProtocolReport) -> str:
    return render_compact(made.primary, labels_of(content))


def chart_and_book(content, made: ProtocolReport, *, with_book: bool = True) -> tuple[bytes, bytes | None]:
    """The primary pair's chart (PNG) and the /analisis workbook: the study sheets first (needs a primary)."""
    labels = labels_of(content)
    with tempfile.TemporaryDirectory() as tmp:
        chart, book = Path(tmp) / "grafik.png", Path(tmp) / "analisis.xlsx"
        draw_chart(made.primary, chart, labels)
        if with_book:
            write_xlsx(made.primary, book, labels)
            study_report.add_study_sheets(book, content.text, made.study, made.reports, made.facility.name)
            add_summary_sheet(book, content.text, study_report.to_json(made.study, made.reports, labels),
                              title=content.text("study.header", fasilitas=made.facility.name,
                                                 judul=made.study.protocol.title, versi=made.study.version,
                                                 instrumen=made.study.instrument.title))
        return chart.read_bytes(), book.read_bytes() if with_book else None


def book_filename(made: ProtocolReport) -> str:
    return f"analisis-{made.facility.code}-{made.study.protocol.id}.xlsx"


def book_caption(content, made: ProtocolReport) -> str:
    return content.text("study.book_caption", instrumen=made.study.instrument.title)
