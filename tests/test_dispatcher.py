"""The dispatcher against the fake Bot API, driven tick by tick with an injected clock (no waiting)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.commands.worker import build_bot
from bot.core.runtime import Runtime
from bot.devtools import fake_telegram as ft
from bot.flows import schedule
from bot.flows.outbox_kinds import Rendered, renderer
from bot.flows.schedule import family_offset, reschedule_family
from bot.reminders.dispatcher import Dispatcher, TickResult, dispatch_once
from content import get_content
from storage import outbox
from tests.test_reminders_support import make_family, rows

BIRTH = date(2026, 11, 20)
WITA = ZoneInfo("Asia/Makassar")
REGISTERED = datetime(2026, 11, 20, 22, 0, tzinfo=WITA)  # 22:00 WITA on the birth day


def runtime_for(settings, db, clock) -> Runtime:
    return Runtime(settings=settings, db=db, content=get_content(), clock=clock, worker_id="test-worker")


def sends_to(fake, chat_id: int) -> list:
    return [c for c in fake.calls_to("sendMessage") if c.ok and int(c.chat_id) == chat_id]


async def run_until(dispatcher: Dispatcher, clock, end: datetime, db, step: timedelta = timedelta(hours=1)) -> TickResult:
    """Move the clock forward to ``end``, ticking at every due time and at least every ``step``."""
    total = TickResult()
    while clock.now() < end:
        with db.session() as s:
            due = outbox.next_due(s)
        target = min(end, clock.now() + step)
        if due is not None and clock.now() < due < target:
            target = due
        clock.set(target)
        total += await dispatcher.tick()
    return total


async def test_family_registered_at_22_wita_gets_the_protocol_at_the_right_instants(
    bot, db, clock, fake_tg, mother, husband
):
    fake_tg.clock = clock
    clock.set(REGISTERED)
    with db.session() as s:
        fid = make_family(s, now=clock.now(), birth_date=BIRTH, tz="Asia/Makassar",
                          members=[(mother.id, "mother"), (husband.id, "husband")])
        result = reschedule_family(s, fid, now=clock.now(), settings=bot.settings)
    assert result.missed == []
    dispatcher = Dispatcher(bot.runtime, bot.app.bot, per_chat_gap=0)
    total = await run_until(dispatcher, clock, datetime(2026, 11, 25, 12, 0, tzinfo=WITA), db)

    content = get_content()
    protocol = content.default_protocol
    offset = family_offset(fid, bot.settings.jitter)

    def at(day: int, hh: int, mm: int) -> datetime:
        return datetime.combine(BIRTH + timedelta(days=day), datetime.min.time(), WITA).replace(hour=hh, minute=mm) \
            .astimezone(UTC) + offset

    massage_instants = [at(d, hh, 0) for d in (1, 2, 3) for hh in (7, 16)]
    assert massage_instants[0] == datetime(2026, 11, 20, 23, 0, tzinfo=UTC) + offset
    for person, role in ((mother, "mother"), (husband, "husband")):
        got = [m for m in person.messages]
        massages = [m for m in got if "Ingatkan 30 menit lagi" in m.button_labels and "Sudah dilakukan"
                    in m.button_labels]
        assert [m.date for m in massages] == massage_instants, role
        for m in got:
            local = m.date.astimezone(WITA)
            assert 6 <= local.hour < 21, f"{role} got a message at night: {local}"
        if role == "husband":
            assert all("Mulai panduan pijat" in m.button_labels for m in massages)
            assert all("Isi ceklis" not in m.button_labels for m in got)
        else:
            assert all("Mulai panduan pijat" not in m.button_labels for m in massages)
            checklists = [m for m in got if m.button_labels == ["Isi ceklis", "Ingatkan 30 menit lagi"]]
            assert [m.date for m in checklists] == [at(1, 6, 45), at(4, 7, 0)]
            assert "Isi ceklis" in massages[0].button_labels  # the pre checklist belongs to the first session
        education = [m for m in got if m.text.startswith("📖")]
        wanted = [e for e in protocol.education
                  if content.education[e.education_id].audience in ("semua", "ibu" if role == "mother" else "suami")]
        assert len(education) == len(wanted)
    assert total.failed == total.expired == total.retried == 0
    assert {r.status for r in rows(db, fid)} == {"sent"}
    assert all(r.telegram_message_id for r in rows(db, fid))


async def test_downtime_inside_grace_still_sends_and_outside_grace_expires(bot, db, clock, fake_tg, mother, husband):
    fake_tg.clock = clock
    clock.set(REGISTERED)
    cfg = bot.settings.with_(jitter=timedelta(0))
    with db.session() as s:
        early = make_family(s, now=clock.now(), birth_date=BIRTH, tz="Asia/Makassar", members=[(mother.id, "mother")])
        reschedule_family(s, early, now=clock.now(), settings=cfg)
    first_due = rows(db, early)[0].due_at  # the pre checklist, 06:45 WITA day 1
    dispatcher = Dispatcher(runtime_for(cfg, db, clock), bot.app.bot, per_chat_gap=0)
    # Down from the evening until 08:30 WITA: 06:45 and 07:00 are inside the 2 h grace.
    clock.set(datetime(2026, 11, 21, 8, 30, tzinfo=WITA))
    result = await dispatcher.tick()
    assert result.expired == 0
    sent = [r for r in rows(db, early) if r.status == "sent"]
    assert {(r.kind, r.payload["slot"]) for r in sent} >= {("checklist", "pre_d1"), ("massage", "d1s1")}
    assert all(r.due_at < clock.now() for r in sent) and result.sent == len(sent)
    assert [m.date for m in mother.messages] == [clock.now()] * len(sent)
    assert first_due < clock.now() - timedelta(hours=1)
    # Down again past the 16:00 reminder by more than the grace: it is expired, never sent.
    clock.set(datetime(2026, 11, 21, 18, 10, tzinfo=WITA))
    sent_before = len(mother.messages)
    result = await dispatcher.tick()
    assert result.expired >= 1 and result.sent == 0
    assert len(mother.messages) == sent_before
    expired = [r for r in rows(db, early) if r.status == "expired"]
    assert [r.payload["slot"] for r in expired if r.kind == "massage"] == ["d1s2"]
    assert all("late" in r.last_error for r in expired)


async def test_a_late_reminder_is_never_sent_at_night(bot, db, clock, fake_tg, mother):
    fake_tg.clock = clock
    clock.set(REGISTERED)
    cfg = bot.settings.with_(jitter=timedelta(0))
    with db.session() as s:
        fid = make_family(s, now=clock.now(), birth_date=BIRTH, tz="Asia/Makassar", members=[(mother.id, "mother")],
                          reminder_times="08:00,20:30")
        reschedule_family(s, fid, now=clock.now(), settings=cfg)
    dispatcher = Dispatcher(runtime_for(cfg, db, clock), bot.app.bot, per_chat_gap=0)
    clock.set(datetime(2026, 11, 21, 20, 0, tzinfo=WITA))
    await dispatcher.tick()  # the morning ones
    sent = len(mother.messages)
    clock.set(datetime(2026, 11, 21, 21, 10, tzinfo=WITA))  # 40 min late, inside grace, but night
    result = await dispatcher.tick()
    assert result.expired >= 1 and result.sent == 0  # the 20:30 reminder and its education messages
    assert len(mother.messages) == sent
    row = next(r for r in rows(db, fid, "massage") if r.payload["slot"] == "d1s2")
    assert (row.status, row.last_error) == ("expired", "quiet hours")


async def test_injected_429_403_500_and_timeouts_lose_nothing(settings, db, clock, fake_tg):
    fake_tg.clock = clock
    cfg = settings.with_(jitter=timedelta(0))
    ids = {"rate": 3001, "blocked": 3002, "server": 3003, "slow": 3004, "drop": 3005, "fine": 3006}
    clock.set(REGISTERED)
    with db.session() as s:
        fams = {}
        for name, tid in ids.items():
            fams[name] = make_family(s, now=clock.now(), birth_date=BIRTH, tz="Asia/Makassar",
                                     members=[(tid, "mother")])
            reschedule_family(s, fams[name], now=clock.now(), settings=cfg)
    fake_tg.inject("sendMessage", ft.RetryAfter(seconds=7), chat_id=ids["rate"])
    fake_tg.block(ids["blocked"])
    fake_tg.inject("sendMessage", ft.ServerError(500), chat_id=ids["server"])
    fake_tg.inject("sendMessage", ft.Slow(seconds=1.5), chat_id=ids["slow"])
    fake_tg.inject("sendMessage", ft.Drop(after_apply=True), chat_id=ids["drop"])
    async with build_bot(cfg, read_timeout=0.5) as client:
        dispatcher = Dispatcher(runtime_for(cfg, db, clock), client, per_chat_gap=0)
        clock.set(datetime(2026, 11, 21, 7, 1, tzinfo=WITA))  # checklist (06:45) and first massage are due
        first = await dispatcher.tick()
        assert first.retried >= 3 and first.failed == 1
        assert dispatcher.hold_until == clock.now() + timedelta(seconds=7)
        with db.session() as s:
            blocked_user = outbox.user_by_telegram_id(s, ids["blocked"])
            assert blocked_user.reachable is False
            assert "blocked" in blocked_user.unreachable_reason
        blocked_rows = rows(db, fams["blocked"])
        assert {r.status for r in blocked_rows} == {"failed", "cancelled"}
        assert await dispatcher.tick() == TickResult()  # still waiting for the 429
        for _ in range(8):  # back-off of 30 s, then 60 s, …: move on and tick until everything left is sent
            clock.advance(timedelta(minutes=2))
            await dispatcher.tick()
    for name in ("rate", "server", "slow", "drop", "fine"):
        fam_rows = rows(db, fams[name])
        due = [r for r in fam_rows if r.due_at <= clock.now()]
        assert {r.status for r in due} == {"sent"}, (name, [(r.status, r.last_error) for r in due])
        texts = [c.params["text"] for c in sends_to(fake_tg, ids[name])]
        assert len(due) >= 2 and len(set(texts)) == len(due), name  # every due message arrived
        if name in ("rate", "server", "fine"):
            assert len(texts) == len(due), name  # and exactly once
        else:
            assert len(texts) <= len(due) + 1, name  # a lost answer may repeat one message
    retried = {name: max(r.attempts for r in rows(db, fams[name])) for name in ids}
    assert retried["fine"] == 1 and retried["server"] == 2 and retried["rate"] == 2
    assert sends_to(fake_tg, ids["blocked"]) == []


async def test_giving_up_after_max_attempts_marks_failed(settings, db, clock, fake_tg):
    clock.set(REGISTERED)
    with db.session() as s:
        fid = make_family(s, now=clock.now(), birth_date=BIRTH, tz="Asia/Makassar", members=[(3101, "mother")])
        reschedule_family(s, fid, now=clock.now(), settings=settings.with_(jitter=timedelta(0)))
    fake_tg.inject("sendMessage", ft.ServerError(502), times=None)
    async with build_bot(settings) as client:
        dispatcher = Dispatcher(runtime_for(settings, db, clock), client, per_chat_gap=0, max_attempts=3,
                                backoff=timedelta(seconds=10))
        clock.set(datetime(2026, 11, 21, 6, 46, tzinfo=WITA))
        results = [await dispatcher.tick()]
        for _ in range(4):
            clock.advance(timedelta(minutes=1))
            results.append(await dispatcher.tick())
    first = next(r for r in rows(db, fid) if r.payload["slot"] == "pre_d1")
    assert (first.status, first.attempts) == ("failed", 3)
    assert "502" in first.last_error or "Bad Gateway" in first.last_error
    assert sum(r.retried for r in results) == 2 and sum(r.failed for r in results) == 1


@renderer("test_explodes")
def _explodes(session, row, content, now):
    raise RuntimeError("boom")


@renderer("test_plain")
def _plain(session, row, content, now):
    return Rendered(f"plain {row.id}", [[("ok", "x:y")]])


async def test_a_broken_renderer_fails_its_row_and_the_others_go_out(bot, db, clock, fake_tg, mother):
    now = clock.now()
    with db.session() as s:
        for i, kind in enumerate(["test_explodes", "test_plain", "unknown_kind", "test_plain"]):
            outbox.insert(s, dedupe_key=f"t{i}", kind=kind, due_at=now, now=now, chat_id=mother.id, payload={})
    result = await dispatch_once(bot.runtime, bot.app.bot)
    assert (result.sent, result.failed) == (2, 2)
    assert [m.text for m in mother.messages] == [f"plain {r.id}" for r in rows(db) if r.kind == "test_plain"]
    errors = sorted(r.last_error for r in rows(db) if r.status == "failed")
    assert errors[0].startswith("no renderer") and "boom" in errors[1]


async def test_a_crashed_claim_is_taken_over_when_its_lease_ends(bot, db, clock, fake_tg, mother):
    now = clock.now()
    with db.session() as s:
        for i in range(3):
            outbox.insert(s, dedupe_key=f"l{i}", kind="test_plain", due_at=now, now=now, chat_id=mother.id, payload={})
        outbox.claim(s, now=now, worker="dead-process", lease_until=now + timedelta(seconds=30), limit=2)
    dispatcher = Dispatcher(bot.runtime, bot.app.bot, per_chat_gap=0)
    assert (await dispatcher.tick()).sent == 1
    clock.advance(timedelta(seconds=29))
    assert (await dispatcher.tick()).sent == 0
    clock.advance(timedelta(seconds=2))
    assert (await dispatcher.tick()).sent == 2
    assert len(mother.messages) == 3 and {r.status for r in rows(db)} == {"sent"}


async def test_one_message_per_second_per_chat(bot, db, clock, mother, husband):
    now = clock.now()
    with db.session() as s:
        for i, chat in enumerate([mother.id, mother.id, husband.id, mother.id]):
            outbox.insert(s, dedupe_key=f"p{i}", kind="test_plain", due_at=now, now=now, chat_id=chat, payload={})
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(round(seconds, 3))

    dispatcher = Dispatcher(bot.runtime, bot.app.bot, per_chat_gap=1.0, sleep=record, monotonic=lambda: 50.0)
    result = await dispatcher.tick()
    assert result.sent == 4
    assert waits == [1.0, 1.0]  # the mother's 2nd and 3rd message wait; the husband's does not
    assert len(mother.messages) == 3 and len(husband.messages) == 1


async def test_batches_are_claimed_until_nothing_is_due(bot, db, clock, fake_tg):
    now = clock.now()
    cfg = bot.settings.with_(dispatch_batch=7)
    with db.session() as s:
        for i in range(30):
            outbox.insert(s, dedupe_key=f"b{i}", kind="test_plain", due_at=now, now=now, chat_id=4000 + i, payload={})
    result = await Dispatcher(runtime_for(cfg, db, clock), bot.app.bot, per_chat_gap=0).tick()
    assert (result.claimed, result.sent) == (30, 30)
    assert len({int(c.chat_id) for c in fake_tg.calls_to("sendMessage")}) == 30


def test_the_dispatcher_job_is_registered_only_when_asked(settings, db, clock):
    from bot.core.app import build_application
    from bot.handlers.reminders import JOB_NAME

    on = build_application(settings.with_(run_dispatcher=True, dispatch_interval=2.5), db=db, clock=clock)
    jobs = [j for j in on.job_queue.jobs() if j.name == JOB_NAME]
    assert len(jobs) == 1 and jobs[0].trigger.interval == timedelta(seconds=2.5)
    off = build_application(settings, db=db, clock=clock)
    assert [j for j in off.job_queue.jobs() if j.name == JOB_NAME] == []


@pytest.mark.parametrize("tz,hour", [("Asia/Jakarta", 21), ("Asia/Jayapura", 5)])
async def test_quiet_hours_follow_the_rows_own_time_zone(bot, db, clock, fake_tg, tz, hour):
    local = datetime(2026, 11, 21, hour, 30, tzinfo=ZoneInfo(tz))
    clock.set(local)
    with db.session() as s:
        outbox.insert(s, dedupe_key="q", kind="test_plain", due_at=clock.now() - timedelta(minutes=5),
                      now=clock.now(), chat_id=4100, payload={"tz": tz})
        outbox.insert(s, dedupe_key="nz", kind="test_plain", due_at=clock.now() - timedelta(minutes=5),
                      now=clock.now(), chat_id=4101, payload={})  # e.g. a midwife's alert: no quiet hours
    result = await Dispatcher(bot.runtime, bot.app.bot, per_chat_gap=0).tick()
    assert (result.expired, result.sent) == (1, 1)
    assert [int(c.chat_id) for c in fake_tg.calls_to("sendMessage")] == [4101]
    assert schedule.in_quiet_hours(local)


async def test_paid_broadcast_marks_reminders_only_and_raises_the_dispatch_caps(bot, db, clock, fake_tg, mother):
    now = clock.now()
    with db.session() as s:
        for i in range(5):
            outbox.insert(s, dedupe_key=f"paid{i}", kind="test_plain", due_at=now, now=now, chat_id=5000 + i,
                          payload={})
    free = Dispatcher(runtime_for(bot.settings, db, clock), bot.app.bot, per_chat_gap=0)
    assert (free.paid_broadcast, free.concurrency, free.batch) == (False, 8, bot.settings.dispatch_batch)
    paid_settings = bot.settings.with_(paid_broadcast=True)
    paid = Dispatcher(runtime_for(paid_settings, db, clock), bot.app.bot, per_chat_gap=0)
    assert (paid.concurrency, paid.batch) == (100, 200)
    assert paid.batch * paid.max_batches >= 1000 * paid_settings.dispatch_interval  # a tick can carry 1,000/s
    assert (await paid.tick()).sent == 5
    reminders = [c for c in fake_tg.calls_to("sendMessage") if c.ok and 5000 <= int(c.chat_id) < 5005]
    assert len(reminders) == 5
    assert all(c.params.get("allow_paid_broadcast") in (True, "true") for c in reminders)
    await mother.send("/bantuan")  # a reply is not a broadcast: never paid
    replies = [c for c in fake_tg.calls_to("sendMessage") if c.ok and int(c.chat_id) == mother.id]
    assert replies and all("allow_paid_broadcast" not in c.params for c in replies)
