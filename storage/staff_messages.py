"""Where the bot showed the staff something about a family: what /hapus must reach in the midwives' chats.

A danger-sign alert ("🚨 TANDA BAHAYA") and its repeats, a family's question or message ("💬 PERTANYAAN
KELUARGA") and its reminders carry the family's name, phone and words. The bot keeps where each went: the
first alert and every question in ``sent_messages`` (recorded when Telegram answers, bot/flows/desk.py), the
repeats and reminders in their outbox rows (``telegram_message_id``, recorded by the dispatcher).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage import outbox
from storage.alerts import REPEAT_KIND
from storage.models import Alert, Outbox, Question, SentMessage
from storage.questions import REMIND_KIND


def about(session: Session, family_id: int, *, user_id: int | None = None) -> list[tuple[int, int]]:
    """(chat id, message id) of every staff message about the family's alerts and questions (only those this
    person raised or asked, when ``user_id`` is given), in the order they were sent."""
    alerts = select(Alert.id).where(Alert.family_id == family_id)
    questions = select(Question.id).where(Question.family_id == family_id)
    if user_id is not None:
        alerts = alerts.where(Alert.raised_by == user_id)
        questions = questions.where(Question.asked_by == user_id)
    alert_ids, question_ids = list(session.exec(alerts)), list(session.exec(questions))
    found: list[tuple[int, int]] = []
    for kind, ids in (("alert", alert_ids), ("question", question_ids)):
        if ids:
            rows = session.exec(select(SentMessage).where(SentMessage.kind == kind, col(SentMessage.ref_id).in_(ids))
                                .order_by(col(SentMessage.id)))
            found += [(r.chat_id, r.message_id) for r in rows]
    sent: list[Outbox] = []
    for prefix, kind, ids in (("alert", REPEAT_KIND, alert_ids), ("question", REMIND_KIND, question_ids)):
        for ref in ids:
            sent += [r for r in outbox.rows_with_key_prefix(session, f"{prefix}:{ref}:")
                     if r.kind == kind and r.telegram_message_id is not None and r.chat_id is not None]
    found += [(r.chat_id, r.telegram_message_id) for r in sorted(sent, key=lambda r: r.id)]
    return list(dict.fromkeys(found))
