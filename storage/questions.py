"""Questions a family sends its midwives ("Tanya bidan"), the midwives' replies, and where the bot showed them.

A question is answered by the first reply (``answered_by``/``answered_at``); later replies join its thread.
Unanswered questions are reminded to the midwives by Outbox rows of kind ``question_remind`` with the dedupe
key ``question:<id>:<n>:<user id>``; the first reply cancels the pending ones.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage import outbox
from storage.models import Family, Question, QuestionReply, SentMessage

REMIND_KIND = "question_remind"
TEXT_MAX = 2000


def get(session: Session, question_id: int) -> Question | None:
    return session.get(Question, question_id)


QUESTION = "question"
FAMILY = "family"  # free text the bot forwarded to the midwives (a family message)
# A family's free text the bot answered itself (content/health_answers.yaml): kept for the midwife to read on
# the family's page, answered at once (never reminded, never open); ANSWERED_FORWARDED once the family pressed
# "Teruskan ke bidan" (the text is then also a FAMILY entry).
ANSWERED = "answered"
ANSWERED_FORWARDED = "answered_fwd"
AUTO_ANSWERED = (ANSWERED, ANSWERED_FORWARDED)


def ask(session: Session, *, family_id: int, facility_id: int | None, asked_by: int | None, text: str,
        now: datetime, kind: str = QUESTION) -> Question:
    q = Question(family_id=family_id, facility_id=facility_id, asked_by=asked_by, text=text[:TEXT_MAX],
                 asked_at=now, kind=kind, writers=[asked_by] if asked_by is not None else [])
    session.add(q)
    session.flush()
    return q


def record_answered(session: Session, *, family_id: int, facility_id: int | None, asked_by: int | None,
                    text: str, now: datetime) -> Question:
    """A message the bot answered itself: stored for the midwife, already answered (no reminder, not open)."""
    q = ask(session, family_id=family_id, facility_id=facility_id, asked_by=asked_by, text=text, now=now,
            kind=ANSWERED)
    q.answered_at = now
    session.add(q)
    session.flush()
    return q


def open_of_kind(session: Session, family_id: int, kind: str) -> Question | None:
    """The family's oldest unanswered entry of this kind (further messages join it)."""
    return session.exec(select(Question).where(Question.family_id == family_id, Question.kind == kind,
                                               col(Question.answered_at).is_(None))
                        .order_by(col(Question.asked_at), col(Question.id))).first()


def join(session: Session, q: Question, text: str, writer: int | None = None) -> None:
    """One more message of the family joins ``q``: counted, its text added (the newest kept when too long)."""
    joined = f"{q.text}\n• {text}" if q.text else text
    q.text = joined if len(joined) <= TEXT_MAX else "…" + joined[-(TEXT_MAX - 1):]
    q.messages = (q.messages or 1) + 1
    if writer is not None and writer not in (q.writers or []):
        q.writers = [*(q.writers or []), writer]
    session.add(q)
    session.flush()


def waiting_without_facility(session: Session, family_id: int) -> list[Question]:
    """Unanswered entries kept while the family had no facility (sent when it links)."""
    return list(session.exec(select(Question).where(Question.family_id == family_id,
                                                    col(Question.facility_id).is_(None),
                                                    col(Question.answered_at).is_(None))
                             .order_by(col(Question.asked_at), col(Question.id))))


def reply(session: Session, *, family_id: int, staff_user_id: int, text: str, now: datetime,
          question: Question | None = None) -> tuple[QuestionReply, bool]:
    """Store a midwife's message (a reply to ``question`` or a message she started). True if it answered
    the question first."""
    row = QuestionReply(question_id=question.id if question else None, family_id=family_id,
                        staff_user_id=staff_user_id, text=text[:TEXT_MAX], sent_at=now)
    session.add(row)
    first = False
    if question is not None and question.answered_at is None:
        question.answered_at = now
        question.answered_by = staff_user_id
        session.add(question)
        cancel_reminders(session, question.id)
        first = True
    session.flush()
    return row, first


