"""Reminder messages: how each scheduled row is rendered, and the rules behind the reminder buttons and /jadwal.

Rows (see bot/flows/schedule.py) and what each person gets:
- ``massage`` — the husband or a companion: the reminder with "Mulai panduan pijat" (``pijat:start``); the
  mother: her own reminder, with "Isi ceklis" (``ceklis:start``) when a checklist belongs to this session.
  Everyone: "Ingatkan 30 menit lagi" (``rem:snooze:<row id>``) and "Sudah dilakukan" (``rem:done:<row id>``).
- ``checklist`` — "Isi ceklis" and "Ingatkan 30 menit lagi"; nothing is sent if it was already filled in.
- ``education`` — the education message, no buttons.
- ``snooze`` — the row it snoozes, again (payload ``of`` = the original kind).

A renderer returns None when there is nothing to send any more (family paused, finished or deleted, the
person left the family or cannot be reached): the dispatcher cancels the row.

Sentences come from content/texts/reminders.yaml when it has one under the same name whose placeholders
we can fill, else from content/texts/reminders_ui.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from bot.chat.keyboards import callback
from bot.core.config import Settings
from bot.flows import dates as day_dates
from bot.flows import schedule, windows
from bot.flows.outbox_kinds import Rendered, renderer
from content import ContentError
from content.loader import placeholders
from storage import outbox
from storage import sessions as session_store
from storage.models import Family, Outbox

SNOOZE_DELAY = timedelta(minutes=30)
OTHER_PERFORMER = 0  # "Orang lain" in answer to "Siapa yang memijat Ibu tadi?"
MIN_GAP = timedelta(minutes=60)  # between two session times chosen with /jadwal
START_MASSAGE = "pijat:start"
START_CHECKLIST = "ceklis:start"
ZONE_KEYS = {"Asia/Jakarta": "wib", "Asia/Makassar": "wita", "Asia/Jayapura": "wit"}
TEXT_FILES = ("reminders", "reminders_ui")


# -- sentences -------------------------------------------------------------------------------------------

def say(content, name: str, /, **available: object) -> str:
    """The sentence ``name`` from reminders.yaml (if usable) or reminders_ui.yaml, filled from ``available``."""
    for prefix in TEXT_FILES:
        key = f"{prefix}.{name}"
        if content.has_text(key):
            wanted = placeholders(content.texts[key])
            if wanted <= available.keys():
                return content.text(key, **{k: available[k] for k in wanted})
    raise ContentError("texts", f"reminders_ui.{name}", "no sentence with placeholders we can fill")


def zone_label(content, tz: str | None) -> str:
    key = ZONE_KEYS.get(tz or "")
    return say(content, f"zone.{key}") if key else (tz or "")


def local_time_label(content, instant: datetime, tz: str | None) -> str:
    local = instant.astimezone(schedule.zone(tz))
    return f"{local:%H:%M} {zone_label(content, tz)}".strip()


def role_key(role: str | None) -> str:
    return role if role in ("mother", "husband") else "companion"


# -- renderers -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Target:
    family: Family
    role: str


def _target(session: Session, row: Outbox) -> _Target | None:
    """The family and the person's role, if the row should still be sent."""
    if row.family_id is None:
        return None
    fam = outbox.family(session, row.family_id)
    if fam is None or fam.status != "active" or fam.reminders_paused:
        return None
    person = outbox.user(session, row.user_id)
    if person is None or not person.reachable or person.deleted_at is not None:
        return None
    member = outbox.membership(session, fam.id, person.id)
    if member is None or not member.active:
        return None
    return _Target(fam, member.role)


def _has_companion(session: Session, family_id: int) -> bool:
    return any(r.role != "mother" for r in outbox.recipients(session, family_id))


def _protocol(content, payload: dict):
    return content.protocols.get(payload.get("protocol") or "") or content.default_protocol


def _checklist_with_session(protocol, day: int, session_no: int) -> bool:
    """Whether a checklist belongs before this session (before the first of the day). The "after" one never
    rides on a massage reminder: it opens only once that massage is done (bot/flows/windows.after_opens),
    and the end of the massage offers it."""
    for m in protocol.measurements:
        if m.day == day and m.slot in ("before_first_session", "first_time") and session_no == 1:
            return True
    return False


