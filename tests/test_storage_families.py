"""storage/families.py, sessions.py and measurements.py on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from storage import families, measurements, sessions, users
from storage.models import Answer, Outbox

NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def _user(s, telegram_id: int, name: str):
    return users.upsert(s, telegram_id=telegram_id, chat_id=telegram_id, first_name=name, language_code=None, now=NOW)


def test_codes_members_and_the_newest_membership(db):
    with db.session() as s:
        budi, siti = _user(s, 2, "Budi"), _user(s, 1, "Siti")
        fam = families.create(s, created_by=budi.id, role="husband", now=NOW, birth_date=date(2026, 11, 19),
                              timezone="Asia/Jakarta")
        assert len(fam.code) == families.FAMILY_CODE_LENGTH and len(fam.link_code) == families.LINK_CODE_LENGTH
        assert not set(fam.link_code) & set("01OIL")
        families.add_member(s, family_id=fam.id, user_id=siti.id, role="mother", now=NOW + timedelta(minutes=5))
        assert [m.name for m in families.members(s, fam.id)] == ["Siti", "Budi"]  # the mother first
        assert families.mother_of(s, fam.id).user.id == siti.id
        assert families.is_member(s, user_id=siti.id, family_id=fam.id)
        families.leave(s, family_id=fam.id, user_id=siti.id)
        assert families.family_of(s, siti.id) is None and not families.is_member(s, user_id=siti.id, family_id=fam.id)
        families.add_member(s, family_id=fam.id, user_id=siti.id, role="mother", now=NOW)  # back again, same row
        assert families.family_of(s, siti.id).id == fam.id
        with pytest.raises(ValueError):
            families.add_member(s, family_id=fam.id, user_id=siti.id, role="grandmother", now=NOW)
        with pytest.raises(ValueError):
            families.update(s, fam, code="X")
        families.update(s, fam, reminders_paused=True)
        assert families.get(s, fam.id).reminders_paused is True
        assert families.normalise_code(" ab-12 cd ") == "AB12CD"


def test_one_answer_per_item_even_when_saved_twice(db):
    with db.session() as s:
        siti = _user(s, 1, "Siti")
        fam = families.create(s, created_by=siti.id, role="mother", now=NOW, birth_date=None, timezone="Asia/Jakarta")
        m = measurements.start(s, family_id=fam.id, instrument_id="bayi6", instrument_version=1, occasion="pre",
                               started_by=siti.id, now=NOW)
        for raw in ("3", "4"):
            measurements.save_answer(s, measurement_id=m.id, item_id="bak_frekuensi", raw_value=raw,
                                     value_num=float(raw), score=1, answered_by=siti.id, via="text", now=NOW)
        assert measurements.answers(s, m.id)["bak_frekuensi"].raw_value == "4"
        mid = m.id
    with pytest.raises(IntegrityError), db.session() as s:
        s.add(Answer(measurement_id=mid, item_id="bak_frekuensi", raw_value="5", answered_at=NOW))
        s.flush()
    with db.session() as s:
        assert len(s.exec(select(Answer)).all()) == 1


def test_open_sessions_and_forgetting_a_person(db):
    with db.session() as s:
        siti = _user(s, 1, "Siti")
        fam = families.create(s, created_by=siti.id, role="mother", now=NOW, birth_date=None, timezone="Asia/Jakarta")
        old = sessions.start(s, family_id=fam.id, user_id=siti.id, protocol_id="default", postpartum_day=1, now=NOW)
        new = sessions.start(s, family_id=fam.id, user_id=siti.id, protocol_id="default", postpartum_day=1,
                             now=NOW + timedelta(hours=1))
        assert sessions.open_for_family(s, fam.id).id == new.id
        sessions.stop(s, new, now=NOW + timedelta(hours=1, minutes=2), reason="user")
        assert sessions.open_for_family(s, fam.id).id == old.id
        s.add(Outbox(dedupe_key="k1", family_id=fam.id, user_id=siti.id, chat_id=1, kind="massage",
                     payload={"nama": "Siti"}, due_at=NOW + timedelta(hours=5), created_at=NOW))
        s.add(Outbox(dedupe_key="k2", family_id=fam.id, user_id=siti.id, chat_id=1, kind="massage",
                     payload={"nama": "Siti"}, due_at=NOW, status="sent", created_at=NOW))
        s.flush()
        families.forget_person(s, siti, now=NOW)
    with db.session() as s:
        rows = {r.dedupe_key: r for r in s.exec(select(Outbox))}
        assert rows["k1"].status == "cancelled" and rows["k2"].status == "sent"
        assert all(r.chat_id is None and r.payload == {} for r in rows.values())
        assert users.get_by_telegram_id(s, 1) is None
        assert {r.user_id for r in sessions.for_family(s, fam.id)} == {None}