def for_family(session: Session, family_id: int) -> list[Question]:
    return list(session.exec(select(Question).where(Question.family_id == family_id)
                             .order_by(col(Question.asked_at), col(Question.id))))


def replies_for_family(session: Session, family_id: int) -> list[QuestionReply]:
    return list(session.exec(select(QuestionReply).where(QuestionReply.family_id == family_id)
                             .order_by(col(QuestionReply.sent_at), col(QuestionReply.id))))


def open_counts(session: Session, family_ids: Sequence[int]) -> dict[int, int]:
    """Unanswered questions per family."""
    if not family_ids:
        return {}
    rows = session.exec(
        select(Question.family_id, func.count())
        .where(col(Question.family_id).in_(list(family_ids)), col(Question.answered_at).is_(None))
        .group_by(Question.family_id)
    )
    return {fid: int(n) for fid, n in rows}


def note_reminder(session: Session, question: Question, n: int) -> None:
    if n > question.reminders:
        question.reminders = n
        session.add(question)


def rows_for_export(session: Session, facility_id: int | None) -> Iterator[tuple[Question, Family]]:
    """Questions and family messages a midwife handled (the bot's own answers are not her response times)."""
    stmt = (select(Question, Family).join(Family, col(Family.id) == Question.family_id)
            .where(col(Question.kind).not_in(AUTO_ANSWERED)))
    if facility_id is not None:
        stmt = stmt.where(Family.facility_id == facility_id)
    yield from session.exec(stmt.order_by(col(Question.asked_at), col(Question.id)))


def delete_for_family(session: Session, family_id: int) -> None:
    from sqlalchemy import delete

    qids = [q.id for q in for_family(session, family_id)]
    session.exec(delete(QuestionReply).where(col(QuestionReply.family_id) == family_id))
    if qids:
        session.exec(delete(SentMessage).where(SentMessage.kind == "question", col(SentMessage.ref_id).in_(qids)))
    session.exec(delete(Question).where(col(Question.family_id) == family_id))


def forget_asker(session: Session, user_id: int) -> None:
    """The person's own words leave with them: their questions' text is blanked (timings stay)."""
    from sqlalchemy import update

    session.exec(update(Question).where(col(Question.asked_by) == user_id).values(asked_by=None, text=""))
    for q in session.exec(select(Question).where(col(Question.writers).is_not(None))).all():
        if user_id in (q.writers or []):  # a joined family message: the words stay with the family's entry
            q.writers = [w for w in q.writers if w != user_id]
            session.add(q)


# -- reminders -------------------------------------------------------------------------------------

def remind_key(question_id: int, n: int, user_id: int) -> str:
    return f"question:{question_id}:{n}:{user_id}"


def schedule_reminder(session: Session, *, question_id: int, n: int, user_id: int, chat_id: int,
                      due_at: datetime, every_seconds: int, now: datetime) -> bool:
    return outbox.insert(
        session, dedupe_key=remind_key(question_id, n, user_id), kind=REMIND_KIND, due_at=due_at, now=now,
        family_id=None, user_id=user_id, chat_id=chat_id,
        payload={"question_id": question_id, "n": n, "every_seconds": every_seconds},
    )


def cancel_reminders(session: Session, question_id: int) -> int:
    ids = [r.id for r in outbox.rows_with_key_prefix(session, f"question:{question_id}:")
           if r.kind == REMIND_KIND and r.status == outbox.PENDING]
    if not ids:
        return 0
    return outbox.cancel_pending(session, reason="question answered", ids=ids)


# -- where the bot showed something ----------------------------------------------------------------

def remember_message(session: Session, *, kind: str, ref_id: int, chat_id: int, message_id: int,
                     now: datetime) -> None:
    session.add(SentMessage(kind=kind, ref_id=ref_id, chat_id=chat_id, message_id=message_id, created_at=now))


def messages_of(session: Session, kind: str, ref_id: int) -> list[SentMessage]:
    return list(session.exec(select(SentMessage).where(SentMessage.kind == kind, SentMessage.ref_id == ref_id)
                             .order_by(col(SentMessage.id))))
