"""/hapus: delete a person's personal data, keeping research answers only as pseudonymous rows with consent;
and the version of the consent text a person answered (:func:`consent_version`).

- Names, Telegram ids, the conversation state and message copies of the person are removed
  (``storage.families.forget_person``); their reminders are cancelled.
- When the mother (or the last linked person) deletes, the family is closed: no more reminders, the join
  code stops working, the birth date is dropped. Its checklist answers stay as anonymous research rows only
  if she allowed research use; otherwise the answers and the massage records are deleted too.
- When a husband or companion deletes, only he leaves; the mother's family data stays.
- Every message the bot showed the staff about what is deleted (the family's alerts and questions when the
  family closes; the alerts he raised and the questions he asked when one member leaves) is listed in
  ``Deletion.staff_messages`` (storage/staff_messages.py), for the handler to edit into "(data keluarga ini
  sudah dihapus)".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlmodel import Session

from bot.core.config import Settings
from bot.flows.schedule import cancel_family, reschedule_family
from storage import audit, measurements, sessions, staff_messages, vitals
from storage import families as family_store
from storage import questions as question_store
from storage.models import User

# The texts a person reads before agreeing: their version is stored with the answer (User.consent_version).
CONSENT_TEXTS = ("onboarding.privacy", "family.research_info", "family.research_ethics", "family.research_question")


def consent_version(content) -> str:
    """The version of the consent texts: "c" and 10 hex digits of their hash, so any change of a word gives a new
    version and an earlier consent stays linked to the words it answered."""
    joined = "\x1f".join(content.texts[k] for k in CONSENT_TEXTS)
    return "c" + hashlib.sha256(joined.encode("utf-8")).hexdigest()[:10]


KEEP_RESEARCH = "research"
DELETE_ALL = "all"
LEAVE_ONLY = "leave"


@dataclass(frozen=True)
class Deletion:
    family_id: int | None = None
    family_closed: bool = False
    research_kept: bool = False
    others: list[int] = field(default_factory=list)  # chat ids of the family members still linked before
    staff_messages: list[tuple[int, int]] = field(default_factory=list)  # (chat id, message id) to erase


def what_happens(session: Session, user: User) -> str:
    """What /hapus would do for this person: KEEP_RESEARCH, DELETE_ALL or LEAVE_ONLY."""
    m = family_store.membership_of(session, user.id)
    if m is not None and m.role != family_store.MOTHER:
        others = [x for x in family_store.members(session, m.family_id) if x.user.id != user.id]
        if others:
            return LEAVE_ONLY
    return KEEP_RESEARCH if user.consent_research else DELETE_ALL


def delete_personal_data(session: Session, *, user: User, now: datetime, settings: Settings) -> Deletion:
    m = family_store.membership_of(session, user.id)
    mode = what_happens(session, user)
    result = Deletion(research_kept=mode == KEEP_RESEARCH)
    shown = (staff_messages.about(session, m.family_id, user_id=user.id if mode == LEAVE_ONLY else None)
             if m is not None else [])
    if m is not None:
        family = family_store.get(session, m.family_id)
        others = [x for x in family_store.members(session, m.family_id) if x.user.id != user.id]
        chats = [x.user.chat_id for x in others if x.user.chat_id is not None]
        if mode == LEAVE_ONLY:
            family_store.leave(session, family_id=family.id, user_id=user.id)
            measurements.forget_person(session, family.id, user.id)
            result = Deletion(family_id=family.id, family_closed=False, research_kept=False, others=chats)
        else:
            cancel_family(session, family.id, now=now, reason="deleted")
            if mode == KEEP_RESEARCH:
                measurements.anonymise_for_family(session, family.id)
            else:
                measurements.delete_for_family(session, family.id)
                vitals.delete_for_family(session, family.id)  # they point at the sessions
                sessions.delete_for_family(session, family.id)
            family_store.close_deleted(session, family, now=now)
            result = Deletion(family_id=family.id, family_closed=True, research_kept=mode == KEEP_RESEARCH,
                              others=chats)
    result = replace(result, staff_messages=shown)
    _forget_questions(session, user, result)
    family_store.forget_person(session, user, now=now)
    if result.family_id is not None and not result.family_closed:
        reschedule_family(session, result.family_id, now=now, settings=settings)
    audit.record(session, action="delete_personal_data", now=now, actor="telegram", actor_user_id=user.id,
                 detail={"family_closed": result.family_closed, "research_kept": result.research_kept})
    return result


def _forget_questions(session: Session, user: User, result: Deletion) -> None:
    """"Tanya bidan": the person's questions lose their words; a closed family's whole thread goes."""
    question_store.forget_asker(session, user.id)
    if result.family_closed and result.family_id is not None:
        question_store.delete_for_family(session, result.family_id)
