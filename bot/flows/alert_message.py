"""The alert as the midwives read it: its message and buttons, the sign's words, the family's name, the local
time, who handled it, and the ways to reach the family (bot/flows/alerts.py raises and escalates alerts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.flows.family_contacts import contacts, wa_link
from bot.flows.study_data import postpartum_day
from content import Content
from storage import alerts as alert_store
from storage import families as family_store
from storage import identities
from storage import staff as staff_store
from storage.alerts import COORDINATOR_STEP, FAMILY_STEP
from storage.models import Alert, Facility, Family, Membership, User

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


def _sign(content: Content, sign_id: str):
    try:
        return content.danger_sign(sign_id)
    except KeyError:
        return None


def sign_text(content: Content, sign_id: str) -> str:
    sign = _sign(content, sign_id)
    return sign.text if sign is not None else sign_id


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


def user_by_telegram(session: Session, telegram_id: int | None) -> User | None:
    if telegram_id is None:
        return None
    return session.exec(select(User).where(User.telegram_id == telegram_id)).first()


def _reporter(session: Session, content: Content, alert: Alert) -> tuple[str, User | None]:
    user = session.get(User, alert.raised_by) if alert.raised_by else None
    if user is None:
        return "-", None
    m = family_store.membership(session, user_id=user.id, family_id=alert.family_id)
    role = m.role if m is not None else "companion"
    key = f"danger.role_{role}" if content.has_text(f"danger.role_{role}") else "danger.role_companion"
    return content.text("danger.mw_reporter", nama=user.display_name or user.first_name or "-",
                        peran=content.text(key)), user


def alert_buttons(content: Content, alert: Alert, *, handled: bool = False,
                  reporter: User | None = None) -> list[list[tuple[str, str]]]:
    row = [(content.text("midwife.button_open_family"), f"mw:open:{alert.family_id}")]
    if not handled:
        row.append((content.text("midwife.button_handled"), f"mw:done:{alert.id}"))
    rows = [row]
    extra = []
    # a tg://user link reaches Telegram people only (a WhatsApp person's id is the bridge's, storage/identities.py)
    if reporter is not None and reporter.telegram_id is not None and not identities.is_whatsapp_id(reporter.telegram_id):
        extra.append((content.text("danger.button_chat"), f"url:tg://user?id={reporter.telegram_id}"))
    if handled:
        extra.append((content.text("danger.button_reply"), f"dg:reply:{alert.id}"))
    if extra:
        rows.append(extra)
    return rows


def alert_message(session: Session, content: Content, alert: Alert, *, now: datetime,
                  repeat: int = 0, before_link: bool = False, handled: bool = False) -> AlertMessage:
    head = alert_store.get(session, alert.episode_id) if alert.episode_id else alert
    head = head or alert
    family = session.get(Family, head.family_id)
    assert family is not None
    facility = session.get(Facility, head.facility_id) if head.facility_id else None
    tz = facility.timezone if facility else family.timezone
    day = postpartum_day(family.birth_date, now, family.timezone, family.birth_time)
    lines = []
    words = []
    for a in alert_store.episode(session, head):
        sign = _sign(content, a.sign_id)
        who = content.text("danger.mw_who_mother" if sign is not None and sign.who == "mother" else "danger.mw_who_baby")
        lines.append(content.text("danger.mw_sign_line", siapa=who, tanda=sign_text(content, a.sign_id)))
        if a.words and a.words not in words:
            words.append(a.words)
    reporter, reporter_user = _reporter(session, content, head)
    params = dict(
        kode=family.code, nama=family_name(session, family.id), tanda="\n".join(lines),
        kata=" / ".join(words) if words else content.text("danger.mw_no_words"), pelapor=reporter,
        waktu=local_time(head.raised_at, tz),
        hari=content.text("danger.mw_day_unknown") if day is None else content.text("danger.mw_day", hari=str(day)),
        asal=content.text(f"midwife.alert_source_{head.source}")
        if content.has_text(f"midwife.alert_source_{head.source}") else head.source,
    )
    if repeat:
        text = content.text("danger.mw_repeat", ke=str(repeat), **params)
    else:
        text = content.text("danger.mw_alert", **params)
    notes = []
    if before_link:
        notes.append(content.text("danger.mw_before_link"))
    if repeat >= COORDINATOR_STEP:
        notes.append(content.text("danger.mw_to_coordinator"))
    if repeat >= FAMILY_STEP:
        notes.append(content.text("danger.mw_family_told"))
    if not handled:
        notes.append(content.text("danger.mw_ask"))
    if notes:
        text += "\n\n" + "\n".join(notes)
    return AlertMessage(text + phone_lines(session, content, head.family_id),  # the shared numbers (issue 16)
                        alert_buttons(content, head, handled=handled, reporter=reporter_user)
                        + contact_buttons(content, head.family_id, session=session))


def handled_note(session: Session, content: Content, alert: Alert) -> str:
    """ "Ditangani oleh Bidan Siti, 20/11 08:30 WIB" """
    who = "-"
    if alert.handled_by is not None:
        who = staff_store.name_in_facility(session, alert.handled_by, alert.facility_id) or "-"
    facility = session.get(Facility, alert.facility_id) if alert.facility_id else None
    when = local_time(alert.handled_at, facility.timezone if facility else "Asia/Jakarta") if alert.handled_at else "-"
    return content.text("midwife.alert_handled_by", nama=who, waktu=when)


# -- reaching the family (bot/flows/family_contacts.py) -------------------------------------

def contact_buttons(content: Content, family_id: int, *, session: Session) -> list[list[tuple[str, str]]]:
    """WhatsApp links of the members who shared a number, and the chat relay through the bot."""
    links = [(content.text("desk.button_whatsapp", nama=c.name), "url:" + wa_link(c.phone))
             for c in contacts(session, family_id) if c.phone]
    rows = [links[i:i + 2] for i in range(0, len(links), 2)]
    rows.append([(content.text("desk.button_message_family"), f"mw:msg:{family_id}")])
    return rows


def phone_lines(session: Session, content: Content, family_id: int) -> str:
    """The members' shared numbers under an alert (Telegram makes them tap-to-call)."""
    lines = [content.text("desk.detail_phone", nomor=f"{c.name}: {c.phone}").strip()
             for c in contacts(session, family_id) if c.phone]
    return "\n\n" + "\n".join(lines) if lines else ""
