"""Linking people to a family: the join code and link, who joins as what, and renewing the code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.channels.whatsapp import links as wa_links
from bot.chat import deeplinks
from storage import families as store
from storage.models import Family, User

PREFIX = "fam_"
MAX_WRONG_CODES = 5

JOINED = "joined"
ALREADY = "already"
OTHER_FAMILY = "other_family"


def invite_link(username: str, family: Family) -> str:
    return deeplinks.link(username, PREFIX + family.link_code)


def whatsapp_invite_link(number: str, family: Family, content) -> str:
    """The wa.me link whose prefilled text joins ``family`` when the husband (or the mother) sends it."""
    payload = PREFIX + family.link_code
    return wa_links.start_link(number, payload, content.text("family.wa_prefill_join", kode=wa_links.start_text(payload)))


def role_for_joiner(session: Session, family: Family, wanted: str | None = None) -> str | None:
    """The role a newcomer gets; None means "ask them" (the family has no mother yet).

    ``wanted`` is what they said they are (``mother`` or ``husband``). A family has one mother and one
    husband; anyone after that is a companion.
    """
    roles = {m.role for m in store.members(session, family.id)}
    if wanted == store.MOTHER:
        return store.MOTHER if store.MOTHER not in roles else store.COMPANION
    if wanted in (store.HUSBAND, store.COMPANION):
        return store.HUSBAND if store.HUSBAND not in roles else store.COMPANION
    if store.MOTHER not in roles:
        return None
    return store.HUSBAND if store.HUSBAND not in roles else store.COMPANION


@dataclass(frozen=True)
class JoinResult:
    status: str  # JOINED | ALREADY | OTHER_FAMILY
    family: Family


def join(session: Session, *, user: User, family: Family, role: str, now: datetime) -> JoinResult:
    current = store.family_of(session, user.id)
    if current is not None and current.id == family.id:
        return JoinResult(ALREADY, family)
    if current is not None:
        return JoinResult(OTHER_FAMILY, family)
    store.add_member(session, family_id=family.id, user_id=user.id, role=role, now=now)
    return JoinResult(JOINED, family)


def renew(session: Session, family: Family) -> str:
    return store.renew_link_code(session, family)
