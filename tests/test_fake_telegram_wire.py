"""FakeTelegram at the HTTP level: Telegram's wire format, errors, getUpdates semantics, webhook mode."""

from __future__ import annotations

import asyncio
import json
import socket
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.devtools.fake_telegram import (
    ApiError,
    BadRequest,
    FakeTelegram,
    RetryAfter,
    Slow,
    TrackingUpdateProcessor,
    command_entities,
)
from bot.devtools.fake_telegram.formatting import plain_text


class FixedClock:
    def __init__(self, moment: datetime):
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
async def fake():
    async with FakeTelegram(clock=FixedClock(datetime(2026, 11, 20, 1, 0, tzinfo=UTC))) as fake:
        yield fake


@pytest.fixture
async def http():
    async with aiohttp.ClientSession() as session:
        yield session


async def call(http, fake, method, *, how="json", token=None, **params):
    url = f"{fake.base_url}{token or fake.token}/{method}"
    if how == "json":
        request = http.post(url, json=params)
    elif how == "form":
        data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        request = http.post(url, data=data)
    else:
        request = http.get(url, params={k: str(v) for k, v in params.items()})
    async with request as response:
        return response.status, await response.json()


async def test_json_form_and_query_parameters_all_decode(fake, http):
    keyboard = {"inline_keyboard": [[{"text": "Ya", "callback_data": "y"}]]}
    status, body = await call(http, fake, "sendMessage", chat_id=7, text="satu", reply_markup=keyboard)
    assert status == 200 and body["result"]["reply_markup"] == keyboard
    status, body = await call(
        http, fake, "sendMessage", how="form", chat_id=7, text="dua", reply_markup=keyboard
    )
    assert status == 200 and body["result"]["text"] == "dua"
    status, body = await call(http, fake, "sendMessage", how="get", chat_id=7, text="tiga")
    assert status == 200
    message = body["result"]
    assert message["chat"] == {"id": 7, "type": "private", "first_name": "User7"}
    assert message["from"]["is_bot"] is True and message["date"] == int(fake.clock.now().timestamp())
    assert [m.text for m in fake.bot_messages(7)] == ["satu", "dua", "tiga"]
    assert [m.message_id for m in fake.bot_messages(7)] == [1, 2, 3]
    assert fake.calls_to("sendmessage")[1].params["reply_markup"] == keyboard


async def test_html_is_parsed_and_bad_markup_is_refused_like_telegram(fake, http):
    status, body = await call(
        http, fake, "sendMessage", chat_id=7, text="<b>Ibu</b> &amp; bayi", parse_mode="HTML"
    )
    assert status == 200 and body["result"]["text"] == "Ibu & bayi"
    status, body = await call(http, fake, "sendMessage", chat_id=7, text="baris<br>baru", parse_mode="HTML")
    assert status == 400 and body["description"].startswith(
        "Bad Request: can't parse entities: Unsupported start"
    )
    status, body = await call(http, fake, "sendMessage", chat_id=7, text="Hari 1.", parse_mode="MarkdownV2")
    assert status == 400 and "reserved" in body["description"]


@pytest.mark.parametrize(
    ("text", "mode", "shown"),
    [
        ("<i>a</i> <a href='x'>b</a>", "HTML", "a b"),
        ("*tebal* _miring_ Hari 1\\.", "MarkdownV2", "tebal miring Hari 1."),
        ("[tautan](http://x.y/z\\)) ok", "MarkdownV2", "tautan ok"),
        ("*tebal* `kode`", "Markdown", "tebal kode"),
        ("tanpa format <b>", None, "tanpa format <b>"),
    ],
)
def test_plain_text_of_formatted_messages(text, mode, shown):
    assert plain_text(text, mode) == shown


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("<b>tebal", "HTML"),
        ("<b>x</i>", "HTML"),
        ("*tebal", "MarkdownV2"),
        ("a-b", "MarkdownV2"),
        ("_x", "Markdown"),
    ],
)
def test_malformed_markup_is_a_400(text, mode):
    with pytest.raises(ApiError) as caught:
        plain_text(text, mode)
    assert caught.value.status == 400 and "can't parse entities" in caught.value.description