def _after_not_open(session: Session, protocol, family: Family, payload: dict, now: datetime) -> bool:
    """A reminder for an "after" checklist whose massage is not done yet: it must not offer it early."""
    day = int(payload.get("day") or 0)
    m = windows.protocol_measurement(protocol, "post", day)
    if m is None or m.the_window.opens != "last_session":
        return False
    times = schedule.resolve_times(protocol, family.reminder_times, ())
    opens = windows.after_opens(protocol, day, family, times, windows.done_sessions(session, family.id))
    return opens is None or opens > now


def _with_prefix(content, text: str, row: Outbox) -> str:
    if row.kind == schedule.SNOOZE:
        return f"{say(content, 'massage.snoozed_prefix')}\n\n{text}"
    return text


def _snooze_button(content, row: Outbox) -> tuple[str, str]:
    return (say(content, "button.snooze"), callback("rem", "snooze", row.id))


SLOT_EARLY = timedelta(minutes=45)  # a massage done this long before a reminder counts for its slot


def slot_due(session: Session, row: Outbox) -> datetime:
    """When the reminder slot of ``row`` (a massage row, or a snooze of one) was due."""
    seen = 0
    while row.kind == schedule.SNOOZE and seen < 10:
        origin = outbox.get(session, int((row.payload or {}).get("from") or 0))
        if origin is None:
            return row.due_at - SNOOZE_DELAY
        row, seen = origin, seen + 1
    return row.due_at


def slot_done(session: Session, row: Outbox) -> bool:
    """Whether the massage of this reminder's slot is already done: logged with "Sudah dilakukan", or a
    guided session done (or timing now) since shortly before the slot."""
    if row.family_id is None:
        return False
    if "logged_session" in (row.payload or {}):
        return True
    slot = (row.payload or {}).get("slot")
    if slot:
        siblings = outbox.rows_with_key_prefix(session, schedule.slot_prefix(row.family_id, schedule.MASSAGE, slot))
        if any("logged_session" in (r.payload or {}) for r in siblings):
            return True
    return session_store.done_since(session, row.family_id, slot_due(session, row) - SLOT_EARLY)


def preload(session: Session, rows: list[Outbox]) -> None:
    """Read what :func:`slot_done` asks for a whole batch of massage reminders in two queries (the
    dispatcher renders a batch in one session): each slot's sibling rows, and the massages done since the
    earliest slot began. Without it, each reminder cost two queries of its own."""
    wanted: dict[str, tuple[int, str]] = {}
    families: set[int] = set()
    since: datetime | None = None
    for row in rows:
        if row.family_id is None or original_kind(row) != schedule.MASSAGE:
            continue
        slot = (row.payload or {}).get("slot")
        if slot:
            wanted[schedule.slot_prefix(row.family_id, schedule.MASSAGE, slot)] = (row.family_id, schedule.MASSAGE)
        families.add(row.family_id)
        start = slot_due(session, row) - SLOT_EARLY
        since = start if since is None else min(since, start)
    if wanted:
        outbox.preload_key_prefixes(session, wanted)
    if since is not None:
        session_store.preload_done(session, families, since)


