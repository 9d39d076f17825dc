"""A small demo facility: families with pre/post checklists and massage sessions, for trying the midwife side.

``seed_demo(session, now)`` creates (or reuses) a facility and fills it with families at different
stages: most finished (pre and post done, scores that mostly rise), a few still in the massage days, one
with an open danger-sign alert, one whose husband cannot be reached. Answers are drawn so that every item
is scored by the content's own instrument (so totals and classes are consistent) and never point to a
danger sign. Demo people have no chat (``chat_id`` None): the bot never writes to them.

Pass ``midwife_telegram_id`` to make that Telegram user a coordinator of the demo facility, so /pasien,
/export and /analisis work at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.flows.answers import encode, value_num
from content import Content, get_content
from content.instruments import Instrument, Item
from storage import alerts as alert_store
from storage import exports, facilities, families, measurements, sessions, users
from storage import staff as staff_store
from storage import vitals as vitals_store
from storage.models import Facility, Staff, User

DEMO_FACILITY = "PMB Demo Sejahtera"
DEMO_TELEGRAM_BASE = 990_000_000  # demo people get ids from here (they have no chat)
MOTHER_NAMES = ("Siti", "Dewi", "Rina", "Ayu", "Fitri", "Nur", "Wulan", "Lestari", "Yuni", "Indah", "Sari",
                "Ratna", "Putri", "Maya", "Desi", "Eka")
HUSBAND_NAMES = ("Budi", "Agus", "Joko", "Rudi", "Andi", "Dedi", "Hendra", "Yusuf", "Rizal", "Fajar", "Bayu",
                 "Eko", "Hadi", "Iwan", "Doni", "Arif")


@dataclass
class DemoResult:
    facility: Facility
    family_ids: list[int] = field(default_factory=list)
    staff: Staff | None = None
    paired: int = 0  # families with both pre and post


def safe_answer(item: Item, day: int, want_point: bool, rng: random.Random, *,
                numbers: int = 40) -> bool | int | str:
    """An answer to ``item`` that scores (or not) on ``day`` and points to no danger sign (a number item:
    one of its first ``numbers`` values). Also used by the benchmarks' seeding (bench/seed.py)."""
    if item.answer_type == "number":
        candidates: list[bool | int | str] = list(range(item.min, min(item.max, item.min + numbers) + 1))
    else:
        candidates = [c.value for c in item.choices]
    safe = [v for v in candidates if item.danger_sign(v) is None]
    _, best = item.score_range()
    hits = [v for v in safe if item.score(v, day) == best]
    misses = [v for v in safe if item.score(v, day) != best]
    pool = hits if (want_point and hits) or not misses else misses
    return rng.choice(pool)


def _fill(session: Session, instrument: Instrument, *, family_id: int, user_id: int, occasion: str, day: int,
          at: datetime, chance: float, rng: random.Random, late: bool = False) -> tuple[int, str]:
    if late:  # taken the next day, outside its window
        at = at + timedelta(days=1, hours=5)
    m = measurements.start(session, family_id=family_id, instrument_id=instrument.id,
                           instrument_version=instrument.version, occasion=occasion, started_by=user_id, now=at)
    values = {}
    better_high = getattr(instrument, "higher_is_better", True)
    for n, item in enumerate(instrument.items):
        # ``chance`` is of a good answer: the top score, or the bottom one where a lower score is better
        value = safe_answer(item, day, (rng.random() < chance) == better_high, rng)
        values[item.id] = value
        measurements.save_answer(session, measurement_id=m.id, item_id=item.id, raw_value=encode(item, value),
                                 value_num=value_num(item, value), score=item.score(value, day),
                                 answered_by=user_id, via="button", now=at + timedelta(seconds=20 * n))
    total = instrument.score(values, day=day)
    cls = instrument.classify(total)
    measurements.complete(session, m, score=total, class_key=cls.key,
                          now=at + timedelta(seconds=20 * len(instrument.items)))
    m.window = "late" if late else "on_time"
    session.add(m)
    return total, cls.key


def _person(session: Session, telegram_id: int, name: str, now: datetime, chat_id: int | None = None):
    return users.upsert(session, telegram_id=telegram_id, chat_id=chat_id, first_name=name, language_code="id",
                        now=now)


