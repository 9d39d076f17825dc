"""The audit log: who did what with the data (exports, invitations, handled alerts), and when."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import AuditLog


def record(session: Session, *, action: str, now: datetime, actor: str, actor_user_id: int | None = None,
           facility_id: int | None = None, rows: int = 0, detail: dict | None = None) -> AuditLog:
    entry = AuditLog(at=now, actor=actor[:64], actor_user_id=actor_user_id, action=action[:32],
                     facility_id=facility_id, rows=rows, detail=dict(detail or {}))
    session.add(entry)
    session.flush()
    return entry


def entries(session: Session, action: str | None = None, facility_id: int | None = None) -> list[AuditLog]:
    stmt = select(AuditLog)
    if action is not None:
        stmt = stmt.where(AuditLog.action == action)
    if facility_id is not None:
        stmt = stmt.where(AuditLog.facility_id == facility_id)
    return list(session.exec(stmt.order_by(col(AuditLog.at), col(AuditLog.id))))
