"""Three days of a first-time family, from the outside (issue 26): the mother registers with a time of birth
typed in words, the husband joins, and the clock runs through three days while the real dispatcher sends the
reminders. Read from the two phones:

- the numbering ("Hari ke-N, pijat ke-M") never goes backwards;
- the first massage flows from /pijat through the "before" checklist, the safety check and the cards to
  "Mulai" within 12 of his actions (4 later), no command retyped;
- during the timing every cue carries "⏹ Berhenti", "ulang" repeats the last cue and a typed "brhenti" stops
  it with a short confirmation (its queued cues cancelled, the mother not asked to confirm it);
- the mother's confirmation offers a no ("Belum");
- every message either of them receives keeps the style rules (at most 600 characters and 10 lines), with
  long real names, and the husband is never addressed "Ibu/Bapak".

Everything goes through the real Application and the fake Bot API; time moves only with the FakeClock.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from bot.devtools.demo import add_midwife
from bot.reminders.dispatcher import dispatch_once
from content import get_content
from storage import facilities
from storage.models import Family, MassageSession, Outbox
from tests.test_reliability_support import register

WIB = "WIB – Sumatra, Jawa, Kalimantan Barat & Tengah"
MOTHER_NAME = "Siti Nurhaliza Rahmawati Kusumawardani"  # long real names: the assembled messages must fit
HUSBAND_NAME = "Budi Santoso Wicaksono Prawiranegara"
NUMBERING = re.compile(r"Hari ke-(\d+), pijat ke-(\d+) dari (\d+)")
MAX_CHARS, MAX_LINES = 600, 10


def _style_problems(person) -> list[str]:
    out = []
    for m in person.messages:
        text = m.text or ""
        if m.kind == "photo":
            text = text.split("] ", 1)[-1] if text.startswith("[photo") else text
        lines = [x for x in text.splitlines() if x.strip()]
        if len(text) > MAX_CHARS or len(lines) > MAX_LINES:
            out.append(f"{len(text)} chars / {len(lines)} lines: {text[:80]!r}")
    return out


def longest(person) -> tuple[int, int, str]:
    best = max(person.messages, key=lambda m: len(m.text or ""))
    text = best.text or ""
    return len(text), len([x for x in text.splitlines() if x.strip()]), text


def _last_reminder(person):
    return next(m for m in reversed(person.messages) if NUMBERING.search(m.text or ""))


class Actions:
    """Counts what the husband does (a command, a typed answer, a button), the checklist's answers aside."""

    def __init__(self, person):
        self.person, self.n = person, 0

    async def send(self, text: str):
        self.n += 1
        return await self.person.send(text)

    async def press(self, label: str):
        self.n += 1
        return await self.person.press(label)


async def _register(mother, husband) -> None:
    await mother.send("/start")
    await mother.press("Setuju")
    await mother.press("Boleh")  # research consent: Table 1 follows, with the time of birth
    await mother.press("Ibu")
    await mother.send(MOTHER_NAME)
    await mother.press("Kemarin")  # born 19/11; the clock starts on 20/11 08:00 WIB
    await mother.press(WIB)
    await mother.press("Lewati")  # no facility code
    await mother.press("Benar, simpan")
    invite = next(m.text for m in mother.replies_since_last_action if "start=fam_" in (m.text or ""))
    payload = re.search(r"start=(fam_[A-Z0-9]+)", invite).group(1)
    # Table 1: the first choice of each question, then the time of birth in words.
    await mother.press("Boleh, tanya saja")
    while "Jam berapa bayi lahir" not in mother.last_reply.text:
        await mother.press(mother.last_reply.button_labels[0])
    await mother.send("jam 10 pagi")
    assert any("bayi lahir jam 10 pagi" in (m.text or "") for m in mother.replies_since_last_action)
    # the husband joins
    await husband.send(f"/start {payload}")
    await husband.press("Setuju")
    await husband.press("Tidak boleh")
    await husband.send(HUSBAND_NAME)
    await mother.press("Setujui")


async def _run(bot, clock, until, *, step=timedelta(minutes=5)) -> None:
    """Move the clock to ``until`` in steps, letting the dispatcher send what is due at each."""
    while clock.now() < until:
        clock.set(min(until, clock.now() + step))
        await dispatch_once(bot.runtime, bot.app.bot)


async def _cues(bot, clock, seconds: int, husband, *, every: int = 5) -> list:
    start = clock.now()
    seen = {m.message_id for m in husband.messages}
    got = []
    for offset in range(every, seconds + 1, every):
        clock.set(start + timedelta(seconds=offset))
        await dispatch_once(bot.runtime, bot.app.bot)
        got += [m for m in husband.messages if m.message_id not in seen]
        seen = {m.message_id for m in husband.messages}
    return got