def add_midwife(session: Session, facility: Facility, *, telegram_id: int, name: str, now: datetime,
                coordinator: bool = False, chat_id: int | None = None) -> Staff:
    """Make a Telegram user staff of the facility through a used invitation (as opening the link would).

    ``chat_id`` defaults to ``telegram_id`` (a private chat's id is the user's id).
    """
    user = _person(session, telegram_id, name, now, chat_id=telegram_id if chat_id is None else chat_id)
    role = staff_store.COORDINATOR if coordinator else staff_store.MIDWIFE
    inv = staff_store.create_invite(session, facility_id=facility.id, now=now, role=role, name=name)
    redeemed = staff_store.redeem_invite(session, inv.code, user=user, now=now)
    assert redeemed is not None
    return redeemed.staff


@dataclass
class DemoFamily:
    family_id: int
    code: str
    mother_id: int
    husband_id: int | None
    pre: tuple[int, str] | None = None  # (score, class key)
    post: tuple[int, str] | None = None


def add_family(session: Session, facility: Facility | None, *, now: datetime, age_days: int,
               mother: tuple[int, str], husband: tuple[int, str] | None = None, chat_ids: bool = False,
               content: Content | None = None, protocol_id: str = "default", rng: random.Random | None = None,
               pre_chance: float = 0.15, post_chance: float = 0.85, sessions_done: int | None = None,
               checklists: bool = True, consent: bool = True, late: tuple[str, ...] = (),
               characteristics: bool = False, health_worker_id: int | None = None) -> DemoFamily:
    """One family whose baby was born ``age_days`` ago, with the measurements and sessions due by now.

    ``mother``/``husband`` are (telegram id, name); with ``chat_ids`` they get a private chat (tests with
    real fake users), else none. ``sessions_done`` caps the completed sessions (default: all due ones,
    a few missed at random). ``health_worker_id``: with a protocol whose performer is a health worker, she
    gives each massage after a vital-signs check (now and then one outside normal first, then the protocol's
    wait). ``consent``: the mother's research consent. Every measurement of the protocol
    that is due is filled in on time, except the occasions in ``late`` (taken the next day, stored ``late``).
    ``characteristics`` answers the Table 1 questions at random.
    """
    content = content or get_content()
    rng = rng or random.Random(age_days)
    protocol = content.protocols[protocol_id]
    instrument = content.instruments[protocol.instrument]
    tz = ZoneInfo(facility.timezone if facility else "Asia/Jakarta")
    birth = now.astimezone(tz).date() - timedelta(days=age_days)
    mum = _person(session, mother[0], mother[1], now, chat_id=mother[0] if chat_ids else None)
    mum.consent_at = mum.consent_at or now
    mum.consent_research = consent
    session.add(mum)
    fam = families.create(session, created_by=mum.id, role=families.MOTHER, now=_at(birth, time(20, 0), tz),
                          birth_date=birth, timezone=str(tz), protocol_id=protocol.id,
                          facility_id=facility.id if facility else None)
    fam.protocol_version = protocol.version
    if characteristics:
        _characteristics(fam, rng)
    session.add(fam)
    dad = None
    if husband is not None:
        dad = _person(session, husband[0], husband[1], now, chat_id=husband[0] if chat_ids else None)
        families.add_member(session, family_id=fam.id, user_id=dad.id, role=families.HUSBAND,
                            now=_at(birth, time(20, 30), tz))
    out = DemoFamily(fam.id, fam.code, mum.id, dad.id if dad else None)
    from bot.flows.checklist import slots

    ordered = slots(protocol)
    local_now = now.astimezone(tz)
    first = ordered[0] if ordered and ordered[0].occasion == "pre" else None
    if checklists and first is not None and first.day <= age_days:
        out.pre = _fill(session, instrument, family_id=fam.id, user_id=mum.id, occasion=first.label, day=first.day,
                        at=_at(birth + timedelta(days=first.day), time(6, 30), tz), chance=pre_chance, rng=rng,
                        late=first.label in late)
    times = [time(7, 0), time(16, 0), time(12, 0), time(19, 0)]
    done = 0
    for day in protocol.days:
        for slot in range(protocol.sessions_per_day):
            start = _at(birth + timedelta(days=day), times[slot % len(times)], tz) + timedelta(
                minutes=rng.randint(0, 40))
            if start + timedelta(minutes=10) > local_now or (sessions_done is not None and done >= sessions_done):
                break
            if sessions_done is None and rng.random() < 0.1:  # a missed session now and then
                continue
            giver = health_worker_id if protocol.vitals is not None and health_worker_id else (dad or mum).id
            if giver == health_worker_id:
                start = _vitals_before(session, protocol, fam.id, giver, start)
            row = sessions.start(session, family_id=fam.id, user_id=giver, protocol_id=protocol.id,
                                 postpartum_day=day, now=start)
            sessions.complete(session, row, now=start + timedelta(seconds=rng.randint(180, 320)))
            if giver == health_worker_id:
                vitals_store.attach_last(session, fam.id, row.id)
            done += 1
    if checklists and out.pre is not None:
        # The later occasions: pre of each later day early in the morning, post late in the day (or in the
        # morning for a day without massage), the scores rising over the days.
        steps = max(1, len(ordered) - 1)
        for i, slot in enumerate(ordered[1:], start=1):
            if slot.day >= age_days:
                break
            clock = time(6, 30) if slot.occasion == "pre" else time(7, 15) if slot.slot == "first_time" else time(
                19, 30)
            chance = pre_chance + (post_chance - pre_chance) * i / steps
            got = _fill(session, instrument, family_id=fam.id, user_id=mum.id, occasion=slot.label, day=slot.day,
                        at=_at(birth + timedelta(days=slot.day), clock, tz), chance=chance, rng=rng,
                        late=slot.label in late)
            if slot.occasion == "post" and out.post is None:
                out.post = got
    return out


