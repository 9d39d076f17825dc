"""The WhatsApp client against the fake Cloud API: the 24-hour window on the injected clock, every mapped error
code, WhatsApp's limits enforced by the fake, media uploaded once and sent by id, read marks."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.channels.outgoing import Choice, Media, MediaKind, OutgoingMessage, Template
from bot.channels.whatsapp.client import WhatsAppClient
from bot.channels.whatsapp.config import whatsapp_config
from bot.channels.whatsapp.errors import (
    InvalidParameter,
    RetryLater,
    TemplateRequired,
    Unreachable,
    WhatsAppError,
    error_from_envelope,
)
from bot.channels.whatsapp.media import MediaIds, MediaTooLarge
from bot.channels.whatsapp.window import InboundTimes
from bot.devtools.fake_whatsapp import FakeWhatsApp
from content.whatsapp import load_whatsapp_templates

CONTENT = Path(__file__).resolve().parents[1] / "content"
WA_ID = "6281234509999"


@pytest.fixture
def templates():
    return load_whatsapp_templates(CONTENT)


@pytest.fixture
async def fake(clock, templates):
    approved = {t.name: (len(t.params), len(t.buttons)) for t in templates.templates.values()}
    async with FakeWhatsApp(clock=clock, templates=approved) as fake:
        yield fake


@pytest.fixture
async def client(fake):
    async with WhatsAppClient(whatsapp_config(fake.env())) as client:
        yield client


def _opened_window(fake, clock, wa_id=WA_ID):
    """The person wrote now (what the fake's user does when typing, without a webhook listener)."""
    fake.last_inbound[wa_id] = clock.now()


async def test_a_non_template_send_more_than_24_hours_after_the_last_inbound_needs_a_template(fake, client, clock,
                                                                                            templates):
    with pytest.raises(TemplateRequired) as never:
        await client.send_text(WA_ID, "Halo Bu")  # the person never wrote
    assert never.value.code == 131047
    _opened_window(fake, clock)
    times = InboundTimes()
    times.saw(WA_ID, clock.now())
    clock.advance(timedelta(hours=23, minutes=59))
    assert not times.needs_template(WA_ID, clock.now())
    await client.send_text(WA_ID, "Sudah waktunya pijat")
    clock.advance(timedelta(minutes=2))  # a reminder delayed past the 24th hour
    assert times.needs_template(WA_ID, clock.now())
    with pytest.raises(TemplateRequired):
        await client.send(WA_ID, OutgoingMessage("Sudah pijat?", choices=(Choice("y", "Sudah"), Choice("n", "Belum"))))
    reminder = templates.templates["pengingat_pijat_ibu"]
    params = reminder.render({"nama": "Siti\nAminah", "hari": 3, "sesi": 1})
    assert params == ("Siti Aminah", "3", "1")
    sent = await client.send(WA_ID, OutgoingMessage(template=Template(
        reminder.name, reminder.language, params, tuple(b.id for b in reminder.buttons))))
    assert sent.message_id.startswith("wamid.") and fake.sent[-1].type == "template"
    assert [c.error_code for c in fake.calls] == [131047, None, 131047, None]


@pytest.mark.parametrize(("code", "cls"), [(131047, TemplateRequired), (130429, RetryLater), (131056, RetryLater),
                                           (131026, Unreachable), (133010, Unreachable), (131009, InvalidParameter),
                                           (131000, WhatsAppError)])
async def test_every_error_code_maps_to_its_exception(fake, client, clock, code, cls):
    _opened_window(fake, clock)
    fake.fail_next(code, to=WA_ID)
    with pytest.raises(cls) as raised:
        await client.send_text(WA_ID, "Halo")
    assert raised.value.code == code and raised.value.status == 400 and type(raised.value) is cls
    sent = await client.send_text(WA_ID, "Halo")  # the fault was for one send only
    assert sent.wa_id == WA_ID


def test_the_envelope_mapping_reads_code_and_details():
    error = error_from_envelope({"error": {"message": "(#131047) Re-engagement message", "type": "OAuthException",
                                           "code": 131047, "error_data": {"messaging_product": "whatsapp",
                                                                          "details": "24 hours have passed"},
                                           "fbtrace_id": "Az8"}}, 400)
    assert isinstance(error, TemplateRequired) and error.details == "24 hours have passed"
    assert type(error_from_envelope("<html>bad gateway</html>", 502)) is WhatsAppError


async def test_a_template_parameter_with_a_newline_or_five_spaces_is_refused_by_the_fake(fake, client, templates):
    reminder = templates.templates["pengingat_ceklis"]
    for bad in ("Siti\nAminah", "Siti\tAminah", "Siti     Aminah"):
        with pytest.raises(InvalidParameter) as raised:
            await client.send_template(WA_ID, reminder.name, "id", (bad,))
        assert raised.value.code == 131009
    await client.send_template(WA_ID, reminder.name, "id", ("Siti    Aminah",))  # four spaces are allowed
    with pytest.raises(WhatsAppError) as unknown:
        await client.send_template(WA_ID, "tidak_ada", "id", ())
    assert unknown.value.code == 132001


async def test_the_fake_enforces_whatsapps_limits_on_raw_bodies(fake, clock):
    _opened_window(fake, clock)
    url = f"{fake.api_url}/{fake.phone_number_id}/messages"
    headers = {"Authorization": f"Bearer {fake.token}"}

    def buttons(*titles):
        return {"messaging_product": "whatsapp", "to": WA_ID, "type": "interactive", "interactive": {
            "type": "button", "body": {"text": "Pilih"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": f"b{i}", "title": t}}
                                   for i, t in enumerate(titles)]}}}

    def rows(n, title="Baris", description=""):
        return {"messaging_product": "whatsapp", "to": WA_ID, "type": "interactive", "interactive": {
            "type": "list", "body": {"text": "Pilih"}, "action": {"button": "Pilih", "sections": [{"rows": [
                {"id": f"r{i}", "title": f"{title} {i}", "description": description} for i in range(n)]}]}}}

    async with aiohttp.ClientSession() as http:
        async def code(body):
            async with http.post(url, json=body, headers=headers) as r:
                payload = await r.json()
                return payload.get("error", {}).get("code", 0)

        assert await code(buttons("A", "B", "C")) == 0
        assert await code(buttons("A", "B", "C", "D")) == 131009  # four buttons
        assert await code(buttons("A", "A")) == 131009  # the same title twice
        assert await code(buttons("x" * 21)) == 131009
        assert await code(buttons("🤱" * 20)) == 0  # code points, not bytes
        assert await code(rows(10)) == 0
        assert await code(rows(11)) == 131009
        assert await code(rows(2, title="y" * 24)) == 131009  # 24 + " 0" = 26
        assert await code(rows(2, description="d" * 73)) == 131009
        long_body = buttons("A")
        long_body["interactive"]["body"]["text"] = "x" * 1025
        assert await code(long_body) == 131009
        async with http.post(url, json=buttons("A"), headers={"Authorization": "Bearer wrong"}) as r:
            assert r.status == 401 and (await r.json())["error"]["code"] == 190


