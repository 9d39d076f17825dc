"""Reaching a family's members: their shared numbers and WhatsApp links, and where a staff message about the
family was sent (to edit it later). Below both the desk (bot/flows/desk.py) and the alerts (bot/flows/alerts.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlmodel import Session, col, select

from storage import questions as question_store
from storage.models import Membership, User

log = logging.getLogger(__name__)


# -- phone numbers ---------------------------------------------------------------------------------

def normalize_phone(raw: str | None) -> str | None:
    """"+6281234567890" from what Telegram's contact carries ("6281…", "+62 812-…", "0812…"); None if unusable."""
    digits = re.sub(r"\D", "", raw or "")
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    if not 8 <= len(digits) <= 15:
        return None
    return "+" + digits


def wa_link(phone: str) -> str:
    return "https://wa.me/" + re.sub(r"\D", "", phone)


@dataclass(frozen=True)
class Contact:
    user_id: int
    name: str
    role: str
    phone: str | None
    reachable: bool


def contacts(session: Session, family_id: int) -> list[Contact]:
    """The family's active members with their phone numbers (shown only to the facility's midwives)."""
    rows = session.exec(
        select(Membership, User).join(User, col(User.id) == Membership.user_id)
        .where(Membership.family_id == family_id, col(Membership.active).is_(True), col(User.deleted_at).is_(None))
        .order_by(Membership.id)
    )
    return [Contact(u.id, u.display_name or u.first_name or "-", m.role, u.phone, u.reachable) for m, u in rows]


# -- messages worth updating later -------------------------------------------------------------------

def remember_on_send(turn, out, kind: str, ref_id: int) -> None:
    """When the queued message ``out`` is sent, store where it is (to edit it when the alert or question is
    handled, from the chat or the dashboard)."""
    rt, now = turn.rt, turn.now

    def store(message) -> None:
        try:
            with rt.db.session() as session:
                question_store.remember_message(session, kind=kind, ref_id=ref_id, chat_id=message.chat_id,
                                                message_id=message.message_id, now=now)
        except Exception:  # noqa: BLE001 - losing the note only means the message is not edited later
            log.exception("could not remember %s message %s", kind, ref_id)

    out.on_sent = store
