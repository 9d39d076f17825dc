"""Duplicate, out-of-order, edited and unusual updates.

- The same update_id delivered twice is processed once: one stored answer, one reply — also when the two
  deliveries arrive at the same moment, and also after a restart (the ids are in the database).
- Ids are remembered one by one, not as a high-water mark: an older id that was never seen (webhook
  deliveries can arrive out of order) is still handled, and then it too is dropped when redelivered.
- Edited messages are deliberately ignored: no reply, nothing changes, nothing crashes. The bot does not even
  ask Telegram for them (``allowed_updates``, bot/core/intake.py); should one arrive anyway, it is dropped.
- Update kinds nobody handles (channel posts, membership changes, a button on an inline message, a message
  without a sender) pass without an error; the kinds outside ``allowed_updates`` are filtered by Telegram.
"""

from __future__ import annotations

import logging
import socket

from sqlmodel import select

from bot.core.intake import ALLOWED_UPDATES
from bot.devtools.fake_telegram.updates import FILTERED
from bot.devtools.harness import RunningBot
from storage.models import Answer, ProcessedUpdate
from tests.test_reliability_support import chat_state, handler_errors, register, say


async def deliver_or_filtered(fake_tg, raw: dict) -> str:
    """Deliver ``raw``; return "processed", or "filtered" when its kind is outside the bot's allowed_updates."""
    ticket = fake_tg.enqueue_update(raw)
    try:
        await fake_tg.wait_processed(ticket)
    except AssertionError:
        assert ticket.status == FILTERED, ticket
        assert ticket.kind not in ALLOWED_UPDATES
        return FILTERED
    return "processed"


async def edit_ignored(user, fake_tg, text: str) -> None:
    before = len(user.messages)
    await user.edit_last(text, wait=False)
    await deliver_or_filtered(fake_tg, {})  # an empty update behind it: the edit was dealt with before
    assert len(user.messages) == before


def _answers(db) -> list[Answer]:
    with db.session() as s:
        return list(s.exec(select(Answer)))


async def test_a_redelivered_answer_is_stored_and_answered_once_even_after_a_restart(bot, db, fake_tg, mother):
    await register(mother, db)
    await mother.send("/ceklis")
    await mother.send("5")
    answered = mother.last_update.payload
    replies_before = len(mother.messages)
    stored = [(a.item_id, a.raw_value, a.answered_at) for a in _answers(db)]
    await fake_tg.deliver(answered)  # Telegram sends it again
    await bot.restart()
    await fake_tg.deliver(answered)  # and again, to a new process
    assert len(mother.messages) == replies_before
    assert [(a.item_id, a.raw_value, a.answered_at) for a in _answers(db)] == stored
    with db.session() as s:
        assert s.get(ProcessedUpdate, answered["update_id"]) is not None


async def test_the_same_update_arriving_twice_at_once_is_handled_once(bot, db, fake_tg, mother):
    await register(mother, db)
    await mother.send("/ceklis")
    await mother.send("5")
    question = mother.last_reply
    choice = question.buttons[0][0]
    before = len(mother.messages)
    await mother.press(choice, wait=False)
    fake_tg.enqueue_update(dict(mother.last_update.payload))  # the very same update, again
    await fake_tg.wait_idle()
    assert len(_answers(db)) == 2
    new = [m for m in mother.messages[before - 1:] if m.seq > question.seq]
    assert len(new) == 1, [m.text for m in new]  # the next question, once
    assert not mother.unanswered_callbacks


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_out_of_order_ids_are_each_handled_once(settings, db, clock, fake_tg):
    """Webhook deliveries can overtake each other: an older, unseen id is handled; a repeated one is not."""
    secret = "rahasia_uji-1"
    running = RunningBot(settings=settings.with_(webhook_secret=secret), db=db, clock=clock, fake=fake_tg,
                         poll=False)
    await running.start()
    port = _free_port()
    await running.app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="hook",
                                            webhook_url="https://bot.example/hook", secret_token=secret)
    hook = f"http://127.0.0.1:{port}/hook"
    try:
        mother = fake_tg.user(user_id=51_001, first_name="Dewi")

        def message(update_id: int, text: str) -> dict:
            return {"update_id": update_id, "message": {
                "message_id": update_id, "date": 0, "chat": {"id": mother.id, "type": "private"},
                "from": mother.to_api(), "text": text}}

        assert await fake_tg.post_webhook(hook, message(1000, "halo"), secret, wait=True) == 200
        assert await fake_tg.post_webhook(hook, message(990, "apa kabar"), secret, wait=True) == 200
        assert len(mother.messages) == 2  # the older id was not mistaken for a duplicate
        assert await fake_tg.post_webhook(hook, message(990, "apa kabar"), secret, wait=True) == 200
        assert await fake_tg.post_webhook(hook, message(1000, "halo"), secret, wait=True) == 200
        assert len(mother.messages) == 2  # each redelivery dropped
        with db.session() as s:
            assert {p.update_id for p in s.exec(select(ProcessedUpdate))} >= {990, 1000}
    finally:
        await running.app.updater.stop()
        await running.stop()


