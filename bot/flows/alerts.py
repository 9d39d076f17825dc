"""Danger signs reported by a family: stored, answered with urgent advice, sent to the facility's midwives.

CONTRACT (called by the checklist and the free-text handler; filled in by the midwife work):
- ``raise_danger(turn, *, family_id, sign_ids, source) -> None`` — store one Alert per sign and queue, on the
  same turn, an alert to every active midwife of the family's facility (within the same update handling).
  The family's own urgent advice is given by the caller.

What happens:
- A sign already open (reported, not yet handled) for the family is not stored twice.
- Each midwife of the facility gets one message per new sign, with the buttons "Buka keluarga" and
  "Sudah ditangani". Unhandled alerts are repeated every ``settings.alert_repeat`` (Outbox rows of kind
  ``alert_repeat``, rendered by :func:`render_repeat`), at most :data:`MAX_REPEATS` times.
- A family without a facility (or whose facility has no midwife on the bot yet) is told to go to the
  nearest health facility; the Alert is stored all the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.chat.keyboards import inline
from bot.flows.outbox_kinds import Rendered, renderer
from bot.flows.study_data import postpartum_day
from content import Content
from storage import alerts as alert_store
from storage import staff as staff_store
from storage import users
from storage.models import Alert, Facility, Family, Membership, User

if TYPE_CHECKING:
    from bot.core.turn import Turn

MAX_REPEATS = 8
REPEAT_KIND = alert_store.REPEAT_KIND


def raise_danger(turn: Turn, *, family_id: int | None, sign_ids: list[str], source: str) -> None:
    session = turn.session
    assert session is not None
    family = session.get(Family, family_id) if family_id is not None else None
    raiser = users.get_by_telegram_id(session, turn.user_id) if turn.user_id is not None else None
    if family is None:
        turn.send(turn.chat_id, turn.t("midwife.alert_no_facility"))
        return
    new_alerts = []
    for sign_id in dict.fromkeys(sign_ids):  # each sign once, in the given order
        if alert_store.open_for_sign(session, family.id, sign_id) is not None:
            continue
        new_alerts.append(alert_store.create(
            session, family_id=family.id, facility_id=family.facility_id, sign_id=sign_id, source=source,
            raised_by=raiser.id if raiser else None, now=turn.now,
        ))
    recipients = staff_store.recipients(session, family.facility_id) if family.facility_id is not None else []
    if not recipients:
        if new_alerts or family.facility_id is None:
            turn.send(turn.chat_id, turn.t("midwife.alert_no_facility"))
        return
    every = turn.settings.alert_repeat
    for alert in new_alerts:
        message = alert_message(session, turn.content, alert, now=turn.now)
        for _staff, user in recipients:
            turn.send(user.chat_id, message.text, inline(message.buttons))
            alert_store.schedule_repeat(
                session, alert_id=alert.id, n=1, user_id=user.id, chat_id=user.chat_id,
                due_at=turn.now + every, every_seconds=int(every.total_seconds()), now=turn.now,
            )


# -- the message -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class AlertMessage:
    text: str
    buttons: list[list[tuple[str, str]]]


def local_time(instant: datetime, timezone: str) -> str:
    """"20/11 08:15 WIB" in the given zone."""
    try:
        tz = ZoneInfo(timezone)
    except Exception:  # noqa: BLE001
        tz = ZoneInfo("Asia/Jakarta")
    local = instant.astimezone(tz)
    return f"{local:%d/%m %H:%M} {local.tzname()}"


def sign_text(content: Content, sign_id: str) -> str:
    try:
        return content.danger_sign(sign_id).text
    except KeyError:
        return sign_id


def family_name(session: Session, family_id: int) -> str:
    """The mother's name (else the first member's) as the midwife knows her."""
    rows = session.exec(
        select(Membership.role, User.display_name, User.first_name)
        .join(User, User.id == Membership.user_id)
        .where(Membership.family_id == family_id)
        .order_by(Membership.id)
    ).all()
    for role, display, first in rows:
        if role == "mother":
            return display or first or "-"
    if rows:
        return rows[0][1] or rows[0][2] or "-"
    return "-"


def alert_buttons(content: Content, alert: Alert, *, handled: bool = False) -> list[list[tuple[str, str]]]:
    row = [(content.text("midwife.button_open_family"), f"mw:open:{alert.family_id}")]
    if not handled:
        row.append((content.text("midwife.button_handled"), f"mw:done:{alert.id}"))
    return [row]


def alert_message(session: Session, content: Content, alert: Alert, *, now: datetime,
                  repeat: int = 0) -> AlertMessage:
    family = session.get(Family, alert.family_id)
    assert family is not None
    facility = session.get(Facility, alert.facility_id) if alert.facility_id else None
    tz = facility.timezone if facility else family.timezone
    day = postpartum_day(family.birth_date, now, family.timezone)
    params = dict(
        kode=family.code, nama=family_name(session, family.id), tanda=sign_text(content, alert.sign_id),
        waktu=local_time(alert.raised_at, tz),
        hari=content.text("midwife.day_unknown") if day is None else str(day),
        asal=content.text(f"midwife.alert_source_{alert.source}")
        if content.has_text(f"midwife.alert_source_{alert.source}") else alert.source,
    )
    if repeat:
        text = content.text("midwife.alert_repeat", ke=str(repeat), **params)
    else:
        text = content.text("midwife.alert_new", **params)
    return AlertMessage(text, alert_buttons(content, alert))


def handled_note(session: Session, content: Content, alert: Alert) -> str:
    """ "Ditangani oleh Bidan Siti, 20/11 08:30 WIB" """
    who = "-"
    if alert.handled_by is not None:
        who = staff_store.name_in_facility(session, alert.handled_by, alert.facility_id) or "-"
    facility = session.get(Facility, alert.facility_id) if alert.facility_id else None
    when = local_time(alert.handled_at, facility.timezone if facility else "Asia/Jakarta") if alert.handled_at else "-"
    return content.text("midwife.alert_handled_by", nama=who, waktu=when)


# -- repeats ---------------------------------------------------------------------------------------

@renderer(REPEAT_KIND)
def render_repeat(session: Session, row, content: Content, now: datetime) -> Rendered | None:
    """The reminder of an alert nobody has handled yet; schedules the next one. None once handled."""
    payload = row.payload or {}
    alert = alert_store.get(session, int(payload.get("alert_id", 0)))
    if alert is None or alert.handled_at is not None:
        return None
    if row.user_id is None or not _still_staff(session, row.user_id, alert.facility_id):
        return None
    n = int(payload.get("n", 1))
    every = int(payload.get("every_seconds", 1800))
    alert_store.note_repeat(session, alert, n=n, now=now)
    if n < MAX_REPEATS:
        alert_store.schedule_repeat(
            session, alert_id=alert.id, n=n + 1, user_id=row.user_id, chat_id=row.chat_id,
            due_at=now + timedelta(seconds=every), every_seconds=every, now=now,
        )
    message = alert_message(session, content, alert, now=now, repeat=n)
    return Rendered(message.text, message.buttons)


def _still_staff(session: Session, user_id: int, facility_id: int | None) -> bool:
    if facility_id is None:
        return False
    return any(u.id == user_id for _, u in staff_store.recipients(session, facility_id))
