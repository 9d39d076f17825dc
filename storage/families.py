"""Families (one birth each) and the people linked to them.

A family has two codes:
- ``code``: stable and pseudonymous, used in exports instead of names;
- ``link_code``: the secret part of the join link (``fam_<link_code>``) a mother sends her husband (or the
  other way round). It can be renewed; the old one then stops working.

A person belongs to at most one active family at a time (their newest active membership counts).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from storage.models import Family, Membership, User

MOTHER = "mother"
HUSBAND = "husband"
COMPANION = "companion"
ROLES = (MOTHER, HUSBAND, COMPANION)

ACTIVE = "active"
FINISHED = "finished"
DELETED = "deleted"

_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: easy to read aloud and to type
FAMILY_CODE_LENGTH = 6
LINK_CODE_LENGTH = 8


@dataclass(frozen=True)
class Member:
    membership: Membership
    user: User

    @property
    def role(self) -> str:
        return self.membership.role

    @property
    def name(self) -> str | None:
        return self.user.display_name or self.user.first_name


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def normalise_code(raw: str) -> str:
    """What a person typed, as a code: upper case, without spaces, dashes or other marks."""
    return "".join(ch for ch in raw.upper() if ch.isascii() and ch.isalnum())


def _new_code(session: Session, column, length: int) -> str:
    while True:
        code = _random(length)
        if session.exec(select(Family.id).where(column == code)).first() is None:
            return code


def create(session: Session, *, created_by: int, role: str, now: datetime, birth_date: date | None,
           timezone: str, protocol_id: str = "default", facility_id: int | None = None) -> Family:
    """A new family with its first member (``role``) and fresh codes."""
    if role not in ROLES:
        raise ValueError(f"unknown family role {role!r}")
    family = Family(
        code=_new_code(session, Family.code, FAMILY_CODE_LENGTH),
        link_code=_new_code(session, Family.link_code, LINK_CODE_LENGTH),
        facility_id=facility_id, birth_date=birth_date, timezone=timezone, protocol_id=protocol_id,
        status=ACTIVE, created_by=created_by, created_at=now,
    )
    session.add(family)
    session.flush()
    add_member(session, family_id=family.id, user_id=created_by, role=role, now=now)
    return family


def get(session: Session, family_id: int) -> Family | None:
    return session.get(Family, family_id)


def by_code(session: Session, raw_code: str) -> Family | None:
    """A family by its stable pseudonymous code (as the midwife sees it in /pasien)."""
    return session.exec(select(Family).where(Family.code == normalise_code(raw_code))).first()


def by_link_code(session: Session, raw_code: str) -> Family | None:
    """The active family whose current join code this is (case and spaces ignored), else None."""
    code = normalise_code(raw_code)
    if not code or len(code) > 32:
        return None
    return session.exec(
        select(Family).where(func.upper(Family.link_code) == code, Family.status == ACTIVE)
    ).first()


def renew_link_code(session: Session, family: Family) -> str:
    family.link_code = _new_code(session, Family.link_code, LINK_CODE_LENGTH)
    session.add(family)
    session.flush()
    return family.link_code


def membership_of(session: Session, user_id: int) -> Membership | None:
    """The user's active membership in an active family (the newest one), or None."""
    return session.exec(
        select(Membership)
        .join(Family, col(Family.id) == col(Membership.family_id))
        .where(Membership.user_id == user_id, col(Membership.active).is_(True), Family.status == ACTIVE)
        .order_by(col(Membership.joined_at).desc(), col(Membership.id).desc())
    ).first()


def family_of(session: Session, user_id: int) -> Family | None:
    m = membership_of(session, user_id)
    return session.get(Family, m.family_id) if m else None


def membership(session: Session, *, user_id: int, family_id: int) -> Membership | None:
    return session.exec(
        select(Membership).where(Membership.user_id == user_id, Membership.family_id == family_id)
    ).first()


def is_member(session: Session, *, user_id: int, family_id: int) -> bool:
    m = membership(session, user_id=user_id, family_id=family_id)
    return m is not None and m.active


def add_member(session: Session, *, family_id: int, user_id: int, role: str, now: datetime) -> Membership:
    """Link a user to a family (re-activating an old membership if there is one)."""
    if role not in ROLES:
        raise ValueError(f"unknown family role {role!r}")
    m = membership(session, user_id=user_id, family_id=family_id)
    if m is None:
        m = Membership(user_id=user_id, family_id=family_id, role=role, active=True, joined_at=now)
    else:
        m.role, m.active, m.joined_at = role, True, now
    session.add(m)
    session.flush()
    return m