async def test_keyboards_are_validated(fake, http):
    too_long = {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]}
    status, body = await call(http, fake, "sendMessage", chat_id=7, text="a", reply_markup=too_long)
    assert status == 400 and body["description"] == "Bad Request: BUTTON_DATA_INVALID"
    no_action = {"inline_keyboard": [[{"text": "A"}]]}
    status, body = await call(http, fake, "sendMessage", chat_id=7, text="a", reply_markup=no_action)
    assert status == 400 and "Text buttons are unallowed" in body["description"]
    reply_kb = {"keyboard": [["Ya", {"text": "Tidak"}]], "resize_keyboard": True}
    status, body = await call(http, fake, "sendMessage", chat_id=7, text="pilih", reply_markup=reply_kb)
    assert status == 200 and "reply_markup" not in body["result"]
    user = fake.user(7)
    assert user.reply_keyboard == [["Ya", "Tidak"]]
    await call(http, fake, "sendMessage", chat_id=7, text="ok", reply_markup={"remove_keyboard": True})
    assert user.reply_keyboard is None and user.last_reply.removes_reply_keyboard


async def test_edit_and_delete_errors(fake, http):
    _, body = await call(http, fake, "sendMessage", chat_id=7, text="a")
    message_id = body["result"]["message_id"]
    status, body = await call(http, fake, "editMessageText", chat_id=7, message_id=99, text="b")
    assert (status, body["description"]) == (400, "Bad Request: message to edit not found")
    status, body = await call(http, fake, "editMessageText", chat_id=7, message_id=message_id, text="a")
    assert status == 400 and body["description"].startswith("Bad Request: message is not modified")
    status, body = await call(http, fake, "editMessageCaption", chat_id=7, message_id=message_id, caption="c")
    assert status == 400 and "no caption" in body["description"]
    status, body = await call(http, fake, "editMessageText", chat_id=7, message_id=message_id, text="b")
    assert status == 200 and body["result"]["text"] == "b" and "edit_date" in body["result"]
    status, _ = await call(http, fake, "deleteMessage", chat_id=7, message_id=message_id)
    assert status == 200 and fake.bot_messages(7) == []
    status, body = await call(http, fake, "deleteMessage", chat_id=7, message_id=message_id)
    assert (status, body["description"]) == (400, "Bad Request: message to delete not found")
    status, body = await call(http, fake, "editMessageReplyMarkup", chat_id=7, message_id=message_id)
    assert body["description"] == "Bad Request: message to edit not found"


async def test_blocked_chat_and_unknown_chats(fake, http):
    status, _ = await call(http, fake, "sendMessage", chat_id=424242, text="duluan")
    assert status == 200  # the bot may write first
    fake.block(424242)
    status, body = await call(http, fake, "sendChatAction", chat_id=424242, action="typing")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")
    status, body = await call(http, fake, "getChat", chat_id=555)
    assert (status, body["description"]) == (400, "Bad Request: chat not found")
    status, body = await call(http, fake, "sendMessage", chat_id="@nobody", text="x")
    assert status == 400


async def test_faults_by_chat_times_and_clearing(fake, http):
    fake.inject("sendMessage", RetryAfter(5), times=2, chat_id=8)
    status, _ = await call(http, fake, "sendMessage", chat_id=9, text="lain")
    assert status == 200
    for _ in range(2):
        status, body = await call(http, fake, "sendMessage", chat_id=8, text="x")
        assert status == 429 and body["parameters"] == {"retry_after": 5}
    status, _ = await call(http, fake, "sendMessage", chat_id=8, text="x")
    assert status == 200
    fake.inject("*", BadRequest("chat not found"), times=None)
    for method in ("getMe", "sendMessage"):
        status, body = await call(http, fake, method, chat_id=8, text="x")
        assert (status, body["description"]) == (400, "Bad Request: chat not found")
    fake.clear_faults()
    status, _ = await call(http, fake, "getMe")
    assert status == 200


async def test_slow_fault_delays_then_answers(fake, http):
    fake.inject("getMe", Slow(0.05))
    status, body = await call(http, fake, "getMe")
    assert status == 200 and body["result"]["username"] == "PijatOksitosinBot"
    assert fake.calls[-1].fault == Slow(0.05)


async def test_get_updates_offset_limit_timeout_and_allowed_updates(fake, http):
    user = fake.user(11)
    for text in ("a", "b", "c"):
        await user.send(text, wait=False)
    status, body = await call(http, fake, "getUpdates", limit=2)
    ids = [u["update_id"] for u in body["result"]]
    assert len(ids) == 2 and ids[0] < ids[1]
    assert body["result"][0]["message"]["text"] == "a"
    # not confirmed yet: delivered again
    _, body = await call(http, fake, "getUpdates", limit=100)
    assert [u["update_id"] for u in body["result"]][:2] == ids
    last = body["result"][-1]["update_id"]
    _, body = await call(http, fake, "getUpdates", offset=last + 1, timeout=0)
    assert body["result"] == []
    # only callback queries allowed: a message is filtered and its waiter told so
    ticket = fake.enqueue_update(
        {"message": {"message_id": 1, "date": 0, "chat": {"id": 11, "type": "private"}}}
    )
    _, body = await call(http, fake, "getUpdates", offset=last + 1, allowed_updates=["callback_query"])
    assert body["result"] == [] and ticket.status == "filtered"
    with pytest.raises(AssertionError, match="filtered"):
        await fake.wait_processed(ticket)


