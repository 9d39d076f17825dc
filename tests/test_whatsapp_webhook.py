"""The WhatsApp webhook over real HTTP, fed by the fake Cloud API: verification, signatures, replays, statuses,
and a person's messages arriving as neutral events (with a real SQLite/PostgreSQL store of seen ids)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.channels.inbound import Channel, InboundEvent
from bot.channels.outgoing import Choice, OutgoingMessage, Template
from bot.channels.whatsapp.client import WhatsAppClient
from bot.channels.whatsapp.config import whatsapp_config
from bot.channels.whatsapp.errors import TemplateRequired
from bot.channels.whatsapp.parse import StatusUpdate
from bot.channels.whatsapp.seen import DatabaseSeen, MemorySeen
from bot.channels.whatsapp.sender import WindowSender
from bot.channels.whatsapp.webhook import WhatsAppWebhook, signature, webhook_app
from bot.devtools.fake_whatsapp import FakeWhatsApp
from content.whatsapp import load_whatsapp_templates
from storage import channel_messages

VERIFY = "verify-me-please"
CONTENT = Path(__file__).resolve().parents[1] / "content"


class Bot:
    """The webhook on a real port, its queue of events and list of statuses."""

    def __init__(self, fake: FakeWhatsApp, clock, seen=None):
        self.config = whatsapp_config(fake.env(verify_token=VERIFY))
        self.events: asyncio.Queue[InboundEvent] = asyncio.Queue()
        self.statuses: list[StatusUpdate] = []
        self.webhook = WhatsAppWebhook(self.config, self.events.put_nowait, on_status=self.statuses.append,
                                       seen=seen or MemorySeen(), clock=clock)
        self.runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        self.runner = web.AppRunner(webhook_app(self.webhook), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/whatsapp/webhook"

    def drain(self) -> list[InboundEvent]:
        out = []
        while not self.events.empty():
            out.append(self.events.get_nowait())
        return out


@pytest.fixture
async def fake(clock):
    async with FakeWhatsApp(clock=clock) as fake:
        yield fake


@pytest.fixture
async def bot(fake, clock):
    bot = Bot(fake, clock)
    await bot.start()
    fake.webhook_url = bot.url
    yield bot
    await bot.runner.cleanup()


async def test_verification_answers_the_challenge_only_with_the_right_token(bot):
    async with aiohttp.ClientSession() as http:
        ok = await http.get(bot.url, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY,
                                             "hub.challenge": "1158201444"})
        assert ok.status == 200 and await ok.text() == "1158201444"
        wrong = await http.get(bot.url, params={"hub.mode": "subscribe", "hub.verify_token": "guess",
                                                "hub.challenge": "1158201444"})
        assert wrong.status == 403 and "1158201444" not in await wrong.text()
        missing = await http.get(bot.url, params={"hub.challenge": "1"})
        assert missing.status == 403


async def test_unsigned_and_mis_signed_bodies_are_refused_and_nothing_is_queued(fake, bot, clock):
    user = fake.user("6281234500001", "Siti")
    body = fake.change({"messages": [{"from": user.wa_id, "id": "wamid.X1", "timestamp": str(int(clock.now().timestamp())),
                                      "type": "text", "text": {"body": "halo"}}]})
    raw = json.dumps(body).encode()
    assert await fake.post_webhook(raw, signed=False) == 401
    assert await fake.post_webhook(raw, signature="sha256=" + "0" * 64) == 403
    assert await fake.post_webhook(raw, signature=signature("another-app-secret", raw)) == 403
    assert await fake.post_webhook(raw + b" ", signature=fake.sign(raw)) == 403  # the bytes changed after signing
    assert bot.drain() == []
    assert bot.webhook.refused == {401: 1, 403: 3}
    assert await fake.post_webhook(raw) == 200  # the same body, rightly signed
    [event] = bot.drain()
    assert (event.channel, event.address, event.text, event.name) == (Channel.WHATSAPP, user.wa_id, "halo", "")


async def test_a_replayed_message_id_gives_one_event(fake, bot):
    user = fake.user("6281234500002", "Ani")
    assert await user.type("DAFTAR PKM123") == 200
    assert await user.replay() == 200  # Meta redelivers until it gets a 200; an attacker may replay a signed body
    assert await user.replay() == 200
    events = bot.drain()
    assert [e.text for e in events] == ["DAFTAR PKM123"] and events[0].name == "Ani"
    assert bot.webhook.replays == 2


async def test_statuses_get_200_are_stored_and_make_no_event(fake, bot, clock):
    user = fake.user("6281234500003")
    await user.type("halo")
    bot.drain()
    async with WhatsAppClient(bot.config) as client:
        sent = await client.send_text(user.wa_id, "Halo Bu")
    assert await fake.send_statuses(sent.message_id) == [200, 200, 200]
    assert await fake.send_statuses(sent.message_id, ("failed",), error_code=131026) == [200]
    assert bot.drain() == []
    assert [(s.status, s.provider_message_id) for s in bot.statuses] == [
        ("sent", sent.message_id), ("delivered", sent.message_id), ("read", sent.message_id),
        ("failed", sent.message_id)]
    assert bot.statuses[-1].error_code == 131026 and bot.statuses[0].recipient == user.wa_id


async def test_a_person_types_presses_a_button_and_a_list_row_and_shares_a_contact(fake, bot, clock):
    user = fake.user("6281234500004", "Dewi")
    async with WhatsAppClient(bot.config) as client:
        await user.type("halo")
        [hello] = bot.drain()
        await client.send(user.wa_id, OutgoingMessage("Siapa yang mengisi?", choices=(
            Choice("role_mother", "Saya ibu"), Choice("role_husband", "Saya suami"))))
        await user.press("role_husband")
        [pressed] = bot.drain()
        assert (pressed.choice_id, pressed.text) == ("role_husband", "Saya suami")
        days = tuple(Choice(f"day_{d}", f"Hari ke-{d}") for d in range(1, 8))
        await client.send(user.wa_id, OutgoingMessage("Hari ke berapa?", choices=days, list_button="Pilih"))
        assert user.last().body["interactive"]["type"] == "list"
        await user.press("day_5")
        [row] = bot.drain()
        assert row.choice_id == "day_5"
        with pytest.raises(LookupError):
            await user.press("day_9")
        await user.share_contact("+62 812 3450 0004")
        [card] = bot.drain()
        assert card.contact is not None and card.contact.phone == "+62 812 3450 0004"
    assert hello.time == clock.now().replace(microsecond=0)
    assert bot.webhook.inbound_times.last(user.wa_id) == card.time


async def test_messages_for_another_business_number_are_ignored(fake, bot, clock):
    body = fake.change({"messages": [{"from": "628999", "id": "wamid.OTHER", "type": "text",
                                      "timestamp": str(int(clock.now().timestamp())), "text": {"body": "x"}}]})
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    assert await fake.post_webhook(body) == 200
    assert bot.drain() == []


async def test_the_database_store_drops_a_replay_across_webhook_instances(fake, clock, db):
    first = Bot(fake, clock, seen=DatabaseSeen(db))
    await first.start()
    fake.webhook_url = first.url
    user = fake.user("6281234500005")
    await user.type("halo")
    await first.runner.cleanup()
    second = Bot(fake, clock, seen=DatabaseSeen(db))  # a restart, or a second process
    await second.start()
    fake.webhook_url = second.url
    await user.replay()
    await user.type("lagi")
    await second.runner.cleanup()
    assert [e.text for e in first.drain()] == ["halo"]
    assert [e.text for e in second.drain()] == ["lagi"]
    with db.session() as session:
        assert channel_messages.first_time(session, "telegram", user.last_body["entry"][0]["changes"][0]["value"]
                                           ["messages"][0]["id"], clock.now())  # keyed by channel too
        assert channel_messages.prune(session, clock.now() + timedelta(days=9)) == 3


async def test_a_reminder_inside_the_window_is_interactive_and_one_delayed_past_24_hours_is_a_template(
        fake, bot, clock):
    templates = load_whatsapp_templates(CONTENT).templates
    user = fake.user("6281234500006", "Rina")
    reminder = OutgoingMessage("Bu Rina, sudah waktunya pijat oksitosin.", choices=(
        Choice("wa_start_massage", "Mulai panduan pijat"), Choice("wa_done", "Sudah dilakukan")))
    t = templates["pengingat_pijat_ibu"]
    fallback = OutgoingMessage(template=Template(t.name, t.language, t.render({"nama": "Rina", "hari": 2, "sesi": 1}),
                                                 tuple(b.id for b in t.buttons)))
    education = OutgoingMessage("Tahukah Ibu? ASI pertama (kolostrum) sangat baik untuk bayi.")
    async with WhatsAppClient(bot.config) as client:
        sender = WindowSender(client, bot.webhook.inbound_times, clock)
        await user.type("DAFTAR PKM123")
        clock.advance(timedelta(hours=23, minutes=50))
        assert not (await sender.send(user.wa_id, reminder, fallback)).as_template
        clock.advance(timedelta(minutes=11))  # the next reminder, delayed past the 24th hour
        delivery = await sender.send(user.wa_id, reminder, fallback)
        assert delivery.as_template and user.last().type == "template"
        with pytest.raises(TemplateRequired):
            await sender.send(user.wa_id, education)  # education only inside the window
        await user.press("wa_start_massage")  # the tap reopens the window
        [_, tap] = bot.drain()
        assert tap.choice_id == "wa_start_massage"
        assert not (await sender.send(user.wa_id, education)).as_template
        fake.last_inbound[user.wa_id] -= timedelta(hours=25)  # WhatsApp knows better than the bot: 131047
        assert (await sender.send(user.wa_id, reminder, fallback)).as_template
    assert [m.type for m in user.inbox] == ["interactive", "template", "text", "template"]
    assert [c.error_code for c in fake.calls] == [None, None, None, 131047, None]


async def test_odd_signed_bodies_get_a_clear_answer_and_never_an_error(fake, bot, clock):
    odd = [b"not json", b"[]", b"null", b'{"entry": 5}', b'{"entry": [{"changes": [{"value": {"messages": "x"}}]}]}',
           json.dumps(fake.change({"messages": [{"from": "628", "id": "wamid.A", "timestamp": "soon", "type": "text"}]})).encode(),
           json.dumps(fake.change({"messages": [{"from": "628", "id": "wamid.B", "timestamp": "1", "type": "location",
                                                 "location": {"latitude": 1}}]})).encode(),
           json.dumps(fake.change({"statuses": [{"id": "wamid.C", "status": "failed", "timestamp": "x"}]})).encode()]
    answers = [await fake.post_webhook(raw) for raw in odd]
    assert answers == [400, 200, 200, 200, 200, 200, 200, 200]
    events = bot.drain()
    assert [(e.provider_message_id, e.text, e.choice_id) for e in events] == [("wamid.B", "", "")]  # said, not understood
    assert bot.statuses == []