async def test_edited_messages_are_ignored_and_change_nothing(bot, db, fake_tg, mother, caplog):
    caplog.set_level(logging.INFO)
    await mother.send("/start")
    await mother.press(say("onboarding.button_agree"))
    await mother.press(say("family.button_research_yes"))
    await mother.press(say("onboarding.role_ibu"))
    await mother.send("Siti")
    state_before = chat_state(db, mother.id)
    await edit_ignored(mother, fake_tg, "Bukan Siti")
    assert chat_state(db, mother.id).data == state_before.data
    await edit_ignored(mother, fake_tg, "/hapus")
    await edit_ignored(mother, fake_tg, "bayi kejang")
    await mother.press(say("onboarding.button_today"))
    await mother.press(say("onboarding.tz_wib"))
    await mother.press(say("onboarding.button_skip"))
    await mother.press(say("onboarding.button_confirm"))
    await mother.send("/ceklis")
    await mother.send("5")
    await edit_ignored(mother, fake_tg, "7")
    with db.session() as s:
        values = {a.raw_value for a in s.exec(select(Answer))}
    assert values == {"5"}
    assert handler_errors(caplog.records) == []
    assert not fake_tg.internal_errors


def _odd_updates(user) -> list[dict]:
    me = user.to_api()
    chat = {"id": user.id, "type": "private", "first_name": user.first_name}
    channel = {"id": -1009876543210, "type": "channel", "title": "Kanal"}
    group = {"id": -1001234567890, "type": "supergroup", "title": "Keluarga"}
    bot_member = {"status": "member", "user": {"id": 123456, "is_bot": True, "first_name": "Bot"}}
    return [
        {"channel_post": {"message_id": 1, "date": 0, "chat": channel, "text": "/start"}},
        {"edited_channel_post": {"message_id": 1, "date": 0, "edit_date": 1, "chat": channel, "text": "x"}},
        {"my_chat_member": {"chat": chat, "from": me, "date": 0, "old_chat_member": bot_member,
                            "new_chat_member": {**bot_member, "status": "kicked", "until_date": 0}}},
        {"my_chat_member": {"chat": group, "from": me, "date": 0,
                            "old_chat_member": {**bot_member, "status": "left"}, "new_chat_member": bot_member}},
        {"callback_query": {"id": "odd-1", "from": me, "chat_instance": "1", "inline_message_id": "AAA",
                            "data": "ceklis:a:1:1:5"}},
        {"callback_query": {"id": "odd-2", "from": me, "chat_instance": "1", "game_short_name": "permainan"}},
        {"message": {"message_id": 2, "date": 0, "chat": group, "sender_chat": group, "text": "/menu"}},
        {"message": {"message_id": 3, "date": 0, "chat": group, "from": me, "text": "halo semua"}},
        {"message": {"message_id": 4, "date": 0, "chat": chat, "from": me,
                     "new_chat_members": [me]}},
        {"message": {"message_id": 5, "date": 0, "chat": chat, "from": me, "text": ""}},
        {"inline_query": {"id": "iq-1", "from": me, "query": "pijat", "offset": ""}},
        {"poll_answer": {"poll_id": "1", "user": me, "option_ids": [0], "option_persistent_ids": ["a"]}},
        {"message_reaction": {"chat": chat, "message_id": 1, "user": me, "date": 0,
                              "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}},
    ]


async def test_update_kinds_nobody_handles_pass_without_an_error(bot, fake_tg, mother, caplog):
    caplog.set_level(logging.INFO)
    outcomes = [await deliver_or_filtered(fake_tg, raw) for raw in _odd_updates(mother)]
    assert outcomes.count(FILTERED) == 5  # channel posts ×2, inline query, poll answer, reaction
    assert handler_errors(caplog.records) == []
    assert not fake_tg.internal_errors
    await mother.send("/start")  # and the bot carries on
    assert say("onboarding.welcome") in mother.last_reply.text