def _vitals_before(session: Session, protocol, family_id: int, giver: int, start: datetime) -> datetime:
    """The health worker's check before a demo massage (its own random draws, so the other demo data stay the
    same): one reading in six outside normal, then rest for the protocol's wait and a normal one. Returns the
    massage's start."""
    rng = random.Random(family_id * 1000 + start.toordinal())
    rule = protocol.vitals
    if rng.random() < 1 / 6:
        vitals_store.add(session, family_id=family_id, recorded_by=giver, measured_at=start, systolic=145,
                         diastolic=92, pulse=rng.randint(80, 96), breathing=rng.randint(16, 20),
                         outside=rule.outside({"systolic": 145, "diastolic": 92, "pulse": 88, "breathing": 18}),
                         session_id=None)
        start += timedelta(minutes=rule.wait_minutes)
    vitals_store.add(session, family_id=family_id, recorded_by=giver, measured_at=start,
                     systolic=rng.randint(100, 130), diastolic=rng.randint(65, 85), pulse=rng.randint(68, 92),
                     breathing=rng.randint(14, 20), outside=(), session_id=None)
    return start + timedelta(minutes=2)


def _characteristics(fam, rng: random.Random) -> None:
    """Table 1 answers, a few left empty (as a tired mother would)."""
    fam.mother_age = rng.choice((19, 22, 24, 26, 27, 29, 31, 33, 36, 38))
    fam.parity = rng.choice((1, 1, 2, 2, 3, 4))
    fam.education = rng.choice(("sd", "smp", "sma", "sma", "sma", "pt", None))
    fam.work = rng.choice(("irt", "irt", "irt", "swasta", "wiraswasta", "pns", "petani"))
    fam.birth_mode = rng.choice(("normal", "normal", "normal", "sesar", "alat"))
    fam.characteristics_skipped = False


