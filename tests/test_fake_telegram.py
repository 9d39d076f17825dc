"""FakeTelegram driven by a real, minimal python-telegram-bot Application."""

from __future__ import annotations

import asyncio
import datetime as dtm
import sys
from pathlib import Path

import aiohttp
import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, EndPointNotFound, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.devtools.fake_telegram import (
    Blocked,
    Drop,
    FakeTelegram,
    ServerError,
    TrackingUpdateProcessor,
    tiny_png,
)
from bot.devtools.fake_telegram import (
    RetryAfter as RetryAfterFault,
)

ROOT = Path(__file__).resolve().parents[1]
KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Ya", callback_data="yes"), InlineKeyboardButton("Tidak", callback_data="no")],
        [InlineKeyboardButton("Sama", callback_data="same")],
    ]
)


class Probe:
    """What the test bot saw, and gates the test opens."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self.started = asyncio.Event()
        self.gate = asyncio.Event()
        self.handled = 0


def build_app(fake: FakeTelegram, probe: Probe, max_concurrent: int = 1) -> Application:
    app = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .concurrent_updates(TrackingUpdateProcessor(fake, max_concurrent_updates=max_concurrent))
        .build()
    )

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        probe.handled += 1
        payload = " ".join(context.args) if context.args else "-"
        await update.effective_message.reply_text(f"Halo {payload}", reply_markup=KEYBOARD)

    async def media(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_photo(
            photo=tiny_png(3, 2), caption="Foto <b>pijat</b>", parse_mode="HTML"
        )
        await update.effective_message.reply_document(document=b"a,b\n1,2\n", filename="laporan.csv")

    async def wait(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        probe.started.set()
        await probe.gate.wait()
        await update.effective_message.reply_text("Selesai menunggu")

    async def fragile(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await update.effective_message.reply_text("coba")
        except Exception as exc:  # noqa: BLE001 - the test inspects what PTB raised
            probe.errors.append(exc)

    async def photo_in(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        file = await update.effective_message.photo[-1].get_file()
        data = await file.download_as_bytearray()
        await update.effective_message.reply_text(f"Foto diterima: {len(data)} byte")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        probe.handled += 1
        await update.effective_message.reply_text(f"echo: {update.effective_message.text}")

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        await query.answer("Oke")
        if query.data == "same":
            try:
                await query.edit_message_text(query.message.text, reply_markup=KEYBOARD)
            except BadRequest as exc:
                probe.errors.append(exc)
            return
        await query.edit_message_text(f"Dipilih: {query.data}")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("media", media))
    app.add_handler(CommandHandler("wait", wait))
    app.add_handler(CommandHandler("fragile", fragile))
    app.add_handler(MessageHandler(filters.PHOTO, photo_in))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(button))
    return app


@pytest.fixture
async def fake():
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def probe() -> Probe:
    return Probe()


async def running(app: Application) -> Application:
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    return app


async def stopped(app: Application) -> None:
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()


@pytest.fixture
async def app(fake, probe):
    application = await running(build_app(fake, probe))
    yield application
    await stopped(application)


async def test_send_and_reply_round_trip(fake, app):
    siti = fake.user(5001, first_name="Siti")
    replies = await siti.send("halo bidan")
    assert [m.text for m in replies] == ["echo: halo bidan"]
    assert siti.last_reply.text == "echo: halo bidan"
    assert siti.last_reply.message_id > 1  # Siti's message came first in the chat
    sent = fake.calls_to("sendMessage")
    assert len(sent) == 1 and sent[0].params["chat_id"] == 5001 and sent[0].status == 200
    assert fake.calls_to("getMe") and fake.calls_to("deleteWebhook")
    assert "Siti: halo bidan" in siti.text_log() and "Bot: echo: halo bidan" in siti.text_log()


async def test_deep_link_and_pressing_a_button_edits_the_message(fake, app):
    siti = fake.user(5002)
    await siti.send("/start fam_ABC")
    menu = siti.last_reply
    assert menu.text == "Halo fam_ABC"
    assert menu.buttons == [["Ya", "Tidak"], ["Sama"]]
    assert menu.callback_data("Tidak") == "no"

    replies = await siti.press("Ya")
    assert siti.callback_answers == ["Oke"]
    assert [m.message_id for m in replies] == [menu.message_id]
    assert menu.text == "Dipilih: yes" and menu.edits == 1
    assert menu.buttons == []  # editMessageText without reply_markup removes the keyboard, as in Telegram
    assert menu.history[0].text == "Halo fam_ABC"

    with pytest.raises(AssertionError, match="no inline button 'Ya'"):
        await siti.press("Ya")


async def test_editing_to_identical_content_is_not_modified(fake, app, probe):
    siti = fake.user(5003)
    await siti.send("/start")
    await siti.press("Sama")
    assert len(probe.errors) == 1 and isinstance(probe.errors[0], BadRequest)
    assert "message is not modified" in str(probe.errors[0]).lower()
    assert siti.last_reply.edits == 0
    assert fake.calls_to("editMessageText")[-1].status == 400


@pytest.mark.parametrize(
    ("fault", "expected", "text"),
    [
        (RetryAfterFault(3), RetryAfter, "Flood control"),
        (Blocked(), Forbidden, "bot was blocked by the user"),
        (ServerError(500), NetworkError, "Internal Server Error"),
        (ServerError(502), NetworkError, "Bad Gateway"),
        (Drop(), NetworkError, "Server disconnected"),
    ],
)
async def test_injected_faults_reach_ptb_as_its_errors(fake, app, probe, fault, expected, text):
    siti = fake.user(5004)
    rule = fake.inject("sendMessage", fault, times=1)
    await siti.send("/fragile")
    assert len(probe.errors) == 1, probe.errors
    error = probe.errors[0]
    assert isinstance(error, expected) and text in str(error)
    if isinstance(error, RetryAfter):
        assert error.retry_after in (3, dtm.timedelta(seconds=3))
    assert rule.hits == 1 and not fake.faults.rules
    assert siti.messages == []
    # the fault was used up: the next call goes through
    await siti.send("/fragile")
    assert siti.last_reply.text == "coba" and len(probe.errors) == 1


async def test_drop_after_apply_sends_but_loses_the_answer(fake, app, probe):
    siti = fake.user(5005)
    fake.inject("sendMessage", Drop(after_apply=True), chat_id=5005)
    await siti.send("/fragile")
    assert isinstance(probe.errors[0], NetworkError)
    assert siti.last_reply.text == "coba"  # the user did get it
    assert fake.calls_to("sendMessage")[0].status == 0


async def test_blocked_user_gets_nothing_and_bot_sees_forbidden(fake, app, probe):
    siti = fake.user(5006)
    await siti.block_bot(notify=True)  # a my_chat_member update, processed by the bot
    await siti.send("/fragile")
    assert isinstance(probe.errors[0], Forbidden)
    fake.unblock(5006)
    await siti.send("/fragile")
    assert siti.last_reply.text == "coba"


async def test_photo_and_document_uploads_keep_bytes_and_names(fake, app):
    siti = fake.user(5007)
    await siti.send("/media")
    photo, document = siti.messages
    assert photo.photo == tiny_png(3, 2) and photo.text == "Foto pijat"
    assert document.document == b"a,b\n1,2\n" and document.filename == "laporan.csv"
    call = fake.calls_to("sendDocument")[0]
    assert call.params["document"] == b"a,b\n1,2\n" and call.files["document"].filename == "laporan.csv"
    assert fake.calls_to("sendPhoto")[0].params["parse_mode"] == "HTML"


async def test_bot_downloads_a_photo_the_user_sent(fake, app):
    siti = fake.user(5008)
    picture = tiny_png(4, 4)
    await siti.send_photo(picture)
    assert siti.last_reply.text == f"Foto diterima: {len(picture)} byte"
    assert fake.calls_to("getFile")[0].status == 200


async def test_send_waits_for_a_slow_handler(fake, app, probe):
    siti = fake.user(5009)
    task = asyncio.create_task(siti.send("/wait"))
    await probe.started.wait()
    assert not task.done() and siti.messages == []
    probe.gate.set()
    replies = await task
    assert [m.text for m in replies] == ["Selesai menunggu"]


async def test_concurrent_processor_lets_other_users_through(fake, probe):
    application = await running(build_app(fake, probe, max_concurrent=4))
    try:
        slow, quick = fake.user(5010), fake.user(5011)
        waiting = asyncio.create_task(slow.send("/wait"))
        await probe.started.wait()
        await quick.send("cepat")
        assert quick.last_reply.text == "echo: cepat" and not waiting.done()
        probe.gate.set()
        await waiting
        await fake.wait_idle()
        assert slow.last_reply.text == "Selesai menunggu"
    finally:
        await stopped(application)


async def test_same_update_delivered_twice_is_processed_twice(fake, app, probe):
    siti = fake.user(5012)
    await siti.send("sekali")
    update = siti.last_update.payload
    first_count = probe.handled
    ticket = await fake.deliver(update)
    assert ticket.update_id == update["update_id"] and ticket.status == "processed"
    assert probe.handled == first_count + 1


async def test_waiting_on_an_update_nobody_fetches_fails_clearly(fake):
    siti = fake.user(5013)
    with pytest.raises(AssertionError, match="never processed update"):
        await siti.send("halo", timeout=0.05)


async def test_unknown_method_answers_404_and_is_recorded(fake, app):
    with pytest.raises(EndPointNotFound):
        await app.bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": 1})
    call = fake.calls_to("sendTelepathy")[0]
    assert call.status == 404 and call.error == "Not Found: method not found"


async def test_wrong_token_is_unauthorized(fake):
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake.base_url}999:WRONG/getMe") as response:
            assert response.status == 401
            assert (await response.json())["description"] == "Unauthorized"
        async with session.get(f"{fake.base_url}not-a-token/getMe") as response:
            assert response.status == 404


async def test_standalone_server_answers_get_me():
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.devtools.fake_telegram",
        "--port",
        "0",
        "--token",
        "123:abc",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        base_url = line.split(" on ", 1)[1].split(" ", 1)[0]
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base_url}123:abc/getMe") as response:
                body = await response.json()
        assert body["ok"] is True and body["result"]["username"] == "PijatOksitosinBot"
        assert body["result"]["id"] == 123
    finally:
        proc.terminate()
        await proc.wait()


async def test_every_user_action_arrives_as_a_ptb_update(fake):
    from telegram.ext import TypeHandler

    seen: list[str] = []

    async def record(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if update.edited_message:
            seen.append(f"edited:{message.text}")
        elif update.callback_query:
            query = update.callback_query
            seen.append(f"callback:{query.data}:{query.message.message_id}:{query.message.is_accessible}")
        elif update.my_chat_member:
            seen.append(f"member:{update.my_chat_member.new_chat_member.status}")
        elif message.sticker:
            seen.append(f"sticker:{message.sticker.emoji}")
        elif message.voice:
            seen.append(f"voice:{message.voice.duration}")
        elif message.document:
            seen.append(f"document:{message.document.file_name}")
        elif message.location:
            seen.append(f"location:{message.location.latitude}")
        else:
            seen.append(f"{update.effective_chat.type}:{message.text}")

    application = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .concurrent_updates(TrackingUpdateProcessor(fake))
        .build()
    )
    application.add_handler(TypeHandler(Update, record))
    await running(application)
    try:
        siti = fake.user(5020, first_name="Siti", username="siti_ibu")
        await siti.send("halo")
        await siti.edit_last("halo lagi")
        await siti.send_sticker()
        await siti.send_voice(duration=4)
        await siti.send_document(b"isi", filename="kartu.pdf")
        await siti.send_location()
        await siti.send_in_group("/start@PijatOksitosinBot")
        await siti.press_data("forged:1", message_id=77)
        await application.bot.send_message(5020, "pilih", reply_markup=KEYBOARD)
        await siti.press_data("forged:2")
        await siti.block_bot()
        await fake.wait_idle()
    finally:
        await stopped(application)
    menu_id = siti.last_reply.message_id
    assert seen == [
        "private:halo",
        "edited:halo lagi",
        "sticker:\N{THUMBS UP SIGN}",
        "voice:4",
        "document:kartu.pdf",
        "location:-6.2",
        "supergroup:/start@PijatOksitosinBot",
        "callback:forged:1:77:False",
        f"callback:forged:2:{menu_id}:True",
        "member:kicked",
    ]
    assert siti.unanswered_callbacks and siti.callback_answers == []
    log = siti.text_log()
    assert "Siti (edits #1): halo lagi" in log and "Bot: pilih  [Ya] [Tidak] [Sama]" in log
