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

from bot.flows import alerts as alert_flow
from bot.flows import occasion_status, study_data
from bot.flows.family_contacts import Contact, contacts, normalize_phone, wa_link  # noqa: F401 - many callers
from content import Content
from storage import alerts as alert_store
from storage import audit
from storage import questions as question_store
from storage import staff as staff_store
from storage.models import Alert, Family, MassageSession, Measurement, Membership, Question, User

# Ranks, most urgent first.
ALERT, QUESTION, DUE, UNREACHABLE, REST = range(5)
FILTERS = ("bahaya", "tanya", "ceklis", "putus", "hari1", "hari2", "hari3")


@dataclass
class TriageRow:
    summary: study_data.FamilySummary
    rank: int
    oldest_alert: Alert | None = None
    open_alerts: list[Alert] = field(default_factory=list)
    open_questions: int = 0  # unanswered questions and family messages
    open_messages: int = 0  # of which forwarded family messages (free text, bot/handlers/steps/family_message.py)
    due: list[str] = field(default_factory=list)  # occasion labels due today or missed ("day2_pre", "post")
    last_contact: datetime | None = None

    @property
    def family(self) -> Family:
        return self.summary.family


def _due_occasions(content: Content, summary: study_data.FamilySummary) -> list[str]:
    """The occasions worth chasing: today's not filled in, and earlier ones missed while the study still runs
    (an active family up to the protocol's last day)."""
    if summary.day is None or summary.family.status != "active":
        return []
    protocol = content.protocols.get(summary.family.protocol_id) or content.default_protocol
    if summary.day > max(protocol.days):
        return []
    return occasion_status.due_labels(summary.occasions)


def triage(session: Session, content: Content, facility_id: int, *, now: datetime,
           only: str | None = None) -> list[TriageRow]:
    """Every live family of the facility, most urgent first (``only``: one of :data:`FILTERS`).

    Reads the facility's rows with a few queries joined on the facility (plain columns, no IN lists), so a
    facility of 1,000 families stays fast (bench/dashboard.py)."""
    fams = list(session.exec(study_data._live_families(facility_id)
                             .order_by(col(Family.created_at).desc(), col(Family.id).desc())))
    summaries = facility_summaries(session, content, facility_id, fams, now=now)
    alerts: dict[int, list[Alert]] = {}
    for a in session.exec(select(Alert).join(Family, col(Family.id) == Alert.family_id)
                          .where(Family.facility_id == facility_id, col(Alert.handled_at).is_(None))
                          .order_by(col(Alert.raised_at), col(Alert.id))):
        alerts.setdefault(a.family_id, []).append(a)
    questions = _open_questions(session, facility_id)
    messages = _open_questions(session, facility_id, kind="family")
    contact = last_contacts(session, facility_id)
    rows = []
    for s in summaries:
        fid = s.family.id
        row = TriageRow(s, REST, open_alerts=alerts.get(fid, []), open_questions=questions.get(fid, 0),
                        open_messages=messages.get(fid, 0),
                        due=_due_occasions(content, s), last_contact=contact.get(fid))
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


def _of_facility(stmt, model, facility_id: int):
    return stmt.join(Family, col(Family.id) == model.family_id).where(Family.facility_id == facility_id)


def facility_summaries(session: Session, content: Content, facility_id: int, fams: list[Family], *,
                       now: datetime) -> list[study_data.FamilySummary]:
    """:func:`study_data.summaries` for a whole facility at once (the same values)."""
    from sqlalchemy import func

    members: dict[int, list[study_data.MemberInfo]] = {f.id: [] for f in fams}
    for fid, role, uid, display, first, reachable in session.exec(_of_facility(
            select(Membership.family_id, Membership.role, User.id, User.display_name, User.first_name, User.reachable)
            .join(User, col(User.id) == Membership.user_id), Membership, facility_id)
            .where(col(Membership.active).is_(True)).order_by(Membership.id)):
        if fid in members:
            members[fid].append(study_data.MemberInfo(uid, role, display or first or "-", reachable))
    done = dict(session.exec(_of_facility(select(MassageSession.family_id, func.count()), MassageSession, facility_id)
                             .where(col(MassageSession.status).in_(study_data.DONE_STATUSES))
                             .group_by(MassageSession.family_id)).all())
    measured: dict[int, list[tuple[str, str, str | None, str | None]]] = {f.id: [] for f in fams}
    for fid, instrument_id, occasion, class_key, window in session.exec(_of_facility(
            select(Measurement.family_id, Measurement.instrument_id, Measurement.occasion, Measurement.class_key,
                   Measurement.window),
            Measurement, facility_id).where(col(Measurement.completed_at).is_not(None))
            .order_by(Measurement.completed_at, Measurement.id)):
        if fid in measured:
            measured[fid].append((instrument_id, occasion, class_key, window))
    open_alerts: dict[int, int] = {}
    for fid, n in session.exec(_of_facility(select(Alert.family_id, func.count()), Alert, facility_id)
                               .where(col(Alert.handled_at).is_(None)).group_by(Alert.family_id)):
        open_alerts[fid] = int(n)
    out = []
    for fam in fams:
        protocol = content.protocols.get(fam.protocol_id) or content.default_protocol
        done_ms = [m for m in measured[fam.id] if m[0] == protocol.instrument] or measured[fam.id]
        latest = done_ms[-1] if done_ms else None
        label = study_data.class_label(content, latest[0], latest[2]) if latest and latest[2] else None
        day = study_data.postpartum_day(fam.birth_date, now, fam.timezone, fam.birth_time)
        out.append(study_data.FamilySummary(
            family=fam, day=day,
            sessions_done=int(done.get(fam.id, 0)),
            sessions_planned=len(protocol.days) * protocol.sessions_per_day,
            pre_done=any(study_data.occasion_kind(m[1]) == study_data.PRE for m in done_ms),
            post_done=any(study_data.occasion_kind(m[1]) == study_data.POST for m in done_ms),
            latest_class=latest[2] if latest else None, latest_class_label=label,
            open_alerts=open_alerts.get(fam.id, 0), members=members[fam.id],
            occasions=study_data.states_of(protocol, fam, day, [(m[1], m[3]) for m in done_ms]),
        ))
    return out


