"""Registration, the family link, the guided-session rules and /hapus, called directly on a real database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.core.config import Settings
from bot.flows import checklist, dates, family_link, massage, privacy, registration
from content import get_content
from storage import facilities, families, measurements, sessions, users
from storage.models import Answer, AuditLog, ChatState, Family, MassageSession, Measurement, Outbox, User

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)  # 08:00 WIB
SETTINGS = Settings()
C = get_content()


def person(s, telegram_id: int, name: str, *, research: bool = False) -> User:
    user = users.upsert(s, telegram_id=telegram_id, chat_id=telegram_id, first_name=name, language_code="id", now=NOW)
    user.display_name, user.consent_at, user.consent_research = name, NOW, research
    s.add(user)
    return user


# -- registration -------------------------------------------------------------------------------------------

def test_registration_asks_each_field_once_then_the_summary():
    data: dict = {"role": "mother"}
    assert registration.next_step(data) == registration.NAME
    data["name"] = "Siti"
    assert registration.next_step(data) == registration.BIRTH
    registration.set_birth(data, dates.days_ago(date(2026, 11, 20), 1))
    assert registration.next_step(data) == registration.TZ
    registration.set_timezone(data, "Asia/Jakarta", NOW)
    assert registration.next_step(data) == registration.CODE
    data["code_done"] = True
    assert registration.next_step(data) == registration.CONFIRM
    data.pop("name")  # "Ubah" → "Nama": only that question, then the summary again
    assert registration.next_step(data) == registration.NAME


def test_names_and_time_zones():
    assert registration.clean_name("  Siti   Aminah ") == "Siti Aminah"
    for bad in ("S", "/start", "x" * 41, "12345", "http://a.b", "@siti", ""):
        assert registration.clean_name(bad) is None
    assert registration.parse_timezone("wita") == "Asia/Makassar"
    assert registration.parse_timezone("WIT") == "Asia/Jayapura"
    assert registration.parse_timezone("WIB.") == "Asia/Jakarta"
    assert registration.parse_timezone("GMT+7") is None


def test_a_relative_birth_date_moves_with_the_chosen_time_zone():
    late = datetime(2026, 11, 19, 16, 30, tzinfo=UTC)  # 23:30 WIB, 01:30 WIT the next day
    data: dict = {}
    registration.set_birth(data, dates.days_ago(dates.local_today(late, "Asia/Jakarta"), 0))  # "Hari ini" in WIB
    assert data["birth"] == "2026-11-19"
    registration.set_timezone(data, "Asia/Jayapura", late)
    assert data["birth"] == "2026-11-20"
    typed: dict = {}
    registration.set_birth(typed, dates.ParsedDate(date(2026, 11, 19)))
    registration.set_timezone(typed, "Asia/Jayapura", late)
    assert typed["birth"] == "2026-11-19"  # a typed date stays as typed


def test_the_default_zone_comes_from_the_facility_then_the_config(db):
    with db.session() as s:
        f = facilities.create(s, name="Puskesmas Masohi", now=NOW, timezone="Asia/Jayapura")
        assert registration.default_timezone(SETTINGS, f) == "Asia/Jayapura"
        assert registration.default_timezone(SETTINGS.with_(default_timezone="Asia/Makassar"), None) == "Asia/Makassar"
        assert registration.find_facility(s, f.code.lower()).id == f.id
        assert registration.find_facility(s, f.registration_code).id == f.id
        assert registration.find_facility(s, "NOPE1") is None
        assert registration.find_facility(s, "a b; drop") is None


def test_saving_creates_the_family_and_its_reminders_and_a_second_save_updates_it(db):
    with db.session() as s:
        siti = person(s, 1, "Siti")
        data = {"role": "mother", "name": "Siti", "birth": "2026-11-19", "tz": "Asia/Jakarta", "code_done": True}
        saved = registration.save(s, user=siti, data=data, now=NOW, settings=SETTINGS)
        assert saved.created and saved.family.birth_date == date(2026, 11, 19)
        assert families.membership_of(s, siti.id).role == "mother"
        assert s.exec(select(Outbox).where(Outbox.family_id == saved.family.id)).first() is not None
        again = registration.save(s, user=siti, data=dict(data, birth="2026-11-18"), now=NOW, settings=SETTINGS)
        assert not again.created and again.family.id == saved.family.id and again.family.birth_date == date(2026, 11, 18)
        assert len(s.exec(select(Family)).all()) == 1


# -- the family link -----------------------------------------------------------------------------------------

def test_joining_roles_codes_and_renewal(db):
    with db.session() as s:
        budi = person(s, 2, "Budi")
        fam = families.create(s, created_by=budi.id, role="husband", now=NOW, birth_date=date(2026, 11, 19),
                              timezone="Asia/Jakarta")
        code = fam.link_code
        assert families.by_link_code(s, f" {code.lower()[:4]}-{code[4:]} ").id == fam.id
        assert family_link.role_for_joiner(s, fam) is None  # no mother yet: ask
        assert family_link.role_for_joiner(s, fam, "mother") == "mother"
        siti = person(s, 1, "Siti")
        assert family_link.join(s, user=siti, family=fam, role="mother", now=NOW).status == family_link.JOINED
        assert family_link.join(s, user=siti, family=fam, role="mother", now=NOW).status == family_link.ALREADY
        assert family_link.role_for_joiner(s, fam) == "companion"  # mother and husband are there
        assert [m.role for m in families.members(s, fam.id)] == ["mother", "husband"]
        other = person(s, 3, "Dewi")
        families.create(s, created_by=other.id, role="mother", now=NOW, birth_date=None, timezone="Asia/Jakarta")
        assert family_link.join(s, user=other, family=fam, role="companion", now=NOW).status == family_link.OTHER_FAMILY
        new = family_link.renew(s, fam)
        assert new != code and families.by_link_code(s, code) is None and families.by_link_code(s, new).id == fam.id
        assert family_link.invite_link("PijatBot", fam) == f"https://t.me/PijatBot?start=fam_{new}"
        assert families.by_link_code(s, "") is None and families.by_link_code(s, "Z" * 40) is None


# -- the guided session ----------------------------------------------------------------------------------------

def test_safety_answers_and_the_end_of_a_session(db):
    questions = C.safety_questions
    with db.session() as s:
        siti = person(s, 1, "Siti")
        fam = families.create(s, created_by=siti.id, role="mother", now=NOW, birth_date=date(2026, 11, 19),
                              timezone="Asia/Jakarta")
        row = massage.start(s, family_id=fam.id, user_id=siti.id, protocol_id="default", postpartum_day=1, now=NOW)
        assert not massage.checked_today(s, fam.id, questions, now=NOW, tz="Asia/Jakarta")
        picked = massage.toggle(massage.toggle([], "perdarahan"), "demam")
        assert massage.toggle(picked, "demam") == ["perdarahan"]
        stop = massage.answer_check(s, row, questions, picked, now=NOW + timedelta(seconds=30))
        assert stop.stop and set(stop.danger_signs) == {"ibu_demam", "ibu_perdarahan"}
        assert (row.status, row.stop_reason, row.duration_seconds) == ("stopped", "safety:demam,perdarahan", 30)
        assert row.safety_answers == {q.id: q.id in picked for q in questions}  # every question answered

        row2 = massage.start(s, family_id=fam.id, user_id=siti.id, protocol_id="default", postpartum_day=1, now=NOW)
        assert not massage.answer_check(s, row2, questions, [], now=NOW).stop
        assert massage.checked_today(s, fam.id, questions, now=NOW + timedelta(hours=3), tz="Asia/Jakarta")
        assert not massage.checked_today(s, fam.id, questions, now=NOW + timedelta(days=1), tz="Asia/Jakarta")
        assert massage.first_time(s, siti.id)
        plan = C.guide.pacing.plan(180)
        until = massage.start_timing(s, row2, plan, chat_id=1, user_id=siti.id, now=NOW)
        assert until == NOW + timedelta(seconds=180) and sessions.open_for_family(s, fam.id).id == row2.id
        assert sessions.done_since(s, fam.id, NOW - timedelta(minutes=1))  # timing counts as done
        sessions.finish_paced(s, row2, now=NOW + timedelta(minutes=10), comfortable=True)
        assert (row2.status, row2.duration_seconds, row2.comfortable) == ("completed", 180, True)
        assert not massage.first_time(s, siti.id)
        assert sessions.completed_count(s, fam.id, postpartum_day=1) == 1
        assert sessions.confirm_by_mother(s, row2, now=NOW) and not sessions.confirm_by_mother(s, row2, now=NOW)
    assert massage.clock_text(725) == "12:05" and massage.clock_text(0) == "0:00"
    assert massage.minutes_rounded(245) == 4
    assert [(o, c) for o, c, _ in plan[:4]] == [(0, "atas"), (20, "turun"), (40, "turun_lagi"), (60, "atas")]
    assert plan[-1] == (180, "end", 3)


# -- /hapus -----------------------------------------------------------------------------------------------------

def _family_with_data(s, *, research: bool):
    siti = person(s, 1, "Siti", research=research)
    budi = person(s, 2, "Budi")
    fam = families.create(s, created_by=siti.id, role="mother", now=NOW, birth_date=date(2026, 11, 19),
                          timezone="Asia/Jakarta")
    families.add_member(s, family_id=fam.id, user_id=budi.id, role="husband", now=NOW)
    inst = C.instruments["bayi6"]
    m = checklist.start(s, family_id=fam.id, instrument=inst, slot=checklist.slots(C.default_protocol)[0],
                        user_id=siti.id, now=NOW)
    checklist.save(s, measurement=m, item=inst.items[0], value=3, day=1, user_id=budi.id, via="text", now=NOW)
    massage.start(s, family_id=fam.id, user_id=budi.id, protocol_id="default", postpartum_day=1, now=NOW)
    s.add(ChatState(telegram_id=1, flow="checklist", step="q", data={"m": m.id}, updated_at=NOW))
    registration.reschedule_family(s, fam.id, now=NOW, settings=SETTINGS)
    return siti, budi, fam


@pytest.mark.parametrize("research", [True, False])
def test_the_mother_deletes_her_data(db, research):
    with db.session() as s:
        siti, budi, fam = _family_with_data(s, research=research)
        expected = privacy.KEEP_RESEARCH if research else privacy.DELETE_ALL
        assert privacy.what_happens(s, siti) == expected
        result = privacy.delete_personal_data(s, user=siti, now=NOW, settings=SETTINGS)
        assert result.family_closed and result.research_kept is research and result.others == [2]
    with db.session() as s:
        gone = s.get(User, siti.id)
        assert (gone.telegram_id, gone.chat_id, gone.first_name, gone.display_name) == (None, None, None, None)
        assert gone.deleted_at is not None and gone.consent_at is None
        family = s.get(Family, fam.id)
        assert family.status == "deleted" and family.birth_date is None
        assert families.family_of(s, budi.id) is None  # the husband is no longer in an active family
        assert s.get(ChatState, 1) is None
        assert not s.exec(select(Outbox).where(Outbox.family_id == fam.id, Outbox.status == "pending")).all()
        kept = s.exec(select(Answer)).all()
        if research:
            assert len(kept) == 1 and kept[0].answered_by is None and kept[0].raw_value == "3"
            assert s.exec(select(Measurement)).one().started_by is None
        else:
            assert kept == [] and s.exec(select(Measurement)).all() == []
            assert s.exec(select(MassageSession)).all() == []
        assert s.exec(select(AuditLog).where(AuditLog.action == "delete_personal_data")).one().actor_user_id == siti.id


def test_the_husband_deletes_his_data_and_the_family_goes_on(db):
    with db.session() as s:
        siti, budi, fam = _family_with_data(s, research=True)
        assert privacy.what_happens(s, budi) == privacy.LEAVE_ONLY
        result = privacy.delete_personal_data(s, user=budi, now=NOW, settings=SETTINGS)
        assert not result.family_closed and result.others == [1]
    with db.session() as s:
        assert s.get(Family, fam.id).status == "active"
        assert [m.user.id for m in families.members(s, fam.id)] == [siti.id]
        answer = s.exec(select(Answer)).one()
        assert answer.answered_by is None  # his answers stay with the family, not with him
        assert s.exec(select(MassageSession)).one().user_id is None
        assert s.get(User, budi.id).telegram_id is None
        assert not s.exec(select(Outbox).where(Outbox.user_id == budi.id, Outbox.status == "pending")).all()
        assert measurements.open_for_family(s, fam.id) is not None