def render_massage(session: Session, row: Outbox, content, now: datetime) -> Rendered | None:  # noqa: ARG001
    target = _target(session, row)
    if target is None or slot_done(session, row):
        return None  # never invite a second massage for a slot already done
    p = row.payload or {}
    protocol = _protocol(content, p)
    # The length the guide's timer runs (Protocol.session_seconds), never the protocol's range ("3–5").
    params = dict(hari=p.get("day"), sesi=p.get("session"), jumlah=p.get("sessions", protocol.sessions_per_day),
                  menit=max(1, protocol.session_seconds // 60), jam=p.get("local", ""))
    role = role_key(target.role)
    if protocol.performer == WORKER:
        return _render_worker_visit(content, row, target, params)
    text = say(content, f"massage.{role}", **params)
    rows: list[list[tuple[str, str]]] = []
    # The guide goes to whoever massages: the husband or companion, or the mother herself when she is
    # the only one in the family (someone at home can follow it on her phone).
    if role != "mother" or not _has_companion(session, target.family.id):
        rows.append([(say(content, "button.start_massage"), START_MASSAGE)])
    if role == "mother" and _checklist_with_session(protocol, int(p.get("day") or 0), int(p.get("session") or 0)):
        rows.append([(say(content, "button.checklist"), START_CHECKLIST)])
    rows.append([_snooze_button(content, row)])
    rows.append([(say(content, "button.done"), callback("rem", "done", row.id))])
    return Rendered(_with_prefix(content, text, row), rows)


WORKER = "petugas"  # a protocol whose massage a health worker gives (seed 002): the family is told of the visit


def _render_worker_visit(content, row: Outbox, target: _Target, params: dict) -> Rendered:
    """A health worker massages (the midwife logs it with /vital): the mother is told of the visit, and the
    husband or companion may keep her company; nobody in the family is asked to massage or to start the guide,
    and nobody logs it with "Sudah dilakukan" (the health worker's /vital logs it as hers, so the study counts the
    massage once and by its real performer)."""
    who = "mother" if target.role == "mother" else "other"
    return Rendered(_with_prefix(content, say(content, f"massage.worker_visit.{who}", **params), row))


def checklist_occasions(payload: dict) -> tuple[str, ...]:
    """The Measurement.occasion names this checklist reminder may have been filled in under."""
    occasion, day = payload.get("occasion") or "pre", payload.get("day")
    return (occasion, f"day{day}_{occasion}")


def render_checklist(session: Session, row: Outbox, content, now: datetime) -> Rendered | None:  # noqa: ARG001
    target = _target(session, row)
    if target is None:
        return None
    p = row.payload or {}
    if outbox.measurement_completed(session, target.family.id, checklist_occasions(p)):
        return None
    occasion = "post" if p.get("occasion") == "post" else "pre"
    if occasion == "post" and _after_not_open(session, _protocol(content, p), target.family, p, now):
        return None  # the massage is not done: its end offers the checklist (never before it)
    who = "mother" if target.role == "mother" else "other"
    text = say(content, f"checklist.{occasion}.{who}", hari=p.get("day"), jam=p.get("local", ""))
    rows = [[(say(content, "button.checklist"), START_CHECKLIST)], [_snooze_button(content, row)]]
    return Rendered(_with_prefix(content, text, row), rows)


def render_education(session: Session, row: Outbox, content, now: datetime) -> Rendered | None:  # noqa: ARG001
    if _target(session, row) is None:
        return None
    message = content.education.get((row.payload or {}).get("education_id") or "")
    if message is None:
        return None
    return Rendered(say(content, "education", judul=message.title, isi=message.text))


_BY_KIND = {schedule.MASSAGE: render_massage, schedule.CHECKLIST: render_checklist,
            schedule.EDUCATION: render_education}


def render_snooze(session: Session, row: Outbox, content, now: datetime) -> Rendered | None:
    original = _BY_KIND.get((row.payload or {}).get("of") or "")
    return original(session, row, content, now) if original else None


for _kind, _fn in (*_BY_KIND.items(), (schedule.SNOOZE, render_snooze)):
    renderer(_kind)(_fn)


# -- "Ingatkan 30 menit lagi" and "Sudah dilakukan" ----------------------------------------------------------

@dataclass(frozen=True)
class ButtonOutcome:
    status: str  # ok | already | night | stale | done (snooze: the slot's massage is done already)
    at: datetime | None = None  # snooze: when the new reminder comes
    day: int | None = None
    session: int | None = None


def _own_row(session: Session, row_id: int, telegram_id: int) -> tuple[Outbox, int] | None:
    row = outbox.get(session, row_id)
    person = outbox.user_by_telegram_id(session, telegram_id)
    if row is None or person is None or row.family_id is None or row.kind not in schedule.REMINDER_KINDS:
        return None
    fam = outbox.family(session, row.family_id)
    member = outbox.membership(session, row.family_id, person.id)
    if fam is None or fam.status != "active" or member is None or not member.active:
        return None
    return row, person.id


def original_kind(row: Outbox) -> str:
    return (row.payload or {}).get("of", row.kind) if row.kind == schedule.SNOOZE else row.kind


def snooze_key(row: Outbox, user_id: int) -> str:
    return f"f{row.family_id}:{schedule.SNOOZE}:r{row.id}:u{user_id}"


def snooze(session: Session, *, row_id: int, telegram_id: int, now: datetime) -> ButtonOutcome:
    """A new reminder 30 minutes from now, once per pressed message (a double tap changes nothing)."""
    found = _own_row(session, row_id, telegram_id)
    if found is None:
        return ButtonOutcome("stale")
    row, user_id = found
    fam = outbox.family(session, row.family_id)
    if fam.reminders_paused or original_kind(row) not in (schedule.MASSAGE, schedule.CHECKLIST):
        return ButtonOutcome("stale")
    if original_kind(row) == schedule.MASSAGE and slot_done(session, row):
        return ButtonOutcome("done")
    key = snooze_key(row, user_id)
    existing = outbox.get_by_key(session, key)
    if existing is not None:
        return ButtonOutcome("already", at=existing.due_at)
    due = now + SNOOZE_DELAY
    tz = (row.payload or {}).get("tz") or fam.timezone
    if schedule.in_quiet_hours(due.astimezone(schedule.zone(tz))):
        return ButtonOutcome("night")
    person = outbox.user(session, user_id)
    payload = {**(row.payload or {}), "of": original_kind(row), "from": row.id, "tz": tz}
    payload.pop("logged_session", None)
    if not outbox.insert(session, dedupe_key=key, kind=schedule.SNOOZE, due_at=due, now=now,
                         family_id=row.family_id, user_id=user_id, chat_id=person.chat_id, payload=payload):
        existing = outbox.get_by_key(session, key)
        return ButtonOutcome("already", at=existing.due_at if existing else due)
    return ButtonOutcome("ok", at=due)


def mark_done(session: Session, *, row_id: int, telegram_id: int, now: datetime,
              performer_user_id: int | None = None) -> ButtonOutcome:
    """Log the session as done without the guide (MassageSession status "logged"), once per reminder slot.

    Whoever presses first (the mother or the husband) logs it; the family's other copies of the same
    reminder then say it is already logged, and pending repeats of it are cancelled. The session is
    recorded as given by ``performer_user_id`` when known (the mother said who massaged her), else by
    the person who pressed.
    """
    found = _own_row(session, row_id, telegram_id)
    if found is None or original_kind(found[0]) != schedule.MASSAGE:
        return ButtonOutcome("stale")
    row, user_id = found
    p = row.payload or {}
    day, session_no, slot = p.get("day"), p.get("session"), p.get("slot")
    fam = outbox.family(session, row.family_id)
    siblings = outbox.rows_with_key_prefix(session, schedule.slot_prefix(fam.id, schedule.MASSAGE, slot))
    snoozes = [r for r in outbox.rows_for_family(session, fam.id, [schedule.SNOOZE])
               if (r.payload or {}).get("slot") == slot and (r.payload or {}).get("of") == schedule.MASSAGE]
    related = {r.id: r for r in [row, *siblings, *snoozes]}
    if any("logged_session" in (r.payload or {}) for r in related.values()) or slot_done(session, row):
        return ButtonOutcome("already", day=day, session=session_no)
    if performer_user_id == OTHER_PERFORMER:
        user_id = None  # someone who is not on the bot: the record says "unknown", not the mother
    elif performer_user_id is not None:
        member = outbox.membership(session, fam.id, performer_user_id)
        user_id = performer_user_id if member is not None and member.active else user_id
    done = outbox.log_session_done(session, family_id=fam.id, user_id=user_id, protocol_id=p.get("protocol")
                                   or fam.protocol_id, day=day, now=now)
    for r in related.values():
        outbox.set_payload(session, r, logged_session=done.id)
    outbox.cancel_pending(session, ids=[r.id for r in related.values()], reason="done")
    return ButtonOutcome("ok", day=day, session=session_no)


def performers(session: Session, *, row_id: int, telegram_id: int) -> list[outbox.Recipient] | None:
    """Who could have massaged: the family's other members, when the mother presses "Sudah dilakukan"
    in a family that has any (None: nothing to ask, log it as the presser's)."""
    found = _own_row(session, row_id, telegram_id)
    if found is None or original_kind(found[0]) != schedule.MASSAGE:
        return None
    row, user_id = found
    member = outbox.membership(session, row.family_id, user_id)
    if member is None or member.role != "mother":
        return None
    others = [r for r in outbox.recipients(session, row.family_id) if r.role != "mother"]
    return others or None


# -- /jadwal ---------------------------------------------------------------------------------------------

_TIME_TOKEN = re.compile(r"(\d{1,2})[:.](\d{2})")


def format_times(times) -> str:
    return ", ".join(t.strftime("%H:%M") for t in times)


def earliest_time() -> time:
    return schedule.QUIET_END


def parse_new_times(text: str, n: int, jitter: timedelta) -> tuple[time, ...] | None:
    """``n`` session times typed like "06:30, 15.30"; None unless they are valid, in the day and 1 h apart."""
    found = _TIME_TOKEN.findall(text or "")
    if len(found) != n:
        return None
    times = []
    for hh, mm in found:
        h, m = int(hh), int(mm)
        if h > 23 or m > 59:
            return None
        times.append(time(h, m))
    times.sort()
    if any(t < earliest_time() or t > schedule.latest_time(jitter) for t in times):
        return None
    for a, b in zip(times, times[1:], strict=False):
        if datetime.combine(date.min, b) - datetime.combine(date.min, a) < MIN_GAP:
            return None
    return tuple(times)


def example_times(n: int) -> str:
    return format_times(schedule.spread_times(n))


def times_of(fam: Family, content, settings: Settings) -> tuple[time, ...]:
    return schedule.family_times(fam, schedule.protocol_of(fam, content), settings)


def change_times(session: Session, fam: Family, times: tuple[time, ...] | None, *, now: datetime,
                 settings: Settings, content) -> schedule.ScheduleResult:
    """Store the family's own session times (None: back to the protocol's) and move the pending rows."""
    fam.reminder_times = format_times(times).replace(" ", "") if times else None
    session.add(fam)
    session.flush()
    return schedule.reschedule_family(session, fam.id, now=now, settings=settings, content=content)


def jadwal_text(session: Session, fam: Family, content, settings: Settings, now: datetime) -> str:
    protocol = schedule.protocol_of(fam, content)
    times = times_of(fam, content, settings)
    tz = fam.timezone or settings.default_timezone
    if fam.birth_date is not None:  # numbered as the reminders number them (bot/flows/dates.day_sessions)
        times = tuple(s.at.time() for s in day_dates.day_sessions(
            fam.birth_date, schedule.zone(tz).key, protocol.days[0], times, fam.birth_time))
    lines = "\n".join(say(content, "jadwal.time_line", sesi=i, jam=t.strftime("%H:%M"))
                      for i, t in enumerate(times, start=1))
    if fam.birth_date is not None:
        dates = ", ".join(f"{fam.birth_date + timedelta(days=d):%d/%m}" for d in protocol.days)
    else:
        dates = "-"
    if fam.reminders_paused:
        rest = say(content, "jadwal.paused")
    else:
        open_rows = [r for r in outbox.rows_for_family(session, fam.id, schedule.REMINDER_KINDS)
                     if r.status in outbox.OPEN and r.due_at > now]
        rest = (say(content, "jadwal.remaining", n=len(open_rows)) if open_rows
                else say(content, "jadwal.none_left"))
    if fam.reminder_times:
        rest = f"{rest}\n{say(content, 'jadwal.custom')}"
    return say(content, "jadwal.show", zona=zone_label(content, tz), jam_list=lines,
               hari_list="–".join(str(d) for d in (protocol.days[0], protocol.days[-1]))
               if len(protocol.days) > 1 else str(protocol.days[0]),
               tanggal=dates, sisa=rest)


def ask_params(fam: Family, content, settings: Settings) -> dict:
    protocol = schedule.protocol_of(fam, content)
    n = protocol.sessions_per_day
    return dict(n=n, zona=zone_label(content, fam.timezone or settings.default_timezone),
                contoh=example_times(n), awal=earliest_time().strftime("%H:%M"),
                akhir=schedule.latest_time(settings.jitter).strftime("%H:%M"))


def missed_note(content, result: schedule.ScheduleResult) -> str | None:
    """A kind sentence about what was already past at registration, or None if nothing was."""
    if not result.missed:
        return None
    names = [say(content, f"missed.{label}") for label in result.missed
             if content.has_text(f"reminders_ui.missed.{label}")]
    return say(content, "missed.note", daftar=say(content, "missed.separator").join(names))
