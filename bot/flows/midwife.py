"""Who may see what on the midwife side: every check runs on the server, for every command and button.

- :func:`require_staff` — the active staff role of a Telegram user, or None (a family member, a
  stranger, a revoked midwife). Every midwife command and callback starts with it.
- :func:`staff_for_family` / :func:`staff_for_alert` — a family or alert named in a button, with her
  staff role in *its* facility, or None if she does not serve that facility. A forged callback naming
  another facility's family gets None, exactly like a family that does not exist, so nothing leaks.
  (A midwife may serve several facilities; /pasien, /export and /analisis use her newest role.)
- Invitations: :func:`invite`, :func:`accept_invite`, :func:`invite_link`, :func:`registration_link`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.channels.whatsapp import links as wa_links
from bot.chat.deeplinks import link
from storage import audit, facilities, meta
from storage import staff as staff_store
from storage.models import Alert, Facility, Family, Invite, Staff, User

INVITE_PREFIX = "bid_"
REGISTRATION_PREFIX = "fas_"


def require_staff(session: Session, telegram_id: int | None) -> Staff | None:
    """The active staff role of this Telegram user (the newest if several), or None."""
    if telegram_id is None:
        return None
    return staff_store.active_for_telegram_id(session, telegram_id)


def is_coordinator(staff: Staff | None) -> bool:
    return staff is not None and staff.active and staff.role == staff_store.COORDINATOR


def family_of_facility(session: Session, staff: Staff, family_id: int) -> Family | None:
    """The family if it belongs to this staff member's facility and is not deleted; else None."""
    family = session.get(Family, family_id)
    if family is None or family.facility_id != staff.facility_id:
        return None
    if family.deleted_at is not None or family.status == "deleted":
        return None
    return family


def staff_for_family(session: Session, telegram_id: int | None, family_id: int) -> tuple[Staff, Family] | None:
    """(her staff role, the family) if the family belongs to a facility she serves; else None."""
    family = session.get(Family, family_id)
    if telegram_id is None or family is None or family.facility_id is None:
        return None
    staff = staff_store.active_in_facility(session, telegram_id, family.facility_id)
    if staff is None or family_of_facility(session, staff, family_id) is None:
        return None
    return staff, family


def staff_for_alert(session: Session, telegram_id: int | None, alert_id: int) -> tuple[Staff, Alert] | None:
    """(her staff role, the alert) if the alert was raised in a facility she serves; else None."""
    alert = session.get(Alert, alert_id)
    if telegram_id is None or alert is None or alert.facility_id is None:
        return None
    staff = staff_store.active_in_facility(session, telegram_id, alert.facility_id)
    return (staff, alert) if staff is not None else None


# -- links -----------------------------------------------------------------------------------------

def bot_username(session: Session, configured: str | None) -> str | None:
    """BOT_USERNAME, else the username the bot stored at its last start (works without network)."""
    if configured:
        return configured
    return meta.get(session, meta.BOT_USERNAME) or None


def invite_link(username: str, invite: Invite) -> str:
    return link(username, f"{INVITE_PREFIX}{invite.code}")


def registration_link(username: str, facility: Facility) -> str:
    return link(username, registration_payload(facility))


def registration_payload(facility: Facility) -> str:
    """What a family's first message carries to register with ``facility`` (t.me /start or a wa.me text)."""
    return f"{REGISTRATION_PREFIX}{facility.registration_code}"


def whatsapp_registration_link(number: str, facility: Facility, content) -> str:
    """The wa.me link whose prefilled text registers a family with ``facility`` when it is sent."""
    payload = registration_payload(facility)
    wording = content.text("midwife.wa_prefill_register", kode=wa_links.start_text(payload))
    return wa_links.start_link(number, payload, wording)


# -- invitations -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Invitation:
    invite: Invite
    facility: Facility
    facility_created: bool


def invite(session: Session, *, facility_name: str, now: datetime, name: str | None = None,
           coordinator: bool = False, created_by: int | None = None, actor: str = "cli",
           valid_for: timedelta = staff_store.INVITE_VALID_FOR, timezone: str = "Asia/Jakarta") -> Invitation:
    """A one-time invitation to ``facility_name`` (a facility's code or name; created if neither exists yet),
    logged in the audit."""
    existing = facilities.find(session, facility_name.strip())
    if existing is not None:
        facility, created = existing, False
    else:
        facility, created = facilities.get_or_create(session, name=facility_name, now=now, timezone=timezone)
    return invite_to(session, facility, now=now, name=name, coordinator=coordinator, created_by=created_by,
                     actor=actor, valid_for=valid_for, facility_created=created)


def invite_to(session: Session, facility: Facility, *, now: datetime, name: str | None = None,
              coordinator: bool = False, created_by: int | None = None, actor: str = "telegram",
              valid_for: timedelta = staff_store.INVITE_VALID_FOR, facility_created: bool = False) -> Invitation:
    role = staff_store.COORDINATOR if coordinator else staff_store.MIDWIFE
    inv = staff_store.create_invite(session, facility_id=facility.id, now=now, role=role, name=name,
                                    created_by=created_by, valid_for=valid_for)
    audit.record(session, action="invite", now=now, actor=actor, actor_user_id=created_by,
                 facility_id=facility.id, detail={"role": role, "expires_at": inv.expires_at.isoformat()})
    return Invitation(inv, facility, facility_created)


def accept_invite(session: Session, code: str, *, user: User, now: datetime) -> staff_store.Redeemed | None:
    redeemed = staff_store.redeem_invite(session, code, user=user, now=now)
    if redeemed is not None:
        audit.record(session, action="invite_used", now=now, actor="telegram", actor_user_id=user.id,
                     facility_id=redeemed.facility.id, detail={"role": redeemed.staff.role})
    return redeemed
