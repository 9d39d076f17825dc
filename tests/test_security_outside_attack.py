"""Findings of the outside attack (issue 18), each reproduced from the outside, then proven fixed.

1. Buttons pressed outside a private chat (a bot message forwarded into a group, a supergroup, a channel, an
   inline message) — on every registered callback prefix — get only "please talk to me privately" with the
   bot's link: no family view, no patient list, nothing stored, the mother's chat id stays hers. Nothing is
   ever sent to a non-private chat but that sentence.
2. An update python-telegram-bot cannot parse (a malformed poll_answer, a malformed message), among good
   ones, in polling and in webhook mode: the good ones are answered, the bad one is skipped (its id
   acknowledged) and counted, the log stays small, and no record at DEBUG holds a raw update, a text, a name,
   a username or a phone number. The bot asks Telegram only for the update kinds it handles.
6. A malformed webhook body gets 400 without a traceback; a midwife who is also a mother still gets the
   danger-sign advice for her own free text.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import socket

import pytest
from sqlmodel import select
from telegram.ext import CallbackQueryHandler

from bot.core.chat_privacy import NotPrivateChat
from bot.core.intake import ALLOWED_UPDATES
from bot.devtools.demo import add_midwife
from bot.devtools.harness import RunningBot
from storage import facilities
from storage.models import Family, User
from tests.test_reliability_support import family_id_of, handler_errors, register, say

GROUP = {"id": -4242, "type": "group", "title": "Arisan RT 05"}
SUPERGROUP = {"id": -1004242424242, "type": "supergroup", "title": "Grup Ibu Hamil"}
CHANNEL = {"id": -1009999999999, "type": "channel", "title": "Kanal Info"}
_ids = itertools.count(1)


def callback_prefixes(app) -> list[str]:
    """Every callback prefix a handler is registered for (``^fam:`` → ``fam:``), and None for the catch-all."""
    found = []
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, CallbackQueryHandler):
                pattern = getattr(handler.pattern, "pattern", handler.pattern)
                found.append(pattern.lstrip("^") if isinstance(pattern, str) else None)
    return found


def press_in(user, chat: dict | None, data: str) -> dict:
    """A raw button press on a message in ``chat`` (None: on an inline message, which has no chat)."""
    query = {"id": f"outside-{next(_ids)}", "from": user.to_api(), "chat_instance": "77", "data": data}
    if chat is None:
        query["inline_message_id"] = "AAAB"
    else:
        query["message"] = {"message_id": 5, "date": 1_763_600_000, "chat": chat, "text": "Keluarga Ibu Siti",
                            "from": {"id": 123456, "is_bot": True, "first_name": "Pijat"}}
    return {"callback_query": query}


def _stored(db, telegram_id: int) -> tuple:
    with db.session() as s:
        user = s.exec(select(User).where(User.telegram_id == telegram_id)).one()
        family = s.exec(select(Family)).first()
        return user.chat_id, family.timezone, family.link_code, family.birth_date


def _to_non_private(fake_tg) -> list:
    out = []
    for call in fake_tg.calls:
        chat_id = call.params.get("chat_id")
        if chat_id is not None and int(chat_id) < 0:
            out.append(call)
    return out


async def test_buttons_outside_a_private_chat_get_only_the_link_on_every_prefix(bot, db, fake_tg, mother, caplog):
    caplog.set_level(logging.INFO)
    await register(mother, db)
    family_id = family_id_of(db, mother.id)
    before = _stored(db, mother.id)
    private_before = len(mother.messages)
    prefixes = callback_prefixes(bot.app)
    assert {"fam:", "mw:", "menu:", "ceklis:", "rem:", "hapus:", "reg:", "consent:", None} <= set(prefixes)
    datas = [f"{p}show:{family_id}" if p else "anything" for p in prefixes]
    datas += ["fam:show:0", f"fam:renew:{family_id}", "fam:edit:tz", "mw:list:0", "menu:keluarga", "hapus:yes"]
    hint = say("common.private_only_link", link=f"https://t.me/{fake_tg.bot_username}")
    pressed = 0
    for chat, data in itertools.product((GROUP, SUPERGROUP, CHANNEL, None), datas):
        answers = len(mother.callback_answers)
        await fake_tg.deliver(press_in(mother, chat, data))
        pressed += 1
        assert mother.callback_answers[answers:] == [hint], (chat, data)
    assert len(mother.messages) == private_before  # nothing went to her private chat either
    assert _to_non_private(fake_tg) == []  # not one call to a group, a supergroup or a channel
    assert _stored(db, mother.id) == before  # her chat id, the family's time zone, code and birth date
    assert handler_errors(caplog.records) == []
    print(f"FIGURES group_buttons pressed={pressed} prefixes={len(prefixes)} sent_to_groups=0")


async def test_only_the_hint_ever_reaches_a_group(bot, db, fake_tg, mother):
    await register(mother, db)
    await mother.send_in_group("/keluarga", GROUP["id"])
    await mother.send_in_group("/start", GROUP["id"])
    texts = [m.text for m in fake_tg.bot_messages(GROUP["id"])]
    hint = say("common.private_only_link", link=f"https://t.me/{fake_tg.bot_username}")
    assert texts == [hint, hint]
    with pytest.raises(NotPrivateChat):  # the guard under every send, the dispatcher's too
        await bot.app.bot.send_message(GROUP["id"], "Kode keluarga: ABCD1234")
    with pytest.raises(NotPrivateChat):
        await bot.app.bot.send_message("@kanal_info", "halo")
    assert len(fake_tg.bot_messages(GROUP["id"])) == 2
    assert _stored(db, mother.id)[0] == mother.id


# -- 2. one unreadable update stops nothing ---------------------------------------------------------------

NAME, LAST, USERNAME = "Kartikasari", "Wulandarini", "kartika_wl"
SECRET_TEXT = "pesan rahasia ibu"
PHONE = "6281234567890"


def _person(fake_tg):
    user = fake_tg.user(user_id=61_001, first_name=NAME)
    return user


def _bad_updates(user) -> list[dict]:
    me = {"id": user.id, "is_bot": False, "first_name": NAME, "last_name": LAST, "username": USERNAME}
    chat = {"id": user.id, "type": "private", "first_name": NAME, "last_name": LAST, "username": USERNAME}
    return [
        # a poll answer PTB 22 cannot parse (no option_persistent_ids), as in the attack
        {"poll_answer": {"poll_id": "1", "user": me, "option_ids": [0]}},
        # a message whose date is not a number, carrying a name, a text and a phone number
        {"message": {"message_id": 900, "date": "kemarin", "chat": chat, "from": me,
                     "text": f"{SECRET_TEXT} {PHONE}", "contact": {"phone_number": PHONE, "first_name": NAME}}},
    ]


def _leaks(records) -> list[str]:
    found = []
    for record in records:
        if record.name.startswith("bot.devtools.fake_telegram"):  # the test double, not the bot
            continue
        text = record.getMessage() + (record.exc_text or "")
        for secret in (NAME, LAST, USERNAME, SECRET_TEXT, PHONE, "81234567890"):
            if secret.lower() in text.lower():
                found.append(f"{record.name} {record.levelname}: {text[:300]}")
    return found


async def test_an_unreadable_update_among_good_ones_while_polling(bot, fake_tg, caplog):
    caplog.set_level(logging.DEBUG)
    user = _person(fake_tg)
    await user.send("/start")
    replies = len(user.messages)
    before_polls = len(fake_tg.calls_to("getUpdates"))
    good = fake_tg.enqueue_update({"message": {
        "message_id": 901, "date": 1_763_600_000, "chat": {"id": user.id, "type": "private", "first_name": NAME},
        "from": user.to_api(), "text": SECRET_TEXT}})
    bad = [fake_tg.enqueue_update(raw, unfiltered=True) for raw in _bad_updates(user)]
    after = fake_tg.enqueue_update({"message": {
        "message_id": 902, "date": 1_763_600_000, "chat": {"id": user.id, "type": "private", "first_name": NAME},
        "from": user.to_api(), "text": "/start"}})
    for ticket in (good, *bad, after):
        await fake_tg.wait_processed(ticket)  # every one acknowledged, the bad ones as bare updates
    assert len(user.messages) >= replies + 2  # both good ones answered
    assert bot.app.bot.unreadable_updates == 2
    polls = len(fake_tg.calls_to("getUpdates")) - before_polls
    assert polls <= 10, polls  # not the same offset again and again
    assert all(set(call.params.get("allowed_updates") or []) == set(ALLOWED_UPDATES)
               for call in fake_tg.calls_to("getUpdates"))
    records = [r for r in caplog.records if not r.name.startswith("bot.devtools.fake_telegram")]
    assert not [r for r in records if r.levelno >= logging.ERROR]
    assert len([r for r in records if r.levelno == logging.WARNING]) == 2  # one line per skipped update
    assert _leaks(caplog.records) == []
    size = sum(len(r.getMessage()) for r in records)
    print(f"FIGURES unreadable_polling skipped=2 polls={polls} records={len(records)} bytes={size} leaks=0")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
async def webhook_bot(settings, db, clock, fake_tg):
    secret = "rahasia_uji-2"
    running = RunningBot(settings=settings.with_(webhook_secret=secret), db=db, clock=clock, fake=fake_tg,
                         poll=False)
    await running.start()
    port = _free_port()
    await running.app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="hook",
                                            webhook_url="https://bot.example/hook", secret_token=secret,
                                            allowed_updates=ALLOWED_UPDATES)
    hook = f"http://127.0.0.1:{port}/hook"
    fake_tg.use_webhook(hook, secret)
    try:
        yield running, hook, secret
    finally:
        fake_tg.use_polling()
        await running.app.updater.stop()
        await running.stop()


async def test_an_unreadable_update_among_good_ones_by_webhook(webhook_bot, fake_tg, caplog):
    caplog.set_level(logging.DEBUG)
    running, hook, secret = webhook_bot
    user = _person(fake_tg)
    await user.send("/start")
    replies = len(user.messages)
    for raw in _bad_updates(user):
        assert await fake_tg.post_webhook(hook, raw, secret, wait=True) == 200  # acknowledged: not resent
    assert await fake_tg.post_webhook(hook, {"update_id": 5_000, "message": {
        "message_id": 903, "date": 1_763_600_000, "chat": {"id": user.id, "type": "private", "first_name": NAME},
        "from": user.to_api(), "text": SECRET_TEXT}}, secret, wait=True) == 200
    assert len(user.messages) == replies + 1
    assert running.app.bot.unreadable_updates == 2
    assert set(fake_tg.webhook.allowed_updates or []) == set(ALLOWED_UPDATES)
    records = [r for r in caplog.records if not r.name.startswith("bot.devtools.fake_telegram")]
    assert not [r for r in records if r.levelno >= logging.ERROR]
    assert _leaks(caplog.records) == []


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]", b'{"message": {}}', b"\xff\xfe", b'"text"'],
                         ids=["broken", "empty", "list", "no_id", "not_utf8", "string"])
async def test_a_malformed_webhook_body_gets_400_without_a_traceback(webhook_bot, fake_tg, caplog, body):
    caplog.set_level(logging.DEBUG)
    running, hook, secret = webhook_bot
    status, _ = await fake_tg.post_webhook_raw(hook, body, secret)
    assert status == 400
    records = [r for r in caplog.records if not r.name.startswith("bot.devtools.fake_telegram")]
    assert not [r for r in records if r.exc_info or r.exc_text], [r.getMessage() for r in records if r.exc_info]
    assert [r.levelname for r in records if r.levelno >= logging.WARNING] == ["WARNING"]
    user = _person(fake_tg)
    await user.send("/start")  # and the bot carries on
    assert say("onboarding.welcome") in user.last_reply.text


async def test_no_log_record_at_debug_holds_personal_data_in_a_whole_conversation(bot, db, fake_tg, caplog):
    """A registration with a name, a typed text and a phone number in a contact, at DEBUG, every logger."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger("telegram").setLevel(logging.DEBUG)
    user = fake_tg.user(user_id=61_002, first_name=NAME, last_name=LAST, username=USERNAME)
    await register(user, db, name=NAME)
    await user.send(SECRET_TEXT)
    await user.send_message_fields({"contact": {"phone_number": PHONE, "first_name": NAME}}, shown="[contact]")
    await user.send(f"nomor saya +62 812-3456-7890 dan {PHONE}")
    assert len(caplog.records) > 50
    assert _leaks(caplog.records) == []
    assert not any(re.search(r"\+62 812", r.getMessage()) for r in caplog.records
                   if not r.name.startswith("bot.devtools.fake_telegram"))


