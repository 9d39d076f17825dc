"""Replies that matter are kept until delivered (issue 18, finding 5).

The attack: three 500s in about 2.5 s, or one 400 "chat not found", on the reply to a typed name, and the
next question ("Kapan bayi lahir?") never arrived although the name was stored. Now the reply is kept in the
outbox (bot/core/reply_delivery.py) and the dispatcher sends it with back-off once Telegram recovers — minutes
later, after a restart too — exactly once. "Chat not found" marks the person unreachable, as the dispatcher
does, and still delivers the question.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.devtools.fake_telegram import faults
from bot.reminders.dispatcher import dispatch_once
from storage.models import Outbox, User
from tests.test_reliability_support import chat_state, register, say

ASK_BIRTH = say("onboarding.ask_birth_date", contoh="").split("\n")[0]  # the example date comes from the clock


async def _to_the_name_question(user) -> None:
    await user.send("/start")
    await user.press(say("onboarding.button_agree"))
    await user.press(say("family.button_research_yes"))
    await user.press(say("onboarding.role_ibu"))


def _asked_birth(user) -> int:
    return sum(1 for m in user.messages if (m.text or "").startswith(ASK_BIRTH))


def _reply_rows(db) -> list[Outbox]:
    with db.session() as s:
        return list(s.exec(select(Outbox).where(Outbox.kind == "reply")))


async def _dispatch(running, clock, minutes: float = 0) -> int:
    if minutes:
        clock.advance(timedelta(minutes=minutes))
    return (await dispatch_once(running.runtime, running.app.bot)).sent


async def test_the_next_question_survives_a_burst_of_server_errors(bot, db, clock, fake_tg, mother):
    await _to_the_name_question(mother)
    # every attempt of the turn fails (1 + 2 retries), then the dispatcher's first two attempts too
    fake_tg.inject("sendMessage", faults.ServerError(500), times=5, chat_id=mother.id)
    await mother.send("Siti")
    assert chat_state(db, mother.id).data.get("name") == "Siti" or chat_state(db, mother.id).step != "name"
    assert _asked_birth(mother) == 0  # not arrived yet...
    assert [r.status for r in _reply_rows(db)] == ["pending"]  # ...but kept
    assert await _dispatch(bot, clock) == 0  # Telegram still failing: retried later, not given up
    assert await _dispatch(bot, clock, minutes=1) == 0
    assert await _dispatch(bot, clock, minutes=0.5) == 0  # the back-off has not passed yet: not even tried
    sent = await _dispatch(bot, clock, minutes=2)
    assert sent == 1 and _asked_birth(mother) == 1
    assert await _dispatch(bot, clock, minutes=30) == 0  # once
    await mother.press(say("onboarding.button_today"))  # the kept question's buttons work
    assert say("onboarding.tz_wib") in mother.last_reply.button_labels
    print(f"FIGURES reply_5xx faults=5 kept=1 delivered=1 duplicates={_asked_birth(mother) - 1}")


async def test_a_kept_reply_is_sent_after_a_restart(bot, db, clock, fake_tg, mother):
    await _to_the_name_question(mother)
    fake_tg.inject("sendMessage", faults.ServerError(502), times=3, chat_id=mother.id)
    await mother.send("Siti")
    assert _asked_birth(mother) == 0
    await bot.restart()
    assert await _dispatch(bot, clock) == 1
    assert _asked_birth(mother) == 1
    assert await _dispatch(bot, clock, minutes=10) == 0


async def test_chat_not_found_marks_her_unreachable_and_still_delivers_the_question(bot, db, clock, fake_tg, mother):
    await _to_the_name_question(mother)
    fake_tg.inject("sendMessage", faults.BadRequest("Bad Request: chat not found"), times=1, chat_id=mother.id)
    await mother.send("Siti")
    with db.session() as s:
        person = s.exec(select(User).where(User.telegram_id == mother.id)).one()
        assert person.reachable is False
    assert await _dispatch(bot, clock) == 1
    assert _asked_birth(mother) == 1
    await mother.press(say("onboarding.button_today"))  # she answers: reachable again
    with db.session() as s:
        assert s.exec(select(User).where(User.telegram_id == mother.id)).one().reachable is True


async def test_a_danger_advice_and_the_question_after_it_are_kept_in_order(bot, db, clock, fake_tg, mother):
    await register(mother, db)
    await mother.send("/ceklis")
    before = len(mother.messages)
    fake_tg.inject("sendMessage", faults.Drop(), times=3, chat_id=mother.id)
    await mother.send("bayi saya kejang dari tadi")
    assert [m for m in mother.messages[before:] if m.from_bot] == []
    kept = len(_reply_rows(db))
    assert kept >= 2  # the advice, and the checklist's own replies after it
    assert await _dispatch(bot, clock) == kept
    texts = [m.text for m in mother.messages[before:] if m.from_bot]
    kejang = bot.runtime.content.danger_sign("bayi_kejang").text
    assert len(texts) == kept and kejang in texts[0] and all(kejang not in t for t in texts[1:]), texts
    assert await _dispatch(bot, clock, minutes=10) == 0


async def test_a_long_flood_wait_keeps_the_reply_until_it_is_over(bot, db, clock, fake_tg, mother):
    await _to_the_name_question(mother)
    fake_tg.inject("sendMessage", faults.RetryAfter(seconds=60), times=1, chat_id=mother.id)
    await mother.send("Siti")
    assert _asked_birth(mother) == 0
    assert await _dispatch(bot, clock) == 0  # Telegram asked for a minute: not before
    assert await _dispatch(bot, clock, minutes=1.1) == 1
    assert _asked_birth(mother) == 1


async def test_a_later_reply_waits_behind_an_earlier_one_kept_for_retry(bot, db, clock, fake_tg, mother):
    """Order per chat: the question kept after send failures is not overtaken by the answer to her next message,
    neither by the turn (it keeps the later reply behind it) nor by the dispatcher (the earlier one failing
    again holds the later one back)."""
    await _to_the_name_question(mother)
    before = len(mother.messages)
    # the turn's three attempts, then the dispatcher's first attempt, fail
    fake_tg.inject("sendMessage", faults.ServerError(502), times=4, chat_id=mother.id)
    await mother.send("Siti")
    await mother.send("/bantuan")
    assert [m for m in mother.messages[before:] if m.from_bot] == []  # the help did not overtake the question
    assert [r.status for r in _reply_rows(db)] == ["pending", "pending"]
    assert await _dispatch(bot, clock) == 0  # the question fails again: the help waits behind it
    assert await _dispatch(bot, clock, minutes=2) == 2
    texts = [m.text for m in mother.messages[before:] if m.from_bot]
    assert len(texts) == 2 and texts[0].split("\n")[0] == ASK_BIRTH, texts
    assert await _dispatch(bot, clock, minutes=10) == 0
    await mother.send("/bantuan")  # nothing is kept any more: answered at once
    assert mother.replies_since_last_action
