"""Danger-sign alerts: stored when a family reports a sign, handled by a midwife, repeated until then.

Repeats are Outbox rows of kind ``alert_repeat``, one per midwife and repeat, with the dedupe key
``alert:<alert id>:<n>:<user id>``; handling the alert cancels the pending ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage import outbox
from storage.models import Alert, AlertEvent, Outbox

REPEAT_KIND = "alert_repeat"  # an escalation step for one staff member
# The escalation ladder's steps (bot/flows/alerts.py climbs it; the export labels its steps).
MIDWIFE_REPEATS = 3  # repeats to the midwives before the coordinators are added
COORDINATOR_STEP = MIDWIFE_REPEATS + 1
FAMILY_STEP = MIDWIFE_REPEATS + 2
MAX_REPEATS = 8  # the last step; it tells the family again
FAMILY_KIND = "alert_family"  # "nobody has answered yet" for one family member
NOTE_KIND = "alert_note"  # a stored message to one person (acknowledgement from outside Telegram)
KINDS = (REPEAT_KIND, FAMILY_KIND, NOTE_KIND)
FAMILY_DELETED = "family_deleted"


def get(session: Session, alert_id: int) -> Alert | None:
    return session.get(Alert, alert_id)


def open_for_sign(session: Session, family_id: int, sign_id: str) -> Alert | None:
    return session.exec(
        select(Alert).where(Alert.family_id == family_id, Alert.sign_id == sign_id,
                            col(Alert.handled_at).is_(None), col(Alert.closed_reason).is_(None))
    ).first()


def open_head(session: Session, family_id: int, since: datetime) -> Alert | None:
    """The family's open episode (its first alert), if it was raised after ``since``."""
    return session.exec(
        select(Alert).where(Alert.family_id == family_id, col(Alert.episode_id).is_(None),
                            col(Alert.handled_at).is_(None), col(Alert.closed_reason).is_(None),
                            Alert.raised_at >= since)
        .order_by(col(Alert.raised_at).desc(), col(Alert.id).desc())
    ).first()


def episode(session: Session, head: Alert) -> list[Alert]:
    """The episode's alerts, the head first."""
    rest = session.exec(select(Alert).where(Alert.episode_id == head.id).order_by(col(Alert.id))).all()
    return [head, *rest]


def open_without_facility(session: Session, family_id: int) -> list[Alert]:
    return list(session.exec(
        select(Alert).where(Alert.family_id == family_id, col(Alert.facility_id).is_(None),
                            col(Alert.handled_at).is_(None), col(Alert.closed_reason).is_(None))
        .order_by(col(Alert.id))
    ))


def open_for_family(session: Session, family_id: int) -> list[Alert]:
    return list(session.exec(
        select(Alert).where(Alert.family_id == family_id, col(Alert.handled_at).is_(None),
                            col(Alert.closed_reason).is_(None)).order_by(col(Alert.id))
    ))


def record_event(session: Session, alert_id: int, event: str, *, now: datetime, step: int = 0,
                 user_id: int | None = None, **detail: object) -> AlertEvent:
    row = AlertEvent(alert_id=alert_id, at=now, event=event[:24], step=step, user_id=user_id, detail=dict(detail))
    session.add(row)
    session.flush()
    return row


def events(session: Session, alert_id: int) -> list[AlertEvent]:
    return list(session.exec(select(AlertEvent).where(AlertEvent.alert_id == alert_id)
                             .order_by(col(AlertEvent.at), col(AlertEvent.id))))


def create(session: Session, *, family_id: int, facility_id: int | None, sign_id: str, source: str,
           raised_by: int | None, now: datetime) -> Alert:
    alert = Alert(family_id=family_id, facility_id=facility_id, sign_id=sign_id[:48], source=source[:16],
                  raised_by=raised_by, raised_at=now, last_notified_at=now)
    session.add(alert)
    session.flush()
    return alert


