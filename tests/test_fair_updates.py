"""One chat cannot stall the others (bot/core/updates.py).

A chat that floods the bot holds at most one of the shared update slots: its updates wait for their turn
without holding capacity, its queue is bounded (the surplus dropped, counted in the log, the chat asked once to
wait), and another family's reply arrives while the flood's backlog is still being worked through.
"""

from __future__ import annotations

import asyncio
import logging

from telegram import Chat, Message, Update

from bot.core.updates import MAX_QUEUE, PerChatUpdateProcessor
from tests.test_reliability_support import say

FLOOD = 150  # more than the 64 shared slots: before the fix, every slot held a waiting update of the flood


async def test_a_flooding_chat_does_not_hold_back_another_chats_reply(bot, fake_tg, mother, stranger, caplog):
    caplog.set_level(logging.WARNING, logger="bot.core.updates")
    for n in range(FLOOD):
        await stranger.send(f"halo {n}", wait=False)
    await mother.send("/start")  # waits until the bot has finished this update
    flood_when_mother_answered = len(stranger.messages)
    assert mother.replies_since_last_action, "the other family got no reply"

    await fake_tg.wait_idle()
    flood_replies = [m for m in stranger.messages if m.from_bot]
    # The other family was answered while the flood's backlog was still being answered.
    assert len([m for m in stranger.messages[:flood_when_mother_answered] if m.from_bot]) < len(flood_replies)
    # The queue is bounded: what did not fit behind the running update was dropped and counted in the log,
    # and the chat was asked once to wait.
    busy = say("common.busy_wait")
    assert [m.text for m in flood_replies].count(busy) == 1
    answered = [m for m in flood_replies if m.text != busy]
    assert 0 < len(answered) < FLOOD / 2
    dropped = [r.getMessage() for r in caplog.records if "dropped in one burst" in r.getMessage()]
    assert len(dropped) == 1 and f": {FLOOD - len(answered)} updates dropped" in dropped[0]


async def test_after_the_burst_the_chat_is_answered_again(bot, fake_tg, stranger):
    for n in range(MAX_QUEUE + 30):
        await stranger.send(f"halo {n}", wait=False)
    await fake_tg.wait_idle()
    await stranger.send("/start")
    assert stranger.replies_since_last_action
    assert say("common.busy_wait") not in [m.text for m in stranger.replies_since_last_action]


def _update(update_id: int, chat_id: int) -> Update:
    chat = Chat(chat_id, "private")
    return Update(update_id, message=Message(update_id, date=None, chat=chat, text="halo"))  # type: ignore[arg-type]


async def test_a_chat_waiting_for_its_turn_holds_no_shared_slot():
    """Two shared slots; chat 1 has three updates (the first one busy): chat 2 still runs at once."""
    processor = PerChatUpdateProcessor(2)
    release = asyncio.Event()
    ran: list[int] = []

    async def work(update_id: int, wait: bool) -> None:
        ran.append(update_id)
        if wait:
            await release.wait()

    tasks = [asyncio.create_task(processor.process_update(_update(n, 1), work(n, True))) for n in (1, 2, 3)]
    other = asyncio.create_task(processor.process_update(_update(4, 2), work(4, False)))
    await asyncio.wait_for(other, 5)  # before the fix, updates 2 and 3 of chat 1 held both slots
    assert ran == [1, 4]
    release.set()
    await asyncio.gather(*tasks)
    assert ran == [1, 4, 2, 3]


async def test_the_surplus_of_a_full_queue_is_dropped_and_told_once():
    told: list[int] = []
    processor = PerChatUpdateProcessor(4, max_queue=2, on_dropped=lambda u: told.append(u.update_id))
    release = asyncio.Event()
    ran: list[int] = []

    async def work(update_id: int) -> None:
        ran.append(update_id)
        await release.wait()

    tasks = [asyncio.create_task(processor.process_update(_update(n, 1), work(n))) for n in range(1, 7)]
    await asyncio.wait_for(asyncio.gather(*tasks[3:]), 5)  # dropped: they finish while the first one runs
    release.set()
    await asyncio.gather(*tasks)
    assert ran == [1, 2, 3] and told == [4] and processor.dropped_total == 3
