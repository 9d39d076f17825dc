"""The guided massage session as rules: one safety check, the guide (six cards the first time, one
reminder card later), then hands-free timing that sends a new message at each cue.

Where a person is in a session lives in their ChatState (flow ``massage``): ``{"sid": session id,
"stage": "check" | "new" | "card" | "ready" | "run" | "reason", ...}``. The MassageSession row records
the safety answers, the card reached, when the timing ends (``paced_until``) and the comfort answer.

The timing is durable: on "Mulai" every cue is an Outbox row (kind ``massage_cue``) due at its second,
sent by the dispatcher like any reminder (so it survives a restart and reads the injected clock). A
cue of a session that is no longer running renders as nothing and is cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.chat.keyboards import callback
from bot.flows.outbox_kinds import Rendered, renderer
from content.loader import placeholders
from content.sop import SafetyQuestion
from storage import outbox
from storage import sessions as store
from storage.models import MassageSession, Outbox

FLOW = "massage"
CHECK = "check"  # the full safety check: every question, toggles
NEW = "new"  # a later session of the day: "Ada keluhan baru sejak tadi?"
CARD = "card"
READY = "ready"
RUN = "run"
REASON = "reason"

STOP_REASONS = ("mother_uncomfortable", "baby_needs", "busy", "other")
SAFETY_STOP_PREFIX = "safety:"
NOT_LISTED = "not_listed"
RESTARTED = "restarted"
STOPPED_BY_USER = "user"
DANGER_SIGN = "danger_sign"  # a danger sign was reported during the session (bot/handlers/steps/interrupt.py)
NEW_COMPLAINT = "keluhan_baru"  # the answer key of the short check

CUE_KIND = "massage_cue"
CUE_GRACE = timedelta(seconds=90)  # a cue later than this is useless: dropped
END_GRACE = timedelta(hours=6)  # the end message (with the comfort question) still matters later


def start(session: Session, *, family_id: int, user_id: int | None, protocol_id: str, postpartum_day: int | None,
          now: datetime) -> MassageSession:
    return store.start(session, family_id=family_id, user_id=user_id, protocol_id=protocol_id,
                       postpartum_day=postpartum_day, now=now)


# -- the safety check -----------------------------------------------------------------------------------

def local_midnight(now: datetime, tz: str | None) -> datetime:
    try:
        zone = ZoneInfo(tz or "Asia/Jakarta")
    except Exception:  # noqa: BLE001
        zone = ZoneInfo("Asia/Jakarta")
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def checked_today(session: Session, family_id: int, questions: tuple[SafetyQuestion, ...], *, now: datetime,
                  tz: str | None) -> bool:
    """Whether the full safety check was answered "none of these" today (local day) for this family."""
    ids = {q.id for q in questions}
    for row in store.since(session, family_id, local_midnight(now, tz)):
        answers = row.safety_answers or {}
        if ids <= answers.keys() and not any(answers[i] for i in ids):
            return True
    return False


def signs_of(question: SafetyQuestion) -> list[str]:
    """The danger sign ids a "yes" to this question points to (``danger_sign``, or a ``sign`` field)."""
    out: list[str] = []
    for attr in ("sign", "signs", "danger_sign"):
        value = getattr(question, attr, None)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, (list, tuple)):
            out.extend(v for v in value if isinstance(v, str))
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class CheckOutcome:
    stop: bool
    picked: tuple[SafetyQuestion, ...] = ()
    danger_signs: tuple[str, ...] = ()


def answer_check(session: Session, row: MassageSession, questions: tuple[SafetyQuestion, ...],
                 picked_ids: list[str], *, now: datetime) -> CheckOutcome:
    """Record every question's answer at once (picked = "yes"). Any "yes" stops the session."""
    picked = tuple(q for q in questions if q.id in picked_ids)
    for q in questions:
        store.record_safety_answer(session, row, q.id, q in picked)
    if not picked:
        return CheckOutcome(stop=False)
    store.stop(session, row, now=now, reason=SAFETY_STOP_PREFIX + ",".join(q.id for q in picked))
    signs = tuple(dict.fromkeys(s for q in picked for s in signs_of(q)))
    return CheckOutcome(stop=True, picked=picked, danger_signs=signs)


def answer_new(session: Session, row: MassageSession, has_new: bool) -> None:
    store.record_safety_answer(session, row, NEW_COMPLAINT, has_new)


def stop_not_listed(session: Session, row: MassageSession, *, now: datetime) -> None:
    store.stop(session, row, now=now, reason=SAFETY_STOP_PREFIX + NOT_LISTED)


def toggle(picked: list[str], question_id: str) -> list[str]:
    return [p for p in picked if p != question_id] if question_id in picked else [*picked, question_id]


