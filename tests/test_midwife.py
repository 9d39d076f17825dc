"""The midwife side through the real Application and the fake Bot API: invitation, /pasien, a family's
detail, /qr, /undang, and the server-side role checks (a family member or a forged callback learns nothing)."""

from __future__ import annotations

from sqlmodel import select

from bot import cli
from bot.flows import midwife as rules
from bot.handlers.midwife import qr_png
from storage import audit, facilities
from storage import staff as staff_store
from storage.models import Alert, Invite, Staff, User
from tests.test_midwife_support import FACILITY_A, MIDWIFE_B, two_facilities


def t(bot, key: str, **params) -> str:
    return bot.runtime.content.text(key, **params)


def _cli(monkeypatch, capsys, db, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.delenv("BOT_USERNAME", raising=False)
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _invite_code(out: str) -> str:
    for line in out.splitlines():
        if line.startswith("code:"):
            return line.split()[-1]
    raise AssertionError(f"no code printed:\n{out}")


# -- invitation ------------------------------------------------------------------------------------

def test_invite_works_offline_and_creates_the_facility(db, monkeypatch, capsys):
    code, out, _ = _cli(monkeypatch, capsys, db, "midwife", "invite", "--facility", "PMB Siti Aminah",
                        "--name", "Bidan Siti")
    assert code == 0
    invite_code = _invite_code(out)
    assert "created" in out and f"/start bid_{invite_code}" in out  # no username known yet: how to use the code
    with db.session() as session:
        facility = facilities.by_name(session, "pmb siti aminah")
        assert facility is not None
        invite = staff_store.get_invite(session, invite_code)
        assert invite.facility_id == facility.id and invite.name == "Bidan Siti" and invite.role == "midwife"
        assert invite.expires_at > invite.created_at
        assert [e.action for e in audit.entries(session)] == ["invite"]
    # A second invitation to the same facility reuses it.
    code, out, _ = _cli(monkeypatch, capsys, db, "midwife", "invite", "--facility", "PMB Siti Aminah",
                        "--coordinator")
    assert code == 0 and "created" not in out
    with db.session() as session:
        assert len(facilities.list_all(session)) == 1
        assert staff_store.get_invite(session, _invite_code(out)).role == "coordinator"


def test_invite_link_uses_the_username_stored_at_the_last_start(db, monkeypatch, capsys):
    from storage import meta

    with db.session() as session:
        meta.put(session, meta.BOT_USERNAME, "PijatTesBot")
    code, out, _ = _cli(monkeypatch, capsys, db, "midwife", "invite", "--facility", "PMB Siti Aminah")
    invite_code = _invite_code(out)
    assert f"https://t.me/PijatTesBot?start=bid_{invite_code}" in out
    with db.session() as session:
        facility = facilities.by_name(session, "PMB Siti Aminah")
        assert f"https://t.me/PijatTesBot?start=fas_{facility.registration_code}" in out


async def test_opening_the_invitation_makes_a_midwife_once(bot, db, midwife, stranger, monkeypatch, capsys):
    code, out, _ = _cli(monkeypatch, capsys, db, "midwife", "invite", "--facility", FACILITY_A, "--name", "Bidan Siti")
    invite_code = _invite_code(out)
    assert f"https://t.me/{bot.fake.bot_username}?start=bid_{invite_code}" in out

    await midwife.send(f"/start bid_{invite_code}")
    assert "Bidan Siti" in midwife.last_reply.text and FACILITY_A in midwife.last_reply.text
    with db.session() as session:
        staff = rules.require_staff(session, midwife.id)
        assert staff is not None and staff.name == "Bidan Siti" and staff.role == "midwife"
        assert staff_store.get_invite(session, invite_code).used_at is not None

    # One use only: a second person gets a polite "no longer valid", and no role.
    await stranger.send(f"/start bid_{invite_code}")
    assert stranger.last_reply.text == t(bot, "midwife.invite_invalid")
    with db.session() as session:
        assert rules.require_staff(session, stranger.id) is None

    await midwife.send("/pasien")
    assert midwife.last_reply.text == t(bot, "midwife.list_empty", fasilitas=FACILITY_A)


def test_expired_or_revoked_invitations_do_nothing(db, clock):
    from datetime import timedelta

    now = clock.now()
    with db.session() as session:
        facility = facilities.create(session, name="PMB Uji", now=now)
        user = User(telegram_id=4242, chat_id=4242, first_name="Rani", created_at=now)
        session.add(user)
        session.flush()
        old = staff_store.create_invite(session, facility_id=facility.id, now=now, valid_for=timedelta(hours=1))
        revoked = staff_store.create_invite(session, facility_id=facility.id, now=now)
        staff_store.revoke_invite(session, revoked.code)
        assert staff_store.redeem_invite(session, old.code, user=user, now=now + timedelta(hours=2)) is None
        assert staff_store.redeem_invite(session, revoked.code, user=user, now=now) is None
        assert staff_store.redeem_invite(session, "tidakada", user=user, now=now) is None
        assert session.exec(select(Staff)).all() == []


def test_list_and_revoke_on_the_command_line(db, clock, monkeypatch, capsys):
    world = two_facilities(db, clock.now(), a_extra=0, b_count=0)
    code, out, _ = _cli(monkeypatch, capsys, db, "midwife", "list")
    assert code == 0
    assert world.a.code in out and world.b.code in out and "Bidan Aminah" in out and "Bidan Maluku" in out
    with db.session() as session:
        staff_b = rules.require_staff(session, MIDWIFE_B)
    code, out, _ = _cli(monkeypatch, capsys, db, "midwife", "revoke", str(staff_b.id))
    assert code == 0
    with db.session() as session:
        assert rules.require_staff(session, MIDWIFE_B) is None
    # An unused invitation is revoked by its code.
    _, out, _ = _cli(monkeypatch, capsys, db, "midwife", "invite", "--facility", world.a.code)
    invite_code = _invite_code(out)
    code, out, _ = _cli(monkeypatch, capsys, db, "midwife", "revoke", invite_code)
    assert code == 0
    with db.session() as session:
        assert session.exec(select(Invite).where(Invite.code == invite_code)).one().revoked
    code, _, err = _cli(monkeypatch, capsys, db, "midwife", "revoke", "bukankode")
    assert code == 2 and "no invitation" in err


# -- /pasien ---------------------------------------------------------------------------------------

async def test_each_midwife_sees_only_her_own_families(bot, db, clock, midwife, fake_tg):
    world = two_facilities(db, clock.now())
    other = fake_tg.user(user_id=MIDWIFE_B, first_name="Maluku")

    await midwife.send("/pasien")
    text_a = midwife.last_reply.text
    assert FACILITY_A in text_a
    assert all(f.code in text_a for f in world.a_families)
    assert not any(f.code in text_a for f in world.b_families)
    assert "Siti" in text_a  # the mother's name: the midwife knows her families

    await other.send("/pasien")
    text_b = other.last_reply.text
    assert all(f.code in text_b for f in world.b_families)
    assert not any(f.code in text_b for f in world.a_families)


async def test_pasien_shows_progress_unreachable_members_and_open_alerts(bot, db, clock, midwife):
    world = two_facilities(db, clock.now(), a_extra=0, b_count=0)
    fam = world.mothers_family
    with db.session() as session:
        husband = session.get(User, fam.husband_id)
        husband.reachable = False
        session.add(husband)
        session.add(Alert(family_id=fam.family_id, facility_id=world.a.id, sign_id="bayi_kejang", source="text",
                          raised_at=clock.now()))
    await midwife.send("/pasien")
    text = midwife.last_reply.text
    assert "Hari ke-6" in text
    assert "Budi" in text and "📵" in text
    assert t(bot, "desk.reason_alert", waktu="20/11 08:00 WIB", tanda=t(bot, "danger.bayi_kejang")
             if bot.runtime.content.has_text("danger.bayi_kejang") else bot.runtime.content.danger_sign("bayi_kejang").text) in text
    label = midwife.last_reply.button_labels[0]
    assert label.startswith("⚠️") and fam.code in label
    done = t(bot, "desk.mark_done")
    assert f"ceklis {done}/{done}" in text  # the protocol's two occasions, both answered


async def test_pasien_pages_with_buttons(bot, db, clock, midwife):
    world = two_facilities(db, clock.now(), a_extra=11, b_count=0)  # 12 families: two pages of 8
    await midwife.send("/pasien")
    first = midwife.last_reply
    first_text = first.text
    assert "halaman 1 dari 2" in first_text
    assert t(bot, "midwife.button_next") in first.button_labels
    assert t(bot, "midwife.button_prev") not in first.button_labels
    await midwife.press(t(bot, "midwife.button_next"))
    second = midwife.last_reply
    assert second.message_id == first.message_id  # the same message, edited
    assert "halaman 2 dari 2" in second.text
    shown = [f.code for f in world.a_families if f.code in first_text or f.code in second.text]
    assert len(shown) == 12
    assert t(bot, "midwife.button_prev") in second.button_labels


async def test_family_detail_shows_answers_and_sessions(bot, db, clock, midwife):
    world = two_facilities(db, clock.now(), a_extra=0, b_count=0)
    fam = world.mothers_family
    await midwife.send("/pasien")
    await midwife.press(next(label for label in midwife.last_reply.button_labels if fam.code in label))
    text = midwife.last_reply.text
    content = bot.runtime.content
    first_item = content.instruments["bayi6"].items[0]
    assert first_item.text in text
    assert t(bot, "midwife.occasion_pre") in text and t(bot, "midwife.occasion_post") in text
    assert t(bot, "midwife.session_completed") in text
    assert "Budi (suami)" in text
    await midwife.press(t(bot, "midwife.button_back"))
    assert "halaman 1 dari 1" in midwife.last_reply.text


# -- role checks -----------------------------------------------------------------------------------

async def test_a_family_member_gets_a_polite_refusal_for_every_midwife_command(bot, db, clock, mother, fake_tg):
    two_facilities(db, clock.now())
    for command in ("/pasien", "/export", "/export nama", "/analisis", "/qr", "/undang", "/bidan"):
        await mother.send(command)
        # a text written for "Ibu/Bapak" reaches the mother as "Ibu" (Turn.addressed)
        assert mother.last_reply.text == t(bot, "midwife.not_staff").replace("Ibu/Bapak", "Ibu"), command
    assert fake_tg.calls_to("sendDocument") == []
    assert fake_tg.calls_to("sendPhoto") == []
    with db.session() as session:
        assert audit.entries(session, action="export") == []


async def test_forged_callbacks_leak_nothing(bot, db, clock, midwife, mother):
    world = two_facilities(db, clock.now())
    theirs = world.b_families[0]
    with db.session() as session:
        alert = Alert(family_id=theirs.family_id, facility_id=world.b.id, sign_id="bayi_kejang", source="text",
                      raised_at=clock.now())
        session.add(alert)
        session.flush()
        alert_id = alert.id
    await midwife.send("/pasien")
    before = midwife.last_reply.text
    for data in (f"mw:fam:{theirs.family_id}:0", f"mw:open:{theirs.family_id}", f"mw:done:{alert_id}",
                 "mw:fam:999999:0", "mw:fam:x", "mw:zzz"):
        await midwife.press_data(data)
        assert midwife.callback_answers[-1] == t(bot, "midwife.not_allowed"), data
        assert midwife.last_reply.text == before
        assert theirs.code not in "".join(m.text or "" for m in midwife.messages)
    with db.session() as session:
        assert session.get(Alert, alert_id).handled_at is None
    # A family member pressing a midwife button: refused the same way.
    await mother.press_data(f"mw:fam:{world.mothers_family.family_id}:0")
    assert mother.callback_answers[-1] == t(bot, "midwife.not_allowed")


async def test_a_revoked_midwife_loses_access(bot, db, clock, midwife):
    two_facilities(db, clock.now())
    with db.session() as session:
        staff_store.deactivate(session, rules.require_staff(session, midwife.id).id)
    await midwife.send("/pasien")
    assert midwife.last_reply.text == t(bot, "midwife.not_staff")


# -- /qr and /undang -------------------------------------------------------------------------------

async def test_qr_sends_the_facility_registration_link_as_a_png(bot, db, clock, midwife):
    world = two_facilities(db, clock.now())
    await midwife.send("/qr")
    reply = midwife.last_reply
    link = f"https://t.me/{bot.fake.bot_username}?start=fas_{world.a.registration_code}"
    assert reply.photo is not None and reply.photo.startswith(b"\x89PNG")
    # The picture is labelled: whose code it is and what to do with it (printed, it is read without the chat).
    assert reply.photo == qr_png(link, world.a.name, t(bot, "midwife.qr_label_hint"))
    assert link in reply.text and world.a.code in reply.text


async def test_only_a_coordinator_can_invite_from_the_chat(bot, db, clock, midwife, fake_tg):
    two_facilities(db, clock.now(), coordinator=False)
    await midwife.send("/undang")
    assert midwife.last_reply.text == t(bot, "midwife.not_coordinator")


async def test_a_coordinator_invites_a_colleague(bot, db, clock, midwife, fake_tg):
    world = two_facilities(db, clock.now(), coordinator=True)
    await midwife.send("/undang Bidan Rahma")
    text = midwife.last_reply.text
    prefix = f"https://t.me/{bot.fake.bot_username}?start=bid_"
    assert prefix in text
    code = text.split(prefix, 1)[1].split()[0]
    colleague = fake_tg.user(user_id=2003, first_name="Rahma")
    await colleague.send(f"/start bid_{code}")
    assert "Bidan Rahma" in colleague.last_reply.text
    await colleague.send("/pasien")
    assert world.mothers_family.code in colleague.last_reply.text
    with db.session() as session:
        staff = rules.require_staff(session, colleague.id)
        assert staff.facility_id == world.a.id and staff.invited_by is not None


async def test_a_midwife_serving_two_facilities_can_open_families_of_both(bot, db, clock, midwife):
    from bot.devtools.demo import add_midwife

    world = two_facilities(db, clock.now())
    with db.session() as session:
        add_midwife(session, world.b, telegram_id=midwife.id, name="Bidan Aminah", now=clock.now())
    theirs = world.b_families[0]
    await midwife.press_data(f"mw:open:{theirs.family_id}")
    assert theirs.code in midwife.last_reply.text
    await midwife.press_data(f"mw:open:{world.mothers_family.family_id}")
    assert world.mothers_family.code in midwife.last_reply.text
