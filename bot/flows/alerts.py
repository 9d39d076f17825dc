"""Danger signs reported by a family: stored, sent to the facility's staff, escalated until a person acts.

CONTRACT
- ``raise_danger(turn, *, family_id, sign_ids, source, words=None, tell_family=False) -> list[Alert]`` — called
  by the free-text handler (source "text"), the checklist ("answer") and the pre-massage safety check
  ("safety_check"). Stores one Alert per new sign, grouped into one *episode* per family: the first alert of
  the open episode is its head, further signs (same message or later, within :data:`EPISODE_WINDOW`) join it
  and do not send new messages; the same sign again while open is recorded only. The family's own advice is
  given by the caller (``tell_family=True`` lets this function give it: see :func:`family_advice`); the other
  family member is told here (never for a ``private`` sign).
- ``acknowledge(session, content, *, alert_id, staff_user_id, now, reply=None, send=None) -> Acknowledgement``
  — a staff member of the alert's facility acknowledges (from Telegram or a web API). Records who and when,
  closes the episode, stops the escalation and tells every family member "Bidan … sudah membaca laporan …"
  (plus ``reply``, her message, if given). ``send(chat_id, text)`` delivers at once (Telegram turn);
  without it the messages are queued as Outbox rows (kind ``alert_note``) that the dispatcher sends.
- ``send_reply(session, content, *, alert_id, staff_user_id, text, now, send=None)`` — a later message from
  her to the family, recorded on the alert.
- ``link_facility(turn, family)`` — a family links to a facility: its open alerts without a facility are
  attached, and alerted now if raised within :data:`LINK_ALERT_WINDOW`.

The escalation ladder (every step recorded as an AlertEvent; the interval is ``settings.alert_repeat``):
step 0 at once to every midwife of the facility (all staff if it has no midwife role); steps
1..:data:`MIDWIFE_REPEATS` repeated to them; step MIDWIFE_REPEATS+1 also to the facility's coordinators;
step MIDWIFE_REPEATS+2 the family is told nobody has answered yet, with the emergency numbers; then repeats to
all staff until :data:`MAX_REPEATS`, whose last one tells the family again. It only stops when someone
acknowledges, the family deletes its data (closed as "keluarga menghapus data") or the ladder ends, and each
of these is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlmodel import Session

from bot.chat.keyboards import inline
from bot.flows.alert_message import (  # noqa: F401 - re-exported: the handlers and the desk use alerts.*
    AlertMessage,
    alert_buttons,
    alert_message,
    contact_buttons,
    family_name,
    handled_note,
    local_time,
    phone_lines,
    sign_text,
    user_by_telegram,
)
from bot.flows.family_contacts import remember_on_send
from bot.flows.outbox_kinds import Rendered, renderer
from content import Content, advice
from storage import alerts as alert_store
from storage import families as family_store
from storage import staff as staff_store
from storage.models import Alert, Facility, Family, User


class TurnView(Protocol):
    """What the rules here need of a chat turn (bot/core/turn.py's Turn is one; the rules never import it)."""

    session: Session
    content: Content
    settings: Any
    now: datetime

    @property
    def chat_id(self) -> int | None: ...

    @property
    def user_id(self) -> int | None: ...

    def t(self, key: str, /, **params: object) -> str: ...

    def send(self, chat_id: int, text: str, keyboard: Any = None, **extra: Any) -> Any: ...

MIDWIFE_REPEATS = alert_store.MIDWIFE_REPEATS
COORDINATOR_STEP = alert_store.COORDINATOR_STEP
FAMILY_STEP = alert_store.FAMILY_STEP
MAX_REPEATS = alert_store.MAX_REPEATS
EPISODE_WINDOW = timedelta(hours=12)  # signs within this time of an open episode join it
LINK_ALERT_WINDOW = timedelta(hours=72)  # signs reported before linking are alerted at linking if this recent
REPEAT_KIND = alert_store.REPEAT_KIND
WORDS_MAX = 300

Send = Callable[[int, str], object]


# -- raising ---------------------------------------------------------------------------------------

def raise_danger(turn: TurnView, *, family_id: int | None, sign_ids: list[str], source: str,
                 words: str | None = None, tell_family: bool = False) -> list[Alert]:
    """Store and alert these signs for the family (see the module contract). Returns the new alerts."""
    session = turn.session
    assert session is not None
    family = session.get(Family, family_id) if family_id is not None else None
    raiser = user_by_telegram(session, turn.user_id)
    if family is None:
        if tell_family:
            for text in family_advice(turn.content, sign_ids, facility_name=None, reached=False, words=words):
                turn.send(turn.chat_id, text)
        else:
            turn.send(turn.chat_id, turn.t("danger.no_facility"))
        return []
    head = alert_store.open_head(session, family.id, turn.now - EPISODE_WINDOW)
    new: list[Alert] = []
    for sign_id in dict.fromkeys(sign_ids):  # each sign once, in the given order
        known = alert_store.open_for_sign(session, family.id, sign_id)
        if known is not None:
            alert_store.record_event(session, known.episode_id or known.id, "reported_again", now=turn.now,
                                     user_id=raiser.id if raiser else None, sign=sign_id, source=source)
            continue
        alert = alert_store.create(
            session, family_id=family.id, facility_id=family.facility_id, sign_id=sign_id, source=source,
            raised_by=raiser.id if raiser else None, now=turn.now,
        )
        alert.words = (words or "")[:WORDS_MAX] or None
        if head is None:
            head = alert
        else:
            alert.episode_id = head.id
            alert_store.record_event(session, head.id, "joined", now=turn.now, sign=sign_id, alert=alert.id)
        session.add(alert)
        new.append(alert)
    session.flush()
    staff = _first_recipients(session, family.facility_id)
    facility = session.get(Facility, family.facility_id) if family.facility_id else None
    if tell_family:
        for text in family_advice(turn.content, sign_ids, facility_name=facility.name if facility else None,
                                  reached=bool(staff), words=words):
            turn.send(turn.chat_id, text)
    elif new and not staff:
        turn.send(turn.chat_id, turn.t("danger.no_midwife", fasilitas=facility.name) if facility
                  else turn.t("danger.no_facility"))
    if not new:
        return []
    _tell_other_members(turn, family, raiser, new, words)
    if head is not None and head in new:
        if staff:
            _start_ladder(session, turn.content, head, now=turn.now, every=turn.settings.alert_repeat,
                          send=lambda chat, text, buttons: remember_on_send(  # to update it once handled
                              turn, turn.send(chat, text, inline(buttons)), "alert", head.id))
        else:
            alert_store.record_event(session, head.id, "no_facility" if family.facility_id is None else "no_staff",
                                     now=turn.now)
    return new


def family_advice(content: Content, sign_ids: list[str], *, facility_name: str | None, reached: bool,
                  words: str | None = None) -> list[str]:
    """The family's replies for these signs (content/advice.py: what was reported, in its own short words, why
    it matters, go now or today, 119 / 112, whether the midwife was told, then what to do on the way)."""
    told = (content.text("danger.facility_told", fasilitas=facility_name) if reached and facility_name
            else content.text("danger.no_midwife", fasilitas=facility_name) if facility_name
            else content.text("danger.no_facility"))
    return advice.family_messages(content, advice.sign_advice(content, sign_ids, words), told=told)


def _tell_other_members(turn: TurnView, family: Family, raiser: User | None, alerts: list[Alert],
                        words: str | None = None) -> None:
    shown = [a for a in advice.sign_advice(turn.content, [a.sign_id for a in alerts], words) if not a.sign.private]
    if not shown:
        return
    name = (raiser.display_name or raiser.first_name) if raiser else None
    text = turn.t("danger.other_member", nama=name or "-",
                  tanda="; ".join(a.words for a in shown), saran=" ".join(dict.fromkeys(a.why for a in shown[:2])))
    for member in family_store.members(turn.session, family.id):
        if member.user.chat_id is None or (raiser is not None and member.user.id == raiser.id):
            continue
        turn.send(member.user.chat_id, text)


# -- the ladder --------------------------------------------------------------------------------------

def _midwives(session: Session, facility_id: int | None) -> list[User]:
    if facility_id is None:
        return []
    rows = staff_store.recipients(session, facility_id)
    mid = [u for s, u in rows if s.role == staff_store.MIDWIFE]
    return mid or [u for _, u in rows]


def _all_staff(session: Session, facility_id: int | None) -> list[User]:
    if facility_id is None:
        return []
    return [u for _, u in staff_store.recipients(session, facility_id)]


def _coordinators(session: Session, facility_id: int | None) -> list[User]:
    if facility_id is None:
        return []
    return [u for s, u in staff_store.recipients(session, facility_id) if s.role == staff_store.COORDINATOR]


def _first_recipients(session: Session, facility_id: int | None) -> list[User]:
    return _midwives(session, facility_id)


def recipients_for_step(session: Session, alert: Alert, step: int) -> list[User]:
    """Who gets step ``step`` of the ladder."""
    if step < COORDINATOR_STEP:
        return _midwives(session, alert.facility_id)
    return _all_staff(session, alert.facility_id)


def _start_ladder(session: Session, content: Content, head: Alert, *, now: datetime, every: timedelta,
                  send: Callable[[int, str, list], object], before_link: bool = False) -> None:
    message = alert_message(session, content, head, now=now, before_link=before_link)
    for user in _first_recipients(session, head.facility_id):
        send(user.chat_id, message.text, message.buttons)
        alert_store.record_event(session, head.id, "sent", now=now, user_id=user.id, step=0)
    _schedule_step(session, head, 1, now=now, every_seconds=int(every.total_seconds()))


def _schedule_step(session: Session, alert: Alert, step: int, *, now: datetime, every_seconds: int) -> None:
    """Queue step ``step`` for everyone it goes to (idempotent: each row has its own dedupe key)."""
    if step > MAX_REPEATS:
        return
    due = now + timedelta(seconds=every_seconds)
    for user in recipients_for_step(session, alert, step):
        alert_store.schedule_repeat(session, alert_id=alert.id, n=step, user_id=user.id, chat_id=user.chat_id,
                                    due_at=due, every_seconds=every_seconds, now=now)
    if step in (FAMILY_STEP, MAX_REPEATS):
        for member in family_store.members(session, alert.family_id):
            if member.user.chat_id is not None:
                alert_store.schedule_family_notice(session, alert_id=alert.id, n=step, user_id=member.user.id,
                                                   chat_id=member.user.chat_id, due_at=due, now=now)


def _open(alert: Alert | None) -> bool:
    return alert is not None and alert.handled_at is None and alert.closed_reason is None


@renderer(REPEAT_KIND)
def render_repeat(session: Session, row, content: Content, now: datetime) -> Rendered | None:
    """One escalation step for one staff member; queues the next step. None once acknowledged or closed."""
    payload = row.payload or {}
    alert = alert_store.get(session, int(payload.get("alert_id", 0)))
    if not _open(alert):
        return None
    n = int(payload.get("n", 1))
    every = int(payload.get("every_seconds", 1800))
    if n > alert.step:
        alert.step = n
        event = "coordinator" if n == COORDINATOR_STEP else ("last_repeat" if n == MAX_REPEATS else "repeat")
        if n == COORDINATOR_STEP and not _coordinators(session, alert.facility_id):
            alert_store.record_event(session, alert.id, "no_coordinator", now=now, step=n)
        alert_store.record_event(session, alert.id, event, now=now, step=n)
    _schedule_step(session, alert, n + 1, now=now, every_seconds=every)
    if row.user_id is None or not _still_staff(session, row.user_id, alert.facility_id):
        return None
    alert_store.note_repeat(session, alert, n=n, now=now)
    alert_store.record_event(session, alert.id, "told", now=now, step=n, user_id=row.user_id)
    message = alert_message(session, content, alert, now=now, repeat=n)
    return Rendered(message.text, message.buttons)


@renderer(alert_store.FAMILY_KIND)
def render_family_notice(session: Session, row, content: Content, now: datetime) -> Rendered | None:
    payload = row.payload or {}
    alert = alert_store.get(session, int(payload.get("alert_id", 0)))
    if not _open(alert):
        return None
    alert_store.record_event(session, alert.id, "family_told", now=now, step=int(payload.get("n", 0)),
                             user_id=row.user_id)
    signs = "; ".join(sign_text(content, a.sign_id) for a in alert_store.episode(session, alert))
    return Rendered(content.text("danger.nobody_answered", tanda=signs))


@renderer(alert_store.NOTE_KIND)
def render_note(session: Session, row, content: Content, now: datetime) -> Rendered | None:
    text = (row.payload or {}).get("text")
    return Rendered(text) if text else None


def _still_staff(session: Session, user_id: int, facility_id: int | None) -> bool:
    if facility_id is None:
        return False
    return any(u.id == user_id for _, u in staff_store.recipients(session, facility_id))


# -- acknowledging ----------------------------------------------------------------------------------

@dataclass
class Acknowledgement:
    ok: bool  # False: no such alert, or the user is not active staff of its facility
    first: bool = False  # False: someone had acknowledged it before (their name stays)
    alert: Alert | None = None
    told: list[int] = field(default_factory=list)  # chat ids of the family members told


def acknowledge(session: Session, content: Content, *, alert_id: int, staff_user_id: int, now: datetime,
                reply: str | None = None, send: Send | None = None) -> Acknowledgement:
    """A staff member acknowledges an alert (its whole episode); the family hears it (see module contract)."""
    alert = alert_store.get(session, alert_id)
    if alert is not None and alert.episode_id is not None:
        alert = alert_store.get(session, alert.episode_id) or alert
    if alert is None or not _still_staff(session, staff_user_id, alert.facility_id):
        return Acknowledgement(ok=False)
    first = alert_store.mark_handled(session, alert, user_id=staff_user_id, now=now)
    if not first:
        return Acknowledgement(ok=True, first=False, alert=alert)
    alert_store.record_event(session, alert.id, "acknowledged", now=now, user_id=staff_user_id)
    name = staff_store.name_in_facility(session, staff_user_id, alert.facility_id) or "-"
    signs = "; ".join(sign_text(content, a.sign_id) for a in alert_store.episode(session, alert))
    told = _to_family(session, alert, content.text("danger.acknowledged", nama=_plain_name(name), tanda=signs),
                      key="ack", now=now, send=send)
    if reply:
        send_reply(session, content, alert_id=alert.id, staff_user_id=staff_user_id, text=reply, now=now, send=send)
    return Acknowledgement(ok=True, first=True, alert=alert, told=told)


def send_reply(session: Session, content: Content, *, alert_id: int, staff_user_id: int, text: str, now: datetime,
               send: Send | None = None) -> list[int]:
    """Her own message to the family about this alert; stored on the alert and recorded."""
    alert = alert_store.get(session, alert_id)
    if alert is None or not _still_staff(session, staff_user_id, alert.facility_id):
        return []
    alert.reply = text[:1000]
    session.add(alert)
    name = staff_store.name_in_facility(session, staff_user_id, alert.facility_id) or "-"
    n = len([e for e in alert_store.events(session, alert.id) if e.event == "reply"])
    alert_store.record_event(session, alert.id, "reply", now=now, user_id=staff_user_id)
    return _to_family(session, alert, content.text("danger.reply_to_family", nama=_plain_name(name), pesan=text),
                      key=f"reply{n}", now=now, send=send)


def _plain_name(name: str) -> str:
    return name[len("Bidan "):] if name.startswith("Bidan ") else name


def _to_family(session: Session, alert: Alert, text: str, *, key: str, now: datetime, send: Send | None) -> list[int]:
    told = []
    for member in family_store.members(session, alert.family_id):
        chat = member.user.chat_id
        if chat is None:
            continue
        if send is not None:
            send(chat, text)
        else:
            alert_store.schedule_note(session, alert_id=alert.id, key=key, user_id=member.user.id, chat_id=chat,
                                      text=text, now=now)
        told.append(chat)
    return told


# -- linking and deleting ----------------------------------------------------------------------------

def link_facility(turn: TurnView, family: Family) -> int:
    """The family has just linked to ``family.facility_id``: attach its open alerts without a facility, and
    alert the recent ones now. Returns how many were alerted."""
    session = turn.session
    waiting = alert_store.open_without_facility(session, family.id)
    if not waiting or family.facility_id is None:
        return 0
    for alert in waiting:
        alert.facility_id = family.facility_id
        session.add(alert)
        alert_store.record_event(session, alert.id, "linked", now=turn.now, facility=family.facility_id)
    session.flush()
    if not _first_recipients(session, family.facility_id):
        return 0
    recent = [a for a in waiting if turn.now - a.raised_at <= LINK_ALERT_WINDOW]
    heads = [a for a in recent if a.episode_id is None or a.episode_id not in {x.id for x in recent}]
    for head in heads:
        _start_ladder(session, turn.content, head, now=turn.now, every=turn.settings.alert_repeat,
                      send=lambda chat, text, buttons, head=head: remember_on_send(  # /hapus reaches it too
                          turn, turn.send(chat, text, inline(buttons)), "alert", head.id), before_link=True)
    return len(heads)


def close_for_deletion(turn: TurnView, family_id: int) -> list[Alert]:
    """/hapus: open alerts are closed as "keluarga menghapus data", in front of the staff."""
    session = turn.session
    family = session.get(Family, family_id)
    closed = alert_store.close_deleted(session, family_id, now=turn.now)
    for alert in closed:
        alert_store.record_event(session, alert.id, "closed_deleted", now=turn.now)
        if alert.episode_id is not None or family is None:
            continue
        text = turn.t("danger.alert_closed_deleted", kode=family.code, tanda=sign_text(turn.content, alert.sign_id))
        for user in _all_staff(session, alert.facility_id):
            turn.send(user.chat_id, text)
    return closed