async def test_what_the_client_renders_always_passes_the_fake(fake, client, clock):
    _opened_window(fake, clock)
    long = "Bayi menyusu kuat sepanjang hari dan malam"
    for n in (2, 3, 4, 10, 11, 30):
        choices = tuple(Choice(f"c{i}", f"{long} {i}") for i in range(n))
        await client.send(WA_ID, OutgoingMessage("Bagaimana bayi menyusu hari ini?", choices=choices,
                                                 list_button="Pilih jawaban"))
    assert [m.type for m in fake.sent] == ["interactive"] * 4 + ["text"] * 2
    assert all(c.ok for c in fake.calls)


async def test_media_is_uploaded_once_and_sent_by_id(fake, client, clock, tmp_path):
    voice = tmp_path / "pijat_5_menit.ogg"
    voice.write_bytes(b"OggS" + bytes(2000))
    media_id = await client.upload_media(voice)
    assert fake.media[media_id][1] == "audio/ogg"
    upload = fake.calls[-1]
    assert upload.path == f"/{fake.version}/{fake.phone_number_id}/media" and upload.body["size"] == 2004
    info = await client.get_media(media_id)
    assert info.mime_type == "audio/ogg" and info.file_size == 2004
    assert await client.download_media(media_id) == voice.read_bytes()
    _opened_window(fake, clock)
    for _ in range(2):
        await client.send(WA_ID, OutgoingMessage(media=Media(MediaKind.AUDIO, media_id=media_id)))
    assert [m.body["audio"] for m in fake.sent] == [{"id": media_id}] * 2
    assert len(fake.media) == 1
    with pytest.raises(WhatsAppError) as unknown:
        await client.send(WA_ID, OutgoingMessage(media=Media(MediaKind.IMAGE, media_id="media-none")))
    assert unknown.value.code == 131053


async def test_mark_read_and_a_network_failure_is_retry_later(fake, client):
    await client.mark_read("wamid.IN00000001")
    assert fake.read_marks == ["wamid.IN00000001"]
    config = whatsapp_config({**fake.env(), "WHATSAPP_API_URL": "http://127.0.0.1:9/v23.0"})
    async with WhatsAppClient(config) as offline:
        with pytest.raises(RetryLater) as raised:
            await offline.send_text(WA_ID, "Halo")
    assert raised.value.code == 0


async def test_the_guides_media_are_uploaded_once_and_again_after_29_days(fake, client, clock, tmp_path):
    ids = MediaIds(client, clock)
    animation = tmp_path / "gerakan.mp4"
    animation.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(500))
    first = await ids.media_id(animation)
    again = await asyncio.gather(*(ids.media_id(animation) for _ in range(5)))
    assert set(again) == {first} and ids.uploads == 1
    assert fake.media[first][1] == "video/mp4"
    clock.advance(timedelta(days=29))
    assert await ids.media_id(animation) != first and ids.uploads == 2
    big = tmp_path / "besar.png"
    big.write_bytes(bytes(5 * 1024 * 1024 + 1))
    with pytest.raises(MediaTooLarge):
        await ids.media_id(big)