def seed_demo(session: Session, now: datetime, *, families_count: int = 12, facility_name: str = DEMO_FACILITY,
              seed: int = 7, content: Content | None = None, midwife_telegram_id: int | None = None,
              midwife_name: str = "Bidan Demo", protocol_id: str = "default") -> DemoResult:
    """Create a demo facility (or add to the one with that name) with ``families_count`` families."""
    content = content or get_content()
    rng = random.Random(seed)
    facility, _ = facilities.get_or_create(session, name=facility_name, now=now)
    result = DemoResult(facility)
    if midwife_telegram_id is not None:
        result.staff = add_midwife(session, facility, telegram_id=midwife_telegram_id, name=midwife_name, now=now,
                                   coordinator=True)
    post_day = max((m.day for m in content.protocols[protocol_id].measurements), default=4)
    base = DEMO_TELEGRAM_BASE + facility.id * 10_000 + exports.count_families(session, facility.id) * 2
    for index in range(families_count):
        # Most families are past the post measurement; every fourth is still in the massage days.
        age = rng.randint(2, 3) if index % 4 == 3 else rng.randint(post_day + 1, 12)
        fam = add_family(
            session, facility, now=now, age_days=age, content=content, protocol_id=protocol_id, rng=rng,
            mother=(base + 2 * index, MOTHER_NAMES[index % len(MOTHER_NAMES)]),
            husband=(base + 2 * index + 1, HUSBAND_NAMES[index % len(HUSBAND_NAMES)]),
            post_chance=0.85 + 0.15 * rng.random(),
        )
        result.family_ids.append(fam.family_id)
        result.paired += int(fam.pre is not None and fam.post is not None)
        if index == 1 and content.danger_signs:
            alert_store.create(session, family_id=fam.family_id, facility_id=facility.id,
                               sign_id=content.danger_signs[0].id, source="text", raised_by=fam.mother_id,
                               now=now - timedelta(minutes=25))
        if index == 2 and fam.husband_id is not None:
            _unreachable(session, fam.husband_id)
    session.flush()
    return result


def _unreachable(session: Session, user_id: int) -> None:
    user = session.get(User, user_id)
    if user is not None:
        user.reachable = False
        user.unreachable_reason = "demo"
        session.add(user)


def _at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=tz).astimezone(ZoneInfo("UTC"))


# -- the study demo: one facility per seed protocol (python -m bot demo, and :demo in the simulator) -------

STUDY_FACILITIES = (
    ("seed000", "Puskesmas Tanjung (demo seed 000)", "Asia/Jakarta"),
    ("seed001", "Puskesmas Masohi (demo seed 001)", "Asia/Jayapura"),
    ("seed002", "Puskesmas Mandiangin (demo seed 002)", "Asia/Jakarta"),
    ("seed003", "TPMB Wilda (demo seed 003)", "Asia/Jakarta"),
)
STUDY_MIDWIFE_PROTOCOL = "seed001"  # the simulator's :bidan coordinates this facility


@dataclass
class StudyDemo:
    facilities: dict[str, Facility] = field(default_factory=dict)  # protocol id -> facility
    families: dict[str, list[DemoFamily]] = field(default_factory=dict)
    staff: Staff | None = None
    deleted: str | None = None  # code of the family that used /hapus after consenting
    invites: dict[str, object] = field(default_factory=dict)  # protocol id -> bot.flows.midwife.Invitation


# What families in the demo said (simulated input, in their words): an open danger sign, questions.
DEMO_ALERTS = (("bayi_kejang", "dedek tadi kejang sebentar, badannya kaku"),
               ("bayi_demam_dingin", "anak saya panas 38,5 dari pagi"))
DEMO_QUESTIONS = ("Bu bidan, ASI saya baru keluar sedikit, apakah normal?",
                  "Boleh pijat kalau saya masih pusing sedikit?")
DEMO_REPLY = "Normal di hari-hari pertama, Bu. Susui sesering mungkin, nanti ASI makin lancar."


def desk_life(session: Session, facility: Facility, made: list[DemoFamily], *, now: datetime, staff_user_id: int | None,
              rng: random.Random) -> None:
    """What a midwife finds on her desk: open danger alerts quoting the family, unanswered questions, and a
    question she already answered (a family message with her reply)."""
    from storage import questions as question_store
    from storage.models import Alert

    live = [f for f in made if f.code] or made
    for i, (sign, words) in enumerate(DEMO_ALERTS):
        fam = live[(3 + 4 * i) % len(live)]
        session.add(Alert(family_id=fam.family_id, facility_id=facility.id, sign_id=sign, source="text",
                          raised_by=fam.mother_id, raised_at=now - timedelta(minutes=25 + 40 * i),
                          last_notified_at=now - timedelta(minutes=25 + 40 * i), words=words))
    for i, text in enumerate(DEMO_QUESTIONS):
        fam = live[(6 + 2 * i) % len(live)]
        question_store.ask(session, family_id=fam.family_id, facility_id=facility.id, asked_by=fam.mother_id,
                           text=text, now=now - timedelta(minutes=rng.randint(10, 90)))
    answered = live[0]
    q = question_store.ask(session, family_id=answered.family_id, facility_id=facility.id, asked_by=answered.mother_id,
                           text=DEMO_QUESTIONS[0], now=now - timedelta(hours=5))
    if staff_user_id is not None:
        question_store.reply(session, family_id=answered.family_id, staff_user_id=staff_user_id, text=DEMO_REPLY,
                             now=now - timedelta(hours=4), question=q)


