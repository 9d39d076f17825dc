"""Faults from Telegram, injected in the fake Bot API, on every method the bot uses.

During conversations (sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery, sendPhoto,
sendDocument), while polling (getUpdates), at start (getMe, setMyCommands) and during reminder dispatch:
429 with retry_after, 403 (blocked), 400 "message is not modified", 502 and 504, timeouts and dropped
connections (before and after Telegram acted). What is proven:

- no crash: no handler logs an ERROR, and the bot answers the next message normally;
- no lost answers: what the person answered is stored whatever happens to the reply, and a transient
  failure (429, 5xx, dropped connection) does not cost the person the bot's reply either;
- each failure is logged once, with the chat and what was being sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.devtools import fake_telegram as ft
from bot.devtools.demo import add_midwife
from storage import facilities, measurements
from storage import families as family_store
from storage.models import User
from tests.test_reliability_support import (
    FAST_RETRIES,
    chat_state,
    family_id_of,
    handler_errors,
    register,
    restore_state,
)

TRANSIENT = {
    "429": ft.RetryAfter(seconds=1),
    "502": ft.ServerError(502),
    "504": ft.ServerError(504),
    "dropped": ft.Drop(),
}
FAULTS = {
    **TRANSIENT,
    "dropped_after_delivery": ft.Drop(after_apply=True),
    "403": ft.Blocked(),
    "not_modified": ft.BadRequest("message is not modified: specified new message content and reply markup "
                                  "are exactly the same as a current content and reply markup of the message"),
}


@dataclass
class Stage:
    """A registered mother in the middle of her checklist, and a midwife of her facility."""

    mother: object
    midwife: object
    measurement_id: int
    q1: object  # ChatState at question 1 (a number, answered by typing)
    q2: object  # ChatState at question 2 (a choice, answered by a button)


async def _stage(bot, db, fake_tg, clock) -> Stage:
    mother = fake_tg.user(user_id=41_001, first_name="Rina")
    midwife = fake_tg.user(user_id=41_002, first_name="Bidan")
    await register(mother, db)
    fid = family_id_of(db, mother.id)
    with db.session() as s:
        facility = facilities.create(s, name="PMB Gangguan", now=clock.now())
        add_midwife(s, facility, telegram_id=midwife.id, name="Bidan Uji", now=clock.now())
        family_store.update(s, family_store.get(s, fid), facility_id=facility.id)
    await mother.send("/ceklis")
    q1 = chat_state(db, mother.id)
    await mother.send("4")
    q2 = chat_state(db, mother.id)
    assert q1.flow == q2.flow == "checklist" and q2.data["item"] != q1.data["item"], mother.text_log()
    return Stage(mother, midwife, int(q1.data["m"]), q1, q2)


def _answer(db, measurement_id: int, item_id: str) -> str | None:
    with db.session() as s:
        row = measurements.answers(s, measurement_id).get(item_id)
        return row.raw_value if row else None


def _mentions(records, chat_id: int) -> list[str]:
    return [r.getMessage() for r in records if r.levelno >= logging.WARNING and str(chat_id) in r.getMessage()]


# -- the actions, each exercising some Bot API methods ----------------------------------------------------

async def type_answer(stage: Stage, db, value: int) -> tuple[str, object]:
    """Typed answer to question 1 → sendMessage (the next question)."""
    restore_state(db, stage.q1, stage.mother.id)
    await stage.mother.send(str(value))
    return _answer(db, stage.measurement_id, stage.q1.data["item"]), str(value)


async def press_choice(stage: Stage, db, value: int) -> tuple[str, object]:
    """Button answer to question 2 → answerCallbackQuery, editMessageText, sendMessage."""
    from content import get_content

    restore_state(db, stage.q2, stage.mother.id)
    item = get_content().instruments["bayi6"].item(stage.q2.data["item"])
    choice = item.choices[value % len(item.choices)].value
    await stage.mother.press_data(f"ceklis:a:{stage.measurement_id}:2:{choice}")
    return _answer(db, stage.measurement_id, item.id), choice


async def press_later(stage: Stage, db, value: int) -> tuple[str, object]:  # noqa: ARG001
    """"Nanti saja" → answerCallbackQuery, editMessageReplyMarkup, sendMessage."""
    restore_state(db, stage.q2, stage.mother.id)
    await stage.mother.press_data(f"ceklis:later:{stage.measurement_id}")
    st = chat_state(db, stage.mother.id)
    return st.flow, "idle"


async def ask_qr(stage: Stage, db, value: int) -> tuple[str, object]:  # noqa: ARG001
    """/qr → sendPhoto."""
    await stage.midwife.send("/qr")
    return "ok", "ok"


async def ask_export(stage: Stage, db, value: int) -> tuple[str, object]:  # noqa: ARG001
    """/export → sendDocument (and the export is written in the audit log)."""
    from storage.models import AuditLog

    with db.session() as s:
        before = len(s.exec(select(AuditLog).where(AuditLog.action == "export")).all())
    await stage.midwife.send("/export")
    with db.session() as s:
        after = len(s.exec(select(AuditLog).where(AuditLog.action == "export")).all())
    return after - before, 1


ACTIONS = {
    "sendMessage": (type_answer, "mother"),
    "answerCallbackQuery": (press_choice, "mother"),
    "editMessageText": (press_choice, "mother"),
    "editMessageReplyMarkup": (press_later, "mother"),
    "sendPhoto": (ask_qr, "midwife"),
    "sendDocument": (ask_export, "midwife"),
}
# What a person sees as the result of each method succeeding.
EFFECT = {
    "sendMessage": lambda replies: any(m.text for m in replies),
    "answerCallbackQuery": None,  # checked through the fake's callback records
    "editMessageText": lambda replies: any(m.edits for m in replies),
    "editMessageReplyMarkup": lambda replies: any(m.edits for m in replies),
    "sendPhoto": lambda replies: any(m.photo for m in replies),
    "sendDocument": lambda replies: any(m.document for m in replies),
}


@pytest.fixture
async def fast_bot(settings, db, clock, fake_tg):
    """The real Application, with the bot's pauses before resending kept short."""
    from bot.devtools.harness import RunningBot

    running = RunningBot(settings=settings.with_(extra=dict(FAST_RETRIES)), db=db, clock=clock, fake=fake_tg)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.mark.parametrize("fault_name", list(FAULTS))
