"""The reminder schedule of a family, computed from its protocol and written as Outbox rows.

CONTRACT (called by the conversation flows):
- ``reschedule_family(session, family_id, *, now, settings) -> ScheduleResult`` — (re)compute every future
  reminder of the family after registration or a change of birth date, time zone, protocol, times or
  members; pending rows that no longer fit are cancelled, in the same transaction as the change.
  A paused, finished or deleted family (or one without a birth date) gets no reminders: its pending rows
  are cancelled. Call it again after /lanjut (resume): cancelled rows that are still ahead come back.
- ``cancel_family(session, family_id, *, now, reason) -> int`` — cancel every pending reminder row of the
  family (pause, deletion). Rows of other kinds (e.g. a midwife's alert) are left alone.

What is scheduled (all local times in the family's time zone; day 0 = birth day, day 1 = the day after):
- ``massage`` — one reminder per session on each massage day, at the session times, to every member.
- ``checklist`` — each pre/post measurement of the protocol: ``before_first_session`` comes
  :data:`CHECKLIST_LEAD` before the day's first session, ``after_last_session`` comes when the day's last
  session should be over (its time + the protocol's longest session + :data:`CHECKLIST_LEAD`),
  ``first_time`` at the day's first reminder time. Sent to the mother (to every member if she is not
  reachable through the bot).
- ``education`` — each education message of the protocol :data:`EDUCATION_DELAY` after the reminder it
  belongs to, to the members its audience names.

Session times: the family's own (/jadwal, ``Family.reminder_times``), else the protocol's, else
``settings.reminder_times``; a list whose length does not match ``sessions_per_day`` is skipped, and if
none matches the sessions are spread evenly over the day (:func:`resolve_times`).

Quiet hours: nothing is planned between 21:00 and 06:00 local time; a planned time is pulled into the day
(:func:`clamp_to_day`), and the dispatcher never sends a row that would arrive at night.

Spreading the morning peak (``settings.jitter``)
-----------------------------------------------
Every family gets a stable offset ``j = H(family id) mod W`` seconds (W = the jitter window, default
10 min; H = SHA-256), added to all its items. The same family is reminded at the same minute every day
(07:04, 16:04 …), and across families the due times are spread evenly over ``[07:00, 07:00 + W)``.

The arithmetic for ~70,000 reminders due at 07:00 WIB: Telegram lets one bot send about 30 messages
per second (the AIORateLimiter in bot/core/app.py), so draining 70,000 takes at least 70,000 / 30 ≈ 2,333 s
≈ 39 min however the rows are spread. Without jitter all 70,000 are due at 07:00:00 and the queue starts
39 min deep. With W = 10 min rows arrive at 70,000 / 600 ≈ 117 per second; the backlog peaks at
(117 − 30) × 600 ≈ 52,000 rows at 07:10 and is gone by about 07:39, inside the 2 h grace
(``settings.grace``), so nothing expires. A window of W ≥ 70,000 / 30 s ≈ 39 min would keep the queue
empty (each reminder leaves within a few seconds of its own due time). The dispatcher claims
``settings.dispatch_batch`` rows per claim and keeps claiming within a tick while batches come back
full, so its own pace is bounded by Telegram's limit, not by the tick interval. Quiet hours leave room
for the window: a planned time is clamped to at most 21:00 − W − 5 min.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from bot.core.config import ConfigError, Settings, parse_times
from bot.flows import dates
from content import get_content
from storage import outbox

QUIET_START = time(21, 0)
QUIET_END = time(6, 0)
CHECKLIST_LEAD = timedelta(minutes=15)
EDUCATION_DELAY = timedelta(minutes=5)
QUIET_MARGIN = timedelta(minutes=5)

MASSAGE = "massage"
CHECKLIST = "checklist"
EDUCATION = "education"
SNOOZE = "snooze"
PLANNED_KINDS = (MASSAGE, CHECKLIST, EDUCATION)
REMINDER_KINDS = (*PLANNED_KINDS, SNOOZE)

# Who receives an item: everyone, the mother (everyone if she cannot be reached), or the companions.
ALL = "all"
MOTHER = "mother"
COMPANIONS = "companions"
_EDU_AUDIENCE = {"ibu": MOTHER, "suami": COMPANIONS, "semua": ALL}


@dataclass(frozen=True)
class ScheduleResult:
    created: int = 0
    cancelled: int = 0
    missed: list[str] = field(default_factory=list)  # kinds of items already past at registration
    moved: int = 0  # pending rows given a new due time
    missed_items: int = 0  # how many items (not rows) were already past


@dataclass(frozen=True)
class PlannedItem:
    """One thing to say to a family at one instant (before it is expanded per recipient)."""

    kind: str  # massage | checklist | education
    slot: str  # stable within the family: "d1s1", "pre_d1", "edu_d1s1_<id>"
    day: int
    session: int | None  # 1-based reminder of that day the item belongs to
    local: datetime  # aware, in the family's time zone, jitter included
    audience: str  # ALL | MOTHER | COMPANIONS
    occasion: str | None = None  # pre | post (checklist)
    education_id: str | None = None
    offset: timedelta = timedelta(0)  # the family's jitter, included in ``local``

    @property
    def due(self) -> datetime:
        return self.local.astimezone(UTC)

    @property
    def missed_label(self) -> str:
        """What the person missed, in the words of ``ScheduleResult.missed``."""
        return f"checklist_{self.occasion}" if self.kind == CHECKLIST else self.kind

    def payload(self, *, tz: str, protocol_id: str, sessions_per_day: int) -> dict:
        data = {
            "slot": self.slot,
            "day": self.day,
            "session": self.session,
            "sessions": sessions_per_day,
            "tz": tz,
            "local": (self.local - self.offset).strftime("%H:%M"),  # the planned time, without jitter
            "protocol": protocol_id,
        }
        if self.occasion:
            data["occasion"] = self.occasion
        if self.education_id:
            data["education_id"] = self.education_id
        return data


# -- pure rules ------------------------------------------------------------------------------------------

def zone(tz: str | None, default: str = "Asia/Jakarta") -> ZoneInfo:
    try:
        return ZoneInfo(tz or default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def in_quiet_hours(local: datetime | time) -> bool:
    """True between 21:00 and 06:00 (local wall time)."""
    t = local.timetz().replace(tzinfo=None) if isinstance(local, datetime) else local
    return t >= QUIET_START or t < QUIET_END


def family_offset(key: object, window: timedelta) -> timedelta:
    """The family's stable jitter in ``[0, window)``, whole seconds."""
    seconds = int(window.total_seconds())
    if seconds <= 0:
        return timedelta(0)
    digest = hashlib.sha256(f"family:{key}".encode()).digest()
    return timedelta(seconds=int.from_bytes(digest[:8], "big") % seconds)


