"""/analisis: the per-protocol study report (flow, each protocol pair, frequencies, Table 1, then the full
statistics of the primary pair with its chart and workbook), or one instrument's pairs (``/analisis
INSTRUMEN``). The command is bot/handlers/midwife.py; the choice of protocol (``stp:an:<protocol>``) is
bot/handlers/study.py."""

from __future__ import annotations

from bot.chat.keyboards import callback, inline
from bot.core.turn import Turn
from bot.export import protocol_report as shared
from bot.flows import study_data, study_instrument
from bot.handlers.steps.staff import staff_or_refuse
from storage import facilities, research
from storage.models import Staff


def protocol_line(turn: Turn, protocol_id: str) -> str:
    return shared.protocol_line(turn.content, protocol_id)


def run_analysis(turn: Turn) -> None:
    """/analisis [PROTOKOL|INSTRUMEN]: asks which protocol when the facility has families on more than one."""
    staff = staff_or_refuse(turn)
    if staff is None:
        return
    if turn.args and turn.args[0].lower() in turn.content.instruments:
        instrument_analysis(turn, staff, turn.args[0].lower())
        return
    if turn.args:
        wanted = turn.args[0].lower()
        if wanted not in turn.content.protocols:
            turn.reply(turn.t("study.unknown_protocol", nama=wanted[:32],
                              pilihan=", ".join(sorted(turn.content.protocols))))
            return
        version = int(turn.args[1]) if len(turn.args) > 1 and turn.args[1].isdigit() else None
        report(turn, staff, wanted, version)
        return
    used = [p for p, _ in shared.protocols_used(turn.session, turn.content, staff.facility_id)]
    if len(used) > 1:
        turn.reply(turn.t("study.choose_protocol"),
                   inline([[(protocol_line(turn, p), callback("stp", "an", p))] for p in used]))
        return
    report(turn, staff, shared.default_protocol(turn.session, turn.content,
                                                facilities.get(turn.session, staff.facility_id)))


def report(turn: Turn, staff: Staff, protocol_id: str, version: int | None = None) -> None:
    """The study report of one protocol version; asks which version first when the facility's families are on
    more than one (versions are never pooled: their schedules or instruments may differ)."""
    if version is None:
        versions = research.versions(turn.session, protocol_id, staff.facility_id)
        if len(versions) > 1:
            turn.reply(turn.t("study.choose_version", protokol=protocol_line(turn, protocol_id)),
                       inline([[(turn.t("study.version_line", versi=v, n=n), callback("stp", "av", protocol_id, v))]
                               for v, n in versions]))
            return
    made = shared.protocol_report(turn.session, turn.content, staff, protocol_id, version, now=turn.now)
    # One message a phone shows whole, from the report's own numbers; the full report is the workbook and
    # the dashboard's analysis tab.
    turn.reply(shared.phone_text(turn.content, made))
    if made.primary is None:
        turn.reply(shared.too_few(turn.content, made))
        return
    chart_bytes, book_bytes = shared.chart_and_book(turn.content, made)
    turn.photo(chart_bytes, turn.t("midwife.analysis_chart_caption", n=made.primary.n))
    turn.document(book_bytes, shared.book_filename(made), shared.book_caption(turn.content, made))


def instrument_analysis(turn: Turn, staff: Staff, instrument_id: str) -> None:
    """/analisis INSTRUMEN: never pooled over protocols. One protocol version measuring with the instrument: its
    study report; several: the choice of one (buttons); none: why."""
    instrument = turn.content.instruments.get(instrument_id)
    if instrument is None:
        turn.reply(turn.t("midwife.analysis_unknown_instrument", nama=instrument_id[:32],
                          pilihan=", ".join(sorted(turn.content.instruments))))
        return
    found = study_instrument.instrument_protocols(turn.session, turn.content, instrument_id, staff.facility_id)
    if len(found) > 1:
        turn.reply(turn.t("study.instrument_choose", instrumen=instrument.title),
                   inline([[(turn.t("study.instrument_protocol_item", kode=p, versi=v, n=n),
                             callback("stp", "av", p, v))] for p, v, n in found]))
        return
    try:
        protocol_id, version = study_instrument.instrument_choice(turn.content, instrument_id, found)
    except study_data.StudyDataError as exc:
        turn.reply(str(exc))
        return
    report(turn, staff, protocol_id, version)