async def test_faults_on_every_conversation_method_lose_no_answer_and_crash_nothing(
        fast_bot, db, fake_tg, clock, caplog, fault_name):
    caplog.set_level(logging.INFO)
    stage = await _stage(fast_bot, db, fake_tg, clock)
    fault = FAULTS[fault_name]
    summary = {"tried": 0, "duplicates": 0}
    for n, (method, (action, who)) in enumerate(ACTIONS.items(), start=1):
        if fault_name == "not_modified" and not method.startswith("edit"):
            continue  # Telegram only says "not modified" to an edit
        person = getattr(stage, who)
        if fault_name == "403":
            fake_tg.unblock(person.id)
        mark = len(caplog.records)
        rule = fake_tg.inject(method, fault, chat_id=None if method == "answerCallbackQuery" else person.id)
        stored, wanted = await action(stage, db, n)
        summary["tried"] += 1
        assert rule.hits == 1, f"{method}: the fault never fired"
        new = caplog.records[mark:]
        errors = handler_errors(new)
        assert not errors, f"{method}/{fault_name}: {errors}"
        assert stored == wanted, f"{method}/{fault_name}: the answer was lost ({stored!r} != {wanted!r})"
        replies = person.replies_since_last_action
        if fault_name in TRANSIENT or fault_name == "dropped_after_delivery":
            effect = EFFECT[method]
            if effect is not None:
                assert effect(replies), f"{method}/{fault_name}: the reply was lost\n{person.text_log()[-800:]}"
            else:
                assert not person.unanswered_callbacks, f"{fault_name}: the button was never answered"
            shown = [(m.text, m.caption, m.filename) for m in replies if not m.edits]
            summary["duplicates"] += len(shown) - len(set(shown))
        if fault_name != "not_modified":
            logged = _mentions(new, person.id)
            assert len(logged) == 1, f"{method}/{fault_name}: logged {len(logged)} times: {logged}"
        if fault_name == "403" and method != "answerCallbackQuery":
            with db.session() as s:
                user = s.exec(select(User).where(User.telegram_id == person.id)).one()
                assert user.reachable is False, "a blocked chat was not marked unreachable"
                user.reachable = True  # as if she unblocked the bot, for the next method
                s.add(user)
        fake_tg.clear_faults()
    # After all that the bot still answers normally.
    await stage.mother.send("/menu")
    assert stage.mother.replies_since_last_action, "the bot stopped answering"
    assert not fake_tg.internal_errors
    print(f"\nFIGURES telegram_faults[{fault_name}]: {summary} crashes=0 lost_answers=0 lost_replies=0")