def leave(session: Session, *, family_id: int, user_id: int) -> None:
    m = membership(session, user_id=user_id, family_id=family_id)
    if m is not None and m.active:
        m.active = False
        session.add(m)
        session.flush()


def members(session: Session, family_id: int) -> list[Member]:
    """Active members, mother first, then in the order they joined."""
    rows = session.exec(
        select(Membership, User)
        .join(User, col(User.id) == col(Membership.user_id))
        .where(Membership.family_id == family_id, col(Membership.active).is_(True))
        .order_by(col(Membership.joined_at), col(Membership.id))
    ).all()
    out = [Member(m, u) for m, u in rows]
    return sorted(out, key=lambda x: ROLES.index(x.role) if x.role in ROLES else len(ROLES))


def mother_of(session: Session, family_id: int) -> Member | None:
    for m in members(session, family_id):
        if m.role == MOTHER:
            return m
    return None


def update(session: Session, family: Family, **changes: object) -> Family:
    """Change plain fields (birth_date, timezone, facility_id, protocol_id, reminders_paused …)."""
    for key, value in changes.items():
        if not hasattr(Family, key) or key in ("id", "code", "link_code"):
            raise ValueError(f"cannot change family field {key!r}")
        setattr(family, key, value)
    session.add(family)
    session.flush()
    return family


def active_families(session: Session) -> Sequence[Family]:
    return session.exec(select(Family).where(Family.status == ACTIVE).order_by(col(Family.id))).all()


# -- deleting personal data ----------------------------------------------------------------------------

def forget_person(session: Session, user: User, *, now: datetime) -> None:
    """Remove what identifies this person: names, Telegram ids, their conversation and message copies.

    The ``users`` row stays as an anonymous placeholder, so anonymous research rows keep a valid shape.
    """
    from sqlalchemy import update as sql_update

    from storage.models import (
        Alert,
        ChannelIdentity,
        ChannelMessageStatus,
        ChatState,
        MassageSession,
        Membership,
        Outbox,
        Staff,
    )

    if user.telegram_id is not None:
        state = session.get(ChatState, user.telegram_id)
        if state is not None:
            session.delete(state)
        # on WhatsApp: the words held for the person, the name, the choices shown and what became of each message;
        # the address (the phone number) goes once the confirmation is sent (storage.identities.forget)
        session.exec(sql_update(ChannelIdentity).where(col(ChannelIdentity.person_id) == user.telegram_id)
                     .values(profile_name="", pending_text="", held=[], choices={}, opt_in_version=None,
                             opted_in_at=None))
        session.exec(delete(ChannelMessageStatus).where(col(ChannelMessageStatus.person_id) == user.telegram_id))
    session.exec(sql_update(Outbox).where(col(Outbox.user_id) == user.id, col(Outbox.status) == "pending")
                 .values(status="cancelled", last_error="personal data deleted"))
    session.exec(sql_update(Outbox).where(col(Outbox.user_id) == user.id).values(chat_id=None, payload={}))
    session.exec(sql_update(Membership).where(col(Membership.user_id) == user.id).values(active=False))
    session.exec(sql_update(Staff).where(col(Staff.user_id) == user.id).values(active=False, name=None))
    session.exec(sql_update(Alert).where(col(Alert.raised_by) == user.id).values(raised_by=None))
    session.exec(sql_update(MassageSession).where(col(MassageSession.user_id) == user.id).values(user_id=None))
    user.telegram_id = None
    user.chat_id = None
    user.first_name = None
    user.display_name = None
    user.language_code = None
    user.phone = None
    user.consent_at = None
    user.reachable = False
    user.unreachable_reason = None
    user.deleted_at = now
    session.add(user)
    session.flush()


def close_deleted(session: Session, family: Family, *, now: datetime) -> None:
    """The family is gone for the bot: no more reminders, no link code that works, no birth date kept."""
    from sqlalchemy import update as sql_update

    from storage.models import MassageSession

    family.status = DELETED
    family.deleted_at = now
    family.birth_date = None
    family.birth_time = None
    family.link_code = _new_code(session, Family.link_code, LINK_CODE_LENGTH)  # the old link stops working
    session.add(family)
    session.exec(sql_update(Membership).where(col(Membership.family_id) == family.id).values(active=False))
    session.exec(sql_update(MassageSession).where(col(MassageSession.family_id) == family.id).values(user_id=None))
    session.flush()
