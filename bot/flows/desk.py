"""The midwife's desk as plain rules: triage order and filters, phone numbers, facility hours, acknowledging.

- :func:`triage` — a facility's families in order of need: open danger alerts (oldest first), unanswered
  questions, checklists due or overdue, unreachable members, then the rest (newest registration first), each
  with the reasons it is where it is. Used by ``/pasien`` and the dashboard.
- :func:`normalize_phone` / :func:`wa_link` — a shared contact's number as "+62…" and its WhatsApp link.
- :func:`parse_hours` / :func:`is_open` — a facility's hours ("07:00-16:00", local time).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.flows import study_data
from content import Content
from storage import questions as question_store
from storage.models import Alert, Family, Membership, User

# Ranks, most urgent first.
ALERT, QUESTION, DUE, UNREACHABLE, REST = range(5)
FILTERS = ("bahaya", "tanya", "ceklis", "putus", "hari1", "hari2", "hari3")


@dataclass
class TriageRow:
    summary: study_data.FamilySummary
    rank: int
    oldest_alert: Alert | None = None
    open_alerts: list[Alert] = field(default_factory=list)
    open_questions: int = 0
    due: list[str] = field(default_factory=list)  # occasions due or overdue ("pre", "post")
    last_contact: datetime | None = None

    @property
    def family(self) -> Family:
        return self.summary.family


def _due_occasions(content: Content, summary: study_data.FamilySummary, done: set[str]) -> list[str]:
    protocol = content.protocols.get(summary.family.protocol_id) or content.default_protocol
    if summary.day is None or summary.family.status != "active":
        return []
    return [m.occasion for m in protocol.measurements if summary.day >= m.day and m.occasion not in done]


def triage(session: Session, content: Content, facility_id: int, *, now: datetime,
           only: str | None = None) -> list[TriageRow]:
    """Every live family of the facility, most urgent first (``only``: one of :data:`FILTERS`)."""
    fams = list(session.exec(study_data._live_families(facility_id)
                             .order_by(col(Family.created_at).desc(), col(Family.id).desc())))
    summaries = study_data.summaries(session, content, fams, now=now)
    ids = [f.id for f in fams]
    alerts: dict[int, list[Alert]] = {}
    if ids:
        for a in session.exec(select(Alert).where(col(Alert.family_id).in_(ids), col(Alert.handled_at).is_(None))
                              .order_by(col(Alert.raised_at), col(Alert.id))):
            alerts.setdefault(a.family_id, []).append(a)
    questions = question_store.open_counts(session, ids)
    done = _done_occasions(session, ids)
    contact = last_contacts(session, ids)
    rows = []
    for s in summaries:
        fid = s.family.id
        row = TriageRow(s, REST, open_alerts=alerts.get(fid, []), open_questions=questions.get(fid, 0),
                        due=_due_occasions(content, s, done.get(fid, set())), last_contact=contact.get(fid))
        row.oldest_alert = row.open_alerts[0] if row.open_alerts else None
        if row.open_alerts:
            row.rank = ALERT
        elif row.open_questions:
            row.rank = QUESTION
        elif row.due:
            row.rank = DUE
        elif s.unreachable:
            row.rank = UNREACHABLE
        rows.append(row)
    rows = [r for r in rows if matches(r, only)]
    # Stable sort: within a rank the registration order (newest first) stays; alerts: oldest first.
    rows.sort(key=lambda r: (r.rank, r.oldest_alert.raised_at.timestamp() if r.oldest_alert else 0))
    return rows


def matches(row: TriageRow, only: str | None) -> bool:
    if not only:
        return True
    if only == "bahaya":
        return bool(row.open_alerts)
    if only == "tanya":
        return row.open_questions > 0
    if only == "ceklis":
        return bool(row.due)
    if only == "putus":
        return bool(row.summary.unreachable)
    if only.startswith("hari") and only[4:].isdigit():
        return row.summary.day == int(only[4:])
    return True


def _done_occasions(session: Session, ids: list[int]) -> dict[int, set[str]]:
    from storage.models import Measurement

    out: dict[int, set[str]] = {}
    if not ids:
        return out
    for fid, occasion in session.exec(
        select(Measurement.family_id, Measurement.occasion)
        .where(col(Measurement.family_id).in_(ids), col(Measurement.completed_at).is_not(None))
    ):
        out.setdefault(fid, set()).add(occasion)
    return out


def last_contacts(session: Session, ids: list[int]) -> dict[int, datetime]:
    """The last time the family did something the bot stored (an answer, a session, a question)."""
    from sqlalchemy import func

    from storage.models import Answer, MassageSession, Measurement, Question

    out: dict[int, datetime] = {}
    if not ids:
        return out

    def take(rows) -> None:
        for fid, at in rows:
            if at is not None and (fid not in out or at > out[fid]):
                out[fid] = at

    take(session.exec(select(Measurement.family_id, func.max(Answer.answered_at))
                      .join(Answer, col(Answer.measurement_id) == Measurement.id)
                      .where(col(Measurement.family_id).in_(ids)).group_by(Measurement.family_id)))
    take(session.exec(select(MassageSession.family_id, func.max(MassageSession.started_at))
                      .where(col(MassageSession.family_id).in_(ids)).group_by(MassageSession.family_id)))
    take(session.exec(select(Question.family_id, func.max(Question.asked_at))
                      .where(col(Question.family_id).in_(ids)).group_by(Question.family_id)))
    return out


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


# -- facility hours --------------------------------------------------------------------------------

_HOURS = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–sampai/ ]+\s*(\d{1,2})[:.](\d{2})\s*$")


def parse_hours(text: str | None) -> tuple[time, time] | None:
    m = _HOURS.match(text or "")
    if not m:
        return None
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2):
        return None
    start, end = time(h1, m1), time(23, 59) if h2 == 24 else time(h2, m2)
    if start == end:
        return None
    return start, end


def format_hours(hours: tuple[time, time]) -> str:
    return f"{hours[0]:%H:%M}-{hours[1]:%H:%M}"


def is_open(hours_text: str | None, now: datetime, timezone: str) -> bool:
    """True when no hours are set, or ``now`` is inside them (overnight hours wrap past midnight)."""
    hours = parse_hours(hours_text)
    if hours is None:
        return True
    try:
        tz = ZoneInfo(timezone)
    except Exception:  # noqa: BLE001
        tz = ZoneInfo("Asia/Jakarta")
    local = now.astimezone(tz).time()
    start, end = hours
    return start <= local < end if start < end else (local >= start or local < end)


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
            import logging

            logging.getLogger(__name__).exception("could not remember %s message %s", kind, ref_id)

    out.on_sent = store


# -- labels for the midwife ------------------------------------------------------------------------

_TRUE = {"true", "ya", "1", "yes", "y"}
_FALSE = {"false", "tidak", "0", "no", "n"}


def answer_label(content: Content, instrument_id: str, item_id: str, raw: str) -> str:
    """The words the family saw for a stored answer ("bercak_oranye" -> "Ada bercak oranye …")."""
    inst = content.instruments.get(instrument_id)
    if inst is None:
        return raw
    try:
        item = inst.item(item_id)
    except KeyError:
        return raw
    if item.answer_type == "number":
        return f"{raw} {item.unit}".strip() if getattr(item, "unit", None) else raw
    low = raw.strip().lower()
    for c in item.choices:
        if isinstance(c.value, bool):
            if (c.value and low in _TRUE) or (not c.value and low in _FALSE):
                return c.label
        elif str(c.value).lower() == low:
            return c.label
    return raw


def stop_reason_label(content: Content, reason: str | None) -> str:
    if reason and content.has_text(f"session.reason_{reason}"):
        return content.text(f"session.reason_{reason}")
    return content.text("desk.reason_unknown")