# -- the guide and the timing ---------------------------------------------------------------------------

def first_time(session: Session, user_id: int) -> bool:
    return not store.completed_by_user(session, user_id)


def reach_card(session: Session, row: MassageSession, card_id: str) -> None:
    store.reach_step(session, row, f"card:{card_id}")


def cue_key(session_id: int, n: int) -> str:
    return f"s{session_id}:cue:{n}"


def start_timing(session: Session, row: MassageSession, plan: list[tuple[int, str, int]], *, chat_id: int,
                 user_id: int, now: datetime) -> datetime:
    """Queue every cue after the first as an Outbox row due at its second; returns when the timing ends."""
    total = plan[-1][0]
    passes = plan[-1][2]
    rows = []
    for n, (offset, cue, minute) in enumerate(plan):
        if offset == 0:
            continue  # the start message, sent at once
        end = cue == "end"
        rows.append(dict(
            dedupe_key=cue_key(row.id, n), kind=CUE_KIND, due_at=now + timedelta(seconds=offset),
            family_id=row.family_id, user_id=user_id, chat_id=chat_id,
            payload={"sid": row.id, "cue": cue, "minute": minute, "minutes": passes, "left": total - offset,
                     "grace_seconds": int((END_GRACE if end else CUE_GRACE).total_seconds())},
        ))
    outbox.insert_many(session, rows, now=now)
    until = now + timedelta(seconds=total)
    store.set_paced(session, row, until)
    row.step_reached = "timing"
    session.add(row)
    return until


def cancel_timing(session: Session, row: MassageSession) -> int:
    pending = [r.id for r in outbox.rows_with_key_prefix(session, f"s{row.id}:cue:") if r.status in outbox.OPEN]
    return outbox.cancel_pending(session, ids=pending, reason="session stopped") if pending else 0


def clock_text(seconds: int) -> str:
    """12:05 for 725 seconds."""
    return f"{seconds // 60:d}:{seconds % 60:02d}"


def minutes_rounded(seconds: int | None) -> int:
    return max(0, round((seconds or 0) / 60))


def stop_session(session: Session, row: MassageSession, *, now: datetime, reason: str = STOPPED_BY_USER) -> int:
    """THE way a massage is stopped (the "⏹ Berhenti" button, a typed "berhenti", a danger sign, a restart):
    the session is marked stopped with ``reason`` and its queued cues are cancelled. Returns how many cues
    were cancelled. Safe to call on a session that is no longer running (nothing changes)."""
    if row.status != store.IN_PROGRESS:
        return 0
    store.stop(session, row, now=now, reason=reason)
    return cancel_timing(session, row)


stop = stop_session  # the older name


def was_timing(row: MassageSession) -> bool:
    """Whether the hands-free timing had started (then a stop asks why)."""
    return row.paced_until is not None


def last_cue(session: Session, row: MassageSession) -> Outbox | None:
    """The newest cue already sent for this session ("ulang" says it again)."""
    sent = [r for r in outbox.rows_with_key_prefix(session, f"s{row.id}:cue:") if r.status == outbox.SENT]
    return max(sent, key=lambda r: r.due_at) if sent else None


def offered_for_confirmation(row: MassageSession) -> bool:
    """The mother is asked whether she was massaged (``guide.confirm_ask``) only for a session that ran its full time:
    never for one stopped early or for a danger sign."""
    return row.status == store.COMPLETED and row.stop_reason is None


def timing_over(row: MassageSession, now: datetime) -> bool:
    return row.status == store.IN_PROGRESS and row.paced_until is not None and row.paced_until <= now


@renderer(CUE_KIND)
def render_cue(session: Session, row, content, now: datetime) -> Rendered | None:  # noqa: ARG001
    p = row.payload or {}
    ms = store.get(session, int(p.get("sid") or 0))
    if ms is None or ms.status != store.IN_PROGRESS or ms.paced_until is None:
        return None
    cue = p.get("cue")
    stop_row = [(content.text("guide.button_stop_run"), callback("pijat", "halt", ms.id))]
    if cue == "end":
        return Rendered(content.text("guide.end"), [[
            (content.text("guide.button_comfort_yes"), callback("pijat", "fine", ms.id, "y")),
            (content.text("guide.button_comfort_no"), callback("pijat", "fine", ms.id, "n")),
        ]])
    key = f"guide.cue.{cue}"
    if not content.has_text(key):
        return None
    values = {"menit": p.get("minute"), "jumlah": p.get("minutes"), "sisa": clock_text(int(p.get("left") or 0))}

    wanted = placeholders(content.texts[key])
    return Rendered(content.text(key, **{k: v for k, v in values.items() if k in wanted}), [stop_row])