def mark_handled(session: Session, alert: Alert, *, user_id: int, now: datetime) -> bool:
    """Record who handled the alert. False if someone already had (their name stays)."""
    if alert.handled_at is not None:
        return False
    alert.handled_by = user_id
    alert.handled_at = now
    session.add(alert)
    cancel_repeats(session, alert.id)
    for other in session.exec(select(Alert).where(Alert.episode_id == alert.id, col(Alert.handled_at).is_(None))):
        other.handled_by = user_id
        other.handled_at = now
        session.add(other)
    return True


def close_deleted(session: Session, family_id: int, *, now: datetime) -> list[Alert]:
    """/hapus: the family's open alerts are closed as "family deleted its data"; the record stays, without
    the family's words or the midwife's reply."""
    closed = []
    for alert in session.exec(select(Alert).where(Alert.family_id == family_id)):
        alert.words = None
        alert.reply = None
        if alert.handled_at is None and alert.closed_reason is None:
            alert.closed_reason = FAMILY_DELETED
            alert.handled_at = now
            cancel_repeats(session, alert.id)
            closed.append(alert)
        session.add(alert)
    session.flush()
    return closed


def note_repeat(session: Session, alert: Alert, *, n: int, now: datetime) -> None:
    if n > alert.repeats:
        alert.repeats = n
    alert.last_notified_at = now
    session.add(alert)


def open_counts(session: Session, family_ids: Sequence[int]) -> dict[int, int]:
    """Unhandled alerts per family."""
    if not family_ids:
        return {}
    rows = session.exec(
        select(Alert.family_id, func.count())
        .where(col(Alert.family_id).in_(list(family_ids)), col(Alert.handled_at).is_(None))
        .group_by(Alert.family_id)
    )
    return {fid: int(n) for fid, n in rows}


def for_family(session: Session, family_id: int) -> list[Alert]:
    return list(session.exec(select(Alert).where(Alert.family_id == family_id).order_by(col(Alert.raised_at))))


# -- the repeat rows -----------------------------------------------------------------------------

def repeat_key(alert_id: int, n: int, user_id: int) -> str:
    return f"alert:{alert_id}:{n}:{user_id}"


def schedule_repeat(session: Session, *, alert_id: int, n: int, user_id: int, chat_id: int, due_at: datetime,
                    every_seconds: int, now: datetime) -> bool:
    """Queue repeat ``n`` of an alert for one midwife. False if it was queued before (same key)."""
    return outbox.insert(
        session, dedupe_key=repeat_key(alert_id, n, user_id), kind=REPEAT_KIND, due_at=due_at, now=now,
        family_id=None, user_id=user_id, chat_id=chat_id,
        payload={"alert_id": alert_id, "n": n, "every_seconds": every_seconds},
    )


def repeat_rows(session: Session, alert_id: int) -> list[Outbox]:
    return [r for r in outbox.rows_with_key_prefix(session, f"alert:{alert_id}:") if r.kind == REPEAT_KIND]


def schedule_family_notice(session: Session, *, alert_id: int, n: int, user_id: int, chat_id: int,
                           due_at: datetime, now: datetime) -> bool:
    return outbox.insert(
        session, dedupe_key=f"alert:{alert_id}:f{n}:{user_id}", kind=FAMILY_KIND, due_at=due_at, now=now,
        family_id=None, user_id=user_id, chat_id=chat_id, payload={"alert_id": alert_id, "n": n},
    )


def schedule_note(session: Session, *, alert_id: int, key: str, user_id: int, chat_id: int, text: str,
                  now: datetime) -> bool:
    return outbox.insert(
        session, dedupe_key=f"alert:{alert_id}:note:{key}:{user_id}", kind=NOTE_KIND, due_at=now, now=now,
        family_id=None, user_id=user_id, chat_id=chat_id, payload={"alert_id": alert_id, "text": text},
    )


def cancel_repeats(session: Session, alert_id: int) -> int:
    """Cancel the alert's pending repeats (one being sent right now finds the alert handled and stops)."""
    ids = [r.id for r in outbox.rows_with_key_prefix(session, f"alert:{alert_id}:")
           if r.kind in (REPEAT_KIND, FAMILY_KIND) and r.status == outbox.PENDING]
    if not ids:
        return 0
    return outbox.cancel_pending(session, reason="alert handled", ids=ids)
