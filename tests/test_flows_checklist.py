"""The checklist rules: which occasion is due, the question order, saving and correcting, the score."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.flows import checklist as rules
from content import get_content
from storage import families, measurements, users
from storage.models import Answer

C = get_content()
DEFAULT = C.protocols["default"]
SEED001 = C.protocols["seed001"]
SEED003 = C.protocols["seed003"]
NOW = datetime(2026, 11, 20, 1, 0, tzinfo=UTC)


def pos(day, *, sessions=0, per_day=2):
    return rules.position(day, after_massage=sessions >= per_day)


def test_the_first_checklist_is_pre_even_before_day_one():
    assert rules.due(DEFAULT, pos(0), []).slot.label == "pre"
    assert rules.due(DEFAULT, pos(1), []).slot.label == "pre"
    assert rules.due(DEFAULT, pos(2, sessions=2), []).slot.label == "pre"  # late, but still the first


def test_after_the_massage_days_it_is_post():
    nothing = rules.due(DEFAULT, pos(2), ["pre"])
    assert nothing.slot is None and nothing.next_slot.label == "post" and nothing.next_slot.day == 4
    assert rules.due(DEFAULT, pos(4), ["pre"]).slot.label == "post"
    assert rules.due(DEFAULT, pos(4), []).slot.label == "post"  # the pre was missed: the post still counts
    done = rules.due(DEFAULT, pos(5), ["pre", "post"])
    assert done.slot is None and done.next_slot is None


def test_after_last_session_opens_only_after_the_day_s_massage():
    assert rules.due(SEED003, pos(3, sessions=1, per_day=3), ["pre"]).slot is None
    assert rules.due(SEED003, pos(3, sessions=3, per_day=3), ["pre"]).slot.label == "post"
    assert rules.due(SEED003, pos(4, per_day=3), ["pre"]).slot.label == "post"


def test_a_protocol_measuring_every_day_labels_each_day():
    assert rules.due(SEED001, pos(1), []).slot.label == "day1_pre"
    assert rules.due(SEED001, pos(1, sessions=2), ["day1_pre"]).slot.label == "day1_post"
    assert rules.due(SEED001, pos(2), ["day1_pre", "day1_post"]).slot.label == "day2_pre"
    # A day skipped: its slots are not taken later; the latest open one is due.
    assert rules.due(SEED001, pos(3, sessions=2), ["day1_pre"]).slot.label == "day3_post"


def test_an_open_measurement_is_resumed_unless_a_later_one_opened():
    due_post = rules.due(DEFAULT, pos(4), ["x"])
    assert rules.resume_or_new(DEFAULT, "pre", rules.due(DEFAULT, pos(1), [])) == "resume"
    assert rules.resume_or_new(DEFAULT, "pre", rules.due(DEFAULT, pos(2), ["post"])) == "resume"
    assert rules.resume_or_new(DEFAULT, "pre", due_post) == "new"
    assert rules.resume_or_new(DEFAULT, "post", due_post) == "resume"
    assert rules.resume_or_new(DEFAULT, None, rules.due(DEFAULT, pos(2), ["pre"])) == "none"


def test_question_order_and_going_back():
    inst = C.instruments["bayi6"]
    ids = [i.id for i in inst.items]
    assert rules.first_unanswered(inst, []).id == ids[0]
    assert rules.first_unanswered(inst, ids[:3]).id == ids[3]
    assert rules.first_unanswered(inst, [ids[0], ids[2]]).id == ids[1]
    assert rules.first_unanswered(inst, ids) is None
    assert rules.previous_item(inst, ids[3]).id == ids[2]
    assert rules.previous_item(inst, ids[0]) is None
    assert rules.item_number(inst, ids[5]) == 6


@pytest.fixture
def family(db):
    with db.session() as s:
        user = users.upsert(s, telegram_id=1, chat_id=1, first_name="Siti", language_code="id", now=NOW)
        fam = families.create(s, created_by=user.id, role="mother", now=NOW, birth_date=date(2026, 11, 19),
                              timezone="Asia/Jakarta")
        return fam.id, user.id


def test_answers_are_saved_at_once_corrected_in_place_and_scored(db, family):
    family_id, user_id = family
    inst = C.instruments["bayi6"]
    slot = rules.slots(DEFAULT)[0]
    with db.session() as s:
        m = rules.start(s, family_id=family_id, instrument=inst, slot=slot, user_id=user_id, now=NOW)
        mid = m.id
        assert rules.save(s, measurement=m, item=inst.item("bak_frekuensi"), value=0, day=1, user_id=user_id,
                          via="text", now=NOW) == "bayi_tidak_bak"
    with db.session() as s:  # a correction, in a later unit of work
        m = measurements.get(s, mid)
        assert rules.save(s, measurement=m, item=inst.item("bak_frekuensi"), value=6, day=1, user_id=user_id,
                          via="button", now=NOW + timedelta(minutes=1)) is None
        rows = s.exec(select(Answer).where(Answer.measurement_id == mid)).all()
        assert len(rows) == 1 and rows[0].raw_value == "6" and rows[0].via == "button" and rows[0].score == 1
        with pytest.raises(ValueError):
            rules.save(s, measurement=m, item=inst.item("bak_frekuensi"), value=31, day=1, user_id=user_id,
                       via="text", now=NOW)
        for item_id, value in (("bak_warna", "jernih"), ("bab_frekuensi", 3), ("bab_warna", "kuning"),
                               ("bab_bentuk", "lengket"), ("tidur_jam", 10)):
            rules.save(s, measurement=m, item=inst.item(item_id), value=value, day=1, user_id=user_id, via="text",
                       now=NOW)
        result = rules.finish(s, measurement=m, instrument=inst, day=1, now=NOW)
        # 6 wet nappies 1, pale urine 1, 3 stools 1, yellow 1, sticky 0, 10 h sleep 0.
        assert result.score == 4 and result.classification.key == "lancar"
    with db.session() as s:
        m = measurements.get(s, mid)
        assert (m.score, m.class_key, m.completed_at is not None) == (4, "lancar", True)
        assert measurements.completed_occasions(s, family_id) == {"pre"}
        assert measurements.open_for_family(s, family_id) is None


def test_a_day_scored_checklist_before_day_one_is_scored_as_day_one():
    from types import SimpleNamespace

    day_scored = SimpleNamespace(day_dependent=True)  # an instrument with per-day norms
    assert rules.score_day(0, day_scored) == 1 and rules.score_day(None, day_scored) == 1
    assert rules.score_day(3, day_scored) == 3
    assert rules.score_day(0, C.instruments["oksitosin16"]) == 0
    assert rules.score_day(0, C.instruments["bayi6"]) == 0  # fixed criteria: the day does not matter