def latest_time(jitter: timedelta) -> time:
    """The latest local time an item may be planned so that, with its jitter, it is sent before 21:00."""
    latest = datetime.combine(date(2000, 1, 1), QUIET_START) - jitter - QUIET_MARGIN
    return max(latest.time(), QUIET_END)


def clamp_to_day(t: time, jitter: timedelta = timedelta(0)) -> time:
    """Pull a wall time out of the quiet hours: not before 06:00, not after :func:`latest_time`."""
    return min(max(t, QUIET_END), latest_time(jitter))


def spread_times(n: int) -> tuple[time, ...]:
    """``n`` session times spread evenly from 07:00 to 19:00."""
    if n == 1:
        return (time(7, 0),)
    step = (19 - 7) * 60 // (n - 1)
    return tuple(time(7 + (i * step) // 60, (i * step) % 60) for i in range(n))


def resolve_times(protocol, family_times: str | None, default_times: Sequence[time]) -> tuple[time, ...]:
    """The local session times of a family (see the module docstring for the order of preference)."""
    n = protocol.sessions_per_day
    candidates: list[Sequence[time]] = []
    if family_times:
        try:
            candidates.append(parse_times(family_times, "reminder_times"))
        except ConfigError:
            pass
    if protocol.times:
        candidates.append(tuple(time.fromisoformat(t) for t in protocol.times))
    candidates.append(tuple(sorted(default_times)))
    for times in candidates:
        if len(times) == n:
            return tuple(times)
    return spread_times(n)


def compute_schedule(
    protocol,
    birth_date: date,
    tz: str,
    times: Sequence[time],
    now: datetime | None = None,
    *,
    jitter: timedelta = timedelta(0),
    family_key: object = None,
    education: Mapping[str, object] | None = None,
    birth_time: str | None = None,
) -> list[PlannedItem]:
    """Every item of the protocol for a baby born on ``birth_date``, in due order.

    ``times`` are the local session times (one per session; see :func:`resolve_times`), ``jitter`` the
    window of the stable per-family offset (needs ``family_key``), ``education`` the content's education
    messages (for their audience; unknown ids go to everyone). With ``now`` only items due after ``now``
    are returned (late registration: the past is not sent).
    """
    if len(times) != protocol.sessions_per_day:
        raise ValueError(f"{len(times)} times for {protocol.sessions_per_day} sessions a day")
    tzinfo = zone(tz)
    offset = family_offset(family_key, jitter) if family_key is not None else timedelta(0)
    session_times = [clamp_to_day(t, jitter) for t in sorted(times)]
    longest = timedelta(minutes=protocol.session_minutes[1])

    def slots(day: int) -> list[dates.SessionSlot]:
        return dates.day_sessions(birth_date, tzinfo.key, day, session_times, birth_time)

    def clamped(local: datetime) -> datetime:
        return datetime.combine(local.date(), clamp_to_day(local.time(), jitter), tzinfo=tzinfo) + offset

    items: list[PlannedItem] = []
    for day in protocol.days:
        for slot in slots(day):
            items.append(PlannedItem(MASSAGE, f"d{day}s{slot.session}", day, slot.session, slot.at + offset, ALL,
                                     offset=offset))
    for m in protocol.measurements:
        day_slots = slots(m.day)
        if m.slot == "before_first_session":
            local, s = day_slots[0].at - CHECKLIST_LEAD, 1
        elif m.slot == "after_last_session":
            local, s = day_slots[-1].at + longest + CHECKLIST_LEAD, len(day_slots)
        else:  # first_time
            local, s = day_slots[0].at, 1
        items.append(PlannedItem(CHECKLIST, f"{m.occasion}_d{m.day}", m.day, s, clamped(local), MOTHER,
                                 occasion=m.occasion, offset=offset))
    for e in protocol.education:
        s = min(max(e.session, 1), len(session_times))
        local = slots(e.day)[s - 1].at + EDUCATION_DELAY
        message = (education or {}).get(e.education_id)
        audience = _EDU_AUDIENCE.get(getattr(message, "audience", "semua"), ALL)
        items.append(PlannedItem(EDUCATION, f"edu_d{e.day}s{s}_{e.education_id}"[:60], e.day, s,
                                 clamped(local), audience, education_id=e.education_id, offset=offset))
    items.sort(key=lambda i: (i.due, _KIND_ORDER[i.kind], i.slot))
    if now is not None:
        items = [i for i in items if i.due > now]
    return items


_KIND_ORDER = {CHECKLIST: 0, MASSAGE: 1, EDUCATION: 2}


def recipients_for(item: PlannedItem, members: Sequence[outbox.Recipient]) -> list[outbox.Recipient]:
    """Who receives ``item`` among the family's reachable members."""
    if item.audience == MOTHER:
        mothers = [m for m in members if m.role == "mother"]
        return mothers or list(members)
    if item.audience == COMPANIONS:
        return [m for m in members if m.role != "mother"]
    return list(members)


def dedupe_key(family_id: int, kind: str, slot: str, user_id: int) -> str:
    """family + kind + slot + recipient: one row per reminder per person, ever."""
    return f"f{family_id}:{kind}:{slot}:u{user_id}"


def slot_prefix(family_id: int, kind: str, slot: str) -> str:
    return f"f{family_id}:{kind}:{slot}:u"


# -- writing rows ----------------------------------------------------------------------------------------

def family_times(family, protocol, settings: Settings) -> tuple[time, ...]:
    return resolve_times(protocol, family.reminder_times, settings.reminder_times)


def protocol_of(family, content):
    return content.protocols.get(family.protocol_id) or content.default_protocol


def reschedule_family(
    session: Session, family_id: int, *, now: datetime, settings: Settings, content=None
) -> ScheduleResult:
    """(Re)write the family's reminder rows to match its protocol, birth date, time zone, times, members.

    Idempotent: calling it twice changes nothing the second time. Rows already sent, failed or expired
    are never written again (a reminder is not doubled because the schedule changed); pending rows move
    to their new time (one whose new time has already passed is sent late if that is inside the grace
    window, else cancelled); rows no longer wanted are cancelled; cancelled rows still ahead come back.
    """
    fam = outbox.family(session, family_id)
    if fam is None:
        return ScheduleResult()
    if fam.status != "active" or fam.reminders_paused or fam.birth_date is None:
        return ScheduleResult(cancelled=cancel_family(session, family_id, now=now, reason="not scheduled"))
    if content is None:
        content = get_content()
    protocol = protocol_of(fam, content)
    tz = fam.timezone or settings.default_timezone
    items = compute_schedule(
        protocol, fam.birth_date, tz, family_times(fam, protocol, settings),
        jitter=settings.jitter, family_key=fam.id, education=content.education,
        birth_time=getattr(fam, "birth_time", None),
    )
    members = outbox.recipients(session, family_id)
    existing = {row.dedupe_key: row for row in outbox.rows_for_family(session, family_id, PLANNED_KINDS)}
    scheduled_slots = {key.rsplit(":u", 1)[0] for key in existing}

    def scheduled_due(item: PlannedItem) -> datetime | None:
        prefix = slot_prefix(family_id, item.kind, item.slot)[:-2]
        dues = [row.due_at for key, row in existing.items() if key.rsplit(":u", 1)[0] == prefix]
        return min(dues) if dues else None

    items = _late_baseline(items, now, scheduled_due)

    created = moved = 0
    new_rows: list[dict] = []  # written together after the loop: one statement instead of one per row
    wanted: set[str] = set()
    missed: list[PlannedItem] = []
    for item in items:
        future = item.due > now
        slot_key = slot_prefix(family_id, item.kind, item.slot)[:-2]
        if not future and slot_key not in scheduled_slots:
            missed.append(item)  # past before the family was ever scheduled for it: not sent
            continue
        payload = item.payload(tz=tz, protocol_id=protocol.id, sessions_per_day=protocol.sessions_per_day)
        for member in recipients_for(item, members):
            key = dedupe_key(family_id, item.kind, item.slot, member.user_id)
            wanted.add(key)
            row = existing.get(key)
            if row is None:
                if future:
                    new_rows.append(dict(dedupe_key=key, kind=item.kind, due_at=item.due, family_id=family_id,
                                         user_id=member.user_id, chat_id=member.chat_id, payload=payload))
            elif row.status in (outbox.PENDING, outbox.CANCELLED) and future and not _settled(row):
                was = (row.status, row.due_at)
                if was != (outbox.PENDING, item.due) or row.payload != payload or row.chat_id != member.chat_id:
                    outbox.reschedule(session, row, due_at=item.due, payload=payload, chat_id=member.chat_id)
                    if was[0] == outbox.CANCELLED:
                        created += 1
                    elif was[1] != item.due:
                        moved += 1
            elif row.status == outbox.PENDING and not future and row.due_at != item.due and not _settled(row):
                # Its new time has already passed (e.g. the birth date was corrected to an earlier day):
                # still sent, late, if inside the grace window; otherwise it is a missed item.
                if now - item.due <= settings.grace:
                    outbox.reschedule(session, row, due_at=item.due, payload=payload, chat_id=member.chat_id)
                    moved += 1
                else:
                    wanted.discard(key)
            # claimed, sent, failed, expired: in flight or done; a past pending row keeps its time
    created += outbox.insert_many(session, new_rows, now=now)
    stale = [row.id for key, row in existing.items() if key not in wanted and row.status == outbox.PENDING]
    cancelled = outbox.cancel_pending(session, ids=stale, reason="schedule changed") if stale else 0
    labels: list[str] = []
    for item in missed:
        if item.missed_label not in labels:
            labels.append(item.missed_label)
    return ScheduleResult(created=created, cancelled=cancelled, missed=labels, moved=moved,
                          missed_items=len(missed))


def _late_baseline(
    items: list[PlannedItem], now: datetime, scheduled: Callable[[PlannedItem], datetime | None]
) -> list[PlannedItem]:
    """A family that registers after the first checklist's time still gets it before its first massage.

    The "pre" measurement is the baseline the midwife compares with: without it the family's "post" answers
    cannot be analysed. So when the protocol's first pre checklist is already past (and was never scheduled)
    but massages are still ahead, it is moved to :data:`CHECKLIST_LEAD` before the next massage, or to a
    minute from now if that is sooner, never into the quiet hours.
    """
    pres = [i for i in items if i.kind == CHECKLIST and i.occasion == "pre"]
    if not pres:
        return items
    baseline = min(pres, key=lambda i: i.due)
    if baseline.due > now:
        return items
    already = scheduled(baseline)
    if already is not None:
        if already <= baseline.due:
            return items
        due = already  # moved at registration: keep that time
    else:
        ahead = [i.due for i in items if i.kind == MASSAGE and i.due > now]
        if not ahead:
            return items
        due = max(min(ahead) - CHECKLIST_LEAD, now + timedelta(minutes=1))
        if in_quiet_hours(due.astimezone(baseline.local.tzinfo)) or due >= min(ahead):
            return items
    moved = replace(baseline, local=due.astimezone(baseline.local.tzinfo))
    return sorted((moved if i is baseline else i for i in items), key=lambda i: (i.due, _KIND_ORDER[i.kind], i.slot))


def _settled(row) -> bool:
    """The family already said this session was done ("Sudah dilakukan"): the row stays as it is."""
    return "logged_session" in (row.payload or {})


def cancel_family(session: Session, family_id: int, *, now: datetime, reason: str) -> int:  # noqa: ARG001
    return outbox.cancel_pending(session, family_id=family_id, kinds=REMINDER_KINDS, reason=reason)
