"""Midwives and coordinators of a facility, and the one-time invitations that make someone one.

An invitation is a random code valid until ``expires_at``; it is used once. Opening it
(``/start bid_<code>``) makes that Telegram user staff of the invitation's facility. A revoked invitation,
a used one or an expired one does nothing. Staff are never deleted: revoking sets ``active`` False, so the
alerts they handled keep their name.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage.models import Facility, Invite, Staff, User

MIDWIFE = "midwife"
COORDINATOR = "coordinator"
ROLES = (MIDWIFE, COORDINATOR)
INVITE_VALID_FOR = timedelta(days=3)
_INVITE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
INVITE_CODE_LENGTH = 12


# -- invitations ---------------------------------------------------------------------------------

def _new_invite_code(session: Session) -> str:
    while True:
        # Always start with a letter, so a code is never mistaken for a staff number.
        code = secrets.choice("abcdefghijkmnpqrstuvwxyz") + "".join(
            secrets.choice(_INVITE_ALPHABET) for _ in range(INVITE_CODE_LENGTH - 1)
        )
        if get_invite(session, code) is None:
            return code


def create_invite(session: Session, *, facility_id: int, now: datetime, role: str = MIDWIFE,
                  name: str | None = None, created_by: int | None = None,
                  valid_for: timedelta = INVITE_VALID_FOR) -> Invite:
    if role not in ROLES:
        raise ValueError(f"unknown staff role {role!r}")
    if valid_for <= timedelta(0):
        raise ValueError("an invitation must be valid for some time")
    invite = Invite(
        code=_new_invite_code(session), facility_id=facility_id, role=role,
        name=(name or "").strip()[:128] or None, created_by=created_by, created_at=now,
        expires_at=now + valid_for,
    )
    session.add(invite)
    session.flush()
    return invite


def get_invite(session: Session, code: str) -> Invite | None:
    return session.exec(select(Invite).where(Invite.code == code.strip().lower())).first()


def invite_usable(invite: Invite | None, now: datetime) -> bool:
    return invite is not None and not invite.revoked and invite.used_at is None and invite.expires_at > now


@dataclass(frozen=True)
class Redeemed:
    staff: Staff
    facility: Facility
    already: bool  # the person was already active staff of that facility


def redeem_invite(session: Session, code: str, *, user: User, now: datetime) -> Redeemed | None:
    """Use the invitation for ``user``: they become (or stay) staff of its facility. None if unusable."""
    invite = get_invite(session, code)
    if not invite_usable(invite, now):
        return None
    assert invite is not None
    facility = session.get(Facility, invite.facility_id)
    if facility is None:
        return None
    staff = session.exec(
        select(Staff).where(Staff.user_id == user.id, Staff.facility_id == facility.id)
    ).first()
    already = staff is not None and staff.active
    if staff is None:
        staff = Staff(user_id=user.id, facility_id=facility.id, role=invite.role, name=invite.name,
                      invited_by=invite.created_by, created_at=now)
    else:
        staff.active = True
        if invite.role == COORDINATOR:
            staff.role = COORDINATOR
        if invite.name:
            staff.name = invite.name
    invite.used_at = now
    invite.used_by = user.id
    session.add(staff)
    session.add(invite)
    session.flush()
    return Redeemed(staff=staff, facility=facility, already=already)


def revoke_invite(session: Session, code: str) -> Invite | None:
    invite = get_invite(session, code)
    if invite is None:
        return None
    invite.revoked = True
    session.add(invite)
    return invite


def open_invites(session: Session, now: datetime, facility_id: int | None = None) -> list[Invite]:
    stmt = select(Invite).where(
        col(Invite.revoked).is_(False), col(Invite.used_at).is_(None), Invite.expires_at > now
    )
    if facility_id is not None:
        stmt = stmt.where(Invite.facility_id == facility_id)
    return list(session.exec(stmt.order_by(Invite.created_at)))


# -- staff ---------------------------------------------------------------------------------------

def get(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id)


def active_for_telegram_id(session: Session, telegram_id: int) -> Staff | None:
    """The person's active staff role (the most recent one if they serve several facilities)."""
    return session.exec(
        select(Staff)
        .join(User, col(User.id) == Staff.user_id)
        .where(User.telegram_id == telegram_id, col(Staff.active).is_(True), col(User.deleted_at).is_(None))
        .order_by(col(Staff.created_at).desc(), col(Staff.id).desc())
    ).first()


def active_in_facility(session: Session, telegram_id: int, facility_id: int) -> Staff | None:
    """The person's active staff role in this facility, or None."""
    return session.exec(
        select(Staff)
        .join(User, col(User.id) == Staff.user_id)
        .where(User.telegram_id == telegram_id, Staff.facility_id == facility_id, col(Staff.active).is_(True),
               col(User.deleted_at).is_(None))
    ).first()


def is_active_staff(session: Session, user_id: int) -> bool:
    return session.exec(
        select(Staff.id).where(Staff.user_id == user_id, col(Staff.active).is_(True))
    ).first() is not None


def recipients(session: Session, facility_id: int) -> list[tuple[Staff, User]]:
    """Active staff of a facility who can receive a message (they have a chat with the bot)."""
    rows = session.exec(
        select(Staff, User)
        .join(User, col(User.id) == Staff.user_id)
        .where(
            Staff.facility_id == facility_id, col(Staff.active).is_(True), col(User.chat_id).is_not(None),
            col(User.deleted_at).is_(None),
        )
        .order_by(Staff.id)
    )
    return list(rows)


@dataclass(frozen=True)
class StaffRow:
    staff: Staff
    user: User
    facility: Facility


def list_staff(session: Session, facility_ids: Sequence[int] | None = None,
               include_inactive: bool = True) -> list[StaffRow]:
    stmt = (
        select(Staff, User, Facility)
        .join(User, col(User.id) == Staff.user_id)
        .join(Facility, col(Facility.id) == Staff.facility_id)
    )
    if facility_ids is not None:
        stmt = stmt.where(col(Staff.facility_id).in_(list(facility_ids)))
    if not include_inactive:
        stmt = stmt.where(col(Staff.active).is_(True))
    return [StaffRow(s, u, f) for s, u, f in session.exec(stmt.order_by(Facility.name, Staff.id))]


def deactivate(session: Session, staff_id: int) -> Staff | None:
    staff = session.get(Staff, staff_id)
    if staff is None:
        return None
    staff.active = False
    session.add(staff)
    return staff


def display_name(staff: Staff, user: User | None) -> str:
    """How a staff member is named to colleagues: the invitation's name, else the Telegram name."""
    if staff.name:
        return staff.name
    if user is not None:
        return user.display_name or user.first_name or f"#{staff.id}"
    return f"#{staff.id}"


def name_in_facility(session: Session, user_id: int, facility_id: int | None) -> str | None:
    """How this person is named as staff of the facility (or by their Telegram name)."""
    user = session.get(User, user_id)
    staff = None
    if facility_id is not None:
        staff = session.exec(
            select(Staff).where(Staff.user_id == user_id, Staff.facility_id == facility_id)
        ).first()
    if staff is not None:
        return display_name(staff, user)
    if user is not None:
        return user.display_name or user.first_name
    return None
