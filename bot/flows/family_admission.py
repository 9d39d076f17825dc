"""Who may join a family, who decides, and who may change it.

A family link can leak (forwarded, posted in a group). So:

- a family has one mother, at most one husband and at most ``MAX_COMPANIONS`` companions;
- opening the link admits nobody: the newcomer's request waits (in their conversation state) until the
  family's *approver* presses "Setujui" — the mother, or, while she has not registered, the husband;
- only the mother and the husband (:data:`MANAGERS`) change the birth date, the time zone, the facility, or
  renew the code; companions see first names only, and neither the birth date nor the code or the link;
- a waiting newcomer sees nothing of the family (no name, no date, no link) until approved.
"""

from __future__ import annotations

from sqlmodel import Session

from storage import families as store
from storage.models import Family, User

MAX_COMPANIONS = 2
MANAGERS = (store.MOTHER, store.HUSBAND)

FULL = "full"


def role_of(session: Session, *, user_id: int, family_id: int) -> str | None:
    m = store.membership(session, user_id=user_id, family_id=family_id)
    return m.role if m is not None and m.active else None


def may_manage(session: Session, *, user_id: int, family_id: int) -> bool:
    """The mother and the husband may change the family's data and renew its code; companions may not."""
    return role_of(session, user_id=user_id, family_id=family_id) in MANAGERS


def approver(session: Session, family: Family) -> store.Member | None:
    """Who admits newcomers: the mother, else the husband (she has not registered yet)."""
    members = store.members(session, family.id)
    for role in (store.MOTHER, store.HUSBAND):
        for m in members:
            if m.role == role and m.user.deleted_at is None:
                return m
    return None


def admissible_role(session: Session, family: Family, role: str | None) -> str | None:
    """``role`` if the family still has room for it, a companion's place if not, else None (full).

    ``role`` is what :func:`bot.flows.family_link.role_for_joiner` chose (None: not decided yet, any place).
    """
    roles = [m.role for m in store.members(session, family.id)]
    companions_free = roles.count(store.COMPANION) < MAX_COMPANIONS
    if role == store.MOTHER and store.MOTHER not in roles:
        return store.MOTHER
    if role == store.HUSBAND and store.HUSBAND not in roles:
        return store.HUSBAND
    if role is None and (store.MOTHER not in roles or store.HUSBAND not in roles):
        return None
    return store.COMPANION if companions_free else FULL


def is_full(session: Session, family: Family) -> bool:
    roles = [m.role for m in store.members(session, family.id)]
    return (store.MOTHER in roles and store.HUSBAND in roles
            and roles.count(store.COMPANION) >= MAX_COMPANIONS)


def first_name(name: str | None) -> str | None:
    """The first word of a name ("Siti Aminah" → "Siti"): what a companion sees of the others."""
    if not name:
        return None
    parts = name.split()
    return parts[0] if parts else None


def request_matches(data: dict, family: Family) -> bool:
    """A waiting request (the newcomer's conversation data) is for this family and its current code."""
    try:
        family_id = int(data.get("family_id", 0))
    except (TypeError, ValueError):
        return False
    return family_id == family.id and data.get("link") == family.link_code and family.status == store.ACTIVE


def display(user: User) -> str:
    return user.display_name or user.first_name or "—"