# -- 6. a midwife who is a mother too ---------------------------------------------------------------------

async def test_a_midwife_who_is_also_a_mother_gets_the_danger_advice(bot, db, fake_tg, mother, clock):
    await register(mother, db)
    with db.session() as session:
        facility = facilities.create(session, name="PMB Uji", now=clock.now())
        add_midwife(session, facility, telegram_id=mother.id, name="Bidan Siti", now=clock.now())
    await mother.send("bayi saya kejang dari tadi")
    kejang = bot.runtime.content.danger_sign("bayi_kejang").text
    assert any(kejang in m.text for m in mother.replies_since_last_action), mother.text_log()


def test_allowed_updates_are_the_kinds_the_handlers_act_on():
    assert set(ALLOWED_UPDATES) == {"message", "callback_query", "my_chat_member"}
    json.dumps(ALLOWED_UPDATES)


def test_an_unreadable_getupdates_answer_is_a_network_error_so_polling_backs_off():
    """PTB's polling loop retries a TelegramError after 1 s, growing to 30 s; any other exception it retried at
    once, forever. A getUpdates answer that is not a list of updates now raises NetworkError."""
    from telegram.error import NetworkError

    from bot.core.intake import UnreadableUpdates, parsed_batch

    counter = UnreadableUpdates()
    for answer in ({"ok": True}, "x", [{"message": {}}], [{"update_id": "7"}], [None]):
        with pytest.raises(NetworkError):
            parsed_batch(answer, None, counter)
    good = {"update_id": 8, "message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"},
                                        "text": "halo"}}
    bad = {"update_id": 9, "poll_answer": {"poll_id": "1", "option_ids": [0]}}
    read = parsed_batch([good, bad], None, counter)
    assert [u.update_id for u in read] == [8, 9]
    assert read[0].message.text == "halo" and read[1].to_dict() == {"update_id": 9}  # the bad one: bare
    assert counter.count == 1
