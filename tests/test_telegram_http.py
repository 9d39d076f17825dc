"""The aiohttp Bot API transport (bot/core/telegram_http.py) behaves like PTB's httpx one, against the fake."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import NetworkError, RetryAfter, TimedOut

import bot.devtools.fake_telegram as ft
from bot.core.telegram_http import AiohttpRequest
from bot.devtools.fake_telegram import tiny_png


def client(fake_tg, **kwargs) -> Bot:
    return Bot(fake_tg.token, base_url=fake_tg.base_url, base_file_url=fake_tg.base_file_url,
               request=AiohttpRequest(**kwargs), get_updates_request=AiohttpRequest(connection_pool_size=1))


async def test_messages_keyboards_and_edits_arrive(fake_tg):
    siti = fake_tg.user(user_id=4101, first_name="Siti")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ya", callback_data="q:1:ya")]])
    async with client(fake_tg) as bot:
        me = await bot.get_me()
        sent = await bot.send_message(siti.id, "Apakah bayi menyusu? ✓", reply_markup=keyboard)
        await bot.edit_message_text("Sudah dijawab: Ya", chat_id=siti.id, message_id=sent.message_id)
    assert me.username == fake_tg.bot_username
    assert sent.text == "Apakah bayi menyusu? ✓"
    assert siti.last_reply.text == "Sudah dijawab: Ya"
    assert fake_tg.calls_to("sendMessage")[0].params["reply_markup"]["inline_keyboard"][0][0]["text"] == "Ya"


async def test_files_are_uploaded_as_multipart(fake_tg):
    siti = fake_tg.user(user_id=4102)
    png = tiny_png()
    async with client(fake_tg) as bot:
        await bot.send_photo(siti.id, png, caption="Grafik")
        await bot.send_document(siti.id, b"family,pre,post\nA,3,5\n", filename="data.csv", caption="Data")
    photo, document = siti.messages
    assert photo.photo == png and photo.text == "Grafik"
    assert document.document == b"family,pre,post\nA,3,5\n"
    assert document.filename == "data.csv"


async def test_long_poll_returns_what_a_user_sent(fake_tg):
    siti = fake_tg.user(user_id=4103)
    async with client(fake_tg) as bot:
        await siti.send("halo", wait=False)
        updates = await bot.get_updates(timeout=2)
    assert [u.message.text for u in updates] == ["halo"]


async def test_slow_answer_is_a_timeout(fake_tg):
    fake_tg.inject("sendMessage", ft.Slow(seconds=2))
    async with client(fake_tg, read_timeout=0.3) as bot:
        start = time.monotonic()
        with pytest.raises(TimedOut):
            await bot.send_message(4104, "halo")
        assert time.monotonic() - start < 1.5


async def test_lost_connection_is_a_network_error(fake_tg):
    fake_tg.inject("sendMessage", ft.Drop())
    async with client(fake_tg) as bot:
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(4105, "halo")
        assert not isinstance(caught.value, TimedOut)
        assert (await bot.send_message(4105, "lagi")).text == "lagi"  # the pool recovers


async def test_telegram_errors_keep_their_meaning(fake_tg):
    fake_tg.inject("sendMessage", ft.RetryAfter(seconds=7))
    fake_tg.inject("sendMessage", ft.ServerError(502))
    async with client(fake_tg) as bot:
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(4106, "halo")
        assert caught.value.retry_after in (7, timedelta(seconds=7))
        with pytest.raises(NetworkError):
            await bot.send_message(4106, "halo")


async def test_unusable_before_initialize_and_after_shutdown(fake_tg):
    request = AiohttpRequest()
    with pytest.raises(RuntimeError):
        await request.do_request(f"{fake_tg.base_url}{fake_tg.token}/getMe", "POST")
    await request.initialize()
    status, body = await request.do_request(f"{fake_tg.base_url}{fake_tg.token}/getMe", "POST")
    assert status == 200 and json.loads(body)["result"]["username"] == fake_tg.bot_username
    await request.shutdown()
    with pytest.raises(RuntimeError):
        await request.do_request(f"{fake_tg.base_url}{fake_tg.token}/getMe", "POST")
