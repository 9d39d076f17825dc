"""The bot answers a harmless health question itself (content/health_answers.yaml, issue 23).

The answer ends with when to go now and how to reach the midwife; the message is recorded for the midwife
as answered (``storage.questions.ANSWERED``: on the family's page as "dijawab otomatis", never reminded).
"💬 Teruskan ke bidan" (``ha:fwd:<question id>``) forwards it as a family message. A topic marked
``forward`` (feelings) is answered and forwarded at once: a person always hears it.
"""

from __future__ import annotations

from bot.chat.keyboards import callback, inline
from bot.core.turn import Turn
from bot.handlers.steps.family_message import forward
from content.health_topics import Topic
from storage import questions as store
from storage.models import Family, User

FORWARD = "ha"


def answer(turn: Turn, user: User, family: Family, topic: Topic, text: str, *, forward_too: bool = False) -> None:
    """Reply with the topic's answer; record the message for the midwife, or forward it (feelings, or a message
    the learned reader thinks may report a sign: ``forward_too``)."""
    body = turn.t("health.answer", jawaban=topic.answer, kapan=topic.go_now)
    if topic.forward or forward_too:
        turn.reply(body)
        forward(turn, user, family, text)
        return
    turn.reply(body, record(turn, user, family, text))


def record(turn: Turn, user: User, family: Family, text: str):
    """Record a message the bot answers itself for the midwife ("dijawab otomatis"); the button to forward it."""
    q = store.record_answered(turn.session, family_id=family.id, facility_id=family.facility_id,
                              asked_by=user.id, text=text, now=turn.now)
    return inline([[(turn.t("health.button_forward"), callback(FORWARD, "fwd", q.id))]])


def forward_answered(turn: Turn, user: User, family: Family, question_id: int) -> bool:
    """The family pressed "Teruskan ke bidan": forward the answered message once. False if not theirs."""
    q = store.get(turn.session, question_id)
    if q is None or q.family_id != family.id or q.kind not in store.AUTO_ANSWERED:
        return False
    turn.edit_markup(None)
    if q.kind == store.ANSWERED_FORWARDED:
        turn.reply(turn.t("health.forwarded_already"))
        return True
    q.kind = store.ANSWERED_FORWARDED
    turn.session.add(q)
    forward(turn, user, family, q.text)
    return True
