"""Forged and stale button presses: random callback data, another family's buttons, replayed old buttons,
double taps arriving together.

A press is either refused (a short toast, nothing changes) or idempotent (the same result as one press):
every press is answered (the spinner stops), no handler logs an ERROR, one answer is stored once, and
nothing of another family is shown or changed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.core.clock import FakeClock
from bot.devtools.demo import add_midwife
from storage import facilities
from storage import families as family_store
from storage.db import Database
from storage.models import (
    Alert,
    Answer,
    AuditLog,
    ChatState,
    Family,
    MassageSession,
    Measurement,
    Membership,
    Outbox,
    User,
)
from tests.conftest import CLOCK_START
from tests.test_reliability_support import (
    LiveBot,
    chat_state,
    family_id_of,
    handler_errors,
    join,
    link_code,
    register,
    say,
)


@dataclass
class Victim:
    family_id: int
    measurement_id: int
    session_id: int
    alert_id: int
    outbox_ids: list[int]
    name: str
    code: str


async def _victim(fake, db, clock, *, mother_id: int, husband_id: int, midwife_id: int) -> Victim:
    """A family in the middle of everything: checklist half done, a massage under way, an open alert."""
    mother = fake.user(user_id=mother_id, first_name="Korbanita")
    husband = fake.user(user_id=husband_id, first_name="Korbanto")
    await register(mother, db)
    fid = family_id_of(db, mother.id)
    with db.session() as s:
        facility = facilities.create(s, name=f"PMB Korban {mother_id}", now=clock.now())
        add_midwife(s, facility, telegram_id=midwife_id, name="Bidan Korban", now=clock.now())
        family_store.update(s, s.get(Family, fid), facility_id=facility.id)
    await join(husband, link_code(db, fid))
    await mother.send("/ceklis")
    await mother.send("4")
    await husband.send("/pijat")
    if "Lewati, mulai pijat" in husband.last_reply.button_labels:  # the "before" checklist is asked first
        await husband.press("Lewati, mulai pijat")
    await mother.send("bayi kejang")
    with db.session() as s:
        m = s.exec(select(Measurement).where(Measurement.family_id == fid)).one()
        ms = s.exec(select(MassageSession).where(MassageSession.family_id == fid)).one()
        alert = s.exec(select(Alert).where(Alert.family_id == fid)).first()
        rows = [r.id for r in s.exec(select(Outbox).where(Outbox.family_id == fid))]
        fam = s.get(Family, fid)
    assert alert is not None and rows, mother.text_log()
    return Victim(fid, m.id, ms.id, alert.id, rows, "Korbanita", fam.code)


def family_snapshot(db, family_id: int) -> dict:
    """Everything stored about one family (to prove a forged press changed none of it)."""
    with db.session() as s:
        members = list(s.exec(select(Membership).where(Membership.family_id == family_id)))
        people = [s.get(User, m.user_id) for m in members]
        mids = [m.id for m in s.exec(select(Measurement).where(Measurement.family_id == family_id))]
        return {
            "family": s.get(Family, family_id).model_dump(),
            "members": [m.model_dump() for m in members],
            "people": [p.model_dump() for p in people],
            "states": [s.get(ChatState, p.telegram_id).model_dump() if s.get(ChatState, p.telegram_id) else None
                       for p in people],
            "measurements": [s.get(Measurement, i).model_dump() for i in mids],
            "answers": [a.model_dump() for a in s.exec(select(Answer).where(Answer.measurement_id.in_(mids)))],
            "sessions": [x.model_dump() for x in
                         s.exec(select(MassageSession).where(MassageSession.family_id == family_id))],
            "outbox": [x.model_dump() for x in s.exec(select(Outbox).where(Outbox.family_id == family_id))],
            "alerts": [x.model_dump() for x in s.exec(select(Alert).where(Alert.family_id == family_id))],
        }


# -- random and forged data, from people who are not in the family ----------------------------------------

def forged(v: Victim) -> st.SearchStrategy[str]:
    ids = st.one_of(st.sampled_from([v.measurement_id, v.session_id, v.alert_id, v.family_id,
                                     *v.outbox_ids[:5]]), st.integers(-3, 10**9))
    small = st.integers(-2, 12)
    word = st.sampled_from(["y", "n", "5", "jernih", "x", "", "mother", "husband", "yes", "no", "0", "-1"])
    templates = st.sampled_from([
        "ceklis:a:{i}:{n}:{w}", "ceklis:back:{i}:{n}", "ceklis:later:{i}", "ceklis:start", "pijat:start",
        "pijat:safe:{i}:{n}:{w}", "pijat:next:{i}:{n}", "pijat:again:{i}:{n}", "pijat:stop:{i}:{n}",
        "pijat:ok:{i}", "pijat:resume:{i}", "pijat:restart:{i}", "pijat:why:{i}:{w}", "rem:done:{i}",
        "rem:snooze:{i}", "rem:times:{w}", "mw:fam:{i}:{n}", "mw:open:{i}", "mw:done:{i}", "mw:list:{n}",
        "hapus:{w}", "reg:save", "reg:bd:{n}", "reg:tz:{w}", "role:{w}", "consent:{w}", "research:{w}",
        "join:role:{w}", "fam:show:{n}", "fam:renew:{i}", "menu:{w}", "{w}:{i}:{n}",
    ])
    structured = st.builds(lambda t, i, n, w: t.format(i=i, n=n, w=w), templates, ids, small, word)
    raw = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=64)
    return st.one_of(structured, raw).filter(lambda d: 1 <= len(d.encode()) <= 64)


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('forged') / 'bot.db'}")
    db.upgrade()
    with LiveBot(db, FakeClock(CLOCK_START)) as live:
        live.victim = live.run(_victim(live.fake, db, live.clock, mother_id=61_001, husband_id=61_002,
                                       midwife_id=61_003))
        stranger = live.fake.user(user_id=61_101, first_name="Asing")
        other_mother = live.fake.user(user_id=61_102, first_name="Lain")
        other_midwife = live.fake.user(user_id=61_103, first_name="BidanLain")
        live.run(register(other_mother, db))
        with db.session() as s:
            facility = facilities.create(s, name="PMB Lain", now=live.clock.now())
            add_midwife(s, facility, telegram_id=other_midwife.id, name="Bidan Lain", now=live.clock.now())
        live.run(stranger.send("halo"))
        live.run(other_midwife.send("/pasien"))
        live.attackers = {"stranger": stranger, "other_mother": other_mother, "other_midwife": other_midwife}
        yield live
    db.dispose()


def test_random_and_forged_callback_data_is_refused_and_changes_no_other_family(arena, caplog):
    caplog.set_level(logging.WARNING)
    v = arena.victim
    before = family_snapshot(arena.db, v.family_id)
    tried = {"presses": 0}

    @settings(max_examples=250, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(who=st.sampled_from(sorted(arena.attackers)), data=forged(v))
    def example(who: str, data: str) -> None:
        person = arena.attackers[who]
        mark = len(caplog.records)
        replies = arena.run(person.press_data(data))
        tried["presses"] += 1
        assert not handler_errors(caplog.records[mark:]), (who, data, handler_errors(caplog.records[mark:]))
        assert not person.unanswered_callbacks, f"{who}: {data!r} was never answered"
        shown = " ".join([m.text or "" for m in replies] + person.callback_answers[-1:])
        assert v.name not in shown and v.code not in shown, f"{who}: {data!r} showed the other family: {shown}"
        assert not arena.fake.internal_errors

    example()
    assert family_snapshot(arena.db, v.family_id) == before, "a forged press changed another family"
    print(f"\nFIGURES forged_callbacks: presses={tried['presses']} changed_other_family=0 unanswered=0 crashes=0")


# -- another family's buttons -----------------------------------------------------------------------------

async def test_another_familys_buttons_are_refused_politely(bot, db, fake_tg, clock):
    v = await _victim(fake_tg, db, clock, mother_id=62_001, husband_id=62_002, midwife_id=62_003)
    other = fake_tg.user(user_id=62_101, first_name="Lain")
    other_midwife = fake_tg.user(user_id=62_103, first_name="BidanLain")
    await register(other, db)
    with db.session() as s:
        facility = facilities.create(s, name="PMB Lain", now=clock.now())
        add_midwife(s, facility, telegram_id=other_midwife.id, name="Bidan Lain", now=clock.now())
    before = family_snapshot(db, v.family_id)
    # The very buttons the victim family has on screen.
    victim_mother = fake_tg.user(user_id=62_001)
    victim_midwife = fake_tg.user(user_id=62_003)
    their_buttons = {d for m in victim_mother.messages + victim_midwife.messages for row in m.buttons
                     for d in [m.button(label).get("callback_data") for label in row] if d}
    assert any(d.startswith("ceklis:a:") for d in their_buttons)
    assert any(d.startswith("mw:") for d in their_buttons)
    for data in sorted(their_buttons):
        for person in (other, other_midwife):
            replies = await person.press_data(data)
            assert not person.unanswered_callbacks
            shown = " ".join([m.text or "" for m in replies] + person.callback_answers[-1:])
            assert v.name not in shown and v.code not in shown, (data, shown)
    assert family_snapshot(db, v.family_id) == before
    assert say("menu.not_yours") in other.callback_answers
    assert say("midwife.not_allowed") in other_midwife.callback_answers


# -- replayed buttons and double taps -------------------------------------------------------------------

def _count(db, model, *where) -> int:
    with db.session() as s:
        return len(list(s.exec(select(model).where(*where))))


async def test_replayed_old_buttons_are_stale_or_idempotent(bot, db, fake_tg, mother):
    await register(mother, db)
    # The registration buttons are gone from the screen; an old client may still send their data.
    for data in ("reg:save", "consent:yes", "role:mother", "research:yes"):
        await mother.press_data(data)
    assert _count(db, Family) == 1 and _count(db, User) == 1
    await mother.send("/ceklis")
    await mother.send("4")
    q2 = mother.last_reply
    choice = q2.buttons[0][0]
    data = q2.callback_data(choice)
    await mother.press(choice)
    for _ in range(3):
        await mother.press_data(data, message_id=q2.message_id)  # the old question, pressed again
    assert _count(db, Answer) == 2
    assert not mother.unanswered_callbacks
    await mother.send("/pijat")
    if "Lewati, mulai pijat" in mother.last_reply.button_labels:  # the "before" checklist is asked first
        await mother.press("Lewati, mulai pijat")
    first = mother.last_reply
    no = say("common.button_no")
    old = first.callback_data(no)
    await mother.press(no)
    state = chat_state(db, mother.id)
    await mother.press_data(old, message_id=first.message_id)
    assert chat_state(db, mother.id).data == state.data  # an old safety answer does not move the session


async def test_double_taps_arriving_together_store_one_answer(bot, db, fake_tg, clock, mother):
    # Registration: "Benar, simpan" twice.
    await mother.send("/start")
    await mother.press(say("onboarding.button_agree"), wait=False)
    await mother.press(say("onboarding.button_agree"), wait=False)
    await fake_tg.wait_idle()
    assert _count(db, User) == 1
    await mother.press(say("family.button_research_yes"))
    await mother.press(say("onboarding.role_ibu"))
    await mother.send("Siti")
    await mother.press(say("onboarding.button_today"))
    await mother.press(say("onboarding.tz_wib"))
    await mother.press(say("onboarding.button_skip"))
    await mother.press(say("onboarding.button_confirm"), wait=False)
    await mother.press(say("onboarding.button_confirm"), wait=False)
    await fake_tg.wait_idle()
    assert _count(db, Family) == 1 and _count(db, Membership) == 1
    # A checklist answer.
    await mother.send("/ceklis")
    await mother.send("4")
    choice = mother.last_reply.buttons[0][0]
    await mother.press(choice, wait=False)
    await mother.press(choice, wait=False)
    await fake_tg.wait_idle()
    assert _count(db, Answer) == 2
    # A massage step: "Lanjut" twice moves one step, not two.
    await mother.press(say("checklist.button_later"))
    await mother.send("/pijat")
    if "Lewati, mulai pijat" in mother.last_reply.button_labels:  # the "before" checklist is asked first
        await mother.press("Lewati, mulai pijat")
    for _ in bot.runtime.content.safety_questions:
        await mother.press(say("common.button_no"))
    next_label = say("session.button_next")
    await mother.press(next_label, wait=False)
    await mother.press(next_label, wait=False)
    await fake_tg.wait_idle()
    assert chat_state(db, mother.id).data["i"] == 1
    # "Sudah dilakukan" on a reminder: one logged session.
    fid = family_id_of(db, mother.id)
    with db.session() as s:
        row = next(r for r in s.exec(select(Outbox).where(Outbox.family_id == fid)) if r.kind == "massage")
    await mother.press_data(f"rem:done:{row.id}", wait=False)
    await mother.press_data(f"rem:done:{row.id}", wait=False)
    await fake_tg.wait_idle()
    assert _count(db, MassageSession, MassageSession.status == "logged") == 1
    assert not mother.unanswered_callbacks


async def test_a_midwife_double_tapping_handled_records_it_once(bot, db, fake_tg, clock):
    v = await _victim(fake_tg, db, clock, mother_id=63_001, husband_id=63_002, midwife_id=63_003)
    midwife = fake_tg.user(user_id=63_003)
    done = f"mw:done:{v.alert_id}"
    await midwife.press_data(done, wait=False)
    await midwife.press_data(done, wait=False)
    await fake_tg.wait_idle()
    with db.session() as s:
        assert s.get(Alert, v.alert_id).handled_at is not None
        assert len(list(s.exec(select(AuditLog).where(AuditLog.action == "alert_handled")))) == 1
    assert not midwife.unanswered_callbacks


async def test_hapus_confirmed_twice_deletes_once_and_answers_both(bot, db, fake_tg, mother, caplog):
    caplog.set_level(logging.WARNING)
    await register(mother, db)
    await mother.send("/hapus")
    yes = mother.last_reply.buttons[0][0]
    await mother.press(yes, wait=False)
    await mother.press(yes, wait=False)
    await fake_tg.wait_idle()
    assert _count(db, AuditLog, AuditLog.action == "delete_personal_data") == 1
    assert not mother.unanswered_callbacks
    assert handler_errors(caplog.records) == []