async def test_faults_while_polling_lose_no_update(fast_bot, db, fake_tg, clock, caplog):
    """getUpdates answering 502, 504, 429 and dropping the connection: every update is still handled once."""
    caplog.set_level(logging.INFO)
    mother = fake_tg.user(user_id=41_101, first_name="Wulan")
    await register(mother, db)
    await mother.send("/ceklis")
    for fault in (ft.ServerError(502), ft.ServerError(504), ft.Drop(), ft.RetryAfter(seconds=1)):
        fake_tg.inject("getUpdates", fault)
        await mother.send("/menu")
        assert mother.replies_since_last_action, f"{fault}: the update was lost"
    assert handler_errors(caplog.records) == []
    assert len([c for c in fake_tg.calls_to("getUpdates") if c.fault is not None]) == 4


# -- reminders ------------------------------------------------------------------------------------------

async def test_reminder_blast_through_every_fault_loses_no_reminder(settings, db, clock, fake_tg, caplog):
    """Due reminders of 8 families, each chat with its own fault: all are sent (or the blocked one is
    given up explicitly), none is lost, duplicates only where Telegram acted and the answer was lost."""
    from bot.commands.worker import build_bot
    from bot.core.runtime import Runtime
    from bot.reminders.dispatcher import Dispatcher
    from content import get_content
    from storage import outbox

    caplog.set_level(logging.INFO)
    cfg = settings.with_(jitter=timedelta(0))
    faults = {**FAULTS, "slow": ft.Slow(seconds=1.0), "fine": None}
    del faults["not_modified"]
    people = {}
    from bot.devtools.harness import RunningBot

    running = RunningBot(settings=cfg, db=db, clock=clock, fake=fake_tg)
    await running.start()
    try:
        for i, name in enumerate(faults):
            user = fake_tg.user(user_id=42_000 + i, first_name=f"Ibu{i}")
            await register(user, db)
            people[name] = user
    finally:
        await running.stop()
    with db.session() as s:
        clock.set(outbox.next_due(s) + timedelta(minutes=1))  # the first reminders are due
    started = clock.now()
    mark = max(m.seq for m in fake_tg.sent_messages)
    for name, fault in faults.items():
        if fault is not None:
            fake_tg.inject("sendMessage", fault, chat_id=people[name].id)
    runtime = Runtime(settings=cfg, db=db, content=get_content(), clock=clock, worker_id="faults")
    async with build_bot(cfg, read_timeout=0.5) as client:
        dispatcher = Dispatcher(runtime, client, per_chat_gap=0)
        for _ in range(10):
            await dispatcher.tick()
            clock.advance(timedelta(minutes=2))
    lost, duplicates, sent = 0, 0, 0
    for name, user in people.items():
        with db.session() as s:
            uid = _user_id(s, user.id)
            mine = list(s.exec(select(outbox.Outbox).where(outbox.Outbox.user_id == uid)))
        due = [r for r in mine if r.due_at <= started]
        delivered = [r for r in mine if r.status == "sent"]
        assert due, f"{name}: nothing was due"
        if name == "403":
            assert all(r.status in ("failed", "cancelled") for r in due), [r.status for r in due]
            with db.session() as s:
                assert s.get(User, uid).reachable is False
            continue
        lost += sum(1 for r in due if r.status != "sent")
        texts = [m.text for m in fake_tg.bot_messages(user.id) if m.seq > mark]  # what reached the phone
        sent += len(delivered)
        duplicates += len(texts) - len(set(texts))
        assert {r.status for r in due} == {"sent"}, (name, [(r.status, r.last_error) for r in due])
        assert len(set(texts)) == len(delivered), name
        if name not in ("dropped_after_delivery", "slow"):
            assert len(texts) == len(delivered), f"{name}: sent twice"
    assert lost == 0
    assert handler_errors(caplog.records) == []
    print(f"\nFIGURES reminder_faults: families={len(people)} faults={len(faults) - 1} sent={sent} lost={lost} "
          f"duplicates={duplicates} (in-flight: dropped after delivery, timed out after delivery)")