def _open_questions(session: Session, facility_id: int, kind: str | None = None) -> dict[int, int]:
    from sqlalchemy import func

    stmt = (_of_facility(select(Question.family_id, func.count()), Question, facility_id)
            .where(col(Question.answered_at).is_(None)))
    if kind is not None:
        stmt = stmt.where(Question.kind == kind)
    return {fid: int(n) for fid, n in session.exec(stmt.group_by(Question.family_id))}


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


def last_contacts(session: Session, facility_id: int) -> dict[int, datetime]:
    """The last time each family did something the bot stored (a checklist, a session, a question)."""
    from sqlalchemy import func

    out: dict[int, datetime] = {}

    def take(rows) -> None:
        for fid, at in rows:
            if at is not None and (fid not in out or at > out[fid]):
                out[fid] = at

    # A checklist's last answer is at most its completion; an unfinished one counts from its start (reading
    # every answer of a facility for this took most of the time of the whole table).
    take(session.exec(_of_facility(select(Measurement.family_id,
                                          func.max(func.coalesce(Measurement.completed_at, Measurement.started_at))),
                                   Measurement, facility_id).group_by(Measurement.family_id)))
    take(session.exec(_of_facility(select(MassageSession.family_id, func.max(MassageSession.started_at)),
                                   MassageSession, facility_id).group_by(MassageSession.family_id)))
    take(session.exec(_of_facility(select(Question.family_id, func.max(Question.asked_at)), Question, facility_id)
                      .group_by(Question.family_id)))
    return out


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


# -- acknowledging an alert, from the chat or the dashboard -----------------------------------------

@dataclass(frozen=True)
class Acknowledged:
    """What handling an alert changed, for the caller (the chat button or the dashboard) to send."""

    first: bool  # False: someone had handled it already (their name stays)
    note: str  # "Ditangani oleh Bidan Siti, 20/11 08:30 WIB"
    text: str  # the alert message as it reads now
    buttons: list
    edits: list[tuple[int, int]]  # (chat id, message id) of the alert messages shown to the midwives
    notices: list[tuple[int, str]]  # (chat id, text): colleagues, and the family (by bot.flows.alerts.acknowledge)


def acknowledge_alert(session: Session, content: Content, alert: Alert, *, staff_user_id: int, now: datetime,
                      actor: str = "telegram", memo: str | None = None) -> Acknowledged:
    """The acknowledgement path of bot/flows/alerts.py (``acknowledge``: marks the episode handled and tells the
    family), plus what the desk shows: the updated alert message for every copy, and the colleagues' note.
    ``memo``: what she did, in her own words (the dashboard asks for it): kept in the audit record and shown to
    her colleagues with the handled note, never sent to the family."""
    notices: list[tuple[int, str]] = []
    ack = alert_flow.acknowledge(session, content, alert_id=alert.id, staff_user_id=staff_user_id, now=now,
                                 send=lambda chat, text: notices.append((chat, text)))
    alert = ack.alert or alert
    note = alert_flow.handled_note(session, content, alert)
    message = alert_flow.alert_message(session, content, alert, now=now, handled=True)
    edits = [(m.chat_id, m.message_id) for m in question_store.messages_of(session, "alert", alert.id)]
    # The ladder's repeats were sent later by the dispatcher, which keeps each one's message id on its row.
    edits += [(r.chat_id, r.telegram_message_id) for r in alert_store.repeat_rows(session, alert.id)
              if r.status == "sent" and r.chat_id is not None and r.telegram_message_id is not None
              and (r.chat_id, r.telegram_message_id) not in edits]
    if ack.first:
        audit.record(session, action="alert_handled", now=now, actor=actor, actor_user_id=staff_user_id,
                     facility_id=alert.facility_id, rows=1,
                     detail={"alert_id": alert.id, "sign": alert.sign_id, **({"note": memo} if memo else {})})
        if memo:
            note += "\n" + content.text("desk.ack_note", catatan=memo)
        family = session.get(Family, alert.family_id)
        colleague_text = content.text("midwife.alert_handled_colleague", kode=family.code if family else "-",
                                      tanda=alert_flow.sign_text(content, alert.sign_id), catatan=note)
        for _other, user in staff_store.recipients(session, alert.facility_id) if alert.facility_id else []:
            if user.id != staff_user_id:
                notices.append((user.chat_id, colleague_text))
    return Acknowledged(ack.first, note, message.text + "\n\n" + note, message.buttons, edits, notices)