async def test_long_poll_returns_as_soon_as_an_update_arrives(fake, http):
    poll = asyncio.create_task(call(http, fake, "getUpdates", timeout=30))
    await fake.wait_polling()
    await fake.user(12).send("halo", wait=False)
    status, body = await asyncio.wait_for(poll, 5)
    assert status == 200 and body["result"][0]["message"]["text"] == "halo"


async def test_second_long_poll_terminates_the_first_with_409(fake, http):
    first = asyncio.create_task(call(http, fake, "getUpdates", timeout=30))
    await fake.wait_polling()
    second = asyncio.create_task(call(http, fake, "getUpdates", timeout=0))
    status, body = await asyncio.wait_for(first, 5)
    assert status == 409 and "terminated by other getUpdates request" in body["description"]
    assert (await second)[0] == 200


async def test_webhook_methods(fake, http):
    status, body = await call(http, fake, "setWebhook", url="http://insecure.example/hook")
    assert status == 400 and "HTTPS" in body["description"]
    status, _ = await call(http, fake, "setWebhook", url="https://bot.example/hook", secret_token="abc_DEF-1")
    assert status == 200 and fake.webhook.url == "https://bot.example/hook"
    status, body = await call(http, fake, "getUpdates")
    assert status == 409
    _, body = await call(http, fake, "getWebhookInfo")
    assert body["result"]["url"] == "https://bot.example/hook"
    await call(http, fake, "deleteWebhook", drop_pending_updates=True)
    _, body = await call(http, fake, "getWebhookInfo")
    assert body["result"]["url"] == ""


async def test_commands_files_and_callback_answers(fake, http):
    commands = [
        {"command": "start", "description": "Mulai"},
        {"command": "bantuan", "description": "Bantuan"},
    ]
    status, _ = await call(http, fake, "setMyCommands", commands=commands)
    assert status == 200 and fake.commands() == commands
    status, body = await call(
        http, fake, "setMyCommands", commands=[{"command": "Bad-Name", "description": "x"}]
    )
    assert status == 400
    _, body = await call(http, fake, "getMyCommands", language_code="id")
    assert body["result"] == []

    form = aiohttp.FormData()
    form.add_field("chat_id", "7")
    form.add_field("document", b"isi,berkas\n", filename="data.csv", content_type="text/csv")
    async with http.post(f"{fake.base_url}{fake.token}/sendDocument", data=form) as response:
        result = (await response.json())["result"]
    assert result["document"]["file_name"] == "data.csv" and result["document"]["mime_type"] == "text/csv"
    file_id = result["document"]["file_id"]
    _, body = await call(http, fake, "sendDocument", chat_id=8, document=file_id)  # resend by file_id
    assert body["result"]["document"]["file_id"] == file_id
    _, body = await call(http, fake, "getFile", file_id=file_id)
    path = body["result"]["file_path"]
    async with http.get(f"{fake.base_file_url}{fake.token}/{path}") as response:
        assert await response.read() == b"isi,berkas\n"
    status, body = await call(http, fake, "sendPhoto", chat_id=7, photo="not-a-file-id")
    assert (status, body["description"]) == (400, "Bad Request: wrong file identifier/HTTP URL specified")

    status, body = await call(http, fake, "answerCallbackQuery", callback_query_id="123")
    assert status == 400 and "query is too old" in body["description"]


async def test_media_group_and_chat_action(fake, http):
    form = aiohttp.FormData()
    form.add_field("chat_id", "7")
    media = [
        {"type": "photo", "media": "attach://p1", "caption": "satu"},
        {"type": "photo", "media": "attach://p2"},
    ]
    form.add_field("media", json.dumps(media))
    form.add_field("p1", b"\x89PNG1", filename="a.png")
    form.add_field("p2", b"\x89PNG2", filename="b.png")
    async with http.post(f"{fake.base_url}{fake.token}/sendMediaGroup", data=form) as response:
        result = (await response.json())["result"]
    assert len(result) == 2 and result[0]["media_group_id"] == result[1]["media_group_id"]
    assert [m.photo for m in fake.bot_messages(7)] == [b"\x89PNG1", b"\x89PNG2"]
    status, _ = await call(http, fake, "sendChatAction", chat_id=7, action="typing")
    assert status == 200 and fake.user(7).chat_actions == ["typing"]
    status, _ = await call(http, fake, "sendChatAction", chat_id=7, action="dancing")
    assert status == 400


