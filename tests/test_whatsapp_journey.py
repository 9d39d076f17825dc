"""A family on WhatsApp, from the outside: the real Application, the webhook on its own web server, the fake
Cloud API (its limits, its window on the injected clock), the Telegram midwife on the fake Bot API."""

from __future__ import annotations

from sqlmodel import select

from bot import cli
from storage.models import ChannelIdentity, Facility
from tests.whatsapp_support import Person, body_text, wa_bot

MOTHER = "6281234560001"


def _invite(db, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", db.url)
    assert cli.main(["midwife", "invite", "--facility", "Puskesmas Masohi", "--protocol", "seed001"]) == 0
    with db.session() as s:
        return s.exec(select(Facility)).one().registration_code


async def test_a_family_on_whatsapp(settings, db, clock, fake_tg, monkeypatch):
    code = _invite(db, monkeypatch)
    async with wa_bot(settings, db, clock, fake_tg) as (running, fake_wa):
        mother = Person(fake_wa, running, MOTHER, "Siti")
        log = []

        async def act(how, what):
            await (mother.type(what) if how == "type" else mother.press_title(what))
            log.append(f"> {what}\n{mother.texts()}")

        await act("type", f"DAFTAR {code}")
        assert [k for k, *_ in mother.user.offered()] == ["button_reply", "button_reply"]
        await act("press", "Setuju")
        await act("press", "Setuju")
        await act("press", "Boleh")
        await act("press", "Ibu")
        await act("type", "Siti")
        await act("press", "Kemarin")
        await act("press", mother.user.offered()[0][2])
        await act("press", "Benar, simpan")
        print("\n".join(log))
        with db.session() as s:
            row = s.exec(select(ChannelIdentity)).one()
            assert row.opt_in_version and row.person_id > 6_000_000_000_000_000


async def _registered(running, fake_wa, db, code: str) -> Person:
    mother = Person(fake_wa, running, MOTHER, "Siti")
    await mother.type(f"DAFTAR {code}")
    await mother.press("wa_optin_yes")
    for title in ("Setuju", "Boleh", "Ibu"):
        await mother.press_title(title)
    await mother.type("Siti")
    await mother.press_title("Kemarin")
    await mother.press(mother.user.offered()[0][1])
    await mother.press_title("Benar, simpan")
    await mother.press_title("Lewati semua")
    return mother


async def test_a_reminder_past_the_window_goes_as_a_template_and_the_tap_brings_it(
        settings, db, clock, fake_tg, monkeypatch):
    from datetime import timedelta

    from bot.reminders.dispatcher import Dispatcher
    from storage.models import Outbox

    code = _invite(db, monkeypatch)
    async with wa_bot(settings, db, clock, fake_tg) as (running, fake_wa):
        mother = await _registered(running, fake_wa, db, code)
        last_inbound = clock.now()
        with db.session() as s:
            rows = s.exec(select(Outbox).where(Outbox.kind == "massage").order_by(Outbox.due_at)).all()
            due = [r.due_at for r in rows if r.due_at.replace(tzinfo=last_inbound.tzinfo) > last_inbound + timedelta(hours=24)]
        assert due, "no massage reminder due more than 24 h later"
        clock.set(due[0].replace(tzinfo=last_inbound.tzinfo) + timedelta(minutes=1))
        seen = len(mother.user.inbox)
        await Dispatcher(running.runtime, running.app.bot, per_chat_gap=0).tick()
        sent = mother.user.inbox[seen:]
        assert sent and all(m.type == "template" for m in sent), [m.body for m in sent]
        assert "pengingat_pijat_ibu" in [m.body["template"]["name"] for m in sent]
        massage = next(m for m in sent if m.body["template"]["name"] == "pengingat_pijat_ibu")
        params = [p["text"] for c in massage.body["template"]["components"] if c["type"] == "body"
                  for p in c["parameters"]]
        assert params[0] == "Siti" and params[1].isdigit() and params[2].isdigit(), params
        payloads = [p for _, p, _ in mother.user.offered()]
        assert any(p.startswith("rem:done:") for p in payloads), payloads
        # the tap reopens the window: the held reminder first, then what "Sudah dilakukan" does
        await mother.press(next(p for p in payloads if p.startswith("rem:done:")))
        texts = mother.texts()
        assert "pijat ke-" in texts and all(m.type != "template" for m in mother.replies), texts
        # a replayed message id gets no second answer
        seen = len(mother.user.inbox)
        assert await mother.user.replay() == 200
        await running.bridge.settled()
        assert len(mother.user.inbox) == seen
        # BERHENTI: the bot's own messages stop; an answer says how to resume
        await mother.type("berhenti")
        assert "MULAI" in mother.texts()
        clock.advance(timedelta(hours=30))
        seen = len(mother.user.inbox)
        await Dispatcher(running.runtime, running.app.bot, per_chat_gap=0).tick()
        assert len(mother.user.inbox) == seen
        await mother.type("MULAI")
        assert "aktif lagi" in mother.texts()


HUSBAND = "6281234560002"


async def _husband_guides_the_massage(running, fake_wa, db, clock, fake_tg, code, log):
    """The mother registered, her husband joined with GABUNG, filled the checklist by a typed number and started
    the guided massage; the facility's midwife on Telegram. (mother, husband, midwife, act)."""
    from bot.devtools.demo import add_midwife
    from storage.models import Family

    mother = await _registered(running, fake_wa, db, code)
    with db.session() as s:
        family = s.exec(select(Family)).one()
        link_code = family.link_code
        add_midwife(s, s.get(Facility, family.facility_id), telegram_id=2001, name="Aminah", now=clock.now())
        s.commit()
    midwife = fake_tg.user(user_id=2001, first_name="Aminah")

    async def act(person, how, what):
        await (person.type(what) if how == "type" else person.press_title(what))
        log.append(f"[{person.user.name}] > {what}\n{person.texts()}")

    husband = Person(fake_wa, running, HUSBAND, "Budi")
    await act(husband, "type", f"GABUNG {link_code}")
    await act(husband, "press", "Setuju")
    await act(husband, "press", "Setuju")
    await act(husband, "press", "Boleh")

    await act(husband, "type", "Budi")
    assert "ingin bergabung" in mother.texts()
    await act(mother, "press", "Setujui")
    log.append(f"[Budi] <\n{husband.texts()}")
    await act(husband, "type", "pijat")
    await act(husband, "press", "📝 Isi ceklis dulu")
    await act(husband, "type", "1")  # the checklist by a typed number
    await act(husband, "press", "🤲 Lanjut ke pijat")
    await act(husband, "press", "✅ Semua tidak ada")
    kinds = [m.type for m in husband.replies]
    assert "image" in kinds and kinds[-1] == "interactive", kinds
    for _ in range(5):
        await act(husband, "press", "Lanjut ▶")
    await act(husband, "press", "Mulai pijat ▶")
    assert "Mulai" in husband.texts()
    return mother, husband, midwife, act


async def test_husband_massage_checklist_and_danger_with_the_telegram_midwife(
        settings, db, clock, fake_tg, monkeypatch):
    code = _invite(db, monkeypatch)
    async with wa_bot(settings, db, clock, fake_tg) as (running, fake_wa):
        log = []
        mother, husband, midwife, act = await _husband_guides_the_massage(running, fake_wa, db, clock, fake_tg,
                                                                           code, log)
        await act(husband, "type", "berhenti")  # the massage's own word: the guide stops (not BERHENTI's pause)
        media = [m for m in fake_wa.sent if m.type in ("image", "video", "audio")]
        uploads = [c for c in fake_wa.calls if c.path.endswith("/media")]
        assert any(m.type == "video" for m in media)
        assert len(uploads) == len({m.body[m.type]["id"] for m in media}), "each file uploaded once"

        # A danger sign typed by the WhatsApp mother reaches the Telegram midwife; her reply reaches the family.
        await act(mother, "type", "bayi kejang sejak tadi")
        advice = mother.texts()
        assert "119" in advice and "112" in advice, advice
        alert = next(m for m in midwife.messages if "TANDA BAHAYA" in (m.text or ""))
        assert "Siti" in alert.text
        assert "tg://user" not in str(alert.reply_markup)  # a WhatsApp person has no Telegram chat to open
        await midwife.press("Sudah ditangani")
        await running.bridge.settled()
        await midwife.press("✍️ Tulis pesan untuk keluarga")
        await midwife.send("Saya segera ke rumah Ibu, bawa bayi ke puskesmas bila kejang lagi.")
        await running.bridge.settled()
        got = [body_text(m) for m in mother.user.inbox[-3:]]
        assert any("Saya segera ke rumah Ibu" in t for t in got), got
        log.append("[Bidan Aminah on Telegram] > Sudah ditangani, Tulis pesan untuk keluarga: Saya segera ke rumah Ibu …\n" + "\n---\n".join(got))
        print("\n".join(log))


async def test_on_whatsapp_the_phone_question_asks_only_to_show_the_number(settings, db, clock, fake_tg,
                                                                          monkeypatch):
    """WhatsApp has no contact button and the bot already writes to the person's number: the family is asked
    whether the midwife may see it; one tap stores it. Nobody is offered the midwife's role on WhatsApp."""
    from storage.models import User

    code = _invite(db, monkeypatch)
    async with wa_bot(settings, db, clock, fake_tg) as (running, fake_wa):
        mother = Person(fake_wa, running, MOTHER, "Siti")
        await mother.type(f"DAFTAR {code}")
        await mother.press("wa_optin_yes")
        for title in ("Setuju", "Boleh"):
            await mother.press_title(title)
        roles = [title for *_, title in mother.user.offered()]
        assert "Ibu" in roles and "Suami" in roles and "Bidan" not in roles
        await mother.press_title("Ibu")
        await mother.type("Siti")
        await mother.press_title("Kemarin")
        await mother.press(mother.user.offered()[0][1])
        await mother.press_title("Benar, simpan")
        texts = mother.texts()
        assert "nomor WhatsApp ini" in texts and "Bagikan nomor HP" not in texts
        # the link for her husband is a wa.me link whose text joins this family; no t.me link on WhatsApp
        assert "https://wa.me/" in texts and "GABUNG%20" in texts and "t.me/" not in texts
        # the phone question came before the Table 1 offer: its button is an older one, as on a real phone
        await mother.press_earlier("phone:wa")
        assert "nomor HP sudah disimpan" in mother.texts()
        with db.session() as s:
            assert s.exec(select(User).where(User.telegram_id > 6_000_000_000_000_000)).one().phone == f"+{MOTHER}"


async def test_statuses_are_stored_and_hapus_erases_the_whatsapp_person(settings, db, clock, fake_tg, monkeypatch):
    """What WhatsApp says became of each message is stored by the person's internal id (never the number), a
    failure with its code; /hapus removes the WhatsApp address, the held words and those statuses: a message
    from that number afterwards is a new person."""
    from storage import channel_messages
    from storage.models import ChannelMessageStatus

    code = _invite(db, monkeypatch)
    async with wa_bot(settings, db, clock, fake_tg) as (running, fake_wa):
        mother = await _registered(running, fake_wa, db, code)
        first, last = fake_wa.to(MOTHER)[0].id, fake_wa.to(MOTHER)[-1].id
        assert await fake_wa.send_statuses(first) == [200, 200, 200]
        assert await fake_wa.send_statuses(last, ("sent", "failed"), error_code=131026) == [200, 200]
        with db.session() as s:
            person = s.exec(select(ChannelIdentity)).one().person_id
            assert [(r.status, r.person_id) for r in channel_messages.statuses_of(s, first)] == [
                ("sent", person), ("delivered", person), ("read", person)]
            assert [(r.status, r.error_code) for r in channel_messages.statuses_of(s, last)] == [
                ("sent", None), ("failed", 131026)]
            assert MOTHER not in {r.provider_message_id for r in s.exec(select(ChannelMessageStatus)).all()}
        await mother.type("/hapus")
        await mother.press_title("Ya, hapus data saya")
        assert "sudah dihapus" in mother.texts()
        with db.session() as s:
            assert s.exec(select(ChannelIdentity)).all() == []
            assert s.exec(select(ChannelMessageStatus)).all() == []
        await mother.type("halo")  # the same number again: a stranger, asked to opt in first
        assert "setuju" in mother.texts().lower()
        with db.session() as s:
            assert s.exec(select(ChannelIdentity)).one().person_id != person


async def test_a_danger_sign_typed_in_the_middle_of_the_massage_stops_it_on_whatsapp(
        settings, db, clock, fake_tg, monkeypatch):
    """Paths crossing on WhatsApp: the husband types a danger sign while the guide runs. The massage stops
    (stored as stopped for a danger sign), he gets the advice with 119/112, the Telegram midwife is alerted,
    and no cue or "Selesai" follows."""
    from datetime import timedelta

    from bot.reminders.dispatcher import dispatch_once
    from storage.models import MassageSession

    code = _invite(db, monkeypatch)
    async with wa_bot(settings, db, clock, fake_tg) as (running, fake_wa):
        mother, husband, midwife, act = await _husband_guides_the_massage(running, fake_wa, db, clock, fake_tg,
                                                                           code, [])
        await act(husband, "type", "istri saya tiba2 pingsan")
        advice = husband.texts()
        assert "119" in advice and "112" in advice, advice
        assert any("TANDA BAHAYA" in (m.text or "") for m in midwife.messages)
        clock.advance(timedelta(minutes=30))  # past the guide's whole length: nothing more may come
        await dispatch_once(running.runtime, running.app.bot)
        await running.bridge.settled()
        with db.session() as s:
            session_row = s.exec(select(MassageSession)).one()
            assert (session_row.status, session_row.stop_reason) == ("stopped", "danger_sign")
        assert "Selesai" not in husband.texts() + mother.texts()