def seed_study_demo(session: Session, now: datetime, *, settings=None, families_per_protocol: int = 12,
                    seed: int = 14, content: Content | None = None, midwife_telegram_id: int | None = None,
                    midwife_name: str = "Bidan Demo", living_desk: bool = False) -> StudyDemo:
    """Four facilities, each on one seed protocol, with families at every stage.

    Per facility: most families past their last measurement, a quarter still in the massage days, two
    without research consent, one whose first "before" checklist was late, one (in seed 001's facility) that
    used /hapus after consenting (its answers stay, pseudonymous), one with an unreachable husband, Table 1
    answers for most mothers. ``living_desk`` (``python -m bot demo``): also a one-time coordinator invitation
    per facility, open danger alerts with the family's words, unanswered questions and an answered one.
    """
    from bot.flows import privacy, protocols

    content = content or get_content()
    rng = random.Random(seed)
    out = StudyDemo()
    for protocol_id, name, tz in STUDY_FACILITIES:
        facility, _ = facilities.get_or_create(session, name=name, now=now, timezone=tz)
        protocols.set_facility_protocol(session, content, facility, protocol_id, now=now, actor="demo")
        out.facilities[protocol_id] = facility
        if midwife_telegram_id is not None and protocol_id == STUDY_MIDWIFE_PROTOCOL:
            out.staff = add_midwife(session, facility, telegram_id=midwife_telegram_id, name=midwife_name,
                                    now=now, coordinator=True)
        protocol = content.protocols[protocol_id]
        last = max(m.day for m in protocol.measurements)
        first_pre = next(m for m in protocol.measurements if m.occasion == "pre")
        first_label = "pre" if sum(m.occasion == "pre" for m in protocol.measurements) == 1 else \
            f"day{first_pre.day}_pre"
        base = DEMO_TELEGRAM_BASE + 5_000_000 + facility.id * 10_000 + exports.count_families(session, facility.id) * 2
        made = []
        worker = None
        if protocol.vitals is not None:  # seed 002: a health worker gives the massage, after a vital-signs check
            worker = add_midwife(session, facility, telegram_id=base + 9_999, name="Petugas Demo", now=now).user_id
        for index in range(families_per_protocol):
            age = rng.randint(1, last) if index % 4 == 3 else rng.randint(last + 1, 12)
            fam = add_family(
                session, facility, now=now, age_days=age, content=content, protocol_id=protocol_id, rng=rng,
                mother=(base + 2 * index, MOTHER_NAMES[index % len(MOTHER_NAMES)]),
                husband=(base + 2 * index + 1, HUSBAND_NAMES[index % len(HUSBAND_NAMES)]),
                pre_chance=0.1 + 0.2 * rng.random(), post_chance=0.75 + 0.25 * rng.random(),
                consent=index not in (4, 9), late=(first_label,) if index == 5 else (),
                characteristics=index % 6 != 0, health_worker_id=worker,
            )
            made.append(fam)
            if index == 2 and fam.husband_id is not None:
                _unreachable(session, fam.husband_id)
        out.families[protocol_id] = made
        if living_desk:
            from bot.flows import midwife as midwife_rules

            out.invites[protocol_id] = midwife_rules.invite_to(session, facility, now=now, coordinator=True,
                                                               actor="demo", name=midwife_name)
            desk_life(session, facility, made, now=now, rng=rng,
                      staff_user_id=out.staff.user_id if out.staff and protocol_id == STUDY_MIDWIFE_PROTOCOL else None)
        if protocol_id == STUDY_MIDWIFE_PROTOCOL and settings is not None:
            gone = made[1]  # consented: /hapus keeps its answers without any personal field
            mother = session.get(User, gone.mother_id)
            privacy.delete_personal_data(session, user=mother, now=now, settings=settings)
            out.deleted = gone.code
    session.flush()
    return out
