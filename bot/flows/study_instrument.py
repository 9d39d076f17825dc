"""An instrument's analysis is a protocol version's (issue 24): ``analyze --instrument`` and ``/analisis
INSTRUMEN`` never pool protocols. With one protocol version measuring with the instrument they give its study
report (bot/flows/study_data.py); with several, a choice; with none, why."""

from __future__ import annotations

from sqlmodel import Session

from bot.flows.study_data import StudyDataError, from_database
from content import Content, get_content
from storage import research


def instrument_protocols(session: Session, content: Content, instrument_id: str,
                         facility_id: int | None) -> list[tuple[str, int, int]]:
    """(protocol id, version, families) of every protocol version measuring with the instrument that has families
    in the facility (None: all). An instrument is analysed per protocol version, never pooled over them: their
    schedules, windows and pairs differ."""
    out = []
    for protocol_id, _ in sorted(research.protocols_of_facility(session, facility_id)):
        protocol = content.protocols.get(protocol_id)
        if protocol is None or protocol.instrument != instrument_id:
            continue
        out += [(protocol_id, v, n) for v, n in sorted(research.versions(session, protocol_id, facility_id))]
    return out


def instrument_choice(content: Content, instrument_id: str, found: list[tuple[str, int, int]]) -> tuple[str, int]:
    """The one protocol version of an instrument's analysis, or :class:`StudyDataError` with the Indonesian reason
    (no data yet, or several protocol versions, which are never pooled)."""
    instrument = content.instruments[instrument_id]
    if not found:
        raise StudyDataError(content.text("study.instrument_no_protocol", instrumen=instrument.title))
    if len(found) > 1:
        listed = ", ".join(content.text("study.instrument_protocol_item", kode=p, versi=v, n=n) for p, v, n in found)
        raise StudyDataError(content.text("study.instrument_pooled", instrumen=instrument.title, daftar=listed))
    protocol_id, version, _ = found[0]
    return protocol_id, version


def database_instrument(instrument_id: str, facility: str | None = None, *, database_url: str | None = None,
                        content: Content | None = None) -> tuple[str, int]:
    """``python -m bot analyze --instrument``: the one protocol version to report (see :func:`instrument_choice`).

    ``facility`` is a facility code or name; None means every facility.
    """
    content = content or get_content()
    if content.instruments.get(instrument_id) is None:
        raise StudyDataError(content.text("export.cli.unknown_instrument", nama=instrument_id,
                                          pilihan=", ".join(sorted(content.instruments))))
    found = from_database(database_url, content, facility,
                           lambda session, facility_id: instrument_protocols(session, content, instrument_id,
                                                                             facility_id))
    return instrument_choice(content, instrument_id, found)