async def test_recording_can_be_bounded_or_off(http):
    async with FakeTelegram(max_calls=2) as fake:
        for _ in range(3):
            await call(http, fake, "getMe")
        assert len(fake.calls) == 2 and fake.total_calls == 3
        fake.reset_calls()
        assert fake.calls == []
    async with FakeTelegram(record_calls=False, keep_bytes=False) as fake:
        await call(http, fake, "sendDocument", chat_id=1, document="https://example.org/a.pdf")
        assert fake.calls == [] and fake.total_calls == 1
        assert fake.bot_messages(1)[0].document is None


def test_command_entities_use_utf16_lengths():
    assert command_entities("/start fam_ABC") == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert command_entities("halo /start") == []
    assert command_entities("/") == []


async def test_press_lists_the_labels_on_offer(fake, http):
    user = fake.user(13)
    keyboard = {
        "inline_keyboard": [
            [{"text": "Hari 1", "callback_data": "d1"}, {"text": "Web", "url": "https://x.y"}]
        ]
    }
    await call(http, fake, "sendMessage", chat_id=13, text="pilih", reply_markup=keyboard)
    with pytest.raises(AssertionError, match=r"buttons on offer: #1 \[\['Hari 1', 'Web'\]\]"):
        await user.press("Hari 2", wait=False)
    with pytest.raises(AssertionError, match="not a callback button"):
        await user.press("Web", wait=False)
    await user.press("Hari 1", wait=False)
    _, body = await call(http, fake, "getUpdates")
    query = body["result"][0]["callback_query"]
    assert query["data"] == "d1" and query["message"]["message_id"] == 1 and query["from"]["id"] == 13
    status, _ = await call(http, fake, "answerCallbackQuery", callback_query_id=query["id"], text="Tersimpan")
    assert status == 200 and user.callback_answers == ["Tersimpan"]
    status, _ = await call(http, fake, "answerCallbackQuery", callback_query_id=query["id"])
    assert status == 400  # answering twice is refused
    assert "Siti presses [Hari 1]" in user.text_log()
    assert "Bot (answers the button): Tersimpan" in user.text_log()


async def test_message_dates_follow_the_injected_clock(fake, http):
    fake.clock.moment += timedelta(days=2)
    _, body = await call(http, fake, "sendMessage", chat_id=7, text="nanti")
    assert body["result"]["date"] == int(datetime(2026, 11, 22, 1, 0, tzinfo=UTC).timestamp())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_webhook_mode_with_a_real_application(fake):
    seen: list[str] = []

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        seen.append(update.effective_message.text)
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    app = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .concurrent_updates(TrackingUpdateProcessor(fake))
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    port = free_port()
    await app.initialize()
    await app.start()
    await app.updater.start_webhook(
        listen="127.0.0.1",
        port=port,
        url_path="hook",
        webhook_url="https://bot.example/hook",
        secret_token="rahasia",
    )
    try:
        assert fake.webhook.url == "https://bot.example/hook" and fake.webhook.secret_token == "rahasia"
        local = f"http://127.0.0.1:{port}/hook"
        update = {
            "update_id": 900,
            "message": {"message_id": 1, "date": 0, "chat": {"id": 21, "type": "private"}, "text": "x"},
        }
        assert await fake.post_webhook(local, update) == 403  # no secret header
        assert await fake.post_webhook(local, update, secret_token="salah") == 403
        assert await fake.post_webhook(local, update, secret_token="rahasia", wait=True) == 200
        assert seen == ["x"]
        fake.use_webhook(local, secret_token="rahasia")
        user = fake.user(21)
        replies = await user.send("lewat webhook")
        assert [m.text for m in replies] == ["echo: lewat webhook"]
        with pytest.raises(ValueError):
            await fake.post_webhook("http://example.org/hook", update)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_raw_callback_queries_are_answerable_once(fake, http):
    query = {
        "id": "raw-1",
        "from": {"id": 14, "is_bot": False, "first_name": "Ani"},
        "chat_instance": "1",
        "data": "x",
    }
    fake.enqueue_update({"callback_query": query})
    status, _ = await call(http, fake, "answerCallbackQuery", callback_query_id="raw-1", text="ok")
    assert status == 200 and fake.user(14).callback_answers == ["ok"]
    status, _ = await call(http, fake, "answerCallbackQuery", callback_query_id="raw-1", text="lagi")
    assert status == 400