def _user_id(session, telegram_id: int) -> int | None:
    user = session.exec(select(User).where(User.telegram_id == telegram_id)).first()
    return user.id if user else None




async def test_a_mother_who_blocked_and_unblocked_the_bot_gets_her_reminders_again(
        fast_bot, db, fake_tg, clock, caplog):
    """403 marks her unreachable and cancels her reminders; when she comes back (unblocks and writes),
    she is reachable again and the rest of her reminders are scheduled anew."""
    from bot.reminders.dispatcher import Dispatcher
    from storage import outbox

    mother = fake_tg.user(user_id=43_001, first_name="Lestari")
    await register(mother, db)
    dispatcher = Dispatcher(fast_bot.runtime, fast_bot.app.bot, per_chat_gap=0)
    with db.session() as s:
        clock.set(outbox.next_due(s) + timedelta(minutes=1))
    await mother.block_bot()
    await dispatcher.tick()
    with db.session() as s:
        me = s.exec(select(User).where(User.telegram_id == mother.id)).one()
        assert me.reachable is False
        assert not [r for r in s.exec(select(outbox.Outbox)) if r.status == "pending"], "reminders left pending"
    await mother.unblock_bot()
    await mother.send("/menu")
    with db.session() as s:
        assert s.exec(select(User).where(User.telegram_id == mother.id)).one().reachable is True
        pending = [r for r in s.exec(select(outbox.Outbox)) if r.status == "pending"]
        assert pending, "nothing was scheduled again"
        clock.set(min(r.due_at for r in pending) + timedelta(minutes=1))
    before = len(mother.messages)
    result = await dispatcher.tick()
    assert result.sent >= 1 and len(mother.messages) > before
    assert handler_errors(caplog.records) == []


@pytest.mark.slow
async def test_slow_a_reply_that_times_out_is_sent_again(fast_bot, db, fake_tg, clock, caplog):
    """sendMessage answering after 16 s, past the bot's 15 s read timeout: the bot gives up on that request
    and sends again, so the person gets the next question (twice, if the slow request got through after all:
    a duplicate inside the in-flight window)."""
    caplog.set_level(logging.INFO)
    stage = await _stage(fast_bot, db, fake_tg, clock)
    restore_state(db, stage.q1, stage.mother.id)
    fake_tg.inject("sendMessage", ft.Slow(seconds=16), chat_id=stage.mother.id)
    await stage.mother.send("7", timeout=60)
    await fake_tg.wait_idle(timeout=60)
    assert _answer(db, stage.measurement_id, stage.q1.data["item"]) == "7"
    replies = stage.mother.replies_since_last_action
    assert replies, "the reply was lost"
    assert any("Timed out" in m or "timed out" in m.lower() for m in _mentions(caplog.records, stage.mother.id))
    assert handler_errors(caplog.records) == []
    print(f"\nFIGURES telegram_faults[timeout]: replies={len(replies)} duplicates={len(replies) - 1}")
