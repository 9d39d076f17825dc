""""Tanya bidan" as rules: a family's question reaches every midwife of its facility; her reply reaches every
member of the family, with her name; an unanswered question is reminded at a gentler interval than an alert.

Used by the chat (bot/handlers/questions.py) and the dashboard (bot/web/), which queue what these return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.flows import desk
from bot.flows.alerts import contact_buttons, family_name, local_time
from bot.flows.outbox_kinds import Rendered, renderer
from content import Content
from storage import questions as store
from storage import staff as staff_store
from storage.models import Facility, Family, Question, User

MAX_REMINDERS = 4
REMIND_KIND = store.REMIND_KIND
Buttons = list[list[tuple[str, str]]]


@dataclass
class Outcome:
    """Messages to send: (chat id, text, buttons, remember as (kind, id) or None)."""

    sends: list[tuple[int, str, Buttons, tuple[str, int] | None]] = field(default_factory=list)
    edits: list[tuple[int, int, str, Buttons]] = field(default_factory=list)  # chat, message, text, buttons
    question: Question | None = None
    delivered: int = 0  # family members (or midwives) the message goes to


def _role(content: Content, role: str) -> str:
    key = f"midwife.role_{role}"
    return content.text(key) if content.has_text(key) else role


def question_text(session: Session, content: Content, q: Question, *, reminder: int = 0) -> str:
    family = session.get(Family, q.family_id)
    facility = session.get(Facility, q.facility_id) if q.facility_id else None
    tz = facility.timezone if facility else (family.timezone if family else "Asia/Jakarta")
    asker = session.get(User, q.asked_by) if q.asked_by else None
    from storage import families as family_store

    m = family_store.membership_of(session, asker.id) if asker else None
    params = dict(kode=family.code if family else "-", nama=family_name(session, q.family_id),
                  waktu=local_time(q.asked_at, tz), pertanyaan=q.text or "-")
    if reminder:
        return content.text("desk.question_remind", ke=str(reminder), **params)
    asker_name = (asker.display_name or asker.first_name) if asker else None
    params["nama"] = asker_name or params["nama"]
    return content.text("desk.question_new", peran=_role(content, m.role) if m else "-", **params)


def question_buttons(session: Session, content: Content, q: Question, *, answered: bool = False) -> Buttons:
    rows: Buttons = [] if answered else [[(content.text("desk.button_reply"), f"mw:reply:{q.id}")]]
    rows += contact_buttons(content, q.family_id, session=session)
    return rows


def ask(session: Session, content: Content, *, family: Family, asker: User, text: str, now: datetime,
        every: timedelta) -> Outcome:
    """Store the question and queue it to every midwife of the family's facility (with reminders)."""
    out = Outcome()
    q = store.ask(session, family_id=family.id, facility_id=family.facility_id, asked_by=asker.id, text=text,
                  now=now)
    out.question = q
    _to_midwives(session, content, q, out, now=now, every=every)
    return out


def _to_midwives(session: Session, content: Content, q: Question, out: Outcome, *, now: datetime,
                 every: timedelta) -> None:
    message = question_text(session, content, q)
    buttons = question_buttons(session, content, q)
    for _staff, user in staff_store.recipients(session, q.facility_id) if q.facility_id else []:
        out.sends.append((user.chat_id, message, buttons, ("question", q.id)))
        out.delivered += 1
        store.schedule_reminder(session, question_id=q.id, n=1, user_id=user.id, chat_id=user.chat_id,
                                due_at=now + every, every_seconds=int(every.total_seconds()), now=now)


def deliver_kept(session: Session, content: Content, *, family: Family, now: datetime, every: timedelta) -> Outcome:
    """The questions a family asked before it was linked to a facility (kept with no facility, never lost)
    go to the midwives of the facility it is linked to now."""
    out = Outcome()
    if not family.facility_id:
        return out
    for q in store.for_family(session, family.id):
        if q.facility_id is not None or q.answered_at is not None:
            continue
        q.facility_id = family.facility_id
        session.add(q)
        session.flush()
        _to_midwives(session, content, q, out, now=now, every=every)
    return out


def midwife_message(session: Session, content: Content, *, family: Family, staff_user_id: int, text: str,
                    now: datetime, question: Question | None = None) -> Outcome:
    """A midwife's reply (or a message she starts) to every member of the family, with her name."""
    out = Outcome(question=question)
    _row, first = store.reply(session, family_id=family.id, staff_user_id=staff_user_id, text=text, now=now,
                              question=question)
    facility = session.get(Facility, family.facility_id) if family.facility_id else None
    name = staff_store.name_in_facility(session, staff_user_id, family.facility_id) or "-"
    to_family = content.text("desk.reply_to_family", nama=name, fasilitas=facility.name if facility else "-",
                             pesan=text)
    again: Buttons = [[(content.text("desk.button_ask_again"), "ask:start")]]
    for c in desk.contacts(session, family.id):
        user = session.get(User, c.user_id)
        if user is not None and user.chat_id is not None and user.reachable:
            out.sends.append((user.chat_id, to_family, again, None))
            out.delivered += 1
    if question is not None and first:
        tz = facility.timezone if facility else family.timezone
        note = content.text("desk.question_answered_by", nama=name, waktu=local_time(now, tz))
        text_now = question_text(session, content, question) + "\n\n" + note
        buttons = question_buttons(session, content, question, answered=True)
        for m in store.messages_of(session, "question", question.id):
            out.edits.append((m.chat_id, m.message_id, text_now, buttons))
    return out


@renderer(REMIND_KIND)
def render_reminder(session: Session, row, content: Content, now: datetime) -> Rendered | None:
    """The reminder of a question nobody has answered yet; schedules the next one. None once answered."""
    payload = row.payload or {}
    q = store.get(session, int(payload.get("question_id", 0)))
    if q is None or q.answered_at is not None or not q.text:
        return None
    if row.user_id is None or q.facility_id is None or not any(
            u.id == row.user_id for _, u in staff_store.recipients(session, q.facility_id)):
        return None
    n = int(payload.get("n", 1))
    every = int(payload.get("every_seconds", 7200))
    store.note_reminder(session, q, n)
    if n < MAX_REMINDERS:
        store.schedule_reminder(session, question_id=q.id, n=n + 1, user_id=row.user_id, chat_id=row.chat_id,
                                due_at=now + timedelta(seconds=every), every_seconds=every, now=now)
    return Rendered(question_text(session, content, q, reminder=n), question_buttons(session, content, q))