async def test_three_days_of_a_first_time_family(bot, db, clock, fake_tg, mother, husband):
    fake_tg.clock = clock
    content = get_content()
    seconds = content.default_protocol.session_seconds
    await _register(mother, husband)
    with db.session() as s:
        family = s.exec(select(Family)).one()
        assert family.birth_time == "10:00"
        start = clock.now()

    # -- day 1 begins at 10:00 on 20/11 (24 h after the birth); its first session is at 16:00 -----------------
    await _run(bot, clock, start + timedelta(hours=8, minutes=15))  # 16:15 WIB
    reminder = _last_reminder(husband)
    assert NUMBERING.search(reminder.text).groups() == ("1", "1", "2"), reminder.text
    assert "selama 3 menit" in reminder.text  # the timer's length, not "3–5"

    # -- the first massage: /pijat → the "before" checklist → safety check → cards → Mulai ---------------------
    acts = Actions(husband)
    await acts.send("/pijat")
    await acts.press("📝 Isi ceklis dulu")
    for answer in ("6", "Bening atau kuning muda", "3", "Kuning", "Lembek atau agak encer, kadang berbiji", "15"):
        if answer in husband.last_reply.button_labels:
            await husband.press(answer)  # the checklist's answers are not counted
        else:
            await husband.send(answer)
    assert "Ceklis sebelum pijat sudah selesai" in husband.last_reply.text
    await acts.press("🤲 Lanjut ke pijat")  # on to the massage, no /pijat retyped
    assert "Cek keamanan" in husband.last_reply.text and "dialami Ibu" in husband.last_reply.text
    await acts.press("✅ Semua tidak ada")
    while "Mulai pijat ▶" not in husband.last_reply.button_labels:
        await acts.press("Lanjut ▶")
    await acts.press("Mulai pijat ▶")
    first_actions = acts.n
    assert first_actions <= 12, first_actions
    cues = await _cues(bot, clock, seconds, husband)
    assert all("⏹ Berhenti" in m.button_labels for m in cues[:-1])  # every cue can be stopped where he looks
    assert cues[-1].text.startswith("🔔 Selesai")
    await husband.press("Ya, nyaman")
    ask = mother.last_reply
    assert "baru saja selesai memijat" in ask.text and ask.button_labels == ["Ya, sudah", "Belum"]
    await mother.press("Belum")  # the mother can say no
    assert "belum dipijat" in mother.last_reply.text

    # -- day 1's second session: 07:00 the next morning is "pijat ke-2", never back to ke-1 --------------------
    await _run(bot, clock, start + timedelta(hours=23, minutes=15))  # 21/11 07:15 WIB
    assert NUMBERING.search(_last_reminder(husband).text).groups() == ("1", "2", "2")
    acts = Actions(husband)
    await acts.send("/pijat")
    await acts.press("✅ Semua tidak ada")  # a new calendar day: the full check again
    await acts.press("Mulai pijat ▶")
    assert acts.n <= 4, acts.n
    got = await _cues(bot, clock, 45, husband)
    assert got and "⏹ Berhenti" in got[-1].button_labels
    await husband.send("ulang")
    assert husband.last_reply.text == got[-1].text  # the last step again
    await husband.send("brhenti")  # a slip of "berhenti"
    assert husband.last_reply.text.startswith("⏹ Pijat dihentikan")
    mother_seen = len(mother.messages)
    assert await _cues(bot, clock, seconds, husband, every=15) == []  # the queued cues were cancelled
    assert len(mother.messages) == mother_seen  # a stopped session is not offered for confirmation
    with db.session() as s:
        stopped = s.exec(select(MassageSession).order_by(MassageSession.id.desc())).first()
        assert stopped.status == "stopped" and stopped.confirmed_by_mother_at is None
        first = s.exec(select(MassageSession).order_by(MassageSession.id)).first()
        assert first.denied_by_mother_at is not None and first.confirmed_by_mother_at is None
        pending = s.exec(select(Outbox).where(Outbox.kind == "massage_cue", Outbox.status == "pending")).all()
        assert pending == []

    # -- days 2 and 3: the reminders keep counting forward ------------------------------------------------------
    await _run(bot, clock, start + timedelta(days=3, hours=6), step=timedelta(minutes=15))
    numbers = [tuple(int(g) for g in NUMBERING.search(m.text).groups()[:2])
               for m in husband.messages if NUMBERING.search(m.text or "")]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers), numbers
    assert numbers[0] == (1, 1) and (3, 2) in numbers

    # -- the mother's /hapus says what happens to the husband, before she confirms ------------------------------
    await mother.send("/hapus")
    assert HUSBAND_NAME in mother.last_reply.text and "tidak lagi terhubung" in mother.last_reply.text
    await mother.press("Batal")

    # -- every message they received keeps the style rules; the husband is "Bapak" ------------------------------
    assert _style_problems(mother) == [] and _style_problems(husband) == []
    # from the moment he is known as the husband (the bot asks "nama panggilan Bapak"), he is "Bapak"
    known = next(i for i, m in enumerate(husband.messages) if "nama panggilan Bapak" in (m.text or ""))
    assert [m.text for m in husband.messages[known:] if "Ibu/Bapak" in (m.text or "")] == []
    assert not any("Ibu/Bapak" in (m.text or "") for m in mother.replies_since_last_action)
    chars, lines, _ = max(longest(mother), longest(husband))
    print(f"\nfirst massage: {first_actions} actions; later: 3; longest family message: {chars} chars, {lines} lines")


async def test_a_question_asked_before_the_family_is_linked_reaches_the_midwife_once_it_is(
        bot, db, clock, mother, midwife):
    await register(mother, db)
    await mother.send("/tanya")
    await mother.send("Bu bidan, ASI saya baru sedikit, apakah normal?")
    assert "saya simpan" in mother.last_reply.text  # kept, not lost
    assert midwife.messages == []
    with db.session() as s:
        facility = facilities.create(s, name="PMB Aminah", now=clock.now())
        add_midwife(s, facility, telegram_id=midwife.id, name="Bidan Aminah", now=clock.now())
        code = facility.code
    await mother.press_data("fk:ask")
    await mother.send(code)
    assert "ASI saya baru sedikit" in midwife.last_reply.text  # delivered when the family is linked
    assert any("sudah kami teruskan ke bidan" in (m.text or "") for m in mother.replies_since_last_action)
