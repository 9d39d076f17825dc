"""Which protocol a family follows: the facility's default, chosen by its coordinator; moving one family.

- A facility's default protocol (``Facility.default_protocol``; None means ``default``) is set when it is
  created (``python -m bot midwife invite --facility NAME --protocol seed001``), and changed with
  ``python -m bot facility protocol --facility CODE PROTOCOL`` or by its coordinator in the chat (/protokol).
- A family registering through a facility follows that facility's protocol; without a facility, ``default``.
  The family keeps the protocol id **and version** it was enrolled under (``Family.protocol_version``).
- A midwife can move one family to another protocol only before its first measurement.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, func, select

from content import Content
from content.protocols import Protocol
from storage import audit
from storage.models import Facility, Family, Measurement

DEFAULT = "default"


class ProtocolError(ValueError):
    """``code`` says why: unknown_protocol | already_measured."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def check(content: Content, protocol_id: str) -> Protocol:
    protocol = content.protocols.get(protocol_id)
    if protocol is None:
        raise ProtocolError("unknown_protocol", nama=protocol_id, pilihan=", ".join(sorted(content.protocols)))
    return protocol


def facility_protocol(content: Content, facility: Facility | None) -> Protocol:
    """The protocol a family registering through ``facility`` follows."""
    if facility is not None and facility.default_protocol:
        found = content.protocols.get(facility.default_protocol)
        if found is not None:
            return found
    return content.protocols.get(DEFAULT) or content.default_protocol


def set_facility_protocol(session: Session, content: Content, facility: Facility, protocol_id: str, *,
                          now: datetime, actor: str, actor_user_id: int | None = None) -> Protocol:
    protocol = check(content, protocol_id)
    facility.default_protocol = protocol.id
    session.add(facility)
    session.flush()
    audit.record(session, action="facility_protocol", now=now, actor=actor, actor_user_id=actor_user_id,
                 facility_id=facility.id, detail={"protocol": protocol.id, "version": protocol.version})
    return protocol


def has_measurement(session: Session, family_id: int) -> bool:
    return bool(session.exec(select(func.count()).select_from(Measurement).where(
        Measurement.family_id == family_id, col(Measurement.completed_at).is_not(None))).one())


def enrol(family: Family, protocol: Protocol) -> None:
    family.protocol_id = protocol.id
    family.protocol_version = protocol.version


def move_family(session: Session, content: Content, family: Family, protocol_id: str, *, now: datetime,
                actor_user_id: int | None = None) -> Protocol:
    """Move one family to another protocol; refused once it has a finished measurement."""
    protocol = check(content, protocol_id)
    if has_measurement(session, family.id):
        raise ProtocolError("already_measured", kode=family.code)
    enrol(family, protocol)
    session.add(family)
    session.flush()
    audit.record(session, action="family_protocol", now=now, actor="telegram", actor_user_id=actor_user_id,
                 facility_id=family.facility_id, detail={"family": family.code, "protocol": protocol.id,
                                                        "version": protocol.version})
    return protocol


def protocols_in_use(session: Session, facility_id: int | None) -> list[tuple[str, int | None, int]]:
    """(protocol id, version, families) of the facility's families, most families first."""
    stmt = select(Family.protocol_id, Family.protocol_version, func.count()).group_by(
        Family.protocol_id, Family.protocol_version)
    if facility_id is not None:
        stmt = stmt.where(Family.facility_id == facility_id)
    rows = session.exec(stmt).all()
    return sorted(((p, v, int(n)) for p, v, n in rows), key=lambda r: (-r[2], r[0], r[1] or 0))
