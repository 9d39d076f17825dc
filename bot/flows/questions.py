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
from storage import families as family_store
from storage import questions as store
from storage import staff as staff_store
from storage.models import Facility, Family, Question, User

MAX_REMINDERS = 4
SHOWN_MAX = 700  # the newest part of a long (joined) entry shown in the chat; the dashboard shows it all
REMIND_KIND = store.REMIND_KIND
Buttons = list[list[tuple[str, str]]]


@dataclass
class Outcome:
    """Messages to send: (chat id, text, buttons, remember as (kind, id) or None)."""

    sends: list[tuple[int, str, Buttons, tuple[str, int] | None]] = field(default_factory=list)
    edits: list[tuple[int, int, str, Buttons]] = field(default_factory=list)  # chat, message, text, buttons
    question: Question | None = None
    delivered: int = 0  # family members (or midwives) the message goes to
    joined: bool = False  # the message joined the family's open entry (no new message to the midwives)


def _role(content: Content, role: str) -> str:
    key = f"midwife.role_{role}"
    return content.text(key) if content.has_text(key) else role


def question_text(session: Session, content: Content, q: Question, *, reminder: int = 0) -> str:
    family = session.get(Family, q.family_id)
    facility = session.get(Facility, q.facility_id) if q.facility_id else None
    tz = facility.timezone if facility else (family.timezone if family else "Asia/Jakarta")
    asker = session.get(User, q.asked_by) if q.asked_by else None

    m = family_store.membership_of(session, asker.id) if asker else None
    params = dict(kode=family.code if family else "-", nama=family_name(session, q.family_id),
                  waktu=local_time(q.asked_at, tz), pertanyaan=_shown(q.text))
    prefix = "desk.family_message" if q.kind == store.FAMILY else "desk.question"
    count = ("\n" + content.text("desk.messages_count", jumlah=q.messages)) if (q.messages or 1) > 1 else ""
    if reminder:
        return content.text(f"{prefix}_remind", ke=str(reminder), **params) + count
    asker_name = (asker.display_name or asker.first_name) if asker else None
    params["nama"] = asker_name or params["nama"]
    return content.text(f"{prefix}_new", peran=_role(content, m.role) if m else "-", **params) + count


def _shown(text: str | None) -> str:
    if not text:
        return "-"
    return text if len(text) <= SHOWN_MAX else "…" + text[-(SHOWN_MAX - 1):]


def question_buttons(session: Session, content: Content, q: Question, *, answered: bool = False) -> Buttons:
    rows: Buttons = [] if answered else [[(content.text("desk.button_reply"), f"mw:reply:{q.id}")]]
    rows += contact_buttons(content, q.family_id, session=session)
    return rows


def ask(session: Session, content: Content, *, family: Family, asker: User, text: str, now: datetime,
        every: timedelta, kind: str = store.QUESTION) -> Outcome:
    """Store the question (or family message, ``kind``) and queue it to every midwife of the family's facility
    (with reminders). While an entry of this kind is unanswered, a new one joins it: counted, its text added,
    the midwives' messages updated in place, no new message and no new reminders (one family, one entry).
    Without a facility it is kept, and sent when the family links (:func:`link_facility`)."""
    out = Outcome()
    q = store.open_of_kind(session, family.id, kind)
    if q is not None and q.facility_id == family.facility_id:
        store.join(session, q, text, writer=asker.id)
        out.question, out.joined = q, True
        message = question_text(session, content, q)
        buttons = question_buttons(session, content, q)
        for m in store.messages_of(session, "question", q.id):
            out.edits.append((m.chat_id, m.message_id, message, buttons))
        out.delivered = len(staff_store.recipients(session, family.facility_id)) if family.facility_id else 0
        return out
    q = store.ask(session, family_id=family.id, facility_id=family.facility_id, asked_by=asker.id, text=text,
                  now=now, kind=kind)
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


def link_facility(session: Session, content: Content, *, family: Family, now: datetime,
                  every: timedelta) -> Outcome:
    """The family has just linked to a facility: its messages and questions kept without one go to the
    facility's midwives now (each kind joining any open entry there)."""
    out = Outcome()
    if family.facility_id is None:
        return out
    for q in store.waiting_without_facility(session, family.id):
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
    only = set(question.writers or [question.asked_by]) if question is not None and question.kind == store.FAMILY \
        else None  # a family message: its writers only, never automatically the other member
    for c in desk.contacts(session, family.id):
        if only is not None and c.user_id not in only:
            continue
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
