"""The WhatsApp bridge's parts and its edges: ids, texts to commands, the one conversion, the webhook's refusals,
what a person who has not opted in gets, kinds of messages the bot cannot read, and every mapped error code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.bridge import inbound
from bot.bridge.convert import convert, keyboard_choices, split_text
from bot.channels.whatsapp.links import start_link, start_payload, start_text
from bot.flows import family_link
from bot.flows import midwife as midwife_rules
from bot.reminders.dispatcher import Dispatcher
from storage import identities
from storage.models import ChannelIdentity, Outbox, User
from tests.test_whatsapp_journey import MOTHER, _invite, _registered
from tests.whatsapp_support import Person, body_text, wa_bot


def test_person_ids_are_beyond_telegram_and_safe_in_javascript():
    assert identities.person_id_of(1) > 2**52 > 4_503_599_627_370_495  # Telegram ids have at most 52 bits
    assert identities.person_id_of(10**9) < 2**53
    assert identities.is_whatsapp_id(identities.person_id_of(7))
    assert not identities.is_whatsapp_id(123456789) and not identities.is_whatsapp_id(True)
    row = ChannelIdentity(id=3, channel="whatsapp", address="62", inbound_count=5)
    assert identities.update_id(row) > 2**32  # never one of Telegram's update ids


def test_the_prefilled_text_and_the_deep_link_carry_the_same_payload():
    assert set(identities.__dict__)  # storage module imported
    assert start_text(midwife_rules.REGISTRATION_PREFIX + "ab12cd") == "DAFTAR ab12cd"
    assert start_text(family_link.PREFIX + "XY7") == "GABUNG XY7"
    assert start_payload("daftar ab12cd") == "fas_ab12cd" and start_payload(" GABUNG: XY7 ") == "fam_XY7"
    assert start_payload("daftar") is None and start_payload("halo") is None
    assert start_link("+62 811-0000", "fas_ab12cd") == "https://wa.me/628110000?text=DAFTAR%20ab12cd"
    with pytest.raises(ValueError):
        start_text("bid_xyz")


def test_plain_words_become_commands():
    assert inbound.command_text("menu") == "/menu" and inbound.command_text("Bantuan!") == "/bantuan"
    assert inbound.command_text("/lanjut") == "/lanjut" and inbound.command_text("tanya") == "/tanya"
    assert inbound.command_text("DAFTAR ab12cd") == "/start fas_ab12cd"
    assert inbound.command_text("menu makan bayi") == "menu makan bayi"
    memory = {"latest": [["a:1", "Lancar"], ["a:2", "Kurang lancar"]], "recent": ["old:1"]}
    assert inbound.latest_choice("2", memory) == "a:2" and inbound.latest_choice("lancar", memory) == "a:1"
    assert inbound.latest_choice("kemarin sore", memory) is None
    assert inbound.known_choice("old:1", memory) and not inbound.known_choice("forged:9", memory)


def test_one_conversion_for_keyboards_texts_and_edits():
    markup = {"inline_keyboard": [[{"text": "Mulai", "callback_data": "pijat:start"},
                                   {"text": "Dasbor", "web_app": {"url": "https://x"}}],
                                  [{"text": "Panduan", "url": "https://contoh.id/p"},
                                   {"text": "Chat", "url": "tg://user?id=5"}]]}
    choices, links = keyboard_choices(markup)
    assert [(c.id, c.title) for c in choices] == [("pijat:start", "Mulai")]
    assert links == ["Panduan: https://contoh.id/p"]
    [part] = convert("sendMessage", {"text": "Halo", "reply_markup": markup}, choose="Pilih:").parts
    assert part.text == "Halo\nPanduan: https://contoh.id/p" and part.choices == choices
    assert convert("editMessageReplyMarkup", {"chat_id": 1}, choose="Pilih:").parts == []
    assert convert("deleteMessage", {"chat_id": 1, "message_id": 3}, choose="Pilih:").parts == []
    assert convert("answerCallbackQuery", {"text": "ok"}, choose="x").parts == []
    assert convert("answerCallbackQuery", {"text": "Perhatian", "show_alert": True}, choose="x").parts[0].text
    contact = {"keyboard": [[{"text": "Bagikan", "request_contact": True}], [{"text": "Lewati"}]]}
    assert [c.id for c in keyboard_choices(contact)[0]] == ["txt:Lewati"]


def test_a_long_text_is_split_between_paragraphs_never_inside_one():
    danger = "🚨 Ini tanda bahaya. " + "Segera ke puskesmas. " * 20 + "Telepon 119 atau 112."
    text = "\n\n".join(["Pembuka " * 100, danger, "Penutup " * 300])
    pieces = split_text(text, 1024)
    assert all(len(p) <= 1024 for p in pieces)
    assert any(p == danger or danger in p for p in pieces)  # the advice whole, in one message
    assert "".join(pieces).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(" ", "")


async def test_refusals_first_contact_and_what_the_bot_cannot_read(settings, db, clock, fake_tg):
    async with wa_bot(settings, db, clock, fake_tg) as (running, fake_wa):
        body = fake_wa.change({"messages": [{"from": MOTHER, "id": "wamid.X1", "timestamp": "1", "type": "text",
                                             "text": {"body": "menu"}}]})
        assert await fake_wa.post_webhook(body, signed=False) == 401
        assert await fake_wa.post_webhook(body, signature="sha256=" + "ab" * 32) == 403
        assert fake_wa.sent == []
        assert await fake_wa.post_webhook(fake_wa.change({"statuses": [{"id": "wamid.Z", "status": "read",
                                                                        "timestamp": "1", "recipient_id": "1"}]})) == 200
        mother = Person(fake_wa, running, MOTHER, "Siti")
        await mother.type("menu")  # before the opt-in: only the question
        [ask] = mother.replies
        assert "setuju" in body_text(ask).lower() and ask.type == "interactive"
        await mother.press("wa_optin_no")
        assert "tidak akan mengirim" in mother.texts()
        await mother.press("wa_optin_yes")
        assert "Selamat datang" in mother.texts()  # "menu" before the opt-in was no code: the bot starts anew
        await mother._settle(await mother.user._say({"type": "sticker", "sticker": {"id": "st1",
                                                                                     "mime_type": "image/webp"}}))
        assert "hanya bisa membaca teks" in body_text(mother.user.last())
        await mother._settle(await mother.user._say({"type": "interactive", "interactive": {
            "type": "button_reply", "button_reply": {"id": "mw:done:1", "title": "Sudah"}}}))
        assert "sudah tidak berlaku" in body_text(mother.user.last())


async def test_a_danger_sign_before_the_opt_in_gets_its_advice(settings, db, clock, fake_tg):
    async with wa_bot(settings, db, clock, fake_tg) as (running, fake_wa):
        mother = Person(fake_wa, running, MOTHER, "Siti")
        await mother.type("tolong bayi saya kejang")
        texts = mother.texts()
        assert "119" in texts and "112" in texts, texts
        assert "setuju" in body_text(mother.user.last()).lower()


async def test_a_registration_code_that_looks_like_a_reading_is_still_a_code(settings, db, clock, fake_tg,
                                                                             monkeypatch):
    """A random code can hold "39c" or "34c" (once in ~400 codes): the prefilled text is a registration, never
    read as a fever or a cold baby, and the facility is kept for after the opt-in."""
    from storage.models import Facility, Family

    _invite(db, monkeypatch)
    with db.session() as s:
        facility = s.exec(select(Facility)).one()
        facility.registration_code = "uhn3azk39c"
        s.add(facility)
        s.commit()
    assert not running_danger("DAFTAR uhn3azk39c")
    async with wa_bot(settings, db, clock, fake_tg) as (running, fake_wa):
        await _registered(running, fake_wa, db, "uhn3azk39c")  # never asked for the facility's code
        assert "119" not in "".join(body_text(m) for m in fake_wa.to(MOTHER))
        with db.session() as s:
            assert s.exec(select(Family)).one().facility_id == facility.id


def running_danger(text: str) -> list:
    from content.loader import get_content

    return get_content().match_danger_signs(text)


@pytest.mark.parametrize("code,status,reachable", [(131026, "failed", False), (133010, "failed", False),
                                                   (130429, "pending", True), (131056, "pending", True),
                                                   (131047, "sent", True), (131009, "failed", True)])
async def test_each_error_code_takes_the_path_callers_know(settings, db, clock, fake_tg, monkeypatch, code, status,
                                                          reachable):
    """Unreachable → the Telegram Forbidden path (the person marked unreachable, their rows cancelled); the number's
    rate limit → RetryAfter (every row waits), one person's pair limit → that row retried alone; 131047 → the template, the message held; a refused parameter → failed."""
    registration = _invite(db, monkeypatch)
    async with wa_bot(settings, db, clock, fake_tg) as (running, fake_wa):
        mother = await _registered(running, fake_wa, db, registration)
        with db.session() as s:
            first = s.exec(select(Outbox).where(Outbox.kind == "massage").order_by(Outbox.due_at)).first()
            due = first.due_at
        clock.set(due.replace(tzinfo=clock.now().tzinfo) + timedelta(minutes=1))
        await mother.type("halo")  # the window is open
        fake_wa.fail_next(code, to=MOTHER)
        seen = len(mother.user.inbox)
        dispatcher = Dispatcher(running.runtime, running.app.bot, per_chat_gap=0)
        await dispatcher.tick()
        # only the business number's limit holds every family's reminders; one person's pair limit holds hers
        assert (dispatcher.hold_until is not None) == (code == 130429)
        with db.session() as s:
            person = s.exec(select(User).where(User.telegram_id == identities.person_id_of(1))).one()
            assert person.reachable == reachable
            rows = s.exec(select(Outbox).where(Outbox.attempts > 0).order_by(Outbox.id)).all()
            hit = rows[0]
            identity = s.exec(select(ChannelIdentity)).one()
        if code == 131047:  # the window had closed after all: the template, the message held for the tap
            assert mother.user.inbox[seen].type == "template" and identity.held
            assert hit.status == "sent"
        else:
            assert hit.status == status or (not reachable and hit.status == "cancelled"), (hit.status, hit.last_error)
            said = "429" if code == 130429 else str(code)  # RetryAfter's own words: "429: … Retry in"
            assert said in (hit.last_error or "") or not reachable


async def test_the_window_and_the_held_messages_survive_a_restart(settings, db, clock, fake_tg, monkeypatch):
    from bot.web.server import PORT_KEY

    registration = _invite(db, monkeypatch)
    async with wa_bot(settings, db, clock, fake_tg) as (running, fake_wa):
        mother = await _registered(running, fake_wa, db, registration)

        async def restart() -> None:
            await running.restart()
            fake_wa.webhook_url = f"http://127.0.0.1:{running.app.bot_data[PORT_KEY]}/whatsapp/webhook"

        await restart()
        clock.advance(timedelta(hours=25))
        seen = len(mother.user.inbox)
        await Dispatcher(running.runtime, running.app.bot, per_chat_gap=0).tick()
        sent = mother.user.inbox[seen:]
        assert sent and all(m.type == "template" for m in sent)  # the restarted bot knows the window is closed
        with db.session() as s:
            held = len(s.exec(select(ChannelIdentity)).one().held)
        assert held >= len(sent)
        await restart()
        await mother.press(mother.user.offered()[-1][1])
        assert len([m for m in mother.replies if m.type != "template"]) >= held
        with db.session() as s:
            assert s.exec(select(ChannelIdentity)).one().held == []
